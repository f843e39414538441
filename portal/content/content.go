// Package content is the portal's store (portal.db): the sections of the
// one district portal, their columns, the articles editors write and
// reviewers approve, their files, versions and trails, and the Chinese
// search index of what the portal shows.
//
// What it promises:
//   - An article's publication date is the moment it went onto the portal,
//     set here; no caller can give one. An edit of a published article
//     goes back to review, and the portal keeps showing the approved form
//     until the edit is approved; it then shows 更新时间.
//   - Every save keeps a version, and every step (送审, 退回 with its
//     opinion, 发布, 撤稿) is a line in the article's trail, which SQLite
//     refuses to change or delete.
//   - Who may do what is decided here for every call, from the actor's
//     roles and departments: an editor writes in the sections of their
//     departments, a reviewer approves there, but never their own edit;
//     the webmaster (or admin) may do everything.
//   - Bodies are sanitised on save: no script, no handler attribute, no
//     outside frame survives.
//   - The search index holds exactly what the portal shows: it is written
//     in the transaction that publishes, updates or withdraws.
package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"nanhu/internal/sqlitedb"
)

// The roles of the portal's work.
const (
	RoleEditor    = "editor"    // 网站编辑
	RoleReviewer  = "reviewer"  // 网站审核
	RoleWebmaster = "webmaster" // 网站管理员
	RoleAdmin     = "admin"
)

// Options configure the store.
type Options struct {
	// Path is portal.db.
	Path string
	// MaxUpload bounds an attachment (20 MB) and MaxImage an image (5 MB).
	MaxUpload, MaxImage int64
	// Now is the clock.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultOptions are the defaults for data folder dir.
func DefaultOptions(dir string) Options {
	return Options{Path: filepath.Join(dir, "portal.db"), MaxUpload: 20 << 20, MaxImage: 5 << 20}
}

// Store is the portal's content.
type Store struct {
	opts Options
	db   *sqlitedb.DB
	log  *slog.Logger
	now  func() time.Time
	// changed counts every change the portal shows, for caches of
	// rendered pages.
	changed atomic.Int64
	// modified is when the portal last changed (unix ms).
	modified atomic.Int64

	// stats are search's index statistics of generation statsGen.
	statsMu  sync.Mutex
	stats    indexStats
	statsGen int64
	statsSet bool

	// mem is search's index in memory (memindex.go), synced at
	// generation memGen-1.
	mem    memIndex
	memGen atomic.Int64
}

// Open opens portal.db.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxUpload == 0 {
		opts.MaxUpload = 20 << 20
	}
	if opts.MaxImage == 0 {
		opts.MaxImage = 5 << 20
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: opts.Path, Synchronous: sqlitedb.Full, Migrations: migrations,
		Readers: 4, ForeignKeys: true, StatementCache: 64, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("portal: open %s: %w", opts.Path, err)
	}
	s := &Store{opts: opts, db: db, log: opts.Logger, now: opts.Now}
	var last int64
	if err := db.Reader().QueryRowContext(ctx, `SELECT coalesce(max(max(published_at), max(updated_at)), 0) FROM live`).Scan(&last); err != nil {
		db.Close()
		return nil, fmt.Errorf("portal: read the last change: %w", err)
	}
	s.modified.Store(max(last, s.now().UnixMilli()))
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// DB is the database, for backups and health checks.
func (s *Store) DB() *sqlitedb.DB { return s.db }

// Generation changes whenever anything the portal shows changes: a
// rendered page made at one generation is good until the next.
func (s *Store) Generation() int64 { return s.changed.Load() }

// Modified is when the portal last changed.
func (s *Store) Modified() time.Time { return time.UnixMilli(s.modified.Load()) }

func (s *Store) touch(at time.Time) {
	s.changed.Add(1)
	s.modified.Store(max(s.modified.Load(), at.UnixMilli()))
}

// Error is a refusal with a sentence for the person: Code is "invalid",
// "forbidden", "not-found" or "conflict".
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf is err's code, "" when it is not an *Error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrNotFound is what every lookup of something missing wraps.
var ErrNotFound = errf("not-found", "没有找到这篇文章或栏目，可能已被删除或撤稿。")

// ms and fromMS keep times as Unix milliseconds (0: none).
var ms, fromMS = sqlitedb.Millis, sqlitedb.FromMillis

// tx runs f in a write transaction.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error { return s.db.Write(ctx, f) }

// isWebmaster reports whether a may do everything.
func (a Actor) isWebmaster() bool {
	return a.Enterprise == 0 && slices.Contains(a.Roles, RoleWebmaster) || slices.Contains(a.Roles, RoleAdmin)
}

func (a Actor) has(role string) bool { return slices.Contains(a.Roles, role) }

// works reports whether a belongs to the department that runs sec.
func (a Actor) works(sec Section) bool { return slices.Contains(a.Depts, sec.Dept) }

// MayEdit reports whether a may write in the columns of sec.
func (a Actor) MayEdit(sec Section) bool {
	if a.Enterprise != 0 {
		return false // only its own page: op.mayEdit
	}
	return a.isWebmaster() || a.has(RoleEditor) && a.works(sec)
}

// MayReview reports whether a may approve, return and withdraw in sec.
func (a Actor) MayReview(sec Section) bool {
	if a.Enterprise != 0 {
		return false
	}
	return a.isWebmaster() || a.has(RoleReviewer) && a.works(sec)
}

// mayEdit reports whether the actor may write this article: an
// enterprise its own page, staff what their section lets them.
func (o *op) mayEdit() bool {
	if o.a.Enterprise != 0 {
		return o.art.Owner == o.a.Enterprise && o.art.Column.Kind == KindEnterprise
	}
	return o.a.MayEdit(o.sec)
}

// IsStaff reports whether a has any work in the portal.
func (a Actor) IsStaff() bool {
	if a.Enterprise != 0 {
		return false
	}
	return a.isWebmaster() || a.has(RoleEditor) || a.has(RoleReviewer)
}
