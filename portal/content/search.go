package content

import (
	"context"
	"database/sql"
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
		if m := matchOf(t); m != "" {
			match = append(match, m)
		}
	}
	if len(match) == 0 {
		return res, nil
	}
	if q.Limit <= 0 || q.Limit > 50 {
		q.Limit = 10
	}
	// The index in memory answers, unless a term is a prefix or the
	// index cannot be read; FTS4 then does.
	var all []ranked
	if phrases, ok := phrasesOf(match); ok && s.syncSearch(ctx) {
		res.Total, all = s.mem.search(phrases, q)
	} else {
		var err error
		if res.Total, all, err = s.searchFTS(ctx, q, match); err != nil {
			return res, err
		}
	}
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

// searchFTS ranks the hits of match (searchtext's FTS expressions) in
// FTS4, as the index in memory ranks them, when that index cannot
// answer (a one-character term: a prefix of the tokens).
func (s *Store) searchFTS(ctx context.Context, q Query, match []string) (total int, best []ranked, err error) {
	where := `search MATCH ?`
	args := []any{strings.Join(match, " ")} // FTS4's standard syntax: terms side by side must all be there
	from := `search JOIN search_docs d ON d.id = search.docid`
	if q.Column != 0 {
		where += ` AND d.column_id = ?`
		args = append(args, q.Column)
	}
	if q.Section != "" {
		from += ` JOIN columns c ON c.id = d.column_id`
		where += ` AND c.section = ?`
		args = append(args, q.Section)
	}
	if !q.From.IsZero() {
		where += ` AND d.published_at >= ?`
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where += ` AND d.published_at < ?`
		args = append(args, q.To.UnixMilli())
	}
	st, err := s.searchStats(ctx)
	if err != nil {
		return 0, nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT d.id, matchinfo(search, 'pcx'), d.published_at, d.len_title, d.len_body, d.len_files
		FROM `+from+` WHERE `+where, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("portal: search %q: %w", q.Text, err)
	}
	// Only the page asked for is ranked in full: the best offset+limit
	// hits are kept in a heap as the rows go by.
	top := &bestHits{k: q.Offset + q.Limit}
	var info []byte
	for rows.Next() {
		var r ranked
		var lens [3]float64
		if err := rows.Scan(&r.id, &info, &r.pub, &lens[0], &lens[1], &lens[2]); err != nil {
			rows.Close()
			return 0, nil, err
		}
		r.score = bm25(info, lens, st)
		top.add(r)
		total++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("portal: search %q: %w", q.Text, err)
	}
	return total, top.sorted(), nil
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

// indexStats are the index's row count and its fields' average
// lengths, for BM25.
type indexStats struct {
	n   float64
	avg [3]float64
}

// searchStats are the index's statistics, read again when the portal
// has changed.
func (s *Store) searchStats(ctx context.Context) (indexStats, error) {
	gen := s.Generation()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.statsSet && s.statsGen == gen {
		return s.stats, nil
	}
	var st indexStats
	var a, b, c sql.NullFloat64
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*), avg(len_title), avg(len_body), avg(len_files) FROM search_docs`).Scan(&st.n, &a, &b, &c); err != nil {
		return st, fmt.Errorf("portal: search statistics: %w", err)
	}
	st.avg = [3]float64{a.Float64, b.Float64, c.Float64}
	s.stats, s.statsGen, s.statsSet = st, gen, true
	return st, nil
}

// ranked is a hit with its score.
type ranked struct {
	id    int64
	score float64
	pub   int64
}

// better orders hits: the higher score first, the newer among equals,
// the higher id among those.
func better(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.pub != b.pub {
		return a.pub > b.pub
	}
	return a.id > b.id
}

// bestHits keeps the k best hits seen: a min-heap on better, its worst
// at the root.
type bestHits struct {
	k int
	h []ranked
}

func (t *bestHits) add(r ranked) {
	if len(t.h) < t.k {
		t.h = append(t.h, r)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !better(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if len(t.h) == 0 || !better(r, t.h[0]) {
		return
	}
	t.h[0] = r
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(t.h) && better(t.h[m], t.h[l]) {
			m = l
		}
		if l+1 < len(t.h) && better(t.h[m], t.h[l+1]) {
			m = l + 1
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// sorted are the kept hits, the best first.
func (t *bestHits) sorted() []ranked {
	slices.SortFunc(t.h, func(a, b ranked) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return t.h
}

// bm25 is Okapi BM25 (k1 1.2, b 0.75) of one row: FTS4's matchinfo
// 'pcx' (phrases p, columns c, and per phrase and column this row's
// hits, all rows' hits and the rows with a hit), the row's fields'
// lengths, and the index's statistics.
func bm25(info []byte, lens [3]float64, st indexStats) float64 {
	v := func(i int) float64 {
		if 4*i+4 > len(info) {
			return 0
		}
		return float64(binary.NativeEndian.Uint32(info[4*i:]))
	}
	const k1, b = 1.2, 0.75
	p, c := int(v(0)), int(v(1))
	score := 0.0
	for i := 0; i < p; i++ {
		for j := 0; j < c && j < len(weights); j++ {
			x := 2 + 3*(i*c+j)
			tf, docs := v(x), v(x+2)
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (st.n-docs+0.5)/(docs+0.5))
			norm := 1.0
			if st.avg[j] > 0 {
				norm = 1 - b + b*lens[j]/st.avg[j]
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

// matchOf is a query term as searchtext's FTS expression ("" when it
// has nothing to find).
func matchOf(term string) string { return searchtext.MatchQuery(searchtext.Simplified(term)) }

// phrasesOf are the token lists of searchtext's MATCH expressions (each
// a quoted phrase); ok is false when one is a prefix (`字*`), which only
// FTS4 answers.
func phrasesOf(match []string) (phrases [][]string, ok bool) {
	for _, m := range match {
		if !strings.HasPrefix(m, `"`) || !strings.HasSuffix(m, `"`) || len(m) < 2 {
			return nil, false
		}
		toks := strings.Fields(m[1 : len(m)-1])
		if len(toks) == 0 {
			return nil, false
		}
		phrases = append(phrases, toks)
	}
	return phrases, true
}

// WarmSearch builds search's index in memory, which the first search
// would otherwise build.
func (s *Store) WarmSearch(ctx context.Context) {
	t := time.Now()
	if s.syncSearch(ctx) {
		s.log.Info("search index in memory built", "took", time.Since(t).Round(time.Millisecond))
	}
}

// syncSearch brings the index in memory up to date when the portal has
// changed since it was last; false while it is being built, or when it
// cannot be read (FTS4 then answers, and the reason is logged).
func (s *Store) syncSearch(ctx context.Context) bool {
	gen := s.Generation()
	if s.memGen.Load() == gen+1 { // memGen is the generation synced, plus one (0: never)
		return true
	}
	ok, err := s.mem.sync(ctx, s.db.Reader())
	if err != nil {
		s.log.Warn("portal: search index in memory", "err", err)
	}
	if !ok {
		return false
	}
	s.memGen.Store(gen + 1)
	return true
}
