package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"nanhu/internal/sqlitedb"
)

// Errors returned by the store; test for them with errors.Is.
var (
	ErrNotFound = errors.New("no such SMS")
	// ErrKeyReused: the idempotency key belongs to a message with another
	// recipient or text.
	ErrKeyReused = errors.New("the idempotency key was used for another message")
)

// State is where an outbound message, or one of its parts, stands.
type State string

// The states, in the order a message goes through them. A part is never
// "sending": it is queued until the network accepted it.
const (
	Queued    State = "queued"
	Sending   State = "sending"
	Sent      State = "sent"
	Delivered State = "delivered"
	Failed    State = "failed"
)

// Valid reports whether s is one of the states.
func (s State) Valid() bool {
	switch s {
	case Queued, Sending, Sent, Delivered, Failed:
		return true
	}
	return false
}

// Message is one outbound SMS, with its parts.
type Message struct {
	ID              int64     `json:"id"`
	To              string    `json:"to"`
	Text            string    `json:"text"`
	State           State     `json:"state"`
	IdempotencyKey  string    `json:"idempotency_key,omitempty"`
	StatusReport    bool      `json:"status_report"`
	ValiditySeconds int64     `json:"validity_seconds"`
	Modem           string    `json:"modem,omitempty"` // the modem that has it or sent it
	Attempts        int       `json:"attempts"`
	Error           string    `json:"error,omitempty"` // the last error, or why it failed
	RequestedBy     string    `json:"requested_by,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	NextAttemptAt   time.Time `json:"next_attempt_at,omitzero"` // while queued
	ExpiresAt       time.Time `json:"expires_at"`               // given up on if not sent by then
	SentAt          time.Time `json:"sent_at,omitzero"`
	DoneAt          time.Time `json:"done_at,omitzero"` // delivered or failed
	ConcatRef       int       `json:"-"`
	Parts           []Part    `json:"parts"`
}

// Validity is the validity period asked of the network.
func (m Message) Validity() time.Duration { return time.Duration(m.ValiditySeconds) * time.Second }

// Part is one part of a message as the network sees it.
type Part struct {
	Seq    int       `json:"seq"`
	State  State     `json:"state"`
	Modem  string    `json:"modem,omitempty"`
	Ref    *int      `json:"ref,omitempty"` // TP-MR the modem gave it (+CMGS)
	SentAt time.Time `json:"sent_at,omitzero"`
	DoneAt time.Time `json:"done_at,omitzero"`
	Status *int      `json:"status,omitempty"` // TP-ST of the last status report
	Error  string    `json:"error,omitempty"`
}

// NewMessage is what Insert stores.
type NewMessage struct {
	To             string
	Text           string
	IdempotencyKey string // "" for none
	StatusReport   bool
	Validity       time.Duration
	Parts          int
	ConcatRef      int
	RequestedBy    string
}

// Store is an open sms.db. Its methods are safe for concurrent use.
type Store struct {
	sdb    *sqlitedb.DB
	db     *sql.DB // the one writer connection
	rdb    *sql.DB // readers
	now    func() time.Time
	events eventKinds
	ins    inserts // concurrent Inserts waiting for a group commit
}

// Open opens (creating when needed) the database at path and runs the
// migrations. now is the clock; nil means time.Now.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{
		Path:           path,
		Synchronous:    sqlitedb.Full, // an SMS is on disk before the API answers
		Migrations:     migrations,
		Readers:        4,
		ForeignKeys:    true,
		StatementCache: 32, // the same statements for every SMS, kept prepared
	})
	if err != nil {
		return nil, err
	}
	return &Store{sdb: sdb, db: sdb.Writer(), rdb: sdb.Reader(), now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.sdb.Close() }

// DB is the writer connection, for backups and tests.
func (s *Store) DB() *sql.DB { return s.db }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// tx runs f in a write transaction and commits it.
func (s *Store) tx(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}
