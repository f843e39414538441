package modemsim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"nanhu/hardware/serial"
)

// fakeCodec stands in for smsgateway/pdu in this package's tests: a "PDU"
// is an SMSC field of 00, a TP-MTI octet and the fields as JSON, so the
// lengths the AT commands count are real while the coding is trivial.
// (The tests in package modemsim_test use the real codec.)
type fakeCodec struct{}

type fakeFields struct {
	To, From, Text string
	MR             byte
	SRR            bool
	Ref            uint16
	Total, Seq     int
	At             time.Time
	Status         byte
}

func fakePDU(mti byte, f fakeFields) string {
	b, _ := json.Marshal(f)
	return strings.ToUpper("00" + hex.EncodeToString(append([]byte{mti}, b...)))
}

func fakeDecode(p string, mti byte) (fakeFields, error) {
	var f fakeFields
	b, err := hex.DecodeString(p)
	if err != nil || len(b) < 3 || b[0] != 0 || b[1]&3 != mti {
		return f, errors.New("fake: not a PDU of that type")
	}
	err = json.Unmarshal(b[2:], &f)
	return f, err
}

func (fakeCodec) DecodeSubmit(p string) (Submit, error) {
	f, err := fakeDecode(p, 1)
	return Submit{To: f.To, Text: f.Text, MR: f.MR, StatusReport: f.SRR, Concat: Concat{Ref: f.Ref, Total: f.Total, Seq: f.Seq}}, err
}

func (fakeCodec) EncodeDeliver(from, text string, at time.Time) ([]string, error) {
	// Ten characters a part, so long texts are easy to make.
	var parts []string
	for len(text) > 0 {
		n := 0
		for i := 0; i < 10 && n < len(text); i++ {
			_, size := utf8.DecodeRuneInString(text[n:])
			n += size
		}
		parts = append(parts, text[:n])
		text = text[n:]
	}
	var out []string
	for i, p := range parts {
		f := fakeFields{From: from, Text: p, At: at}
		if len(parts) > 1 {
			f.Ref, f.Total, f.Seq = 7, len(parts), i+1
		}
		out = append(out, fakePDU(0, f))
	}
	return out, nil
}

func (fakeCodec) DecodeDeliver(p string) (Deliver, error) {
	f, err := fakeDecode(p, 0)
	return Deliver{From: f.From, Text: f.Text, At: f.At, Concat: Concat{Ref: f.Ref, Total: f.Total, Seq: f.Seq}}, err
}

func (fakeCodec) EncodeStatusReport(ref byte, recipient string, submitted, done time.Time, status byte) (string, error) {
	return fakePDU(2, fakeFields{MR: ref, To: recipient, At: submitted, Status: status}), nil
}

// submitPDU is a fake SMS-SUBMIT and its AT+CMGS length.
func submitPDU(to, text string, srr bool, ref uint16, total, seq int) (string, int) {
	p := fakePDU(1, fakeFields{To: to, Text: text, SRR: srr, Ref: ref, Total: total, Seq: seq})
	return p, len(p)/2 - 1
}

// startSim runs a simulator on a pty in a temporary folder.
func startSim(t testing.TB, mod func(*Options)) *Sim {
	t.Helper()
	o := NewOptions()
	o.Link = filepath.Join(t.TempDir(), "ttyGSM0")
	o.Codec = fakeCodec{}
	o.SendLatency = 10 * time.Millisecond
	o.ReportDelay = 50 * time.Millisecond
	o.VanishFor = 200 * time.Millisecond
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// client is a modem client on the simulator's link, through the serial
// package as the gateway will be.
type client struct {
	t    testing.TB
	port *serial.Port
	mu   sync.Mutex
	got  []byte // read and not yet consumed
}

func dial(t testing.TB, s *Sim) *client {
	t.Helper()
	p, err := serial.Open(serial.Config{Path: s.Link(), ReadTimeout: 50 * time.Millisecond, ReopenMin: 20 * time.Millisecond, ReopenMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &client{t: t, port: p}
}

// write sends raw bytes; oneByte writes them one per write() as gammu can.
func (c *client) write(s string, oneByte bool) {
	c.t.Helper()
	if !oneByte {
		if _, err := c.port.Write([]byte(s)); err != nil {
			c.t.Fatalf("write %q: %v", s, err)
		}
		return
	}
	for i := 0; i < len(s); i++ {
		if _, err := c.port.Write([]byte{s[i]}); err != nil {
			c.t.Fatalf("write %q: %v", s, err)
		}
	}
}

// readUntil reads until the input holds want, and returns (and consumes)
// everything up to and including it.
func (c *client) readUntil(want string, timeout time.Duration) (string, error) {
	buf := make([]byte, 1024)
	deadline := time.Now().Add(timeout)
	for {
		if i := strings.Index(string(c.got), want); i >= 0 {
			out := string(c.got[:i+len(want)])
			c.got = c.got[i+len(want):]
			return out, nil
		}
		if time.Now().After(deadline) {
			return string(c.got), fmt.Errorf("no %q within %v", want, timeout)
		}
		n, err := c.port.Read(buf)
		c.got = append(c.got, buf[:n]...)
		if err != nil && !errors.Is(err, serial.ErrTimeout) {
			return string(c.got), err
		}
	}
}

func (c *client) expect(want string) string {
	c.t.Helper()
	out, err := c.readUntil(want, 5*time.Second)
	if err != nil {
		c.t.Fatalf("got %q: %v", out, err)
	}
	return out
}

// finalRe-like check: a final result line.
func finalIn(s string) (string, bool) {
	for _, line := range strings.Split(s, "\r\n") {
		switch {
		case line == "OK", line == "ERROR", strings.HasPrefix(line, "+CMS ERROR:"), strings.HasPrefix(line, "+CME ERROR:"):
			return line, true
		}
	}
	return "", false
}

// cmd sends a command line and returns the answer up to its final result.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.write(line+"\r", false)
	return c.final()
}

// final reads up to the next final result code.
func (c *client) final() string {
	c.t.Helper()
	buf := make([]byte, 1024)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := string(c.got)
		if i := strings.Index(s, "\r\n"); i >= 0 {
			// A final result is a whole line "\r\nOK\r\n".
			for _, end := range finalEnds(s) {
				out := s[:end]
				c.got = c.got[end:]
				return out
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no final result in %q", s)
		}
		n, err := c.port.Read(buf)
		c.got = append(c.got, buf[:n]...)
		if err != nil && !errors.Is(err, serial.ErrTimeout) {
			c.t.Fatalf("read: %v (got %q)", err, c.got)
		}
	}
}

// finalEnds returns the end offset of the first complete final result
// line in s, if any.
func finalEnds(s string) []int {
	off := 0
	for {
		i := strings.Index(s[off:], "\r\n")
		if i < 0 {
			return nil
		}
		start := off + i + 2
		j := strings.Index(s[start:], "\r\n")
		if j < 0 {
			return nil
		}
		line := s[start : start+j]
		if _, ok := finalIn(line); ok {
			return []int{start + j + 2}
		}
		off = start
	}
}
