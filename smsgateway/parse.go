package smsgateway

import (
	"strconv"
	"strings"

	"nanhu/smsgateway/at"
)

// The readers of AT responses the gateway acts on. Each takes the lines
// at.Conn.Command returned (echo and unsolicited codes already removed)
// and never panics on what a confused modem may say instead.

// findPrefixed returns the parameters of the first line starting with
// prefix ("+CSQ").
func findPrefixed(lines []string, prefix string) ([]string, bool) {
	for _, l := range lines {
		if hasPrefixFold(l, prefix+":") {
			return at.Params(l), true
		}
	}
	return nil, false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// parseCMGS reads the message reference of "+CMGS: <mr>[,<scts>]".
func parseCMGS(lines []string) (int, bool) {
	p, ok := findPrefixed(lines, "+CMGS")
	if !ok || len(p) == 0 {
		return 0, false
	}
	mr, ok := atoi(p[0])
	if !ok || mr < 0 || mr > 255 {
		return 0, false
	}
	return mr, true
}

// parseCSQ reads "+CSQ: <rssi>,<ber>": rssi 0–31, 99 for unknown.
func parseCSQ(lines []string) (rssi int, ok bool) {
	p, ok := findPrefixed(lines, "+CSQ")
	if !ok || len(p) < 1 {
		return 0, false
	}
	rssi, ok = atoi(p[0])
	if !ok || rssi < 0 || (rssi > 31 && rssi != 99) {
		return 0, false
	}
	return rssi, true
}

// parseCREG reads the registration status of "+CREG: <n>,<stat>[,…]".
// 1 (home) and 5 (roaming) are registered.
func parseCREG(lines []string) (stat int, ok bool) {
	p, ok := findPrefixed(lines, "+CREG")
	if !ok || len(p) < 2 {
		return 0, false
	}
	stat, ok = atoi(p[1])
	if !ok || stat < 0 || stat > 10 {
		return 0, false
	}
	return stat, true
}

func registered(stat int) bool { return stat == 1 || stat == 5 }

// cregText names a +CREG status.
func cregText(stat int) string {
	switch stat {
	case 0:
		return "not registered, not searching"
	case 1:
		return "registered, home network"
	case 2:
		return "not registered, searching"
	case 3:
		return "registration denied"
	case 4:
		return "registration unknown"
	case 5:
		return "registered, roaming"
	}
	return "registration status " + strconv.Itoa(stat)
}

// parseCPIN reads "+CPIN: READY" / "+CPIN: SIM PIN".
func parseCPIN(lines []string) (string, bool) {
	for _, l := range lines {
		if hasPrefixFold(l, "+CPIN:") {
			return strings.ToUpper(strings.TrimSpace(l[len("+CPIN:"):])), true
		}
	}
	return "", false
}

// parseCOPS reads the operator name of `+COPS: 0,0,"CHINA MOBILE"`.
func parseCOPS(lines []string) string {
	p, ok := findPrefixed(lines, "+COPS")
	if !ok || len(p) < 3 {
		return ""
	}
	return p[2]
}

// parseIndication reads `"SM",3` of +CMTI and +CDSI.
func parseIndication(args []string) (mem string, index int, ok bool) {
	if len(args) < 2 {
		return "", 0, false
	}
	index, ok = atoi(args[1])
	if !ok || index < 0 {
		return "", 0, false
	}
	mem = strings.ToUpper(strings.TrimSpace(args[0]))
	if mem == "" || len(mem) > 4 {
		return "", 0, false
	}
	return mem, index, true
}

// stored is one message in a modem's memory, as AT+CMGL or AT+CMGR
// list it in PDU mode.
type stored struct {
	Index int
	Stat  int // 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT
	PDU   string
}

// parseCMGL reads the listing of AT+CMGL in PDU mode: a line
// "+CMGL: <index>,<stat>,[<alpha>],<length>" and the PDU on the next.
// Entries whose PDU line is missing are skipped.
func parseCMGL(lines []string) []stored {
	var out []stored
	for i := 0; i < len(lines); i++ {
		if !hasPrefixFold(lines[i], "+CMGL:") {
			continue
		}
		p := at.Params(lines[i])
		if len(p) < 2 || i+1 >= len(lines) || !isHex(lines[i+1]) {
			continue
		}
		idx, ok1 := atoi(p[0])
		stat, ok2 := atoi(p[1])
		if !ok1 || !ok2 || idx < 0 {
			continue
		}
		i++
		out = append(out, stored{Index: idx, Stat: stat, PDU: strings.TrimSpace(lines[i])})
	}
	return out
}

// parseCMGR reads the answer to AT+CMGR=<index> in PDU mode:
// "+CMGR: <stat>,[<alpha>],<length>" and the PDU. ok is false for an
// empty place (some modems answer OK alone).
func parseCMGR(index int, lines []string) (stored, bool) {
	for i, l := range lines {
		if !hasPrefixFold(l, "+CMGR:") {
			continue
		}
		p := at.Params(l)
		if len(p) < 1 || i+1 >= len(lines) || !isHex(lines[i+1]) {
			return stored{}, false
		}
		stat, ok := atoi(p[0])
		if !ok {
			return stored{}, false
		}
		return stored{Index: index, Stat: stat, PDU: strings.TrimSpace(lines[i+1])}, true
	}
	return stored{}, false
}

func isHex(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
