package pdu

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// size is what a part costs: septets for GSM7, UTF-16 units for UCS2.
func size(s string, enc Encoding) int {
	if enc == UCS2 {
		return len(utf16.Encode([]rune(s)))
	}
	n := 0
	for _, r := range s {
		n += gsm7Len(r)
	}
	return n
}

func TestSplitBoundaries(t *testing.T) {
	a, zh := strings.Repeat, "测"
	tests := []struct {
		name  string
		text  string
		force bool
		enc   Encoding
		sizes []int
	}{
		{"empty", "", false, GSM7, []int{0}},
		{"160", a("a", 160), false, GSM7, []int{160}},
		{"161", a("a", 161), false, GSM7, []int{153, 8}},
		{"153x2", a("a", 306), false, GSM7, []int{153, 153}},
		{"153x2+1", a("a", 307), false, GSM7, []int{153, 153, 1}},
		{"extension fills 160", a("a", 158) + "€", false, GSM7, []int{160}},
		{"extension makes 161", a("a", 159) + "€", false, GSM7, []int{153, 8}},
		{"escape pair not cut", a("a", 152) + "€" + a("b", 10), false, GSM7, []int{152, 12}},
		{"escape pair just fits", a("a", 151) + "€" + a("b", 10), false, GSM7, []int{153, 10}},
		{"70", a(zh, 70), false, UCS2, []int{70}},
		{"71", a(zh, 71), false, UCS2, []int{67, 4}},
		{"67x2", a(zh, 134), false, UCS2, []int{67, 67}},
		{"67x2+1", a(zh, 135), false, UCS2, []int{67, 67, 1}},
		{"surrogate fills 70", a(zh, 68) + "😀", false, UCS2, []int{70}},
		{"surrogate makes 71", a(zh, 69) + "😀", false, UCS2, []int{67, 4}},
		{"surrogate pair not cut", a(zh, 66) + "😀" + a(zh, 10), false, UCS2, []int{66, 12}},
		{"surrogate pair just fits", a(zh, 65) + "𠀀" + a(zh, 10), false, UCS2, []int{67, 10}},
		{"one Chinese char makes UCS2", a("a", 100) + zh, false, UCS2, []int{67, 34}},
		{"forced", a("a", 71), true, UCS2, []int{67, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, enc := Split(tt.text, tt.force)
			if enc != tt.enc {
				t.Errorf("encoding %v, want %v", enc, tt.enc)
			}
			var sizes []int
			for _, p := range parts {
				sizes = append(sizes, size(p, enc))
			}
			if !equalInts(sizes, tt.sizes) {
				t.Errorf("part sizes %v, want %v", sizes, tt.sizes)
			}
			if strings.Join(parts, "") != tt.text {
				t.Error("parts do not join to the text")
			}
			// Every part encodes; the concatenated ones with their header.
			pdus, err := EncodeSubmit("+8613800000000", tt.text, SubmitOptions{ForceUCS2: tt.force})
			if err != nil || len(pdus) != len(parts) {
				t.Errorf("EncodeSubmit: %d PDUs, %v", len(pdus), err)
			}
		})
	}
}

func TestSplitRef16(t *testing.T) {
	tests := []struct {
		text  string
		sizes []int
	}{
		{strings.Repeat("a", 160), []int{160}},
		{strings.Repeat("a", 161), []int{152, 9}},
		{strings.Repeat("测", 70), []int{70}},
		{strings.Repeat("测", 71), []int{66, 5}},
	}
	for _, tt := range tests {
		pdus, err := EncodeSubmit("+8613800000000", tt.text, SubmitOptions{Ref16: true, ConcatRef: 0x1234})
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, p := range pdus {
			s, err := DecodeSubmit(p.Hex)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, size(s.Text, s.Encoding))
		}
		if !equalInts(sizes, tt.sizes) {
			t.Errorf("%d chars: sizes %v, want %v", len([]rune(tt.text)), sizes, tt.sizes)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
