package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"nanhu/hardware/modemsim"
	"nanhu/internal/certs"
	"nanhu/internal/datadir"
	"nanhu/internal/ratelimit"
	"nanhu/mailserver/imapd"
	"nanhu/mailserver/mailqueue"
	"nanhu/mailserver/outbound"
	"nanhu/mailserver/smtpd"
	"nanhu/mailserver/store"
	"nanhu/oa/notify"
	"nanhu/oa/org"
	"nanhu/queue"
	"nanhu/smsgateway"
)

func init() {
	register("serve", "run every part of Nanhu on one data folder", runServe)
}

func runServe(args []string) error {
	cfg, err := loadConfig(args)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, os.Stderr)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv, err := start(ctx, cfg, logger, os.Stdout)
	if err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return srv.shutdown(30 * time.Second)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// server is a running `nanhu serve`: every part and listener, so that
// shutdown can stop them in order.
type server struct {
	log      *slog.Logger
	lock     *datadir.Lock
	org      *org.Directory
	store    *store.Store
	out      *outbound.Queue
	smtp     *smtpd.Server
	imap     *imapd.Server
	http     *http.Server
	mux      *http.ServeMux
	queue    *queue.Queue
	sms      *smsgateway.Gateway
	notify   *notify.Notifier
	sim      *modemsim.Sim
	auth     httpAuth
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	addrs    map[string]net.Addr // listener name → bound address
	shutOnce sync.Once
}

// start opens the data folder and every part and starts the listeners. It
// writes what a newcomer must know (the admin's first password, the
// addresses) to out.
func start(ctx context.Context, cfg Config, logger *slog.Logger, out io.Writer) (_ *server, err error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("create the data folder %s: %w", cfg.Data, err)
	}
	s := &server{log: logger, addrs: map[string]net.Addr{}}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	if s.lock, err = datadir.TakeLock(cfg.Data); err != nil {
		return nil, err
	}

	// The organisation: accounts, departments, aliases and lists.
	if s.org, err = org.Open(ctx, org.DefaultOptions(cfg.Data)); err != nil {
		return nil, err
	}
	if err := s.org.SetDomains(ctx, cfg.localDomains()); err != nil {
		return nil, err
	}
	if cfg.Demo {
		if err := s.org.SeedDemo(ctx); err != nil {
			return nil, fmt.Errorf("seed the demo organisation: %w", err)
		}
		logger.Info("demo organisation seeded (see README for the logins)")
	} else {
		pw, created, err := s.org.EnsureAdmin(ctx)
		if err != nil {
			return nil, err
		}
		if created {
			fmt.Fprintf(out, "\nCreated the administrator account.\n  login:    admin\n  password: %s\nThis password is shown only once; change it with `nanhu user passwd admin --password-stdin`.\n\n", pw)
		}
	}

	// The mail store and the outbound queue.
	if s.store, err = store.Open(ctx, store.Options{Path: filepath.Join(cfg.Data, "mail.db"), Logger: logger.With("part", "store")}); err != nil {
		return nil, err
	}
	dir := mailDirectory{org: s.org}
	key, err := outbound.LoadOrCreateDKIMKey(filepath.Join(cfg.Data, "dkim", cfg.Out.DKIMSelector+".pem"))
	if err != nil {
		return nil, err
	}
	tlsLoaded, err := certs.Load(certs.Options{CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key, DataDir: cfg.Data,
		Names: append([]string{cfg.Hostname}, cfg.localDomains()...)})
	if err != nil {
		return nil, err
	}
	tlsConfig := tlsLoaded.Config
	logger.Info(tlsLoaded.Note())
	for _, w := range cfg.warnings {
		logger.Warn("config: " + w)
	}
	oo := outbound.DefaultOptions(cfg.Data)
	oo.Hostname = cfg.Hostname
	oo.Smarthost = cfg.Out.Smarthost
	oo.SmarthostUser, oo.SmarthostPassword, oo.SmarthostTLS = cfg.Out.SmarthostUser, cfg.Out.SmarthostPassword, cfg.Out.SmarthostTLS
	oo.Port = cfg.Out.Port
	if len(cfg.Out.RetrySchedule) > 0 {
		oo.Schedule = nil
		for _, d := range cfg.Out.RetrySchedule {
			oo.Schedule = append(oo.Schedule, d.Duration)
		}
	}
	oo.DelayNotice, oo.MaxAge, oo.Workers = cfg.Out.DelayNotice.Duration, cfg.Out.MaxAge.Duration, cfg.Out.Workers
	for _, d := range cfg.localDomains() {
		oo.DKIM = append(oo.DKIM, outbound.DKIMKey{Domain: d, Selector: cfg.Out.DKIMSelector, Signer: key})
	}
	oo.Local = localDeliverer{dir: dir, store: s.store}
	oo.Logger = logger.With("part", "outbound")
	if s.out, err = outbound.New(ctx, oo); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.out.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("outbound queue stopped", "err", err)
		}
	}()

	// Metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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

	// SMTP.
	lo, err := cfg.limits()
	if err != nil {
		return nil, err
	}
	so := smtpd.DefaultOptions()
	so.Hostname = cfg.Hostname
	so.MaxMessageBytes = cfg.SMTP.MaxMessageBytes
	so.MaxRecipients = cfg.SMTP.MaxRecipients
	so.ReadTimeout = cfg.SMTP.ReadTimeout.Duration
	so.TLSConfig = tlsConfig
	lim := ratelimit.New(lo, nil)
	so.Limiter = lim
	so.Logger = logger.With("part", "smtp")
	so.Registerer = reg
	s.smtp = smtpd.New(so, dir, s.store, s.out)

	// IMAP.
	s.imap = imapd.New(imapd.Options{
		TLSConfig:          tlsConfig,
		AllowPlainLoopback: cfg.IMAP.AllowPlainLoopback,
		AppendLimit:        cfg.IMAP.AppendLimit,
		Limits:             lim,
		Logger:             logger.With("part", "imap"),
		Registerer:         reg,
	}, imapDirectory{dir}, s.store)

	listeners := []struct {
		name, addr string
		serve      func(net.Listener) error
	}{
		{"smtp", cfg.Listen.SMTP, s.smtp.ServeMX},
		{"submission", cfg.Listen.Submission, func(l net.Listener) error { return s.smtp.ServeSubmission(l, false) }},
		{"submissions", cfg.Listen.Submissions, func(l net.Listener) error { return s.smtp.ServeSubmission(l, true) }},
		{"imap", cfg.Listen.IMAP, func(l net.Listener) error { return s.imap.Serve(l, false) }},
		{"imaps", cfg.Listen.IMAPS, func(l net.Listener) error { return s.imap.Serve(l, true) }},
	}
	for _, l := range listeners {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return nil, fmt.Errorf("listen for %s on %s: %w", l.name, l.addr, err)
		}
		s.addrs[l.name] = ln.Addr()
		logger.Info("listening", "listener", l.name, "addr", ln.Addr().String())
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := l.serve(ln); err != nil {
				logger.Error("listener stopped", "listener", l.name, "err", err)
			}
		}()
	}

	// HTTP and HTTPS: health and metrics, and the parts' pages and APIs.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.store.DB().PingContext(r.Context()); err != nil {
			http.Error(w, "mail store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.auth = httpAuth{org: s.org, limits: lim, log: logger.With("part", "http"), cache: newCredCache()}
	s.mux = mux
	// Every user's own notification preferences (channels, quiet hours).
	mux.Handle("/api/v1/notifications/prefs", s.auth.require(prefsHandler(s.org)))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	for _, l := range []struct {
		name, addr string
		tls        bool
	}{{"http", cfg.Listen.HTTP, false}, {"https", cfg.Listen.HTTPS, true}} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return nil, fmt.Errorf("listen for %s on %s: %w", l.name, l.addr, err)
		}
		s.addrs[l.name] = ln.Addr()
		logger.Info("listening", "listener", l.name, "addr", ln.Addr().String())
		if l.tls {
			ln = tls.NewListener(ln, tlsConfig)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("http stopped", "listener", l.name, "err", err)
			}
		}()
	}
	// The queue, and the mail server's consumer of notify.mail.
	qo := queue.DefaultOptions(cfg.Data)
	qo.TCPAddress, qo.HTTPAddress = cfg.Queue.NSQDTCP, cfg.Queue.NSQDHTTP
	qo.NSQDAddrs, qo.LookupdAddrs = cfg.Queue.NSQD, cfg.Queue.NSQLookupd
	if w := cfg.Queue.RepublishWindow.Duration; w > 0 {
		qo.RepublishWindow = w
	}
	qo.Logger = logger.With("part", "queue")
	qo.Registerer = reg
	if s.queue, err = queue.New(ctx, qo); err != nil {
		return nil, err
	}
	if s.queue.Embedded() {
		logger.Info("embedded nsqd", "tcp", s.queue.TCPAddr(), "http", s.queue.HTTPAddr())
	}
	if _, err := mailqueue.Consume(s.queue, dir, s.store, mailqueue.Options{Domain: cfg.Domain, Logger: logger.With("part", "mailqueue")}); err != nil {
		return nil, err
	}

	if err := s.startSMS(ctx, cfg, logger, reg); err != nil {
		return nil, err
	}
	if err := s.startNotify(ctx, cfg, logger); err != nil {
		return nil, err
	}

	names := make([]string, 0, len(s.addrs))
	for n, a := range s.addrs {
		names = append(names, n+"="+a.String())
	}
	logger.Info("nanhu is running", "data", cfg.Data, "domain", cfg.Domain, "hostname", cfg.Hostname, "listeners", strings.Join(names, " "))
	return s, nil
}

// shutdown stops the listeners, lets SMTP transactions in progress finish
// (idle clients get 421), stops the outbound workers and closes the
// databases.
func (s *server) shutdown(grace time.Duration) error {
	var err error
	s.shutOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if s.smtp != nil {
			if e := s.smtp.Shutdown(ctx); e != nil {
				err = errors.Join(err, fmt.Errorf("smtp shutdown: %w", e))
			}
		}
		if s.imap != nil {
			s.imap.Shutdown(ctx)
		}
		if s.http != nil {
			s.http.Shutdown(ctx)
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		s.closeAll()
		s.log.Info("stopped")
	})
	return err
}

func (s *server) closeAll() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.queue != nil {
		// First: consumers finish the events in hand while every part
		// they deliver to is still open.
		s.queue.Close()
	}
	if s.out != nil {
		s.out.Close()
	}
	if s.notify != nil {
		s.notify.Close()
	}
	if s.sms != nil {
		s.sms.Close()
	}
	if s.sim != nil {
		s.sim.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.org != nil {
		s.org.Close()
	}
	if s.lock != nil {
		s.lock.Close()
	}
}
