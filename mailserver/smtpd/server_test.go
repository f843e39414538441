package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"nanhu/internal/ratelimit"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

// fakeDir is a small in-memory directory: zhangwei and lina, a list, a
// disabled account.
type fakeDir struct{}

var people = map[string]struct {
	password, address string
	disabled          bool
	quota             int64
}{
	"zhangwei": {"secret", "zhangwei@nanhu.local", false, 0},
	"lina":     {"secret", "lina@nanhu.local", false, 0},
	"old":      {"secret", "old@nanhu.local", true, 0},
	"full":     {"secret", "full@nanhu.local", false, 10},
}

func (fakeDir) Authenticate(ctx context.Context, u, p string) (string, error) {
	u = strings.TrimSuffix(strings.ToLower(u), "@nanhu.local")
	a, ok := people[u]
	if !ok || a.password != p {
		return "", accounts.ErrBadCredentials
	}
	if a.disabled {
		return "", accounts.ErrDisabled
	}
	return u, nil
}

func (fakeDir) Resolve(ctx context.Context, addr string) ([]string, error) {
	local := strings.ToLower(strings.TrimSuffix(strings.ToLower(addr), "@nanhu.local"))
	if local == "bgs" {
		return []string{"lina", "zhangwei"}, nil
	}
	if a, ok := people[local]; ok && !a.disabled {
		return []string{local}, nil
	}
	return nil, accounts.ErrUnknownRecipient
}

// Mail for a shared mailbox is resolved to its owner like any address;
// its members may send as it (lina is one of 区政府办公室's).
func (fakeDir) SharedMailboxes(_ context.Context, login string) ([]accounts.Shared, error) {
	if login == "lina" {
		return []accounts.Shared{{Owner: "#bgs", Name: "区政府办公室", Address: "bangongshi@nanhu.local"}}, nil
	}
	return nil, nil
}

func (fakeDir) DisplayName(_ context.Context, login string) (string, error) {
	return map[string]string{"lina": "李娜", "zhangwei": "张伟"}[login], nil
}

func (fakeDir) ListMembers(_ context.Context, addr string) ([]string, error) {
	if strings.EqualFold(addr, "bgs@nanhu.local") {
		return []string{"lina", "zhangwei"}, nil
	}
	return nil, accounts.ErrUnknownRecipient
}

func (fakeDir) SenderAddresses(ctx context.Context, login string) ([]string, error) {
	return []string{people[login].address}, nil
}

func (fakeDir) IsLocalDomain(ctx context.Context, d string) bool { return d == "nanhu.local" }

func (fakeDir) Quota(ctx context.Context, login string) (int64, error) {
	return people[login].quota, nil
}

type fakeOut struct {
	mu   sync.Mutex
	msgs []string
}

func (o *fakeOut) Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, from+" -> "+strings.Join(rcpts, ","))
	return int64(len(o.msgs)), nil
}

func selfSigned(t testing.TB) *tls.Config {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

type env struct {
	srv           *Server
	st            *store.Store
	out           *fakeOut
	mx, sub, subs string
	clientTLS     *tls.Config
}

func newEnv(t testing.TB, mutate func(*Options)) *env {
	t.Helper()
	st, err := store.Open(context.Background(), store.DefaultOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Hostname = "mail.nanhu.local"
	opts.TLSConfig = selfSigned(t)
	opts.MaxMessageBytes = 1 << 20
	opts.Logger = slog.New(slog.DiscardHandler)
	if mutate != nil {
		mutate(&opts)
	}
	e := &env{st: st, out: &fakeOut{}, clientTLS: &tls.Config{InsecureSkipVerify: true}}
	e.srv = New(opts, fakeDir{}, st, e.out)
	listen := func(serve func(net.Listener) error) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go serve(l)
		return l.Addr().String()
	}
	e.mx = listen(e.srv.ServeMX)
	e.sub = listen(func(l net.Listener) error { return e.srv.ServeSubmission(l, false) })
	e.subs = listen(func(l net.Listener) error { return e.srv.ServeSubmission(l, true) })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		st.Close()
	})
	return e
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	if err == nil {
		return 250
	}
	return -1
}

func TestMXRecipients(t *testing.T) {
	e := newEnv(t, nil)
	c, err := smtp.Dial(e.mx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("MX offers AUTH before TLS")
	}
	for _, ext := range []string{"SIZE", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("MX does not offer %s", ext)
		}
	}
	if err := c.Mail("someone@example.org", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rcpt string
		code int
		enh  string
	}{
		{"lina@nanhu.local", 250, ""},
		{"LINA@NANHU.LOCAL", 250, ""},
		{"nobody@nanhu.local", 550, "5.1.1"},
		{"old@nanhu.local", 550, "5.1.1"},
		{"friend@example.com", 554, "5.7.1"},
		{"bgs@nanhu.local", 250, ""},
	}
	for _, tt := range tests {
		err := c.Rcpt(tt.rcpt, nil)
		if code(err) != tt.code {
			t.Errorf("RCPT %s: %v, want %d", tt.rcpt, err, tt.code)
		}
		var se *smtp.SMTPError
		if tt.enh != "" && errors.As(err, &se) && se.EnhancedCode != parseEnh(tt.enh) {
			t.Errorf("RCPT %s: enhanced code %v, want %s", tt.rcpt, se.EnhancedCode, tt.enh)
		}
	}
	body := "Subject: test\r\nMessage-ID: <mx1@example.org>\r\n\r\n你好\r\n"
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(body))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"lina", "zhangwei"} {
		msgs, err := e.st.Messages(context.Background(), who, "INBOX")
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s INBOX: %d messages, %v", who, len(msgs), err)
		}
		raw, _ := e.st.Raw(context.Background(), who, "INBOX", msgs[0].UID)
		if !bytes.HasPrefix(raw, []byte("Received: from client.example ([127.0.0.1])\r\n\tby mail.nanhu.local (Nanhu) with ESMTP id ")) {
			t.Errorf("no Received header first: %q", raw[:80])
		}
		if !bytes.HasSuffix(raw, []byte(body)) {
			t.Errorf("message not stored byte for byte behind the Received header: %q", raw)
		}
	}
}

func parseEnh(s string) smtp.EnhancedCode {
	var e smtp.EnhancedCode
	for i, p := range strings.Split(s, ".") {
		e[i] = int(p[0] - '0')
	}
	return e
}

func dialSubmission(t *testing.T, e *env) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(e.sub, e.clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSubmission(t *testing.T) {
	e := newEnv(t, nil)

	// Plain text: no AUTH offered, MAIL needs AUTH.
	c, err := smtp.Dial(e.sub)
	if err != nil {
		t.Fatal(err)
	}
	c.Hello("x")
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("submission offers AUTH before STARTTLS")
	}
	if err := c.Auth(sasl.NewPlainClient("", "lina", "secret")); err == nil {
		t.Error("AUTH accepted without TLS")
	}
	if err := c.Mail("lina@nanhu.local", nil); code(err) != 530 {
		t.Errorf("MAIL without AUTH: %v, want 530", err)
	}
	c.Close()

	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			c := dialSubmission(t, e)
			var client sasl.Client
			if mech == "PLAIN" {
				client = sasl.NewPlainClient("", "lina@nanhu.local", "secret")
			} else {
				client = sasl.NewLoginClient("lina", "secret")
			}
			if err := c.Auth(client); err != nil {
				t.Fatalf("AUTH %s: %v", mech, err)
			}
			if err := c.Mail("zhangwei@nanhu.local", nil); code(err) != 553 {
				t.Errorf("MAIL FROM another's address: %v, want 553", err)
			}
			if err := c.Mail("lina@nanhu.local", nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Rcpt("friend@example.com", nil); err != nil {
				t.Errorf("authenticated RCPT to a remote domain: %v", err)
			}
			if err := c.Rcpt("zhangwei@nanhu.local", nil); err != nil {
				t.Fatal(err)
			}
			w, _ := c.Data()
			w.Write([]byte("Subject: hi\r\n\r\nhello\r\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(e.out.msgs) != 2 || e.out.msgs[0] != "lina@nanhu.local -> friend@example.com" {
		t.Errorf("outbound queue got %q", e.out.msgs)
	}
	raw, err := e.st.Raw(context.Background(), "zhangwei", "INBOX", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("with ESMTPSA")) {
		t.Errorf("Received header does not say ESMTPSA: %q", raw)
	}
}

func TestImplicitTLS(t *testing.T) {
	e := newEnv(t, nil)
	c, err := smtp.DialTLS(e.subs, e.clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("zhangwei", "secret")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("zhangwei@nanhu.local", []string{"lina@nanhu.local"}, strings.NewReader("Subject: tls\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
}

func TestAuthLockout(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Limits = ratelimit.Defaults()
		o.Limits.Exempt = []netip.Prefix{} // 127.0.0.1 counts as any client here
		o.Limits.AuthFailuresPerUser = 3
		o.Limits.AuthFailuresPerIP = 100
	})
	for i := 0; i < 3; i++ {
		c := dialSubmission(t, e)
		if err := c.Auth(sasl.NewPlainClient("", "lina", "wrong")); code(err) != 535 {
			t.Fatalf("attempt %d: %v, want 535", i, err)
		}
	}
	c := dialSubmission(t, e)
	err := c.Auth(sasl.NewPlainClient("", "lina", "secret"))
	if code(err) != 454 || !strings.Contains(err.Error(), "Too many failed logins") {
		t.Errorf("the right password during a lockout: %v, want 454 Too many failed logins", err)
	}
	// Another account is not locked.
	c = dialSubmission(t, e)
	if err := c.Auth(sasl.NewPlainClient("", "zhangwei", "secret")); err != nil {
		t.Errorf("other account: %v", err)
	}
	// A disabled account is refused.
	c = dialSubmission(t, e)
	if err := c.Auth(sasl.NewPlainClient("", "old", "secret")); code(err) != 535 {
		t.Errorf("disabled account: %v, want 535", err)
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, nil)
	send := func() error {
		c, err := smtp.Dial(e.mx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.SendMail("a@example.org", []string{"full@nanhu.local"}, strings.NewReader("Subject: q\r\n\r\nfills the 10-byte quota\r\n"))
	}
	if err := send(); err != nil {
		t.Fatalf("first message under quota: %v", err)
	}
	err := send()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 452 || se.EnhancedCode != (smtp.EnhancedCode{4, 2, 2}) {
		t.Errorf("message to a full mailbox: %v, want 452 4.2.2", err)
	}
}

func TestConnectionAndMessageLimits(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Limits = ratelimit.Defaults()
		o.Limits.Exempt = []netip.Prefix{}
		o.Limits.ConcurrentPerIP = 2
		o.Limits.MessagesPerMinute = 3
	})
	var open []*smtp.Client
	for i := 0; i < 2; i++ {
		c, err := smtp.Dial(e.mx)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	conn, err := net.Dial("tcp", e.mx)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 200)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "421 4.7.0 Too many concurrent connections") {
		t.Errorf("third concurrent connection greeted with %q", buf[:n])
	}
	conn.Close()
	c := open[0]
	c.Hello("x")
	for i := 0; i < 4; i++ {
		err := c.Mail("a@example.org", nil)
		if i < 3 && err != nil {
			t.Fatalf("message %d refused: %v", i, err)
		}
		if i == 3 && code(err) != 451 {
			t.Errorf("fourth message in a minute: %v, want 451", err)
		}
		c.Reset()
	}
	for _, c := range open {
		c.Close()
	}
}

func TestSizeAndBadInput(t *testing.T) {
	e := newEnv(t, nil)
	c, err := smtp.Dial(e.mx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("x")
	if err := c.Mail("a@example.org", &smtp.MailOptions{Size: 2 << 20}); code(err) != 552 {
		t.Errorf("declared size over the limit: %v, want 552", err)
	}
	c.Mail("a@example.org", nil)
	c.Rcpt("lina@nanhu.local", nil)
	w, _ := c.Data()
	w.Write(bytes.Repeat([]byte("0123456789abcde\r\n"), 70000))
	if err := w.Close(); code(err) != 552 {
		t.Errorf("message over the limit: %v, want 552", err)
	}

	// Raw garbage: NUL bytes, an over-long line, unknown commands.
	conn, err := net.Dial("tcp", e.mx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte("EHLO x\r\nMAIL FROM:<a\x00b@example.org>\r\nFOO\r\n" + strings.Repeat("A", MaxLineLength+10) + "\r\n"))
	all := make([]byte, 0, 4096)
	buf := make([]byte, 4096)
	var readErr error
	for {
		n, err := conn.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			readErr = err
			break
		}
	}
	// The server answers 500 and closes. When it closes with the rest of
	// the long line still unread, the kernel resets the connection and
	// the client may lose that last answer: a reset is a clean close too.
	if !strings.Contains(string(all), "500 5.4.0 Too long line") && !errors.Is(readErr, syscall.ECONNRESET) {
		t.Errorf("over-long line not refused cleanly: %q (%v)", all, readErr)
	}
	if !strings.Contains(string(all), "501 5.5.2") {
		t.Errorf("unknown command not answered: %q", all)
	}
	// The server still works.
	c2, err := smtp.Dial(e.mx)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

func TestShutdownFinishesTransaction(t *testing.T) {
	e := newEnv(t, nil)
	busy, err := smtp.Dial(e.mx)
	if err != nil {
		t.Fatal(err)
	}
	busy.Hello("busy")
	busy.Mail("a@example.org", nil)
	busy.Rcpt("lina@nanhu.local", nil)
	idle, err := net.Dial("tcp", e.mx)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 512)
	idle.Read(r) // greeting
	// Idle clients over TLS: after STARTTLS, and on the implicit-TLS port.
	starttls, err := net.Dial("tcp", e.mx)
	if err != nil {
		t.Fatal(err)
	}
	tr := bufio.NewReader(starttls)
	for _, step := range []string{"", "EHLO c\r\n", "STARTTLS\r\n"} {
		if step != "" {
			starttls.Write([]byte(step))
		}
		for {
			line, err := tr.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if len(line) < 4 || line[3] != '-' {
				break
			}
		}
	}
	overTLS := tls.Client(starttls, e.clientTLS)
	overTLS.Write([]byte("EHLO c\r\n"))
	tlsR := bufio.NewReader(overTLS)
	for {
		line, err := tlsR.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line[3] != '-' {
			break
		}
	}
	implicit, err := tls.Dial("tcp", e.subs, e.clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	implicitR := bufio.NewReader(implicit)
	implicitR.ReadString('\n') // greeting
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	// The idle client is told 421.
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := idle.Read(r)
	const bye = "421 4.3.2 Service shutting down, try again later\r\n"
	if string(r[:n]) != bye {
		t.Errorf("idle client got %q, want %q", r[:n], bye)
	}
	for name, c := range map[string]*bufio.Reader{"after STARTTLS": tlsR, "implicit TLS": implicitR} {
		line, err := c.ReadString('\n')
		if line != bye {
			t.Errorf("idle client %s got %q (%v), want %q", name, line, err, bye)
		}
	}
	// The transaction in progress completes.
	w, err := busy.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: during shutdown\r\n\r\nx\r\n"))
	if err := w.Close(); err != nil {
		t.Errorf("transaction in progress refused during shutdown: %v", err)
	}
	busy.Close()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	msgs, _ := e.st.Messages(context.Background(), "lina", "INBOX")
	if len(msgs) != 1 {
		t.Errorf("lina has %d messages, want the one sent during shutdown", len(msgs))
	}
}
