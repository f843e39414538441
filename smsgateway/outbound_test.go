package smsgateway

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
)

// A Chinese text of 150 characters: three UCS2 parts (67 + 67 + 16).
var threePartChinese = strings.Repeat("南湖区政府办公室通知：", 15)

// TestSendCarriedAndDelivered sends through the simulator on a real pty,
// opened with hardware/serial, and checks what the network carried and
// that the status reports made each message delivered.
func TestSendCarriedAndDelivered(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	waitUp(t, g, 1)

	cases := []struct {
		name  string
		to    string
		text  string
		parts int
	}{
		{"Chinese", "+8613800000001", "测试短信", 1},
		{"three Chinese parts", "+8613800000002", threePartChinese, 3},
		{"GSM with extension characters", "+8613800000003", "Meeting {room 3} at 14:00 [A] ~ €5", 1},
		{"emoji and a rare Han character", "+8613800000004", "𠀀通知🙂", 1},
		{"long GSM text", "+8613800000005", strings.Repeat("Nanhu notice. ", 20), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim.ClearMessages()
			m, err := g.Send(context.Background(), Request{To: tc.to, Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if m.State != Queued || len(m.Parts) != tc.parts {
				t.Fatalf("queued message: state %s, %d parts; want queued, %d", m.State, len(m.Parts), tc.parts)
			}
			m = waitState(t, g, m.ID, Delivered)
			carried := sim.Messages()
			if len(carried) != 1 {
				t.Fatalf("carried %d messages, want 1: %+v", len(carried), carried)
			}
			c := carried[0]
			if c.To != tc.to || c.Text != tc.text || c.Parts != tc.parts || !c.Complete || !c.Report {
				t.Errorf("carried %+v\nwant to %s, %d parts, text %q, report asked", c, tc.to, tc.parts, tc.text)
			}
			if m.Modem != "m1" || m.SentAt.IsZero() || m.DoneAt.IsZero() {
				t.Errorf("message %+v lacks modem or times", m)
			}
			for i, p := range m.Parts {
				if p.State != Delivered || p.Ref == nil || *p.Ref != c.Refs[i] || p.Status == nil || *p.Status != 0 {
					t.Errorf("part %d: %+v; want delivered with ref %d, status 0", i+1, p, c.Refs[i])
				}
			}
		})
	}
}

// TestFailover injects a fault into the first modem while it sends; the
// message must go out through the second, once.
func TestFailover(t *testing.T) {
	cases := []struct {
		name   string
		inject func(t *testing.T, a *modemsim.Sim, g *Gateway)
		errHas string
	}{
		{"+CMS ERROR 500", func(t *testing.T, a *modemsim.Sim, g *Gateway) {
			if err := a.InjectFault(modemsim.FaultCMS500, 0, false); err != nil {
				t.Fatal(err)
			}
		}, "+CMS ERROR: 500"},
		{"+CMS ERROR 512", func(t *testing.T, a *modemsim.Sim, g *Gateway) {
			a.InjectFault(modemsim.FaultCMS512, 0, false)
		}, "+CMS ERROR: 512"},
		{"no network", func(t *testing.T, a *modemsim.Sim, g *Gateway) {
			a.InjectFault(modemsim.FaultNoNetwork, 0, false)
		}, "331"},
		{"no prompt", func(t *testing.T, a *modemsim.Sim, g *Gateway) {
			a.InjectFault(modemsim.FaultNoPrompt, 0, false)
		}, "prompt"},
		{"port lost mid-send", func(t *testing.T, a *modemsim.Sim, g *Gateway) {
			a.InjectFault(modemsim.FaultSlowSend, 2*time.Second, false)
			go func() {
				waitFor(t, 5*time.Second, "m1 busy", func() bool { return g.Modems()[0].Busy })
				time.Sleep(100 * time.Millisecond)
				a.InjectFault(modemsim.FaultVanish, 0, true)
			}()
		}, "port closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := startSim(t, dir, "ttyA", nil)
			b := startSim(t, dir, "ttyB", nil)
			o := testOptions(dir, simModem(a, "m1"), simModem(b, "m2"))
			o.HealthInterval = time.Hour // no health check between the fault and the send
			g := startGateway(t, o)
			waitUp(t, g, 2)
			tc.inject(t, a, g)
			// Both modems are free and unused: the first in the
			// configuration takes the message.
			m, err := g.Send(context.Background(), Request{To: "+8613800000009", Text: threePartChinese})
			if err != nil {
				t.Fatal(err)
			}
			m = waitState(t, g, m.ID, Delivered)
			if m.Modem != "m2" || m.Attempts != 2 {
				t.Errorf("delivered via %s after %d attempts; want m2 after 2", m.Modem, m.Attempts)
			}
			if !strings.Contains(m.Error, tc.errHas) {
				t.Errorf("last error %q does not name %q", m.Error, tc.errHas)
			}
			if got := b.Messages(); len(got) != 1 || got[0].Text != threePartChinese || !got[0].Complete {
				t.Errorf("m2 carried %+v", got)
			}
			for _, c := range a.Messages() {
				if c.Complete {
					t.Errorf("m1 carried the whole message too: %+v", c)
				}
			}
			st := g.Modems()[0]
			if st.SendErrors != 1 {
				t.Errorf("m1 send errors %d, want 1", st.SendErrors)
			}
		})
	}
}

// TestModemComesBack: the only modem fails a send; the message waits and
// goes out through the same modem once it is back.
func TestModemComesBack(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	waitUp(t, g, 1)
	sim.InjectFault(modemsim.FaultVanish, 0, false)
	m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试短信"})
	if err != nil {
		t.Fatal(err)
	}
	m = waitState(t, g, m.ID, Delivered)
	if m.Attempts < 2 {
		t.Errorf("attempts %d, want at least 2", m.Attempts)
	}
	if got := sim.Messages(); len(got) != 1 || got[0].Text != "测试短信" {
		t.Errorf("carried %+v", got)
	}
	if c := g.Modems()[0].Connects; c < 2 {
		t.Errorf("modem connected %d times, want a reconnect", c)
	}
}

// TestPermanentError fails the message with the modem's error text.
func TestPermanentError(t *testing.T) {
	f, conn := newFakeModem(t)
	f.answer = func(cmd string) (string, bool) {
		if strings.HasPrefix(cmd, "PDU:") {
			return "\r\n+CMS ERROR: 1\r\n", true
		}
		return "", false
	}
	dir := t.TempDir()
	o := testOptions(dir, ModemConfig{Name: "fake", Path: "fake0"})
	o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
	var statuses []Message
	var mu sync.Mutex
	o.OnStatus = func(m Message) error { mu.Lock(); statuses = append(statuses, m); mu.Unlock(); return nil }
	g := startGateway(t, o)
	waitUp(t, g, 1)
	m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试"})
	if err != nil {
		t.Fatal(err)
	}
	m = waitState(t, g, m.ID, Failed)
	if !strings.Contains(m.Error, "unassigned number") || m.Attempts != 1 || m.Parts[0].State != Failed {
		t.Errorf("failed message %+v", m)
	}
	waitFor(t, 2*time.Second, "OnStatus", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(statuses) == 1 && statuses[0].State == Failed
	})
	if g.Modems()[0].State != ModemUp {
		t.Errorf("a permanent error took the modem down")
	}
}

// once returns c the first time and nil after.
func once(c io.ReadWriteCloser) func() io.ReadWriteCloser {
	used := false
	return func() io.ReadWriteCloser {
		if used {
			return nil
		}
		used = true
		return c
	}
}

func TestIdempotency(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	ctx := context.Background()
	r := Request{To: "+8613800000001", Text: "会议通知", IdempotencyKey: "todo-42"}
	first, err := g.Send(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, g, first.ID, Delivered)
	again, err := g.Send(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.State != Delivered {
		t.Errorf("repeated request gave %d (%s), want %d delivered", again.ID, again.State, first.ID)
	}
	r.Text = "另一条"
	if _, err := g.Send(ctx, r); !errors.Is(err, ErrKeyReused) {
		t.Errorf("key reused for another text: %v, want ErrKeyReused", err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := sim.Messages(); len(got) != 1 {
		t.Errorf("carried %d messages, want 1", len(got))
	}
}

// TestRestartWithMessageSending: a crash left a message "sending", one
// part already taken by the network; the next start sends it once more,
// whole, and it is delivered.
func TestRestartWithMessageSending(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	o := testOptions(dir)
	g, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Send(ctx, Request{To: "+8613800000001", Text: threePartChinese})
	if err != nil {
		t.Fatal(err)
	}
	// What the crashed process had done: claimed it for m1 and recorded
	// the first part sent.
	if _, err := g.Store().Claim(ctx, []string{"m1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Store().PartSent(ctx, m.ID, 1, "m1", 7); err != nil {
		t.Fatal(err)
	}
	if m, _ = g.Get(ctx, m.ID); m.State != Sending {
		t.Fatalf("state %s before the restart", m.State)
	}
	g.Close()

	sim := startSim(t, dir, "ttyGSM0", nil)
	g2 := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	m = waitState(t, g2, m.ID, Delivered)
	if m.Attempts != 2 {
		t.Errorf("attempts %d, want 2", m.Attempts)
	}
	time.Sleep(300 * time.Millisecond)
	if got := sim.Messages(); len(got) != 1 || got[0].Text != threePartChinese || got[0].Parts != 3 {
		t.Errorf("carried %+v, want the whole message once", got)
	}
}

func TestSendRefusesBadRequests(t *testing.T) {
	g, err := New(context.Background(), testOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	cases := []struct {
		name string
		r    Request
		want string
	}{
		{"national number", Request{To: "13800000000", Text: "x"}, "E.164"},
		{"letters", Request{To: "+86138abc", Text: "x"}, "E.164"},
		{"too short", Request{To: "+86138", Text: "x"}, "E.164"},
		{"leading zero", Request{To: "+0861380000000", Text: "x"}, "E.164"},
		{"empty text", Request{To: "+8613800000000", Text: ""}, "empty"},
		{"bad UTF-8", Request{To: "+8613800000000", Text: "\xff\xfe"}, "UTF-8"},
		{"too long Chinese", Request{To: "+8613800000000", Text: strings.Repeat("长", 67*16+1)}, "17 SMS parts"},
		{"too long GSM", Request{To: "+8613800000000", Text: strings.Repeat("a", 153*16+1)}, "153 GSM"},
		{"validity too short", Request{To: "+8613800000000", Text: "x", Validity: time.Minute}, "validity"},
		{"key too long", Request{To: "+8613800000000", Text: "x", IdempotencyKey: strings.Repeat("k", 201)}, "idempotency key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.Send(context.Background(), tc.r)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
	if _, err := g.Send(context.Background(), Request{To: "+8613800000000", Text: strings.Repeat("长", 1000)}); err != nil {
		t.Errorf("1,000 Chinese characters (a notify.sms maximum) refused: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	g := &Gateway{opts: Options{RetryMin: time.Second, RetryMax: 10 * time.Second}}
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, 0}, {1, 0}, {2, time.Second}, {3, 2 * time.Second}, {4, 4 * time.Second}, {5, 8 * time.Second}, {6, 10 * time.Second}, {60, 10 * time.Second}} {
		if got := g.backoff(tc.attempts); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}
