package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
)

// Event kinds.
const (
	EventStatus  = "status"  // an outbound message became sent, delivered or failed
	EventInbound = "inbound" // a received message was stored
)

// Event is a change waiting to be handed to the gateway's hooks. Events
// are written in the transaction that made the change and removed by
// DoneEvents, so a crash between the two hands the change over again:
// the hooks see every change at least once.
type Event struct {
	ID   int64
	Kind string
	Ref  int64 // the message's or the inbound message's id
}

// eventKinds says which kinds are recorded (nobody listening, no rows).
type eventKinds struct{ status, inbound atomic.Bool }

// RecordEvents turns the recording of each kind on or off.
func (s *Store) RecordEvents(status, inbound bool) {
	s.events.status.Store(status)
	s.events.inbound.Store(inbound)
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, kind string, ref int64) error {
	on := s.events.status.Load()
	if kind == EventInbound {
		on = s.events.inbound.Load()
	}
	if !on {
		return nil
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO event (kind, ref) VALUES (?, ?)", kind, ref)
	return err
}

// Events returns up to limit events, oldest first.
func (s *Store) Events(ctx context.Context, limit int) ([]Event, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, kind, ref FROM event ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.Ref); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DoneEvents removes events whose hooks have been called.
func (s *Store) DoneEvents(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	q := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		q[i], args[i] = "?", id
	}
	return s.tx(ctx, "remove events", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM event WHERE id IN ("+strings.Join(q, ",")+")", args...)
		return err
	})
}

// GetInbound returns one received message.
func (s *Store) GetInbound(ctx context.Context, id int64) (Inbound, error) {
	list, err := s.listInbound(ctx, s.rdb, "WHERE id = ?", id)
	if err != nil {
		return Inbound{}, err
	}
	if len(list) == 0 {
		return Inbound{}, ErrNotFound
	}
	return list[0], nil
}
