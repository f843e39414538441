package pdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Encoding is the alphabet of the user data, from the TP-DCS octet.
type Encoding byte

const (
	// GSM7 is the GSM 7-bit default alphabet with its extension table,
	// packed eight septets into seven octets.
	GSM7 Encoding = iota
	// Binary8 is 8-bit data, carried as is in Data.
	Binary8
	// UCS2 is UTF-16BE; surrogate pairs carry characters beyond the BMP.
	UCS2
)

func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "GSM7"
	case Binary8:
		return "8bit"
	case UCS2:
		return "UCS2"
	}
	return fmt.Sprintf("Encoding(%d)", byte(e))
}

// dcs is the TP-DCS octet for e in the general data coding group, no class.
func (e Encoding) dcs() byte {
	switch e {
	case Binary8:
		return 0x04
	case UCS2:
		return 0x08
	}
	return 0x00
}

// EncodingOf is the alphabet a TP-DCS octet means (TS 23.038 §4).
func EncodingOf(dcs byte) Encoding { return encodingOf(dcs) }

// encodingOf reads the alphabet from a TP-DCS octet (TS 23.038 §4).
// Compressed user data cannot be turned into text, so it is handed over as
// Binary8; reserved alphabets are read as GSM7, as the standard asks.
func encodingOf(dcs byte) Encoding {
	switch dcs >> 4 {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7: // general and auto-deletion groups
		if dcs&0x20 != 0 {
			return Binary8
		}
		switch (dcs >> 2) & 0x03 {
		case 1:
			return Binary8
		case 2:
			return UCS2
		}
		return GSM7
	case 0xE: // message waiting, store, UCS2
		return UCS2
	case 0xF: // data coding / message class
		if dcs&0x04 != 0 {
			return Binary8
		}
		return GSM7
	}
	return GSM7 // 0x8–0xB reserved, 0xC and 0xD message waiting in GSM7
}

// PDU is one encoded SMS as the modem takes it.
type PDU struct {
	// Hex is the whole PDU in upper-case hex, SMSC field included.
	Hex string
	// TPDULen is the length in octets without the SMSC field: the <n>
	// of AT+CMGS=<n> and AT+CMGW=<n>.
	TPDULen int
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed PDU")

func malformed(format string, a ...any) error {
	return fmt.Errorf("pdu: %w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// TP-MTI values (the two low bits of the first TPDU octet).
const (
	mtiDeliver      = 0x00
	mtiSubmit       = 0x01
	mtiStatusReport = 0x02
)

// parseHex turns the AT-line form into octets. Spaces and line ends around
// it are ignored.
func parseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, malformed("empty PDU")
	}
	if len(s)%2 != 0 {
		return nil, malformed("odd number of hex digits (%d)", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, malformed("not hex: %v", err)
	}
	return b, nil
}

// reader walks a PDU octet by octet; every read is bounds-checked and names
// the field it was after.
type reader struct {
	b   []byte
	off int
}

func (r *reader) byte(field string) (byte, error) {
	if r.off >= len(r.b) {
		return 0, malformed("%s missing: PDU ends at octet %d", field, r.off)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n int, field string) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, malformed("%s needs %d octets at octet %d, only %d left", field, n, r.off, len(r.b)-r.off)
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *reader) rest() []byte { return r.b[r.off:] }

// splitSMSC reads the SMSC field off the front of a whole PDU and returns
// the service centre and a reader positioned at the TPDU.
func splitSMSC(s string) (smsc string, r *reader, err error) {
	b, err := parseHex(s)
	if err != nil {
		return "", nil, err
	}
	r = &reader{b: b}
	smsc, err = decodeSMSC(r)
	if err != nil {
		return "", nil, err
	}
	if r.off >= len(r.b) {
		return "", nil, malformed("no TPDU after the SMSC field")
	}
	return smsc, r, nil
}

func toPDU(smsc, tpdu []byte) PDU {
	return PDU{
		Hex:     strings.ToUpper(hex.EncodeToString(smsc) + hex.EncodeToString(tpdu)),
		TPDULen: len(tpdu),
	}
}

// DecodeMT decodes a PDU the modem hands over (+CMGR, +CMGL, +CMT, +CDS)
// and returns a Deliver or a StatusReport according to its TP-MTI. A stored
// SMS-SUBMIT, which AT+CMGL=4 lists too, comes back as a Submit.
func DecodeMT(hexPDU string) (any, error) {
	_, r, err := splitSMSC(hexPDU)
	if err != nil {
		return nil, err
	}
	var v any
	switch mti := r.b[r.off] & 0x03; mti {
	case mtiDeliver:
		v, err = DecodeDeliver(hexPDU)
	case mtiStatusReport:
		v, err = DecodeStatusReport(hexPDU)
	case mtiSubmit:
		v, err = DecodeSubmit(hexPDU)
	default:
		err = malformed("reserved TP-MTI %d", mti)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// EnsureSMSC puts an empty SMSC field ("00") in front of a PDU that has
// none. Some modems leave the field out of +CMT and +CDS; the <length> they
// give counts TPDU octets, so a PDU of exactly tpduLen octets lacks it.
func EnsureSMSC(hexPDU string, tpduLen int) string {
	hexPDU = strings.TrimSpace(hexPDU)
	if tpduLen > 0 && len(hexPDU) == 2*tpduLen {
		return "00" + hexPDU
	}
	return hexPDU
}
