package at

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testPDU = "0891683108100005F011000D91683108000000F00008FF046D4B8BD5"

func TestConversations(t *testing.T) {
	type want struct {
		lines   []string
		kind    Kind
		code    int
		err     bool
		retry   bool
		pduSent bool
		urcs    string
	}
	tests := []struct {
		name    string
		cmd     string
		pdu     string // SMSCommand when set
		timeout time.Duration
		steps   []step
		want    want
	}{
		{
			name:  "echo off",
			cmd:   "AT+CSQ",
			steps: []step{{expect: "AT+CSQ\r", send: "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{"+CSQ: 20,99"}},
		},
		{
			name:  "echo on",
			cmd:   "AT+CSQ",
			steps: []step{{expect: "AT+CSQ\r", send: "AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{"+CSQ: 20,99"}},
		},
		{
			name:  "plain lines",
			cmd:   "ATI",
			steps: []step{{expect: "ATI\r", send: "\r\nManufacturer: huawei\r\nModel: E173\r\nRevision: 11.126\r\nIMEI: 350000000000000\r\n+GCAP: +CGSM\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{"Manufacturer: huawei", "Model: E173", "Revision: 11.126", "IMEI: 350000000000000", "+GCAP: +CGSM"}},
		},
		{
			name: "URCs between response lines",
			cmd:  "AT+CMGL=4",
			steps: []step{{expect: "AT+CMGL=4\r", send: "\r\n+CMGL: 1,1,,24\r\n" + testPDU + "\r\n+CMTI: \"SM\",3\r\n^RSSI:17\r\n" +
				"+CMGL: 2,0,,24\r\n" + testPDU + "\r\n^BOOT:12345,0,0,0,75\r\n^MODE:5,4\r\nRING\r\n\r\nOK\r\n"}},
			want: want{
				lines: []string{"+CMGL: 1,1,,24", testPDU, "+CMGL: 2,0,,24", testPDU},
				urcs:  `+CMTI "SM",3; ^RSSI 17; ^BOOT 12345,0,0,0,75; ^MODE 5,4; RING`,
			},
		},
		{
			name:  "+CMT with its PDU inside a response",
			cmd:   "AT+CSQ",
			steps: []step{{expect: "AT+CSQ\r", send: "\r\n+CMT: ,24\r\n" + testPDU + "\r\n+CSQ: 17,99\r\n+CDS: 25\r\n07917283010010F5\r\n+CDS: 6,232,\"+8613800000000\",145\r\nOK\r\n"}},
			want: want{
				lines: []string{"+CSQ: 17,99"},
				urcs:  "+CMT ,24 | " + testPDU + "; +CDS 25 | 07917283010010F5; +CDS 6,232,\"+8613800000000\",145",
			},
		},
		{
			name:  "+CREG asked for, +CREG unsolicited",
			cmd:   "AT+CREG?",
			steps: []step{{expect: "AT+CREG?\r", send: "\r\n+CMTI: \"SM\",1\r\n+CREG: 2,1,\"2513\",\"6AF1\"\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{`+CREG: 2,1,"2513","6AF1"`}, urcs: `+CMTI "SM",1`},
		},
		{
			name:  "chained command keeps both answers",
			cmd:   "AT+CMEE=1;+CREG?",
			steps: []step{{expect: "AT+CMEE=1;+CREG?\r", send: "\r\n+CREG: 0,5\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{"+CREG: 0,5"}},
		},
		{
			name:  "one byte at a time",
			cmd:   "AT+CPMS?",
			steps: []step{{expect: "AT+CPMS?\r", slow: true, send: "AT+CPMS?\r\r\n+CPMS: \"SM\",3,50,\"SM\",3,50,\"SM\",3,50\r\n^RSSI:9\r\n\r\nOK\r\n"}},
			want:  want{lines: []string{`+CPMS: "SM",3,50,"SM",3,50,"SM",3,50`}, urcs: "^RSSI 9"},
		},
		{
			name: "garbage and an over-long line",
			cmd:  "AT+CSQ",
			steps: []step{{expect: "AT+CSQ\r", send: "\x00\x01\x02\x7f\r\n" + strings.Repeat("x", 5000) + "\r\n" +
				strings.Repeat("\x1b\x00", 3000) + "\r\n+CSQ: 1,1\r\n\r\nOK\r\n"}},
			want: want{lines: []string{"+CSQ: 1,1"}},
		},
		{
			name:  "plain ERROR",
			cmd:   "AT+CPROT=?",
			steps: []step{{expect: "AT+CPROT=?\r", send: "\r\nERROR\r\n"}},
			want:  want{err: true, kind: Plain},
		},
		{
			name:  "+CME ERROR SIM busy",
			cmd:   "AT+CPMS?",
			steps: []step{{expect: "AT+CPMS?\r", send: "\r\n+CME ERROR: 14\r\n"}},
			want:  want{err: true, kind: CME, code: 14, retry: true},
		},
		{
			name:  "+CME ERROR as text",
			cmd:   "AT+CPMS?",
			steps: []step{{expect: "AT+CPMS?\r", send: "\r\n+CME ERROR: SIM busy\r\n"}},
			want:  want{err: true, kind: CME, code: 14, retry: true},
		},
		{
			name:  "NO CARRIER ends a command",
			cmd:   "ATD10086;",
			steps: []step{{expect: "ATD10086;\r", send: "\r\nNO CARRIER\r\n"}},
			want:  want{err: true, kind: Other},
		},
		{
			name: "send, echo on",
			cmd:  "AT+CMGS=19",
			pdu:  testPDU,
			steps: []step{
				{expect: "AT+CMGS=19\r", send: "AT+CMGS=19\r\r\n> "},
				{expect: testPDU + "\x1a", send: testPDU + "\x1a\r\n^RSSI:20\r\n+CMGS: 7\r\n\r\nOK\r\n"},
			},
			want: want{lines: []string{"+CMGS: 7"}, urcs: "^RSSI 20"},
		},
		{
			name: "send, one byte at a time",
			cmd:  "AT+CMGS=19",
			pdu:  testPDU,
			steps: []step{
				{expect: "AT+CMGS=19\r", send: "\r\n> ", slow: true},
				{expect: testPDU + "\x1a", send: "\r\n+CMGS: 255\r\n\r\nOK\r\n", slow: true},
			},
			want: want{lines: []string{"+CMGS: 255"}},
		},
		{
			name: "send refused: +CMS ERROR 330",
			cmd:  "AT+CMGS=19",
			pdu:  testPDU,
			steps: []step{
				{expect: "AT+CMGS=19\r", send: "\r\n> "},
				{expect: testPDU + "\x1a", send: "\r\n+CMS ERROR: 330\r\n"},
			},
			want: want{err: true, kind: CMS, code: 330, retry: true},
		},
		{
			name: "send refused: unassigned number is permanent",
			cmd:  "AT+CMGS=19",
			pdu:  testPDU,
			steps: []step{
				{expect: "AT+CMGS=19\r", send: "\r\n> "},
				{expect: testPDU + "\x1a", send: "\r\n+CMS ERROR: 1\r\n"},
			},
			want: want{err: true, kind: CMS, code: 1},
		},
		{
			name:  "error instead of the prompt",
			cmd:   "AT+CMGS=19",
			pdu:   testPDU,
			steps: []step{{expect: "AT+CMGS=19\r", send: "\r\n+CMS ERROR: 304\r\n"}},
			want:  want{err: true, kind: CMS, code: 304},
		},
		{
			name:  "missing prompt: ESC",
			cmd:   "AT+CMGS=19",
			pdu:   testPDU,
			steps: []step{{expect: "AT+CMGS=19\r"}, {expect: "\x1b"}},
			want:  want{err: true, kind: Timeout, retry: true},
		},
		{
			name:    "slow result: ESC",
			cmd:     "AT+CMGS=19",
			pdu:     testPDU,
			timeout: 200 * time.Millisecond,
			steps: []step{
				{expect: "AT+CMGS=19\r", send: "\r\n> "},
				{expect: testPDU + "\x1a"},
				{expect: "\x1b"},
			},
			want: want{err: true, kind: Timeout, retry: true, pduSent: true},
		},
		{
			name:    "slow command",
			cmd:     "AT+COPS=?",
			timeout: 100 * time.Millisecond,
			steps:   []step{{expect: "AT+COPS=?\r"}},
			want:    want{err: true, kind: Timeout, retry: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, port := newFakeModem(t)
			c := New(port, testOptions())
			defer c.Close()
			var log urcLog
			c.Handle("", log.add)
			wait := m.play(tt.steps)
			var lines []string
			var err error
			if tt.pdu != "" {
				lines, err = c.SMSCommand(context.Background(), tt.cmd, tt.pdu, tt.timeout)
			} else {
				lines, err = c.Command(context.Background(), tt.cmd, tt.timeout)
			}
			wait()
			if tt.want.err {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an *Error", err)
				}
				if e.Kind != tt.want.kind || tt.want.code != 0 && e.Code != tt.want.code || e.Retryable() != tt.want.retry || e.PDUSent != tt.want.pduSent || e.Command != tt.cmd {
					t.Errorf("err = %#v (%v), want kind %v code %d retryable %v", e, e, tt.want.kind, tt.want.code, tt.want.retry)
				}
				if Retryable(err) != tt.want.retry {
					t.Errorf("Retryable(err) = %v", Retryable(err))
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines, tt.want.lines) {
				t.Errorf("lines %q, want %q", lines, tt.want.lines)
			}
			n := strings.Count(tt.want.urcs, ";") + 1
			if tt.want.urcs == "" {
				n = 0
			}
			if got := urcSummary(log.wait(n)); got != tt.want.urcs {
				t.Errorf("URCs\n%s\nwant\n%s", got, tt.want.urcs)
			}
		})
	}
}

// A late answer to a command that timed out is not taken for the answer
// to the next one.
func TestLateAnswerAfterTimeout(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	defer c.Close()
	wait := m.play([]step{
		{expect: "AT+COPS=?\r", pause: 150 * time.Millisecond, send: "\r\n+COPS: (2,\"CMCC\")\r\n\r\nOK\r\n"},
		{expect: "AT+CMEE?\r", send: "AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n"},
		{expect: "AT+CSQ\r", send: "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"},
	})
	_, err := c.Command(context.Background(), "AT+COPS=?", 50*time.Millisecond)
	if e, ok := err.(*Error); !ok || e.Kind != Timeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	lines, err := c.Command(context.Background(), "AT+CSQ", 0)
	wait()
	if err != nil || !slices.Equal(lines, []string{"+CSQ: 21,99"}) {
		t.Errorf("next command: %q, %v", lines, err)
	}
}

// After a send without a prompt was abandoned with ESC, the modem's late
// answer to the ESC is dropped and the line carries on.
func TestResyncAfterESC(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	defer c.Close()
	wait := m.play([]step{
		{expect: "AT+CMGS=19\r"},
		{expect: "\x1b", pause: 100 * time.Millisecond, send: "\r\n+CMS ERROR: 500\r\n"},
		{expect: "AT+CMEE?\r", send: "\r\n+CMEE: 1\r\n\r\nOK\r\n"},
		{expect: "AT+CMGS=19\r", send: "\r\n> "},
		{expect: testPDU + "\x1a", send: "\r\n+CMGS: 3\r\n\r\nOK\r\n"},
	})
	if _, err := c.SMSCommand(context.Background(), "AT+CMGS=19", testPDU, 0); err == nil {
		t.Fatal("no error without a prompt")
	}
	lines, err := c.SMSCommand(context.Background(), "AT+CMGS=19", testPDU, 0)
	wait()
	if err != nil || !slices.Equal(lines, []string{"+CMGS: 3"}) {
		t.Errorf("retry: %q, %v", lines, err)
	}
}

func TestContextCancelWritesESC(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	wait := m.play([]step{
		{expect: "AT+CMGS=19\r", send: "\r\n> "},
		{expect: testPDU + "\x1a"},
		{expect: "\x1b"},
	})
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	_, err := c.SMSCommand(ctx, "AT+CMGS=19", testPDU, 0)
	wait()
	var e *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || !e.PDUSent {
		t.Errorf("err = %v, want context.Canceled with PDUSent", err)
	}
}

func TestPortVanishes(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	wait := m.play([]step{{expect: "AT+CMGL=4\r", send: "\r\n+CMGL: 1,1,,24\r\n", close: true}})
	start := time.Now()
	_, err := c.Command(context.Background(), "AT+CMGL=4", 5*time.Second)
	wait()
	if !errors.Is(err, ErrPortClosed) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v, want ErrPortClosed at once", err, time.Since(start))
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed")
	}
	if !errors.Is(c.Err(), ErrPortClosed) || !errors.Is(c.Err(), io.EOF) {
		t.Errorf("Err() = %v", c.Err())
	}
	start = time.Now()
	_, err = c.Command(context.Background(), "AT", 0)
	if !errors.Is(err, ErrPortClosed) || time.Since(start) > 50*time.Millisecond {
		t.Errorf("later call: %v after %v", err, time.Since(start))
	}
	if _, err = c.SMSCommand(context.Background(), "AT+CMGS=19", testPDU, 0); !errors.Is(err, ErrPortClosed) || !Retryable(err) {
		t.Errorf("later send: %v", err)
	}
}

// eioPort answers the first command and then fails reads with EIO, as a
// USB serial port does when the stick goes away.
type eioPort struct {
	mu      sync.Mutex
	pending chan []byte
	closed  chan struct{}
	once    sync.Once
}

func (p *eioPort) Read(b []byte) (int, error) {
	select {
	case out, ok := <-p.pending:
		if !ok {
			return 0, &pathError{syscall.EIO}
		}
		return copy(b, out), nil
	case <-p.closed:
		return 0, io.ErrClosedPipe
	}
}

func (p *eioPort) Write(b []byte) (int, error) {
	if string(b) == "AT\r" {
		p.pending <- []byte("\r\nOK\r\n")
	} else {
		close(p.pending)
	}
	return len(b), nil
}

func (p *eioPort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

type pathError struct{ err error }

func (e *pathError) Error() string { return "read /dev/ttyUSB0: " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

func TestEIO(t *testing.T) {
	p := &eioPort{pending: make(chan []byte, 1), closed: make(chan struct{})}
	c := New(p, testOptions())
	defer c.Close()
	if _, err := c.Command(context.Background(), "AT", 0); err != nil {
		t.Fatal(err)
	}
	_, err := c.Command(context.Background(), "AT+CSQ", 0)
	if !errors.Is(err, ErrPortClosed) || !errors.Is(err, syscall.EIO) {
		t.Errorf("err = %v, want ErrPortClosed and EIO", err)
	}
	select {
	case <-p.closed:
	case <-time.After(time.Second):
		t.Error("port not closed")
	}
}

// Commands from several goroutines go out one at a time, and a handler
// may send a command (AT+CMGR on +CMTI) without deadlock.
func TestOneAtATimeAndHandlerCommands(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	defer c.Close()

	// The modem: answer each command, one at a time; after the first,
	// announce an SMS.
	var mu sync.Mutex
	var order []string
	go func() {
		first := true
		for got := range m.got {
			cmd := strings.TrimSuffix(got, "\r")
			mu.Lock()
			order = append(order, cmd)
			mu.Unlock()
			switch {
			case strings.HasPrefix(cmd, "AT+CMGR="):
				m.send("\r\n+CMGR: 0,,24\r\n"+testPDU+"\r\n\r\nOK\r\n", false)
			default:
				m.send("\r\n"+strings.TrimPrefix(cmd, "AT")+": 1\r\n", false)
				if first {
					m.send("+CMTI: \"SM\",5\r\n", false)
					first = false
				}
				time.Sleep(time.Millisecond)
				m.send("OK\r\n", false)
			}
		}
	}()
	read := make(chan []string, 1)
	c.Handle("+CMTI", func(u URC) {
		p := u.Params()
		lines, err := c.Command(context.Background(), "AT+CMGR="+p[1], 0)
		if err != nil {
			t.Error(err)
		}
		read <- lines
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := fmt.Sprintf("AT+X%d", i)
			lines, err := c.Command(context.Background(), cmd, 0)
			if err != nil || len(lines) != 1 || lines[0] != fmt.Sprintf("+X%d: 1", i) {
				t.Errorf("%s: %q %v", cmd, lines, err)
			}
		}()
	}
	wg.Wait()
	select {
	case lines := <-read:
		if !slices.Equal(lines, []string{"+CMGR: 0,,24", testPDU}) {
			t.Errorf("AT+CMGR gave %q", lines)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the handler's AT+CMGR never finished")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 9 {
		t.Errorf("modem saw %q", order)
	}
}

// Lines with no command in hand are unsolicited, whatever they are.
func TestIdleLines(t *testing.T) {
	m, port := newFakeModem(t)
	c := New(port, testOptions())
	defer c.Close()
	var log urcLog
	var ring urcLog
	c.Handle("", log.add)
	c.Handle("RING", ring.add)
	m.send("\r\nRING\r\n\r\n+CLIP: \"+8613900000000\",145\r\nNO CARRIER\r\nOK\r\n\xff\xfe\x80garbage\r\n+CMT: ,24\r\n"+testPDU+"\r\n^RSSI: 5\r\n", false)
	want := `+CLIP "+8613900000000",145; NO CARRIER; ` + "\xff\xfe\x80GARBAGE; +CMT ,24 | " + testPDU + "; ^RSSI 5"
	if got := urcSummary(log.wait(5)); got != want {
		t.Errorf("URCs\n%q\nwant\n%q", got, want)
	}
	if got := ring.wait(1); len(got) != 1 || got[0].Line != "RING" {
		t.Errorf("RING handler got %+v", got)
	}
	// Still answering commands.
	wait := m.play([]step{{expect: "AT\r", send: "\r\nOK\r\n"}})
	if _, err := c.Command(context.Background(), "AT", 0); err != nil {
		t.Error(err)
	}
	wait()
}

func TestParams(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{`+CMTI: "SM",3`, []string{"SM", "3"}},
		{`+CMGS: 12`, []string{"12"}},
		{`+CMGR: 0,,24`, []string{"0", "", "24"}},
		{`+COPS: 0,0,"China, Mobile",7`, []string{"0", "0", "China, Mobile", "7"}},
		{`OK`, nil},
	}
	for _, tt := range tests {
		if got := Params(tt.line); !slices.Equal(got, tt.want) {
			t.Errorf("Params(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Kind: CMS, Code: 330, Command: "AT+CMGS=19", Text: "+CMS ERROR: 330"}
	if got := e.Error(); got != "at: AT+CMGS=19: +CMS ERROR: 330 (SMSC address unknown)" {
		t.Errorf("got %q", got)
	}
	for _, code := range []int{500, 512, 331, 332, 38, 41, 42, 47} {
		if !(&Error{Kind: CMS, Code: code}).Retryable() {
			t.Errorf("CMS %d not retryable", code)
		}
	}
	for _, code := range []int{1, 8, 10, 21, 28, 50, 304, 96} {
		if (&Error{Kind: CMS, Code: code}).Retryable() {
			t.Errorf("CMS %d retryable", code)
		}
	}
}
