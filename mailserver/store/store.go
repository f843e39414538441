// Package store is Nanhu's mail store: every user's mailboxes, their
// messages with IMAP UIDs, UIDVALIDITY, flags and keywords, and the search
// index of the decoded text, in one SQLite database (mail.db) in the data
// folder.
//
// On-disk layout. mail.db holds the tables mailboxes (one row per mailbox,
// with its UIDVALIDITY, UIDNEXT and highest mod-sequence), contents (the
// bytes of each message exactly as received, behind the Received header the
// server added; one row shared by every copy of the message), messages (one
// row per message in a mailbox: UID, flags, internal date, size, the content
// it shows), search_text (the decoded text of each content) and search_index
// (an FTS4 index of search_text's bigram tokens, see package mailtext).
//
// Durability. The database runs in WAL mode with synchronous=FULL: a
// transaction is on disk (fsynced) when COMMIT returns. Deliver returns only
// after the transaction that holds the message bytes, the rows in every
// recipient's INBOX and the index has committed, so a message that the SMTP
// server acknowledged with 250 survives kill -9 or power loss, and a crash
// before the commit leaves nothing of it visible. Concurrent deliveries are
// gathered by one writer into a single transaction (group commit), so one
// fsync serves many messages.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"nanhu/internal/sqlitedb"
)

// Errors returned by the store; test for them with errors.Is.
var (
	ErrNoMailbox   = errors.New("no such mailbox")
	ErrExists      = errors.New("mailbox already exists")
	ErrOverQuota   = errors.New("mailbox is full: the quota would be exceeded")
	ErrClosed      = errors.New("mail store is closed")
	ErrNoSuchUID   = errors.New("no such message")
	ErrProtected   = errors.New("the mailbox cannot be deleted or renamed")
	ErrInvalidName = errors.New("invalid mailbox name")
)

// Options configure a Store.
type Options struct {
	// Path of the database file.
	Path string
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxBatch bounds how many deliveries one group commit takes.
	MaxBatch int
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// DefaultOptions returns the options for the store in dataDir.
func DefaultOptions(dataDir string) Options {
	return Options{Path: filepath.Join(dataDir, "mail.db"), MaxBatch: 128, Now: time.Now}
}

// Store is an open mail store. Its methods are safe for concurrent use.
type Store struct {
	opts Options
	log  *slog.Logger
	sdb  *sqlitedb.DB
	db   *sql.DB // writer connection (one)
	rdb  *sql.DB // readers
	// oneContent reads one message with its bytes (FETCH of a body, the
	// commonest command of all), prepared once.
	oneContent *sql.Stmt
	reqs       chan *deliverReq
	done       chan struct{}
	wg         sync.WaitGroup
	closed     sync.Once

	mu       sync.Mutex
	boxCache map[boxKey]int64 // (owner, name) → mailbox id, for delivery
	watchers map[int64]map[chan struct{}]struct{}

	delivered uint64 // messages put into mailboxes, per recipient
}

type boxKey struct{ owner, name string }

// Open opens (creating when needed) the store at opts.Path and runs the
// schema migrations.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path:        opts.Path,
		Synchronous: sqlitedb.Full, // a 250 means the message is on disk
		Migrations:  migrations,
		Readers:     8,
		ForeignKeys: true,
		Logger:      opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("open the mail store: %w", err)
	}
	db, rdb := sdb.Writer(), sdb.Reader()
	oneContent, err := rdb.PrepareContext(ctx, infoSelect+withRaw.sql()+infoFrom+`m.uid = ?`)
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open the mail store %s for reading: %w", opts.Path, err)
	}
	s := &Store{
		opts:       opts,
		log:        opts.Logger,
		sdb:        sdb,
		db:         db,
		rdb:        rdb,
		oneContent: oneContent,
		reqs:       make(chan *deliverReq, 1024),
		done:       make(chan struct{}),
		boxCache:   map[boxKey]int64{},
		watchers:   map[int64]map[chan struct{}]struct{}{},
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Close stops the writer after the deliveries in hand and closes the
// database.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.done)
		s.wg.Wait()
		err = errors.Join(s.oneContent.Close(), s.sdb.Close())
	})
	return err
}

// DB returns the writer connection, for backups and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Path is the file the store lives in.
func (s *Store) Path() string { return s.opts.Path }

// notify wakes every watcher of the mailbox (IMAP IDLE and friends).
func (s *Store) notify(mailboxIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range mailboxIDs {
		for ch := range s.watchers[id] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Watch returns a channel that receives a value (coalesced) whenever the
// mailbox changes, and a function that stops watching.
func (s *Store) Watch(mailboxID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.watchers[mailboxID] == nil {
		s.watchers[mailboxID] = map[chan struct{}]struct{}{}
	}
	s.watchers[mailboxID][ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.watchers[mailboxID], ch)
		if len(s.watchers[mailboxID]) == 0 {
			delete(s.watchers, mailboxID)
		}
		s.mu.Unlock()
	}
}
