package searchtext

import (
	"strings"
	"testing"
)

func TestTokensAndQuery(t *testing.T) {
	tests := []struct {
		text, query string
		match       bool
	}{
		{"关于加强电子政务建设的通知", "电子政务", true},
		{"关于加强电子政务建设的通知", "政务", true},
		{"关于加强电子政务建设的通知", "通知", true},
		{"关于加强电子政务建设的通知", "知", true},
		{"关于加强电子政务建设的通知", "子政务建", true},
		{"关于加强电子政务建设的通知", "政府", false},
		{"Ｎａｎｈｕ 南湖 Mail", "nanhu", true},
		{"会议纪要2026", "纪要2026", true},
	}
	for _, tt := range tests {
		toks := strings.Fields(Tokens(tt.text))
		q := MatchQuery(tt.query)
		got := phraseIn(toks, q)
		if got != tt.match {
			t.Errorf("%q in %q: got %v want %v (tokens %q, query %s)", tt.query, tt.text, got, tt.match, toks, q)
		}
	}
}

// phraseIn evaluates a MatchQuery result the way FTS does: a phrase of
// consecutive tokens, or a single prefix term.
func phraseIn(toks []string, q string) bool {
	if strings.HasSuffix(q, "*") {
		p := strings.TrimSuffix(q, "*")
		for _, t := range toks {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
		return false
	}
	want := strings.Fields(strings.Trim(q, `"`))
	for i := 0; i+len(want) <= len(toks); i++ {
		ok := true
		for j, w := range want {
			if toks[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestFoldAndContains(t *testing.T) {
	tests := []struct {
		text, term string
		want       bool
	}{
		{"ＮＡＮＨＵ　邮件", "nanhu 邮件", true},
		{"关于加强电子政务建设的通知", "电子政务", true},
		{"关于加强电子政务建设的通知", "政府", false},
		{"Report 2026", "REPORT", true},
	}
	for _, tt := range tests {
		if got := Contains(tt.text, tt.term); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v", tt.text, tt.term, got)
		}
	}
	if MatchQuery("!!! ，。") != "" {
		t.Error("a term without letters gave a query")
	}
}

// FuzzMatchQuery: whatever a searcher types, the query finds the term in
// a text made of it, and is a well-formed FTS phrase or prefix.
func FuzzMatchQuery(f *testing.F) {
	for _, s := range []string{"电子政务", "政", "nanhu 2026", "Ｎａｎ", "\"*", "纪要2026", "한국어", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, term string) {
		q := MatchQuery(term)
		if q == "" {
			return
		}
		if strings.Count(q, `"`) != 0 && strings.Count(q, `"`) != 2 {
			t.Fatalf("query %q has stray quotes", q)
		}
		if !phraseIn(strings.Fields(Tokens(term)), q) {
			t.Fatalf("the query %s of %q does not find the term itself (tokens %q)", q, term, Tokens(term))
		}
	})
}

func TestSimplified(t *testing.T) {
	for in, want := range map[string]string{
		"電子政務與垃圾分類":  "电子政务与垃圾分类",
		"电子政务":       "电子政务",
		"臺灣 ABC 123": "台湾 ABC 123",
		"":           "",
	} {
		if got := Simplified(in); got != want {
			t.Errorf("Simplified(%q) = %q, want %q", in, got, want)
		}
		if len([]rune(Simplified(in))) != len([]rune(in)) {
			t.Errorf("Simplified(%q) changed the length", in)
		}
	}
}
