package pdu

import "fmt"

// gsm7Basic is the GSM 7-bit default alphabet (TS 23.038 §6.2.1), indexed
// by septet. 0x1B is the escape to the extension table.
var gsm7Basic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

const gsm7Escape = 0x1B

// gsm7Ext is the default extension table (TS 23.038 §6.2.1.1): the septet
// after an escape.
var gsm7Ext = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

var (
	gsm7BasicCode = map[rune]byte{}
	gsm7ExtCode   = map[rune]byte{}
)

func init() {
	for i, r := range gsm7Basic {
		if i != gsm7Escape {
			gsm7BasicCode[r] = byte(i)
		}
	}
	for c, r := range gsm7Ext {
		gsm7ExtCode[r] = c
	}
}

// gsm7Len is the number of septets r takes: 1, 2 for an extension
// character, 0 when r has no GSM 7-bit form.
func gsm7Len(r rune) int {
	if _, ok := gsm7BasicCode[r]; ok {
		return 1
	}
	if _, ok := gsm7ExtCode[r]; ok {
		return 2
	}
	return 0
}

// isGSM7 reports whether every character of s has a GSM 7-bit form.
func isGSM7(s string) bool {
	for _, r := range s {
		if gsm7Len(r) == 0 {
			return false
		}
	}
	return true
}

// encodeGSM7 turns text into septets, escape pairs included.
func encodeGSM7(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if c, ok := gsm7BasicCode[r]; ok {
			out = append(out, c)
		} else if c, ok := gsm7ExtCode[r]; ok {
			out = append(out, gsm7Escape, c)
		} else {
			return nil, fmt.Errorf("pdu: %q has no GSM 7-bit form", r)
		}
	}
	return out, nil
}

// decodeGSM7 turns septets into text. An escape followed by a code the
// extension table lacks shows the default-alphabet character, as TS 23.038
// asks of a receiver; a lone escape at the end is dropped.
func decodeGSM7(septets []byte) string {
	out := make([]rune, 0, len(septets))
	for i := 0; i < len(septets); i++ {
		c := septets[i] & 0x7F
		if c != gsm7Escape {
			out = append(out, gsm7Basic[c])
			continue
		}
		if i+1 >= len(septets) {
			break
		}
		i++
		n := septets[i] & 0x7F
		if r, ok := gsm7Ext[n]; ok {
			out = append(out, r)
		} else if n == gsm7Escape {
			out = append(out, ' ')
		} else {
			out = append(out, gsm7Basic[n])
		}
	}
	return string(out)
}

// packSeptets packs septets starting at septet position start (the
// positions before it are left zero for a user data header, which makes
// the fill bits after the header) and returns ceil((start+n)*7/8) octets.
func packSeptets(septets []byte, start int) []byte {
	total := start + len(septets)
	out := make([]byte, (total*7+7)/8)
	for i, s := range septets {
		s &= 0x7F
		bit := (start + i) * 7
		idx, shift := bit/8, uint(bit%8)
		out[idx] |= s << shift
		if shift > 1 {
			out[idx+1] |= s >> (8 - shift)
		}
	}
	return out
}

// unpackSeptets reads count septets starting at septet position start.
func unpackSeptets(data []byte, start, count int) ([]byte, error) {
	if start < 0 || count < 0 {
		return nil, malformed("negative septet range")
	}
	if need := ((start+count)*7 + 7) / 8; need > len(data) {
		return nil, malformed("%d septets need %d octets, only %d present", start+count, need, len(data))
	}
	out := make([]byte, count)
	for i := range out {
		bit := (start + i) * 7
		idx, shift := bit/8, uint(bit%8)
		v := data[idx] >> shift
		if shift > 1 {
			v |= data[idx+1] << (8 - shift)
		}
		out[i] = v & 0x7F
	}
	return out, nil
}
