package pdu

import "fmt"

// Concat is the concatenation information element of a user data header
// (TS 23.040 §9.2.3.24.1 and .8): part Seq of Total of the message with
// reference Ref. Ref16 selects IEI 08 (16-bit reference) over IEI 00.
type Concat struct {
	Ref   uint16
	Total int
	Seq   int
	Ref16 bool
}

const (
	ieiConcat8  = 0x00
	ieiConcat16 = 0x08
)

// header returns the information element for c.
func (c *Concat) header() []byte {
	if c.Ref16 {
		return []byte{ieiConcat16, 4, byte(c.Ref >> 8), byte(c.Ref), byte(c.Total), byte(c.Seq)}
	}
	return []byte{ieiConcat8, 3, byte(c.Ref), byte(c.Total), byte(c.Seq)}
}

// forEachIE walks the information elements of a header (without its UDHL
// octet) and fails on one that runs past the end.
func forEachIE(udh []byte, f func(iei byte, data []byte)) error {
	for i := 0; i < len(udh); {
		if i+2 > len(udh) {
			return malformed("user data header: information element at octet %d has no length", i)
		}
		iei, n := udh[i], int(udh[i+1])
		if i+2+n > len(udh) {
			return malformed("user data header: element %02X at octet %d claims %d octets, %d left", iei, i, n, len(udh)-i-2)
		}
		f(iei, udh[i+2:i+2+n])
		i += 2 + n
	}
	return nil
}

// parseUDH finds the concatenation element. An element with the wrong
// length is an error; one with a zero total, a zero part number or a part
// number beyond the total is ignored, as the standard asks.
func parseUDH(udh []byte) (*Concat, error) {
	var c *Concat
	var bad error
	err := forEachIE(udh, func(iei byte, d []byte) {
		switch iei {
		case ieiConcat8:
			if len(d) != 3 {
				bad = malformed("user data header: concatenation element of %d octets, want 3", len(d))
				return
			}
			c = validConcat(&Concat{Ref: uint16(d[0]), Total: int(d[1]), Seq: int(d[2])})
		case ieiConcat16:
			if len(d) != 4 {
				bad = malformed("user data header: 16-bit concatenation element of %d octets, want 4", len(d))
				return
			}
			c = validConcat(&Concat{Ref: uint16(d[0])<<8 | uint16(d[1]), Total: int(d[2]), Seq: int(d[3]), Ref16: true})
		}
	})
	if err != nil {
		return nil, err
	}
	return c, bad
}

func validConcat(c *Concat) *Concat {
	if c.Total == 0 || c.Seq == 0 || c.Seq > c.Total {
		return nil
	}
	return c
}

// buildUDH returns the header (without UDHL) for a concatenation element
// and the other elements of extra; concatenation elements in extra are
// replaced by c.
func buildUDH(c *Concat, extra []byte) ([]byte, error) {
	var out []byte
	if c != nil {
		if c.Total < 1 || c.Total > 255 || c.Seq < 1 || c.Seq > c.Total {
			return nil, fmt.Errorf("pdu: concatenation part %d of %d is out of range", c.Seq, c.Total)
		}
		if !c.Ref16 && c.Ref > 0xFF {
			return nil, fmt.Errorf("pdu: concatenation reference %d needs a 16-bit reference", c.Ref)
		}
		out = c.header()
	}
	err := forEachIE(extra, func(iei byte, d []byte) {
		if c != nil && (iei == ieiConcat8 || iei == ieiConcat16) {
			return
		}
		out = append(append(out, iei, byte(len(d))), d...)
	})
	if err != nil {
		return nil, err
	}
	if len(out) > 139 {
		return nil, fmt.Errorf("pdu: user data header of %d octets does not fit", len(out))
	}
	return out, nil
}
