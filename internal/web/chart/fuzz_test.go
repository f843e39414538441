package chart

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSVG draws charts of arbitrary text and values: the output is always
// one well-formed <svg> element with no script, the title reads back as
// given, and an error comes exactly from invalid values or sizes.
func FuzzSVG(f *testing.F) {
	f.Add("近24小时邮件和短信", "09时", `<b>&"`, "邮件", "条", 12.0, 0.5, uint8(0), 0, 0, true)
	f.Add(`</svg><script>alert(1)</script>`, "\x00", "]]>", "<!--", "&amp;", 1e15, 0.0, uint8(1), 240, 160, false)
	f.Add("", "", "", "", "", 0.0, 0.0, uint8(2), 4000, 4000, true)
	f.Add("\xff\xfe", "\r\n", "\t", "\ufffe", "'", 1.0/3, 2.0/3, uint8(1), 360, 200, true)
	f.Fuzz(func(t *testing.T, title, label1, label2, name, unit string, v1, v2 float64, kind uint8, w, h int, two bool) {
		c := Chart{
			Title:   title,
			XLabels: []string{label1, label2},
			Series:  []Series{{Name: name, Values: []float64{v1, v2}}},
			YUnit:   unit,
			Kind:    Kind(kind % 4),
			Width:   w,
			Height:  h,
		}
		if two {
			c.Series = append(c.Series, Series{Name: label2 + name, Values: []float64{v2, v1}})
		}
		out, err := c.SVG()
		bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > MaxValue }
		wantErr := bad(v1) || bad(v2) || c.Kind > StackedBar ||
			(w != 0 && (w < MinWidth || w > MaxWidth)) || (h != 0 && (h < MinHeight || h > MaxHeight)) ||
			(two && c.Kind == StackedBar && v1+v2 > MaxValue)
		if (err != nil) != wantErr {
			t.Fatalf("err = %v, want an error: %v", err, wantErr)
		}
		if err != nil {
			return
		}
		svg := string(out)
		checkXML(t, svg)
		if strings.Contains(strings.ToLower(svg), "<script") {
			t.Fatal("raw <script")
		}
		if again, _ := c.SVG(); again != out {
			t.Fatal("not deterministic")
		}
		// The title reads back as given, when it is valid XML text.
		if title != "" && utf8.ValidString(title) && xmlText(title) {
			root := parse(t, svg)
			if got := root.Children[0].Text; got != title {
				t.Fatalf("title reads %q, want %q", got, title)
			}
		}
	})
}

// xmlText reports whether every rune of s is allowed in XML.
func xmlText(s string) bool {
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D ||
			r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD ||
			r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}
