package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"nanhu/internal/searchtext"
)

// Mailbox describes one mailbox.
type Mailbox struct {
	ID            int64
	Owner, Name   string
	SpecialUse    string
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	Subscribed    bool
	Messages      int
	Size          int64
}

// Mailboxes lists owner's mailboxes by name, with message counts and sizes.
func (s *Store) Mailboxes(ctx context.Context, owner string) ([]Mailbox, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT b.id, b.owner, b.name, b.special_use, b.uidvalidity, b.uidnext, b.highestmodseq, b.subscribed,
			(SELECT count(*) FROM messages m WHERE m.mailbox_id = b.id),
			(SELECT coalesce(sum(size), 0) FROM messages m WHERE m.mailbox_id = b.id)
		FROM mailboxes b WHERE b.owner = ? ORDER BY b.name = 'INBOX' DESC, b.name`, owner)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes of %s: %w", owner, err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		var m Mailbox
		if err := rows.Scan(&m.ID, &m.Owner, &m.Name, &m.SpecialUse, &m.UIDValidity, &m.UIDNext, &m.HighestModSeq, &m.Subscribed, &m.Messages, &m.Size); err != nil {
			return nil, fmt.Errorf("read mailbox: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Usage returns the bytes and message count owner's mailboxes hold, for the
// quota.
func (s *Store) Usage(ctx context.Context, owner string) (bytes int64, messages int64, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT bytes, messages FROM usage WHERE owner = ?`, owner).Scan(&bytes, &messages)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read usage of %s: %w", owner, err)
	}
	return bytes, messages, nil
}

// Message is one message of a mailbox, without its bytes.
type Message struct {
	UID          uint32
	ContentID    int64
	Flags        []string
	InternalDate time.Time
	Size         int64
	ModSeq       uint64
	MessageID    string
}

func (s *Store) mailboxID(ctx context.Context, owner, name string) (int64, error) {
	var id int64
	err := s.rdb.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE owner = ? AND name = ?`, owner, name).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, fmt.Errorf("%s/%s: %w", owner, name, ErrNoMailbox)
	}
	if err != nil {
		return 0, fmt.Errorf("find mailbox %s/%s: %w", owner, name, err)
	}
	return id, nil
}

// Messages lists the messages of owner's mailbox in UID order.
func (s *Store) Messages(ctx context.Context, owner, mailbox string) ([]Message, error) {
	id, err := s.mailboxID(ctx, owner, mailbox)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT m.uid, m.content_id, m.flags, m.internal_date, m.size, m.modseq, c.message_id
		FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.mailbox_id = ? ORDER BY m.uid`, id)
	if err != nil {
		return nil, fmt.Errorf("list messages of %s/%s: %w", owner, mailbox, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var flags string
		var date int64
		if err := rows.Scan(&m.UID, &m.ContentID, &flags, &date, &m.Size, &m.ModSeq, &m.MessageID); err != nil {
			return nil, fmt.Errorf("read message: %w", err)
		}
		m.Flags = strings.Fields(flags)
		m.InternalDate = time.Unix(date, 0)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Raw returns the bytes of the message with uid in owner's mailbox, exactly
// as stored.
func (s *Store) Raw(ctx context.Context, owner, mailbox string, uid uint32) ([]byte, error) {
	id, err := s.mailboxID(ctx, owner, mailbox)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = s.rdb.QueryRowContext(ctx, `SELECT c.raw FROM messages m JOIN contents c ON c.id = m.content_id
		WHERE m.mailbox_id = ? AND m.uid = ?`, id, uid).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("%s/%s UID %d: %w", owner, mailbox, uid, ErrNoSuchUID)
	}
	if err != nil {
		return nil, fmt.Errorf("read message %s/%s UID %d: %w", owner, mailbox, uid, err)
	}
	return raw, nil
}

// Search returns the UIDs of the messages in owner's mailbox whose decoded
// subject, addresses, body or attachment names contain term, found through
// the index. Terms without letters or digits match nothing.
func (s *Store) Search(ctx context.Context, owner, mailbox, term string) ([]uint32, error) {
	id, err := s.mailboxID(ctx, owner, mailbox)
	if err != nil {
		return nil, err
	}
	q := searchtext.MatchQuery(term)
	if q == "" {
		return nil, nil
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT m.uid FROM messages m
		WHERE m.mailbox_id = ? AND m.content_id IN (SELECT docid FROM search_index WHERE search_index MATCH ?) ORDER BY m.uid`, id, q)
	if err != nil {
		return nil, fmt.Errorf("search %s/%s: %w", owner, mailbox, err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var uid uint32
		if err := rows.Scan(&uid); err != nil {
			return nil, fmt.Errorf("read search hit: %w", err)
		}
		out = append(out, uid)
	}
	return out, rows.Err()
}

// HasMessageID reports whether owner's mailbox holds a message with this
// Message-ID (without angle brackets), so that a notification delivered
// again after a crash is not stored twice.
func (s *Store) HasMessageID(ctx context.Context, owner, mailbox, messageID string) (bool, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
		JOIN contents c ON c.id = m.content_id WHERE b.owner = ? AND b.name = ? AND c.message_id = ?`, owner, mailbox, messageID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up Message-ID: %w", err)
	}
	return n > 0, nil
}
