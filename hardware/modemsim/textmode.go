package modemsim

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Text mode (AT+CMGF=1) as TS 27.005 §3.1, §3.4 and §3.5.1 have it:
//
//   - A message is shown by its fields: +CMGR: <stat>,<oa>,,<scts> and,
//     after AT+CSDH=1, ,<tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>;
//     +CMGL: <index>,<stat>,<oa>,,<scts> and ,<tooa>,<length>; +CMT like
//     +CMGR without <stat>. Addresses are in the TE character set.
//   - <data>, the line after, is the text in the TE character set when the
//     message is GSM 7-bit without a user data header; otherwise (UCS2,
//     8-bit, or a header) it is TP-UD in hex, header included, whatever
//     the character set. <length> counts the characters of a text; for
//     hex user data it is TP-UDL (octets, or septets of GSM 7-bit).
//   - AT+CMGS="<da>" takes text the same way, as AT+CSMP's <fo> and <dcs>
//     say: hex user data for UCS2 and 8-bit (and a header when <fo> has
//     TP-UDHI; for GSM 7-bit that is not simulated: +CMS ERROR: 303), text
//     in the TE character set otherwise, which must fit the GSM 7-bit
//     alphabet (+CMS ERROR: 305 when it does not, or is too long).
//
// The header fields are read from the stored PDU itself; when the codec's
// PDUs are not real ones (this package's tests), they are made up from
// what the codec decoded.

// Alphabets of a TP-DCS (TS 23.038 §4).
const (
	alphaGSM7 = iota
	alpha8bit
	alphaUCS2
)

func dcsAlphabet(dcs int) int {
	switch dcs >> 4 & 0x0F {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7:
		if dcs&0x20 != 0 { // compressed: no text the modem could show
			return alpha8bit
		}
		switch dcs >> 2 & 0x03 {
		case 1:
			return alpha8bit
		case 2:
			return alphaUCS2
		}
	case 0xE:
		return alphaUCS2
	case 0xF:
		if dcs&0x04 != 0 {
			return alpha8bit
		}
	}
	return alphaGSM7
}

// The GSM 7-bit default alphabet (TS 23.038 §6.2.1) and the characters of
// its extension table, which take two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// gsmSeptets is how many septets text takes in GSM 7-bit; false when a
// character has no GSM 7-bit form.
func gsmSeptets(text string) (int, bool) {
	n := 0
	for _, r := range text {
		switch {
		case r != 0x1b && strings.ContainsRune(gsmBasic, r):
			n++
		case strings.ContainsRune(gsmExtension, r):
			n += 2
		default:
			return 0, false
		}
	}
	return n, true
}

// tpdu is what text mode shows of a stored PDU besides its text.
type tpdu struct {
	sca          string // service centre, "+…" when international
	tosca        int
	fo, pid, dcs int
	toa          int // type of the originating (or destination) address
	udl          int // TP-UDL: septets for GSM 7-bit, octets otherwise
	ud           []byte
}

// parseTPDU reads the header fields and TP-UD of an SMS-DELIVER or
// SMS-SUBMIT PDU; false when it is not one.
func parseTPDU(hexPDU string) (tpdu, bool) {
	var t tpdu
	b, err := hex.DecodeString(hexPDU)
	if err != nil || len(b) < 2 {
		return t, false
	}
	i := 0
	take := func(n int) ([]byte, bool) {
		if n < 0 || i+n > len(b) {
			return nil, false
		}
		p := b[i : i+n]
		i += n
		return p, true
	}
	octet := func() (int, bool) {
		p, ok := take(1)
		if !ok {
			return 0, false
		}
		return int(p[0]), true
	}
	smsc, _ := octet()
	if smsc > 0 {
		f, ok := take(smsc)
		if !ok {
			return t, false
		}
		t.tosca = int(f[0])
		t.sca = bcdDigits(f[1:], 2*(len(f)-1))
		if t.tosca&0x70 == 0x10 {
			t.sca = "+" + t.sca
		}
	}
	var ok bool
	if t.fo, ok = octet(); !ok {
		return t, false
	}
	mti := t.fo & 0x03
	if mti == 1 { // SMS-SUBMIT: TP-MR
		if _, ok = take(1); !ok {
			return t, false
		}
	} else if mti != 0 {
		return t, false
	}
	digits, ok1 := octet()
	toa, ok2 := octet()
	if !ok1 || !ok2 {
		return t, false
	}
	t.toa = toa
	if _, ok = take((digits + 1) / 2); !ok {
		return t, false
	}
	pid, ok1 := octet()
	dcs, ok2 := octet()
	if !ok1 || !ok2 {
		return t, false
	}
	t.pid, t.dcs = pid, dcs
	stamp := 7 // SMS-DELIVER: TP-SCTS
	if mti == 1 {
		switch t.fo >> 3 & 0x03 { // TP-VPF
		case 0:
			stamp = 0
		case 2:
			stamp = 1
		}
	}
	if _, ok = take(stamp); !ok {
		return t, false
	}
	udl, ok := octet()
	if !ok {
		return t, false
	}
	t.udl = udl
	n := udl
	if dcsAlphabet(dcs) == alphaGSM7 {
		n = (udl*7 + 7) / 8
	}
	if t.ud, ok = take(n); !ok || i != len(b) {
		return t, false
	}
	return t, true
}

// bcdDigits reads up to n semi-octets of a number, fillers left out.
func bcdDigits(b []byte, n int) string {
	var sb strings.Builder
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2] & 0x0F
		if i%2 == 1 {
			v = b[i/2] >> 4
		}
		if v < 10 {
			sb.WriteByte('0' + v)
		} else if v < 15 {
			sb.WriteByte("*#abc"[v-10])
		}
	}
	return sb.String()
}

// textView is a stored or arriving SMS as text mode shows it.
type textView struct {
	addr         string // in the TE character set, unquoted
	toa          int
	fo, pid, dcs int
	sca          string // in the TE character set
	tosca        int
	data         string
	length       int
}

// viewLocked shows the SMS-DELIVER or SMS-SUBMIT in hexPDU, whose address
// and text the codec decoded.
func (s *Sim) viewLocked(hexPDU, addr, text string, concat Concat) textView {
	v := textView{addr: s.teStringLocked(addr)}
	t, real := parseTPDU(hexPDU)
	if !real {
		// Made up from the decoded text: UCS2 unless it fits GSM 7-bit,
		// a header when it is one part of several.
		t = tpdu{fo: 0x04, toa: toaOf(addr), sca: s.opts.SMSC, tosca: toaOf(s.opts.SMSC)}
		if _, gsm := gsmSeptets(text); !gsm {
			t.dcs = 8
		}
		var udh []byte
		if concat.Total > 1 {
			t.fo |= 0x40
			t.dcs = 8
			udh = []byte{5, 0, 3, byte(concat.Ref), byte(concat.Total), byte(concat.Seq)}
		}
		t.ud = append(udh, utf16BE(text)...)
		t.udl = len(t.ud)
	}
	v.toa, v.fo, v.pid, v.dcs, v.tosca = t.toa, t.fo, t.pid, t.dcs, t.tosca
	v.sca = s.teStringLocked(t.sca)
	if dcsAlphabet(t.dcs) == alphaGSM7 && t.fo&0x40 == 0 {
		v.data, v.length = s.teStringLocked(text), utf8.RuneCountInString(text)
	} else {
		// TP-UDL: septets of GSM 7-bit user data, which its octets alone
		// do not tell.
		v.data, v.length = strings.ToUpper(hex.EncodeToString(t.ud)), t.udl
	}
	return v
}

// details is the tail AT+CSDH=1 adds to +CMGR and +CMT.
func (v textView) details() string {
	return fmt.Sprintf(",%d,%d,%d,%d,%s,%d,%d", v.toa, v.fo, v.pid, v.dcs, quote(v.sca), v.tosca, v.length)
}

func utf16BE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return b
}

// renderTextLocked renders one stored message for +CMGL (index > 0) or
// +CMGR in text mode.
func (s *Sim) renderTextLocked(prefix string, index int, m *message) []string {
	head := prefix + ": "
	if index > 0 {
		head += strconv.Itoa(index) + ","
	}
	head += quote(statNames[m.stat]) + ","
	csdh := s.set.csdh == 1
	switch m.kind {
	case kindReport:
		return []string{fmt.Sprintf("%s6,%d,%s,%d,%s,%s,%d", head, m.mr, quote(s.teStringLocked(m.recipient)), toaOf(m.recipient), quote(scts(m.scts)), quote(scts(m.dt)), m.st)}
	case kindSubmit:
		sub, err := s.codec.DecodeSubmit(m.pdu)
		if err != nil {
			return []string{head + `"",`, ""}
		}
		v := s.viewLocked(m.pdu, sub.To, sub.Text, sub.Concat)
		switch {
		case index > 0 && csdh:
			return []string{fmt.Sprintf("%s%s,,,%d,%d", head, quote(v.addr), v.toa, v.length), v.data}
		case index > 0:
			return []string{fmt.Sprintf("%s%s,,", head, quote(v.addr)), v.data}
		case csdh:
			// <toda>,<fo>,<pid>,<dcs>,[<vp>],<sca>,<tosca>,<length>
			return []string{fmt.Sprintf("%s%s,,%d,%d,%d,%d,,%s,%d,%d", head, quote(v.addr), v.toa, v.fo, v.pid, v.dcs, quote(v.sca), v.tosca, v.length), v.data}
		}
		return []string{fmt.Sprintf("%s%s,", head, quote(v.addr)), v.data}
	}
	d, err := s.codec.DecodeDeliver(m.pdu)
	if err != nil {
		return []string{head + `"",,""`, ""}
	}
	v := s.viewLocked(m.pdu, d.From, d.Text, d.Concat)
	line := fmt.Sprintf("%s%s,,%s", head, quote(v.addr), quote(scts(d.At)))
	switch {
	case index > 0 && csdh:
		line += fmt.Sprintf(",%d,%d", v.toa, v.length)
	case csdh:
		line += v.details()
	}
	return []string{line, v.data}
}

// cmtTextLocked is a +CMT in text mode for an arriving SMS-DELIVER.
func (s *Sim) cmtTextLocked(hexPDU string, d Deliver) []string {
	v := s.viewLocked(hexPDU, d.From, d.Text, d.Concat)
	line := fmt.Sprintf("+CMT: %s,,%s", quote(v.addr), quote(scts(d.At)))
	if s.set.csdh == 1 {
		line += v.details()
	}
	return []string{line, v.data}
}

// sendText is AT+CMGS in text mode, after Ctrl-Z: the text is read as
// AT+CSMP's first octet and coding say.
func (s *Sim) sendText(to, data string) ([]string, string) {
	s.mu.Lock()
	fo, dcs := s.set.csmp[0], s.set.csmp[3]
	sub := Submit{To: to, StatusReport: fo&0x20 != 0}
	alphabet, udhi := dcsAlphabet(dcs), fo&0x40 != 0
	var text string
	good := true
	if alphabet == alphaGSM7 && !udhi {
		text, good = s.fromTELocked(data)
	}
	s.mu.Unlock()
	if !good {
		return nil, s.cms(305)
	}
	if alphabet == alphaGSM7 && udhi {
		return nil, s.cms(303) // a header with GSM 7-bit text is not simulated
	}
	if alphabet == alphaGSM7 {
		if n, gsm := gsmSeptets(text); !gsm || n > 160 {
			return nil, s.cms(305)
		}
		sub.Text = text
		return s.carry(sub, "", true, "text", "+CMGS")
	}
	ud, err := hex.DecodeString(strings.Join(strings.Fields(data), ""))
	if err != nil || len(ud) > 140 {
		return nil, s.cms(305)
	}
	body := ud
	if udhi {
		if len(ud) == 0 || 1+int(ud[0]) > len(ud) {
			return nil, s.cms(305)
		}
		sub.Concat = concatOf(ud[1 : 1+int(ud[0])])
		body = ud[1+int(ud[0]):]
	}
	if alphabet == alphaUCS2 {
		if len(body)%2 != 0 {
			return nil, s.cms(305)
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		}
		sub.Text = string(utf16.Decode(u))
	} else {
		sub.Text = fmt.Sprintf("(%d octets of binary data)", len(body))
	}
	return s.carry(sub, "", true, "text", "+CMGS")
}

// concatOf finds the concatenation element (IEI 00 or 08) of a user data
// header.
func concatOf(udh []byte) Concat {
	for i := 0; i+2 <= len(udh); {
		iei, n := udh[i], int(udh[i+1])
		d := udh[i+2:]
		if n > len(d) {
			break
		}
		d = d[:n]
		switch {
		case iei == 0 && n == 3:
			return Concat{Ref: uint16(d[0]), Total: int(d[1]), Seq: int(d[2])}
		case iei == 8 && n == 4:
			return Concat{Ref: uint16(d[0])<<8 | uint16(d[1]), Total: int(d[2]), Seq: int(d[3])}
		}
		i += 2 + n
	}
	return Concat{}
}
