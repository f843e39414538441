package smsgateway

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
	"nanhu/smsgateway/pdu"
)

// collector records what the hooks are given.
type collector struct {
	mu       sync.Mutex
	inbound  []InboundMessage
	statuses []Message
}

func (c *collector) hook(o *Options) {
	o.OnInbound = func(in InboundMessage) error {
		c.mu.Lock()
		c.inbound = append(c.inbound, in)
		c.mu.Unlock()
		return nil
	}
	o.OnStatus = func(m Message) error { c.mu.Lock(); c.statuses = append(c.statuses, m); c.mu.Unlock(); return nil }
}

func (c *collector) inboundCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inbound)
}

// TestInboundThroughSimulator: SMS arrive at the simulator, are announced
// with +CMTI, read, stored, joined and deleted from the modem's memory.
func TestInboundThroughSimulator(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	var hooks collector
	o := testOptions(dir, simModem(sim, "m1"))
	hooks.hook(&o)
	g := startGateway(t, o)
	waitUp(t, g, 1)
	cases := []struct {
		name, from, text string
		parts            int
	}{
		{"Chinese", "+8613900000001", "同意", 1},
		{"Chinese in three parts", "+8613900000002", threePartChinese, 3},
		{"GSM", "+8613900000003", "OK, received {2}", 1},
		{"alphanumeric sender", "Nanhu", "通知", 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := sim.Inbound(tc.from, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if res.Parts != tc.parts {
				t.Fatalf("simulator made %d parts, want %d", res.Parts, tc.parts)
			}
			waitFor(t, 10*time.Second, "the message stored", func() bool { return hooks.inboundCount() == i+1 })
			hooks.mu.Lock()
			in := hooks.inbound[i]
			hooks.mu.Unlock()
			if in.From != tc.from || in.Text != tc.text || in.Parts != tc.parts || !in.Complete || in.Modem != "m1" {
				t.Errorf("stored %+v", in)
			}
			list, err := g.Inbound(context.Background(), InboundFilter{})
			if err != nil || len(list) != i+1 || list[0].ID != in.ID || list[0].Text != tc.text {
				t.Errorf("Inbound lists %+v, %v", list, err)
			}
			waitFor(t, 5*time.Second, "the modem's memory empty", func() bool { return sim.Status().Storage["SM"].Used == 0 })
		})
	}
}

// TestInboundWhileAway: what arrived while the gateway was not running is
// found by the sweep at start.
func TestInboundWhileAway(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	if _, err := sim.Inbound("+8613900000001", threePartChinese); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Inbound("+8613900000002", "收到"); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	var list []InboundMessage
	waitFor(t, 10*time.Second, "two messages", func() bool {
		list, _ = g.Inbound(context.Background(), InboundFilter{})
		return len(list) == 2
	})
	texts := map[string]string{}
	for _, in := range list {
		texts[in.From] = in.Text
	}
	if texts["+8613900000001"] != threePartChinese || texts["+8613900000002"] != "收到" {
		t.Errorf("stored %+v", list)
	}
	waitFor(t, 5*time.Second, "the modem's memory empty", func() bool { return sim.Status().Storage["SM"].Used == 0 })
}

// deliverPDUs encodes text from a sender as the network would deliver it.
func deliverPDUs(t testing.TB, from, text string, ref uint16) []string {
	t.Helper()
	d := pdu.Deliver{SMSC: "+8613800573500", From: from, Text: text, Timestamp: time.Date(2026, 11, 25, 9, 30, 0, 0, time.FixedZone("", 8*3600))}
	if ref != 0 {
		d.Concat = &pdu.Concat{Ref: ref}
	}
	ps, err := pdu.EncodeDeliver(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Hex)
	}
	return out
}

// TestDeletedOnlyAfterStored: a scripted modem checks, at every AT+CMGD,
// that the PDU is already committed to sms.db; while sms.db refuses the
// write, nothing is deleted.
func TestDeletedOnlyAfterStored(t *testing.T) {
	dir := t.TempDir()
	f, conn := newFakeModem(t)
	pdus := deliverPDUs(t, "+8613900000001", threePartChinese, 0x1234&0xFF)
	idx := map[int]string{}
	for _, p := range pdus {
		idx[f.store(p)] = p
	}
	o := testOptions(dir, ModemConfig{Name: "fake", Path: "fake0"})
	o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
	o.SweepInterval = 200 * time.Millisecond
	g, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	db := g.Store().DB()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON inbound_part BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	var bad []string
	var mu sync.Mutex
	f.answer = func(cmd string) (string, bool) {
		var i int
		if _, err := fmt.Sscanf(cmd, "AT+CMGD=%d", &i); err == nil {
			var n int
			db.QueryRow("SELECT COUNT(*) FROM inbound_part WHERE pdu = ?", idx[i]).Scan(&n)
			if n != 1 {
				mu.Lock()
				bad = append(bad, cmd)
				mu.Unlock()
			}
		}
		return "", false
	}
	done := make(chan struct{})
	go func() { defer close(done); g.Run(context.Background()) }()
	defer func() { g.Close(); <-done }()

	waitFor(t, 5*time.Second, "two sweeps", func() bool {
		n := 0
		for _, c := range f.commands() {
			if c == "AT+CMGL=4" {
				n++
			}
		}
		return n >= 2
	})
	for _, c := range f.commands() {
		if strings.HasPrefix(c, "AT+CMGD") {
			t.Fatalf("%s while sms.db refused the parts", c)
		}
	}
	if f.stored() != 3 {
		t.Fatalf("modem holds %d, want 3", f.stored())
	}
	if _, err := db.Exec("DROP TRIGGER refuse"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the modem emptied", func() bool { return f.stored() == 0 })
	mu.Lock()
	if len(bad) > 0 {
		t.Errorf("deleted before stored: %v", bad)
	}
	mu.Unlock()
	var list []InboundMessage
	waitFor(t, 5*time.Second, "the message", func() bool {
		list, _ = g.Inbound(context.Background(), InboundFilter{})
		return len(list) == 1
	})
	if list[0].Text != threePartChinese || list[0].Parts != 3 {
		t.Errorf("stored %+v", list[0])
	}
}

// TestReassemblyAcrossRestart: two parts were stored before a restart,
// the third comes after; the message is joined from all three, once.
func TestReassemblyAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	pdus := deliverPDUs(t, "+8613900000001", threePartChinese, 77)
	g, err := New(ctx, testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pdus[:2] {
		d, err := pdu.DecodeDeliver(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.takeDeliver(ctx, "fake", p, d); err != nil {
			t.Fatal(err)
		}
	}
	g.Close()

	f, conn := newFakeModem(t)
	f.store(pdus[1]) // read again: the delete did not happen before the crash
	f.store(pdus[2])
	var hooks collector
	o := testOptions(dir, ModemConfig{Name: "fake", Path: "fake0"})
	o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
	hooks.hook(&o)
	g2 := startGateway(t, o)
	waitFor(t, 5*time.Second, "the joined message", func() bool { return hooks.inboundCount() == 1 })
	waitFor(t, 5*time.Second, "the modem emptied", func() bool { return f.stored() == 0 })
	list, _ := g2.Inbound(ctx, InboundFilter{})
	if len(list) != 1 || list[0].Text != threePartChinese || list[0].Parts != 3 {
		t.Errorf("stored %+v", list)
	}
	var parts int
	g2.Store().DB().QueryRow("SELECT COUNT(*) FROM inbound_part").Scan(&parts)
	if parts != 3 {
		t.Errorf("%d parts stored, want 3", parts)
	}
}

// TestIncompleteExpires: a part whose siblings never come is stored as an
// incomplete message after ReassemblyTimeout.
func TestIncompleteExpires(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	o := testOptions(t.TempDir())
	o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	o.ReassemblyTimeout = time.Hour
	g, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	pdus := deliverPDUs(t, "+8613900000001", threePartChinese, 9)
	d, _ := pdu.DecodeDeliver(pdus[0])
	if err := g.takeDeliver(ctx, "m1", pdus[0], d); err != nil {
		t.Fatal(err)
	}
	g.expireIncomplete(ctx)
	if list, _ := g.Inbound(ctx, InboundFilter{}); len(list) != 0 {
		t.Fatalf("stored too early: %+v", list)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	g.expireIncomplete(ctx)
	list, _ := g.Inbound(ctx, InboundFilter{})
	if len(list) != 1 || list[0].Complete || list[0].Parts != 1 || list[0].Total != 3 || list[0].Text != d.Text {
		t.Errorf("stored %+v", list)
	}
}

// TestStatusReports: reports routed as +CDS settle parts, matched by
// modem, reference and number; a permanent error fails the message.
func TestStatusReports(t *testing.T) {
	cases := []struct {
		name   string
		status byte
		want   State
		errHas string
	}{
		{"delivered", 0x00, Delivered, ""},
		{"permanent error", 0x41, Failed, "incompatible destination"},
		{"validity expired", 0x46, Failed, "validity period expired"},
		{"pending, then nothing", 0x21, Sent, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, conn := newFakeModem(t)
			o := testOptions(t.TempDir(), ModemConfig{Name: "fake", Path: "fake0"})
			o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
			var hooks collector
			hooks.hook(&o)
			g := startGateway(t, o)
			waitUp(t, g, 1)
			f.mu.Lock()
			f.nextMR = 200
			f.mu.Unlock()
			m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: threePartChinese})
			if err != nil {
				t.Fatal(err)
			}
			m = waitState(t, g, m.ID, Sent)
			// A report on another number with the same reference matches
			// nothing; then one per part, the recipient in national form.
			report := func(mr int, to string, st byte) {
				p, err := pdu.EncodeStatusReport(pdu.StatusReport{MessageRef: byte(mr), Recipient: to, SCTS: time.Now(), Discharge: time.Now(), Status: st})
				if err != nil {
					t.Fatal(err)
				}
				f.send(fmt.Sprintf("\r\n+CDS: %d\r\n%s\r\n", p.TPDULen, p.Hex))
			}
			report(200, "+8613800000099", 0)
			for i := range m.Parts {
				st := byte(0)
				if i == 1 {
					st = tc.status
				}
				report(200+i, "13800000001", st)
			}
			// Every report is read before the checks: the first part's
			// report may settle the message (a permanent error) before
			// the others are read, so wait for the last part's too.
			waitFor(t, 5*time.Second, "the final state and every part's report", func() bool {
				m, _ = g.Get(context.Background(), m.ID)
				return m.State == tc.want && m.Parts[1].Status != nil && m.Parts[0].State != Sent && m.Parts[2].State != Sent
			})
			if m.State != tc.want || !strings.Contains(m.Error, tc.errHas) || *m.Parts[1].Status != int(tc.status) {
				t.Errorf("message %+v", m)
			}
			if m.Parts[0].State != Delivered || m.Parts[2].State != Delivered {
				t.Errorf("parts 1 and 3: %s, %s", m.Parts[0].State, m.Parts[2].State)
			}
			var unmatched int
			g.Store().DB().QueryRow("SELECT COUNT(*) FROM report WHERE message_id IS NULL").Scan(&unmatched)
			if unmatched != 1 {
				t.Errorf("%d unmatched reports, want 1", unmatched)
			}
			if tc.want != Sent {
				waitFor(t, 2*time.Second, "OnStatus sent then final", func() bool {
					hooks.mu.Lock()
					defer hooks.mu.Unlock()
					return len(hooks.statuses) == 2 && hooks.statuses[0].State == Sent && hooks.statuses[1].State == tc.want
				})
			}
		})
	}
}

// TestStoredReportsRead: with the simulator's default routing the reports
// are stored (+CDSI), read and deleted like messages.
func TestStoredReportsRead(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", func(o *modemsim.Options) { o.SMSlots = 5 })
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	waitUp(t, g, 1)
	// More parts than the memory holds: reports must be taken out as
	// they come, or the later ones would be dropped.
	var ids []int64
	for i := range 4 {
		m, err := g.Send(context.Background(), Request{To: fmt.Sprintf("+861380000000%d", i), Text: threePartChinese})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	for _, id := range ids {
		waitState(t, g, id, Delivered)
	}
	// A report is deleted from the SIM after its commit, which is when
	// its message shows delivered: the last one may still be going.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := sim.Status()
		if st.CNMI != [5]int{2, 1, 0, 2, 0} {
			t.Fatalf("simulator: cnmi %v", st.CNMI)
		}
		if st.Storage["SM"].Used == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulator: SM %+v: a report was left in the SIM", st.Storage["SM"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
