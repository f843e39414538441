package docflow

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"nanhu/internal/searchtext"
	"nanhu/queue/contract"
)

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertDocument(ctx context.Context, tx *sql.Tx, d *Document) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO documents (kind, type, title, organ, starter, starter_dept, state, urgency, secrecy,
		year, created, updated, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')`,
		d.Kind, d.Type, d.Title, d.Organ, d.Starter, d.StarterDept, d.State, d.Urgency, d.Secrecy, d.Year, ts(d.Created), ts(d.Updated))
	if err != nil {
		return fmt.Errorf("docflow: insert document: %w", err)
	}
	d.ID, _ = res.LastInsertId()
	return nil
}

func (o *op) saveDoc() error {
	d := o.doc
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE documents SET type = ?, title = ?, organ = ?, state = ?, urgency = ?, secrecy = ?,
		number = ?, from_unit = ?, updated = ?, data = ? WHERE id = ?`,
		d.Type, d.Title, d.Organ, d.State, d.Urgency, d.Secrecy, d.Number, d.FromUnit, ts(d.Updated), string(data), d.ID); err != nil {
		return fmt.Errorf("docflow: save document %d: %w", d.ID, err)
	}
	tokens := searchtext.Tokens(strings.Join([]string{d.Title, d.Number, d.FromUnit, d.OrigNumber, d.InNumber, d.Body}, " \n "))
	if _, err := o.tx.ExecContext(o.ctx, `INSERT OR REPLACE INTO documents_fts (docid, tokens) VALUES (?, ?)`, d.ID, tokens); err != nil {
		return fmt.Errorf("docflow: index document %d: %w", d.ID, err)
	}
	return nil
}

func loadDocument(ctx context.Context, q querier, id int64) (*Document, error) {
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM documents WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf("not_found", "没有编号为 %d 的公文。", id)
	}
	if err != nil {
		return nil, fmt.Errorf("docflow: read document %d: %w", id, err)
	}
	var d Document
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("docflow: document %d: %w", id, err)
	}
	d.ID = id
	return &d, nil
}

// trailRecord is one record of the trail.
type trailRecord struct {
	Seq     int64     `json:"seq"`
	Doc     int64     `json:"doc"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	As      string    `json:"as,omitempty"`
	Action  string    `json:"action"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Opinion string    `json:"opinion,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Source  string    `json:"source,omitempty"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash"`
}

// hash is the record's hash over every field but Hash, the previous
// record's hash included.
func (r trailRecord) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s",
		r.Seq, r.Doc, ts(r.At), r.Actor, r.As, r.Action, r.From, r.To, r.Opinion, r.Detail, r.Source, r.Prev)
	return hex.EncodeToString(h.Sum(nil))
}

func appendTrail(ctx context.Context, tx *sql.Tx, r trailRecord) error {
	var prev string
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM trail ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	r.Seq, r.Prev = seq+1, prev
	r.At = r.At.UTC()
	r.Hash = r.hash()
	_, err = tx.ExecContext(ctx, `INSERT INTO trail (seq, doc, at, actor, as_whom, action, from_node, to_node, opinion, detail, source, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.Doc, ts(r.At), r.Actor, r.As, r.Action, r.From, r.To, r.Opinion, r.Detail, r.Source, r.Prev, r.Hash)
	if err != nil {
		return fmt.Errorf("docflow: append to the trail: %w", err)
	}
	return nil
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Records int64
	// Broken is the first record whose hash or link does not hold (0:
	// none).
	Broken int64
	Reason string
}

// Verify checks the trail's hash chain from the first record to the last.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT seq, doc, at, actor, as_whom, action, from_node, to_node, opinion, detail, source, prev, hash
		FROM trail ORDER BY seq`)
	if err != nil {
		return VerifyReport{}, err
	}
	defer rows.Close()
	var rep VerifyReport
	prev := ""
	var last int64
	for rows.Next() {
		var r trailRecord
		var at string
		if err := rows.Scan(&r.Seq, &r.Doc, &at, &r.Actor, &r.As, &r.Action, &r.From, &r.To, &r.Opinion, &r.Detail, &r.Source, &r.Prev, &r.Hash); err != nil {
			return rep, err
		}
		r.At = parseTS(at)
		rep.Records++
		switch {
		case r.Seq != last+1:
			rep.Broken, rep.Reason = r.Seq, fmt.Sprintf("record %d follows record %d: records are missing", r.Seq, last)
		case r.Prev != prev:
			rep.Broken, rep.Reason = r.Seq, fmt.Sprintf("record %d does not link to the hash of record %d", r.Seq, last)
		case r.hash() != r.Hash:
			rep.Broken, rep.Reason = r.Seq, fmt.Sprintf("record %d was changed after it was written (its hash does not match)", r.Seq)
		}
		if rep.Broken != 0 {
			return rep, nil
		}
		prev, last = r.Hash, r.Seq
	}
	return rep, rows.Err()
}

// TrailEntry is a trail record as the document page shows it.
type TrailEntry struct {
	Seq                  int64
	At                   time.Time
	Actor, As            string
	Action, From, To     string
	Opinion, Detail, Src string
	Hash                 string
}

// Trail is the document's trail, oldest first.
func (s *Store) Trail(ctx context.Context, doc int64) ([]TrailEntry, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT seq, at, actor, as_whom, action, from_node, to_node, opinion, detail, source, hash
		FROM trail WHERE doc = ? ORDER BY seq`, doc)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrailEntry
	for rows.Next() {
		var e TrailEntry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.As, &e.Action, &e.From, &e.To, &e.Opinion, &e.Detail, &e.Src, &e.Hash); err != nil {
			return nil, err
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// enqueue writes an event to the outbox in the caller's transaction.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, ev contract.Event) error {
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("docflow: event: %w", err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (topic, body) VALUES (?, ?)`, ev.Topic(), string(b))
	return err
}

func (s *Store) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Publisher puts the outbox's events on the queue.
type Publisher interface {
	PublishBatch(ctx context.Context, evs []contract.Event) error
}

// KeepPublished is how long a published event stays in the outbox, to be
// published again after a crash: the embedded nsqd keeps messages in
// memory until they are handled.
const KeepPublished = 2 * time.Minute

// PublishOutbox publishes what waits in the outbox, oldest first, and
// marks it published. An event may go out twice (after a crash, every
// event kept is published again); consumers deduplicate on its id.
//
// The outbox's own bookkeeping (marking events published, forgetting old
// ones) rides in the committer's group transactions instead of costing a
// durable commit of its own beside each group.
func (s *Store) PublishOutbox(ctx context.Context, p Publisher) (int, error) {
	total := 0
	defer func() {
		// Forget what was published long enough ago to have been handled,
		// a few times within KeepPublished.
		if now := s.now(); now.Sub(s.outboxSwept) > KeepPublished/4 {
			s.outboxSwept = now
			s.inGroup(ctx, &job{ctx: ctx, fn: func(o *op) error {
				_, err := o.tx.ExecContext(o.ctx, `DELETE FROM outbox WHERE published != '' AND published < ?`, ts(now.Add(-KeepPublished)))
				return err
			}})
		}
	}()
	for {
		rows, err := s.db.Writer().QueryContext(ctx, `SELECT id, topic, body FROM outbox WHERE published = '' ORDER BY id LIMIT 200`)
		if err != nil {
			return total, err
		}
		var ids []int64
		var run []contract.Event
		var topic string
		for rows.Next() {
			var id int64
			var t, body string
			if err := rows.Scan(&id, &t, &body); err != nil {
				rows.Close()
				return total, err
			}
			if topic != "" && t != topic {
				break // one topic per batch
			}
			topic = t
			ev, err := contract.DecodeTopic(t, []byte(body))
			if err != nil {
				s.log.Error("outbox row dropped: it cannot be read", "id", id, "err", err)
			} else {
				run = append(run, ev)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return total, nil
		}
		if len(run) > 0 {
			if err := p.PublishBatch(ctx, run); err != nil {
				return total, err
			}
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		args = append([]any{ts(s.now())}, args...)
		err = s.inGroup(ctx, &job{ctx: ctx, fn: func(o *op) error {
			_, err := o.tx.ExecContext(o.ctx, `UPDATE outbox SET published = ? WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
			return err
		}})
		if err != nil {
			return total, err
		}
		total += len(run)
	}
}

// Run publishes the outbox as changes land and runs Tick every
// tickEvery, until ctx ends.
func (s *Store) Run(ctx context.Context, p Publisher, tickEvery time.Duration) error {
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		if p != nil {
			if _, err := s.PublishOutbox(ctx, p); err != nil && ctx.Err() == nil {
				s.log.Warn("OA events not published yet; retrying", "err", err)
				retry.Reset(time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-retry.C:
		case <-tick.C:
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("OA deadlines not checked", "err", err)
			}
		}
	}
}

// OutboxLen is how many events wait to be published.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE published = ''`).Scan(&n)
	return n, err
}
