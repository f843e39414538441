package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), DefaultOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gbMessage(t *testing.T, subject, body string) []byte {
	gb := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return []byte("From: =?GB2312?B?" + base64.StdEncoding.EncodeToString([]byte(gb("张伟"))) + "?= <zhangwei@nanhu.local>\r\n" +
		"Subject: =?GB2312?B?" + base64.StdEncoding.EncodeToString([]byte(gb(subject))) + "?=\r\n" +
		"Message-ID: <" + subject + "@test>\r\n" +
		"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + gb(body) + "\r\n")
}

func TestDeliverAndRead(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	raw := gbMessage(t, "关于加强电子政务建设的通知", "请各单位减少噪音。")
	out, err := s.Deliver(ctx, Delivery{Recipients: []Recipient{{Owner: "lina"}, {Owner: "zhangwei"}, {Owner: "lina"}}, Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("delivered %d copies, want 2 (duplicates merged)", len(out))
	}
	boxes, err := s.Mailboxes(ctx, "lina")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name+b.SpecialUse)
		if b.UIDValidity == 0 {
			t.Errorf("mailbox %s has UIDVALIDITY 0", b.Name)
		}
	}
	if fmt.Sprint(names) != `[INBOX Archive\Archive Drafts\Drafts Junk\Junk Sent\Sent Trash\Trash]` {
		t.Errorf("mailboxes = %v", names)
	}
	got, err := s.Raw(ctx, "lina", "INBOX", out[0].UID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(raw) {
		t.Error("stored bytes differ from the delivered ones")
	}
	// A second message gets the next UID.
	out2, err := s.Deliver(ctx, Delivery{Recipients: []Recipient{{Owner: "lina"}}, Raw: gbMessage(t, "会议通知", "明天开会")})
	if err != nil {
		t.Fatal(err)
	}
	if out2[0].UID != out[0].UID+1 {
		t.Errorf("second UID %d after %d", out2[0].UID, out[0].UID)
	}
	for _, tt := range []struct {
		term string
		want int
	}{{"电子政务", 1}, {"噪音", 1}, {"张伟", 2}, {"开会", 1}, {"通知", 2}, {"政府", 0}, {"zhangwei", 2}} {
		uids, err := s.Search(ctx, "lina", "INBOX", tt.term)
		if err != nil {
			t.Fatal(err)
		}
		if len(uids) != tt.want {
			t.Errorf("search %q: %d hits %v, want %d", tt.term, len(uids), uids, tt.want)
		}
	}
	used, n, err := s.Usage(ctx, "lina")
	if err != nil || n != 2 || used == 0 {
		t.Errorf("usage = %d bytes, %d messages, %v", used, n, err)
	}
}

func TestConcurrentDeliveriesGetDistinctUIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.Deliver(ctx, Delivery{Recipients: []Recipient{{Owner: "u1"}, {Owner: fmt.Sprintf("u%d", 2+i%3)}},
				Raw: []byte(fmt.Sprintf("Subject: m%d\r\nMessage-ID: <%d@t>\r\n\r\nbody %d\r\n", i, i, i))})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.DeliveredCount(); got != 2*n {
		t.Errorf("delivered count %d, want %d", got, 2*n)
	}
	s.Close()
	// Reopen: everything is there, UIDs are 1..n without gaps.
	s = open(t, dir)
	defer s.Close()
	msgs, err := s.Messages(ctx, "u1", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != n {
		t.Fatalf("u1 has %d messages after reopen, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		if m.UID != uint32(i+1) {
			t.Fatalf("message %d has UID %d", i, m.UID)
		}
	}
}

func TestDeliverToMissingMailbox(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	_, err := s.Deliver(context.Background(), Delivery{Recipients: []Recipient{{Owner: "x", Mailbox: "Nowhere"}}, Raw: []byte("Subject: x\r\n\r\n")})
	if err == nil {
		t.Fatal("delivery into a mailbox that does not exist succeeded")
	}
	// The failure left the store usable and nothing half-made.
	if _, err := s.Deliver(context.Background(), Delivery{Recipients: []Recipient{{Owner: "x"}}, Raw: []byte("Subject: y\r\n\r\n")}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.Messages(context.Background(), "x", "INBOX")
	if len(msgs) != 1 {
		t.Errorf("INBOX has %d messages, want 1", len(msgs))
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		s := open(t, dir)
		s.Close()
	}
	if _, err := filepath.Glob(filepath.Join(dir, "mail.db")); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkDeliver(b *testing.B) {
	s, err := Open(context.Background(), DefaultOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw := []byte("Subject: bench\r\n\r\n" + string(make([]byte, 4000)))
	b.SetParallelism(20)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Deliver(context.Background(), Delivery{Recipients: []Recipient{{Owner: "bench"}}, Raw: raw}); err != nil {
				b.Error(err)
			}
		}
	})
}

func TestReceivedPerHour(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	clock := now
	o := DefaultOptions(t.TempDir())
	o.Now = func() time.Time { return clock }
	st, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i, at := range []time.Duration{0, 10 * time.Minute, 2 * time.Hour, 5 * time.Hour} {
		clock = now.Add(at)
		raw := fmt.Sprintf("Subject: %d\r\nMessage-ID: <h%d@test>\r\n\r\nx\r\n", i, i)
		if _, err := st.Deliver(ctx, Delivery{Recipients: []Recipient{{Owner: "lina"}, {Owner: "zhangwei"}}, Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.ReceivedPerHour(ctx, now, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[2 0 1]" {
		t.Errorf("per hour %v, want [2 0 1] (the one at +5h is outside)", got)
	}
}
