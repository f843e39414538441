package imapd

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// line reads one line of the server's.
func (s *rawSession) line() string {
	s.t.Helper()
	l, err := s.r.ReadString('\n')
	if err != nil {
		s.t.Fatalf("read: %v (after %q)", err, l)
	}
	return l
}

func (s *rawSession) send(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.c, text); err != nil {
		s.t.Fatal(err)
	}
}

// TestShutdownSaysBye: at shutdown a client in IDLE, one not yet logged in
// (over TLS) and one whose APPEND is arriving are all told "* BYE"; the
// APPEND first gets its OK.
func TestShutdownSaysBye(t *testing.T) {
	e := newEnv(t, nil, nil)
	idle := dialRaw(t, e.addr, false)
	idle.do("LOGIN lina secret-2004")
	idle.do("SELECT INBOX")
	idle.send("i IDLE\r\n")
	if l := idle.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	fresh := dialRaw(t, e.tls, true)

	app := dialRaw(t, e.addr, false)
	app.do("LOGIN lina secret-2004")
	msg := "From: a@example.org\r\nSubject: =?UTF-8?B?5YWz5LqO?=\r\n\r\n正在关机时上传的邮件。\r\n"
	app.send(fmt.Sprintf("a APPEND INBOX {%d}\r\n", len(msg)))
	if l := app.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("APPEND: %q", l)
	}
	app.send(msg[:20])
	// go-imap asks for the literal just before it calls Append: wait
	// until the APPEND runs, the moment the test is about.
	for deadline := time.Now().Add(10 * time.Second); !e.srv.anyChanging(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the APPEND never started")
		}
	}

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	for name, c := range map[string]*rawSession{"in IDLE": idle, "not logged in, TLS": fresh} {
		if l := c.line(); !strings.HasPrefix(l, "* BYE ") {
			t.Errorf("client %s got %q, want * BYE", name, l)
		}
	}
	time.Sleep(200 * time.Millisecond) // the shutdown waits for the APPEND
	app.send(msg[20:] + "\r\n")
	if l := app.line(); !strings.HasPrefix(l, "a OK") {
		t.Errorf("the APPEND in progress got %q, want its OK", l)
	}
	if l := app.line(); !strings.HasPrefix(l, "* BYE ") {
		t.Errorf("after the APPEND: %q, want * BYE", l)
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", e.addr, time.Second); err == nil {
		c.Close()
		t.Error("a connection was accepted after the shutdown")
	}
	msgs, err := e.st.Messages(context.Background(), "lina", "INBOX")
	if err != nil || len(msgs) != 1 {
		t.Errorf("lina's INBOX has %d messages (%v), want the one appended during the shutdown", len(msgs), err)
	}
}

// anyChanging tells whether a command that changes mail is running.
func (s *Server) anyChanging() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		if sess.busy.Load() > 0 {
			return true
		}
	}
	return false
}
