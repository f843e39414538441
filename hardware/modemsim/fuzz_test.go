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
		"AT+CMGF=1;+CSDH=1;+CSMP=81,167,0,8\rAT+CMGS=\"+8613800000000\"\r050003070201597D\x1aAT+CMGL=\"ALL\"\r",
		"AT+CMGF=1\rAT+CSMP=49,167,0,0\rAT+CSCS=\"UCS2\"\rAT+CMGS=\"002B0031\"\r00480069\x1aAT+CMGR=1\r",
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

// FuzzParseTPDU: the reader of the header fields text mode shows takes any
// hex without panicking, and what it takes is all of the PDU.
func FuzzParseTPDU(f *testing.F) {
	for _, seed := range []string{
		"0891683108100005F0040D91683109000000F0000852112181214323044F60597D",
		"0891683108100005F011000D91683108000000F00008FF046D4B8BD5",
		"00440D91683109000000F10000621152010000230C050003070201906536FB0D",
		"0001000D91683108000000F00000", "00", "", "FF00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, ok := parseTPDU(h)
		if !ok {
			return
		}
		if p.fo&0x03 > 1 || len(p.ud) > 255 || p.udl < 0 || p.udl > 255 {
			t.Errorf("%q read as %+v", h, p)
		}
	})
}
