// Package imapd is the IMAP half of Nanhu's mail server, on
// github.com/emersion/go-imap/v2's imapserver, backed by the mail store:
// IMAP4rev1 and IMAP4rev2 with IDLE, MOVE, UIDPLUS, SPECIAL-USE, NAMESPACE,
// LIST-EXTENDED, LIST-STATUS, ESEARCH, STATUS=SIZE, UNSELECT, LITERAL+,
// APPENDLIMIT, ID and QUOTA, on a STARTTLS listener and an implicit-TLS
// one.
//
// go-imap owns the wire, but a guard stands in front of its parser
// (guard.go): it does STARTTLS, answers ID and the QUOTA commands, which
// go-imap does not know, and answers the client mistakes go-imap would
// call server bugs. IMAP4rev1's \Recent is kept per mailbox in the store
// and given to the first session that hears of a message.
//
// Each session keeps its own view of the selected mailbox (the UIDs in
// sequence order and their flags) and brings it up to date from the store's
// mod-sequences: new messages, flag changes and expunges made by SMTP
// delivery or by other sessions are announced at the next command, and
// within a second during IDLE (the store wakes idle sessions at once).
// Every name a client gives is resolved in its own account, so no UID or
// mailbox name reaches another user's mail.
package imapd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/prometheus/client_golang/prometheus"

	"nanhu/internal/ratelimit"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

// Directory is the organisation's accounts (package accounts).
type Directory = accounts.Directory

// Options configure the IMAP server.
type Options struct {
	TLSConfig *tls.Config
	// AllowPlainLoopback lets clients on loopback log in without TLS (for
	// local tools); everyone else must use TLS.
	AllowPlainLoopback bool
	AppendLimit        uint32 // the largest APPEND; default 50 MiB
	Limits             *ratelimit.Limiter
	Logger             *slog.Logger
	Registerer         prometheus.Registerer
	// PollInterval bounds how long an IDLE session waits before it checks
	// the store even without a wake-up; default 30 s.
	PollInterval time.Duration
}

// Server is the IMAP server.
type Server struct {
	opts    Options
	log     *slog.Logger
	dir     Directory
	store   *store.Store
	limits  *ratelimit.Limiter
	metrics *metrics
	ctx     context.Context
	cancel  context.CancelFunc

	envelopes *envelopeCache
	slowFetch bool   // tests: write every FETCH through go-imap's encoder
	fetchGap  func() // tests: runs in FETCH between listing the messages and reading one

	recentMu sync.Mutex
	recentHi map[int64]uint32 // per mailbox, the highest UID a session has claimed as recent

	snapMu sync.Mutex
	snaps  map[int64]*snapshot // the latest snapshot of each mailbox, shared by views

	mu        sync.Mutex
	servers   []*imapserver.Server
	listeners []net.Listener
	sessions  map[*session]struct{} // open connections, for the shutdown
	draining  bool
}

// New returns an IMAP server over st.
func New(opts Options, dir Directory, st *store.Store) *Server {
	if opts.AppendLimit == 0 {
		opts.AppendLimit = 50 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Limits == nil {
		opts.Limits = ratelimit.New(ratelimit.Defaults(), nil)
	}
	if opts.PollInterval == 0 {
		// The store wakes idle sessions on every change it makes; the
		// timer is only a backstop, kept long so that ten thousand idle
		// clients cost no queries.
		opts.PollInterval = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{opts: opts, log: opts.Logger, dir: dir, store: st, limits: opts.Limits,
		metrics: newMetrics(opts.Registerer), ctx: ctx, cancel: cancel, envelopes: newEnvelopeCache(100000), snaps: map[int64]*snapshot{}, recentHi: map[int64]uint32{},
		sessions: map[*session]struct{}{}}
}

// Capabilities is what the server announces beyond IMAP4rev1/IMAP4rev2.
var Capabilities = imap.CapSet{
	imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {},
	imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapSearchRes: {},
	imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapMove: {}, imap.CapStatusSize: {},
	imap.CapBinary: {}, imap.CapChildren: {}, imap.CapSpecialUse: {}, imap.CapCreateSpecialUse: {},
	imap.CapLiteralPlus: {}, imap.CapUnselect: {}, imap.CapIdle: {}, imap.CapAppendLimit: {},
	imap.CapUTF8Accept: {},
}

// Serve serves IMAP on l; with implicitTLS its connections are TLS from the
// first byte, otherwise STARTTLS is offered.
func (s *Server) Serve(l net.Listener, implicitTLS bool) error {
	name := "imap"
	guard := guardListener{log: s.log.With("listener", name)}
	l = corkListener{l}
	if implicitTLS {
		if s.opts.TLSConfig == nil {
			return fmt.Errorf("implicit TLS on %s needs a TLS certificate", l.Addr())
		}
		name = "imaps"
		guard.log = s.log.With("listener", name)
		l = tls.NewListener(l, s.opts.TLSConfig)
		guard.isTLS = true
	} else {
		guard.starttls = s.opts.TLSConfig // the guard does STARTTLS
	}
	if s.opts.AllowPlainLoopback && !implicitTLS {
		if ap, err := netip.ParseAddrPort(l.Addr().String()); err == nil && ap.Addr().IsLoopback() {
			guard.plainOK = true
		}
	}
	guard.Listener = l
	opts := &imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return s.newSession(c, name), nil, nil
		},
		Caps:   Capabilities,
		Logger: printfLogger{s.log.With("listener", name)},
		// The guard does TLS and says when a login needs it; the
		// session refuses a login without it (session.Login).
		InsecureAuth: true,
	}
	srv := imapserver.New(opts)
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.servers = append(s.servers, srv)
	s.listeners = append(s.listeners, guard)
	s.mu.Unlock()
	err := srv.Serve(guard)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown closes the listeners, tells every client "* BYE" (RFC 3501
// §7.1.5) and closes its connection: at once when it waits (IDLE
// included), after the command when one that changes mail is running
// (its answer is not lost, so a client does not repeat an APPEND). When
// ctx ends first, the rest are cut. Every command commits before it
// answers: a close loses nothing that was acknowledged.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	servers, listeners := s.servers, s.listeners
	s.mu.Unlock()
	var err error
	for _, l := range listeners {
		if e := l.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = errors.Join(err, e)
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := len(s.sessions)
		for sess := range s.sessions {
			if sess.busy.Load() == 0 {
				sess.bye()
			}
		}
		s.mu.Unlock()
		if n == 0 || ctx.Err() != nil {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	for _, srv := range servers {
		if e := srv.Close(); e != nil && !strings.Contains(e.Error(), "closed") {
			err = errors.Join(err, e)
		}
	}
	s.cancel()
	return err
}

type printfLogger struct{ l *slog.Logger }

// Printf logs what go-imap reports. A command it failed ("handling …
// command: …") is what an operator must see: it answers NO [SERVERBUG]
// then, and the cause is only here. Read errors (clients hanging up,
// timeouts) are routine.
func (p printfLogger) Printf(format string, args ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	switch {
	case strings.HasPrefix(msg, "handling "), strings.HasPrefix(msg, "panic "):
		p.l.Warn("imap command failed in go-imap; the client was told NO [SERVERBUG]", "cause", msg)
	default:
		p.l.Debug(msg)
	}
}

type metrics struct {
	logins       *prometheus.CounterVec
	authFailures prometheus.Counter
	sessions     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_imap_logins_total", Help: "IMAP logins, by result.",
		}, []string{"result"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nanhu_imap_auth_failures_total", Help: "Failed IMAP logins.",
		}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nanhu_imap_sessions_open", Help: "IMAP connections open now.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.authFailures, m.sessions)
	}
	return m
}
