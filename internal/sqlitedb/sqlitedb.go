// Package sqlitedb opens a part's SQLite store the one way every part of
// Nanhu does, and copies a live one for backups.
//
// A store is one file in the data folder (mail.db, sms.db, org.db, …) that
// one part owns. Open gives it:
//
//   - WAL mode, so readers never wait for the writer, with the synchronous
//     level the part states (FULL: a COMMIT is on disk when it returns;
//     NORMAL: a crash of the process loses nothing, a power cut may lose
//     the last moments);
//   - a writer pool (normally one connection, so writers queue in
//     database/sql instead of spinning in SQLite's busy handler) whose
//     transactions begin with BEGIN IMMEDIATE, and, when asked for, a pool
//     of read-only connections;
//   - a busy timeout, the same for every store unless a part says otherwise,
//     for the admin commands that open the file beside a running server;
//   - file mode 0600 for the database and its WAL and shared-memory files
//     (SQLite gives those the database's own mode), inside a 0700 folder: a
//     store may hold mail and passwords, and other local users must not
//     read it;
//   - the part's numbered migrations, all that the file has not seen yet
//     applied in one BEGIN IMMEDIATE transaction (two processes opening a
//     fresh file at once do not both apply one), counted in PRAGMA
//     user_version. A file whose version is higher than the part knows was
//     written by a newer Nanhu; Open refuses it with ErrNewer instead of
//     guessing.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // the driver, registered as "sqlite3"
)

// ErrNewer is returned by Open for a file whose schema is newer than the
// part's migrations: a newer Nanhu wrote the data folder.
var ErrNewer = errors.New("this data folder was written by a newer Nanhu; run that version or a later one")

// Synchronous is SQLite's synchronous level for a WAL database.
type Synchronous string

// The levels a store may state.
const (
	// Full: COMMIT returns once the transaction is on disk (fsynced).
	// Stores whose writes were acknowledged to someone use it.
	Full Synchronous = "FULL"
	// Normal: COMMIT returns once the transaction is in the WAL; a crash
	// of the process loses nothing, a power cut may lose the last
	// transactions. For state that can be rebuilt or repeated.
	Normal Synchronous = "NORMAL"
)

// DefaultBusyTimeout is how long a connection waits for a lock that
// another process (an admin command beside the server) holds.
const DefaultBusyTimeout = 15 * time.Second

// Options say how to open a store.
type Options struct {
	// Path of the database file (required). Its folder is created 0700.
	Path string
	// Synchronous is the store's durability level (required: each store
	// states its own).
	Synchronous Synchronous
	// Migrations are the schema changes in order; migration i brings the
	// file to user_version i+1. Never edit one that has shipped: append.
	Migrations []string
	// Writers is the size of the writer pool; 0 means 1.
	Writers int
	// Readers is the size of the read-only pool; 0 means none (Reader
	// then returns the writer pool).
	Readers int
	// BusyTimeout; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// ForeignKeys turns on foreign key enforcement.
	ForeignKeys bool
	// StatementCache is how many prepared statements each connection keeps
	// (the driver's default when 0).
	StatementCache int
	// WriterCache is the writer's page cache in KiB (SQLite's 2,000 KiB
	// when 0): a writer whose every transaction reads pages of many
	// indexes of a big file keeps them, instead of reading them from the
	// file again.
	WriterCache int
	// Checkpoint, when above zero, moves most of the WAL checkpoints'
	// work off the writer: a connection of its own copies the WAL back
	// into the file every Checkpoint (PASSIVE: it blocks neither readers
	// nor the writer), and the writer checkpoints at commit only once the
	// WAL is 8192 pages long, not 1000, when little is left to copy. A
	// writer that commits often, with synchronous=FULL, then seldom waits
	// for the copy and its fsync of the database file. Zero leaves
	// checkpoints to SQLite.
	Checkpoint time.Duration
	// Logger receives a line per migration applied and per file mode
	// tightened; nil discards them.
	Logger *slog.Logger
}

// DB is an open store: its writer and reader pools.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB // nil when the store has no reader pool
	group  grouper // Group's committer, started by the first call
	// ckpt is the background checkpointer's connection (Checkpoint);
	// ckptStop stops it and ckptDone is closed when it has.
	ckpt     *sql.DB
	ckptStop chan struct{}
	ckptDone chan struct{}
}

// Open opens (creating when needed) the store at opts.Path and brings its
// schema up to date. It is safe to call while another process has the same
// file open.
func Open(ctx context.Context, opts Options) (*DB, error) {
	name := filepath.Base(opts.Path)
	switch {
	case opts.Path == "":
		return nil, errors.New("sqlitedb: no file path")
	case opts.Synchronous != Full && opts.Synchronous != Normal:
		return nil, fmt.Errorf("open %s: synchronous level %q is neither FULL nor NORMAL", name, opts.Synchronous)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := privateFiles(opts.Path, log); err != nil {
		return nil, err
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", string(opts.Synchronous))
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	if opts.ForeignKeys {
		q.Set("_foreign_keys", "on")
	}
	if opts.StatementCache > 0 {
		q.Set("_stmt_cache_size", strconv.Itoa(opts.StatementCache))
	}
	wq := maps.Clone(q) // the writer's own: its page cache
	if opts.WriterCache > 0 {
		wq.Set("_cache_size", strconv.Itoa(-opts.WriterCache))
	}
	w, err := sql.Open("sqlite3", uri(opts.Path)+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", opts.Path, err)
	}
	writers := max(opts.Writers, 1)
	w.SetMaxOpenConns(writers)
	w.SetMaxIdleConns(writers)
	db := &DB{path: opts.Path, writer: w}
	if err := db.migrate(ctx, name, opts.Migrations, log, busy); err != nil {
		w.Close()
		return nil, err
	}
	if opts.Readers > 0 {
		r := url.Values{}
		r.Set("mode", "ro")
		r.Set("_busy_timeout", q.Get("_busy_timeout"))
		r.Set("_txlock", "deferred")
		if opts.StatementCache > 0 {
			r.Set("_stmt_cache_size", q.Get("_stmt_cache_size"))
		}
		rd, err := sql.Open("sqlite3", uri(opts.Path)+"?"+r.Encode())
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open %s for reading: %w", opts.Path, err)
		}
		rd.SetMaxOpenConns(opts.Readers)
		rd.SetMaxIdleConns(opts.Readers) // keep them: a new connection reads the schema again
		db.reader = rd
	}
	if opts.Checkpoint > 0 {
		if err := db.startCheckpoints(ctx, q, opts.Checkpoint, log); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", opts.Path, err)
		}
	}
	return db, nil
}

// checkpoint copies the WAL back into the database file (PASSIVE: it
// blocks neither readers nor the writer).
func (db *DB) checkpoint(log *slog.Logger) {
	var busy, frames, done int
	if err := db.ckpt.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		log.Warn("checkpoint", "file", filepath.Base(db.path), "err", err)
	}
}

// writerCheckpoint is the WAL's length in frames (pages) past which the
// writer checkpoints at commit, as SQLite's writers do past 1000: with
// the background checkpointer's copies made, little is left to copy
// then, and the WAL starts again at its beginning at the next write.
const writerCheckpoint = 8192

// startCheckpoints leaves the writer's own checkpoints for a long WAL
// and starts the background checkpointer. Should the pool ever replace
// the writer's connection, the new one checkpoints every 1000 pages as
// SQLite does by default: slower, never wrong.
func (db *DB) startCheckpoints(ctx context.Context, q url.Values, every time.Duration, log *slog.Logger) error {
	if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, writerCheckpoint)); err != nil {
		return fmt.Errorf("set the writer's checkpoints: %w", err)
	}
	c, err := sql.Open("sqlite3", uri(db.path)+"?"+q.Encode())
	if err != nil {
		return err
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	db.ckpt, db.ckptStop, db.ckptDone = c, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(db.ckptDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-db.ckptStop:
				return
			case <-t.C:
			}
			db.checkpoint(log)
		}
	}()
	return nil
}

// privateFiles makes the store's folder (0700) and creates the file 0600
// before SQLite does (SQLite would use the umask, typically 0644). A file
// or folder left readable by others by an older Nanhu is tightened.
func privateFiles(path string, log *slog.Logger) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the folder of %s: %w", path, err)
	}
	if err := tighten(dir, 0o700, log); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := tighten(p, 0o600, log); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes the permission bits of path beyond want; a missing path
// is fine.
func tighten(path string, want fs.FileMode, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Mode().Perm()&^want == 0 {
		return nil
	}
	mode := fi.Mode().Perm() & want
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("make %s private (mode %v): %w", path, mode, err)
	}
	log.Warn("made a data file private to its owner", "path", path, "was", fi.Mode().Perm().String(), "now", mode.String())
	return nil
}

// migrate applies, in one BEGIN IMMEDIATE transaction, the migrations the
// file has not seen yet.
func (db *DB) migrate(ctx context.Context, name string, migrations []string, log *slog.Logger, busy time.Duration) error {
	// Several processes opening a fresh file at once: while one switches it
	// to WAL, the others' connection or BEGIN IMMEDIATE can be refused as
	// busy without SQLite's busy handler waiting; try again, for as long
	// as the busy timeout.
	var tx *sql.Tx
	var err error
	for deadline := time.Now().Add(busy); ; {
		tx, err = db.writer.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10*time.Millisecond + time.Duration(rand.IntN(40))*time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("open %s: begin the schema update: %w", db.path, err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("open %s: read the schema version: %w", db.path, err)
	}
	if version > len(migrations) {
		return fmt.Errorf("open %s: %w (its schema version is %d; this Nanhu knows versions up to %d)", db.path, ErrNewer, version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("open %s: schema migration %d: %w", db.path, i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the number is our own.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("open %s: record schema version %d: %w", db.path, len(migrations), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("open %s: commit the schema update: %w", db.path, err)
	}
	log.Info("schema migrated", "file", name, "from", version, "to", len(migrations))
	return nil
}

// Writer is the writer pool: every write goes through it, in transactions
// that begin with BEGIN IMMEDIATE.
func (db *DB) Writer() *sql.DB { return db.writer }

// Reader is the read-only pool, or the writer pool for a store opened
// without readers.
func (db *DB) Reader() *sql.DB {
	if db.reader != nil {
		return db.reader
	}
	return db.writer
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	db.stopGroups()
	var err error
	if db.ckpt != nil {
		close(db.ckptStop)
		<-db.ckptDone
		err = db.ckpt.Close()
	}
	if db.reader != nil {
		err = errors.Join(err, db.reader.Close())
	}
	return errors.Join(err, db.writer.Close())
}

// uri is the SQLite URI of a file path: '%', '?' and '#' are escaped, so
// that any folder name works.
func uri(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// isBusy reports whether err is SQLite's "database is locked" or "busy".
func isBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	return false
}

// Millis is t as a store keeps it: Unix milliseconds, 0 for the zero
// time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis is the time Millis kept: the zero time for 0.
func FromMillis(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// Write runs f in a transaction on the writer pool, committing when f
// returns nil and rolling back otherwise.
func (db *DB) Write(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}
