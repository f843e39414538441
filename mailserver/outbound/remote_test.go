package outbound

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// remote is a go-smtp server on 127.0.0.1:0 standing in for a remote MX or
// a smarthost.
type remote struct {
	addr string
	port int
	srv  *smtp.Server

	// Hooks, set before the first connection.
	rcpt     func(to string, n int) error // n counts RCPTs for this address, from 1
	data     func() error
	user     string // AUTH PLAIN required when set
	password string
	block    chan struct{} // when non-nil, RCPT waits for it to close

	mu       sync.Mutex
	got      []received
	rcptSeen map[string]int
}

// received is one message the remote accepted.
type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	utf8   bool
	body   smtp.BodyType
	authed bool
}

type remoteOpts struct {
	tls         bool // offer STARTTLS
	implicitTLS bool // TLS from the first byte
	smtputf8    bool
}

func startRemote(t *testing.T, o remoteOpts) *remote {
	t.Helper()
	r := &remote{rcptSeen: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &remoteSession{r: r, c: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.EnableSMTPUTF8 = o.smtputf8
	srv.ErrorLog = silentLogger{}
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls || o.implicitTLS {
		srv.TLSConfig = selfSignedTLS(t)
	}
	if o.implicitTLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	r.srv = srv
	r.addr = l.Addr().String()
	r.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() {
		r.unblock()
		srv.Close()
	})
	return r
}

func (r *remote) unblock() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.block != nil {
		select {
		case <-r.block:
		default:
			close(r.block)
		}
	}
}

func (r *remote) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}
func (silentLogger) Println(...any)        {}

type remoteSession struct {
	r      *remote
	c      *smtp.Conn
	cur    received
	authed bool
}

func (s *remoteSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *remoteSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if s.r.user == "" || user != s.r.user || password != s.r.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *remoteSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.r.user != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	_, isTLS := s.c.TLSConnectionState()
	s.cur = received{from: from, tls: isTLS, utf8: opts.UTF8, body: opts.Body, authed: s.authed}
	return nil
}

func (s *remoteSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	s.r.rcptSeen[to]++
	n := s.r.rcptSeen[to]
	block := s.r.block
	s.r.mu.Unlock()
	if block != nil {
		<-block
	}
	if s.r.rcpt != nil {
		if err := s.r.rcpt(to, n); err != nil {
			return err
		}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *remoteSession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if s.r.data != nil {
		if err := s.r.data(); err != nil {
			return err
		}
	}
	s.cur.data = b
	s.r.mu.Lock()
	s.r.got = append(s.r.got, s.cur)
	s.r.mu.Unlock()
	return nil
}

func (s *remoteSession) Reset()        { s.cur = received{} }
func (s *remoteSession) Logout() error { return nil }

func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		DNSNames:     []string{"mx.test", "localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// fakeResolver answers MX queries from a table and every address query
// with 127.0.0.1.
type fakeResolver struct {
	mx map[string][]*net.MX
}

func (f fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if strings.HasPrefix(host, "nx.") {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []string{"127.0.0.1"}, nil
}

// localBox is a LocalDeliverer that keeps what it gets.
type localBox struct {
	mu   sync.Mutex
	msgs []localMsg
	fail error // returned (once) when set
}

type localMsg struct {
	to  string
	raw []byte
}

func (b *localBox) DeliverLocal(_ context.Context, to string, raw []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		err := b.fail
		b.fail = nil
		return err
	}
	b.msgs = append(b.msgs, localMsg{to: to, raw: bytes.Clone(raw)})
	return nil
}

func (b *localBox) all() []localMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]localMsg(nil), b.msgs...)
}

// testOptions gives fast timings and quiet logs; mutate adjusts them.
func testOptions(t *testing.T) Options {
	o := DefaultOptions(t.TempDir())
	o.Hostname = "mail.nanhu.test"
	o.Schedule = []time.Duration{0, 20 * time.Millisecond}
	o.DialTimeout = 2 * time.Second
	o.CommandTimeout = 5 * time.Second
	o.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	level := slog.LevelWarn
	if os.Getenv("OUTBOUND_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	return o
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// runQueue opens a queue and runs it until the test ends.
func runQueue(t *testing.T, o Options) *Queue {
	t.Helper()
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		q.Close()
	})
	return q
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func queueLen(t *testing.T, q *Queue) int {
	t.Helper()
	n, err := q.Len(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
