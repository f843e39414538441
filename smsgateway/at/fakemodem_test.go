package at

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeModem is the modem end of a net.Pipe, driven by a script: it reads
// what the driver writes, cut after CR, Ctrl-Z or ESC, and answers.
type fakeModem struct {
	t    *testing.T
	conn net.Conn
	got  chan string
}

// step is one turn of a scripted conversation.
type step struct {
	expect string        // what the driver must write next ("" for nothing)
	pause  time.Duration // before answering
	send   string        // what the modem answers
	slow   bool          // one byte per write
	close  bool          // then the line vanishes
}

func newFakeModem(t *testing.T) (*fakeModem, net.Conn) {
	t.Helper()
	modemEnd, driverEnd := net.Pipe()
	m := &fakeModem{t: t, conn: modemEnd, got: make(chan string, 64)}
	go m.readLoop()
	t.Cleanup(func() { modemEnd.Close() })
	return m, driverEnd
}

func (m *fakeModem) readLoop() {
	var cur []byte
	buf := make([]byte, 256)
	for {
		n, err := m.conn.Read(buf)
		for _, b := range buf[:n] {
			cur = append(cur, b)
			if b == '\r' || b == ctrlZ || b == esc {
				m.got <- string(cur)
				cur = nil
			}
		}
		if err != nil {
			close(m.got)
			return
		}
	}
}

// expect waits for the driver to write want.
func (m *fakeModem) expect(want string) bool {
	m.t.Helper()
	select {
	case got, ok := <-m.got:
		if !ok {
			m.t.Errorf("modem: line closed, wanted %q", want)
			return false
		}
		if got != want {
			m.t.Errorf("modem got %q, want %q", got, want)
			return false
		}
		return true
	case <-time.After(3 * time.Second):
		m.t.Errorf("modem: nothing written, wanted %q", want)
		return false
	}
}

// quiet checks the driver writes nothing for d.
func (m *fakeModem) quiet(d time.Duration) {
	m.t.Helper()
	select {
	case got, ok := <-m.got:
		if ok {
			m.t.Errorf("modem got %q, wanted silence", got)
		}
	case <-time.After(d):
	}
}

func (m *fakeModem) send(s string, slow bool) {
	if !slow {
		m.conn.Write([]byte(s))
		return
	}
	for i := 0; i < len(s); i++ {
		m.conn.Write([]byte{s[i]})
	}
}

// play runs steps on their own goroutine; the returned func waits for it.
func (m *fakeModem) play(steps []step) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, s := range steps {
			if s.expect != "" && !m.expect(s.expect) {
				return
			}
			time.Sleep(s.pause)
			if s.send != "" {
				m.send(s.send, s.slow)
			}
			if s.close {
				m.conn.Close()
				return
			}
		}
	}()
	return wg.Wait
}

// urcLog collects what the handlers got.
type urcLog struct {
	mu   sync.Mutex
	urcs []URC
}

func (l *urcLog) add(u URC) {
	l.mu.Lock()
	l.urcs = append(l.urcs, u)
	l.mu.Unlock()
}

// wait returns the URCs once there are n of them (or after a second).
func (l *urcLog) wait(n int) []URC {
	deadline := time.Now().Add(time.Second)
	for {
		l.mu.Lock()
		got := append([]URC(nil), l.urcs...)
		l.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func urcSummary(us []URC) string {
	var parts []string
	for _, u := range us {
		s := u.Code
		if u.Args != "" {
			s += " " + u.Args
		}
		if u.Payload != "" {
			s += " | " + u.Payload
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func testOptions() Options {
	o := NewOptions()
	o.PromptTimeout = 300 * time.Millisecond
	o.ResyncTimeout = 500 * time.Millisecond
	return o
}

func netPipe() (modem, driver net.Conn) { return net.Pipe() }
