// Package searchtext is how Nanhu searches Chinese text: the mail store's
// index, and the portal's and OA's next. It folds text for comparison
// (lower case, full-width forms as ASCII), turns it into index tokens, and
// turns a query term into the SQLite FTS expression that finds it.
//
// Chinese is written without spaces, and SQLite's own tokenizers cannot
// find a two-character word inside a run of Han characters, so every run of
// Han (and kana/hangul) characters is indexed as its overlapping bigrams,
// and every other run of letters and digits as one word in lower case. A
// query term is turned into the same bigrams joined as a phrase, which
// finds it wherever the text contains it: no dictionary, no missed word,
// and a two-character word such as 政务 is found inside 电子政务建设.
package searchtext

import (
	"strings"
	"unicode"
)

// IsCJK reports whether r is written without spaces between words.
func IsCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// Tokens returns the index tokens of s separated by spaces: overlapping
// bigrams of each CJK run followed by its last character (a lone character
// stands for itself), and every
// other run of letters and digits in lower case. Full-width forms are folded
// to their ASCII equivalents first.
func Tokens(s string) string {
	var out strings.Builder
	out.Grow(len(s) * 2)
	emit := func(tok string) {
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(tok)
	}
	var run []rune // current CJK run
	var word strings.Builder
	flushRun := func() {
		switch len(run) {
		case 0:
		case 1:
			emit(string(run))
		default:
			for i := 0; i+1 < len(run); i++ {
				emit(string(run[i : i+2]))
			}
			// The last character alone, so that a one-character query
			// (a prefix match) finds it at the end of a run too.
			emit(string(run[len(run)-1]))
		}
		run = run[:0]
	}
	flushWord := func() {
		if word.Len() > 0 {
			emit(word.String())
			word.Reset()
		}
	}
	for _, r := range s {
		r = foldWidth(r)
		switch {
		case IsCJK(r):
			flushWord()
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushRun()
			word.WriteRune(unicode.ToLower(r))
		default:
			flushRun()
			flushWord()
		}
	}
	flushRun()
	flushWord()
	return out.String()
}

// Fold is the case- and width-folded form of s in which searches compare
// text: lower case, full-width ASCII as ASCII. A term folded the same way is
// a substring of Fold(text) exactly when a careful reader would say the
// text contains it.
func Fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(foldWidth(r)) }, s)
}

// foldWidth maps full-width ASCII (ＡＢＣ１２３) to ASCII.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + 0x21
	}
	if r == 0x3000 {
		return ' '
	}
	return r
}

// MatchQuery returns the SQLite FTS MATCH expression that finds term: its
// tokens as one phrase. It returns "" when term has no indexable characters,
// and the caller must then fall back to scanning.
func MatchQuery(term string) string {
	toks := Tokens(term)
	if toks == "" {
		return ""
	}
	if r := []rune(toks); len(r) == 1 && IsCJK(r[0]) {
		return toks + "*"
	}
	// A multi-character CJK term is its bigrams and then its last character;
	// drop that trailing unigram so the phrase also matches mid-run.
	fields := strings.Fields(toks)
	if n := len(fields); n >= 2 {
		last := []rune(fields[n-1])
		prev := []rune(fields[n-2])
		if len(last) == 1 && IsCJK(last[0]) && len(prev) == 2 && prev[1] == last[0] {
			fields = fields[:n-1]
		}
	}
	return `"` + strings.Join(fields, " ") + `"`
}

// Contains reports whether text contains term once both are folded: the
// exact answer that an index lookup narrows down.
func Contains(text, term string) bool {
	return strings.Contains(Fold(text), Fold(term))
}
