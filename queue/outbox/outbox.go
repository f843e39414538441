// Package outbox keeps the events a store announces in the store's own
// SQLite database, written in the same transaction as the change they
// announce, and puts them on the queue afterwards. Nothing is announced
// that did not happen, and nothing that happened goes unannounced
// because the process died between the commit and the publish.
//
// A store adds Schema to its migrations, calls Enqueue inside its write
// transactions and runs an Outbox. An event may go out twice (after a
// crash, what was published in the last KeepPublished is published
// again, since the embedded nsqd keeps messages in memory); consumers
// deduplicate on the event's id.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"nanhu/queue/contract"
)

// Schema is the outbox table, for the store's migrations. published is
// 0 while an event waits, then the Unix milliseconds it went out.
const Schema = `CREATE TABLE outbox (
		id        INTEGER PRIMARY KEY,
		topic     TEXT NOT NULL,
		body      TEXT NOT NULL,
		published INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX outbox_published ON outbox (published);`

// KeepPublished is how long a published event stays, to be published
// again after a crash.
const KeepPublished = 2 * time.Minute

// Enqueue writes ev to the outbox in the caller's transaction.
func Enqueue(ctx context.Context, tx *sql.Tx, ev contract.Event) error {
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (topic, body) VALUES (?, ?)`, ev.Topic(), string(b)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Publisher puts events of one topic on the queue.
type Publisher interface {
	PublishEvents(ctx context.Context, evs []contract.Event) error
}

// Outbox publishes one database's outbox.
type Outbox struct {
	db   *sql.DB
	log  *slog.Logger
	now  func() time.Time
	wake chan struct{}
}

// New is the outbox of db (the store's writer). What the last run
// published recently is marked to go out again.
func New(ctx context.Context, db *sql.DB, log *slog.Logger, now func() time.Time) (*Outbox, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if _, err := db.ExecContext(ctx, `UPDATE outbox SET published = 0 WHERE published != 0`); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &Outbox{db: db, log: log, now: now, wake: make(chan struct{}, 1)}
	o.Kick()
	return o, nil
}

// Kick tells Run that events wait (call it after a commit).
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Publish publishes what waits, oldest first, in batches of one topic,
// and marks it published.
func (o *Outbox) Publish(ctx context.Context, p Publisher) (int, error) {
	total := 0
	defer func() {
		o.db.ExecContext(ctx, `DELETE FROM outbox WHERE published != 0 AND published < ?`, o.now().Add(-KeepPublished).UnixMilli())
	}()
	for {
		ids, run, err := o.batch(ctx)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		if len(run) > 0 {
			if err := p.PublishEvents(ctx, run); err != nil {
				return total, err
			}
		}
		args := []any{o.now().UnixMilli()}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := o.db.ExecContext(ctx, `UPDATE outbox SET published = ? WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...); err != nil {
			return total, fmt.Errorf("outbox: %w", err)
		}
		total += len(run)
	}
}

// batch reads up to 200 waiting events of the oldest one's topic. A row
// that cannot be read is logged and dropped (its id is returned, its
// event is not).
func (o *Outbox) batch(ctx context.Context) ([]int64, []contract.Event, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT id, topic, body FROM outbox WHERE published = 0 ORDER BY id LIMIT 200`)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var run []contract.Event
	topic := ""
	for rows.Next() {
		var id int64
		var t, body string
		if err := rows.Scan(&id, &t, &body); err != nil {
			return nil, nil, err
		}
		if topic != "" && t != topic {
			break
		}
		topic = t
		ids = append(ids, id)
		ev, err := contract.DecodeTopic(t, []byte(body))
		if err != nil {
			o.log.Error("outbox row dropped: it cannot be read", "id", id, "err", err)
			continue
		}
		run = append(run, ev)
	}
	return ids, run, rows.Err()
}

// Run publishes as events are enqueued (Kick), retrying every second
// while the queue refuses, until ctx ends.
func (o *Outbox) Run(ctx context.Context, p Publisher) {
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		if _, err := o.Publish(ctx, p); err != nil && ctx.Err() == nil {
			o.log.Warn("events not published yet; retrying", "err", err)
			retry.Reset(time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-retry.C:
		}
	}
}

// Len is how many events wait.
func (o *Outbox) Len(ctx context.Context) (int, error) {
	var n int
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE published = 0`).Scan(&n)
	return n, err
}
