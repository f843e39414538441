package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Report is a status report read from a modem.
type Report struct {
	Modem     string
	PDU       string
	MR        int
	Recipient string
	Status    int // TP-ST
	Discharge time.Time
	// Outcome is Delivered or Failed when the report settles the part,
	// "" when the network is still trying.
	Outcome State
	// Error describes a failure for the part and the message.
	Error string
}

// Applied is what ApplyReport did.
type Applied struct {
	Fresh   bool    // false: the same report was stored before, nothing was done again
	Matched bool    // a sent part was found
	Changed bool    // the message's state changed
	Message Message // the part's message, when matched
}

// ApplyReport stores a status report and applies it to the part sent from
// the same modem with the same message reference to the same number, the
// latest such part not yet settled. A part delivered makes its message
// delivered once every part is; a part failed fails its message.
func (s *Store) ApplyReport(ctx context.Context, r Report) (Applied, error) {
	now := ms(s.now())
	var a Applied
	err := s.tx(ctx, "store status report", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO report (modem, pdu, mr, recipient, status, discharge_at, stored_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.Modem, r.PDU, r.MR, r.Recipient, r.Status, ms(r.Discharge), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		a.Fresh = true
		reportID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		id, seq, err := matchPart(ctx, tx, r)
		if err != nil || id == 0 {
			return err
		}
		a.Matched = true
		var before State
		if err := tx.QueryRowContext(ctx, "SELECT state FROM message WHERE id = ?", id).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE report SET message_id = ?, seq = ? WHERE id = ?", id, seq, reportID); err != nil {
			return err
		}
		if r.Outcome == "" {
			if _, err := tx.ExecContext(ctx, "UPDATE part SET status = ? WHERE message_id = ? AND seq = ?", r.Status, id, seq); err != nil {
				return err
			}
		} else {
			if _, err := tx.ExecContext(ctx, "UPDATE part SET status = ?, state = ?, done_at = ?, error = ? WHERE message_id = ? AND seq = ?",
				r.Status, string(r.Outcome), now, r.Error, id, seq); err != nil {
				return err
			}
		}
		switch r.Outcome {
		case Failed:
			if _, err := tx.ExecContext(ctx, `UPDATE message SET state = 'failed', error = ?, done_at = ?, updated_at = ?
				WHERE id = ? AND state IN ('sending', 'sent')`, fmt.Sprintf("part %d: %s", seq, r.Error), now, now, id); err != nil {
				return err
			}
		case Delivered:
			if _, err := tx.ExecContext(ctx, `UPDATE message SET state = 'delivered', done_at = ?, updated_at = ?
				WHERE id = ? AND state = 'sent'
				AND NOT EXISTS (SELECT 1 FROM part WHERE message_id = ? AND state <> 'delivered')`, now, now, id, id); err != nil {
				return err
			}
		}
		if a.Message, err = loadMessage(ctx, tx, id); err != nil {
			return err
		}
		if a.Changed = a.Message.State != before; a.Changed {
			return s.addEvent(ctx, tx, EventStatus, id)
		}
		return nil
	})
	return a, err
}

// matchPart finds the part a report is about: sent from r.Modem with
// reference r.MR to r.Recipient, the most recent one still unsettled.
func matchPart(ctx context.Context, tx *sql.Tx, r Report) (id int64, seq int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.message_id, p.seq, m.recipient FROM part p JOIN message m ON m.id = p.message_id
		WHERE p.modem = ? AND p.mr = ? AND p.state = 'sent' ORDER BY p.sent_at DESC, p.message_id DESC`, r.Modem, r.MR)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var to string
		if err := rows.Scan(&id, &seq, &to); err != nil {
			return 0, 0, err
		}
		if SameNumber(to, r.Recipient) {
			return id, seq, nil
		}
	}
	return 0, 0, rows.Err()
}

// SameNumber reports whether two phone numbers name the same phone: the
// same digits, or one the other's national form (+8613800000000 and
// 13800000000), judged by the last digits when both have at least seven.
func SameNumber(a, b string) bool {
	da, db := digits(a), digits(b)
	if da == "" || db == "" {
		return false
	}
	if da == db {
		return true
	}
	if len(da) < len(db) {
		da, db = db, da
	}
	return len(db) >= 7 && strings.HasSuffix(da, db)
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// InboundPart is one SMS-DELIVER PDU read from a modem.
type InboundPart struct {
	ID    int64
	Modem string
	PDU   string
	From  string
	// Ref, Total and Seq are from the concatenation header; 0, 1, 1 for
	// an SMS that stands alone.
	Ref, Total, Seq int
	ReceivedAt      time.Time // TP-SCTS
	StoredAt        time.Time
	// Error says why the PDU could not be decoded; such a part is kept
	// but never joined.
	Error string
}

// AddInboundPart stores a PDU read from a modem, durably when it returns.
// fresh is false when the same PDU from the same modem was stored before;
// the stored part comes back then.
func (s *Store) AddInboundPart(ctx context.Context, p InboundPart) (InboundPart, bool, error) {
	now := ms(s.now())
	p.StoredAt = time.UnixMilli(now)
	fresh := false
	err := s.tx(ctx, "store inbound SMS", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO inbound_part (modem, pdu, sender, ref, total, seq, received_at, stored_at, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.Modem, p.PDU, p.From, p.Ref, p.Total, p.Seq, ms(p.ReceivedAt), now, p.Error)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			fresh = true
			p.ID, err = res.LastInsertId()
			return err
		}
		var stored int64
		err = tx.QueryRowContext(ctx, "SELECT id, stored_at FROM inbound_part WHERE modem = ? AND pdu = ?", p.Modem, p.PDU).Scan(&p.ID, &stored)
		p.StoredAt = time.UnixMilli(stored)
		return err
	})
	return p, fresh, err
}

// OpenInboundParts returns the decoded parts not yet joined into a
// message, oldest first: what a restart feeds back to the reassembly.
func (s *Store) OpenInboundParts(ctx context.Context) ([]InboundPart, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, modem, pdu, sender, ref, total, seq, received_at, stored_at FROM inbound_part
		WHERE message_id IS NULL AND error = '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read open inbound parts: %w", err)
	}
	defer rows.Close()
	var out []InboundPart
	for rows.Next() {
		var p InboundPart
		var at, stored int64
		if err := rows.Scan(&p.ID, &p.Modem, &p.PDU, &p.From, &p.Ref, &p.Total, &p.Seq, &at, &stored); err != nil {
			return nil, err
		}
		p.ReceivedAt, p.StoredAt = time.UnixMilli(at), time.UnixMilli(stored)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Inbound is a received message, its parts joined.
type Inbound struct {
	ID    int64  `json:"id"`
	Modem string `json:"modem"`
	From  string `json:"from"`
	Text  string `json:"text"`
	// Parts is how many parts were joined, Total how many the sender
	// announced; fewer when the rest never came.
	Parts      int       `json:"parts"`
	Total      int       `json:"total"`
	Complete   bool      `json:"complete"`    // every announced part arrived
	ReceivedAt time.Time `json:"received_at"` // the service centre's time stamp of the first part
	StoredAt   time.Time `json:"stored_at"`
}

// AddInbound stores a joined message and marks its parts (by id) joined.
// A part already joined makes it fail, so a message is stored once.
func (s *Store) AddInbound(ctx context.Context, in Inbound, partIDs []int64) (Inbound, error) {
	if len(partIDs) == 0 {
		return in, errors.New("store inbound message: no parts")
	}
	in.StoredAt = time.UnixMilli(ms(s.now()))
	in.Complete = in.Parts >= in.Total
	err := s.tx(ctx, "store inbound message", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound (modem, sender, text, parts, total, received_at, stored_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, in.Modem, in.From, in.Text, in.Parts, in.Total, ms(in.ReceivedAt), ms(in.StoredAt))
		if err != nil {
			return err
		}
		if in.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, pid := range partIDs {
			res, err := tx.ExecContext(ctx, "UPDATE inbound_part SET message_id = ? WHERE id = ? AND message_id IS NULL", in.ID, pid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("inbound part %d is already joined or gone", pid)
			}
		}
		return s.addEvent(ctx, tx, EventInbound, in.ID)
	})
	return in, err
}

// InboundFilter selects received messages.
type InboundFilter struct {
	// AfterID lists the messages after this id, oldest first (a consumer
	// catching up); without it the newest come first.
	AfterID int64
	From    string
	Limit   int // default 100, at most 1000
}

// ListInbound returns received messages.
func (s *Store) ListInbound(ctx context.Context, f InboundFilter) ([]Inbound, error) {
	var where []string
	var args []any
	order := "id DESC"
	if f.AfterID > 0 {
		where, args, order = append(where, "id > ?"), append(args, f.AfterID), "id"
	}
	if f.From != "" {
		where, args = append(where, "sender = ?"), append(args, f.From)
	}
	tail := ""
	if len(where) > 0 {
		tail = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := s.listInbound(ctx, s.rdb, tail+" ORDER BY "+order+" LIMIT ?", append(args, min(limit, 1000))...)
	if err != nil {
		return nil, fmt.Errorf("list inbound SMS: %w", err)
	}
	return out, nil
}

func (s *Store) listInbound(ctx context.Context, q querier, tail string, args ...any) ([]Inbound, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, modem, sender, text, parts, total, received_at, stored_at FROM inbound "+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Inbound{}
	for rows.Next() {
		var in Inbound
		var rec, stored int64
		if err := rows.Scan(&in.ID, &in.Modem, &in.From, &in.Text, &in.Parts, &in.Total, &rec, &stored); err != nil {
			return nil, err
		}
		in.ReceivedAt, in.StoredAt = time.UnixMilli(rec), time.UnixMilli(stored)
		in.Complete = in.Parts >= in.Total
		out = append(out, in)
	}
	return out, rows.Err()
}
