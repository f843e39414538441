package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nanhu/internal/sqlitedb"
	"nanhu/queue/contract"
)

// migrations are the schema changes of notify.db, in order; migration i
// brings the file from user_version i to i+1. Never edit one that has
// shipped; add a new one. Times are Unix milliseconds of Options.Now.
var migrations = []string{
	// 1: the first schema.
	`
-- Event ids already handled (oa.todo and sms.inbound), so that a
-- redelivered event does nothing twice.
CREATE TABLE processed (
	event_id TEXT NOT NULL,
	kind     TEXT NOT NULL, -- todo, inbound
	at       INTEGER NOT NULL,
	PRIMARY KEY (kind, event_id)
);
CREATE INDEX processed_at ON processed(at);
-- The last known state of each to-do: what digests, 催办 and replies
-- need to know about it.
CREATE TABLE todos (
	id       TEXT PRIMARY KEY,
	assignee TEXT NOT NULL,
	body     TEXT NOT NULL, -- contract.Todo as JSON
	open     INTEGER NOT NULL,
	last_at  INTEGER NOT NULL, -- the latest event's "at"
	updated  INTEGER NOT NULL
);
CREATE INDEX todos_updated ON todos(updated);
-- Notifications held back: by a digest window or by quiet hours.
CREATE TABLE pending (
	login    TEXT NOT NULL,
	todo_id  TEXT NOT NULL,
	kind     TEXT NOT NULL, -- todo, overdue, escalation
	event_id TEXT NOT NULL,
	added    INTEGER NOT NULL,
	PRIMARY KEY (login, todo_id, kind)
);
CREATE INDEX pending_todo ON pending(todo_id);
-- When each person's held notifications go out: the end of a digest
-- window or of quiet hours.
CREATE TABLE windows (
	login    TEXT PRIMARY KEY,
	flush_at INTEGER NOT NULL
);
CREATE INDEX windows_flush ON windows(flush_at);
-- 催办 to the leader, one per overdue to-do.
CREATE TABLE escalations (
	todo_id  TEXT PRIMARY KEY,
	event_id TEXT NOT NULL, -- the overdue event
	due_at   INTEGER NOT NULL
);
CREATE INDEX escalations_due ON escalations(due_at);
-- Notification SMS that may be answered, with their short codes.
CREATE TABLE awaiting (
	login   TEXT NOT NULL,
	todo_id TEXT NOT NULL,
	code    TEXT NOT NULL,
	sent_at INTEGER NOT NULL,
	PRIMARY KEY (login, todo_id),
	UNIQUE (login, code)
);
CREATE INDEX awaiting_todo ON awaiting(todo_id);
CREATE TABLE code_seq (
	login TEXT PRIMARY KEY,
	next  INTEGER NOT NULL
);
-- Messages decided but not yet acknowledged by the queue.
CREATE TABLE outbox (
	id      INTEGER PRIMARY KEY,
	topic   TEXT NOT NULL,
	body    TEXT NOT NULL,
	created INTEGER NOT NULL
);
-- Every decision and every reply, for whoever asks why.
CREATE TABLE log (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	event_id TEXT NOT NULL,
	todo_id  TEXT NOT NULL,
	login    TEXT NOT NULL,
	decision TEXT NOT NULL,
	detail   TEXT NOT NULL
);
CREATE INDEX log_at ON log(at);
CREATE INDEX log_login ON log(login, decision, at);
`,
	// 2: the oldest notification awaiting someone's answer, found without
	// reading all of theirs (await frees its code when every code is in
	// use).
	`CREATE INDEX awaiting_sent ON awaiting(login, sent_at);`,
	// 3: a person's open to-dos, for the workbench.
	`CREATE INDEX todos_assignee ON todos(assignee, open, last_at);`,
}

// store is an open notify.db. Every call runs under the Notifier's lock,
// so one connection serves reads and writes.
type store struct {
	sdb     *sqlitedb.DB
	db      *sql.DB
	rdb     *sql.DB       // readers, for the workbench
	commits atomic.Uint64 // transactions committed by update

	// open caches each person's open to-dos as of a commit count: notify.db
	// is written only by this process, through update, so an entry is good
	// while no transaction has committed since it was read.
	openMu sync.Mutex
	open   map[string]openEntry
}

func openStore(ctx context.Context, path string) (*store, error) {
	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path: path,
		// NORMAL: a crash of the process loses nothing; a power cut may
		// lose the last moments, as nsqd's own disk queue would.
		Synchronous: sqlitedb.Normal,
		Migrations:  migrations,
		// Routing runs the same few dozen statements for every event: keep
		// them prepared rather than parse each again.
		StatementCache: 64,
		// The workbench reads a person's to-dos beside routing's writes.
		Readers: 2,
	})
	if err != nil {
		return nil, err
	}
	return &store{sdb: sdb, db: sdb.Writer(), rdb: sdb.Reader(), open: map[string]openEntry{}}, nil
}

func (s *store) close() error { return s.sdb.Close() }

// update runs fn in a write transaction, committed when fn returns nil.
func (s *store) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("notify.db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("notify.db: commit: %w", err)
	}
	s.commits.Add(1)
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// markProcessed records an event id; seen says it was there already.
func markProcessed(ctx context.Context, tx *sql.Tx, kind, id string, now time.Time) (seen bool, err error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO processed (kind, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, kind, id, ms(now))
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 0, nil
}

// todoRow is a to-do as notify.db knows it.
type todoRow struct {
	todo   contract.Todo
	open   bool
	lastAt time.Time
}

func loadTodo(ctx context.Context, tx *sql.Tx, id string) (todoRow, bool, error) {
	var body string
	var r todoRow
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT body, open, last_at FROM todos WHERE id = ?`, id).Scan(&body, &r.open, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read to-do %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(body), &r.todo); err != nil {
		return r, false, fmt.Errorf("read to-do %s: %w", id, err)
	}
	r.lastAt = time.UnixMilli(last)
	return r, true, nil
}

func saveTodo(ctx context.Context, tx *sql.Tx, r todoRow, now time.Time) error {
	body, err := json.Marshal(r.todo)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO todos (id, assignee, body, open, last_at, updated) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET assignee = excluded.assignee, body = excluded.body,
		   open = excluded.open, last_at = max(last_at, excluded.last_at), updated = excluded.updated`,
		r.todo.ID, r.todo.Assignee, string(body), r.open, ms(r.lastAt), ms(now))
	if err != nil {
		return fmt.Errorf("save to-do %s: %w", r.todo.ID, err)
	}
	return nil
}

// The kinds of held notification.
const (
	kindTodo       = "todo"       // a new or reassigned to-do: may join a digest
	kindOverdue    = "overdue"    // 催办 to the assignee
	kindEscalation = "escalation" // 催办 to the leader
)

// pendingRow is one held notification.
type pendingRow struct {
	login, todoID, kind, eventID string
	added                        time.Time
}

func addPending(ctx context.Context, tx *sql.Tx, p pendingRow) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO pending (login, todo_id, kind, event_id, added) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT DO UPDATE SET event_id = excluded.event_id`,
		p.login, p.todoID, p.kind, p.eventID, ms(p.added))
	if err != nil {
		return fmt.Errorf("hold a notification for %s: %w", p.login, err)
	}
	return nil
}

func pendingOf(ctx context.Context, tx *sql.Tx, login string) ([]pendingRow, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT todo_id, kind, event_id, added FROM pending WHERE login = ? ORDER BY added, rowid`, login)
	if err != nil {
		return nil, fmt.Errorf("read held notifications of %s: %w", login, err)
	}
	defer rows.Close()
	var out []pendingRow
	for rows.Next() {
		p := pendingRow{login: login}
		var added int64
		if err := rows.Scan(&p.todoID, &p.kind, &p.eventID, &added); err != nil {
			return nil, err
		}
		p.added = time.UnixMilli(added)
		out = append(out, p)
	}
	return out, rows.Err()
}

func deletePendingOf(ctx context.Context, tx *sql.Tx, login string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE login = ?`, login)
	return err
}

// deletePendingTodo drops what is held about a to-do, except for login
// (pass "" to drop it all); it returns how many were dropped.
func deletePendingTodo(ctx context.Context, tx *sql.Tx, todoID, except string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE todo_id = ? AND login != ?`, todoID, except)
	if err != nil {
		return 0, fmt.Errorf("drop held notifications of %s: %w", todoID, err)
	}
	return res.RowsAffected()
}

// window returns when login's held notifications go out.
func window(ctx context.Context, tx *sql.Tx, login string) (time.Time, bool, error) {
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT flush_at FROM windows WHERE login = ?`, login).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the digest window of %s: %w", login, err)
	}
	return time.UnixMilli(at), true, nil
}

func setWindow(ctx context.Context, tx *sql.Tx, login string, at time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO windows (login, flush_at) VALUES (?, ?) ON CONFLICT (login) DO UPDATE SET flush_at = excluded.flush_at`,
		login, ms(at))
	if err != nil {
		return fmt.Errorf("set the digest window of %s: %w", login, err)
	}
	return nil
}

func deleteWindow(ctx context.Context, tx *sql.Tx, login string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM windows WHERE login = ?`, login)
	return err
}

// dueWindows returns the people whose held notifications are due.
func dueWindows(ctx context.Context, db *sql.DB, now time.Time) ([]string, error) {
	return strings1(ctx, db, `SELECT login FROM windows WHERE flush_at <= ? ORDER BY flush_at`, ms(now))
}

// setEscalation schedules a 催办 to the leader; an earlier one already
// scheduled for the to-do stays.
func setEscalation(ctx context.Context, tx *sql.Tx, todoID, eventID string, due time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO escalations (todo_id, event_id, due_at) VALUES (?, ?, ?) ON CONFLICT (todo_id) DO NOTHING`,
		todoID, eventID, ms(due))
	if err != nil {
		return fmt.Errorf("schedule the 催办 of %s: %w", todoID, err)
	}
	return nil
}

func deleteEscalation(ctx context.Context, tx *sql.Tx, todoID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM escalations WHERE todo_id = ?`, todoID)
	if err != nil {
		return false, fmt.Errorf("cancel the 催办 of %s: %w", todoID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// escalationRow is one scheduled 催办.
type escalationRow struct {
	todoID, eventID string
	due             time.Time
}

func dueEscalations(ctx context.Context, db *sql.DB, now time.Time) ([]escalationRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT todo_id, event_id, due_at FROM escalations WHERE due_at <= ? ORDER BY due_at`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("read due 催办: %w", err)
	}
	defer rows.Close()
	var out []escalationRow
	for rows.Next() {
		var e escalationRow
		var due int64
		if err := rows.Scan(&e.todoID, &e.eventID, &due); err != nil {
			return nil, err
		}
		e.due = time.UnixMilli(due)
		out = append(out, e)
	}
	return out, rows.Err()
}

// codeLetters and codeDigits make the short codes A1 … Z9: no I or O,
// which read as 1 and 0, and no digit 0.
const (
	codeLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	codeDigits  = "123456789"
	codeCount   = len(codeLetters) * len(codeDigits)
)

func codeAt(n int) string {
	n %= codeCount
	return string(codeLetters[n/len(codeDigits)]) + string(codeDigits[n%len(codeDigits)])
}

// codeIndex is the place of a code made by codeAt in the sequence.
func codeIndex(code string) int {
	if len(code) != 2 {
		return 0
	}
	return max(strings.IndexByte(codeLetters, code[0]), 0)*len(codeDigits) + max(strings.IndexByte(codeDigits, code[1]), 0)
}

// await records that login may answer the notification of todoID by
// reply, giving it a short code unless it has one, and returns the code
// and whether other to-dos await an answer from login too.
//
// Codes are given in turn (code_seq), skipping those in use; when every
// code is in use, the oldest notification awaiting an answer gives its
// code up. It reads only what that needs, by index, not every row
// awaiting login: someone with many open to-dos would otherwise cost a
// read of up to codeCount rows per SMS.
func await(ctx context.Context, tx *sql.Tx, login, todoID string, now time.Time) (code string, shared bool, err error) {
	var own sql.NullString
	var next sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT code FROM awaiting WHERE login = ?1 AND todo_id = ?2),
		EXISTS (SELECT 1 FROM awaiting WHERE login = ?1 AND todo_id != ?2),
		(SELECT next FROM code_seq WHERE login = ?1)`, login, todoID).Scan(&own, &shared, &next); err != nil {
		return "", false, fmt.Errorf("read awaited replies of %s: %w", login, err)
	}
	if own.Valid {
		_, err = tx.ExecContext(ctx, `UPDATE awaiting SET sent_at = ? WHERE login = ? AND todo_id = ?`, ms(now), login, todoID)
		return own.String, shared, err
	}
	seq := int(next.Int64)
	free := func(code string) (bool, error) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM awaiting WHERE login = ? AND code = ?`, login, code).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read the codes of %s: %w", login, err)
		}
		return false, nil
	}
	code = codeAt(seq)
	ok, err := free(code)
	if err != nil {
		return "", false, err
	}
	if !ok {
		// The count is read from the primary key's index alone.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM awaiting WHERE login = ?`, login).Scan(&n); err != nil {
			return "", false, fmt.Errorf("read awaited replies of %s: %w", login, err)
		}
		if n >= codeCount {
			// Every code in use: the oldest gives its code up, the only
			// one free.
			var oldest int64
			if err := tx.QueryRowContext(ctx, `SELECT rowid, code FROM awaiting WHERE login = ? ORDER BY sent_at, rowid LIMIT 1`,
				login).Scan(&oldest, &code); err != nil {
				return "", false, fmt.Errorf("find the oldest code of %s: %w", login, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM awaiting WHERE rowid = ?`, oldest); err != nil {
				return "", false, fmt.Errorf("free the oldest code of %s: %w", login, err)
			}
			seq = codeIndex(code)
		} else {
			for range codeCount - 1 {
				seq = (seq + 1) % codeCount
				code = codeAt(seq)
				if ok, err = free(code); err != nil {
					return "", false, err
				} else if ok {
					break
				}
			}
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO code_seq (login, next) VALUES (?, ?) ON CONFLICT (login) DO UPDATE SET next = excluded.next`, login, (seq+1)%codeCount); err != nil {
		return "", false, fmt.Errorf("advance the code sequence of %s: %w", login, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO awaiting (login, todo_id, code, sent_at) VALUES (?, ?, ?, ?)`, login, todoID, code, ms(now)); err != nil {
		return "", false, fmt.Errorf("await a reply from %s on %s: %w", login, todoID, err)
	}
	return code, shared, nil
}

// awaitRow is a notification that may be answered.
type awaitRow struct {
	login, todoID, code string
	sentAt              time.Time
}

// awaitingOf returns what awaits an answer from any of logins, the latest
// first.
func awaitingOf(ctx context.Context, tx *sql.Tx, logins []string) ([]awaitRow, error) {
	if len(logins) == 0 {
		return nil, nil
	}
	args := make([]any, len(logins))
	for i, l := range logins {
		args[i] = l
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT login, todo_id, code, sent_at FROM awaiting WHERE login IN (?`+strings.Repeat(",?", len(logins)-1)+`)
		 ORDER BY sent_at DESC, rowid DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("read awaited replies: %w", err)
	}
	defer rows.Close()
	var out []awaitRow
	for rows.Next() {
		var a awaitRow
		var sent int64
		if err := rows.Scan(&a.login, &a.todoID, &a.code, &sent); err != nil {
			return nil, err
		}
		a.sentAt = time.UnixMilli(sent)
		out = append(out, a)
	}
	return out, rows.Err()
}

func deleteAwait(ctx context.Context, tx *sql.Tx, login, todoID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM awaiting WHERE login = ? AND todo_id = ?`, login, todoID)
	return err
}

// deleteAwaitTodo stops awaiting answers on a to-do, except from login
// (pass "" to stop it for everyone).
func deleteAwaitTodo(ctx context.Context, tx *sql.Tx, todoID, except string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM awaiting WHERE todo_id = ? AND login != ?`, todoID, except)
	if err != nil {
		return fmt.Errorf("stop awaiting replies on %s: %w", todoID, err)
	}
	return nil
}

// enqueue puts an outgoing message into the outbox, in the transaction
// of the decision that made it.
func enqueue(ctx context.Context, tx *sql.Tx, ev contract.Event, now time.Time) error {
	body, err := contract.Encode(ev)
	if err != nil {
		return fmt.Errorf("build %s message: %w", ev.Topic(), err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (topic, body, created) VALUES (?, ?, ?)`, ev.Topic(), string(body), ms(now)); err != nil {
		return fmt.Errorf("queue %s message: %w", ev.Topic(), err)
	}
	return nil
}

// outRow is one message in the outbox.
type outRow struct {
	id          int64
	topic, body string
}

func outboxRows(ctx context.Context, db *sql.DB, limit int) ([]outRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, topic, body FROM outbox ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer rows.Close()
	var out []outRow
	for rows.Next() {
		var r outRow
		if err := rows.Scan(&r.id, &r.topic, &r.body); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func deleteOutbox(ctx context.Context, db *sql.DB, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := db.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("clear the outbox: %w", err)
	}
	return nil
}

// entry is one line of the decision log.
type entry struct {
	eventID, todoID, login string
	decision, detail       string
}

func logDecision(ctx context.Context, tx *sql.Tx, now time.Time, e entry) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO log (at, event_id, todo_id, login, decision, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		ms(now), e.eventID, e.todoID, e.login, e.decision, e.detail)
	if err != nil {
		return fmt.Errorf("log a decision: %w", err)
	}
	return nil
}

func countDecisions(ctx context.Context, tx *sql.Tx, login, decision string, since time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log WHERE login = ? AND decision = ? AND at > ?`,
		login, decision, ms(since)).Scan(&n)
	return n, err
}

// prune forgets what is no longer needed: processed ids and closed to-dos
// after 30 days, the log after keepLog, replies awaited longer than
// awaitFor.
func prune(ctx context.Context, db *sql.DB, now time.Time, keepLog, awaitFor time.Duration) error {
	month := ms(now.Add(-30 * 24 * time.Hour))
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM processed WHERE at < ?`, month},
		{`DELETE FROM todos WHERE open = 0 AND updated < ?`, month},
		{`DELETE FROM log WHERE at < ?`, ms(now.Add(-keepLog))},
		{`DELETE FROM awaiting WHERE sent_at < ?`, ms(now.Add(-awaitFor))},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("prune notify.db: %w", err)
		}
	}
	return nil
}

// strings1 runs a query that returns one text column.
func strings1(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

type openEntry struct {
	commits uint64
	limit   int
	todos   []contract.Todo
}

// openTodos reads login's open to-dos, the latest first.
func (s *store) openTodos(ctx context.Context, login string, limit int) ([]contract.Todo, error) {
	// The commit count before the read: a commit during it makes the
	// entry stale at once.
	gen := s.commits.Load()
	s.openMu.Lock()
	e, ok := s.open[login]
	s.openMu.Unlock()
	if ok && e.commits == gen && e.limit == limit {
		return e.todos, nil
	}
	todos, err := s.readOpenTodos(ctx, login, limit)
	if err != nil {
		return nil, err
	}
	s.openMu.Lock()
	if len(s.open) > 10000 {
		clear(s.open)
	}
	s.open[login] = openEntry{commits: gen, limit: limit, todos: todos}
	s.openMu.Unlock()
	return todos, nil
}

func (s *store) readOpenTodos(ctx context.Context, login string, limit int) ([]contract.Todo, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT body FROM todos WHERE assignee = ? AND open = 1 ORDER BY last_at DESC LIMIT ?`, login, limit)
	if err != nil {
		return nil, fmt.Errorf("read the to-dos of %s: %w", login, err)
	}
	defer rows.Close()
	var out []contract.Todo
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var t contract.Todo
		if err := json.Unmarshal([]byte(body), &t); err != nil {
			return nil, fmt.Errorf("read the to-dos of %s: %w", login, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
