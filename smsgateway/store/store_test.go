package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func open(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	c := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "sms.db")
	s, err := Open(context.Background(), path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

func msg(to, text, key string, parts int) NewMessage {
	return NewMessage{To: to, Text: text, IdempotencyKey: key, StatusReport: true, Validity: time.Hour, Parts: parts, ConcatRef: 7}
}

func TestReopenKeepsSchema(t *testing.T) {
	s, c, path := open(t)
	ctx := context.Background()
	m, _, err := s.Insert(ctx, msg("+8613800000001", "测试", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(ctx, path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Get(ctx, m.ID)
	if err != nil || got.Text != "测试" || len(got.Parts) != 1 {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
	var v int
	s2.DB().QueryRow("PRAGMA user_version").Scan(&v)
	if v != len(migrations) {
		t.Errorf("user_version %d", v)
	}
	var mode string
	s2.DB().QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal mode %s", mode)
	}
}

// Concurrent requests with one key make one message.
func TestIdempotentInsertConcurrent(t *testing.T) {
	s, _, _ := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	existed := make([]bool, 8)
	for i := range ids {
		wg.Go(func() {
			m, e, err := s.Insert(ctx, msg("+8613800000001", "测试", "same", 1))
			if err != nil {
				t.Error(err)
			}
			ids[i], existed[i] = m.ID, e
		})
	}
	wg.Wait()
	fresh := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("ids %v", ids)
		}
		if !existed[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d inserts made a message, want 1", fresh)
	}
	if _, _, err := s.Insert(ctx, msg("+8613800000001", "另一条", "same", 1)); !errors.Is(err, ErrKeyReused) {
		t.Errorf("key reused: %v", err)
	}
}

// The life of a two-part message, and the queue's order and expiry.
func TestLifecycle(t *testing.T) {
	s, c, _ := open(t)
	ctx := context.Background()
	a, _, _ := s.Insert(ctx, msg("+8613800000001", "甲", "", 2))
	c.add(time.Second)
	b, _, _ := s.Insert(ctx, msg("+8613800000002", "乙", "", 1))

	got, err := s.Claim(ctx, []string{"m1"})
	if err != nil || len(got) != 1 || got[0].ID != a.ID || got[0].State != Sending || got[0].Modem != "m1" || got[0].Attempts != 1 {
		t.Fatalf("claim: %+v %v", got, err)
	}
	m, _ := s.PartSent(ctx, a.ID, 1, "m1", 250)
	if m.State != Sending || m.Parts[0].State != Sent || *m.Parts[0].Ref != 250 {
		t.Errorf("after part 1: %+v", m)
	}
	m, _ = s.Retry(ctx, a.ID, "port closed", c.Now().Add(time.Minute))
	if m.State != Queued || m.Parts[0].State != Queued || m.Parts[0].Ref != nil || m.Error != "port closed" {
		t.Errorf("after retry: %+v", m)
	}
	// a is not due for a minute: b comes first.
	got, _ = s.Claim(ctx, []string{"m1", "m2"})
	if len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("claim while a waits: %+v", got)
	}
	if due, ok, _ := s.NextDue(ctx); !ok || !due.Equal(c.Now().Add(time.Minute)) {
		t.Errorf("next due %v %v", due, ok)
	}
	c.add(time.Minute)
	got, _ = s.Claim(ctx, []string{"m2"})
	if len(got) != 1 || got[0].ID != a.ID || got[0].Attempts != 2 || got[0].Error != "port closed" {
		t.Fatalf("second claim: %+v", got)
	}
	s.PartSent(ctx, a.ID, 1, "m2", 254)
	m, _ = s.PartSent(ctx, a.ID, 2, "m2", 255)
	if m.State != Sent || m.SentAt.IsZero() {
		t.Errorf("after both parts: %+v", m)
	}
	// Reports: the first part delivered, then an old report with the
	// reference of the retried attempt on m1 matches nothing.
	ap, _ := s.ApplyReport(ctx, Report{Modem: "m2", PDU: "R1", MR: 254, Recipient: "13800000001", Outcome: Delivered})
	if !ap.Fresh || !ap.Matched || ap.Changed || ap.Message.Parts[0].State != Delivered {
		t.Errorf("report 1: %+v", ap)
	}
	if ap, _ := s.ApplyReport(ctx, Report{Modem: "m1", PDU: "R0", MR: 250, Recipient: "+8613800000001", Outcome: Delivered}); ap.Matched {
		t.Errorf("a report for the abandoned attempt matched: %+v", ap)
	}
	if ap, _ := s.ApplyReport(ctx, Report{Modem: "m2", PDU: "R1", MR: 254, Recipient: "13800000001", Outcome: Delivered}); ap.Fresh {
		t.Errorf("the same report twice: %+v", ap)
	}
	ap, _ = s.ApplyReport(ctx, Report{Modem: "m2", PDU: "R2", MR: 255, Recipient: "+8613800000001", Outcome: Delivered})
	if !ap.Changed || ap.Message.State != Delivered || ap.Message.DoneAt.IsZero() {
		t.Errorf("report 2: %+v", ap)
	}

	// b was claimed by m1 and the process died: requeued at start.
	if n, _ := s.RequeueSending(ctx); n != 1 {
		t.Errorf("requeued %d", n)
	}
	// Its validity runs out before it is sent again.
	c.add(2 * time.Hour)
	if got, _ := s.Claim(ctx, []string{"m1"}); len(got) != 0 {
		t.Errorf("expired message claimed: %+v", got)
	}
	exp, err := s.ExpireQueued(ctx)
	if err != nil || len(exp) != 1 || exp[0].ID != b.ID || exp[0].State != Failed || exp[0].Parts[0].State != Failed {
		t.Errorf("expired: %+v %v", exp, err)
	}
	counts, _ := s.Counts(ctx)
	if counts[Delivered] != 1 || counts[Failed] != 1 {
		t.Errorf("counts %v", counts)
	}
	list, _ := s.List(ctx, Filter{State: Failed})
	if len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("list failed: %+v", list)
	}
}

func TestSameNumber(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"+8613800000001", "+8613800000001", true},
		{"+8613800000001", "8613800000001", true},
		{"+8613800000001", "13800000001", true},
		{"+8613800000001", "13800000002", false},
		{"+8613800000001", "0001", false},
		{"", "", false},
		{"+8613800000001", "O2", false},
	} {
		if got := SameNumber(tc.a, tc.b); got != tc.want {
			t.Errorf("SameNumber(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestInboundParts(t *testing.T) {
	s, _, _ := open(t)
	ctx := context.Background()
	p := InboundPart{Modem: "m1", PDU: "AB", From: "+8613900000001", Ref: 5, Total: 2, Seq: 1, ReceivedAt: time.Now()}
	a, fresh, err := s.AddInboundPart(ctx, p)
	if err != nil || !fresh {
		t.Fatal(err, fresh)
	}
	again, fresh, _ := s.AddInboundPart(ctx, p)
	if fresh || again.ID != a.ID {
		t.Errorf("same PDU stored twice: %+v", again)
	}
	p.Modem = "m2"
	if _, fresh, _ := s.AddInboundPart(ctx, p); !fresh {
		t.Errorf("the same PDU from another modem refused")
	}
	if open, _ := s.OpenInboundParts(ctx); len(open) != 2 {
		t.Errorf("open parts %+v", open)
	}
	in, err := s.AddInbound(ctx, Inbound{Modem: "m1", From: p.From, Text: "半条", Parts: 1, Total: 2}, []int64{a.ID})
	if err != nil || in.Complete {
		t.Errorf("add inbound: %+v %v", in, err)
	}
	if _, err := s.AddInbound(ctx, Inbound{Modem: "m1", From: p.From, Text: "again", Parts: 1, Total: 1}, []int64{a.ID}); err == nil {
		t.Errorf("a part joined twice")
	}
	list, _ := s.ListInbound(ctx, InboundFilter{})
	if len(list) != 1 || list[0].Text != "半条" {
		t.Errorf("inbound %+v", list)
	}
}
