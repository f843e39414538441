package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MessageState is a message's UID, flags and mod-sequence: what a session's
// view of a mailbox holds.
type MessageState struct {
	UID    uint32
	Flags  []string
	ModSeq uint64
}

// Snapshot returns the messages of a mailbox in UID order and its highest
// mod-sequence, read in one transaction.
func (s *Store) Snapshot(ctx context.Context, mailboxID int64) ([]MessageState, uint64, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var hms uint64
	if err := tx.QueryRowContext(ctx, `SELECT highestmodseq FROM mailboxes WHERE id = ?`, mailboxID).Scan(&hms); err == sql.ErrNoRows {
		return nil, 0, ErrNoMailbox
	} else if err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []MessageState
	for rows.Next() {
		var m MessageState
		var flags string
		if err := rows.Scan(&m.UID, &flags, &m.ModSeq); err != nil {
			return nil, 0, err
		}
		m.Flags = strings.Fields(flags)
		out = append(out, m)
	}
	return out, hms, rows.Err()
}

// Changes are what happened in a mailbox after a mod-sequence.
type Changes struct {
	Changed  []MessageState // new or with changed flags, UID order
	Expunged []uint32       // UIDs
	ModSeq   uint64         // the mailbox's highest mod-sequence now
	Gone     bool           // the mailbox was deleted or renamed away
}

// ChangesSince reports the changes of a mailbox after modseq.
func (s *Store) ChangesSince(ctx context.Context, mailboxID int64, modseq uint64) (Changes, error) {
	var c Changes
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT highestmodseq FROM mailboxes WHERE id = ?`, mailboxID).Scan(&c.ModSeq); err == sql.ErrNoRows {
		c.Gone = true
		return c, nil
	} else if err != nil {
		return c, err
	}
	if c.ModSeq <= modseq {
		return c, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid`, mailboxID, modseq)
	if err != nil {
		return c, err
	}
	for rows.Next() {
		var m MessageState
		var flags string
		if err := rows.Scan(&m.UID, &flags, &m.ModSeq); err != nil {
			rows.Close()
			return c, err
		}
		m.Flags = strings.Fields(flags)
		c.Changed = append(c.Changed, m)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid`, mailboxID, modseq)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var uid uint32
		if err := rows.Scan(&uid); err != nil {
			return c, err
		}
		c.Expunged = append(c.Expunged, uid)
	}
	return c, rows.Err()
}

// FlagOp says how StoreFlags changes flags.
type FlagOp int

// The STORE operations.
const (
	FlagsSet FlagOp = iota
	FlagsAdd
	FlagsDel
)

// StoreFlags changes the flags of the messages uids of a mailbox and returns
// their new state (messages whose flags did not change are returned too,
// with their current state, unless they no longer exist).
func (s *Store) StoreFlags(ctx context.Context, mailboxID int64, uids []uint32, op FlagOp, flags []string) ([]MessageState, error) {
	var out []MessageState
	if len(uids) == 0 {
		return nil, nil
	}
	changed := false
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var modseq uint64
		// One read of the range, then an update only where flags change.
		lo, hi := uids[0], uids[0]
		for _, u := range uids {
			lo, hi = min(lo, u), max(hi, u)
		}
		cur := make(map[uint32]MessageState, len(uids))
		stored := make(map[uint32]string, len(uids)) // the flags column as it is
		rows, err := tx.QueryContext(ctx, `SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ?`, mailboxID, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m MessageState
			var f string
			if err := rows.Scan(&m.UID, &f, &m.ModSeq); err != nil {
				rows.Close()
				return err
			}
			m.Flags = strings.Fields(f)
			cur[m.UID] = m
			stored[m.UID] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The new flags depend only on the old ones: messages are changed
		// a group of equal old flags at a time.
		type group struct {
			next string
			uids []uint32
		}
		groups := map[string]*group{}
		found := 0
		for _, uid := range uids {
			f, ok := stored[uid]
			if !ok {
				continue // gone, or asked for twice
			}
			delete(stored, uid)
			m := cur[uid]
			found++
			next := applyFlags(m.Flags, op, flags)
			joined := strings.Join(next, " ")
			if joined == strings.Join(SortFlags(m.Flags), " ") {
				out = append(out, m)
				continue
			}
			if modseq == 0 {
				if err := tx.QueryRowContext(ctx, `UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING highestmodseq`, mailboxID).Scan(&modseq); err != nil {
					return err
				}
			}
			g := groups[f]
			if g == nil {
				g = &group{next: joined}
				groups[f] = g
			}
			g.uids = append(g.uids, uid)
			out = append(out, MessageState{UID: uid, Flags: next, ModSeq: modseq})
		}
		if len(groups) == 0 {
			return nil
		}
		changed = true
		if found == len(cur) {
			// Every message from lo to hi is asked for (1:*, the usual
			// case): one UPDATE per group, over the range.
			for old, g := range groups {
				res, err := tx.ExecContext(ctx, `UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid BETWEEN ? AND ? AND flags = ?`,
					g.next, modseq, mailboxID, lo, hi, old)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n != int64(len(g.uids)) {
					return fmt.Errorf("changed %d messages with flags %q, meant %d (%v)", n, old, len(g.uids), err)
				}
			}
			return nil
		}
		set, err := tx.PrepareContext(ctx, `UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?`)
		if err != nil {
			return err
		}
		defer set.Close()
		for _, g := range groups {
			for _, uid := range g.uids {
				if _, err := set.ExecContext(ctx, g.next, modseq, mailboxID, uid); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store flags: %w", err)
	}
	if changed {
		s.notify(mailboxID)
	}
	return out, nil
}

func applyFlags(cur []string, op FlagOp, flags []string) []string {
	switch op {
	case FlagsSet:
		// \Recent is not the client's to set.
		return SortFlags(flags)
	case FlagsAdd:
		return SortFlags(append(append([]string{}, cur...), flags...))
	default:
		drop := map[string]bool{}
		for _, f := range flags {
			drop[strings.ToLower(f)] = true
		}
		var out []string
		for _, f := range cur {
			if !drop[strings.ToLower(f)] {
				out = append(out, f)
			}
		}
		return SortFlags(out)
	}
}

// Expunge removes the messages flagged \Deleted (only those among uids when
// uids is not nil) and returns their UIDs.
func (s *Store) Expunge(ctx context.Context, owner string, mailboxID int64, uids []uint32) ([]uint32, error) {
	var gone []uint32
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var err error
		gone, err = expungeTx(ctx, tx, owner, mailboxID, uids, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expunge: %w", err)
	}
	if len(gone) > 0 {
		s.notify(mailboxID)
	}
	return gone, nil
}

// expungeTx removes messages: those among uids (all when nil), and when
// onlyDeleted only those flagged \Deleted.
func expungeTx(ctx context.Context, tx *sql.Tx, owner string, mailboxID int64, uids []uint32, onlyDeleted bool) ([]uint32, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid, flags, content_id, size FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, err
	}
	want := map[uint32]bool{}
	for _, u := range uids {
		want[u] = true
	}
	type victim struct {
		uid     uint32
		content int64
		size    int64
	}
	var victims []victim
	for rows.Next() {
		var v victim
		var flags string
		if err := rows.Scan(&v.uid, &flags, &v.content, &v.size); err != nil {
			rows.Close()
			return nil, err
		}
		if uids != nil && !want[v.uid] {
			continue
		}
		if onlyDeleted && !hasFlag(strings.Fields(flags), `\Deleted`) {
			continue
		}
		victims = append(victims, v)
	}
	rows.Close()
	if len(victims) == 0 {
		return nil, nil
	}
	var modseq uint64
	if err := tx.QueryRowContext(ctx, `UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING highestmodseq`, mailboxID).Scan(&modseq); err != nil {
		return nil, err
	}
	var bytes int64
	out := make([]uint32, 0, len(victims))
	for _, v := range victims {
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE mailbox_id = ? AND uid = ?`, mailboxID, v.uid); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contents SET refs = refs - 1 WHERE id = ?`, v.content); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)`, mailboxID, v.uid, modseq); err != nil {
			return nil, err
		}
		bytes += v.size
		out = append(out, v.uid)
	}
	if err := dropUnreferenced(ctx, tx); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage SET bytes = max(bytes - ?, 0), messages = max(messages - ?, 0) WHERE owner = ?`, bytes, len(out), owner); err != nil {
		return nil, err
	}
	return out, nil
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// CopyResult pairs source and destination UIDs (UIDPLUS).
type CopyResult struct {
	UIDValidity uint32
	Source      []uint32
	Dest        []uint32
}

// Copy copies the messages uids of mailbox src into dst (sharing the
// message bytes) and returns the new UIDs.
func (s *Store) Copy(ctx context.Context, owner string, src int64, uids []uint32, dst int64, move bool) (CopyResult, error) {
	var res CopyResult
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var err error
		res, err = copyTx(ctx, tx, src, uids, dst)
		if err != nil {
			return err
		}
		var dstOwner string
		if err := tx.QueryRowContext(ctx, `SELECT owner FROM mailboxes WHERE id = ?`, dst).Scan(&dstOwner); err != nil {
			return err
		}
		if move {
			if _, err := expungeTx(ctx, tx, owner, src, res.Source, false); err != nil {
				return err
			}
		}
		// The copies count against the destination owner.
		_, err = tx.ExecContext(ctx, `INSERT INTO usage (owner, bytes, messages)
			SELECT ?, coalesce(sum(size), 0), count(*) FROM messages WHERE mailbox_id = ? AND uid >= ? AND uid <= ?
			ON CONFLICT (owner) DO UPDATE SET bytes = bytes + excluded.bytes, messages = messages + excluded.messages`,
			dstOwner, dst, first(res.Dest), last(res.Dest))
		return err
	})
	if err != nil {
		return res, fmt.Errorf("copy: %w", err)
	}
	s.notify(src, dst)
	return res, nil
}

func first(u []uint32) uint32 {
	if len(u) == 0 {
		return 1
	}
	return u[0]
}

func last(u []uint32) uint32 {
	if len(u) == 0 {
		return 0
	}
	return u[len(u)-1]
}

func copyTx(ctx context.Context, tx *sql.Tx, src int64, uids []uint32, dst int64) (CopyResult, error) {
	var res CopyResult
	if err := tx.QueryRowContext(ctx, `SELECT uidvalidity FROM mailboxes WHERE id = ?`, dst).Scan(&res.UIDValidity); err != nil {
		return res, fmt.Errorf("destination: %w", ErrNoMailbox)
	}
	get, err := tx.PrepareContext(ctx, `SELECT content_id, flags, internal_date, size FROM messages WHERE mailbox_id = ? AND uid = ?`)
	if err != nil {
		return res, err
	}
	defer get.Close()
	for _, uid := range uids {
		var content, date, size int64
		var flags string
		if err := get.QueryRowContext(ctx, src, uid).Scan(&content, &flags, &date, &size); err == sql.ErrNoRows {
			continue
		} else if err != nil {
			return res, err
		}
		var newUID, modseq int64
		if err := tx.QueryRowContext(ctx, `UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1
			WHERE id = ? RETURNING uidnext - 1, highestmodseq`, dst).Scan(&newUID, &modseq); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (mailbox_id, uid, content_id, flags, internal_date, size, modseq) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			dst, newUID, content, flags, date, size, modseq); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contents SET refs = refs + 1 WHERE id = ?`, content); err != nil {
			return res, err
		}
		res.Source = append(res.Source, uid)
		res.Dest = append(res.Dest, uint32(newUID))
	}
	return res, nil
}

// MessageInfo is what FETCH needs of a message, without its bytes.
type MessageInfo struct {
	UID          uint32
	ContentID    int64
	Flags        []string
	InternalDate time.Time
	Size         int64
	HeaderLen    int
	Header       []byte // the header section, when asked for
	Raw          []byte // the whole message, when asked for
}

// MessageMeta is what FETCH of a message's UID, size, internal date and
// envelope needs: no flags (a session has them), no bytes.
type MessageMeta struct {
	UID          uint32
	ContentID    int64
	InternalDate time.Time
	Size         int64
}

// Metas returns, in UID order, the messages of a mailbox whose UIDs are
// from lo to hi.
func (s *Store) Metas(ctx context.Context, mailboxID int64, lo, hi uint32) ([]MessageMeta, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT uid, content_id, internal_date, size FROM messages
		WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`, mailboxID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MessageMeta
	for rows.Next() {
		var m MessageMeta
		var date int64
		if err := rows.Scan(&m.UID, &m.ContentID, &date, &m.Size); err != nil {
			return nil, err
		}
		m.InternalDate = time.Unix(date, 0)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Infos returns the messages uids of a mailbox (those that still exist).
func (s *Store) Infos(ctx context.Context, mailboxID int64, uids []uint32) (map[uint32]MessageInfo, error) {
	return s.infos(ctx, mailboxID, uids, false)
}

// InfosWithHeaders is Infos with each message's header section, read in
// the same query (FETCH ENVELOPE of a whole mailbox reads no more).
func (s *Store) InfosWithHeaders(ctx context.Context, mailboxID int64, uids []uint32) (map[uint32]MessageInfo, error) {
	return s.infos(ctx, mailboxID, uids, true)
}

func (s *Store) infos(ctx context.Context, mailboxID int64, uids []uint32, headers bool) (map[uint32]MessageInfo, error) {
	out := make(map[uint32]MessageInfo, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	lo, hi := uids[0], uids[0]
	for _, u := range uids {
		lo, hi = min(lo, u), max(hi, u)
	}
	want := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		want[u] = true
	}
	col := withNothing
	if headers {
		col = withHeader
	}
	rows, err := s.rdb.QueryContext(ctx, infoSelect+col.sql()+infoFrom+`m.uid BETWEEN ? AND ?`, mailboxID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanInfo(rows, col)
		if err != nil {
			return nil, err
		}
		if want[m.UID] {
			out[m.UID] = m
		}
	}
	return out, rows.Err()
}

// infoSelect, a column of infoColumn's, infoFrom and a condition on
// m.uid make the query every MessageInfo is read by.
const (
	infoSelect = `SELECT m.uid, m.content_id, m.flags, m.internal_date, m.size, c.header_len, `
	infoFrom   = ` FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.mailbox_id = ? AND `
)

// infoColumn is what a MessageInfo is read with besides the message's
// info: nothing, its header section, or all its bytes.
type infoColumn int

const (
	withNothing infoColumn = iota
	withHeader
	withRaw
)

func (c infoColumn) sql() string {
	switch c {
	case withHeader:
		return "substr(c.raw, 1, c.header_len)"
	case withRaw:
		return "c.raw"
	}
	return "NULL"
}

// scanInfo reads a row of the info query.
func scanInfo(row interface{ Scan(...any) error }, col infoColumn) (MessageInfo, error) {
	var m MessageInfo
	var flags string
	var date int64
	var b []byte
	if err := row.Scan(&m.UID, &m.ContentID, &flags, &date, &m.Size, &m.HeaderLen, &b); err != nil {
		return MessageInfo{}, err
	}
	m.Flags = strings.Fields(flags)
	m.InternalDate = time.Unix(date, 0)
	switch col {
	case withHeader:
		m.Header = b
	case withRaw:
		m.Raw, m.Header = b, b[:min(m.HeaderLen, len(b))]
	}
	return m, nil
}

// Content returns a message's bytes; with headerOnly, just its header.
func (s *Store) Content(ctx context.Context, contentID int64, headerLen int) ([]byte, error) {
	var raw []byte
	var err error
	if headerLen > 0 {
		err = s.rdb.QueryRowContext(ctx, `SELECT substr(raw, 1, ?) FROM contents WHERE id = ?`, headerLen, contentID).Scan(&raw)
	} else {
		err = s.rdb.QueryRowContext(ctx, `SELECT raw FROM contents WHERE id = ?`, contentID).Scan(&raw)
	}
	if err == sql.ErrNoRows {
		return nil, ErrNoSuchUID
	}
	return raw, err
}

// SearchText is the decoded, folded (searchtext.Fold) text of a message,
// for SEARCH.
type SearchText struct {
	Subject, From, To, Cc, Bcc, Body, Filenames, Headers string
	Date                                                 time.Time
}

// Texts returns the decoded text of contents.
func (s *Store) Text(ctx context.Context, contentID int64) (SearchText, error) {
	var t SearchText
	var date int64
	err := s.rdb.QueryRowContext(ctx, `SELECT subject, from_, to_, cc, bcc, body, filenames, headers, date FROM search_text WHERE content_id = ?`, contentID).
		Scan(&t.Subject, &t.From, &t.To, &t.Cc, &t.Bcc, &t.Body, &t.Filenames, &t.Headers, &date)
	if date != 0 {
		t.Date = time.Unix(date, 0)
	}
	return t, err
}

// IndexCandidates returns the UIDs of the messages in a mailbox whose index
// matches the FTS expression q, limited to column when not empty.
func (s *Store) IndexCandidates(ctx context.Context, mailboxID int64, column, q string) (map[uint32]bool, error) {
	target := "search_index"
	switch column {
	case "":
	case "subject", "from_", "to_", "cc", "bcc", "body", "filenames":
		target = column
	default:
		return nil, fmt.Errorf("search index: no column %q", column)
	}
	// The full-text lookup runs first, once; the mailbox filter then
	// keeps the hits of this mailbox.
	rows, err := s.rdb.QueryContext(ctx, `SELECT m.uid FROM messages m
		WHERE m.mailbox_id = ? AND m.content_id IN (SELECT docid FROM search_index WHERE `+target+` MATCH ?)`, mailboxID, q)
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	return scanUIDSet(rows)
}

func scanUIDSet(rows *sql.Rows) (map[uint32]bool, error) {
	defer rows.Close()
	out := map[uint32]bool{}
	for rows.Next() {
		var uid uint32
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		out[uid] = true
	}
	return out, rows.Err()
}

// InfosOf is Infos for a sparse list of UIDs (a search's candidates):
// looked up by key in chunks rather than by scanning the UID range.
func (s *Store) InfosOf(ctx context.Context, mailboxID int64, uids []uint32) (map[uint32]MessageInfo, error) {
	return s.infosOf(ctx, mailboxID, uids, false)
}

// InfosOfWithHeaders is InfosOf with each message's header section.
func (s *Store) InfosOfWithHeaders(ctx context.Context, mailboxID int64, uids []uint32) (map[uint32]MessageInfo, error) {
	return s.infosOf(ctx, mailboxID, uids, true)
}

// InfosOfWithContent is InfosOf with each message's bytes (FETCH of a few
// bodies in one query).
func (s *Store) InfosOfWithContent(ctx context.Context, mailboxID int64, uids []uint32) (map[uint32]MessageInfo, error) {
	if len(uids) != 1 {
		return s.infosOfCol(ctx, mailboxID, uids, withRaw)
	}
	m, err := scanInfo(s.oneContent.QueryRowContext(ctx, mailboxID, uids[0]), withRaw)
	if errors.Is(err, sql.ErrNoRows) {
		return map[uint32]MessageInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	return map[uint32]MessageInfo{m.UID: m}, nil
}

func (s *Store) infosOf(ctx context.Context, mailboxID int64, uids []uint32, headers bool) (map[uint32]MessageInfo, error) {
	if headers {
		return s.infosOfCol(ctx, mailboxID, uids, withHeader)
	}
	return s.infosOfCol(ctx, mailboxID, uids, withNothing)
}

func (s *Store) infosOfCol(ctx context.Context, mailboxID int64, uids []uint32, col infoColumn) (map[uint32]MessageInfo, error) {
	out := make(map[uint32]MessageInfo, len(uids))
	const chunk = 500
	for len(uids) > 0 {
		n := min(chunk, len(uids))
		args := []any{mailboxID}
		marks := make([]string, n)
		for i, u := range uids[:n] {
			marks[i] = "?"
			args = append(args, u)
		}
		uids = uids[n:]
		rows, err := s.rdb.QueryContext(ctx, infoSelect+col.sql()+infoFrom+`m.uid IN (`+strings.Join(marks, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			m, err := scanInfo(rows, col)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[m.UID] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TextColumns are the search_text columns TextCandidates may look in.
var TextColumns = []string{"subject", "from_", "to_", "cc", "bcc", "body", "filenames", "headers"}

// TextCandidates returns the UIDs of the messages in a mailbox whose folded text in any
// of columns contains folded, the term already passed through
// searchtext.Fold. The answer is exact: a plain substring test in SQLite over
// search_text, no index involved.
func (s *Store) TextCandidates(ctx context.Context, mailboxID int64, columns []string, folded string) (map[uint32]bool, error) {
	var conds []string
	var args []any
	args = append(args, mailboxID)
	for _, c := range columns {
		ok := false
		for _, known := range TextColumns {
			ok = ok || c == known
		}
		if !ok {
			return nil, fmt.Errorf("search text: no column %q", c)
		}
		conds = append(conds, "instr(t."+c+", ?) > 0")
		args = append(args, folded)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT m.uid FROM messages m JOIN search_text t ON t.content_id = m.content_id
		WHERE m.mailbox_id = ? AND (`+strings.Join(conds, " OR ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("search text: %w", err)
	}
	return scanUIDSet(rows)
}
