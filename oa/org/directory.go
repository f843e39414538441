package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"nanhu/internal/sqlitedb"
)

// The kinds of error the directory returns. Errors from this package wrap
// one of these, so callers test with errors.Is, while Error() gives a whole
// sentence about the particular login or address.
var (
	ErrNotFound       = errors.New("no such entry in the directory")
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrDisabled       = errors.New("the account is disabled")
	ErrExists         = errors.New("the entry already exists in the directory")
	ErrInvalid        = errors.New("the value is not valid")
	// ErrLoop is returned by Resolve for an alias chain that loops or is
	// deeper than the directory follows.
	ErrLoop = errors.New("the alias chain loops or is too deep")
)

// dirError is an error sentence about one entry that wraps one of the
// sentinel errors above.
type dirError struct {
	msg  string
	kind error
}

func (e *dirError) Error() string { return e.msg }
func (e *dirError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &dirError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// Directory is an open organisation directory. Its methods are safe for
// concurrent use.
type Directory struct {
	sdb *sqlitedb.DB
	rw  *sql.DB // writes: BEGIN IMMEDIATE, one connection
	ro  *sql.DB // reads: deferred transactions see a snapshot
	log *slog.Logger

	// hashSlots bounds how many argon2 computations run at once, so a burst
	// of logins cannot take all memory and cores.
	hashSlots chan struct{}
	scratch   *scratchReturner

	dummyOnce sync.Once
	dummyHash string
}

// Open opens the directory file, creating it (and its folder) when missing,
// and brings its schema up to date. It is safe to call while another process
// has the same file open.
func Open(ctx context.Context, opts Options) (*Directory, error) {
	if opts.Path == "" {
		return nil, errorf(ErrInvalid, "the directory needs a file path")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path:        opts.Path,
		Synchronous: sqlitedb.Full,
		Migrations:  migrations,
		// Logins read users and hashes: readers for as many as hash at once.
		Readers:     max(2, runtime.NumCPU()),
		ForeignKeys: true,
		// A sign-in check reads the same statements on every request.
		StatementCache: 32,
		Logger:         logger.With("part", "org"),
	})
	if err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	d := &Directory{
		sdb:       sdb,
		rw:        sdb.Writer(),
		ro:        sdb.Reader(),
		log:       logger.With("part", "org"),
		hashSlots: make(chan struct{}, max(1, runtime.NumCPU())),
		scratch:   newScratchReturner(),
	}
	return d, nil
}

// Close closes the directory file.
func (d *Directory) Close() error {
	if d.scratch != nil {
		d.scratch.stop()
	}
	return d.sdb.Close()
}

// write runs fn in a write transaction and commits it when fn returns nil.
func (d *Directory) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("org: begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("org: commit: %w", err)
	}
	return nil
}

// read runs fn in a read transaction, which sees one consistent snapshot.
func (d *Directory) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.ro.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("org: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// querier is what both *sql.Tx and *sql.DB offer for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
