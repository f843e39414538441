package pdu

import (
	"fmt"
	"unicode/utf16"
)

// Limits of TP-UD: 140 octets, which hold 160 septets.
const (
	maxUDOctets  = 140
	maxUDSeptets = 160
)

// udhSeptets is how many septets a header of n octets (UDHL included)
// occupies in GSM 7-bit user data, fill bits included.
func udhSeptets(n int) int { return (n*8 + 6) / 7 }

// encodeUD builds TP-UDL and TP-UD. udh holds the information elements
// without the UDHL octet; empty means no header. text is used for GSM7 and
// UCS2, data for Binary8.
func encodeUD(enc Encoding, udh []byte, text string, data []byte) (byte, []byte, error) {
	var hdr []byte
	if len(udh) > 0 {
		hdr = append([]byte{byte(len(udh))}, udh...)
	}
	switch enc {
	case GSM7:
		septets, err := encodeGSM7(text)
		if err != nil {
			return 0, nil, err
		}
		start := 0
		if hdr != nil {
			start = udhSeptets(len(hdr))
		}
		total := start + len(septets)
		if total > maxUDSeptets {
			return 0, nil, fmt.Errorf("pdu: %d septets do not fit one SMS (%d)", total, maxUDSeptets)
		}
		ud := packSeptets(septets, start)
		copy(ud, hdr)
		return byte(total), ud, nil
	case UCS2:
		units := utf16.Encode([]rune(text))
		ud := hdr
		for _, u := range units {
			ud = append(ud, byte(u>>8), byte(u))
		}
		if len(ud) > maxUDOctets {
			return 0, nil, fmt.Errorf("pdu: %d octets of UCS2 do not fit one SMS (%d)", len(ud), maxUDOctets)
		}
		return byte(len(ud)), ud, nil
	case Binary8:
		ud := append(hdr, data...)
		if len(ud) > maxUDOctets {
			return 0, nil, fmt.Errorf("pdu: %d octets of data do not fit one SMS (%d)", len(ud), maxUDOctets)
		}
		return byte(len(ud)), ud, nil
	}
	return 0, nil, fmt.Errorf("pdu: unknown encoding %v", enc)
}

// userData is TP-UD taken apart.
type userData struct {
	udh    []byte // information elements without UDHL; nil when none
	concat *Concat
	text   string
	data   []byte // octets after the header, for Binary8 and UCS2
}

// decodeUD reads TP-UDL and TP-UD from r.
func decodeUD(r *reader, enc Encoding, udhi bool) (userData, error) {
	var u userData
	udl, err := r.byte("TP-UDL")
	if err != nil {
		return u, err
	}
	n := int(udl)
	rest := r.rest()
	var octets int
	if enc == GSM7 {
		if n > maxUDSeptets {
			return u, malformed("TP-UDL %d septets exceeds %d", n, maxUDSeptets)
		}
		octets = (n*7 + 7) / 8
	} else {
		if n > maxUDOctets {
			return u, malformed("TP-UDL %d octets exceeds %d", n, maxUDOctets)
		}
		octets = n
	}
	if len(rest) < octets {
		return u, malformed("TP-UDL %d needs %d octets of user data, only %d present", n, octets, len(rest))
	}
	ud := rest[:octets]
	r.off += octets

	body := 0 // first octet after the header
	if udhi {
		if octets == 0 {
			return u, malformed("TP-UDHI set but the user data is empty")
		}
		hl := int(ud[0])
		if 1+hl > octets {
			return u, malformed("user data header length %d exceeds the user data (%d octets)", hl, octets)
		}
		u.udh = append([]byte{}, ud[1:1+hl]...)
		if u.concat, err = parseUDH(u.udh); err != nil {
			return u, err
		}
		body = 1 + hl
	}
	switch enc {
	case GSM7:
		start := 0
		if udhi {
			start = udhSeptets(body)
			if start > n {
				return u, malformed("user data header (%d septets) longer than TP-UDL %d", start, n)
			}
		}
		septets, err := unpackSeptets(ud, start, n-start)
		if err != nil {
			return u, err
		}
		u.text = decodeGSM7(septets)
	case UCS2:
		b := ud[body:]
		if len(b)%2 != 0 {
			return u, malformed("UCS2 user data has an odd number of octets (%d)", len(b))
		}
		u.text = decodeUCS2(b)
		u.data = append([]byte{}, b...)
	default:
		u.data = append([]byte{}, ud[body:]...)
	}
	return u, nil
}

// decodeUCS2 turns UTF-16BE octets into text; an odd last octet is
// dropped (only reassembled parts come here, each checked already).
func decodeUCS2(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(units))
}

// UserData is TP-UD taken apart by DecodeUserData.
type UserData struct {
	Encoding Encoding
	Text     string  // for GSM7 and UCS2
	Data     []byte  // the octets after the header, for Binary8 and UCS2
	UDH      []byte  // information elements without UDHL; nil when none
	Concat   *Concat // the concatenation element of UDH, if any
}

// DecodeUserData decodes TP-UD given apart from its PDU, as a modem in
// text mode (TS 27.005 §3.1, <data>) shows a message coded in UCS2 or
// 8 bits, or one with a header: the octets of TP-UD in hex. dcs is TP-DCS,
// udhi the TP-UDHI bit of the first octet, udl TP-UDL (septets for GSM
// 7-bit, octets otherwise).
func DecodeUserData(dcs byte, udhi bool, udl int, ud []byte) (UserData, error) {
	if udl < 0 || udl > 255 {
		return UserData{}, malformed("TP-UDL %d out of range", udl)
	}
	enc := encodingOf(dcs)
	u, err := decodeUD(&reader{b: append([]byte{byte(udl)}, ud...)}, enc, udhi)
	if err != nil {
		return UserData{}, err
	}
	return UserData{Encoding: enc, Text: u.text, Data: u.data, UDH: u.udh, Concat: u.concat}, nil
}
