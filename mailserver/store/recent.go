package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ClaimRecent records that a session has been told of the mailbox's
// messages up to UID hi, and returns the UID after which this call was the
// first: the messages in (from, hi] are \Recent for the caller (RFC 3501
// §2.3.2), and for no other session. from == hi when others claimed them
// all before.
func (s *Store) ClaimRecent(ctx context.Context, mailboxID int64, hi uint32) (from uint32, err error) {
	err = s.write(ctx, nil, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT recent_uid FROM mailboxes WHERE id = ?`, mailboxID).Scan(&from); err != nil {
			return err
		}
		if from >= hi {
			from = hi
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE mailboxes SET recent_uid = ? WHERE id = ?`, hi, mailboxID)
		return err
	})
	if err == sql.ErrNoRows {
		return hi, fmt.Errorf("claim recent: %w", ErrNoMailbox)
	}
	if err != nil {
		return hi, fmt.Errorf("claim recent in mailbox %d: %w", mailboxID, err)
	}
	return from, nil
}

// RecentUID returns the highest UID of the mailbox that a session has been
// told of; the messages above it are recent for whoever selects it next.
func (s *Store) RecentUID(ctx context.Context, mailboxID int64) (uint32, error) {
	var uid uint32
	err := s.rdb.QueryRowContext(ctx, `SELECT recent_uid FROM mailboxes WHERE id = ?`, mailboxID).Scan(&uid)
	if err == sql.ErrNoRows {
		return 0, fmt.Errorf("recent: %w", ErrNoMailbox)
	}
	if err != nil {
		return 0, fmt.Errorf("recent of mailbox %d: %w", mailboxID, err)
	}
	return uid, nil
}

// CountAbove returns how many messages of the mailbox have a UID above uid.
func (s *Store) CountAbove(ctx context.Context, mailboxID int64, uid uint32) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid > ?`, mailboxID, uid).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages of mailbox %d: %w", mailboxID, err)
	}
	return n, nil
}
