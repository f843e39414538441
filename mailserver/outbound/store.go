package outbound

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"nanhu/internal/sqlitedb"
)

// migrations are applied in order at open; PRAGMA user_version counts the
// ones already applied. Never edit one that has shipped: append.
var migrations = []string{
	// 1: messages, their recipients, and the notices (DSNs) owed to senders.
	`
CREATE TABLE message (
	id               INTEGER PRIMARY KEY,
	sender           TEXT    NOT NULL,          -- envelope MAIL FROM, '' for <>
	raw              BLOB    NOT NULL,          -- the message as sent, DKIM-Signature included
	smtputf8         INTEGER NOT NULL,          -- needs the SMTPUTF8 extension
	eightbit         INTEGER NOT NULL,          -- has 8-bit bytes (BODY=8BITMIME)
	queued_at        INTEGER NOT NULL,          -- unix ms
	first_attempt_at INTEGER,                   -- unix ms, NULL until tried
	delay_notice_at  INTEGER                    -- unix ms the delay DSN is due; NULL if none is owed
);
CREATE TABLE recipient (
	id              INTEGER PRIMARY KEY,
	message_id      INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
	addr            TEXT    NOT NULL,
	domain          TEXT    NOT NULL,           -- lower case
	state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,           -- unix ms
	last_attempt_at INTEGER,                    -- unix ms
	remote_mta      TEXT    NOT NULL DEFAULT '', -- host of the last reply
	status          TEXT    NOT NULL DEFAULT '', -- x.y.z of the last result
	diagnostic      TEXT    NOT NULL DEFAULT ''  -- "smtp; 451 4.7.1 ..." of the last result
);
CREATE INDEX recipient_message ON recipient(message_id);
CREATE INDEX recipient_due ON recipient(state, next_attempt_at);
CREATE TABLE notice (
	id              INTEGER PRIMARY KEY,
	kind            TEXT    NOT NULL CHECK (kind IN ('failed', 'delayed')),
	rcpt            TEXT    NOT NULL,           -- the local sender it goes to
	raw             BLOB    NOT NULL,           -- the finished DSN
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notice_due ON notice(next_attempt_at);
`,
}

// store holds the queue's SQL, one named function per statement group.
type store struct {
	sdb *sqlitedb.DB
	db  *sql.DB
}

func openStore(ctx context.Context, path string) (*store, error) {
	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path:        path,
		Synchronous: sqlitedb.Full, // a remote copy is on disk before the 250
		Migrations:  migrations,
		Writers:     4, // the delivery workers write their results each on its own
		ForeignKeys: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open the outbound queue: %w", err)
	}
	return &store{sdb: sdb, db: sdb.Writer()}, nil
}

func (s *store) close() error { return s.sdb.Close() }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

// newMessage is a message about to be queued.
type newMessage struct {
	sender   string
	rcpts    []string
	raw      []byte
	smtputf8 bool
	eightbit bool
	queuedAt time.Time
	firstAt  time.Time // when the first attempt is due
}

// insertMessage stores a message and its recipients in one transaction.
func (s *store) insertMessage(ctx context.Context, m newMessage) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO message (sender, raw, smtputf8, eightbit, queued_at) VALUES (?, ?, ?, ?, ?)`,
		m.sender, m.raw, m.smtputf8, m.eightbit, ms(m.queuedAt))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, r := range m.rcpts {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO recipient (message_id, addr, domain, next_attempt_at) VALUES (?, ?, ?, ?)`,
			id, r, domainOf(r), ms(m.firstAt)); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}

// queuedCount counts recipients not yet delivered or failed.
func (s *store) queuedCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM recipient WHERE state = 'queued'`).Scan(&n)
	return n, err
}

// messageDue is when a message next needs work: an attempt or a delay
// notice, whichever is first.
type messageDue struct {
	id int64
	at time.Time
}

// dueTimes lists every message with pending recipients and when it is due.
func (s *store) dueTimes(ctx context.Context) ([]messageDue, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT m.id, min(r.next_attempt_at), m.delay_notice_at
FROM message m JOIN recipient r ON r.message_id = m.id
WHERE r.state = 'queued'
GROUP BY m.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []messageDue
	for rows.Next() {
		var d messageDue
		var next int64
		var delay sql.NullInt64
		if err := rows.Scan(&d.id, &next, &delay); err != nil {
			return nil, err
		}
		if delay.Valid && delay.Int64 < next {
			next = delay.Int64
		}
		d.at = fromMS(next)
		out = append(out, d)
	}
	return out, rows.Err()
}

// message is a queued message as loaded for an attempt.
type message struct {
	id            int64
	sender        string
	raw           []byte
	smtputf8      bool
	eightbit      bool
	queuedAt      time.Time
	firstAttempt  time.Time // zero before the first attempt
	delayNoticeAt time.Time // zero if no delay notice is owed
}

// recipient is one recipient row.
type recipient struct {
	id          int64
	addr        string
	domain      string
	state       string
	attempts    int
	nextAttempt time.Time
	lastAttempt time.Time
	remoteMTA   string
	status      string
	diagnostic  string
}

var errNoMessage = errors.New("message not in queue")

func (s *store) loadMessage(ctx context.Context, id int64) (*message, error) {
	m := &message{id: id}
	var queued int64
	var first, delay sql.NullInt64
	err := s.db.QueryRowContext(ctx,
		`SELECT sender, raw, smtputf8, eightbit, queued_at, first_attempt_at, delay_notice_at FROM message WHERE id = ?`, id).
		Scan(&m.sender, &m.raw, &m.smtputf8, &m.eightbit, &queued, &first, &delay)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoMessage
	}
	if err != nil {
		return nil, err
	}
	m.queuedAt = fromMS(queued)
	if first.Valid {
		m.firstAttempt = fromMS(first.Int64)
	}
	if delay.Valid {
		m.delayNoticeAt = fromMS(delay.Int64)
	}
	return m, nil
}

// recipients lists all recipients of a message, in queueing order.
func (s *store) recipients(ctx context.Context, msgID int64) ([]recipient, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT id, addr, domain, state, attempts, next_attempt_at, last_attempt_at, remote_mta, status, diagnostic
FROM recipient WHERE message_id = ? ORDER BY id`, msgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		var next int64
		var last sql.NullInt64
		if err := rows.Scan(&r.id, &r.addr, &r.domain, &r.state, &r.attempts, &next, &last, &r.remoteMTA, &r.status, &r.diagnostic); err != nil {
			return nil, err
		}
		r.nextAttempt = fromMS(next)
		if last.Valid {
			r.lastAttempt = fromMS(last.Int64)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// beginAttempt records, before any connection is made, that the recipients
// are being tried now and when (their nextAttempt) to try again should the
// attempt never report back (a crash). The first attempt also fixes when the delay
// notice is due.
func (s *store) beginAttempt(ctx context.Context, msgID int64, rcpts []recipient, now time.Time, delayNotice time.Duration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `
UPDATE message SET
	delay_notice_at = CASE WHEN first_attempt_at IS NULL THEN ? ELSE delay_notice_at END,
	first_attempt_at = coalesce(first_attempt_at, ?)
WHERE id = ?`, ms(now.Add(delayNotice)), ms(now), msgID); err != nil {
		return err
	}
	for _, r := range rcpts {
		if _, err := tx.ExecContext(ctx,
			`UPDATE recipient SET last_attempt_at = ?, next_attempt_at = ? WHERE id = ?`,
			ms(now), ms(r.nextAttempt), r.id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// newNotice is a DSN to hand to the local deliverer.
type newNotice struct {
	kind string // "failed" or "delayed"
	rcpt string
	raw  []byte
}

// finishAttempt stores the outcome of an attempt in one transaction: the
// recipients' new state, the notices owed, and whether the delay notice is
// settled. A message with no recipient left queued is deleted.
func (s *store) finishAttempt(ctx context.Context, msgID int64, updated []recipient, notices []newNotice, clearDelay bool, now time.Time) (deleted bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	for _, r := range updated {
		var last any
		if !r.lastAttempt.IsZero() {
			last = ms(r.lastAttempt)
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE recipient SET state = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, remote_mta = ?, status = ?, diagnostic = ?
WHERE id = ?`, r.state, r.attempts, ms(r.nextAttempt), last, r.remoteMTA, r.status, r.diagnostic, r.id); err != nil {
			return false, err
		}
	}
	for _, n := range notices {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO notice (kind, rcpt, raw, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)`,
			n.kind, n.rcpt, n.raw, ms(now), ms(now)); err != nil {
			return false, err
		}
	}
	if clearDelay {
		if _, err := tx.ExecContext(ctx, `UPDATE message SET delay_notice_at = NULL WHERE id = ?`, msgID); err != nil {
			return false, err
		}
	}
	var queued int
	if err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM recipient WHERE message_id = ? AND state = 'queued'`, msgID).Scan(&queued); err != nil {
		return false, err
	}
	if queued == 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM message WHERE id = ?`, msgID); err != nil {
			return false, err
		}
		deleted = true
	}
	return deleted, tx.Commit()
}

// retryNow makes every queued recipient and notice due at now.
func (s *store) retryNow(ctx context.Context, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`UPDATE recipient SET next_attempt_at = ? WHERE state = 'queued' AND next_attempt_at > ?`, ms(now), ms(now)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE notice SET next_attempt_at = ? WHERE next_attempt_at > ?`, ms(now), ms(now)); err != nil {
		return err
	}
	return tx.Commit()
}

// notice is a queued DSN.
type notice struct {
	id        int64
	kind      string
	rcpt      string
	raw       []byte
	createdAt time.Time
	attempts  int
}

// nextNotice returns the earliest notice and when it is due, or ok false.
func (s *store) nextNotice(ctx context.Context) (n notice, due time.Time, ok bool, err error) {
	var created, next int64
	err = s.db.QueryRowContext(ctx,
		`SELECT id, kind, rcpt, raw, created_at, attempts, next_attempt_at FROM notice ORDER BY next_attempt_at, id LIMIT 1`).
		Scan(&n.id, &n.kind, &n.rcpt, &n.raw, &created, &n.attempts, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return n, due, false, nil
	}
	if err != nil {
		return n, due, false, err
	}
	n.createdAt = fromMS(created)
	return n, fromMS(next), true, nil
}

func (s *store) deleteNotice(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM notice WHERE id = ?`, id)
	return err
}

func (s *store) deferNotice(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE notice SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, ms(next), lastErr, id)
	return err
}

// domainOf returns the lower-cased domain of an address.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}
