package at

import "strings"

// URC is an unsolicited result code, or any line that came while no
// command was waiting for it.
type URC struct {
	// Code is the part before the colon, upper case ("+CMTI", "^RSSI"),
	// or the whole line when it has none ("RING").
	Code string
	// Args is what follows the colon, trimmed.
	Args string
	// Line is the whole line.
	Line string
	// Payload is the line after a +CMT, +CDS (PDU mode) or +CBM: the PDU,
	// or the text in text mode.
	Payload string
}

// Params splits Args at commas outside double quotes and unquotes each:
// `"SM",3` gives ["SM" "3"].
func (u URC) Params() []string { return splitParams(u.Args) }

// Handler handles one unsolicited result code.
type Handler func(URC)

// splitParams splits a response's parameters at commas outside quotes.
func splitParams(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// Params splits the parameters of a response line such as
// `+CMGS: 12` or `+CPMS: "SM",3,50` after its prefix.
func Params(line string) []string {
	_, args := splitCode(line)
	return splitParams(args)
}

// knownURC are codes that are unsolicited unless the command in hand asked
// for them (AT+CREG? wants +CREG). Vendor codes starting with "^" are all
// unsolicited too.
var knownURC = map[string]bool{
	"+CMTI": true, "+CDSI": true, "+CMT": true, "+CDS": true, "+CBM": true, "+CBMI": true,
	"+CREG": true, "+CGREG": true, "+CEREG": true, "+C5GREG": true,
	"RING": true, "+CRING": true, "+CLIP": true, "+CCWA": true, "+CUSD": true, "+CIEV": true,
	"+CPIN": true, "+CFUN": true, "+CTZV": true, "+CTZE": true, "+CTZU": true, "+NITZ": true,
	"+QIND": true, "+QUSIM": true, "+STIN": true, "+CGEV": true, "+PACSP": true, "+PACSP0": true, "+PACSP1": true,
	"RDY": true, "CALL READY": true, "SMS READY": true, "PB DONE": true, "*ATREADY": true,
}

// finals are the final result codes besides +CMS ERROR and +CME ERROR.
var finals = map[string]bool{
	"OK": true, "ERROR": true, "NO CARRIER": true, "BUSY": true, "NO ANSWER": true,
	"NO DIALTONE": true, "COMMAND NOT SUPPORT": true, "TOO MANY PARAMETERS": true, "ABORTED": true,
}

func isFinal(line string) bool {
	u := asciiUpper(line)
	return finals[u] || strings.HasPrefix(u, "+CMS ERROR") || strings.HasPrefix(u, "+CME ERROR")
}

// splitCode splits "+CMTI: "SM",3" into "+CMTI" and `"SM",3`. A line
// without a colon is all code.
func splitCode(line string) (code, args string) {
	if i := strings.IndexByte(line, ':'); i > 0 {
		return asciiUpper(strings.TrimSpace(line[:i])), strings.TrimSpace(line[i+1:])
	}
	return asciiUpper(line), ""
}

// asciiUpper upper-cases ASCII letters only, leaving other bytes (garbage
// included) as they are.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// takesPayload reports whether the line after this code belongs to it.
// +CDS in text mode is one line; in PDU mode it is "+CDS: <length>".
func takesPayload(code, args string) bool {
	switch code {
	case "+CMT", "+CBM":
		return true
	case "+CDS":
		return isDigits(args)
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// commandNames lists the extended command names in a command line:
// "AT+CMEE=1;+CREG=2" gives +CMEE and +CREG. Responses with these
// prefixes belong to the command.
func commandNames(cmd string) []string {
	s := cmd
	if len(s) >= 2 && strings.EqualFold(s[:2], "AT") {
		s = s[2:]
	}
	var names []string
	for _, seg := range strings.Split(s, ";") {
		i := strings.IndexAny(seg, "+^$%*")
		if i < 0 {
			continue
		}
		seg = seg[i:]
		if end := strings.IndexAny(seg, "=?"); end >= 0 {
			seg = seg[:end]
		}
		names = append(names, asciiUpper(strings.TrimSpace(seg)))
	}
	return names
}
