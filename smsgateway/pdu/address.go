package pdu

import (
	"fmt"
	"strings"
)

// Type-of-address octets (TS 23.040 §9.1.2.5): bit 7 set, type of number in
// bits 6–4, numbering plan in bits 3–0.
const (
	TypeUnknown       byte = 0x81 // unknown TON, ISDN/E.164 plan
	TypeInternational byte = 0x91 // international number: shown with "+"
	TypeNational      byte = 0xA1 // national number
	TypeAlphanumeric  byte = 0xD0 // TON 101: GSM 7-bit packed text
)

func tonOf(toa byte) byte { return (toa >> 4) & 0x07 }

const (
	tonInternational = 1
	tonAlphanumeric  = 5
)

// maxAddressDigits is the longest address value: 10 octets.
const maxAddressDigits = 20

// bcdDigit maps a semi-octet to its character; 0xF is the filler.
const bcdDigits = "0123456789*#abc"

func bcdValue(c rune) (byte, bool) {
	if i := strings.IndexRune(bcdDigits, c); i >= 0 {
		return byte(i), true
	}
	if c >= 'A' && c <= 'C' {
		return byte(c-'A') + 0xC, true
	}
	return 0, false
}

// isDialable reports whether s (after an optional "+") is only semi-octet
// digits.
func isDialable(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if _, ok := bcdValue(c); !ok {
			return false
		}
	}
	return true
}

// addressType picks the type of address for s when the caller gave none:
// "+digits" is international, digits alone unknown, anything else
// alphanumeric.
func addressType(s string, toa byte) byte {
	if toa != 0 {
		return toa | 0x80
	}
	switch {
	case strings.HasPrefix(s, "+") && isDialable(s):
		return TypeInternational
	case isDialable(s):
		return TypeUnknown
	}
	return TypeAlphanumeric
}

// packBCD packs digits two to an octet, low semi-octet first, F-filled.
func packBCD(digits string) ([]byte, error) {
	out := make([]byte, 0, (len(digits)+1)/2)
	for i, c := range digits {
		v, ok := bcdValue(c)
		if !ok {
			return nil, fmt.Errorf("pdu: %q is not a digit of a phone number", c)
		}
		if i%2 == 0 {
			out = append(out, 0xF0|v)
		} else {
			out[len(out)-1] = out[len(out)-1]&0x0F | v<<4
		}
	}
	return out, nil
}

// unpackBCD reads n semi-octets; fillers inside are skipped.
func unpackBCD(b []byte, n int) string {
	var sb strings.Builder
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2]
		if i%2 == 0 {
			v &= 0x0F
		} else {
			v >>= 4
		}
		if v < 0xF {
			sb.WriteByte(bcdDigits[v])
		}
	}
	return sb.String()
}

// encodeAddress builds a TP-OA / TP-DA / TP-RA field: length in useful
// semi-octets, type of address, value.
func encodeAddress(addr string, toa byte) ([]byte, error) {
	toa = addressType(addr, toa)
	if tonOf(toa) == tonAlphanumeric {
		septets, err := encodeGSM7(addr)
		if err != nil {
			return nil, fmt.Errorf("pdu: alphanumeric address %q: %w", addr, err)
		}
		semi := (len(septets)*7 + 3) / 4
		if semi > maxAddressDigits {
			return nil, fmt.Errorf("pdu: alphanumeric address %q is longer than 11 characters", addr)
		}
		return append([]byte{byte(semi), toa}, packSeptets(septets, 0)...), nil
	}
	digits := addr
	if tonOf(toa) == tonInternational {
		digits = strings.TrimPrefix(digits, "+")
	}
	if len(digits) > maxAddressDigits {
		return nil, fmt.Errorf("pdu: address %q has more than %d digits", addr, maxAddressDigits)
	}
	v, err := packBCD(digits)
	if err != nil {
		return nil, fmt.Errorf("pdu: address %q: %w", addr, err)
	}
	return append([]byte{byte(len(digits)), toa}, v...), nil
}

// decodeAddress reads a TP-OA / TP-DA / TP-RA field.
func decodeAddress(r *reader, field string) (string, byte, error) {
	n, err := r.byte(field + " length")
	if err != nil {
		return "", 0, err
	}
	if n > maxAddressDigits {
		return "", 0, malformed("%s length %d semi-octets exceeds %d", field, n, maxAddressDigits)
	}
	toa, err := r.byte(field + " type")
	if err != nil {
		return "", 0, err
	}
	v, err := r.bytes((int(n)+1)/2, field)
	if err != nil {
		return "", 0, err
	}
	return addressValue(v, int(n), toa), toa, nil
}

// addressValue renders an address value of n semi-octets.
func addressValue(v []byte, n int, toa byte) string {
	switch tonOf(toa) {
	case tonAlphanumeric:
		septets, _ := unpackSeptets(v, 0, n*4/7) // n*4/7 septets always fit
		return trimAlphaPadding(decodeGSM7(septets))
	case tonInternational:
		return "+" + unpackBCD(v, n)
	}
	return unpackBCD(v, n)
}

// trimAlphaPadding drops what some senders put after the last character of
// an alphanumeric address to fill its last octet: '@' (zero bits), CR (the
// TS 23.038 filler) and '_' (0x11, seen in operator captures such as O2's
// "O2" sent as 6 semi-octets).
func trimAlphaPadding(s string) string {
	return strings.TrimRight(s, "@\r_")
}

// encodeSMSC builds the SMSC field: "00" for none, else the length in
// octets (type included), the type and the BCD digits.
func encodeSMSC(smsc string) ([]byte, error) {
	if smsc == "" {
		return []byte{0}, nil
	}
	toa := TypeUnknown
	digits := smsc
	if strings.HasPrefix(smsc, "+") {
		toa, digits = TypeInternational, smsc[1:]
	}
	if len(digits) > maxAddressDigits {
		return nil, fmt.Errorf("pdu: SMSC %q has more than %d digits", smsc, maxAddressDigits)
	}
	v, err := packBCD(digits)
	if err != nil {
		return nil, fmt.Errorf("pdu: SMSC %q: %w", smsc, err)
	}
	return append([]byte{byte(1 + len(v)), toa}, v...), nil
}

func decodeSMSC(r *reader) (string, error) {
	n, err := r.byte("SMSC length")
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	if n > 11 {
		return "", malformed("SMSC length %d octets exceeds 11", n)
	}
	toa, err := r.byte("SMSC type")
	if err != nil {
		return "", err
	}
	v, err := r.bytes(int(n)-1, "SMSC address")
	if err != nil {
		return "", err
	}
	return addressValue(v, len(v)*2, toa), nil
}
