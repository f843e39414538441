package modemsim

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzSimInput: whatever bytes arrive on the line, the simulator neither
// panics nor wedges, and after ESC it answers AT with OK.
func FuzzSimInput(f *testing.F) {
	pdu, n := submitPDU("+8613800000000", "测试", true, 1, 2, 1)
	for _, seed := range []string{
		"AT\r",
		"\x1b\rAT\rATE1\rAT+MODE=2\rAT+CMEE=1\rAT+CSCS?\r",
		"AT+CMEE=1;+CREG=2\rAT+CPIN?\rAT+CSQ\r",
		"AT+CMGS=" + itoa(n) + "\r" + pdu + "\x1a",
		"AT+CMGF=1\rAT+CMGS=\"+8613800000000\"\rhello\rworld\x1a",
		"AT+CMGS=19\r0891683108100005F011000D91683108000000F00008FF046D4B8BD5",
		"ATV0Q1E0\rAT+CNMI=2,2,0,1,0;+CSMS=1\r",
		"AT+CPMS=\"ME\",\"SM\",\"ME\"\rAT+CMGL=4\rAT+CMGD=1,4\rAT+CMGR=0\r",
		"AT+CSCS=\"UCS2\"\rAT+CSCA=\"00\"\rAT+CMGS=\"0\"\r\x1b",
		"AT+CMGW=12\r00\x1aAT+CMSS=1\r",
		"A/\rAT\x08\x08\x7fAT\r\n\x00\xff",
		"AT\"\"\";;;+++&&&SSS=?\r",
		"ATS3=13S4?&F&W\r",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := NewOptions()
		o.Codec = fakeCodec{}
		o.SendLatency = 0
		o.ReportDelay = time.Millisecond
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var mu sync.Mutex
		var out bytes.Buffer
		s.sink = func(b []byte) {
			mu.Lock()
			out.Write(b)
			mu.Unlock()
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.feed(data)
			mu.Lock()
			out.Reset()
			mu.Unlock()
			// However the line was left, ESC and ATZ bring it back.
			s.feed([]byte("\x1b\rATZ\rAT\r"))
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("wedged on %q", data)
		}
		mu.Lock()
		got := out.String()
		mu.Unlock()
		if !strings.HasSuffix(got, "AT\r\r\nOK\r\n") {
			t.Fatalf("after %q the modem answers AT with %q", data, got)
		}
	})
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
