package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

const messageColumns = `id, COALESCE(idem_key, ''), recipient, text, state, status_report, validity_s,
	concat_ref, modem, attempts, error, requested_by, created_at, updated_at, next_attempt_at,
	expires_at, sent_at, done_at`

// loadMessages reads the messages a WHERE clause selects, with their parts.
func loadMessages(ctx context.Context, q querier, tail string, args ...any) ([]Message, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+messageColumns+" FROM message "+tail, args...)
	if err != nil {
		return nil, err
	}
	var out []Message
	byID := map[int64]int{}
	for rows.Next() {
		var m Message
		var created, updated, next, expires int64
		var sent, done sql.NullInt64
		if err := rows.Scan(&m.ID, &m.IdempotencyKey, &m.To, &m.Text, &m.State, &m.StatusReport, &m.ValiditySeconds,
			&m.ConcatRef, &m.Modem, &m.Attempts, &m.Error, &m.RequestedBy, &created, &updated, &next,
			&expires, &sent, &done); err != nil {
			rows.Close()
			return nil, err
		}
		m.CreatedAt, m.UpdatedAt, m.ExpiresAt = time.UnixMilli(created), time.UnixMilli(updated), time.UnixMilli(expires)
		if m.State == Queued {
			m.NextAttemptAt = time.UnixMilli(next)
		}
		m.SentAt, m.DoneAt = fromMS(sent), fromMS(done)
		m.Parts = []Part{}
		byID[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, len(out))
	for i, m := range out {
		ids[i] = fmt.Sprint(m.ID)
	}
	prows, err := q.QueryContext(ctx, `SELECT message_id, seq, state, modem, mr, sent_at, done_at, status, error
		FROM part WHERE message_id IN (`+strings.Join(ids, ",")+`) ORDER BY message_id, seq`)
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	for prows.Next() {
		var id int64
		var p Part
		var mr, status, sent, done sql.NullInt64
		if err := prows.Scan(&id, &p.Seq, &p.State, &p.Modem, &mr, &sent, &done, &status, &p.Error); err != nil {
			return nil, err
		}
		if mr.Valid {
			v := int(mr.Int64)
			p.Ref = &v
		}
		if status.Valid {
			v := int(status.Int64)
			p.Status = &v
		}
		p.SentAt, p.DoneAt = fromMS(sent), fromMS(done)
		i := byID[id]
		out[i].Parts = append(out[i].Parts, p)
	}
	return out, prows.Err()
}

func loadMessage(ctx context.Context, q querier, id int64) (Message, error) {
	ms, err := loadMessages(ctx, q, "WHERE id = ?", id)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, ErrNotFound
	}
	return ms[0], nil
}

// Insert stores a new queued message, durably when it returns. A message
// with an idempotency key already stored comes back instead, existed
// true; ErrKeyReused when that one has another recipient or text.
//
// Concurrent Inserts share a transaction and its fsync (group commit):
// the caller whose turn it is stores every request queued by then, each
// in a savepoint so that one request's failure undoes only its own rows,
// then passes the turn to the first request queued meanwhile. Every
// caller returns only after the commit that holds its message.
func (s *Store) Insert(ctx context.Context, n NewMessage) (m Message, existed bool, err error) {
	if n.Parts < 1 {
		return Message{}, false, errors.New("insert SMS: no parts")
	}
	r := &insertReq{ctx: ctx, n: n, done: make(chan struct{}), turn: make(chan struct{}, 1)}
	s.ins.mu.Lock()
	s.ins.queued = append(s.ins.queued, r)
	mine := !s.ins.busy
	s.ins.busy = true
	s.ins.mu.Unlock()
	if !mine {
		select {
		case <-r.done: // stored in another caller's turn
			return r.m, r.existed, r.err
		case <-r.turn:
		}
	}
	s.insertQueued()
	<-r.done
	return r.m, r.existed, r.err
}

// inserts gathers concurrent Inserts for one transaction; the zero value
// is ready.
type inserts struct {
	mu     sync.Mutex
	busy   bool // a caller is storing the queued requests
	queued []*insertReq
}

// insertReq is one Insert waiting for its batch to commit.
type insertReq struct {
	ctx     context.Context
	n       NewMessage
	m       Message
	existed bool
	err     error
	done    chan struct{} // closed once m, existed and err are final
	turn    chan struct{} // buffered: it is this caller's turn to store
}

// insertQueued stores the requests queued by now, then passes the turn
// to the first one queued meanwhile, if any.
func (s *Store) insertQueued() {
	// Let the goroutines that are about to queue requests run first:
	// when the process is busy, the batch grows and one fsync serves
	// more messages; when it is idle, this returns at once.
	runtime.Gosched()
	s.ins.mu.Lock()
	batch := s.ins.queued
	s.ins.queued = nil
	s.ins.mu.Unlock()
	defer func() {
		s.ins.mu.Lock()
		if len(s.ins.queued) > 0 {
			s.ins.queued[0].turn <- struct{}{}
		} else {
			s.ins.busy = false
		}
		s.ins.mu.Unlock()
	}()
	for len(batch) > 0 {
		part := batch[:min(len(batch), maxInsertBatch)]
		batch = batch[len(part):]
		s.insertBatch(part)
	}
}

// maxInsertBatch bounds the messages stored in one transaction.
const maxInsertBatch = 256

// insertBatch stores batch in one transaction and answers every request.
func (s *Store) insertBatch(batch []*insertReq) {
	// One caller's cancelled context must not roll back the others.
	ctx := context.WithoutCancel(batch[0].ctx)
	shared := len(batch) > 1
	err := s.tx(ctx, "insert SMS", func(tx *sql.Tx) error {
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = err // gave up waiting: nothing stored for it
				continue
			}
			if shared {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT ins"); err != nil {
					return err
				}
			}
			r.m, r.existed, r.err = s.insertTx(ctx, tx, r.n)
			if !shared {
				return r.err
			}
			if r.err != nil {
				r.m, r.existed = Message{}, false
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO ins"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE ins"); err != nil {
				return err
			}
		}
		return nil
	})
	for _, r := range batch {
		switch {
		case err != nil:
			// Nothing of the batch was committed.
			r.m, r.existed, r.err = Message{}, false, err
		case r.err != nil:
			r.err = fmt.Errorf("insert SMS: %w", r.err)
		}
		close(r.done)
	}
}

// insertTx stores one new message in tx, or finds the one its
// idempotency key names.
func (s *Store) insertTx(ctx context.Context, tx *sql.Tx, n NewMessage) (m Message, existed bool, err error) {
	if n.IdempotencyKey != "" {
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM message WHERE idem_key = ?", n.IdempotencyKey).Scan(&id)
		if err == nil {
			if m, err = loadMessage(ctx, tx, id); err != nil {
				return Message{}, false, err
			}
			if m.To != n.To || m.Text != n.Text {
				return Message{}, false, ErrKeyReused
			}
			return m, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Message{}, false, err
		}
	}
	var key any
	if n.IdempotencyKey != "" {
		key = n.IdempotencyKey
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO message (idem_key, recipient, text, state, status_report, validity_s,
		parts, concat_ref, requested_by, created_at, updated_at, next_attempt_at, expires_at)
		VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key, n.To, n.Text, n.StatusReport, int64(n.Validity/time.Second), n.Parts, n.ConcatRef, n.RequestedBy,
		ms(now), ms(now), ms(now), ms(now.Add(n.Validity)))
	if err != nil {
		return Message{}, false, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Message{}, false, err
	}
	parts := make([]Part, n.Parts)
	for i := range parts {
		parts[i] = Part{Seq: i + 1, State: Queued}
		if _, err := tx.ExecContext(ctx, "INSERT INTO part (message_id, seq, state) VALUES (?, ?, 'queued')", id, i+1); err != nil {
			return Message{}, false, err
		}
	}
	// The row as just written, as loadMessage would read it back
	// (TestInsertReturnsTheRow keeps the two the same).
	created := time.UnixMilli(ms(now))
	return Message{
		ID: id, IdempotencyKey: n.IdempotencyKey, To: n.To, Text: n.Text, State: Queued,
		StatusReport: n.StatusReport, ValiditySeconds: int64(n.Validity / time.Second), ConcatRef: n.ConcatRef,
		RequestedBy: n.RequestedBy, CreatedAt: created, UpdatedAt: created, NextAttemptAt: created,
		ExpiresAt: time.UnixMilli(ms(now.Add(n.Validity))), Parts: parts,
	}, false, nil
}

// Get returns one message with its parts.
func (s *Store) Get(ctx context.Context, id int64) (Message, error) {
	return loadMessage(ctx, s.rdb, id)
}

// Filter selects messages for List. The zero value lists the newest 100.
type Filter struct {
	State    State  // "" for every state
	To       string // "" for every recipient
	BeforeID int64  // only ids below this, for paging; 0 for none
	Limit    int    // at most this many (default 100, at most 1000)
}

// List returns messages newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Message, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.To != "" {
		where, args = append(where, "recipient = ?"), append(args, f.To)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	tail := ""
	if len(where) > 0 {
		tail = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	out, err := loadMessages(ctx, s.rdb, tail+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list SMS: %w", err)
	}
	return out, nil
}

// Counts returns how many messages are in each state.
func (s *Store) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT state, COUNT(*) FROM message GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("count SMS: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// RequeueSending puts the messages a crash left in "sending" back in the
// queue, due now; it returns how many. Run it before anything is sent.
func (s *Store) RequeueSending(ctx context.Context) (int64, error) {
	now := ms(s.now())
	var n int64
	err := s.tx(ctx, "requeue SMS in flight", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE part SET state = 'queued', modem = '', mr = NULL, sent_at = NULL
			WHERE message_id IN (SELECT id FROM message WHERE state = 'sending')`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE message SET state = 'queued', modem = '', next_attempt_at = ?, updated_at = ?
			WHERE state = 'sending'`, now, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// Claim takes up to len(modems) queued messages that are due and not
// expired, oldest due first, and gives the i-th to modems[i]: state
// sending, one more attempt. It returns them in that order.
func (s *Store) Claim(ctx context.Context, modems []string) ([]Message, error) {
	if len(modems) == 0 {
		return nil, nil
	}
	now := ms(s.now())
	var out []Message
	err := s.tx(ctx, "claim SMS", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM message WHERE state = 'queued' AND next_attempt_at <= ? AND expires_at > ?
			ORDER BY next_attempt_at, id LIMIT ?`, now, now, len(modems))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE message SET state = 'sending', modem = ?, attempts = attempts + 1, updated_at = ?
				WHERE id = ?`, modems[i], now, id); err != nil {
				return err
			}
			m, err := loadMessage(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// NextDue is when the earliest queued message is due; ok is false when
// none is queued (expired ones do not count).
func (s *Store) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, "SELECT MIN(next_attempt_at) FROM message WHERE state = 'queued' AND expires_at > ?",
		ms(s.now())).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("next SMS due: %w", err)
	}
	return fromMS(v), v.Valid, nil
}

// PartSent records that the network took part seq of message id from
// modem with message reference mr. When it was the last part to go, the
// message is sent. It returns the message as it now is.
func (s *Store) PartSent(ctx context.Context, id int64, seq int, modem string, mr int) (Message, error) {
	now := ms(s.now())
	var m Message
	err := s.tx(ctx, "record SMS part sent", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE part SET state = 'sent', modem = ?, mr = ?, sent_at = ?
			WHERE message_id = ? AND seq = ? AND state = 'queued'`, modem, mr, now, id, seq); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE message SET state = 'sent', sent_at = ?, updated_at = ?
			WHERE id = ? AND state = 'sending'
			AND NOT EXISTS (SELECT 1 FROM part WHERE message_id = ? AND state IN ('queued', 'failed'))`,
			now, now, id, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := s.addEvent(ctx, tx, EventStatus, id); err != nil {
				return err
			}
		}
		m, err = loadMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// Retry puts a message the modem could not send back in the queue, due
// at next, every part to be sent again. errText says why; "" keeps the
// last error.
func (s *Store) Retry(ctx context.Context, id int64, errText string, next time.Time) (Message, error) {
	now := ms(s.now())
	var m Message
	err := s.tx(ctx, "requeue SMS", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE message SET state = 'queued', modem = '', error = COALESCE(NULLIF(?, ''), error),
			next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'sending'`, errText, ms(next), now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE part SET state = 'queued', modem = '', mr = NULL, sent_at = NULL,
				done_at = NULL, status = NULL, error = '' WHERE message_id = ?`, id); err != nil {
				return err
			}
		}
		m, err = loadMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// Fail fails a message that is not yet sent, for the reason errText.
func (s *Store) Fail(ctx context.Context, id int64, errText string) (Message, error) {
	now := ms(s.now())
	var m Message
	err := s.tx(ctx, "fail SMS", func(tx *sql.Tx) error {
		if err := s.failTx(ctx, tx, id, errText, now); err != nil {
			return err
		}
		var err error
		m, err = loadMessage(ctx, tx, id)
		return err
	})
	return m, err
}

func (s *Store) failTx(ctx context.Context, tx *sql.Tx, id int64, errText string, now int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE message SET state = 'failed', error = ?, done_at = ?, updated_at = ?
		WHERE id = ? AND state IN ('queued', 'sending')`, errText, now, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err = tx.ExecContext(ctx, `UPDATE part SET state = 'failed', done_at = ?, error = ?
		WHERE message_id = ? AND state = 'queued'`, now, errText, id); err != nil {
		return err
	}
	return s.addEvent(ctx, tx, EventStatus, id)
}

// ExpireQueued fails the queued messages whose validity ran out before
// they could be sent, and returns them.
func (s *Store) ExpireQueued(ctx context.Context) ([]Message, error) {
	now := ms(s.now())
	var one int
	err := s.rdb.QueryRowContext(ctx, "SELECT 1 FROM message WHERE state = 'queued' AND expires_at <= ? LIMIT 1", now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // the common case, without taking the write lock
	}
	var out []Message
	err = s.tx(ctx, "expire SMS", func(tx *sql.Tx) error {
		var err error
		out, err = loadMessages(ctx, tx, "WHERE state = 'queued' AND expires_at <= ?", now)
		if err != nil {
			return err
		}
		for i, m := range out {
			why := "the validity period ran out before the SMS could be sent"
			if m.Error != "" {
				why += "; last error: " + m.Error
			}
			if err := s.failTx(ctx, tx, m.ID, why, now); err != nil {
				return err
			}
			if out[i], err = loadMessage(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
