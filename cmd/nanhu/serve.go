package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"nanhu/hardware/modemsim"
	"nanhu/internal/certs"
	"nanhu/internal/daemon"
	"nanhu/internal/datadir"
	"nanhu/internal/logring"
	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/internal/web/session"
	"nanhu/mailserver"
	"nanhu/mailserver/store"
	"nanhu/oa"
	"nanhu/oa/notifyqueue"
	"nanhu/oa/org"
	"nanhu/portal"
	"nanhu/portal/site"
	"nanhu/queue"
	"nanhu/smsgateway"
	smspages "nanhu/smsgateway/pages"
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
	done, cancel := endWithGoRun(ctx, logger)
	defer cancel()
	srv, err := start(ctx, cfg, logger, os.Stdout)
	if err != nil {
		return err
	}
	<-done.Done()
	stop() // a second signal kills at once
	logger.Info("shutting down")
	return srv.shutdown()
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

// server is a running `nanhu serve`: its parts in the daemon that starts
// and stops them, and handles on them for the tests.
type server struct {
	log    *slog.Logger
	lock   *datadir.Lock
	d      *daemon.Daemon
	ring   *logring.Ring
	oa     *oa.OA
	portal *portal.Portal
	org    *org.Directory
	mail   *mailserver.Server
	store  *store.Store
	queue  *queue.Queue
	sms    *smsgateway.Gateway
	sim    *modemsim.Sim
	kit    *web.Kit
	web    http.Handler        // the staff listener's whole handler
	addrs  map[string]net.Addr // listener name → bound address
}

// start opens the data folder and every part, binds every listener, wires
// the pages, and starts it all. It writes what a newcomer must know (the
// administrator's first password) to out.
func start(ctx context.Context, cfg Config, logger *slog.Logger, out io.Writer) (_ *server, err error) {
	ring := logring.New(100)
	logger = slog.New(logring.Handler(logger.Handler(), ring, slog.LevelWarn))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &server{log: logger, ring: ring, addrs: map[string]net.Addr{},
		d: daemon.New(daemon.Options{Logger: logger, Gatherer: reg})}
	defer func() {
		if err != nil {
			s.d.Stop()
			s.lock.Close()
		}
	}()
	if s.lock, err = datadir.TakeLock(cfg.Data); err != nil {
		return nil, err
	}
	for _, w := range cfg.warnings {
		logger.Warn("config: " + w)
	}
	tlsLoaded, err := certs.Load(certs.Options{CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key, DataDir: cfg.Data,
		Names: []string{cfg.Hostname}, Domains: cfg.localDomains()})
	if err != nil {
		return nil, err
	}
	logger.Info(tlsLoaded.Note())
	lo, err := cfg.limits()
	if err != nil {
		return nil, err
	}

	// The queue first: every part publishes to it, so it stops last.
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
	s.d.Add(daemon.Func{PartName: "queue", CloseFunc: s.queue.Close})
	if s.queue.Embedded() {
		logger.Info("embedded nsqd", "tcp", s.queue.TCPAddr(), "http", s.queue.HTTPAddr())
	}

	// OA: the organisation and notification routing.
	if s.oa, err = startOA(ctx, cfg, s.queue, logger, reg); err != nil {
		return nil, err
	}
	s.d.Add(s.oa)
	s.org = s.oa.Org()
	// The login locks shared by every listener: the owner of a locked
	// account hears of it through the queue, and an unlock or a new
	// password written by `nanhu user` lifts them.
	authLog := logger.With("part", "auth")
	alerts := notifyqueue.NewLockAlerts(s.queue, s.org, authLog)
	s.d.Add(daemon.Func{PartName: "lock alerts", CloseFunc: func() error { alerts.Wait(); return nil }})
	lo.Logger, lo.OnLock = authLog, alerts.Lock
	lo.Released = func(user string) time.Time {
		t, err := s.org.UnlockedAt(context.Background(), user)
		if err != nil {
			authLog.Warn("cannot read when the account was unlocked", "user", user, "err", err)
		}
		return t
	}
	limiter := ratelimit.New(lo, nil)
	reg.MustRegister(limiter)
	if pw, ok := s.oa.FirstAdminPassword(); ok {
		fmt.Fprintf(out, "\nCreated the administrator account.\n  login:    admin\n  password: %s\nThis password is shown only once; change it with `nanhu user passwd admin --password-stdin`.\n\n", pw)
	}

	// The mail server.
	if s.mail, err = startMail(ctx, cfg, s.org, s.queue, tlsLoaded, limiter, logger, reg); err != nil {
		return nil, err
	}
	s.d.Add(s.mail)
	s.store = s.mail.Store()
	for n, a := range s.mail.Addrs() {
		s.addrs[n] = a
	}

	// The SMS gateway, on the modems or a simulated one.
	if cfg.runsSMSGateway() {
		gw, err := startGateway(ctx, gatewaySetup{data: cfg.Data, modems: cfg.modems(), q: s.queue, logger: logger, reg: reg,
			simLink: filepath.Join(cfg.Data, "sim", "modem0"),
			adjust: func(o *smsgateway.Options) {
				o.StatusReports = cfg.SMS.StatusReports
				if cfg.SMS.Validity.Duration > 0 {
					o.DefaultValidity = cfg.SMS.Validity.Duration
				}
			}})
		if err != nil {
			return nil, err
		}
		for _, p := range gw.parts {
			s.d.Add(p)
		}
		s.sms, s.sim = gw.g, gw.sim
	} else {
		logger.Info("this server sends no SMS itself: the nanhu smsgw hosts on the NSQ cluster send notify.sms", "sms.gateway", cfg.SMS.Gateway)
	}

	// The staff web: sessions, the kit, every part's pages.
	sessions, err := session.Open(ctx, session.Options{Path: filepath.Join(cfg.Data, "web.db"),
		Idle: cfg.Web.SessionIdle.Duration, Max: cfg.Web.SessionMax.Duration})
	if err != nil {
		return nil, err
	}
	s.d.Add(daemon.Func{PartName: "web", RunFunc: func(ctx context.Context) error { return sweepSessions(ctx, sessions, logger) },
		CloseFunc: sessions.Close})
	httpSrv, err := daemon.NewHTTPServer("http", []daemon.HTTPListener{
		{Name: "http", Addr: cfg.Listen.HTTP},
		{Name: "https", Addr: cfg.Listen.HTTPS, TLS: tlsLoaded.Config},
	}, logger.With("part", "http"))
	if err != nil {
		return nil, err
	}
	for n, a := range httpSrv.Addrs() {
		s.addrs[n] = a
	}
	httpsPort := 0
	if a, ok := s.addrs["https"].(*net.TCPAddr); ok {
		httpsPort = a.Port
	}
	if s.kit, err = web.New(web.Options{SiteName: "南湖办公平台", Directory: s.oa.People(), Sessions: sessions, Limiter: limiter,
		Static:         []fs.FS{portal.StaffStatic},
		TrustedOrigins: cfg.Web.TrustedOrigins, HTTPSPort: httpsPort, Logger: logger.With("part", "web")}); err != nil {
		httpSrv.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	s.d.Routes(mux)
	s.kit.Mount(mux)
	quiet, _ := cfg.Notify.quietHours()
	sys := &system{d: s.d, q: s.queue, store: s.store, sms: s.sms, data: cfg.Data, ring: ring}
	po := oa.PagesOptions{Kit: s.kit, Limiter: limiter, System: sys, QuietHours: quiet.String()}
	po.CaseFiles = caseFiles{s} // the portal opens below; its cases are read when asked for
	s.oa.Routes(mux, po)
	s.mail.Routes(mux, s.kit, tlsLoaded.SelfSigned)
	smspages.New(smspages.Options{Kit: s.kit, Gateway: s.sms, Sim: s.sim, Logger: logger.With("part", "sms")}).Routes(mux)
	s.smsAPI(mux)
	// The public portal: its CMS on the staff web, its site on its own
	// listeners.
	if s.portal, err = startPortal(ctx, cfg, s.queue, limiter, staffMobile(s.oa.Org()), logger); err != nil {
		httpSrv.Close()
		return nil, err
	}
	s.d.Add(s.portal)
	portalSrv, err := daemon.NewHTTPServer("portal", []daemon.HTTPListener{
		{Name: "portal", Addr: cfg.Portal.Listen},
		{Name: "portal-tls", Addr: cfg.Portal.ListenTLS, TLS: tlsLoaded.Config},
	}, logger.With("part", "portal-http"))
	if err != nil {
		httpSrv.Close()
		return nil, err
	}
	for n, a := range portalSrv.Addrs() {
		s.addrs[n] = a
	}
	portalSrv.Handle(s.portal.Handler())
	s.d.Add(portalSrv)
	s.portal.Routes(mux, s.kit, s.portalURL())
	var onShutdown []func()
	if n := s.oa.Notifier(); n != nil {
		onShutdown = append(onShutdown, n.CloseStreams)
	}
	s.web = s.kit.Secure(mux)
	httpSrv.Handle(s.web, onShutdown...)
	s.d.Add(httpSrv)

	s.d.Start()
	names := make([]string, 0, len(s.addrs))
	for n, a := range s.addrs {
		names = append(names, n+"="+a.String())
	}
	logger.Info("nanhu is running", "data", cfg.Data, "domain", cfg.Domain, "hostname", cfg.Hostname, "listeners", strings.Join(names, " "))
	if a, ok := s.addrs["http"].(*net.TCPAddr); ok {
		host := "127.0.0.1"
		if !a.IP.IsUnspecified() {
			host = a.IP.String()
		}
		fmt.Fprintf(out, "Nanhu is running. Staff pages: http://%s/", net.JoinHostPort(host, fmt.Sprint(a.Port)))
		if cfg.Demo {
			fmt.Fprint(out, " (sign in as zhangwei / nanhu2004, or admin / admin2004)")
		}
		fmt.Fprintln(out)
	}
	if u := s.portalURL(); u != "" {
		fmt.Fprintf(out, "The public portal 中国南湖: %s/", u)
		if cfg.Demo {
			fmt.Fprint(out, " (its editors sign in on the staff pages: chenxiao / nanhu2004 writes, wangli / nanhu2004 reviews)")
		}
		fmt.Fprintln(out)
	}
	return s, nil
}

// portalURL is the public portal's address on this machine ("" when its
// HTTP listener is off).
func (s *server) portalURL() string {
	a, ok := s.addrs["portal"].(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := "127.0.0.1"
	if !a.IP.IsUnspecified() {
		host = a.IP.String()
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// startPortal opens the portal, seeding the demo portal with --demo.
func startPortal(ctx context.Context, cfg Config, q *queue.Queue, lim *ratelimit.Limiter, staff func(context.Context, string) (bool, error),
	logger *slog.Logger) (*portal.Portal, error) {
	o := portal.DefaultOptions(cfg.Data)
	o.Demo, o.Queue, o.Limiter = cfg.Demo, q, lim
	cal, err := cfg.Calendar.calendar()
	if err != nil {
		return nil, err
	}
	o.Calendar = cal
	if o.Cases, err = cfg.casesOptions(); err != nil {
		return nil, err
	}
	o.StaffMobile = staff
	o.Inspectors, o.CheckExternalLinks = cfg.Portal.Inspectors, cfg.Portal.CheckExternalLinks
	pc := cfg.Portal
	o.Site = site.Info{Name: pc.Name, Domain: pc.SiteDomain, IDCode: pc.IDCode, Sponsor: pc.Sponsor, Operator: pc.Operator,
		Contact: pc.Contact, ICP: pc.ICP, Police: pc.Police, PoliceCode: pc.PoliceCode, EmblemURL: pc.EmblemURL, Hotline: pc.Hotline}
	if pc.MaxUploadBytes > 0 {
		o.MaxUpload = pc.MaxUploadBytes
	}
	if pc.MaxImageBytes > 0 {
		o.MaxImage = pc.MaxImageBytes
	}
	o.Logger = logger.With("part", "portal")
	return portal.New(ctx, o)
}

// startOA opens OA with routing on the queue.
func startOA(ctx context.Context, cfg Config, q *queue.Queue, logger *slog.Logger, reg prometheus.Registerer) (*oa.OA, error) {
	quiet, err := cfg.Notify.quietHours()
	if err != nil {
		return nil, err
	}
	cal, err := cfg.Calendar.calendar()
	if err != nil {
		return nil, err
	}
	o := oa.DefaultOptions(cfg.Data)
	o.Domains, o.Demo, o.Queue, o.Calendar = cfg.localDomains(), cfg.Demo, q, cal
	o.Notify.QuietStart, o.Notify.QuietEnd = quiet.Start, quiet.End
	o.Notify.DigestWindow = cfg.Notify.DigestWindow.Duration
	o.Notify.EscalateAfter = cfg.Notify.EscalateAfter
	o.Notify.AwaitReplyFor = cfg.Notify.AwaitReplyFor.Duration
	if cfg.Notify.MailFrom != "" {
		o.Notify.MailFrom = cfg.Notify.MailFrom
	}
	o.Docs.AllowClassified = cfg.OA.AllowClassified
	o.Docs.CaseExtensions, o.Docs.CaseOrgan = cfg.Cases.Extensions, cfg.OA.CaseOrgan
	o.Docs.Now = cfg.oaNow
	if cfg.OA.MaxUploadBytes > 0 {
		o.Docs.MaxUpload = cfg.OA.MaxUploadBytes
	}
	o.Logger = logger
	o.Registerer = reg
	return oa.New(ctx, o)
}

// startMail opens the mail server, its accounts those of the organisation.
func startMail(ctx context.Context, cfg Config, d *org.Directory, q *queue.Queue, tl certs.Loaded, lim *ratelimit.Limiter,
	logger *slog.Logger, reg prometheus.Registerer) (*mailserver.Server, error) {
	mo := mailserver.DefaultOptions(cfg.Data)
	mo.Hostname, mo.Domains = cfg.Hostname, cfg.localDomains()
	mo.Directory = mailAccounts{org: d}
	mo.TLS, mo.Limiter, mo.Queue = tl.Config, lim, q
	mo.CaseAddresses = cfg.caseAddresses()
	mo.Listen = mailserver.Listen{SMTP: cfg.Listen.SMTP, Submission: cfg.Listen.Submission, Submissions: cfg.Listen.Submissions,
		IMAP: cfg.Listen.IMAP, IMAPS: cfg.Listen.IMAPS}
	mo.MaxMessageBytes, mo.MaxRecipients, mo.ReadTimeout = cfg.SMTP.MaxMessageBytes, cfg.SMTP.MaxRecipients, cfg.SMTP.ReadTimeout.Duration
	mo.AppendLimit, mo.AllowPlainLoopback = cfg.IMAP.AppendLimit, cfg.IMAP.AllowPlainLoopback
	var err error
	if mo.InternalNetworks, err = cfg.trustedNetworks(); err != nil {
		return nil, err
	}
	if mo.SendAs, err = cfg.sendAs(); err != nil {
		return nil, err
	}
	mo.Resolver = cfg.resolver
	oo := &mo.Outbound
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
	mo.DKIMSelector = cfg.Out.DKIMSelector
	mo.Logger = logger
	mo.Registerer = reg
	return mailserver.New(ctx, mo)
}

// smsAPI mounts the SMS gateway's API (for administrators and the "sms"
// role) and the simulated modem's control API (administrators), or says
// that this server runs no gateway.
func (s *server) smsAPI(mux *http.ServeMux) {
	rt := s.kit.Router(mux)
	senders := web.AnyRole("admin", "sms")
	var api http.Handler
	if s.sms == nil {
		api = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.kit.Fail(w, r, &web.Error{Status: http.StatusServiceUnavailable,
				Message: "本服务器不发送短信，短信经 notify.sms 由 nanhu smsgw 主机发送（this server runs no SMS gateway, see [sms] gateway; publish notify.sms for the nanhu smsgw hosts）"})
		})
	} else {
		api = s.sms.Handler(smsgateway.HandlerOptions{Authorize: func(r *http.Request) (string, bool) {
			l := web.LoginOf(r)
			return l, l != ""
		}})
	}
	for _, p := range []string{"/api/v1/sms", "/api/v1/sms/", "/api/v1/modems"} {
		rt.APIHandler(p, senders, api)
	}
	if s.sim != nil {
		s.log.Info("the simulated modem's control API is at /sim/ on the HTTP listeners (administrators)")
		rt.APIHandler("/sim/", web.AnyRole("admin"), http.StripPrefix("/sim", s.sim.Handler()))
	}
}

// sweepSessions deletes ended sessions now and then.
func sweepSessions(ctx context.Context, ss *session.Store, log *slog.Logger) error {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := ss.Sweep(context.Background()); err != nil {
				log.Warn("sweep sessions", "err", err)
			} else if n > 0 {
				log.Debug("sessions swept", "n", n)
			}
		}
	}
}

// shutdown stops the parts in order: the web listener, the SMS gateway,
// the mail server (SMTP transactions in progress finish, idle clients get
// 421), OA, then the queue; then it closes the databases and the lock.
func (s *server) shutdown() error {
	err := s.d.Stop()
	s.lock.Close()
	s.log.Info("stopped")
	return err
}

// staffMobile tells the portal whether a number is a staff member's
// registered mobile: their texts are notification routing's.
func staffMobile(d *org.Directory) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, e164 string) (bool, error) {
		users, err := d.UsersByMobile(ctx, e164)
		return len(users) > 0, err
	}
}
