package imapd

import (
	"bufio"
	"bytes"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"nanhu/internal/searchtext"
	"nanhu/mailserver/store"
)

// Search evaluates every key of RFC 3501/9051 over the selected mailbox.
// Text keys match what a careful reader of the decoded mail sees: the
// decoded subject, addresses, body (whatever its charset and transfer
// encoding) and attachment names, case-insensitively. A term written in Han
// characters is looked up in the bigram index first, so only the messages
// that can contain it are read.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	v, err := s.selected()
	if err != nil {
		return nil, err
	}
	m := &matcher{s: s, v: v, texts: map[int64]*store.SearchText{}, headers: map[int64]textproto.Header{}, index: map[string]map[uint32]bool{}}
	if err := m.prepare(criteria); err != nil {
		return nil, err
	}
	// Only the messages every top-level text term allows need a look, and
	// only keys on sizes, dates or raw header fields need more than the
	// view holds.
	narrow := m.narrowest(criteria)
	var candidates []uint32
	for _, uid := range v.uids {
		if narrow == nil || narrow[uid] {
			candidates = append(candidates, uid)
		}
	}
	var infos map[uint32]store.MessageInfo
	if needsInfo(criteria) && len(candidates) > 0 {
		if len(candidates) > len(v.uids)/4 {
			infos, err = s.srv.store.Infos(s.ctx, v.box.ID, candidates)
		} else {
			infos, err = s.srv.store.InfosOf(s.ctx, v.box.ID, candidates)
		}
		if err != nil {
			return nil, s.storeErr("search", err)
		}
	}
	data := &imap.SearchData{}
	var seqSet imap.SeqSet
	var uidSet imap.UIDSet
	for _, uid := range candidates {
		info := store.MessageInfo{UID: uid}
		if infos != nil {
			var ok bool
			if info, ok = infos[uid]; !ok {
				continue
			}
		}
		seq := v.seqOf(uid)
		if !m.match(seq, info, criteria) {
			continue
		}
		if m.err != nil {
			return nil, s.storeErr("search", m.err)
		}
		num := seq
		if kind == imapserver.NumKindUID {
			num = uid
		}
		if data.Count == 0 || num < data.Min {
			data.Min = num
		}
		if num > data.Max {
			data.Max = num
		}
		data.Count++
		seqSet.AddNum(seq)
		uidSet.AddNum(imap.UID(uid))
	}
	if kind == imapserver.NumKindUID {
		data.All = uidSet
	} else {
		data.All = seqSet
	}
	return data, nil
}

// narrowest returns the smallest set of UIDs that a top-level text term
// allows, or nil when no such term limits the search.
func (m *matcher) narrowest(c *imap.SearchCriteria) map[uint32]bool {
	var best map[uint32]bool
	consider := func(key, term string) {
		if set, ok := m.index[key+"\x00"+term]; ok && (best == nil || len(set) < len(best)) {
			best = set
		}
	}
	for _, t := range c.Text {
		consider("text", t)
	}
	for _, t := range c.Body {
		consider("body", t)
	}
	for _, h := range c.Header {
		consider(h.Key, h.Value)
	}
	return best
}

// needsInfo reports whether the criteria look at sizes, dates or header
// fields outside search_text, which need each message's row.
func needsInfo(c *imap.SearchCriteria) bool {
	if c.Larger > 0 || c.Smaller > 0 || !c.Since.IsZero() || !c.Before.IsZero() || !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
		return true
	}
	for _, h := range c.Header {
		if keyColumns(h.Key) == nil || searchtext.Fold(h.Value) == "" {
			return true
		}
	}
	for i := range c.Not {
		if needsInfo(&c.Not[i]) {
			return true
		}
	}
	for i := range c.Or {
		if needsInfo(&c.Or[i][0]) || needsInfo(&c.Or[i][1]) {
			return true
		}
	}
	return false
}

type matcher struct {
	s       *session
	v       *view
	texts   map[int64]*store.SearchText
	headers map[int64]textproto.Header
	index   map[string]map[uint32]bool // "key\x00term" → the UIDs whose text holds term
	err     error
}

// indexable reports whether the bigram index answers for term exactly: a
// run of Han characters (the index holds their bigrams, so it finds every
// occurrence).
func indexable(term string) bool {
	if term == "" {
		return false
	}
	for _, r := range term {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// keyColumns are the search_text columns a SEARCH key looks in.
func keyColumns(key string) []string {
	switch strings.ToLower(key) {
	case "text":
		return store.TextColumns
	case "body":
		return []string{"body"}
	case "subject":
		return []string{"subject"}
	case "from":
		return []string{"from_"}
	case "to":
		return []string{"to_"}
	case "cc":
		return []string{"cc"}
	case "bcc":
		return []string{"bcc"}
	}
	return nil
}

// prepare finds, once per term, the exact set of messages whose decoded
// text contains it: through the bigram index for a Han term, through a
// substring scan of the stored folded text for any other.
func (m *matcher) prepare(c *imap.SearchCriteria) error {
	lookup := func(key, term string) error {
		cols := keyColumns(key)
		set := key + "\x00" + term
		if _, done := m.index[set]; done || cols == nil {
			return nil
		}
		folded := searchtext.Fold(term)
		if folded == "" {
			return nil // the empty string is in every message
		}
		var hits map[uint32]bool
		var err error
		if indexable(folded) {
			ftsCol := ""
			if len(cols) == 1 {
				ftsCol = cols[0]
			}
			hits, err = m.s.srv.store.IndexCandidates(m.s.ctx, m.v.box.ID, ftsCol, searchtext.MatchQuery(folded))
			if err == nil && len(cols) > 1 {
				// The other header fields are not in the bigram index.
				var more map[uint32]bool
				more, err = m.s.srv.store.TextCandidates(m.s.ctx, m.v.box.ID, []string{"headers"}, folded)
				for id := range more {
					hits[id] = true
				}
			}
		} else {
			hits, err = m.s.srv.store.TextCandidates(m.s.ctx, m.v.box.ID, cols, folded)
		}
		if err != nil {
			return m.s.storeErr("search", err)
		}
		m.index[set] = hits
		return nil
	}
	for _, t := range c.Text {
		if err := lookup("text", t); err != nil {
			return err
		}
	}
	for _, t := range c.Body {
		if err := lookup("body", t); err != nil {
			return err
		}
	}
	for _, h := range c.Header {
		if err := lookup(h.Key, h.Value); err != nil {
			return err
		}
	}
	for i := range c.Not {
		if err := m.prepare(&c.Not[i]); err != nil {
			return err
		}
	}
	for i := range c.Or {
		if err := m.prepare(&c.Or[i][0]); err != nil {
			return err
		}
		if err := m.prepare(&c.Or[i][1]); err != nil {
			return err
		}
	}
	return nil
}

// has reports whether the message's text holds the term, from the set
// prepare made; ok is false when prepare made none (an empty term, or a
// header field that search_text does not keep).
func (m *matcher) has(key, term string, uid uint32) (found, ok bool) {
	set, ok := m.index[key+"\x00"+term]
	if !ok {
		return false, false
	}
	return set[uid], true
}

func (m *matcher) text(content int64) *store.SearchText {
	if t, ok := m.texts[content]; ok {
		return t
	}
	t, err := m.s.srv.store.Text(m.s.ctx, content)
	if err != nil {
		m.err = err
		t = store.SearchText{}
	}
	m.texts[content] = &t
	return &t
}

func (m *matcher) header(info store.MessageInfo) textproto.Header {
	if h, ok := m.headers[info.ContentID]; ok {
		return h
	}
	raw, err := m.s.srv.store.Content(m.s.ctx, info.ContentID, info.HeaderLen)
	if err != nil {
		m.err = err
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	m.headers[info.ContentID] = h
	return h
}

func contains(hay, needle string) bool {
	if needle == "" {
		return true
	}
	return searchtext.Contains(hay, needle)
}

func dateOnly(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

func (m *matcher) match(seq uint32, info store.MessageInfo, c *imap.SearchCriteria) bool {
	uid := info.UID
	last := uint32(len(m.v.uids))
	for _, set := range c.SeqNum {
		if !seqContains(set, seq, last) {
			return false
		}
	}
	for _, set := range c.UID {
		if !uidContains(set, uid, m.v.uids[last-1]) {
			return false
		}
	}
	flags := m.v.flagsOf(uid)
	for _, f := range c.Flag {
		if f == flagRecent {
			if !m.v.recent[uid] {
				return false
			}
			continue
		}
		if !hasFlag(flags, string(f)) {
			return false
		}
	}
	for _, f := range c.NotFlag {
		if f == flagRecent {
			if m.v.recent[uid] {
				return false
			}
			continue
		}
		if hasFlag(flags, string(f)) {
			return false
		}
	}
	if c.Larger > 0 && info.Size <= c.Larger {
		return false
	}
	if c.Smaller > 0 && info.Size >= c.Smaller {
		return false
	}
	if !c.Since.IsZero() && dateOnly(info.InternalDate).Before(dateOnly(c.Since)) {
		return false
	}
	if !c.Before.IsZero() && !dateOnly(info.InternalDate).Before(dateOnly(c.Before)) {
		return false
	}
	if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
		sent := m.sentDate(info)
		if sent.IsZero() {
			return false
		}
		if !c.SentSince.IsZero() && dateOnly(sent).Before(dateOnly(c.SentSince)) {
			return false
		}
		if !c.SentBefore.IsZero() && !dateOnly(sent).Before(dateOnly(c.SentBefore)) {
			return false
		}
	}
	for _, h := range c.Header {
		if !m.matchHeader(info, h.Key, h.Value) {
			return false
		}
	}
	for _, term := range c.Body {
		if found, ok := m.has("body", term, info.UID); ok && !found {
			return false
		}
	}
	for _, term := range c.Text {
		if found, ok := m.has("text", term, info.UID); ok && !found {
			return false
		}
	}
	for i := range c.Not {
		if m.match(seq, info, &c.Not[i]) {
			return false
		}
	}
	for i := range c.Or {
		if !m.match(seq, info, &c.Or[i][0]) && !m.match(seq, info, &c.Or[i][1]) {
			return false
		}
	}
	return true
}

// sentDate is the Date header's date and time in the zone it is written
// in: SENTON and its kin compare the date as written, disregarding time
// and zone (RFC 3501 §6.4.4), which the index (seconds since 1970) has
// lost.
func (m *matcher) sentDate(info store.MessageInfo) time.Time {
	h := mail.Header{Header: message.Header{Header: m.header(info)}}
	if d, err := h.Date(); err == nil {
		return d
	}
	return m.text(info.ContentID).Date
}

func (m *matcher) matchHeader(info store.MessageInfo, key, value string) bool {
	if found, ok := m.has(key, value, info.UID); ok {
		return found
	}
	// An empty value (the field's presence) or a field search_text does
	// not keep: read the header.
	h := m.header(info)
	if !h.Has(key) {
		return false
	}
	if value == "" {
		return true
	}
	for _, raw := range h.Values(key) {
		if contains(decodeWords(raw), value) {
			return true
		}
	}
	return false
}

func decodeWords(s string) string {
	h := mail.Header{}
	h.Set("X", s)
	if t, err := h.Text("X"); err == nil {
		return t
	}
	return s
}
