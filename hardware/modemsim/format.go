package modemsim

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// settings are what AT commands change; ATZ, AT&F and a vanished modem's
// return put them back to these defaults.
type settings struct {
	echo    bool
	verbose bool // V1: text results framed with CR LF; V0: numeric codes
	quiet   bool // Q1: no result codes
	cmee    int
	cmgf    int
	csdh    int // AT+CSDH=1: text mode shows every header field
	cscs    string
	csca    string
	cscaTOA int
	creg    int
	cnmi    [5]int // mode, mt, bm, ds, bfr
	csms    int
	cpms    [3]string
	curc    int
	portsel int
	cmms    int
	clip    bool
	csmp    [4]int // fo, vp, pid, dcs of text-mode sends
	cfun    int
}

// defaultSettings are a reset modem's; a text-only one starts in text
// mode.
func defaultSettings(smsc string, textOnly bool) settings {
	cmgf := 0
	if textOnly {
		cmgf = 1
	}
	return settings{
		cmgf:    cmgf,
		echo:    true,
		verbose: true,
		cscs:    "IRA",
		csca:    smsc,
		cscaTOA: toaOf(smsc),
		cpms:    [3]string{"SM", "SM", "SM"},
		curc:    1,
		csmp:    [4]int{17, 167, 0, 0},
		cfun:    1,
	}
}

// frameInfoLocked frames information lines: "\r\n" line "\r\n" in verbose
// mode, each line followed by "\r\n" in numeric mode.
func (s *Sim) frameInfoLocked(lines []string) string {
	body := strings.Join(lines, "\r\n") + "\r\n"
	if s.set.verbose {
		return "\r\n" + body
	}
	return body
}

// V.250 numeric result codes.
var numericResult = map[string]string{"OK": "0", "RING": "2", "NO CARRIER": "3", "ERROR": "4"}

// frameFinalLocked frames a final result code.
func (s *Sim) frameFinalLocked(code string) string {
	if s.set.quiet {
		return ""
	}
	if s.set.verbose {
		return "\r\n" + code + "\r\n"
	}
	if n, ok := numericResult[code]; ok {
		return n + "\r"
	}
	return code + "\r\n"
}

// TS 27.007 §9.2 +CME ERROR codes the simulator uses.
var cmeText = map[int]string{
	3:  "operation not allowed",
	4:  "operation not supported",
	10: "SIM not inserted",
	11: "SIM PIN required",
	16: "incorrect password",
	21: "invalid index",
	30: "no network service",
	50: "incorrect parameters",
}

// TS 27.005 §3.2.5 +CMS ERROR codes, and the vendor ones in use.
var cmsText = map[int]string{
	300: "ME failure",
	302: "operation not allowed",
	303: "operation not supported",
	304: "invalid PDU mode parameter",
	305: "invalid text mode parameter",
	310: "SIM not inserted",
	311: "SIM PIN required",
	320: "memory failure",
	321: "invalid memory index",
	322: "memory full",
	330: "SMSC address unknown",
	331: "no network service",
	332: "network timeout",
	340: "no +CNMA acknowledgement expected",
	500: "unknown error",
	512: "MM establishment failure",
}

// cmeLocked is the error result for a 27.007 command, as AT+CMEE says.
func (s *Sim) cmeLocked(code int) string {
	switch s.set.cmee {
	case 1:
		return fmt.Sprintf("+CME ERROR: %d", code)
	case 2:
		if t, ok := cmeText[code]; ok {
			return "+CME ERROR: " + t
		}
		return fmt.Sprintf("+CME ERROR: %d", code)
	}
	return "ERROR"
}

// cmsLocked is the error result for an SMS command: numeric, as TS
// 27.005 has it, or text after AT+CMEE=2.
func (s *Sim) cmsLocked(code int) string {
	if s.set.cmee == 2 {
		if t, ok := cmsText[code]; ok {
			return "+CMS ERROR: " + t
		}
	}
	return fmt.Sprintf("+CMS ERROR: %d", code)
}

// toaOf is the type of address: 145 international, 129 otherwise.
func toaOf(number string) int {
	if strings.HasPrefix(number, "+") {
		return 145
	}
	return 129
}

func quote(s string) string { return `"` + s + `"` }

// scts formats a time as text mode does: "yy/MM/dd,hh:mm:ss±zz", the
// zone in quarter hours.
func scts(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s%c%02d", t.Format("06/01/02,15:04:05"), sign, off/900)
}

// teString is s in the TE character set of AT+CSCS.
func (s *Sim) teStringLocked(v string) string {
	if s.set.cscs == "UCS2" {
		u := utf16.Encode([]rune(v))
		b := make([]byte, 0, 2*len(u))
		for _, c := range u {
			b = append(b, byte(c>>8), byte(c))
		}
		return strings.ToUpper(hex.EncodeToString(b))
	}
	return v
}

// fromTELocked reads a string in the TE character set; GSM and IRA are
// taken as UTF-8, which is what clients send.
func (s *Sim) fromTELocked(v string) (string, bool) {
	if s.set.cscs != "UCS2" {
		return v, true
	}
	v = strings.TrimSpace(v)
	b, err := hex.DecodeString(v)
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u)), true
}

// arg is one parameter of an extended command.
type arg struct {
	val    string
	quoted bool
}

// parseArgs splits "1,\"SM\",,3" into its parameters; an empty one keeps
// its place.
func parseArgs(s string) ([]arg, bool) {
	var out []arg
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	for {
		s = strings.TrimLeft(s, " ")
		var a arg
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, false
			}
			a = arg{val: s[1 : 1+end], quoted: true}
			s = strings.TrimLeft(s[2+end:], " ")
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			a = arg{val: strings.TrimSpace(s[:end])}
			s = s[end:]
		}
		out = append(out, a)
		if s == "" {
			return out, true
		}
		if s[0] != ',' {
			return nil, false
		}
		s = s[1:]
	}
}

// intArg is parameter i as a number; def when it is absent or empty.
func intArg(args []arg, i, def int) (int, bool) {
	if i >= len(args) || args[i].val == "" && !args[i].quoted {
		return def, true
	}
	n, err := strconv.Atoi(args[i].val)
	if err != nil || args[i].quoted {
		return 0, false
	}
	return n, true
}

// pduLengths checks that p is hex and returns the SMSC field's length and
// the TPDU's, in octets.
func pduLengths(p string) (smsc, tpdu int, ok bool) {
	if len(p) < 4 || len(p)%2 != 0 {
		return 0, 0, false
	}
	b, err := hex.DecodeString(p)
	if err != nil {
		return 0, 0, false
	}
	smsc = int(b[0])
	tpdu = len(b) - 1 - smsc
	if tpdu < 1 {
		return 0, 0, false
	}
	return smsc, tpdu, true
}
