package content

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"nanhu/internal/searchtext"
)

// Query is a search of the portal.
type Query struct {
	// Text is what the visitor typed: words separated by spaces, all of
	// which must be found, and "quoted phrases" found as written.
	Text     string
	Column   int64  // 0: every column
	Section  string // "": every section
	From, To time.Time
	Limit    int
	Offset   int
}

// Hit is a search result.
type Hit struct {
	ID        int64
	Title     template.HTML // escaped, the terms in <mark>
	Snippet   template.HTML // a piece of the text around the first term
	Column    int64
	Published time.Time
}

// Results are a search's answer.
type Results struct {
	Terms []string
	Total int
	Hits  []Hit
}

// Terms splits a query into its terms: quoted phrases as they are (their
// spaces between Chinese characters dropped, since Chinese is written
// without them), the rest at spaces. At most 10 terms of 50 characters.
func Terms(q string) []string {
	q = strings.Map(func(r rune) rune {
		switch r {
		case '“', '”', '＂':
			return '"'
		case '\u3000':
			return ' '
		}
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, q)
	var out []string
	add := func(t string, phrase bool) {
		t = strings.TrimSpace(t)
		if phrase {
			t = joinCJK(t)
		}
		if t == "" || len(out) >= 10 {
			return
		}
		if utf8.RuneCountInString(t) > 50 {
			t = string([]rune(t)[:50])
		}
		for _, o := range out {
			if o == t {
				return
			}
		}
		out = append(out, t)
	}
	for i, part := range strings.Split(q, `"`) {
		if i%2 == 1 {
			add(part, true)
			continue
		}
		for _, w := range strings.Fields(part) {
			add(w, false)
		}
	}
	return out
}

// joinCJK drops the spaces between two Chinese characters.
func joinCJK(s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for i, c := range r {
		if c == ' ' && i > 0 && i+1 < len(r) && searchtext.IsCJK(r[i-1]) && searchtext.IsCJK(r[i+1]) {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// weights are the columns' weights in the ranking: a title match counts
// ten times a body match, an attachment's text half as much.
var weights = [3]float64{10, 1, 0.5}

// Search finds the published articles that hold every term of q, the
// best first (BM25 over the index's match statistics, title above body
// above attachments; the newer first among equals).
func (s *Store) Search(ctx context.Context, q Query) (Results, error) {
	res := Results{Terms: Terms(q.Text)}
	var match []string
	for _, t := range res.Terms {
		if m := searchtext.MatchQuery(searchtext.Simplified(t)); m != "" {
			match = append(match, m)
		}
	}
	if len(match) == 0 {
		return res, nil
	}
	if q.Limit <= 0 || q.Limit > 50 {
		q.Limit = 10
	}
	where := `search MATCH ?`
	args := []any{strings.Join(match, " ")} // FTS4's standard syntax: terms side by side must all be there
	if q.Column != 0 {
		where += ` AND l.column_id = ?`
		args = append(args, q.Column)
	}
	if q.Section != "" {
		where += ` AND c.section = ?`
		args = append(args, q.Section)
	}
	if !q.From.IsZero() {
		where += ` AND l.published_at >= ?`
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where += ` AND l.published_at < ?`
		args = append(args, q.To.UnixMilli())
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT search.docid, matchinfo(search, 'pcnalx'), l.published_at
		FROM search JOIN live l ON l.id = search.docid JOIN columns c ON c.id = l.column_id WHERE `+where, args...)
	if err != nil {
		return res, fmt.Errorf("portal: search %q: %w", q.Text, err)
	}
	type ranked struct {
		id    int64
		score float64
		pub   int64
	}
	var all []ranked
	for rows.Next() {
		var r ranked
		var info []byte
		if err := rows.Scan(&r.id, &info, &r.pub); err != nil {
			rows.Close()
			return res, err
		}
		r.score = bm25(info)
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("portal: search %q: %w", q.Text, err)
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(b.pub, a.pub)
	})
	res.Total = len(all)
	if q.Offset >= len(all) {
		return res, nil
	}
	for _, r := range all[q.Offset:min(len(all), q.Offset+q.Limit)] {
		var js string
		var col int64
		if err := s.db.Reader().QueryRowContext(ctx, `SELECT column_id, fields FROM live WHERE id = ?`, r.id).Scan(&col, &js); err != nil {
			return res, fmt.Errorf("portal: search hit %d: %w", r.id, err)
		}
		var f Fields
		if err := json.Unmarshal([]byte(js), &f); err != nil {
			return res, err
		}
		res.Hits = append(res.Hits, Hit{ID: r.id, Column: col, Published: fromMS(r.pub),
			Title: Highlight(f.Title, res.Terms, 0), Snippet: Highlight(snippetText(f, res.Terms), res.Terms, 120)})
	}
	return res, nil
}

// snippetText is the text a hit's snippet is cut from: the body, or all
// that search reads when no term is in the body.
func snippetText(f Fields, terms []string) string {
	body := PlainText(f.Body)
	for _, t := range terms {
		if strings.Contains(fold(body), fold(t)) {
			return body
		}
	}
	return searchBody(f)
}

// bm25 is Okapi BM25 (k1 1.2, b 0.75) of one row from FTS4's
// matchinfo 'pcnalx': phrases p, columns c, rows n, the columns' average
// lengths a, this row's lengths l, and per phrase and column this row's
// hits, all rows' hits and the rows with a hit (x).
func bm25(info []byte) float64 {
	v := func(i int) float64 {
		if 4*i+4 > len(info) {
			return 0
		}
		return float64(binary.NativeEndian.Uint32(info[4*i:]))
	}
	const k1, b = 1.2, 0.75
	p, c, n := int(v(0)), int(v(1)), v(2)
	score := 0.0
	for i := 0; i < p; i++ {
		for j := 0; j < c && j < len(weights); j++ {
			x := 3 + 2*c + 3*(i*c+j)
			tf, docs := v(x), v(x+2)
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (n-docs+0.5)/(docs+0.5))
			avg, length := v(3+j), v(3+c+j)
			norm := 1.0
			if avg > 0 {
				norm = 1 - b + b*length/avg
			}
			score += weights[j] * idf * tf * (k1 + 1) / (tf + k1*norm)
		}
	}
	return score
}

// fold is text as search compares it: case, width and traditional forms
// folded, one character for one.
func fold(s string) string { return searchtext.Fold(searchtext.Simplified(s)) }

// Highlight is text escaped with every term in <mark>, folded as search
// folds (case, full-width forms, traditional characters). With width > 0
// it is a piece of about width characters around the first term found
// (the start when none).
func Highlight(text string, terms []string, width int) template.HTML {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	folded := []rune(fold(text)) // rune for rune: fold maps one to one
	marked := make([]bool, len(r))
	first := -1
	for _, t := range terms {
		ft := []rune(fold(t))
		if len(ft) == 0 {
			continue
		}
		for i := 0; i+len(ft) <= len(folded); i++ {
			if string(folded[i:i+len(ft)]) != string(ft) {
				continue
			}
			for j := i; j < i+len(ft); j++ {
				marked[j] = true
			}
			if first < 0 || i < first {
				first = i
			}
		}
	}
	lo, hi := 0, len(r)
	if width > 0 {
		if first > width/3 {
			lo = first - width/3
		}
		hi = min(len(r), lo+width)
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString("…")
	}
	for i := lo; i < hi; {
		j := i
		for j < hi && marked[j] == marked[i] {
			j++
		}
		if marked[i] {
			b.WriteString("<mark>" + html.EscapeString(string(r[i:j])) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(string(r[i:j])))
		}
		i = j
	}
	if hi < len(r) {
		b.WriteString("…")
	}
	return template.HTML(b.String())
}
