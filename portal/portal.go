// Package portal is the public portal 中国南湖, put together: its content
// (portal/content: sections, columns, articles through review, Chinese
// search), the public site on its own listener (portal/site), and the
// CMS on the staff web (portal/cms), with the loop that publishes
// scheduled articles.
package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/internal/web/session"
	"nanhu/internal/workcal"
	"nanhu/portal/cases"
	"nanhu/portal/cms"
	"nanhu/portal/content"
	"nanhu/portal/enterprise"
	"nanhu/portal/open311"
	"nanhu/portal/site"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// Options are the portal's settings. Start from DefaultOptions.
type Options struct {
	// DataDir holds portal.db.
	DataDir string
	// Demo seeds the demo portal into an empty portal.db.
	Demo bool
	// Site is what every public page carries: the site's name, domain,
	// identification code and the footer's entries.
	Site site.Info
	// MaxUpload and MaxImage bound an attachment and an image.
	MaxUpload, MaxImage int64
	// PublishEvery is how often scheduled articles are looked for (30 s).
	PublishEvery time.Duration
	// Queue, when set, carries the inspection's warnings to Inspectors
	// (logins) as to-dos, which the notification routing sends by SMS or
	// mail.
	Queue      *queue.Queue
	Inspectors []string
	// InspectAfter is when the first inspection runs after start (1 min),
	// InspectEvery how often it runs then (24 h).
	InspectAfter, InspectEvery time.Duration
	// CheckExternalLinks checks outside links too: only where the
	// network reaches the internet.
	CheckExternalLinks bool
	// Limiter, when set, opens the enterprise accounts' pages on the
	// portal (/qiye/, enterprise.db and qiye-sessions.db): their failed
	// sign-ins lock out as staff ones do.
	Limiter *ratelimit.Limiter
	// StaffMobile reports whether an E.164 number is a staff member's
	// registered mobile (the organisation's directory answers it): their
	// texts are notification routing's, everyone else's open cases.
	// Without it the portal reads no SMS.
	StaffMobile func(ctx context.Context, e164 string) (bool, error)
	// Calendar counts cases' deadlines in working days.
	Calendar *workcal.Calendar
	// Cases tunes the citizens' cases (cases.DefaultOptions): limits,
	// the code list, the rating window. Path, Calendar, Sign, Now and
	// Logger are filled in by New.
	Cases cases.Options
	// Now is the clock.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultOptions are the defaults for data folder dir.
func DefaultOptions(dir string) Options {
	co := content.DefaultOptions(dir)
	return Options{DataDir: dir, Site: site.DefaultInfo(), MaxUpload: co.MaxUpload, MaxImage: co.MaxImage, PublishEvery: 30 * time.Second,
		Inspectors: []string{"admin"}, InspectAfter: time.Minute, InspectEvery: 24 * time.Hour, Cases: cases.DefaultOptions("")}
}

// Portal is the running portal.
type Portal struct {
	opts     Options
	log      *slog.Logger
	store    *content.Store
	site     *site.Site
	accounts *enterprise.Store // nil without Limiter
	cases    *cases.Store      // nil without Limiter and Queue
	sessions *session.Store    // the enterprises'
}

// New opens portal.db (seeding the demo when asked) and makes the public
// site.
func New(ctx context.Context, opts Options) (*Portal, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PublishEvery <= 0 {
		opts.PublishEvery = 30 * time.Second
	}
	if opts.InspectAfter <= 0 {
		opts.InspectAfter = time.Minute
	}
	if opts.InspectEvery <= 0 {
		opts.InspectEvery = 24 * time.Hour
	}
	co := content.DefaultOptions(opts.DataDir)
	co.MaxUpload, co.MaxImage, co.Now, co.Logger = opts.MaxUpload, opts.MaxImage, opts.Now, opts.Logger
	st, err := content.Open(ctx, co)
	if err != nil {
		return nil, err
	}
	p := &Portal{opts: opts, log: opts.Logger, store: st}
	if opts.Demo {
		if _, err := st.SeedDemo(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	so := site.Options{Store: st, Info: opts.Site, Logger: opts.Logger.With("part", "portal-site")}
	if opts.Limiter != nil {
		if err := p.openEnterprises(ctx); err != nil {
			p.Close()
			return nil, err
		}
		so.Enterprises = &site.Enterprises{Accounts: p.accounts, Sessions: p.sessions, Limiter: opts.Limiter}
		if opts.Queue != nil {
			co := opts.Cases
			co.Path = filepath.Join(opts.DataDir, "cases.db")
			co.Calendar, co.Now, co.Logger, co.Sign = opts.Calendar, opts.Now, opts.Logger.With("part", "cases"), opts.Site.Name
			if p.cases, err = cases.Open(ctx, co); err != nil {
				p.Close()
				return nil, err
			}
			so.Letters = &site.Letters{Store: p.cases, Limiter: opts.Limiter, Send: p.sendSMS, UnratedAs: co.UnratedAs}
			so.Open311 = open311.New(open311.Options{Store: p.cases, Agency: opts.Site.Sponsor,
				Logger: opts.Logger.With("part", "open311")})
		}
	}
	if p.site, err = site.New(so); err != nil {
		p.Close()
		return nil, fmt.Errorf("portal: %w", err)
	}
	return p, nil
}

// Name is the part's name.
func (p *Portal) Name() string { return "portal" }

// Store is the portal's content.
func (p *Portal) Store() *content.Store { return p.store }

// Handler is the public site: what the portal listener serves, and
// nothing else.
func (p *Portal) Handler() http.Handler { return p.site.Handler() }

// StaffStatic are the static files the CMS pages need on the staff web
// (its editor): give them to the staff kit's Options.Static.
var StaffStatic = cms.Static

// Routes adds the CMS pages to the staff web.
func (p *Portal) Routes(mux *http.ServeMux, kit *web.Kit, publicURL string) {
	o := cms.Options{Kit: kit, Store: p.store, PublicURL: publicURL, Inspect: p.inspect, MoreRules: p.caseRules, External: p.opts.CheckExternalLinks,
		Logger: p.log.With("part", "cms")}
	if p.accounts != nil {
		o.Accounts = p.accounts
	}
	if p.cases != nil {
		o.Keys, o.Cases = p.cases, p.cases
	}
	cms.New(o).Routes(mux)
}

// Run publishes scheduled articles when their time comes, runs the
// daily inspection, takes citizens' SMS and mail and OA's steps of their
// cases from the queue, and publishes the cases' events, until ctx ends.
func (p *Portal) Run(ctx context.Context) error {
	// Search's index in memory is built now rather than at the first
	// visitor's search.
	warm := make(chan struct{})
	go func() { defer close(warm); p.store.WarmSearch(ctx) }()
	defer func() { <-warm }()
	done := make(chan struct{})
	go func() { defer close(done); p.inspectLoop(ctx) }()
	defer func() { <-done }()
	if p.cases != nil {
		outDone := make(chan struct{})
		go func() { defer close(outDone); p.cases.Outbox().Run(ctx, p.opts.Queue) }()
		defer func() { <-outDone }()
		c, err := queue.Consume(p.opts.Queue, Channel, p.cases.HandleOA)
		if err != nil {
			return fmt.Errorf("portal: read oa.case: %w", err)
		}
		defer c.Stop()
		mc, err := queue.Consume(p.opts.Queue, Channel, p.handleMail)
		if err != nil {
			return fmt.Errorf("portal: read mail.case: %w", err)
		}
		defer mc.Stop()
	}
	if p.cases != nil && p.opts.StaffMobile != nil {
		smsDone := make(chan struct{})
		go func() {
			defer close(smsDone)
			if err := p.consumeSMS(ctx); err != nil {
				p.log.Error("citizens' SMS not read", "err", err)
			}
		}()
		defer func() { <-smsDone }()
	}
	t := time.NewTicker(p.opts.PublishEvery)
	defer t.Stop()
	for {
		if n, err := p.store.PublishDue(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.log.Error("scheduled publishing failed", "err", err)
		} else if n > 0 {
			p.log.Info("scheduled articles published", "n", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Close closes portal.db.
func (p *Portal) Close() error {
	if p.cases != nil {
		p.cases.Close()
	}
	if p.sessions != nil {
		p.sessions.Close()
	}
	if p.accounts != nil {
		p.accounts.Close()
	}
	return p.store.Close()
}

// openEnterprises opens the enterprise accounts and their sessions, and
// with --demo gives the demo company its account and page.
func (p *Portal) openEnterprises(ctx context.Context) error {
	var err error
	if p.accounts, err = enterprise.Open(ctx, enterprise.Options{Path: filepath.Join(p.opts.DataDir, "enterprise.db"), Now: p.opts.Now, Logger: p.log}); err != nil {
		return err
	}
	if p.sessions, err = session.Open(ctx, session.Options{Path: filepath.Join(p.opts.DataDir, "qiye-sessions.db"), Now: p.opts.Now}); err != nil {
		return err
	}
	if p.opts.Demo {
		return p.seedEnterprise(ctx)
	}
	return nil
}

// Cases is the store of citizens' cases (nil when the letter pages are
// off: no queue to send their SMS).
func (p *Portal) Cases() *cases.Store { return p.cases }

// sendSMS sends an SMS to a citizen's mobile through the queue; key names
// it for the gateway, which sends it once however often it is asked.
func (p *Portal) sendSMS(ctx context.Context, to, text, key, reason string) error {
	return queue.Publish(ctx, p.opts.Queue, contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: "+86" + to, Text: text,
		IdempotencyKey: key, Reason: reason})
}
