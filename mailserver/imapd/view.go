package imapd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"nanhu/mailserver/store"
)

// view is a session's picture of its selected mailbox: which messages it
// has announced (their UIDs in sequence order) with which flags, as of
// mod-sequence modseq. poll brings it up to date and tells the client what
// changed, in the order RFC 9051 requires.
//
// Ten thousand clients idling on the same large mailbox must not hold ten
// thousand copies of it: a view starts from a snapshot shared by every
// session that selected the mailbox at the same mod-sequence, keeps flag
// sets as small interned numbers, and copies the arrays only when its own
// picture first changes.
type view struct {
	box      store.Mailbox
	readOnly bool
	uids     []uint32  // sequence order
	flags    []flagSet // flags[i] belongs to uids[i]
	owned    bool      // uids and flags are this view's own (else shared)
	modseq   uint64
	keywords map[string]bool // every keyword announced in FLAGS
	pending  []uint32        // expunges not yet announced (no EXPUNGE allowed then)
	wake     <-chan struct{}
	stop     func()
	// recent holds the UIDs that are \Recent for this session (RFC 3501
	// §2.3.2): it was the first told of them. showRecent: the client
	// speaks IMAP4rev1 (IMAP4rev2 has no \Recent).
	recent     map[uint32]bool
	recentSent uint32 // the count last sent in RECENT
	showRecent bool
	srv        *Server
	// dirty: the store may have changed the mailbox since the last poll
	// (its watch fired, or the view is new); a poll of a clean view asks
	// the store nothing.
	dirty bool
}

var systemFlags = []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft}

// flagSet is an interned set of flags: an index into flagSets.
type flagSet uint32

var flagSets = struct {
	sync.RWMutex
	byKey map[string]flagSet
	sets  [][]string
}{byKey: map[string]flagSet{"": 0}, sets: [][]string{nil}}

func internFlags(flags []string) flagSet {
	sorted := store.SortFlags(flags)
	key := strings.Join(sorted, " ")
	flagSets.RLock()
	id, ok := flagSets.byKey[key]
	flagSets.RUnlock()
	if ok {
		return id
	}
	flagSets.Lock()
	defer flagSets.Unlock()
	if id, ok := flagSets.byKey[key]; ok {
		return id
	}
	id = flagSet(len(flagSets.sets))
	flagSets.sets = append(flagSets.sets, sorted)
	flagSets.byKey[key] = id
	return id
}

func (f flagSet) list() []string {
	flagSets.RLock()
	defer flagSets.RUnlock()
	return flagSets.sets[f]
}

// snapshot is a mailbox's messages at one mod-sequence, shared read-only
// by the views that start from it.
type snapshot struct {
	modseq uint64
	uids   []uint32
	flags  []flagSet
	kws    []string
}

// snapshotOf returns the mailbox's current snapshot, from the cache when
// the mailbox has not changed since it was made.
func (s *Server) snapshotOf(ctx context.Context, b store.Mailbox) (*snapshot, error) {
	s.snapMu.Lock()
	cached := s.snaps[b.ID]
	s.snapMu.Unlock()
	if cached != nil && cached.modseq == b.HighestModSeq {
		return cached, nil
	}
	msgs, modseq, err := s.store.Snapshot(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{modseq: modseq, uids: make([]uint32, len(msgs)), flags: make([]flagSet, len(msgs))}
	kws := map[string]bool{}
	for i, m := range msgs {
		snap.uids[i] = m.UID
		snap.flags[i] = internFlags(m.Flags)
		for _, f := range m.Flags {
			if f != "" && f[0] != '\\' {
				kws[f] = true
			}
		}
	}
	for k := range kws {
		snap.kws = append(snap.kws, k)
	}
	s.snapMu.Lock()
	if old := s.snaps[b.ID]; old == nil || old.modseq <= modseq {
		s.snaps[b.ID] = snap
	}
	s.snapMu.Unlock()
	return snap, nil
}

func (s *session) openView(b store.Mailbox, readOnly bool) (*view, error) {
	wake, stop := s.srv.store.Watch(b.ID)
	snap, err := s.srv.snapshotOf(s.ctx, b)
	if err != nil {
		stop()
		return nil, err
	}
	v := &view{box: b, readOnly: readOnly, uids: snap.uids, flags: snap.flags, modseq: snap.modseq,
		keywords: map[string]bool{string(imap.FlagForwarded): true, string(imap.FlagJunk): true, "$NotJunk": true, "$MDNSent": true},
		wake:     wake, stop: stop, dirty: true, srv: s.srv, showRecent: !s.conn.EnabledCaps().Has(imap.CapIMAP4rev2)}
	v.noteKeywords(snap.kws)
	if err := v.takeRecent(s.ctx, 0); err != nil {
		stop()
		return nil, err
	}
	return v, nil
}

// takeRecent marks as \Recent the messages above UID after that this
// session is the first to hear of. A read-only session (EXAMINE) sees
// them as recent but leaves them recent for the next one.
func (v *view) takeRecent(ctx context.Context, after uint32) error {
	if len(v.uids) == 0 || v.uids[len(v.uids)-1] <= after {
		return nil
	}
	hi := v.uids[len(v.uids)-1]
	var from uint32
	var err error
	if v.readOnly {
		from, err = v.srv.store.RecentUID(ctx, v.box.ID)
	} else {
		from, err = v.srv.claimRecent(ctx, v.box.ID, hi)
	}
	if err != nil {
		return err
	}
	for i := len(v.uids) - 1; i >= 0 && v.uids[i] > max(from, after); i-- {
		if v.recent == nil {
			v.recent = map[uint32]bool{}
		}
		v.recent[v.uids[i]] = true
	}
	return nil
}

// claimRecent is store.ClaimRecent, asked only when no session of this
// server has claimed up to hi yet: of ten thousand sessions idling on a
// mailbox, one writes when a message comes.
func (s *Server) claimRecent(ctx context.Context, mailboxID int64, hi uint32) (uint32, error) {
	s.recentMu.Lock()
	known := s.recentHi[mailboxID]
	s.recentMu.Unlock()
	if known >= hi {
		return hi, nil
	}
	from, err := s.store.ClaimRecent(ctx, mailboxID, hi)
	if err != nil {
		return hi, err
	}
	s.recentMu.Lock()
	s.recentHi[mailboxID] = max(s.recentHi[mailboxID], hi)
	s.recentMu.Unlock()
	return from, nil
}

// shownSet is the flags of the message at seq as this session shows
// them, interned.
func (v *view) shownSet(seq uint32) flagSet {
	f := v.flags[seq-1]
	if v.showRecent && v.recent[v.uids[seq-1]] {
		f = f.withRecent()
	}
	return f
}

// shown is the flags of uid as this session shows them: with \Recent
// when it is recent here.
func (v *view) shown(uid uint32, flags []string) []string {
	if !v.showRecent || !v.recent[uid] {
		return flags
	}
	// In the order the interned sets keep (system flags first), so that
	// every writer of FLAGS agrees byte for byte.
	return store.SortFlags(append(append(make([]string, 0, len(flags)+1), flags...), string(flagRecent)))
}

// own makes the view's arrays its own before it changes them.
func (v *view) own() {
	if v.owned {
		return
	}
	v.uids = append(make([]uint32, 0, len(v.uids)+8), v.uids...)
	v.flags = append(make([]flagSet, 0, len(v.flags)+8), v.flags...)
	v.owned = true
}

// flagsOf returns the flags the view holds for uid.
func (v *view) flagsOf(uid uint32) []string {
	if seq := v.seqOf(uid); seq != 0 {
		return v.flags[seq-1].list()
	}
	return nil
}

// setFlags records uid's new flags in the view.
func (v *view) setFlags(uid uint32, flags []string) {
	if seq := v.seqOf(uid); seq != 0 {
		id := internFlags(flags)
		if v.flags[seq-1] != id {
			v.own()
			v.flags[seq-1] = id
		}
	}
}

func (v *view) close() {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
}

// noteKeywords records keywords and reports whether any was new.
func (v *view) noteKeywords(flags []string) bool {
	added := false
	for _, f := range flags {
		if len(f) > 0 && f[0] != '\\' && !v.keywords[f] {
			v.keywords[f] = true
			added = true
		}
	}
	return added
}

// flagList is the FLAGS of the mailbox: the system flags and every keyword
// in use.
func (v *view) flagList() []imap.Flag {
	out := append([]imap.Flag{}, systemFlags...)
	kw := make([]string, 0, len(v.keywords))
	for k := range v.keywords {
		kw = append(kw, k)
	}
	sort.Strings(kw)
	for _, k := range kw {
		out = append(out, imap.Flag(k))
	}
	return out
}

func toFlags(fs []string) []imap.Flag {
	out := make([]imap.Flag, len(fs))
	for i, f := range fs {
		out[i] = imap.Flag(f)
	}
	return out
}

// seqOf returns the sequence number of uid in the view, or 0.
func (v *view) seqOf(uid uint32) uint32 {
	i := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] >= uid })
	if i < len(v.uids) && v.uids[i] == uid {
		return uint32(i + 1)
	}
	return 0
}

// remove drops uid from the view and returns its former sequence number.
func (v *view) remove(uid uint32) uint32 {
	seq := v.seqOf(uid)
	if seq == 0 {
		return 0
	}
	v.own()
	v.uids = append(v.uids[:seq-1], v.uids[seq:]...)
	v.flags = append(v.flags[:seq-1], v.flags[seq:]...)
	delete(v.recent, uid)
	return seq
}

// poll brings the view up to date and writes the untagged responses: FLAGS
// when a keyword appears, EXPUNGE (when allowed), EXISTS for new messages,
// FETCH FLAGS for changed ones.
func (v *view) poll(ctx context.Context, s *store.Store, w *imapserver.UpdateWriter, allowExpunge bool) error {
	select {
	case <-v.wake:
		v.dirty = true
	default:
	}
	if !v.dirty && (len(v.pending) == 0 || !allowExpunge) {
		return nil
	}
	c, err := s.ChangesSince(ctx, v.box.ID, v.modseq)
	if err != nil {
		return err
	}
	v.dirty = false
	if c.Gone {
		return nil
	}
	if c.ModSeq > v.modseq {
		v.modseq = c.ModSeq
	}
	last := uint32(0)
	if len(v.uids) > 0 {
		last = v.uids[len(v.uids)-1]
	}
	newKeyword := false
	for _, m := range c.Changed {
		if v.noteKeywords(m.Flags) {
			newKeyword = true
		}
	}
	if newKeyword && w != nil {
		if err := w.WriteMailboxFlags(v.flagList()); err != nil {
			return err
		}
	}
	v.pending = append(v.pending, c.Expunged...)
	if allowExpunge && len(v.pending) > 0 {
		for _, uid := range v.pending {
			if seq := v.remove(uid); seq != 0 && w != nil {
				if err := w.WriteExpunge(seq); err != nil {
					return err
				}
			}
		}
		v.pending = nil
	}
	grew, last0 := false, last
	var changed []store.MessageState
	for _, m := range c.Changed {
		switch {
		case m.UID > last:
			v.own()
			v.uids = append(v.uids, m.UID)
			v.flags = append(v.flags, internFlags(m.Flags))
			last = m.UID
			grew = true
		default:
			if seq := v.seqOf(m.UID); seq != 0 && v.flags[seq-1] != internFlags(m.Flags) {
				v.setFlags(m.UID, m.Flags)
				changed = append(changed, m)
			}
		}
	}
	if grew {
		if err := v.takeRecent(ctx, last0); err != nil {
			return err
		}
	}
	if grew && w != nil {
		if err := w.WriteNumMessages(uint32(len(v.uids))); err != nil {
			return err
		}
		if n := uint32(len(v.recent)); n != v.recentSent {
			// RECENT when the count changes, as Dovecot does.
			v.recentSent = n
			if err := w.WriteNumRecent(n); err != nil {
				return err
			}
		}
	}
	for _, m := range changed {
		if seq := v.seqOf(m.UID); seq != 0 && w != nil {
			if err := w.WriteMessageFlags(seq, imap.UID(m.UID), toFlags(v.shown(m.UID, m.Flags))); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSeqs refuses a message sequence set that names a message the
// session has not been told of: BAD, as RFC 9051 §9 (seq-number) asks,
// "*" in an empty mailbox included. UID sets may name any UID.
func (v *view) checkSeqs(set imap.NumSet) error {
	seqs, ok := set.(imap.SeqSet)
	if !ok {
		return nil
	}
	n := uint32(len(v.uids))
	for _, r := range seqs {
		if (r.Start == 0 || r.Stop == 0) && n == 0 {
			return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug, Text: "Invalid message sequence set: the mailbox is empty, so * names no message"}
		}
		if r.Start > n || r.Stop > n {
			return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug, Text: fmt.Sprintf("Invalid message sequence set: the mailbox has %d messages", n)}
		}
	}
	return nil
}

// resolve turns a sequence or UID set into the (seq, uid) pairs of the
// view, in sequence order. "*" is the last message; UIDs not in the view
// are skipped, as RFC 9051 requires. Each range is found by binary search,
// so fetching one message of a large mailbox does not walk all of it.
func (v *view) resolve(set imap.NumSet) (seqs []uint32, uids []uint32) {
	n := uint32(len(v.uids))
	if n == 0 {
		return nil, nil
	}
	var spans [][2]int // index ranges [lo, hi) into v.uids
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			lo, hi := bounds(r.Start, r.Stop, n)
			lo = max(lo, 1)
			if lo > n {
				continue
			}
			spans = append(spans, [2]int{int(lo) - 1, int(min(hi, n))})
		}
	case imap.UIDSet:
		for _, r := range set {
			lo, hi := bounds(uint32(r.Start), uint32(r.Stop), v.uids[n-1])
			i := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] >= lo })
			j := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] > hi })
			if i < j {
				spans = append(spans, [2]int{i, j})
			}
		}
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a][0] < spans[b][0] })
	next := 0 // the first index not yet emitted
	for _, sp := range spans {
		for i := max(sp[0], next); i < sp[1]; i++ {
			seqs = append(seqs, uint32(i+1))
			uids = append(uids, v.uids[i])
		}
		next = max(next, sp[1])
	}
	return seqs, uids
}

// bounds resolves a range start:stop, where 0 stands for "*" (last) and
// the bounds may come in either order (RFC 9051 §9), to lo <= hi.
func bounds(start, stop, last uint32) (lo, hi uint32) {
	if start == 0 {
		start = last
	}
	if stop == 0 {
		stop = last
	}
	return min(start, stop), max(start, stop)
}

func seqContains(set imap.SeqSet, num, last uint32) bool {
	for _, r := range set {
		if inRange(r.Start, r.Stop, num, last) {
			return true
		}
	}
	return false
}

func uidContains(set imap.UIDSet, uid, last uint32) bool {
	for _, r := range set {
		if inRange(uint32(r.Start), uint32(r.Stop), uid, last) {
			return true
		}
	}
	return false
}

// inRange reports whether num lies in start:stop (see bounds).
func inRange(start, stop, num, last uint32) bool {
	lo, hi := bounds(start, stop, last)
	return num >= lo && num <= hi
}

// flagRecent is IMAP4rev1's \Recent, which IMAP4rev2 dropped. It is the
// server's to set (see view.recent); a client's STORE or APPEND of it is
// ignored.
const flagRecent = imap.Flag(`\Recent`)
