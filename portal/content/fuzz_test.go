package content

import (
	"slices"
	"strings"

	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzTerms: whatever a visitor types into the search box is split into
// at most 10 terms of valid text, and highlighting with them never lets
// markup through.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"垃圾 分类", `"数字 政府" 建设`, `“引号`, "\x00\xff", `<script>"`, strings.Repeat("政", 300)} {
		f.Add(s, "<p>正文 & 垃圾分类</p>")
	}
	f.Fuzz(func(t *testing.T, q, text string) {
		terms := Terms(q)
		if len(terms) > 10 {
			t.Fatalf("%d terms", len(terms))
		}
		for _, term := range terms {
			if term == "" || utf8.RuneCountInString(term) > 50 {
				t.Fatalf("term %q", term)
			}
		}
		h := string(Highlight(text, terms, 120))
		h = strings.ReplaceAll(strings.ReplaceAll(h, "<mark>", ""), "</mark>", "")
		if strings.ContainsAny(h, "<>") {
			t.Fatalf("Highlight(%q, %q) lets markup through: %q", text, terms, h)
		}
	})
}

// FuzzSanitize: no body an editor sends keeps a script, a handler or an
// outside resource, read as a browser reads it.
func FuzzSanitize(f *testing.F) {
	for _, x := range xss {
		f.Add(x)
	}
	f.Add(`<p>正文<img src="/files/1/a.png" alt="图"></p>`)
	f.Fuzz(func(t *testing.T, body string) {
		out := Sanitize(body)
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "form", "input", "svg", "math", "link", "meta", "base":
				if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
					t.Fatalf("Sanitize(%q) = %q keeps <%s>", body, out, tok.Data)
				}
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"), a.Key == "style", a.Key == "srcdoc":
					t.Fatalf("Sanitize(%q) = %q keeps %s=", body, out, a.Key)
				case (a.Key == "href" || a.Key == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:")):
					t.Fatalf("Sanitize(%q) = %q keeps %s=%s", body, out, a.Key, v)
				case a.Key == "src" && !ownFile.MatchString(a.Val):
					t.Fatalf("Sanitize(%q) = %q keeps an outside image %s", body, out, a.Val)
				}
			}
		}
	})
}

// FuzzFields: whatever an editor's form carries, the checks either refuse
// it with a sentence or pass text that is valid, within its limits and
// free of control characters.
func FuzzFields(f *testing.F) {
	f.Add("标题", "摘要\n第二行", "来源", "2026-03-05", "有效", "秀政发〔2026〕1号")
	f.Add("\x00", "\xff", strings.Repeat("长", 200), "2026-13-45", "作废", "")
	f.Fuzz(func(t *testing.T, title, summary, source, written, validity, number string) {
		for _, kind := range []string{KindList, KindPolicy, KindGuide} {
			out, err := clean(Column{Kind: kind}, Fields{Title: title, Summary: summary, Source: source, Body: summary,
				Policy: &Policy{Written: written, Validity: validity, Number: number}, Guide: &Guide{Matter: title, Materials: summary}})
			if err != nil {
				if CodeOf(err) != "invalid" || err.Error() == "" {
					t.Fatalf("refusal %v", err)
				}
				continue
			}
			for _, v := range []string{out.Title, out.Summary, out.Source} {
				if !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\x7f") {
					t.Fatalf("passed %q", v)
				}
			}
			if utf8.RuneCountInString(out.Title) > 100 || out.Title == "" {
				t.Fatalf("title %q passed", out.Title)
			}
			if kind == KindPolicy && !slices.Contains(Validities, out.Policy.Validity) {
				t.Fatalf("validity %q passed", out.Policy.Validity)
			}
		}
	})
}
