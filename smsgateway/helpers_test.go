package smsgateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
	"nanhu/smsgateway/at"
	"nanhu/smsgateway/pdu"
)

// simCodec gives the simulator the real PDU codec, as cmd/nanhu does.
type simCodec struct{}

func (simCodec) DecodeSubmit(h string) (modemsim.Submit, error) {
	s, err := pdu.DecodeSubmit(h)
	out := modemsim.Submit{To: s.To, Text: s.Text, MR: s.MessageRef, StatusReport: s.StatusReport}
	if s.Concat != nil {
		out.Concat = modemsim.Concat{Ref: s.Concat.Ref, Total: s.Concat.Total, Seq: s.Concat.Seq}
	}
	return out, err
}

func (simCodec) EncodeDeliver(from, text string, at time.Time) ([]string, error) {
	ps, err := pdu.EncodeDeliver(pdu.Deliver{SMSC: "+8613800573500", From: from, Timestamp: at, Text: text})
	var out []string
	for _, p := range ps {
		out = append(out, p.Hex)
	}
	return out, err
}

func (simCodec) DecodeDeliver(h string) (modemsim.Deliver, error) {
	d, err := pdu.DecodeDeliver(h)
	out := modemsim.Deliver{From: d.From, Text: d.Text, At: d.Timestamp}
	if d.Concat != nil {
		out.Concat = modemsim.Concat{Ref: d.Concat.Ref, Total: d.Concat.Total, Seq: d.Concat.Seq}
	}
	return out, err
}

func (simCodec) EncodeStatusReport(ref byte, to string, submitted, done time.Time, st byte) (string, error) {
	p, err := pdu.EncodeStatusReport(pdu.StatusReport{MessageRef: ref, Recipient: to, SCTS: submitted, Discharge: done, Status: st})
	return p.Hex, err
}

func quietLogger() *slog.Logger {
	if os.Getenv("SMS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startSim runs a simulated modem on a pty linked in dir.
func startSim(t testing.TB, dir, name string, mod func(*modemsim.Options)) *modemsim.Sim {
	t.Helper()
	o := modemsim.NewOptions()
	o.Link = filepath.Join(dir, name)
	o.Codec = simCodec{}
	o.SendLatency = 20 * time.Millisecond
	o.ReportDelay = 100 * time.Millisecond
	o.VanishFor = 300 * time.Millisecond
	o.Logger = quietLogger()
	if mod != nil {
		mod(&o)
	}
	s, err := modemsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testOptions are quick timings for tests.
func testOptions(dir string, modems ...ModemConfig) Options {
	o := DefaultOptions(dir)
	o.Modems = modems
	o.HealthInterval = 300 * time.Millisecond
	o.SweepInterval = 500 * time.Millisecond
	o.RecheckDelay = 500 * time.Millisecond
	o.RetryMin = 200 * time.Millisecond
	o.RetryMax = time.Second
	o.AT = at.Options{CommandTimeout: 2 * time.Second, PromptTimeout: time.Second, SMSTimeout: 3 * time.Second, ResyncProbe: "AT+CMEE?"}
	o.Logger = quietLogger()
	return o
}

// startGateway opens a gateway and runs it until the test ends.
func startGateway(t testing.TB, o Options) *Gateway {
	t.Helper()
	g, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := g.Run(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		g.Close()
		<-done
	})
	return g
}

// simModem is the configuration of a simulated modem.
func simModem(s *modemsim.Sim, name string) ModemConfig {
	return ModemConfig{Name: name, Path: s.Link()}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitUp(t testing.TB, g *Gateway, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d modems up", n), func() bool {
		up := 0
		for _, s := range g.Modems() {
			if s.State == ModemUp {
				up++
			}
		}
		return up == n
	})
}

func waitState(t testing.TB, g *Gateway, id int64, want State) Message {
	t.Helper()
	var m Message
	waitFor(t, 15*time.Second, fmt.Sprintf("SMS %d %s", id, want), func() bool {
		var err error
		m, err = g.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return m.State == want
	})
	return m
}

// fakeModem is a scripted modem at the end of a net.Pipe: it answers the
// gateway's initialisation and health commands, keeps a memory of PDUs
// for AT+CMGL/CMGR/CMGD, and lets a test answer any command itself.
type fakeModem struct {
	t    testing.TB
	conn net.Conn

	mu      sync.Mutex
	mem     map[int]string // index → PDU
	cmds    []string
	nextMR  int
	prompt  bool   // in "> " input
	pending string // AT+CMGS line awaiting its PDU
	// answer, when set, answers a command line (or "PDU:<hex>" after
	// Ctrl-Z) instead of the defaults; handled false falls through.
	answer func(cmd string) (reply string, handled bool)
}

func newFakeModem(t testing.TB) (*fakeModem, net.Conn) {
	modemEnd, gwEnd := net.Pipe()
	f := &fakeModem{t: t, conn: modemEnd, mem: map[int]string{}, nextMR: 1}
	go f.loop()
	t.Cleanup(func() { modemEnd.Close() })
	return f, gwEnd
}

func (f *fakeModem) loop() {
	var cur []byte
	buf := make([]byte, 512)
	for {
		n, err := f.conn.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == 0x1B:
				cur = nil
				f.mu.Lock()
				f.prompt = false
				f.mu.Unlock()
			case b == 0x1A:
				f.mu.Lock()
				inPrompt := f.prompt
				f.prompt = false
				f.mu.Unlock()
				if inPrompt {
					f.reply("PDU:" + strings.TrimSpace(string(cur)))
				}
				cur = nil
			case b == '\r':
				f.mu.Lock()
				inPrompt := f.prompt
				f.mu.Unlock()
				if !inPrompt {
					f.reply(strings.TrimSpace(string(cur)))
					cur = nil
				}
			case b == '\n':
			default:
				cur = append(cur, b)
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *fakeModem) send(s string) {
	f.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	f.conn.Write([]byte(s))
}

// commands returns the command lines received so far.
func (f *fakeModem) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

func (f *fakeModem) store(pdu string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 1; ; i++ {
		if _, used := f.mem[i]; !used {
			f.mem[i] = pdu
			return i
		}
	}
}

func (f *fakeModem) stored() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.mem)
}

func (f *fakeModem) reply(cmd string) {
	if cmd == "" {
		return
	}
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		if r, ok := answer(cmd); ok {
			f.send(r)
			return
		}
	}
	f.send(f.defaultReply(cmd))
}

func (f *fakeModem) defaultReply(cmd string) string {
	ok := "\r\nOK\r\n"
	u := strings.ToUpper(cmd)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(cmd, "PDU:"):
		mr := f.nextMR
		f.nextMR = (f.nextMR + 1) % 256
		return fmt.Sprintf("\r\n+CMGS: %d\r\n", mr) + ok
	case strings.HasPrefix(u, "AT+CMGS="):
		f.prompt = true
		return "\r\n> "
	case u == "AT+CPIN?":
		return "\r\n+CPIN: READY\r\n" + ok
	case u == "AT+CSQ":
		return "\r\n+CSQ: 20,99\r\n" + ok
	case u == "AT+CREG?":
		return "\r\n+CREG: 0,1\r\n" + ok
	case u == "AT+CMEE?":
		return "\r\n+CMEE: 1\r\n" + ok
	case u == "AT+CMGL=4":
		var b strings.Builder
		for i := 1; i <= 255; i++ {
			if p, used := f.mem[i]; used {
				fmt.Fprintf(&b, "\r\n+CMGL: %d,1,,%d\r\n%s", i, len(p)/2-1, p)
			}
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		return b.String() + ok
	case strings.HasPrefix(u, "AT+CMGR="):
		var i int
		fmt.Sscanf(u, "AT+CMGR=%d", &i)
		if p, used := f.mem[i]; used {
			return fmt.Sprintf("\r\n+CMGR: 1,,%d\r\n%s\r\n", len(p)/2-1, p) + ok
		}
		return ok
	case strings.HasPrefix(u, "AT+CMGD="):
		var i int
		fmt.Sscanf(u, "AT+CMGD=%d", &i)
		delete(f.mem, i)
		return ok
	}
	return ok
}

// pipeDial hands out the gateway ends of fake modems by path.
func pipeDial(conns map[string]func() io.ReadWriteCloser) func(ModemConfig) (io.ReadWriteCloser, error) {
	var mu sync.Mutex
	return func(c ModemConfig) (io.ReadWriteCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		f := conns[c.Path]
		if f == nil {
			return nil, fmt.Errorf("no fake modem at %s", c.Path)
		}
		rw := f()
		if rw == nil {
			return nil, fmt.Errorf("fake modem at %s is gone", c.Path)
		}
		return rw, nil
	}
}
