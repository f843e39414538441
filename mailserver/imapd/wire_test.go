package imapd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"nanhu/mailserver/store"
)

// rawSession is a test's IMAP connection that returns the exact bytes of
// each command's answer.
type rawSession struct {
	t   *testing.T
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dialRaw(t *testing.T, addr string, useTLS bool) *rawSession {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) // the test's own self-signed certificate
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = tc
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	s := &rawSession{t: t, c: c, r: bufio.NewReader(c)}
	if line, err := s.r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		t.Fatalf("greeting %q: %v", line, err)
	}
	return s
}

// do sends cmd and returns everything up to and including its tagged
// answer, literals and all; the answer must be OK.
func (s *rawSession) do(cmd string) string {
	s.t.Helper()
	s.tag++
	tag := "w" + strconv.Itoa(s.tag)
	if _, err := io.WriteString(s.c, tag+" "+cmd+"\r\n"); err != nil {
		s.t.Fatal(err)
	}
	var out bytes.Buffer
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("%s: %v (after %q)", cmd, err, out.String())
		}
		out.WriteString(line)
		// A line ending in {n} is followed by n bytes of literal.
		if i := strings.LastIndexByte(line, '{'); i >= 0 && strings.HasSuffix(line, "}\r\n") {
			if n, err := strconv.Atoi(line[i+1 : len(line)-3]); err == nil {
				if _, err := io.CopyN(&out, s.r, int64(n)); err != nil {
					s.t.Fatal(err)
				}
				continue
			}
		}
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line, tag+" OK") {
				s.t.Fatalf("%s: %q", cmd, line)
			}
			return out.String()
		}
	}
}

// TestFetchMetaMatchesGoIMAP: the FETCH responses written straight to the
// connection are byte for byte those go-imap's encoder writes, for every
// item they cover, over plain and TLS connections, with and without
// UTF8=ACCEPT, for envelopes that exercise every encoding rule.
func TestFetchMetaMatchesGoIMAP(t *testing.T) {
	e := newEnv(t, nil, nil)
	long := strings.Repeat("很长的主题", 400) // over 4096 bytes: a literal
	msgs := []string{
		"From: =?GB2312?B?1cXOsA==?= <zhangwei@nanhu.local>\r\nTo: \"Li \\\"Na\\\"\" <lina@nanhu.local>, wang@nanhu.local\r\nCc: 区领导: a@x.org, b@x.org;\r\nSubject: =?UTF-8?B?5YWz5LqO5Yqg5by655S15a2Q5pS/5Yqh5bu66K6+55qE6YCa55+l?=\r\nDate: Wed, 25 Nov 2026 09:00:00 +0800\r\nMessage-ID: <1@t>\r\nIn-Reply-To: <a@t> <b@t>\r\n\r\nbody\r\n",
		"From: 张伟 <张伟@例子.中国>\r\nSubject: 未编码的中文主题 \"引号\" \\ 反斜杠\r\nMessage-ID: <2@t>\r\n\r\n8-bit header\r\n",
		"Subject: " + long + "\r\n\r\nno from, no date\r\n",
		"X-Nothing: at all\r\n\r\n",
		"From: undisclosed-recipients:;\r\nReply-To: r@x.org\r\nSender: s@x.org\r\nBcc: hidden@x.org\r\nDate: garbage\r\n\r\nx\r\n",
	}
	for _, m := range msgs {
		if _, err := e.st.Deliver(context.Background(), store.Delivery{Recipients: []store.Recipient{{Owner: "lina"}}, Raw: []byte(m)}); err != nil {
			t.Fatal(err)
		}
	}
	cmds := []string{
		"UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)",
		"FETCH 1:* (ENVELOPE)",
		"FETCH 2,4 (FLAGS UID)",
		"FETCH 1:* ALL",
		"FETCH 1:* FAST",
		"UID FETCH 3:* (RFC822.SIZE)",
	}
	for _, useTLS := range []bool{false, true} {
		for _, utf8 := range []bool{false, true} {
			t.Run(fmt.Sprintf("tls=%v/utf8=%v", useTLS, utf8), func(t *testing.T) {
				addr := e.addr
				if useTLS {
					addr = e.tls
				}
				s := dialRaw(t, addr, useTLS)
				s.do(`LOGIN lina secret-2004`)
				if utf8 {
					s.do("ENABLE UTF8=ACCEPT")
				}
				s.do("SELECT INBOX")
				s.do(`STORE 2 +FLAGS (\Flagged $Label1)`)
				for _, cmd := range cmds {
					e.srv.slowFetch = false
					fast := s.do(cmd)
					e.srv.slowFetch = true
					slow := s.do(cmd)
					e.srv.slowFetch = false
					// The tags differ; the responses must not.
					fast, slow = untagged(fast), untagged(slow)
					if fast != slow {
						i := 0
						for i < min(len(fast), len(slow)) && fast[i] == slow[i] {
							i++
						}
						from := max(0, i-80)
						t.Errorf("%s: the answers differ at byte %d:\nfast …%q\nslow …%q", cmd, i, fast[from:min(len(fast), i+80)], slow[from:min(len(slow), i+80)])
					}
					if strings.Count(fast, " FETCH (") == 0 {
						t.Errorf("%s: no FETCH responses: %q", cmd, fast)
					}
				}
			})
		}
	}
}

func untagged(s string) string {
	i := strings.LastIndex(strings.TrimSuffix(s, "\r\n"), "\r\n")
	return s[:i+2]
}
