package smsgateway

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"nanhu/smsgateway/pdu"
)

// The readers of text mode (AT+CMGF=1, TS 27.005 §3.1, §3.4.3, §4.1),
// where a modem shows each SMS by its fields instead of its PDU:
//
//	+CMGR: <stat>,<oa>,[<alpha>],<scts>[,<tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>]
//	<data>
//	+CMGR: <stat>,<fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>   (a status report)
//	+CMGL: <index>,<stat>,<oa>,[<alpha>],[<scts>][,<tooa>,<length>]
//	<data>
//	+CMGL: <index>,<stat>,<fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>
//	+CMT: <oa>,[<alpha>],<scts>[,<tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>]
//	<data>
//	+CDS: <fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>
//
// The bracketed tail of +CMGR and +CMT comes after AT+CSDH=1. Strings are
// in the TE character set of AT+CSCS (four hex digits a character after
// AT+CSCS="UCS2"); <data> of a message coded in UCS2 or 8 bits, or with a
// user data header, is its TP-UD in hex whatever the character set.
// textRecord.pdu rebuilds the PDU the network delivered from these
// fields, so that a message read in text mode is decoded, joined, matched
// and stored exactly as one read in PDU mode. Like the PDU-mode readers in
// parse.go, none of this panics on what a confused modem may say.

// What a text-mode record is.
const (
	textDeliver = iota + 1 // an SMS-DELIVER: a received SMS
	textReport             // an SMS-STATUS-REPORT
	textSubmit             // a stored SMS-SUBMIT (STO UNSENT, STO SENT): not the gateway's
)

// textRecord is one SMS or status report as a modem in text mode shows
// it, its strings still in the TE character set.
type textRecord struct {
	Kind  int
	Index int    // the memory index: listed by +CMGL, or asked of +CMGR
	Stat  string // "REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"; "" for +CMT and +CDS

	Addr     string // <oa>, <da> of a stored SMS-SUBMIT, or <ra> of a report
	AddrType int    // <tooa>, <toda>, <tora>; 0 when not shown
	SCTS     string // the service centre's time stamp, "yy/MM/dd,hh:mm:ss±zz"

	// Details: the fields AT+CSDH=1 adds to +CMGR and +CMT are here.
	Details      bool
	FO, PID, DCS int
	SCA          string // <sca>: the service centre
	SCAType      int
	Length       int    // <length>; -1 when not shown
	Data         string // the line after the header, as given

	// A status report's.
	MR     int
	DT     string // discharge time
	Status int    // TP-ST
}

// textField is one parameter of a text-mode header line.
type textField struct {
	v      string
	quoted bool
}

// splitFields splits a header's parameters at commas outside double
// quotes; a time stamp "26/11/25,10:00:00+32" stays whole.
func splitFields(s string) []textField {
	var out []textField
	var cur strings.Builder
	inQuotes, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuotes, quoted = !inQuotes, true
		case r == ',' && !inQuotes:
			out = append(out, textField{strings.TrimSpace(cur.String()), quoted})
			cur.Reset()
			quoted = false
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, textField{strings.TrimSpace(cur.String()), quoted})
}

// num is an unquoted whole number field.
func (f textField) num() (int, bool) {
	if f.quoted {
		return 0, false
	}
	return atoi(f.v)
}

// octet is an unquoted number field of 0–255.
func (f textField) octet() (int, bool) {
	n, ok := f.num()
	return n, ok && n >= 0 && n <= 255
}

var textStats = [...]string{"REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"}

// textStat reads a <stat>: the text-mode names, or the PDU-mode numbers
// some modems give in text mode too.
func textStat(f textField) (string, bool) {
	if n, ok := f.num(); ok {
		if n >= 0 && n < len(textStats) {
			return textStats[n], true
		}
		return "", false
	}
	u := strings.ToUpper(f.v)
	for _, s := range textStats {
		if u == s {
			return s, true
		}
	}
	return "", false
}

// isReportFields tells a status report's fields (<fo>,<mr>,…, seven or
// more, the first two unquoted numbers) from an SMS's (<oa>,… quoted).
func isReportFields(f []textField) bool {
	if len(f) < 7 {
		return false
	}
	_, ok1 := f[0].octet()
	_, ok2 := f[1].octet()
	return ok1 && ok2
}

// reportRecord reads <fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>.
func reportRecord(f []textField) (textRecord, bool) {
	r := textRecord{Kind: textReport, Length: -1}
	if !isReportFields(f) {
		return r, false
	}
	var ok bool
	r.FO, _ = f[0].octet()
	r.MR, _ = f[1].octet()
	r.Addr = f[2].v
	if f[3].v != "" {
		if r.AddrType, ok = f[3].octet(); !ok {
			return r, false
		}
	}
	r.SCTS, r.DT = f[4].v, f[5].v
	if r.Status, ok = f[6].octet(); !ok {
		return r, false
	}
	return r, true
}

// smsRecord reads the fields of an SMS after <stat> (+CMGR, +CMGL) or
// those of +CMT, with data the line that followed.
func smsRecord(stat string, f []textField, data string) (textRecord, bool) {
	r := textRecord{Kind: textDeliver, Stat: stat, Length: -1, Data: data}
	if stat == "STO UNSENT" || stat == "STO SENT" {
		r.Kind = textSubmit
		if len(f) > 0 {
			r.Addr = f[0].v
		}
		return r, true
	}
	// <oa>,[<alpha>],<scts>: +CMGL may leave the time stamp out, but an
	// SMS that arrived has one.
	if len(f) < 3 || f[2].v == "" {
		return r, false
	}
	r.Addr, r.SCTS = f[0].v, f[2].v
	if len(f) > 3 && f[3].v != "" {
		t, ok := f[3].octet()
		if !ok {
			return r, false
		}
		r.AddrType = t
	}
	switch {
	case len(f) >= 10: // +CMGR and +CMT after AT+CSDH=1
		var ok [4]bool
		r.FO, ok[0] = f[4].octet()
		r.PID, ok[1] = f[5].octet()
		r.DCS, ok[2] = f[6].octet()
		r.SCA = f[7].v
		r.SCAType, ok[3] = f[8].octet()
		if f[8].v == "" {
			ok[3] = true
		}
		if ok != [4]bool{true, true, true, true} {
			return r, false
		}
		r.Details = true
		if n, good := f[9].num(); good && n >= 0 {
			r.Length = n
		}
	case len(f) == 5: // +CMGL after AT+CSDH=1: <tooa>,<length>
		if n, good := f[4].num(); good && n >= 0 {
			r.Length = n
		}
	}
	return r, true
}

// parseTextCMGR reads the answer to AT+CMGR=<index> in text mode. ok is
// false for an empty place (some modems answer OK alone) and for what
// cannot be read.
func parseTextCMGR(index int, lines []string) (textRecord, bool) {
	for i, l := range lines {
		if !hasPrefixFold(l, "+CMGR:") {
			continue
		}
		f := splitFields(l[len("+CMGR:"):])
		stat, ok := textStat(f[0])
		if !ok {
			return textRecord{}, false
		}
		var r textRecord
		if isReportFields(f[1:]) {
			r, ok = reportRecord(f[1:])
		} else {
			data := ""
			if i+1 < len(lines) {
				data = lines[i+1]
			}
			r, ok = smsRecord(stat, f[1:], data)
		}
		r.Index, r.Stat = index, stat
		return r, ok
	}
	return textRecord{}, false
}

// parseTextCMGL reads the listing of AT+CMGL in text mode. An SMS whose
// data line is missing (an empty SMS: modems send no empty line) has
// empty data; entries that cannot be read are skipped.
func parseTextCMGL(lines []string) []textRecord {
	var out []textRecord
	for i := 0; i < len(lines); i++ {
		if !hasPrefixFold(lines[i], "+CMGL:") {
			continue
		}
		f := splitFields(lines[i][len("+CMGL:"):])
		if len(f) < 3 {
			continue
		}
		idx, ok1 := f[0].num()
		stat, ok2 := textStat(f[1])
		if !ok1 || !ok2 || idx < 0 {
			continue
		}
		var r textRecord
		var ok bool
		if isReportFields(f[2:]) {
			r, ok = reportRecord(f[2:])
		} else {
			data := ""
			if i+1 < len(lines) && !hasPrefixFold(lines[i+1], "+CMGL:") {
				i++
				data = lines[i]
			}
			r, ok = smsRecord(stat, f[2:], data)
		}
		if ok {
			r.Index, r.Stat = idx, stat
			out = append(out, r)
		}
	}
	return out
}

// parseTextCMT reads a +CMT routed in text mode: its parameters and the
// data line the AT driver gave as its payload.
func parseTextCMT(args, payload string) (textRecord, bool) {
	f := splitFields(args)
	if isReportFields(f) {
		return textRecord{}, false
	}
	return smsRecord("", f, payload)
}

// parseTextCDS reads a +CDS routed in text mode: one line.
func parseTextCDS(args string) (textRecord, bool) {
	return reportRecord(splitFields(args))
}

// parseTextTime reads a text-mode time stamp, "yy/MM/dd,hh:mm:ss±zz" with
// the zone in quarter hours. Two-digit years are read as package pdu
// reads them: 00–79 are 2000–2079, 80–99 1980–1999.
func parseTextTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 19 || len(s) > 20 {
		return time.Time{}, false
	}
	var v [6]int
	for i := range v {
		p := s[3*i : 3*i+2]
		n, ok := atoi(p)
		if !ok || p[0] < '0' || p[0] > '9' {
			return time.Time{}, false
		}
		if sep := s[3*i+2]; i < 5 && sep != "//,::"[i] {
			return time.Time{}, false
		}
		v[i] = n
	}
	sign := s[17]
	zz, ok := atoi(s[18:])
	if !ok || (sign != '+' && sign != '-') || s[18] < '0' || s[18] > '9' || zz > 79 {
		return time.Time{}, false
	}
	year := 2000 + v[0]
	if v[0] >= 80 {
		year = 1900 + v[0]
	}
	month, day := v[1], v[2]
	if month < 1 || month > 12 || day < 1 || day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() ||
		v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	off := zz * 15 * 60
	if sign == '-' {
		off = -off
	}
	return time.Date(year, time.Month(month), day, v[3], v[4], v[5], 0, time.FixedZone("", off)), true
}

// fromUCS2Hex decodes a string of AT+CSCS="UCS2": UTF-16 code units, four
// hex digits each.
func fromUCS2Hex(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s)%4 != 0 {
		return "", false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u)), true
}

// toUCS2Hex is s as AT+CSCS="UCS2" gives strings, and as text mode takes
// UCS2 user data whatever the character set: UTF-16BE in upper-case hex.
func toUCS2Hex(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// teAddress is an address in the TE character set as text. Some modems
// give numbers plainly whatever AT+CSCS says, so with UCS2 a string that
// does not decode to printable characters is taken as it is.
func teAddress(s string, ucs2 bool, toa int) string {
	if ucs2 {
		if t, ok := fromUCS2Hex(s); ok && printable(t) {
			s = t
		}
	}
	// An international number without its "+" (type of number 1).
	if toa&0x70 == 0x10 && s != "" && !strings.HasPrefix(s, "+") && isDigitsOnly(s) {
		s = "+" + s
	}
	return s
}

// teText is a GSM 7-bit text in the TE character set as text.
func teText(s string, ucs2 bool) string {
	if ucs2 {
		if t, ok := fromUCS2Hex(s); ok {
			return t
		}
	}
	return s
}

func printable(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func isDigitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// errSubmit: a stored SMS-SUBMIT has no PDU the gateway takes.
var errSubmit = errors.New("a stored SMS-SUBMIT")

// pdu rebuilds the PDU, SMSC field first, that the record shows: ucs2 is
// whether the TE character set is UCS2. The same record read twice (by
// AT+CMGR or by AT+CMGL, unread or read) gives the same PDU, so sms.db
// recognises a message read again.
func (r textRecord) pdu(ucs2 bool) (string, error) {
	switch r.Kind {
	case textDeliver:
		return r.deliverPDU(ucs2)
	case textReport:
		return r.reportPDU(ucs2)
	}
	return "", errSubmit
}

func (r textRecord) deliverPDU(ucs2 bool) (string, error) {
	at, ok := parseTextTime(r.SCTS)
	if !ok {
		return "", fmt.Errorf("unreadable time stamp %q", r.SCTS)
	}
	d := pdu.Deliver{From: teAddress(r.Addr, ucs2, r.AddrType), Timestamp: at}
	if r.AddrType&0x70 == 0x50 { // alphanumeric
		d.FromType = byte(r.AddrType)
	}
	if d.From == "" {
		return "", errors.New("no originating address")
	}
	if !r.Details {
		d.Text = teText(r.Data, ucs2)
		return encodeDeliver(d)
	}
	fo, dcs := byte(r.FO), byte(r.DCS)
	d.PID, d.DCS = byte(r.PID), dcs
	d.MoreToSend = fo&0x04 == 0
	d.StatusReportIndication = fo&0x20 != 0
	d.ReplyPath = fo&0x80 != 0
	d.SMSC = teAddress(r.SCA, ucs2, r.SCAType)
	enc, udhi := pdu.EncodingOf(dcs), fo&0x40 != 0
	if enc == pdu.GSM7 && !udhi {
		d.Encoding, d.Text = pdu.GSM7, teText(r.Data, ucs2)
		if p, err := encodeDeliver(d); err == nil {
			return p, nil
		}
		// A text the modem turned into characters GSM 7-bit lacks: kept
		// whole, in UCS2.
		d.DCS = 0
		return encodeDeliver(d)
	}
	ud, err := hex.DecodeString(strings.TrimSpace(r.Data))
	if err != nil {
		return "", fmt.Errorf("user data is not hex: %w", err)
	}
	udl := len(ud)
	if enc == pdu.GSM7 {
		// Septets: <length> when it fits the octets given (modems give
		// TP-UDL there), else as many as the octets hold.
		udl = len(ud) * 8 / 7
		if r.Length > 0 && (r.Length*7+7)/8 == len(ud) {
			udl = r.Length
		}
	}
	u, err := pdu.DecodeUserData(dcs, udhi, udl, ud)
	if err != nil {
		return "", err
	}
	d.Encoding, d.Text, d.UDH, d.Concat = u.Encoding, u.Text, u.UDH, u.Concat
	if u.Encoding == pdu.Binary8 {
		d.Data = u.Data
	}
	return encodeDeliver(d)
}

// encodeDeliver encodes d; a service centre address that does not encode
// is left out rather than losing the message.
func encodeDeliver(d pdu.Deliver) (string, error) {
	p, err := d.Encode()
	if err != nil && d.SMSC != "" {
		d.SMSC = ""
		p, err = d.Encode()
	}
	return p.Hex, err
}

func (r textRecord) reportPDU(ucs2 bool) (string, error) {
	scts, ok1 := parseTextTime(r.SCTS)
	dt, ok2 := parseTextTime(r.DT)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("unreadable time stamps %q, %q", r.SCTS, r.DT)
	}
	s := pdu.StatusReport{
		MessageRef: byte(r.MR), Recipient: teAddress(r.Addr, ucs2, r.AddrType), SCTS: scts, Discharge: dt,
		Status: byte(r.Status), MoreToSend: r.FO&0x04 == 0, Qualifier: r.FO&0x20 != 0,
	}
	if r.AddrType&0x70 == 0x50 {
		s.RecipientType = byte(r.AddrType)
	}
	p, err := pdu.EncodeStatusReport(s)
	return p.Hex, err
}

// key stands for a record whose PDU cannot be rebuilt, in sms.db's place
// for the PDU: the same for every reading of the same message.
func (r textRecord) key() string {
	if r.Kind == textReport {
		return fmt.Sprintf("text-mode report: fo %d, mr %d, %q, %q, %q, st %d", r.FO, r.MR, r.Addr, r.SCTS, r.DT, r.Status)
	}
	return fmt.Sprintf("text-mode SMS: %q, %q, %q", r.Addr, r.SCTS, r.Data)
}

// plainGSM reports whether text can be typed as it is after
// AT+CSCS="GSM": every character one whose GSM 7-bit code is its ASCII
// code (no @, $, _, no extension character, no line break or other
// control character) and no blank at either end, which the AT driver
// trims from what it writes.
func plainGSM(text string) bool {
	if text == "" || text != strings.TrimSpace(text) {
		return false
	}
	for _, c := range text {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.ContainsRune(` !"#%&'()*+,-./:;<=>?`, c):
		default:
			return false
		}
	}
	return true
}
