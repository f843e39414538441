package searchtext

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/longbridgeapp/opencc"
)

// simplified is the character table of OpenCC's t2s conversion, made
// once on first use (about 0.2 s): every CJK Unified Ideograph whose
// simplified form is one other character.
var simplified = sync.OnceValue(func() map[rune]rune {
	cc, err := opencc.New("t2s")
	if err != nil {
		slog.Warn("searchtext: no traditional-to-simplified table; traditional characters match only themselves", "err", err)
		return nil
	}
	var b strings.Builder
	const lo, hi = 0x4E00, 0x9FFF
	for r := rune(lo); r <= hi; r++ {
		b.WriteRune(r)
		b.WriteByte('\n')
	}
	out, err := cc.Convert(b.String())
	if err != nil {
		slog.Warn("searchtext: no traditional-to-simplified table", "err", err)
		return nil
	}
	m := map[rune]rune{}
	for i, line := range strings.Split(out, "\n") {
		r := rune(lo + i)
		if r > hi {
			break
		}
		if s := []rune(line); len(s) == 1 && s[0] != r {
			m[r] = s[0]
		}
	}
	return m
})

// Simplified is s with each traditional Han character replaced by its
// simplified form, one character for one (so positions in s stay where
// they are): 電子政務 becomes 电子政务. Text indexed and queries folded
// this way find each other whichever form either was written in.
func Simplified(s string) string {
	m := simplified()
	if len(m) == 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if t, ok := m[r]; ok {
			return t
		}
		return r
	}, s)
}
