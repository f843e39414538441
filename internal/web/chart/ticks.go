package chart

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// niceTicks returns the ticks of a y axis from 0 to at least max: round
// steps of 1, 2 or 5 times a power of ten, about target intervals (between
// target*2/3 and target*3/2 or so). With integers, the step is at least 1,
// for counts. A max of 0 or less gives 0 and 1.
func niceTicks(max float64, target int, integers bool) []float64 {
	if !(max > 0) || math.IsInf(max, 0) {
		return []float64{0, 1}
	}
	if target < 1 {
		target = 1
	}
	rough := max / float64(target)
	exp := int(math.Floor(math.Log10(rough)))
	residual := rough / math.Pow(10, float64(exp))
	var mant float64
	switch {
	case residual < 1.5:
		mant = 1
	case residual < 3:
		mant = 2
	case residual < 7:
		mant = 5
	default:
		mant = 10
	}
	if integers && exp < 0 {
		mant, exp = 1, 0
	}
	// value of k steps, computed in one rounding so that 0.1*3 is 0.3.
	at := func(k int) float64 {
		if exp < 0 {
			return float64(k) * mant / math.Pow(10, float64(-exp))
		}
		return float64(k) * mant * math.Pow(10, float64(exp))
	}
	step := at(1)
	n := int(math.Ceil(max/step - 1e-9))
	if n < 1 {
		n = 1
	}
	ticks := make([]float64, n+1)
	for k := range ticks {
		ticks[k] = at(k)
	}
	return ticks
}

// formatNumber writes a value for people: no needless decimals, at most
// four, no exponent ("3", "12.5", "0.25").
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return strconv.FormatInt(int64(v), 10)
	}
	r := math.Round(v*1e4) / 1e4
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// coord writes an SVG coordinate rounded to 0.1.
func coord(v float64) string {
	r := math.Round(v*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// labelStep returns n such that drawing every n-th of count labels, each
// at most labelWidth wide and centred in its slot of slotWidth, leaves at
// least gap between neighbours.
func labelStep(count int, slotWidth, labelWidth, gap float64) int {
	if count <= 1 || slotWidth <= 0 {
		return 1
	}
	step := int(math.Ceil((labelWidth + gap) / slotWidth))
	if step < 1 {
		step = 1
	}
	if step > count {
		step = count
	}
	return step
}

// textWidth estimates the width of s drawn at size: a full em for Chinese
// and other wide characters, a bit over half an em for the rest. It errs
// on the wide side, so that text placed by it does not overlap.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * size
}

func runeWidth(r rune) float64 {
	switch {
	case r < 0x20:
		return 0
	case r == ' ' || r == '.' || r == ',' || r == ':' || r == ';' || r == '|' || r == '!' || r == '\'' || r == 'i' || r == 'l':
		return 0.35
	case r < 0x7f:
		if unicode.IsUpper(r) || r == 'm' || r == 'w' || r == '@' || r == '%' {
			return 0.8
		}
		return 0.6
	case isWide(r):
		return 1
	}
	return 0.7
}

// isWide reports whether r is drawn a full em wide: CJK, kana, hangul,
// full-width forms and CJK punctuation.
func isWide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115f) ||
		(r >= 0x2e80 && r <= 0xa4cf) ||
		(r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0xfe30 && r <= 0xfe4f) ||
		(r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) ||
		(r >= 0x1f300 && r <= 0x1faff) ||
		(r >= 0x20000 && r <= 0x3fffd)
}

// fitText shortens s with "…" so that it is at most maxWidth wide at
// size. Invalid UTF-8 is left for the escaping to replace.
func fitText(s string, size, maxWidth float64) string {
	if textWidth(s, size) <= maxWidth {
		return s
	}
	limit := maxWidth - size // room for the ellipsis
	var b strings.Builder
	w := 0.0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		w += runeWidth(r) * size
		if w > limit {
			break
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	b.WriteString("…")
	return b.String()
}
