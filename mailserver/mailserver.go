// Package mailserver is Nanhu's mail server, put together: the mail store
// (mail.db), the outbound queue (outbound.db) with its DKIM keys and
// delivery reports, SMTP (MX and submission), IMAP, the consumer of
// notification mail from the queue, and the mail part's metrics and
// pages (Routes). It is what `nanhu serve` starts; each piece is its own package
// below this one (store, outbound, smtpd, imapd, mailqueue), tested there.
//
// The mail server never imports the organisation: it asks for accounts
// through accounts.Directory, which the binary adapts from package oa.
package mailserver

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/clientconfig"
	"nanhu/mailserver/imapd"
	"nanhu/mailserver/mailauth"
	"nanhu/mailserver/mailqueue"
	"nanhu/mailserver/outbound"
	"nanhu/mailserver/pages"
	"nanhu/mailserver/smtpd"
	"nanhu/mailserver/store"
	"nanhu/queue"
)

// Options are every setting of the mail server. Start from DefaultOptions.
type Options struct {
	// DataDir is the data folder: mail.db, outbound.db and dkim/ live there.
	DataDir string
	// Hostname is this server's name: the greeting, Received headers, the
	// EHLO of outbound mail, the host clients are told to use.
	Hostname string
	// Domains are the local mail domains, the primary one first.
	Domains []string
	// Directory is the organisation's accounts (required).
	Directory accounts.Directory
	// TLS is the certificate of every listener (required for STARTTLS,
	// implicit TLS and AUTH).
	TLS *tls.Config
	// Limiter holds the per-IP and per-account limits shared with the
	// other listeners; nil makes one with the defaults.
	Limiter *ratelimit.Limiter

	// Listen holds the listener addresses; an empty one is not opened.
	Listen Listen

	// SMTP settings.
	MaxMessageBytes int64
	MaxRecipients   int
	ReadTimeout     time.Duration
	// InternalNetworks are the extranet's other mail systems: on the MX
	// they may send as local-domain addresses and are not checked.
	InternalNetworks []netip.Prefix
	// SendAs is who may send submitted mail as a shared mailbox, a list or
	// another address.
	SendAs accounts.SendAs
	// Resolver answers the SPF, DKIM and DMARC questions about arriving
	// mail; nil means net.DefaultResolver.
	Resolver mailauth.Resolver
	// IMAP settings.
	AppendLimit        uint32
	AllowPlainLoopback bool

	// Outbound configures delivery to other domains (from
	// outbound.DefaultOptions); Path, Hostname, DKIM, Local and Logger are
	// filled in by New.
	Outbound outbound.Options
	// DKIMSelector names the DKIM key, DataDir/dkim/<selector>.pem, made
	// on first start.
	DKIMSelector string

	// Queue, when set, brings notification mail (notify.mail) into the
	// users' INBOXes.
	Queue *queue.Queue
	// CaseAddresses are the citizens' case addresses (xinxiang@…): mail
	// to them goes to the queue (mail.case) for the portal, not into a
	// mailbox. Needs Queue.
	CaseAddresses []string
	// ShutdownGrace is how long Run lets SMTP transactions and IMAP
	// commands in progress finish once its context ends.
	ShutdownGrace time.Duration

	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Listen is the addresses of the mail listeners.
type Listen struct {
	SMTP        string // MX
	Submission  string // STARTTLS
	Submissions string // implicit TLS
	IMAP        string // STARTTLS
	IMAPS       string // implicit TLS
}

// DefaultOptions are the defaults for a mail server on data folder dataDir.
func DefaultOptions(dataDir string) Options {
	so := smtpd.DefaultOptions()
	return Options{
		DataDir:         dataDir,
		Hostname:        "mail.nanhu.local",
		Domains:         []string{"nanhu.local"},
		Listen:          Listen{SMTP: ":2525", Submission: ":2587", Submissions: ":2465", IMAP: ":1143", IMAPS: ":1993"},
		MaxMessageBytes: so.MaxMessageBytes,
		MaxRecipients:   so.MaxRecipients,
		ReadTimeout:     so.ReadTimeout,
		AppendLimit:     50 << 20,
		Outbound:        outbound.DefaultOptions(dataDir),
		DKIMSelector:    "nanhu",
		ShutdownGrace:   25 * time.Second,
	}
}

// Server is a running mail server.
type Server struct {
	opts     Options
	log      *slog.Logger
	store    *store.Store
	out      *outbound.Queue
	smtp     *smtpd.Server
	imap     *imapd.Server
	consumer *queue.Consumer

	listeners []listener
	addrs     map[string]net.Addr

	closeOnce sync.Once
}

type listener struct {
	name  string
	ln    net.Listener
	serve func(net.Listener) error
}

// New opens the mail store and the outbound queue, binds the listeners
// and starts taking notification mail from the queue; Run serves them.
func New(ctx context.Context, opts Options) (_ *Server, err error) {
	if opts.Directory == nil {
		return nil, errors.New("mailserver: Options.Directory is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Limiter == nil {
		opts.Limiter = ratelimit.New(ratelimit.Defaults(), nil)
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 25 * time.Second
	}
	if len(opts.Domains) == 0 {
		return nil, errors.New("mailserver: no local mail domain")
	}
	log := opts.Logger
	s := &Server{opts: opts, log: log, addrs: map[string]net.Addr{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	so := store.DefaultOptions(opts.DataDir)
	so.Logger = log.With("part", "store")
	if s.store, err = store.Open(ctx, so); err != nil {
		return nil, err
	}

	key, err := outbound.LoadOrCreateDKIMKey(filepath.Join(opts.DataDir, "dkim", opts.DKIMSelector+".pem"))
	if err != nil {
		return nil, err
	}
	oo := opts.Outbound
	if oo.Path == "" {
		oo.Path = outbound.DefaultOptions(opts.DataDir).Path
	}
	oo.Hostname = opts.Hostname
	oo.DKIM = nil
	for _, d := range opts.Domains {
		oo.DKIM = append(oo.DKIM, outbound.DKIMKey{Domain: d, Selector: opts.DKIMSelector, Signer: key})
	}
	oo.Local = reportDeliverer{dir: opts.Directory, store: s.store}
	oo.Logger = log.With("part", "outbound")
	if s.out, err = outbound.New(ctx, oo); err != nil {
		return nil, err
	}
	if opts.Registerer != nil {
		s.registerMetrics(opts.Registerer)
	}

	sm := smtpd.DefaultOptions()
	sm.Hostname = opts.Hostname
	sm.MaxMessageBytes, sm.MaxRecipients, sm.ReadTimeout = opts.MaxMessageBytes, opts.MaxRecipients, opts.ReadTimeout
	sm.TLSConfig = opts.TLS
	sm.Limiter = opts.Limiter
	sm.Logger = log.With("part", "smtp")
	sm.Registerer = opts.Registerer
	sm.InternalNetworks = opts.InternalNetworks
	sm.SendAs = opts.SendAs
	if len(opts.CaseAddresses) > 0 && opts.Queue != nil {
		sm.Cases = newCaseMail(opts.CaseAddresses, opts.Queue)
	}
	sm.Checker = mailauth.New(mailauth.Options{
		Hostname:     opts.Hostname,
		LocalDomains: opts.Domains,
		OwnKeys:      ownKeys(opts.Domains, opts.DKIMSelector, key),
		Resolver:     opts.Resolver,
		Logger:       log.With("part", "mailauth"),
	})
	s.smtp = smtpd.New(sm, opts.Directory, s.store, s.out)

	s.imap = imapd.New(imapd.Options{
		TLSConfig:          opts.TLS,
		AllowPlainLoopback: opts.AllowPlainLoopback,
		AppendLimit:        opts.AppendLimit,
		Limits:             opts.Limiter,
		Logger:             log.With("part", "imap"),
		Registerer:         opts.Registerer,
	}, opts.Directory, s.store)

	for _, l := range []struct {
		name, addr string
		serve      func(net.Listener) error
	}{
		{"smtp", opts.Listen.SMTP, s.smtp.ServeMX},
		{"submission", opts.Listen.Submission, func(l net.Listener) error { return s.smtp.ServeSubmission(l, false) }},
		{"submissions", opts.Listen.Submissions, func(l net.Listener) error { return s.smtp.ServeSubmission(l, true) }},
		{"imap", opts.Listen.IMAP, func(l net.Listener) error { return s.imap.Serve(l, false) }},
		{"imaps", opts.Listen.IMAPS, func(l net.Listener) error { return s.imap.Serve(l, true) }},
	} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return nil, fmt.Errorf("listen for %s on %s: %w", l.name, l.addr, err)
		}
		s.listeners = append(s.listeners, listener{l.name, ln, l.serve})
		s.addrs[l.name] = ln.Addr()
	}

	if opts.Queue != nil {
		if s.consumer, err = mailqueue.Consume(opts.Queue, opts.Directory, s.store, mailqueue.Options{
			Domain: opts.Domains[0], Out: s.out, Logger: log.With("part", "mailqueue"),
		}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Name is the part's name in logs and on the status page.
func (s *Server) Name() string { return "mail" }

// Run serves the listeners and runs the outbound queue until ctx ends;
// then it stops taking connections, lets SMTP transactions and IMAP
// commands in progress finish (idle clients are told: 421, BYE), and
// stops taking notification mail. It returns once all of that is done.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, l := range s.listeners {
		s.log.Info("listening", "listener", l.name, "addr", l.ln.Addr().String())
		wg.Go(func() {
			if err := l.serve(l.ln); err != nil {
				s.log.Error("listener stopped", "listener", l.name, "err", err)
			}
		})
	}
	outCtx, stopOut := context.WithCancel(context.Background())
	wg.Go(func() {
		if err := s.out.Run(outCtx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("outbound queue stopped", "err", err)
		}
	})
	<-ctx.Done()
	grace, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()
	var err error
	if e := s.smtp.Shutdown(grace); e != nil {
		err = fmt.Errorf("smtp shutdown: %w", e)
	}
	s.imap.Shutdown(grace)
	if s.consumer != nil {
		s.consumer.Stop()
	}
	stopOut()
	wg.Wait()
	return err
}

// Close closes the outbound queue and the mail store. Call it after Run
// has returned (or instead of Run).
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.consumer != nil {
			s.consumer.Stop()
		}
		for _, l := range s.listeners {
			l.ln.Close()
		}
		if s.out != nil {
			err = errors.Join(err, s.out.Close())
		}
		if s.store != nil {
			err = errors.Join(err, s.store.Close())
		}
	})
	return err
}

// Health reports whether the mail store answers.
func (s *Server) Health(ctx context.Context) error {
	if err := s.store.DB().PingContext(ctx); err != nil {
		return fmt.Errorf("mail store unavailable: %w", err)
	}
	return nil
}

// Routes registers the mail part's pages on the staff listener: each
// person's mail client settings, and the files with which clients set
// themselves up, telling the ports the listeners have. selfSigned says the
// certificate is the self-signed one (the page tells people to accept it).
func (s *Server) Routes(mux *http.ServeMux, kit *web.Kit, selfSigned bool) {
	port := func(name string) int {
		if a, ok := s.addrs[name].(*net.TCPAddr); ok {
			return a.Port
		}
		return 0
	}
	settings := clientconfig.Settings{Hostname: s.opts.Hostname, Domain: s.opts.Domains[0], DisplayName: "南湖邮件",
		IMAPS: port("imaps"), IMAP: port("imap"), Submissions: port("submissions"), Submission: port("submission")}
	pages.New(pages.Options{Kit: kit, Settings: settings, Domains: s.opts.Domains, SelfSigned: selfSigned,
		Logger: s.log.With("part", "mail")}).Routes(mux)
}

// Addrs are the bound listener addresses by name (smtp, submission,
// submissions, imap, imaps).
func (s *Server) Addrs() map[string]net.Addr { return s.addrs }

// Store is the mail store.
func (s *Server) Store() *store.Store { return s.store }

// Outbound is the queue of mail to other domains.
func (s *Server) Outbound() *outbound.Queue { return s.out }

// registerMetrics exports the store's and the outbound queue's counters.
func (s *Server) registerMetrics(reg prometheus.Registerer) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nanhu_mail_messages_delivered_total", Help: "Message copies delivered into local mailboxes.",
	}, func() float64 { return float64(s.store.DeliveredCount()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "nanhu_outbound_queue_length", Help: "Recipients waiting in the outbound queue.",
	}, func() float64 {
		n, _ := s.out.Len(context.Background())
		return float64(n)
	}))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nanhu_outbound_delivered_total", Help: "Recipients delivered to remote servers.",
	}, func() float64 { return float64(s.out.Stats().Delivered) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nanhu_outbound_bounced_total", Help: "Recipients that failed permanently (a failure DSN went to the sender).",
	}, func() float64 { return float64(s.out.Stats().Bounced) }))
}

// ownKeys are our DKIM keys as the checks of arriving mail know them: the
// key outbound mail is signed with, in every local domain.
func ownKeys(domains []string, selector string, key crypto.Signer) []mailauth.Key {
	rec := outbound.DKIMRecord(key)
	out := make([]mailauth.Key, 0, len(domains))
	for _, d := range domains {
		out = append(out, mailauth.Key{Domain: d, Selector: selector, Record: rec})
	}
	return out
}

// reportDeliverer puts the outbound queue's delivery reports (DSNs) into
// the local sender's INBOX.
type reportDeliverer struct {
	dir   accounts.Directory
	store *store.Store
}

func (l reportDeliverer) DeliverLocal(ctx context.Context, to string, raw []byte) error {
	logins, err := l.dir.Resolve(ctx, to)
	if err != nil {
		return fmt.Errorf("deliver report to %s: %w", to, err)
	}
	rcpts := make([]store.Recipient, 0, len(logins))
	for _, login := range logins {
		rcpts = append(rcpts, store.Recipient{Owner: login})
	}
	if len(rcpts) == 0 {
		return fmt.Errorf("deliver report to %s: no active account", to)
	}
	_, err = l.store.Deliver(ctx, store.Delivery{Recipients: rcpts, Raw: raw})
	return err
}
