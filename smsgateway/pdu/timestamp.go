package pdu

import (
	"fmt"
	"time"
)

// Two-digit years: 00–79 are 2000–2079, 80–99 are 1980–1999. The pivot is
// fixed so that a PDU decodes the same in every year.
const pivotYear = 80

func swapBCD(v int) byte { return byte(v/10) | byte(v%10)<<4 }

// encodeTimestamp writes a service-centre time stamp (TS 23.040 §9.2.3.11):
// seven swapped semi-octet pairs, the last the zone in quarter hours with
// the sign in bit 3 of its first semi-octet.
func encodeTimestamp(t time.Time) ([]byte, error) {
	y := t.Year()
	if y < 1900+pivotYear || y >= 2000+pivotYear {
		return nil, fmt.Errorf("pdu: year %d cannot be written with two digits (%d–%d)", y, 1900+pivotYear, 1999+pivotYear)
	}
	_, off := t.Zone()
	neg := off < 0
	if neg {
		off = -off
	}
	q := (off + 450) / 900 // nearest quarter hour
	if q > 79 {
		return nil, fmt.Errorf("pdu: time zone offset %v is beyond ±19:45", time.Duration(off)*time.Second)
	}
	tz := swapBCD(q)
	if neg {
		tz |= 0x08
	}
	return []byte{
		swapBCD(y % 100), swapBCD(int(t.Month())), swapBCD(t.Day()),
		swapBCD(t.Hour()), swapBCD(t.Minute()), swapBCD(t.Second()), tz,
	}, nil
}

// decodeTimestamp reads seven octets written by encodeTimestamp.
func decodeTimestamp(r *reader, field string) (time.Time, error) {
	b, err := r.bytes(7, field)
	if err != nil {
		return time.Time{}, err
	}
	var v [6]int
	for i := range 6 {
		lo, hi := int(b[i]&0x0F), int(b[i]>>4)
		if lo > 9 || hi > 9 {
			return time.Time{}, malformed("%s: octet %d (%02X) is not two decimal digits", field, i+1, b[i])
		}
		v[i] = lo*10 + hi
	}
	year := 2000 + v[0]
	if v[0] >= pivotYear {
		year = 1900 + v[0]
	}
	month, day, hour, minute, sec := v[1], v[2], v[3], v[4], v[5]
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, malformed("%s: %02d-%02d-%02d %02d:%02d:%02d is not a time", field, v[0], month, day, hour, minute, sec)
	}
	tzLo, tzHi := int(b[6]&0x07), int(b[6]>>4)
	if tzHi > 9 {
		return time.Time{}, malformed("%s: zone octet %02X is not decimal", field, b[6])
	}
	off := (tzLo*10 + tzHi) * 15 * 60
	if b[6]&0x08 != 0 {
		off = -off
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, zone(off)), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// zone names a fixed offset the way people write it: "+08:00", "-03:30".
func zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	sign, a := '+', off
	if a < 0 {
		sign, a = '-', -a
	}
	return time.FixedZone(fmt.Sprintf("%c%02d:%02d", sign, a/3600, a%3600/60), off)
}

// Relative validity period (TS 23.040 §9.2.3.12.1).
const maxValidity = 63 * 7 * 24 * time.Hour

// encodeValidity gives the smallest TP-VP octet that lasts at least d
// (capped at 63 weeks, the longest there is).
func encodeValidity(d time.Duration) byte {
	switch {
	case d <= 0:
		return 0
	case d <= 12*time.Hour:
		return byte(ceilDiv(d, 5*time.Minute) - 1)
	case d <= 24*time.Hour:
		return byte(143 + ceilDiv(d-12*time.Hour, 30*time.Minute))
	case d <= 30*24*time.Hour:
		return byte(166 + ceilDiv(d, 24*time.Hour))
	case d <= maxValidity:
		return byte(192 + ceilDiv(d, 7*24*time.Hour))
	}
	return 255
}

func ceilDiv(d, unit time.Duration) int64 { return int64((d + unit - 1) / unit) }

// decodeValidity is the duration a TP-VP octet stands for.
func decodeValidity(vp byte) time.Duration {
	v := time.Duration(vp)
	switch {
	case vp <= 143:
		return (v + 1) * 5 * time.Minute
	case vp <= 167:
		return 12*time.Hour + (v-143)*30*time.Minute
	case vp <= 196:
		return (v - 166) * 24 * time.Hour
	}
	return (v - 192) * 7 * 24 * time.Hour
}

// RelativeValidity is the relative TP-VP octet that lasts at least d (0
// for d ≤ 5 minutes, 255 for 63 weeks and longer). Text mode (TS 27.005)
// takes it as the <vp> of AT+CSMP.
func RelativeValidity(d time.Duration) byte { return encodeValidity(d) }
