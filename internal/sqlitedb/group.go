package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// groupMax is the most calls of Group committed in one transaction.
const groupMax = 64

type groupJob struct {
	ctx  context.Context
	f    func(tx *sql.Tx) error
	done chan error
}

// grouper is a store's group committer: one goroutine takes the calls of
// Group that arrive while a commit is in flight and commits them together.
type grouper struct {
	once   sync.Once
	stop   sync.Once
	jobs   chan *groupJob
	closed chan struct{}
	done   chan struct{}
}

// ErrClosed is what Group answers once the store is closed.
var ErrClosed = errors.New("sqlitedb: the store is closed")

// Group runs f in a write transaction that it shares with the other calls
// of Group arriving meanwhile (group commit): each f runs in a SAVEPOINT
// of its own, so a call whose f fails is rolled back alone and gets its
// error, and all the others commit together with one fsync. It returns
// once its transaction has committed (or failed). f must not commit,
// roll back or hold on to tx.
func (db *DB) Group(ctx context.Context, f func(tx *sql.Tx) error) error {
	g := &db.group
	g.once.Do(func() {
		g.jobs, g.closed, g.done = make(chan *groupJob), make(chan struct{}), make(chan struct{})
		go db.commitGroups()
	})
	j := &groupJob{ctx: ctx, f: f, done: make(chan error, 1)}
	select {
	case g.jobs <- j:
	case <-g.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once taken, the job runs: wait for its outcome even if ctx ends, so
	// that the answer never contradicts what was committed.
	return <-j.done
}

func (db *DB) commitGroups() {
	g := &db.group
	defer close(g.done)
	for {
		var batch []*groupJob
		select {
		case j := <-g.jobs:
			batch = append(batch, j)
		case <-g.closed:
			return
		}
	more:
		for len(batch) < groupMax {
			select {
			case j := <-g.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		db.runGroup(batch)
	}
}

func (db *DB) runGroup(batch []*groupJob) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, j := range batch {
			j.done <- err
		}
	}
	tx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("sqlitedb: begin a group: %w", err))
		return
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT grouped`); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("sqlitedb: savepoint: %w", err))
			return
		}
		if errs[i] = j.f(tx); errs[i] != nil {
			if _, err := tx.Exec(`ROLLBACK TO grouped`); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("sqlitedb: roll back to the savepoint: %w", err))
				return
			}
		}
		if _, err := tx.Exec(`RELEASE grouped`); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("sqlitedb: release the savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("sqlitedb: commit a group: %w", err)
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, j := range batch {
		j.done <- errs[i]
	}
}

// stopGroups ends the group committer, if it ever started; a Group
// after it answers ErrClosed.
func (db *DB) stopGroups() {
	g := &db.group
	g.once.Do(func() { g.closed = make(chan struct{}) }) // none started: none will
	g.stop.Do(func() { close(g.closed) })
	if g.done != nil {
		<-g.done
	}
}
