package pdu

import "unicode/utf16"

// Header sizes: UDHL plus a concatenation element with an 8-bit (IEI 00)
// or a 16-bit (IEI 08) reference.
const (
	concatIE8  = 5
	concatIE16 = 6
)

// capacity is how much of text one part holds when its user data header
// is hdr octets long, UDHL included (0 for none): septets for GSM7, UTF-16
// units for UCS2, octets for Binary8.
func capacity(enc Encoding, hdr int) int {
	switch enc {
	case GSM7:
		if hdr == 0 {
			return maxUDSeptets
		}
		return maxUDSeptets - udhSeptets(hdr)
	case UCS2:
		return (maxUDOctets - hdr) / 2
	}
	return maxUDOctets - hdr
}

// Split cuts text into the parts of a concatenated SMS with 8-bit
// references and tells which alphabet they use: GSM7 when every character
// has a GSM 7-bit form (an extension character counts two septets), else
// UCS2, or UCS2 always when forceUCS2. A text that fits one SMS (160
// septets, 70 UTF-16 units) comes back whole; a longer one in parts of 153
// septets or 67 units. An escape pair or a surrogate pair is never cut.
// The empty text is one empty part.
func Split(text string, forceUCS2 bool) (parts []string, enc Encoding) {
	return splitText(text, forceUCS2, 0, concatIE8)
}

// splitText is Split for parts that also carry extra octets of other
// header elements and a concatenation element of concatIE octets.
func splitText(text string, forceUCS2 bool, extra, concatIE int) ([]string, Encoding) {
	enc := UCS2
	if !forceUCS2 && isGSM7(text) {
		enc = GSM7
	}
	cost := func(r rune) int {
		if enc == GSM7 {
			return gsm7Len(r)
		}
		if n := utf16.RuneLen(r); n > 0 {
			return n
		}
		return 1 // invalid runes go out as U+FFFD
	}
	single := 0
	if extra > 0 {
		single = 1 + extra
	}
	total := 0
	for _, r := range text {
		total += cost(r)
	}
	if total <= capacity(enc, single) {
		return []string{text}, enc
	}
	per := capacity(enc, 1+extra+concatIE)
	var parts []string
	start, n := 0, 0
	for i, r := range text {
		c := cost(r)
		if n+c > per {
			parts = append(parts, text[start:i])
			start, n = i, 0
		}
		n += c
	}
	return append(parts, text[start:]), enc
}
