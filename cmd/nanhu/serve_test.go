package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"nanhu/mailserver/mailauth"
	"nanhu/oa/org"
)

// requireTool skips a test whose outside client is missing on a developer's
// machine; in CI (.ci/run installs them) a missing one is a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run must install it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// testServer runs `nanhu serve` in-process on loopback ports chosen by the
// kernel, with two users.
type testServer struct {
	*server
	cfg  Config
	data string
}

func startTestServer(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := defaultConfig()
	cfg.Data = t.TempDir()
	cfg.Listen = ListenConfig{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", Submissions: "127.0.0.1:0", IMAP: "127.0.0.1:0", IMAPS: "127.0.0.1:0", HTTP: "127.0.0.1:0", HTTPS: "127.0.0.1:0"}
	cfg.Portal.Listen, cfg.Portal.ListenTLS = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Queue.NSQDTCP, cfg.Queue.NSQDHTTP = "127.0.0.1:0", "127.0.0.1:0"
	// DNS answers nothing, as on an offline network: the tests do not
	// depend on what the internet publishes for example.org.
	cfg.resolver = mailauth.Static{}
	// The tests fill mailboxes through the MX as local users from
	// 127.0.0.1, as the extranet's other mail systems would; 127.0.0.2
	// stays an outsider (TestForgedSenders).
	cfg.SMTP.TrustedNetworks = []string{"127.0.0.1/32"}
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := start(context.Background(), cfg, logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shutdown() })
	ctx := context.Background()
	for _, u := range []org.NewUser{
		{Login: "zhangwei", Name: "张伟", Password: "Secret-2004", Mobile: "+8613800000001"},
		{Login: "lina", Name: "李娜", Password: "Secret-2004"},
	} {
		if _, err := s.org.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return &testServer{server: s, cfg: cfg, data: cfg.Data}
}

func (ts *testServer) addr(name string) string { return ts.addrs[name].String() }

// inbox returns the messages in login's INBOX, decoded enough to check.
func (ts *testServer) inbox(t *testing.T, login string) [][]byte {
	t.Helper()
	ctx := context.Background()
	msgs, err := ts.store.Messages(ctx, login, "INBOX")
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, m := range msgs {
		raw, err := ts.store.Raw(ctx, login, "INBOX", m.UID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

func subjectOf(t *testing.T, raw []byte) string {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read stored message: %v", err)
	}
	s, _ := mr.Header.Subject()
	return s
}

func TestSwaks(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ts := startTestServer(t, nil)
	host := func(name string) []string {
		h, p, _ := net.SplitHostPort(ts.addr(name))
		return []string{"--server", h, "--port", p}
	}
	gb, _ := simplifiedchinese.GBK.NewEncoder().String("各单位：请于十一月底前报送电子政务建设材料。\r\n")
	gbFile := filepath.Join(t.TempDir(), "gb2312.eml")
	gbMessage := "From: zhangwei@nanhu.local\r\nTo: lina@nanhu.local\r\nSubject: =?GB2312?B?" +
		b64(mustGBK("关于电子政务的通知")) + "?=\r\nMessage-ID: <gb2312@test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + gb
	os.WriteFile(gbFile, []byte(gbMessage), 0o600)

	tests := []struct {
		name    string
		args    []string
		ok      bool
		expect  string // in swaks' output
		subject string // arrives in lina's INBOX with this subject
	}{
		{"submission STARTTLS AUTH PLAIN", append(host("submission"), "--tls", "--auth", "PLAIN", "--auth-user", "zhangwei", "--auth-password", "Secret-2004",
			"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local", "--header", "Subject: plain-auth"), true, "235 2.0.0", "plain-auth"},
		{"submission STARTTLS AUTH LOGIN by address", append(host("submission"), "--tls", "--auth", "LOGIN", "--auth-user", "zhangwei@nanhu.local", "--auth-password", "Secret-2004",
			"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local", "--header", "Subject: login-auth"), true, "235 2.0.0", "login-auth"},
		{"submissions implicit TLS", append(host("submissions"), "--tlsc", "--auth", "LOGIN", "--auth-user", "zhangwei", "--auth-password", "Secret-2004",
			"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local", "--header", "Subject: implicit-tls"), true, "250 2.0.0", "implicit-tls"},
		{"MX with pipelining", append(host("smtp"), "--pipeline", "--from", "citizen@example.org", "--to", "lina@nanhu.local", "--header", "Subject: pipelined"), true, "250 2.0.0", "pipelined"},
		{"MX GB2312 message", append(host("smtp"), "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local", "--data", gbFile), true, "250 2.0.0", "关于电子政务的通知"},
		{"wrong password", append(host("submission"), "--tls", "--auth", "PLAIN", "--auth-user", "zhangwei", "--auth-password", "wrong",
			"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local"), false, "535 5.7.8", ""},
		{"AUTH without TLS", append(host("submission"), "--auth", "PLAIN", "--auth-user", "zhangwei", "--auth-password", "Secret-2004",
			"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local"), false, "", ""},
		{"sender of another account", append(host("submission"), "--tls", "--auth", "PLAIN", "--auth-user", "zhangwei", "--auth-password", "Secret-2004",
			"--from", "lina@nanhu.local", "--to", "lina@nanhu.local"), false, "553 5.7.1", ""},
		{"open relay refused", append(host("smtp"), "--from", "spam@example.org", "--to", "victim@example.com"), false, "554 5.7.1", ""},
		{"unknown recipient", append(host("smtp"), "--from", "a@example.org", "--to", "nobody@nanhu.local"), false, "550 5.1.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(swaks, append(tt.args, "--tls-verify", "--tls-ca-path", filepath.Join(ts.data, "tls", "cert.pem"), "--tls-sni", "localhost")...).CombinedOutput()
			if tt.name == "AUTH without TLS" {
				// swaks refuses to try: the server does not offer AUTH.
				if err == nil {
					t.Fatalf("AUTH without TLS succeeded:\n%s", out)
				}
				return
			}
			if (err == nil) != tt.ok {
				t.Fatalf("swaks ok=%v, want %v:\n%s", err == nil, tt.ok, out)
			}
			if !strings.Contains(string(out), tt.expect) {
				t.Errorf("swaks output lacks %q:\n%s", tt.expect, out)
			}
			if tt.subject != "" {
				found := false
				for _, raw := range ts.inbox(t, "lina") {
					if subjectOf(t, raw) == tt.subject {
						found = true
					}
				}
				if !found {
					t.Errorf("no message with subject %q in lina's INBOX", tt.subject)
				}
			}
		})
	}
	// The GB2312 message is stored byte for byte behind the Received header.
	for _, raw := range ts.inbox(t, "lina") {
		if bytes.Contains(raw, []byte("<gb2312@test>")) {
			i := bytes.Index(raw, []byte("From: zhangwei"))
			// (swaks ends the data with one more CRLF of its own)
			if i < 0 || !strings.HasPrefix(string(raw), "Received: ") || strings.TrimRight(string(raw[i:]), "\r\n") != strings.TrimRight(gbMessage, "\r\n") {
				t.Errorf("GB2312 message not stored byte for byte:\n%q", raw)
			}
			// and the index finds it by a decoded word
			uids, err := ts.store.Search(context.Background(), "lina", "INBOX", "报送")
			if err != nil || len(uids) != 1 {
				t.Errorf("search for 报送 in the GB2312 body: %v %v", uids, err)
			}
		}
	}
}

func mustGBK(s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPythonSmtplib(t *testing.T) {
	py := requireTool(t, "python3")
	ts := startTestServer(t, nil)
	_, sub, _ := net.SplitHostPort(ts.addr("submission"))
	_, subs, _ := net.SplitHostPort(ts.addr("submissions"))
	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
ctx = ssl.create_default_context(cafile=sys.argv[3])
ctx.check_hostname = False
def msg(subject):
    m = EmailMessage()
    m["From"] = "张伟 <zhangwei@nanhu.local>"
    m["To"] = "李娜 <lina@nanhu.local>"
    m["Subject"] = subject
    m.set_content("秀洲区电子政务：请查收会议纪要。")
    return m
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.starttls(context=ctx)
    s.login("zhangwei", "Secret-2004")
    s.send_message(msg("smtplib-starttls 会议纪要"))
with smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[2]), context=ctx) as s:
    s.ehlo()
    assert "auth" in s.esmtp_features and "LOGIN" in s.esmtp_features["auth"], s.esmtp_features
    s.user, s.password = "zhangwei", "Secret-2004"
    code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    assert code == 235, code
    s.send_message(msg("smtplib-ssl 会议纪要"))
try:
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
        s.starttls(context=ctx)
        s.login("zhangwei", "bad")
    sys.exit("bad password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
print("ok")
`
	out, err := exec.Command(py, "-c", script, sub, subs, filepath.Join(ts.data, "tls", "cert.pem")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	var got []string
	for _, raw := range ts.inbox(t, "lina") {
		got = append(got, subjectOf(t, raw))
	}
	if strings.Join(got, "|") != "smtplib-starttls 会议纪要|smtplib-ssl 会议纪要" {
		t.Errorf("lina's INBOX subjects: %q", got)
	}
	uids, _ := ts.store.Search(context.Background(), "lina", "INBOX", "会议纪要")
	if len(uids) != 2 {
		t.Errorf("search 会议纪要: %v", uids)
	}
}

func TestCurl(t *testing.T) {
	curl := requireTool(t, "curl")
	ts := startTestServer(t, nil)
	msg := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(msg, []byte("From: zhangwei@nanhu.local\r\nTo: lina@nanhu.local\r\nSubject: curl\r\n\r\n通知\r\n"), 0o600)
	ca := filepath.Join(ts.data, "tls", "cert.pem")
	for _, url := range []string{"smtp://localhost:" + port(ts.addr("submission")), "smtps://localhost:" + port(ts.addr("submissions"))} {
		args := []string{"-sS", "--cacert", ca, "--resolve", "localhost:" + port(url[strings.LastIndex(url, ":"):]) + ":127.0.0.1",
			"--url", url, "--user", "zhangwei:Secret-2004", "--mail-from", "zhangwei@nanhu.local", "--mail-rcpt", "lina@nanhu.local", "-T", msg}
		if strings.HasPrefix(url, "smtp:") {
			args = append(args, "--ssl-reqd")
		}
		if out, err := exec.Command(curl, args...).CombinedOutput(); err != nil {
			t.Fatalf("curl %s: %v\n%s", url, err, out)
		}
	}
	if n := len(ts.inbox(t, "lina")); n != 2 {
		t.Errorf("lina has %d messages, want 2", n)
	}
	// Plain-text AUTH is refused.
	out, err := exec.Command(curl, "-sS", "--url", "smtp://127.0.0.1:"+port(ts.addr("submission")), "--user", "zhangwei:Secret-2004",
		"--mail-from", "zhangwei@nanhu.local", "--mail-rcpt", "lina@nanhu.local", "-T", msg).CombinedOutput()
	if err == nil {
		t.Errorf("curl without TLS sent mail:\n%s", out)
	}
}

func port(hostport string) string {
	hostport = strings.TrimPrefix(hostport, ":")
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[i+1:]
	}
	return hostport
}

// remoteMX is a go-smtp server on loopback that stands in for another
// domain's mail server: it accepts mail, except that it answers 550 for
// "bounce@" and 451 for the first two tries of "slow@".
type remoteMX struct {
	mu       sync.Mutex
	got      map[string][]byte
	slowSeen int
}

func (r *remoteMX) NewSession(*smtp.Conn) (smtp.Session, error) { return &remoteSession{r: r}, nil }

type remoteSession struct {
	r     *remoteMX
	rcpts []string
}

func (s *remoteSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *remoteSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	switch {
	case strings.HasPrefix(to, "bounce@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "slow@"):
		s.r.slowSeen++
		if s.r.slowSeen <= 2 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *remoteSession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, rc := range s.rcpts {
		s.r.got[rc] = b
	}
	return nil
}
func (s *remoteSession) Reset()        {}
func (s *remoteSession) Logout() error { return nil }

func TestOutboundThroughSmarthost(t *testing.T) {
	remote := &remoteMX{got: map[string][]byte{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := smtp.NewServer(remote)
	rs.Domain = "mx.remote.example"
	go rs.Serve(l)
	defer rs.Close()
	ts := startTestServer(t, func(c *Config) {
		c.Out.Smarthost = l.Addr().String()
		c.Out.SmarthostTLS = "none"
		c.Out.RetrySchedule = []Duration{{0}, {200 * time.Millisecond}}
	})
	c, err := smtp.DialStartTLS(ts.addr("submission"), &tlsInsecure)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(saslPlain("zhangwei", "Secret-2004")); err != nil {
		t.Fatal(err)
	}
	body := "From: zhangwei@nanhu.local\r\nTo: friend@remote.example\r\nSubject: outbound\r\nMessage-ID: <out1@nanhu.local>\r\n\r\n秀洲区\r\n"
	if err := c.SendMail("zhangwei@nanhu.local", []string{"friend@remote.example", "bounce@remote.example", "slow@remote.example"}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		remote.mu.Lock()
		n := len(remote.got)
		remote.mu.Unlock()
		if n == 2 && len(ts.inbox(t, "zhangwei")) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	remote.mu.Lock()
	defer remote.mu.Unlock()
	for _, rc := range []string{"friend@remote.example", "slow@remote.example"} {
		got := remote.got[rc]
		if got == nil {
			t.Fatalf("%s never received the message (remote has %d)", rc, len(remote.got))
		}
		if !bytes.Contains(got, []byte("DKIM-Signature:")) || !bytes.Contains(got, []byte("d=nanhu.local")) {
			t.Errorf("mail to %s is not DKIM-signed for nanhu.local", rc)
		}
	}
	if remote.slowSeen < 3 {
		t.Errorf("the 451 recipient was tried %d times, want a retry after the 4xx", remote.slowSeen)
	}
	inbox := ts.inbox(t, "zhangwei")
	if len(inbox) != 1 {
		t.Fatalf("sender has %d messages, want one failure DSN", len(inbox))
	}
	dsn := string(inbox[0])
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "Final-Recipient: rfc822;bounce@remote.example", "Status: 5.1.1", "Action: failed"} {
		if !strings.Contains(strings.ReplaceAll(dsn, "; ", ";"), strings.ReplaceAll(want, "; ", ";")) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn)
		}
	}
	if strings.Contains(dsn, "Final-Recipient: rfc822;friend@") {
		t.Errorf("DSN names a delivered recipient:\n%s", dsn)
	}
	_ = fmt.Sprint()
}
