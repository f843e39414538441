package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Separator divides the levels of a mailbox name.
const Separator = "/"

// MailboxByName returns owner's mailbox called name (INBOX in any case).
func (s *Store) MailboxByName(ctx context.Context, owner, name string) (Mailbox, error) {
	name = CanonicalName(name)
	var m Mailbox
	err := s.rdb.QueryRowContext(ctx, `SELECT id, owner, name, special_use, uidvalidity, uidnext, highestmodseq, subscribed,
			(SELECT count(*) FROM messages WHERE mailbox_id = b.id),
			(SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = b.id)
		FROM mailboxes b WHERE owner = ? AND name = ?`, owner, name).
		Scan(&m.ID, &m.Owner, &m.Name, &m.SpecialUse, &m.UIDValidity, &m.UIDNext, &m.HighestModSeq, &m.Subscribed, &m.Messages, &m.Size)
	if err == sql.ErrNoRows {
		return m, fmt.Errorf("%s: %w", name, ErrNoMailbox)
	}
	if err != nil {
		return m, fmt.Errorf("find mailbox %s/%s: %w", owner, name, err)
	}
	return m, nil
}

// CanonicalName spells INBOX (and INBOX/...) in upper case, as IMAP treats
// it case-insensitively, and drops a trailing separator.
func CanonicalName(name string) string {
	name = strings.TrimSuffix(name, Separator)
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	if len(name) > 6 && strings.EqualFold(name[:6], "INBOX"+Separator) {
		return "INBOX" + name[5:]
	}
	return name
}

func validName(name string) error {
	if name == "" || strings.HasPrefix(name, Separator) || strings.Contains(name, Separator+Separator) || len(name) > 1000 {
		return fmt.Errorf("%q: %w", name, ErrInvalidName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '*' || r == '%' {
			return fmt.Errorf("%q: %w", name, ErrInvalidName)
		}
	}
	return nil
}

// EnsureStandard makes owner's standard mailboxes (INBOX, Sent, ...) if
// they do not exist yet; a login calls it so clients see them at once.
func (s *Store) EnsureStandard(ctx context.Context, owner string) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		return createStandard(ctx, tx, owner, s.opts.Now(), map[boxKey]int64{})
	})
}

// CreateMailbox makes owner's mailbox name, and its missing parents.
func (s *Store) CreateMailbox(ctx context.Context, owner, name, specialUse string) error {
	name = CanonicalName(name)
	if err := validName(name); err != nil {
		return err
	}
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		parts := strings.Split(name, Separator)
		for i := 1; i < len(parts); i++ {
			parent := strings.Join(parts[:i], Separator)
			if _, err := createMailbox(ctx, tx, owner, parent, "", s.opts.Now()); err != nil && err != ErrExists {
				return err
			}
		}
		_, err := createMailbox(ctx, tx, owner, name, specialUse, s.opts.Now())
		if err == ErrExists {
			return fmt.Errorf("%s: %w", name, ErrExists)
		}
		return err
	})
}

// DeleteMailbox removes owner's mailbox and its messages. INBOX cannot be
// deleted, nor a mailbox that has sub-mailboxes (RFC 9051 lets a server
// refuse; Nanhu does, so nothing is left half-reachable).
func (s *Store) DeleteMailbox(ctx context.Context, owner, name string) error {
	name = CanonicalName(name)
	if name == "INBOX" {
		return fmt.Errorf("INBOX: %w", ErrProtected)
	}
	var id int64
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE owner = ? AND name = ?`, owner, name).Scan(&id); err == sql.ErrNoRows {
			return fmt.Errorf("%s: %w", name, ErrNoMailbox)
		} else if err != nil {
			return err
		}
		var children int
		lo, hi := childRange(name)
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mailboxes WHERE owner = ? AND name >= ? AND name < ?`,
			owner, lo, hi).Scan(&children); err != nil {
			return err
		}
		if children > 0 {
			return fmt.Errorf("%s has sub-mailboxes: delete them first: %w", name, ErrProtected)
		}
		if err := releaseMailbox(ctx, tx, owner, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE id = ?`, id)
		return err
	})
	if err == nil {
		s.forget(owner, name)
		s.notify(id)
	}
	return err
}

// RenameMailbox renames owner's mailbox and its children. Renaming INBOX
// moves its messages into the new mailbox and leaves INBOX empty (RFC 9051
// §6.3.6).
func (s *Store) RenameMailbox(ctx context.Context, owner, from, to string) error {
	from, to = CanonicalName(from), CanonicalName(to)
	if err := validName(to); err != nil {
		return err
	}
	if to == "INBOX" {
		return fmt.Errorf("INBOX: %w", ErrExists)
	}
	var touched []int64
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		src, err := mailboxIDTx(ctx, tx, owner, from)
		if err != nil {
			return err
		}
		if _, err := mailboxIDTx(ctx, tx, owner, to); err == nil {
			return fmt.Errorf("%s: %w", to, ErrExists)
		}
		parts := strings.Split(to, Separator)
		for i := 1; i < len(parts); i++ {
			if _, err := createMailbox(ctx, tx, owner, strings.Join(parts[:i], Separator), "", s.opts.Now()); err != nil && err != ErrExists {
				return err
			}
		}
		if from == "INBOX" {
			dst, err := createMailbox(ctx, tx, owner, to, "", s.opts.Now())
			if err != nil {
				return err
			}
			uids, err := allUIDs(ctx, tx, src)
			if err != nil {
				return err
			}
			if _, err := copyTx(ctx, tx, src, uids, dst); err != nil {
				return err
			}
			if _, err := expungeTx(ctx, tx, owner, src, uids, false); err != nil {
				return err
			}
			touched = append(touched, src, dst)
			return nil
		}
		lo, hi := childRange(from)
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM mailboxes WHERE owner = ? AND (name = ? OR (name >= ? AND name < ?))`,
			owner, from, lo, hi)
		if err != nil {
			return err
		}
		type ren struct {
			id   int64
			name string
		}
		var all []ren
		for rows.Next() {
			var r ren
			if err := rows.Scan(&r.id, &r.name); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		for _, r := range all {
			if _, err := tx.ExecContext(ctx, `UPDATE mailboxes SET name = ? WHERE id = ?`, to+strings.TrimPrefix(r.name, from), r.id); err != nil {
				return fmt.Errorf("rename %s: %w", r.name, err)
			}
			touched = append(touched, r.id)
		}
		return nil
	})
	if err == nil {
		s.forgetOwner(owner)
		s.notify(touched...)
	}
	return err
}

// SetSubscribed records whether owner subscribes to a mailbox.
func (s *Store) SetSubscribed(ctx context.Context, owner, name string, on bool) error {
	name = CanonicalName(name)
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailboxes SET subscribed = ? WHERE owner = ? AND name = ?`, on, owner, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s: %w", name, ErrNoMailbox)
		}
		return nil
	})
}

// childRange bounds the names below name: they start with name + "/", and
// in byte order they sort between that and name + "0" ('/' + 1). (SQLite's
// substr counts characters, not bytes, so a prefix test by length would
// miss Chinese names.)
func childRange(name string) (lo, hi string) {
	return name + Separator, name + string(rune(Separator[0]+1))
}

func mailboxIDTx(ctx context.Context, tx *sql.Tx, owner, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE owner = ? AND name = ?`, owner, name).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, fmt.Errorf("%s: %w", name, ErrNoMailbox)
	}
	return id, err
}

// forget drops cached ids after a mailbox goes away or changes name.
func (s *Store) forget(owner, name string) {
	s.mu.Lock()
	delete(s.boxCache, boxKey{owner, name})
	s.mu.Unlock()
}

func (s *Store) forgetOwner(owner string) {
	s.mu.Lock()
	for k := range s.boxCache {
		if k.owner == owner {
			delete(s.boxCache, k)
		}
	}
	s.mu.Unlock()
}

// write runs fn in a write transaction on the writer connection.
func (s *Store) write(ctx context.Context, _ any, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func allUIDs(ctx context.Context, tx *sql.Tx, mailboxID int64) ([]uint32, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// releaseMailbox deletes every message of a mailbox, dropping the contents
// no other message uses, and updates the owner's usage.
func releaseMailbox(ctx context.Context, tx *sql.Tx, owner string, mailboxID int64) error {
	var bytes, n int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0), count(*) FROM messages WHERE mailbox_id = ?`, mailboxID).Scan(&bytes, &n); err != nil {
		return fmt.Errorf("measure messages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contents SET refs = refs - (SELECT count(*) FROM messages m WHERE m.content_id = contents.id AND m.mailbox_id = ?)
		WHERE id IN (SELECT content_id FROM messages WHERE mailbox_id = ?)`, mailboxID, mailboxID); err != nil {
		return fmt.Errorf("release contents: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE mailbox_id = ?`, mailboxID); err != nil {
		return fmt.Errorf("delete messages: %w", err)
	}
	if err := dropUnreferenced(ctx, tx); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE usage SET bytes = max(bytes - ?, 0), messages = max(messages - ?, 0) WHERE owner = ?`, bytes, n, owner)
	return err
}

func dropUnreferenced(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE docid IN (SELECT id FROM contents WHERE refs <= 0)`); err != nil {
		return fmt.Errorf("drop index rows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_text WHERE content_id IN (SELECT id FROM contents WHERE refs <= 0)`); err != nil {
		return fmt.Errorf("drop search text: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM contents WHERE refs <= 0`); err != nil {
		return fmt.Errorf("drop contents: %w", err)
	}
	return nil
}

// SortFlags returns flags sorted and de-duplicated, system flags first.
func SortFlags(flags []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range flags {
		if f == "" || seen[strings.ToLower(f)] {
			continue
		}
		seen[strings.ToLower(f)] = true
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := strings.HasPrefix(out[i], `\`), strings.HasPrefix(out[j], `\`)
		if si != sj {
			return si
		}
		return out[i] < out[j]
	})
	return out
}
