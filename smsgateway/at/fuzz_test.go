package at

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

type nopRW struct{}

func (nopRW) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopRW) Write(b []byte) (int, error) { return len(b), nil }

// parseAll runs data through a Conn's line machine with a command in
// hand, cut into chunks of the given size, and returns what came out.
func parseAll(data []byte, chunk int, sms bool) (lines []string, urcs []URC, final bool, prompt bool, err error) {
	o := NewOptions()
	o.MaxLine = 64
	c := newConn(nopRW{}, o)
	cmd := "AT+CMGL=4"
	if sms {
		cmd = "AT+CMGS=19"
	}
	p := &pending{cmd: cmd, names: commandNames(cmd), wantPrompt: sms, prompt: make(chan struct{}), done: make(chan struct{})}
	c.cur, c.lastCmd = p, cmd
	for len(data) > 0 {
		n := min(chunk, len(data))
		c.consume(data[:n])
		data = data[n:]
	}
	select {
	case <-p.done:
		final = true
	default:
	}
	return p.lines, c.uq, final, p.promptSeen, p.err
}

var parserSeeds = []string{
	"\r\n+CMGL: 1,1,,24\r\n0891683108100005F0\r\n+CMTI: \"SM\",3\r\n^RSSI:17\r\n\r\nOK\r\n",
	"AT+CMGS=19\r\r\n> 0891\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n",
	"\r\n+CMT: ,24\r\n0891\r\n+CDS: 25\r\nOK\r\n+CMS ERROR: 330\r\n",
	"\xff\xfe\x00\x1b>\r> \n\r+CME ERROR: SIM busy\r\n",
	strings.Repeat("x", 100) + "\r\nRING\r\nNO CARRIER\r\n",
}

func FuzzResponseParser(f *testing.F) {
	for _, s := range parserSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, sms bool) {
		lines, urcs, final, prompt, err := parseAll(data, len(data)+1, sms)
		for _, l := range append(slices.Clone(lines), urcLines(urcs)...) {
			if l == "" || strings.ContainsAny(l, "\r\n\x1a\x1b\x00") || len(l) > 64 {
				t.Fatalf("bad line %q", l)
			}
		}
		if !final && err != nil {
			t.Fatalf("error %v without a final result", err)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v", err, err)
			}
		}
		if prompt && !sms {
			t.Fatal("prompt without a send")
		}
		// Chunking makes no difference: one byte at a time is the same.
		l1, u1, f1, p1, e1 := parseAll(data, 1, sms)
		if !slices.Equal(l1, lines) || !slices.Equal(urcLines(u1), urcLines(urcs)) || f1 != final || p1 != prompt || (e1 == nil) != (err == nil) {
			t.Fatalf("byte by byte differs: %q %q", l1, lines)
		}
	})
}

func urcLines(us []URC) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Line)
		if u.Payload != "" {
			out = append(out, u.Payload)
		}
	}
	return out
}

// FuzzLiveConn sends arbitrary bytes down a live line while idle: the Conn
// must still answer the next command.
func FuzzLiveConn(f *testing.F) {
	for _, s := range parserSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		modem, port := netPipe()
		defer modem.Close()
		o := testOptions()
		o.MaxLine = 64
		c := New(port, o)
		defer c.Close()
		const sentinel = "SENTINEL-4711"
		seen := make(chan struct{})
		c.Handle("", func(u URC) {
			if strings.Contains(u.Line, sentinel) || strings.Contains(u.Payload, sentinel) {
				close(seen)
			}
		})
		go func() {
			modem.Write(data)
			modem.Write([]byte("\r\n" + sentinel + "\r\n"))
		}()
		select {
		case <-seen:
		case <-time.After(2 * time.Second):
			t.Fatal("the sentinel line never came through")
		}
		go func() {
			buf := make([]byte, 64)
			var got []byte
			for {
				n, err := modem.Read(buf)
				got = append(got, buf[:n]...)
				if strings.HasSuffix(string(got), "AT\r") {
					modem.Write([]byte("\r\nOK\r\n"))
					return
				}
				if err != nil {
					return
				}
			}
		}()
		if _, err := c.Command(context.Background(), "AT", time.Second); err != nil {
			t.Fatalf("after %q: %v", data, err)
		}
	})
}
