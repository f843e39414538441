// Package smtpd is the SMTP half of Nanhu's mail server, on
// github.com/emersion/go-smtp: the MX listener that takes mail for the local
// domains from anyone, and the submission listeners (STARTTLS and implicit
// TLS) where authenticated staff send mail anywhere.
//
// The server answers 250 to DATA only after every local copy is committed to
// the mail store and every remote copy to the outbound queue, both of which
// fsync before they return. It never relays for an unauthenticated client,
// refuses unknown local recipients at RCPT, enforces the senders an account
// may use, and limits connections, messages and failed logins per client
// address (loopback and the configured internal networks exempt) and failed
// logins per account.
//
// No forged senders (senders.go): on the MX, a local-domain address as the
// envelope sender or in From is refused unless the client is one of the
// internal networks or the message carries our own DKIM signature; mail
// from elsewhere is checked for SPF, DKIM and DMARC (package mailauth),
// refused when its domain's DMARC policy says reject and filed in Junk
// when it says quarantine. On submission, every From address must be the
// account's own, or one it may send as (Options.SendAs); sending as
// another adds a Sender header that names the person. Addresses with
// control characters are refused at MAIL and RCPT.
package smtpd

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"nanhu/internal/ratelimit"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/mailauth"
	"nanhu/mailserver/store"
)

// Directory is the organisation's accounts (package accounts).
type Directory = accounts.Directory

// Mailstore is where local mail goes.
type Mailstore interface {
	Deliver(ctx context.Context, d store.Delivery) ([]store.Delivered, error)
	Usage(ctx context.Context, owner string) (bytes, messages int64, err error)
	// EnsureStandard makes owner's INBOX, Junk and the rest, so that
	// mail DMARC quarantines has its Junk to go to.
	EnsureStandard(ctx context.Context, owner string) error
}

// Outbound is the queue of mail for remote domains.
type Outbound interface {
	Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) (int64, error)
}

// Options configure the SMTP server.
type Options struct {
	Hostname        string        // our name in the greeting and Received headers
	MaxMessageBytes int64         // SIZE; default 50 MiB
	MaxRecipients   int           // per message; default 1000
	ReadTimeout     time.Duration // default 5 minutes
	WriteTimeout    time.Duration // default 1 minute
	TLSConfig       *tls.Config   // for STARTTLS and implicit TLS; nil disables both
	Limits          ratelimit.Options
	Limiter         *ratelimit.Limiter // shared with other listeners; nil means one made from Limits
	Logger          *slog.Logger
	Registerer      prometheus.Registerer // metrics; nil means none are registered
	Now             func() time.Time

	// Checker checks mail arriving on the MX from other systems (SPF,
	// DKIM, DMARC) and writes its Authentication-Results; nil checks
	// nothing, and only our own DKIM signature could then excuse a local
	// sender (none is recognised).
	Checker *mailauth.Checker
	// InternalNetworks are the other mail systems of the extranet: on the
	// MX they may use local-domain senders, and their mail is not checked.
	// Loopback is not in it unless listed.
	InternalNetworks []netip.Prefix
	// SendAs is who may send submitted mail as a shared mailbox, a list or
	// another address besides their own.
	SendAs accounts.SendAs
	// Cases, when set, takes mail to the citizens' case addresses
	// (xinxiang@…): such mail is handed off, not delivered to a mailbox.
	Cases Cases
}

// Cases takes mail to the case addresses. HandOff must have made the
// message durable (on the queue) when it returns nil: the 250 follows.
type Cases interface {
	IsCaseAddress(addr string) bool
	HandOff(ctx context.Context, from, rcpt string, raw []byte) error
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		Hostname:        "localhost",
		MaxMessageBytes: 50 << 20,
		MaxRecipients:   1000,
		ReadTimeout:     5 * time.Minute,
		WriteTimeout:    time.Minute,
		Limits:          ratelimit.Defaults(),
		Now:             time.Now,
	}
}

// Server is the SMTP server. One Server serves any number of listeners.
type Server struct {
	opts    Options
	log     *slog.Logger
	dir     Directory
	store   Mailstore
	out     Outbound
	limits  *ratelimit.Limiter
	metrics *metrics
	ctx     context.Context
	cancel  context.CancelFunc

	draining atomic.Bool
	mu       sync.Mutex
	servers  []*smtp.Server
	conns    map[*trackedConn]struct{}
}

// New returns a server that delivers local mail into st and queues remote
// mail on out (nil refuses remote recipients).
func New(opts Options, dir Directory, st Mailstore, out Outbound) *Server {
	d := DefaultOptions()
	if opts.Hostname == "" {
		opts.Hostname = d.Hostname
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = d.MaxMessageBytes
	}
	if opts.MaxRecipients == 0 {
		opts.MaxRecipients = d.MaxRecipients
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = d.ReadTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = d.WriteTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lim := opts.Limiter
	if lim == nil {
		lim = ratelimit.New(opts.Limits, opts.Now)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opts:    opts,
		log:     opts.Logger,
		dir:     dir,
		store:   st,
		out:     out,
		limits:  lim,
		metrics: newMetrics(opts.Registerer),
		ctx:     ctx,
		cancel:  cancel,
		conns:   map[*trackedConn]struct{}{},
	}
}

// MaxLineLength is the longest command or message line accepted.
const MaxLineLength = 64 << 10

type mode int

const (
	modeMX mode = iota
	modeSubmission
)

// ServeMX serves the MX protocol (mail for local domains, no AUTH) on l
// until Shutdown. STARTTLS is offered when TLS is configured.
func (s *Server) ServeMX(l net.Listener) error {
	return s.serve(l, modeMX, "smtp")
}

// ServeSubmission serves message submission on l: AUTH is required before
// MAIL. With implicitTLS the listener's connections are TLS from the first
// byte (port 465 style); otherwise STARTTLS is offered and AUTH is allowed
// only after it.
func (s *Server) ServeSubmission(l net.Listener, implicitTLS bool) error {
	name := "submission"
	if implicitTLS {
		if s.opts.TLSConfig == nil {
			return fmt.Errorf("implicit TLS on %s needs a TLS certificate", l.Addr())
		}
		name = "submissions"
	}
	tl := &limitListener{Listener: l, srv: s, listener: name}
	if implicitTLS {
		tl.tls = s.opts.TLSConfig
	}
	return s.serveListener(tl, modeSubmission, name)
}

func (s *Server) serve(l net.Listener, m mode, name string) error {
	return s.serveListener(&limitListener{Listener: l, srv: s, listener: name}, m, name)
}

func (s *Server) serveListener(l net.Listener, m mode, name string) error {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return s.newSession(c, m, name)
	}))
	srv.Domain = s.opts.Hostname
	srv.MaxMessageBytes = s.opts.MaxMessageBytes
	srv.MaxRecipients = s.opts.MaxRecipients
	// RFC 5321 allows 1000 octets, but real 8-bit mail (HTML from webmail,
	// long Chinese paragraphs) goes well beyond; refuse only the absurd.
	srv.MaxLineLength = MaxLineLength
	srv.ReadTimeout = s.opts.ReadTimeout
	srv.WriteTimeout = s.opts.WriteTimeout
	srv.TLSConfig = s.opts.TLSConfig
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogPrinter{s.log.With("listener", name)}
	s.mu.Lock()
	if s.draining.Load() {
		s.mu.Unlock()
		l.Close()
		return smtp.ErrServerClosed
	}
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, net.ErrClosed) || errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, lets transactions in progress
// finish, answers 421 to every idle client, and returns when every
// connection is closed or ctx ends (then the rest are cut).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining.Store(true)
	servers := s.servers
	s.mu.Unlock()
	for _, srv := range servers {
		go srv.Shutdown(ctx) // closes the listeners; connections are handled below
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		for c := range s.conns {
			if !c.inTx.Load() {
				go c.bye()
			}
		}
		s.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-tick.C:
			continue
		case <-ctx.Done():
			for _, srv := range servers {
				srv.Close()
			}
			s.cancel()
			return ctx.Err()
		}
	}
	s.cancel()
	return nil
}

// trackedConn is a client connection the server knows about, for the
// per-IP limits and for a graceful shutdown.
type trackedConn struct {
	net.Conn
	srv    *Server
	ip     netip.Addr
	inTx   atomic.Bool
	closed sync.Once
	// out is the connection the client's SMTP runs on: this one, or the
	// TLS connection over it; nil while STARTTLS changes it.
	out    atomic.Pointer[net.Conn]
	byeing sync.Once
}

func (c *trackedConn) setOut(out net.Conn) {
	if out == nil {
		c.out.Store(nil)
		return
	}
	c.out.Store(&out)
}

// bye tells an idle client that the server is going down (RFC 5321
// §3.8: 421, then close) and closes the connection; the session's
// blocked read then ends. A client in the middle of STARTTLS is cut.
func (c *trackedConn) bye() {
	c.byeing.Do(func() {
		if out := c.out.Load(); out != nil {
			(*out).SetWriteDeadline(time.Now().Add(2 * time.Second))
			(*out).Write([]byte("421 4.3.2 Service shutting down, try again later\r\n"))
		}
		c.Conn.Close()
	})
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() {
		c.srv.limits.Disconnect(c.ip)
		c.srv.metrics.open.Dec()
		c.srv.mu.Lock()
		delete(c.srv.conns, c)
		c.srv.mu.Unlock()
	})
	return err
}

// limitListener applies the connection limits at accept time, before the
// greeting, and answers 421 to a refused client.
type limitListener struct {
	net.Listener
	srv      *Server
	listener string
	tls      *tls.Config // implicit TLS (port 465): connections are TLS servers
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if l.srv.draining.Load() {
			c.Write([]byte("421 4.3.2 Service shutting down, try again later\r\n"))
			c.Close()
			continue
		}
		if why := l.srv.limits.Connect(ip); why != "" {
			l.srv.metrics.refused.WithLabelValues(l.listener, "connection-limit").Inc()
			l.srv.log.Warn("smtp connection refused", "remote", ip, "reason", why, "listener", l.listener)
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte("421 4.7.0 " + upperFirst(why) + ", try again later\r\n"))
			c.Close()
			continue
		}
		l.srv.metrics.connections.WithLabelValues(l.listener).Inc()
		l.srv.metrics.open.Inc()
		tc := &trackedConn{Conn: c, srv: l.srv, ip: ip}
		if l.tls == nil {
			tc.setOut(tc)
			return l.track(tc), nil
		}
		tlsConn := tls.Server(tc, l.tls)
		tc.setOut(tlsConn)
		l.track(tc)
		return tlsConn, nil
	}
}

// track registers a connection for the shutdown.
func (l *limitListener) track(tc *trackedConn) *trackedConn {
	l.srv.mu.Lock()
	l.srv.conns[tc] = struct{}{}
	l.srv.mu.Unlock()
	return tc
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// trackedOf finds our connection under go-smtp's (which may be TLS).
func trackedOf(c net.Conn) *trackedConn {
	for i := 0; i < 3; i++ {
		switch v := c.(type) {
		case *trackedConn:
			return v
		case *tls.Conn:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// slogPrinter lets go-smtp's error log go to slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) { p.l.Debug(fmt.Sprintf(format, v...)) }
func (p slogPrinter) Println(v ...any)               { p.l.Debug(fmt.Sprint(v...)) }
