package content

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
)

// memIndex is search's index in memory: the same tokens as the FTS4
// table search, and the same matches and ranking, without FTS4's cost of
// decoding every hit of a common word from its pages (tens of
// milliseconds for a word in half of 100,000 articles).
//
// It is a copy of search, kept up to date from search_log, the list of
// the articles whose entry changed that triggers on search_docs write in
// the same transaction: every search first applies what changed since the
// last one. An article changed again is a new slot; its old one is dead
// until the index is built again, which it is when half of it is dead.
//
// Each token's postings are one byte string, in slot order, each entry
// uvarints: the slot's distance from the previous one, the token's count
// in the title, body and files, then its positions in each of these
// three, each as a distance from the previous. Phrases (a word of three
// or more characters is its bigrams side by side) are found from the
// positions, as FTS4 finds them.
type memIndex struct {
	building sync.Mutex // held by the one whole build under way
	mu       sync.RWMutex
	built    bool
	seq      int64           // the last search_log entry applied
	docs     []memDoc        // by slot
	slots    map[int64]int32 // article id → its live slot
	terms    map[string]*memPosting
	live     int
	lens     [3]float64 // sums of the live docs' field lengths
	dead     int
	sect     map[int64]string // column id → section

	// add's scratch: an article's tokens and their positions.
	occ   map[string]*occ
	order []*occ
	spare []occ
}

// occ is a token's positions in an article's three fields.
type occ struct {
	tok string
	pos [3][]uint32
}

type memDoc struct {
	id, column, pub int64
	lens            [3]uint32
	dead            bool
}

type memPosting struct {
	data []byte
	last int32 // the slot of the last entry, -1 when empty
}

// sync brings the index up to date with portal.db: built whole the
// first time (or when half of it is dead, or when search_log no longer
// holds all that changed since), else from the entries of search_log
// since the last sync. A whole build is made aside, searches going on
// meanwhile; ok is false while one is under way (FTS4 then answers).
func (m *memIndex) sync(ctx context.Context, db *sql.DB) (ok bool, err error) {
	m.mu.RLock()
	whole := !m.built || (m.dead > 1000 && m.dead > m.live)
	m.mu.RUnlock()
	if whole {
		if !m.building.TryLock() {
			return false, nil
		}
		defer m.building.Unlock()
		fresh := &memIndex{}
		if err := fresh.build(ctx, db); err != nil {
			return false, err
		}
		m.mu.Lock()
		m.docs, m.slots, m.terms, m.live, m.lens, m.dead = fresh.docs, fresh.slots, fresh.terms, fresh.live, fresh.lens, fresh.dead
		m.seq, m.sect, m.built = fresh.seq, fresh.sect, true
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var first, last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM search_log`).Scan(&first, &last); err != nil {
		return false, fmt.Errorf("portal: search log: %w", err)
	}
	if last == m.seq {
		return true, nil
	}
	if first > m.seq+1 {
		// Further behind than the log keeps: build again next time.
		m.built = false
		return false, nil
	}
	if err := m.loadSections(ctx, tx); err != nil {
		return false, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT l.id, d.id IS NOT NULL, coalesce(d.column_id, 0), coalesce(d.published_at, 0),
		coalesce(d.len_title, 0), coalesce(d.len_body, 0), coalesce(d.len_files, 0), coalesce(s.c0title, ''), coalesce(s.c1body, ''), coalesce(s.c2files, '')
		FROM search_log l LEFT JOIN search_docs d ON d.id = l.id LEFT JOIN search_content s ON s.docid = l.id WHERE l.seq > ?`, m.seq)
	if err != nil {
		return false, fmt.Errorf("portal: search changes: %w", err)
	}
	if err := m.apply(rows); err != nil {
		return false, fmt.Errorf("portal: search changes: %w", err)
	}
	m.seq = last
	return true, nil
}

// apply takes rows of (id, present, column, date, the three lengths, the
// three fields' tokens): each article's old slot is dropped, and a
// present one indexed again.
func (m *memIndex) apply(rows *sql.Rows) error {
	defer rows.Close()
	for rows.Next() {
		var d memDoc
		var present bool
		var title, body, files string
		if err := rows.Scan(&d.id, &present, &d.column, &d.pub, &d.lens[0], &d.lens[1], &d.lens[2], &title, &body, &files); err != nil {
			return err
		}
		m.remove(d.id)
		if present {
			m.add(d, [3]string{title, body, files})
		}
	}
	return rows.Err()
}

func (m *memIndex) loadSections(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, section FROM columns`)
	if err != nil {
		return fmt.Errorf("portal: columns for search: %w", err)
	}
	defer rows.Close()
	m.sect = map[int64]string{}
	for rows.Next() {
		var id int64
		var sec string
		if err := rows.Scan(&id, &sec); err != nil {
			return err
		}
		m.sect[id] = sec
	}
	return rows.Err()
}

// build makes the index from every row of search, in one read
// transaction, into m, which nobody else uses yet.
func (m *memIndex) build(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM search_log`).Scan(&m.seq); err != nil {
		return fmt.Errorf("portal: search log: %w", err)
	}
	if err := m.loadSections(ctx, tx); err != nil {
		return err
	}
	m.slots, m.terms = map[int64]int32{}, map[string]*memPosting{}
	// search_content is FTS4's own table of the rows: read as a table,
	// not through the index a row at a time.
	rows, err := tx.QueryContext(ctx, `SELECT d.id, 1, d.column_id, d.published_at, d.len_title, d.len_body, d.len_files, s.c0title, s.c1body, s.c2files
		FROM search_docs d JOIN search_content s ON s.docid = d.id ORDER BY d.id`)
	if err != nil {
		return fmt.Errorf("portal: read search: %w", err)
	}
	if err := m.apply(rows); err != nil {
		return fmt.Errorf("portal: read search: %w", err)
	}
	return nil
}

// remove marks the live slot of article id dead.
func (m *memIndex) remove(id int64) {
	slot, ok := m.slots[id]
	if !ok {
		return
	}
	d := &m.docs[slot]
	d.dead = true
	delete(m.slots, id)
	m.live--
	m.dead++
	for j := range d.lens {
		m.lens[j] -= float64(d.lens[j])
	}
}

// add indexes an article's fields (search's tokens) in a new slot.
func (m *memIndex) add(d memDoc, fields [3]string) {
	slot := int32(len(m.docs))
	m.docs = append(m.docs, d)
	m.slots[d.id] = slot
	m.live++
	for j := range d.lens {
		m.lens[j] += float64(d.lens[j])
	}
	if m.occ == nil {
		m.occ = map[string]*occ{}
	}
	clear(m.occ)
	order := m.order[:0]
	for j, f := range fields {
		p := uint32(0)
		for i := 0; i < len(f); {
			for i < len(f) && f[i] == ' ' {
				i++
			}
			k := i
			for k < len(f) && f[k] != ' ' {
				k++
			}
			if k == i {
				break
			}
			o := m.occ[f[i:k]] // a lookup by a piece of f does not copy it
			if o == nil {
				if len(m.spare) == 0 {
					m.spare = make([]occ, 256)
				}
				o = &m.spare[0]
				m.spare = m.spare[1:]
				*o = occ{tok: f[i:k]}
				m.occ[o.tok] = o
				order = append(order, o)
			}
			o.pos[j] = append(o.pos[j], p)
			p++
			i = k
		}
	}
	m.order = order
	var buf [binary.MaxVarintLen64]byte
	for _, o := range order {
		pt := m.terms[o.tok]
		if pt == nil {
			pt = &memPosting{last: -1}
			m.terms[strings.Clone(o.tok)] = pt // not the row's string, which the index would keep whole
		}
		put := func(v uint64) { pt.data = append(pt.data, buf[:binary.PutUvarint(buf[:], v)]...) }
		put(uint64(slot - pt.last))
		pt.last = slot
		for j := range o.pos {
			put(uint64(len(o.pos[j])))
		}
		for j := range o.pos {
			prev := uint32(0)
			for _, p := range o.pos[j] {
				put(uint64(p - prev))
				prev = p
			}
		}
	}
}

// entry is one decoded posting: a slot and the token's positions in its
// three fields.
type entry struct {
	slot int32
	pos  [3][]uint32
}

// cursor walks a token's postings; without pos it only counts the
// positions (a phrase of one token needs no more).
type cursor struct {
	data []byte
	pos  bool
	e    entry
	tf   [3]uint32
	ok   bool
}

func newCursor(p *memPosting, pos bool) *cursor {
	c := &cursor{data: p.data, pos: pos, e: entry{slot: -1}}
	c.next()
	return c
}

func (c *cursor) uv() uint32 {
	v, n := binary.Uvarint(c.data)
	c.data = c.data[n:]
	return uint32(v)
}

func (c *cursor) next() {
	if len(c.data) == 0 {
		c.ok = false
		return
	}
	c.e.slot += int32(c.uv())
	for j := range c.tf {
		c.tf[j] = c.uv()
	}
	for j, n := range c.tf {
		if !c.pos {
			for range n {
				c.uv()
			}
			continue
		}
		c.e.pos[j] = c.e.pos[j][:0]
		p := uint32(0)
		for range n {
			p += c.uv()
			c.e.pos[j] = append(c.e.pos[j], p)
		}
	}
	c.ok = true
}

// phraseHits are the live slots holding a phrase, with its count in
// each field, and the number of slots with a hit in each field (FTS4's
// matchinfo x: over the whole index).
type phraseHits struct {
	slots []int32
	tf    [][3]uint16
	docs  [3]float64
}

// phrase finds the tokens side by side, in one field.
func (m *memIndex) phrase(toks []string) phraseHits {
	var h phraseHits
	cs := make([]*cursor, len(toks))
	idx := make([]int, len(toks)) // adjacent's, for every slot
	for i, t := range toks {
		p := m.terms[t]
		if p == nil {
			return h
		}
		cs[i] = newCursor(p, len(toks) > 1)
	}
	for {
		// Bring every cursor to the highest slot among them.
		hi := int32(-1)
		for _, c := range cs {
			if !c.ok {
				return h
			}
			hi = max(hi, c.e.slot)
		}
		same := true
		for _, c := range cs {
			for c.ok && c.e.slot < hi {
				c.next()
			}
			if !c.ok {
				return h
			}
			if c.e.slot != hi {
				same = false
			}
		}
		if !same {
			continue
		}
		if !m.docs[hi].dead {
			var tf [3]uint16
			for j := range tf {
				tf[j] = uint16(min(adjacent(cs, j, idx), math.MaxUint16))
			}
			if tf[0]+tf[1]+tf[2] > 0 {
				h.slots = append(h.slots, hi)
				h.tf = append(h.tf, tf)
				for j := range tf {
					if tf[j] > 0 {
						h.docs[j]++
					}
				}
			}
		}
		cs[0].next()
	}
}

// adjacent counts the places in field j where the cursors' tokens stand
// one after another; idx is its scratch, one per cursor.
func adjacent(cs []*cursor, j int, idx []int) int {
	if len(cs) == 1 {
		return int(cs[0].tf[j])
	}
	n := 0
	clear(idx)
	for _, p := range cs[0].e.pos[j] {
		all := true
		for k := 1; k < len(cs) && all; k++ {
			ps := cs[k].e.pos[j]
			want := p + uint32(k)
			for idx[k] < len(ps) && ps[idx[k]] < want {
				idx[k]++
			}
			all = idx[k] < len(ps) && ps[idx[k]] == want
		}
		if all {
			n++
		}
	}
	return n
}

// search is Store.Search's ranking over the index: the hits holding
// every phrase (each a list of tokens) that pass the filters, counted,
// and the best offset+limit of them by BM25 as bm25 scores FTS4's rows.
func (m *memIndex) search(phrases [][]string, q Query) (total int, best []ranked) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	hs := make([]phraseHits, len(phrases))
	for i, p := range phrases {
		hs[i] = m.phrase(p)
		if len(hs[i].slots) == 0 {
			return 0, nil
		}
	}
	st := indexStats{n: float64(m.live)}
	if m.live > 0 {
		for j := range st.avg {
			st.avg[j] = m.lens[j] / float64(m.live)
		}
	}
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		to = q.To.UnixMilli()
	}
	top := &bestHits{k: q.Offset + q.Limit}
	idx := make([]int, len(hs))
	const k1, b = 1.2, 0.75
next:
	for i, slot := range hs[0].slots {
		for p := 1; p < len(hs); p++ {
			s := hs[p].slots
			for idx[p] < len(s) && s[idx[p]] < slot {
				idx[p]++
			}
			if idx[p] == len(s) {
				break next
			}
			if s[idx[p]] != slot {
				continue next
			}
		}
		idx[0] = i
		d := &m.docs[slot]
		if (q.Column != 0 && d.column != q.Column) || (q.Section != "" && m.sect[d.column] != q.Section) || d.pub < from || d.pub >= to {
			continue
		}
		score := 0.0
		for p := range hs {
			tf := hs[p].tf[idx[p]]
			for j := range tf {
				if tf[j] == 0 {
					continue
				}
				docs := hs[p].docs[j]
				idf := math.Log(1 + (st.n-docs+0.5)/(docs+0.5))
				norm := 1.0
				if st.avg[j] > 0 {
					norm = 1 - b + b*float64(d.lens[j])/st.avg[j]
				}
				t := float64(tf[j])
				score += weights[j] * idf * t * (k1 + 1) / (t + k1*norm)
			}
		}
		top.add(ranked{id: d.id, score: score, pub: d.pub})
		total++
	}
	return total, top.sorted()
}
