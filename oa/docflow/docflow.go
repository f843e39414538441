// Package docflow is OA's official documents (公文) and the workflow
// engine that carries them from office to office: documents with every
// element of the 2012 regulation and GB/T 9704, their 正文 versions and
// attachments, gapless 发文字号 given at 登记, flows (oa/flow) run as
// tokens and tasks, the actions people take on tasks, a hash-chained
// trail of every action, and an outbox from which every task change is
// published as an oa.todo event in the same transaction as the change.
//
// Everything lives in oa.db. One write transaction carries out one action
// whole: the task change, the document's fields and number, the trail
// record and the events, so nothing is half done after a crash and no
// event announces what did not happen.
package docflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"nanhu/internal/sqlitedb"
	"nanhu/internal/workcal"
	"nanhu/oa/flow"
	"nanhu/oa/org"
)

// FileName is the store's file in the data folder.
const FileName = "oa.db"

// Org is the organisation as the engine reads it.
type Org interface {
	Chart(ctx context.Context) (*org.Chart, error)
}

// Options are the store's settings.
type Options struct {
	DataDir string
	Org     Org
	// Calendar counts working days for deadlines; nil counts Monday to
	// Friday.
	Calendar *workcal.Calendar
	// AllowClassified permits the 正文 and attachments of documents
	// marked 秘密 or above: only for a deployment on a classified network.
	AllowClassified bool
	// MaxUpload is the largest 正文 or attachment taken, in bytes.
	MaxUpload int64
	// CaseOrgan is the organ (department code) whose 受理员 take
	// citizens' cases; "" is CaseOrgan, the 信访局.
	CaseOrgan string
	// CaseExtensions is how many 延期 a case may have approved (1; 0
	// allows none).
	CaseExtensions int
	// BaseURL prefixes the links in to-dos ("" gives paths only).
	BaseURL string
	Logger  *slog.Logger
	// Now is the clock (tests move it).
	Now func() time.Time
}

// DefaultOptions for data folder dir.
func DefaultOptions(dir string) Options {
	return Options{DataDir: dir, MaxUpload: 20 << 20, CaseExtensions: 1}
}

// Store is the documents and their flows.
type Store struct {
	opts Options
	db   *sqlitedb.DB
	log  *slog.Logger
	now  func() time.Time

	chartMu sync.Mutex
	chart   *org.Chart
	chartAt time.Time

	flowMu sync.Mutex
	flows  map[string]*flow.Def // "key@version"

	wake        chan struct{} // the outbox has rows
	outboxSwept time.Time     // when PublishOutbox last forgot old events (its goroutine's)

	// gen counts the commits to oa.db (Generation), for the pages' caches.
	gen atomic.Uint64

	jobs      chan *job     // actions for the committer
	closed    chan struct{} // closed by Close
	committed chan struct{} // closed when the committer has stopped
	closeOnce sync.Once
}

// Error is an error with a stable code for APIs and a sentence for
// people.
type Error struct {
	Code string // not_found, forbidden, not_allowed, gone, invalid, choose_next, classified, conflict
	Msg  string
	// Fields are a draft's problems, for forms.
	Fields FieldErrors
	// Options are the steps and people to choose from, with choose_next.
	Options []RouteOption
}

func (e *Error) Error() string { return e.Msg }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf is err's code, "" when err is not an *Error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Open opens (creating) oa.db and publishes the standard flows that are
// not yet there.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 20 << 20
	}
	if opts.Org == nil {
		return nil, errors.New("docflow: no organisation")
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path: filepath.Join(opts.DataDir, FileName), Synchronous: sqlitedb.Full, Migrations: migrations,
		Readers: 4, ForeignKeys: true, Logger: opts.Logger,
		StatementCache: 128,                    // an action runs some twenty statements, the same each time: kept prepared
		Checkpoint:     250 * time.Millisecond, // the committer seldom waits for checkpoints
		WriterCache:    64 << 10,               // an action reads pages of a dozen indexes of the tasks
	})
	if err != nil {
		return nil, err
	}
	s := &Store{opts: opts, db: db, log: opts.Logger, now: opts.Now, flows: map[string]*flow.Def{}, wake: make(chan struct{}, 1),
		jobs: make(chan *job), closed: make(chan struct{}), committed: make(chan struct{})}
	go s.commit()
	// Whatever the last run published recently may have been lost with
	// the embedded nsqd's memory: publish it again.
	if res, err := db.Writer().ExecContext(ctx, `UPDATE outbox SET published = '' WHERE published != ''`); err != nil {
		s.Close()
		return nil, fmt.Errorf("docflow: outbox: %w", err)
	} else if n, _ := res.RowsAffected(); n > 0 {
		s.log.Info("OA events published again after a restart", "events", n)
	}
	std, err := flow.Standard()
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, d := range std {
		if _, err := s.Flow(ctx, d.Key, 0); err == nil {
			continue
		}
		if _, err := s.Publish(ctx, d, "system"); err != nil {
			s.Close()
			return nil, fmt.Errorf("publish the standard flow %s: %w", d.Key, err)
		}
	}
	return s, nil
}

// Close stops taking actions, lets the group being committed finish, and
// closes oa.db.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.committed
	return s.db.Close()
}

// DB is the writer pool (tests and the benchmark read it).
func (s *Store) DB() *sql.DB { return s.db.Writer() }

// chartNow is the organisation, read again at most every two seconds.
func (s *Store) chartNow(ctx context.Context) (*org.Chart, error) {
	s.chartMu.Lock()
	defer s.chartMu.Unlock()
	if s.chart != nil && time.Since(s.chartAt) < 2*time.Second {
		return s.chart, nil
	}
	c, err := s.opts.Org.Chart(ctx)
	if err != nil {
		return nil, fmt.Errorf("docflow: read the organisation: %w", err)
	}
	s.chart, s.chartAt = c, time.Now()
	return c, nil
}

// Chart is the organisation as the engine sees it now.
func (s *Store) Chart(ctx context.Context) (*org.Chart, error) { return s.chartNow(ctx) }

// ForgetChart makes the next action read the organisation again.
func (s *Store) ForgetChart() {
	s.chartMu.Lock()
	s.chart = nil
	s.chartMu.Unlock()
}

// Generation changes with every commit to oa.db: what was read at one
// generation is good until the next.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// changed starts a new generation. It is called after every commit to
// oa.db.
func (s *Store) changed() { s.gen.Add(1) }

// Now is the store's clock: what "overdue" is measured against.
func (s *Store) Now() time.Time { return s.now() }

// write runs fn in one IMMEDIATE transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("docflow: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	err = tx.Commit()
	s.changed() // even when the commit failed: what happened is read again
	if err != nil {
		return fmt.Errorf("docflow: commit: %w", err)
	}
	return nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Publish validates def and publishes it as the next version of its key.
// Published versions never change; documents already running keep theirs.
func (s *Store) Publish(ctx context.Context, def *flow.Def, by string) (int, error) {
	if err := def.Validate(); err != nil {
		return 0, err
	}
	var version int
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM flows WHERE key = ?`, def.Key).Scan(&version); err != nil {
			return err
		}
		d := *def
		d.Version = version
		_, err := tx.ExecContext(ctx, `INSERT INTO flows (key, version, name, kind, def, published, published_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.Key, version, d.Name, d.Kind, string(d.JSON()), ts(s.now()), by)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("docflow: publish flow %s: %w", def.Key, err)
	}
	s.log.Info("flow published", "flow", def.Key, "version", version, "by", by)
	return version, nil
}

// FlowInfo is a published flow as lists show it.
type FlowInfo struct {
	Key, Name, Kind string
	Version         int
	Published       time.Time
	PublishedBy     string
}

// Flows are the latest version of every flow.
func (s *Store) Flows(ctx context.Context) ([]FlowInfo, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT key, name, kind, version, published, published_by FROM flows f
		WHERE version = (SELECT max(version) FROM flows WHERE key = f.key) ORDER BY kind, key`)
	if err != nil {
		return nil, fmt.Errorf("docflow: list flows: %w", err)
	}
	defer rows.Close()
	var out []FlowInfo
	for rows.Next() {
		var f FlowInfo
		var at string
		if err := rows.Scan(&f.Key, &f.Name, &f.Kind, &f.Version, &at, &f.PublishedBy); err != nil {
			return nil, err
		}
		f.Published = parseTS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Flow is version of key; version 0 is the latest.
func (s *Store) Flow(ctx context.Context, key string, version int) (*flow.Def, error) {
	if version > 0 {
		s.flowMu.Lock()
		d := s.flows[fmt.Sprintf("%s@%d", key, version)]
		s.flowMu.Unlock()
		if d != nil {
			return d, nil
		}
	}
	var js string
	var err error
	if version > 0 {
		err = s.db.Reader().QueryRowContext(ctx, `SELECT def FROM flows WHERE key = ? AND version = ?`, key, version).Scan(&js)
	} else {
		err = s.db.Reader().QueryRowContext(ctx, `SELECT def FROM flows WHERE key = ? ORDER BY version DESC LIMIT 1`, key).Scan(&js)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf("not_found", "没有名为「%s」的流程。", key)
	}
	if err != nil {
		return nil, fmt.Errorf("docflow: read flow %s: %w", key, err)
	}
	d, err := flow.Parse([]byte(js))
	if err != nil {
		return nil, err
	}
	s.flowMu.Lock()
	s.flows[fmt.Sprintf("%s@%d", d.Key, d.Version)] = d
	s.flowMu.Unlock()
	return d, nil
}
