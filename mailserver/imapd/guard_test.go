package imapd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/mailserver/store"
)

// try sends cmd and returns everything up to and including its tagged
// answer, whatever the answer is.
func (s *rawSession) try(cmd string) string {
	s.t.Helper()
	s.tag++
	tag := "w" + strconv.Itoa(s.tag)
	if _, err := io.WriteString(s.c, tag+" "+cmd+"\r\n"); err != nil {
		s.t.Fatal(err)
	}
	return s.until(tag)
}

// until reads up to the tagged answer of tag (literals and all).
func (s *rawSession) until(tag string) string {
	s.t.Helper()
	var out bytes.Buffer
	for {
		line, err := s.r.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			s.t.Fatalf("waiting for %s: %v (after %q)", tag, err, out.String())
		}
		if i := strings.LastIndexByte(line, '{'); i >= 0 && strings.HasSuffix(line, "}\r\n") {
			if n, err := strconv.Atoi(strings.TrimSuffix(line[i+1:len(line)-3], "+")); err == nil {
				if _, err := io.CopyN(&out, s.r, int64(n)); err != nil {
					s.t.Fatal(err)
				}
				continue
			}
		}
		if strings.HasPrefix(line, tag+" ") {
			return out.String()
		}
	}
}

// tagged is the tagged line of an answer from try.
func tagged(answer string) string {
	lines := strings.Split(strings.TrimSuffix(answer, "\r\n"), "\r\n")
	return lines[len(lines)-1]
}

// logBuffer collects a server's log for a test to read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newEnvLogged is newEnv with the server's log at Info and above in a
// buffer.
func newEnvLogged(t *testing.T) (*env, *logBuffer) {
	lb := &logBuffer{}
	return newEnvLog(t, nil, nil, slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelInfo}))), lb
}

func TestID(t *testing.T) {
	e, logs := newEnvLogged(t)
	// Before login, as phone apps send it, then after; the connection
	// stays up and the next command works.
	s := dialRaw(t, e.addr, false)
	for _, args := range []string{`("name" "Foxmail" "version" "7.2" "os" NIL)`, `NIL`} {
		got := s.try("ID " + args)
		if !strings.HasPrefix(got, "* ID (") || !strings.Contains(tagged(got), "OK") {
			t.Errorf("ID %s before login: %q", args, got)
		}
	}
	if got := s.try("CAPABILITY"); !strings.Contains(got, " ID ") {
		t.Errorf("CAPABILITY lacks ID: %q", got)
	}
	s.do("LOGIN lina secret-2004")
	if got := s.try(`ID ("name" "mbsync")`); !strings.HasPrefix(got, "* ID (\"name\" \"Nanhu\"") {
		t.Errorf("ID after login: %q", got)
	}
	if got := s.try(`ID ("name")`); !strings.Contains(tagged(got), " BAD [CLIENTBUG] ") {
		t.Errorf("ID with an odd list: %q, want BAD", got)
	}
	s.do("SELECT INBOX")
	if !strings.Contains(logs.String(), "client_name=Foxmail") {
		t.Errorf("the log does not name the client:\n%s", logs.String())
	}
}

func TestHugeLiteralBeforeLogin(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, lit := range []string{"{999999999}", "{999999999+}"} {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		r.ReadString('\n') // greeting
		io.WriteString(c, "a LOGIN "+lit+"\r\n")
		// The answer comes at once; the deadline is only there so that a
		// hang fails the test instead of stalling it (go-imap waited 30 s).
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		got, _ := io.ReadAll(r)
		if !strings.HasPrefix(string(got), "a BAD [TOOBIG]") || !strings.Contains(string(got), "* BYE") {
			t.Errorf("LOGIN %s: %q, want BAD [TOOBIG] and BYE", lit, got)
		}
	}
	// After login a large literal is the APPEND it announces.
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	s.do("APPEND INBOX {20000+}\r\nSubject: big\r\n\r\n" + strings.Repeat("x", 20000-17))
}

func TestClientMistakes(t *testing.T) {
	e, logs := newEnvLogged(t)
	e.deliver(t, "lina", 2)
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	s.do("SELECT INBOX")
	for _, c := range []struct{ cmd, want string }{
		{"CREATE 收件箱", "BAD [CLIENTBUG]"},
		{"SELECT 收件箱", "BAD [CLIENTBUG]"},
		{"FETCH 4294967296 FLAGS", "BAD [CLIENTBUG]"},
		{"FETCH 1:99999999999 FLAGS", "BAD [CLIENTBUG]"},
		{"UID FETCH 0:* FLAGS", "BAD [CLIENTBUG]"},
		{"UID STORE 0 +FLAGS (\\Seen)", "BAD [CLIENTBUG]"},
		{"COPY 0 Trash", "BAD [CLIENTBUG]"},
		{"SEARCH UID 4294967296", "BAD [CLIENTBUG]"},
		{"SEARCH " + strings.Repeat("(", 2000) + "ALL" + strings.Repeat(")", 2000), "BAD [CLIENTBUG]"},
		{`CREATE "&Jjo-&Jjo-"`, "NO [CANNOT]"},
		{`CREATE "a&AGE-b"`, "NO [CANNOT]"},
		{`CREATE "x&Jjo"`, "NO [CANNOT]"},
		{`RENAME Drafts "&Jjo-&Jjo-"`, "NO [CANNOT]"},
		{`LIST "" !#$&'+,-.0123456789:;<=>?@^_`, "OK"},
		{`LIST "" "&Jjo-&Jjo-*"`, "OK"},
		// Still fine: what a careful client sends.
		{`CREATE "&Jjo-"`, "OK"},
		{`CREATE "收件箱/2026"`, "OK"},
		{`CREATE "a&-b"`, "OK"},
		{`FETCH 1:4294967295 FLAGS`, "BAD [CLIENTBUG]"}, // beyond the 2 messages (RFC 9051 §9)
		{`UID FETCH 1:4294967295 FLAGS`, "OK"},
		{`SEARCH 1:2 UID 1:* SUBJECT "4294967296"`, "OK"},
		{"SEARCH " + strings.Repeat("(", 50) + "ALL" + strings.Repeat(")", 50), "OK"},
	} {
		got := s.try(c.cmd)
		line := tagged(got)
		if !strings.HasPrefix(line[strings.IndexByte(line, ' ')+1:], c.want) {
			t.Errorf("%.60s: %q, want %s", c.cmd, line, c.want)
		}
		if strings.Contains(got, "SERVERBUG") {
			t.Errorf("%.60s: %q", c.cmd, got)
		}
		if c.want == "OK" && strings.HasPrefix(c.cmd, "LIST") && strings.Contains(got, "* LIST") {
			t.Errorf("%s listed something: %q", c.cmd, got)
		}
	}
	// Each mistake is in the log at Info, with its reason.
	if n := strings.Count(logs.String(), `msg="imap client error"`); n < 13 {
		t.Errorf("%d client errors logged, want 13:\n%s", n, logs.String())
	}
	// A sequence of commands continues after the mistakes.
	s.do("NOOP")
}

func TestGuardSplitsLiterals(t *testing.T) {
	// Commands the guard would answer, hidden in literals, are data.
	e := newEnv(t, nil, nil)
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN {4+}\r\nlina {11+}\r\nsecret-2004")
	msg := "Subject: x\r\n\r\nw9 ID NIL\r\nz CREATE 收件\r\n"
	s.do("APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg)
	// A synchronizing literal: the guard waits for go-imap's "+".
	s.tag++
	io.WriteString(s.c, "w"+strconv.Itoa(s.tag)+" APPEND INBOX {"+strconv.Itoa(len(msg))+"}\r\n")
	if line, _ := s.r.ReadString('\n'); !strings.HasPrefix(line, "+") {
		t.Fatalf("no continuation: %q", line)
	}
	io.WriteString(s.c, msg+"\r\n")
	if got := s.until("w" + strconv.Itoa(s.tag)); !strings.Contains(tagged(got), "OK") {
		t.Fatalf("APPEND with a synchronizing literal: %q", got)
	}
	msgs, _ := e.st.Messages(context.Background(), "lina", "INBOX")
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	raw, _ := e.st.Content(context.Background(), msgs[1].ContentID, 0)
	if string(raw) != msg {
		t.Errorf("stored %q, want %q", raw, msg)
	}
	// A literal refused before it is sent: go-imap answers, the guard
	// follows, and the next command is seen as one.
	if got := s.try("CREATE {99999}"); !strings.Contains(got, "NO [TOOBIG]") {
		t.Errorf("CREATE with a long literal: %q", got)
	}
	if got := s.try("ID NIL"); !strings.HasPrefix(got, "* ID") {
		t.Errorf("ID after a refused literal: %q", got)
	}
}

func TestStartTLSGuard(t *testing.T) {
	st, err := store.Open(context.Background(), store.DefaultOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := New(Options{TLSConfig: selfSigned(t), Logger: slog.New(slog.DiscardHandler)}, fakeDir{}, st)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l, false)
	defer srv.Shutdown(context.Background())

	s := dialRaw(t, l.Addr().String(), false)
	caps := s.try("CAPABILITY")
	if !strings.Contains(caps, " STARTTLS") || !strings.Contains(caps, " LOGINDISABLED") || strings.Contains(caps, "AUTH=") {
		t.Errorf("CAPABILITY before TLS: %q", caps)
	}
	if got := s.try("LOGIN lina secret-2004"); !strings.Contains(got, "NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN without TLS: %q", got)
	}
	// Bytes sent with STARTTLS, before the handshake, are not commands.
	s.tag++
	io.WriteString(s.c, "w"+strconv.Itoa(s.tag)+" STARTTLS\r\nx LOGIN lina secret-2004\r\n")
	if line, _ := s.r.ReadString('\n'); !strings.Contains(line, "OK") {
		t.Fatalf("STARTTLS: %q", line)
	}
	tc := tls.Client(s.c, &tls.Config{InsecureSkipVerify: true}) // the test's own certificate
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	s.c, s.r = tc, bufio.NewReader(tc)
	caps = s.try("CAPABILITY")
	if strings.Contains(caps, "STARTTLS") || strings.Contains(caps, "LOGINDISABLED") || !strings.Contains(caps, "AUTH=PLAIN") || !strings.Contains(caps, " ID") {
		t.Errorf("CAPABILITY after TLS: %q", caps)
	}
	if got := s.try("STARTTLS"); !strings.Contains(tagged(got), "BAD") && !strings.Contains(tagged(got), "NO") {
		t.Errorf("a second STARTTLS: %q", got)
	}
	got := s.try("LOGIN lina secret-2004")
	if !strings.Contains(tagged(got), "OK") || strings.Contains(got, "LOGINDISABLED") {
		t.Errorf("LOGIN after STARTTLS: %q", got)
	}
	if got := s.try(`ID ("name" "x")`); !strings.HasPrefix(got, "* ID") {
		t.Errorf("ID after STARTTLS: %q", got)
	}
}
