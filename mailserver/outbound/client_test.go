package outbound

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		in       string
		code     int
		enhanced string
		text     string
		wantErr  bool
	}{
		{in: "250 OK\r\n", code: 250, text: "OK"},
		{in: "354\r\n", code: 354},
		{in: "550 5.1.1 no such user\r\n", code: 550, enhanced: "5.1.1", text: "no such user"},
		{in: "451-4.7.1 greylisted,\r\n451 4.7.1 come back later\r\n", code: 451, enhanced: "4.7.1", text: "greylisted, come back later"},
		{in: "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", code: 250, text: "mx.test PIPELINING 8BITMIME"},
		{in: "550 4.1.1 class disagrees\r\n", code: 550, text: "4.1.1 class disagrees"},
		{in: "250 2.0.0\r\n", code: 250, enhanced: "2.0.0"},
		{in: "250-a\r\n251 b\r\n", wantErr: true},
		{in: "25O OK\r\n", wantErr: true},
		{in: "250_OK\r\n", wantErr: true},
		{in: "199 too low\r\n", wantErr: true},
		{in: "250-never ends\r\n", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSpace(tc.in), func(t *testing.T) {
			c := &conn{r: bufio.NewReader(strings.NewReader(tc.in))}
			r, err := c.readReply()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if r.code != tc.code || r.enhanced != tc.enhanced || r.text() != tc.text {
				t.Errorf("got %d %q %q, want %d %q %q", r.code, r.enhanced, r.text(), tc.code, tc.enhanced, tc.text)
			}
		})
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250 OK\r\n",
		"250-mx.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n",
		"550 5.1.1 <x@y> unknown\r\n",
		"421-4.7.0 a\r\n421 4.7.0 b\r\n",
		"220\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conn{r: bufio.NewReader(bytes.NewReader(data))}
		r, err := c.readReply()
		if err != nil {
			return
		}
		if r.code < 200 || r.code > 599 {
			t.Fatalf("code %d out of range", r.code)
		}
		if r.enhanced != "" && r.enhanced[0] != byte('0'+r.code/100) {
			t.Fatalf("enhanced %q disagrees with %d", r.enhanced, r.code)
		}
		if len(r.lines) == 0 || len(r.lines) > maxReplyLines {
			t.Fatalf("%d lines", len(r.lines))
		}
		_ = (&replyError{reply: r}).Error()
	})
}

// nopConn is a net.Conn that only takes deadlines, for writeDotStuffed.
type nopConn struct{ net.Conn }

func (nopConn) SetDeadline(time.Time) error { return nil }

func TestWriteDotStuffed(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{".\r\n", "..\r\n"},
		{"a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n"},
		{"no final crlf", "no final crlf\r\n"},
		{"x.\r\n.", "x.\r\n..\r\n"},
		{"", ""},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := writeDotStuffed(w, []byte(tc.in), nopConn{}, time.Second); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if b.String() != tc.want {
			t.Errorf("writeDotStuffed(%q) = %q, want %q", tc.in, b.String(), tc.want)
		}
	}
}

func TestNormalizeCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb", "a\r\nb"},
		{"\n", "\r\n"},
		{"a\r\n\nb", "a\r\n\r\nb"},
	}
	for _, tc := range tests {
		if got := string(normalizeCRLF([]byte(tc.in))); got != tc.want {
			t.Errorf("normalizeCRLF(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFromDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@Example.ORG", "example.org"},
		{`"Zhang San" <zhangsan@example.org>`, "example.org"},
		{"=?GB2312?B?1cXI/Q==?= <zhangsan@example.org>", "example.org"},
		{"=?x-unknown?B?AAAA?= <zhangsan@example.org>", "example.org"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := fromDomain(tc.in); got != tc.want {
			t.Errorf("fromDomain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
