package smsgateway

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
)

// TestPIN: a SIM that asks for its PIN gets the configured one; a wrong or
// missing PIN leaves the modem down without a second try.
func TestPIN(t *testing.T) {
	cases := []struct {
		name, pin string
		up        bool
		errHas    string
	}{
		{"right PIN", "1234", true, ""},
		{"wrong PIN", "0000", false, "refused the configured PIN"},
		{"no PIN", "", false, "none is configured"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sim := startSim(t, dir, "ttyGSM0", nil)
			if err := sim.InjectFault(modemsim.FaultSIMPIN, 0, false); err != nil {
				t.Fatal(err)
			}
			mc := simModem(sim, "m1")
			mc.PIN = tc.pin
			g := startGateway(t, testOptions(dir, mc))
			if tc.up {
				waitUp(t, g, 1)
				m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试短信"})
				if err != nil {
					t.Fatal(err)
				}
				waitState(t, g, m.ID, Delivered)
				return
			}
			waitFor(t, 5*time.Second, "the PIN error", func() bool { return strings.Contains(g.Modems()[0].Error, tc.errHas) })
			time.Sleep(time.Second) // no retry in the meantime
			if st := g.Modems()[0]; st.State != ModemDown || st.Connects != 0 || !strings.Contains(st.Error, tc.errHas) {
				t.Errorf("modem %+v", st)
			}
		})
	}
}

// TestRateLimit: parts through one modem are spaced by its rate.
func TestRateLimit(t *testing.T) {
	f, conn := newFakeModem(t)
	var mu sync.Mutex
	var at []time.Time
	f.answer = func(cmd string) (string, bool) {
		if strings.HasPrefix(cmd, "PDU:") {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
		}
		return "", false
	}
	o := testOptions(t.TempDir(), ModemConfig{Name: "fake", Path: "fake0", RatePerMinute: 600}) // one part per 100 ms
	o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
	g := startGateway(t, o)
	waitUp(t, g, 1)
	ctx := context.Background()
	a, _ := g.Send(ctx, Request{To: "+8613800000001", Text: threePartChinese})
	b, _ := g.Send(ctx, Request{To: "+8613800000002", Text: "测试"})
	waitState(t, g, a.ID, Sent)
	waitState(t, g, b.ID, Sent)
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 4 {
		t.Fatalf("%d parts sent, want 4", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 90*time.Millisecond {
			t.Errorf("parts %d and %d %v apart, want 100 ms", i, i+1, gap)
		}
	}
}

// TestLeastRecentlyUsed: with three free modems, consecutive messages go
// round all three.
func TestLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	var mods []ModemConfig
	var sims []*modemsim.Sim
	for _, n := range []string{"a", "b", "c"} {
		s := startSim(t, dir, "tty"+n, nil)
		sims = append(sims, s)
		mods = append(mods, simModem(s, n))
	}
	g := startGateway(t, testOptions(dir, mods...))
	waitUp(t, g, 3)
	var used []string
	for i := range 6 {
		m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "第" + string(rune('一'+i)) + "条"})
		if err != nil {
			t.Fatal(err)
		}
		m = waitState(t, g, m.ID, Sent)
		used = append(used, m.Modem)
	}
	if got := strings.Join(used, ""); got != "abcabc" {
		t.Errorf("modems used in turn: %s, want abcabc", got)
	}
	for _, s := range sims {
		if n := len(s.Messages()); n != 2 {
			t.Errorf("%s carried %d", s.Link(), n)
		}
	}
}

// TestInitSequence checks what the gateway says to a fresh modem, and that
// it falls back to an AT+CNMI setting the modem takes.
func TestInitSequence(t *testing.T) {
	cases := []struct {
		name    string
		refuse  string // a command the modem answers +CMS ERROR: 303
		smsc    string
		want    []string
		notWant string
	}{
		{"defaults", "", "", []string{"AT", "ATE0", "AT+CMEE=1", "AT+CPIN?", "AT+CMGF=0", `AT+CSCS="GSM"`,
			`AT+CPMS="SM","SM","SM"`, "AT+CNMI=2,1,0,2,0", "AT+CSQ", "AT+CREG?", "AT+CMGL=4"}, "AT+CSCA"},
		{"SMSC and a modem without CNMI mode 2", "AT+CNMI=2,1,0,2,0", "+8613800571500", []string{"AT+CMGF=0",
			"AT+CNMI=2,1,0,2,0", "AT+CNMI=1,1,0,2,0", `AT+CSCA="+8613800571500",145`, "AT+CREG?"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, conn := newFakeModem(t)
			f.answer = func(cmd string) (string, bool) {
				if cmd == tc.refuse {
					return "\r\n+CMS ERROR: 303\r\n", true
				}
				return "", false
			}
			o := testOptions(t.TempDir(), ModemConfig{Name: "fake", Path: "fake0", SMSC: tc.smsc})
			o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
			g := startGateway(t, o)
			waitUp(t, g, 1)
			waitFor(t, 5*time.Second, "the first sweep", func() bool {
				return strings.Contains(strings.Join(f.commands(), "|"), "AT+CMGL=4")
			})
			got := f.commands()
			i := 0
			for _, c := range got {
				if i < len(tc.want) && c == tc.want[i] {
					i++
				}
				if tc.notWant != "" && strings.HasPrefix(c, tc.notWant) {
					t.Errorf("sent %s", c)
				}
			}
			if i < len(tc.want) {
				t.Errorf("missing %q in order; the modem got %q", tc.want[i], got)
			}
		})
	}
}
