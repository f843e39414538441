// Package oa is Nanhu's office automation, put together: the organisation
// (oa/org: people, departments, roles, the accounts mail uses too), the
// notification routing of to-dos (oa/notify) joined to the queue
// (oa/notifyqueue), and OA's staff pages (oa/pages): the 工作台 and the
// administration of people and departments.
package oa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/internal/workcal"
	"nanhu/oa/docflow"
	"nanhu/oa/notify"
	"nanhu/oa/notifyqueue"
	"nanhu/oa/org"
	"nanhu/oa/pages"
	"nanhu/queue"
)

// CaseChannel is the channel OA reads portal.case on.
const CaseChannel = "oa"

// Options are the settings of OA. Start from DefaultOptions.
type Options struct {
	// DataDir holds org.db and notify.db.
	DataDir string
	// Domains are the local mail domains, the primary first: every
	// person's addresses.
	Domains []string
	// Demo seeds the Xiucheng demo organisation; without it the first
	// start makes an administrator with a random password
	// (FirstAdminPassword).
	Demo bool
	// Queue, when set, runs notification routing on it: to-dos from
	// oa.todo reach people by the workbench, SMS or mail.
	Queue *queue.Queue
	// Notify tunes routing (from notify.DefaultOptions); Org, Publisher,
	// User, DBPath, Logger and Registerer are filled in by New.
	Notify notify.Options
	// Calendar is the working-day calendar; nil counts Monday to Friday.
	Calendar *workcal.Calendar
	// Docs tunes the documents and their flows (oa/docflow); DataDir,
	// Org, Calendar and Logger are filled in by New.
	Docs   docflow.Options
	Logger *slog.Logger
	// Registerer takes routing's metrics.
	Registerer prometheus.Registerer
}

// DefaultOptions are the defaults for OA on data folder dataDir.
func DefaultOptions(dataDir string) Options {
	return Options{DataDir: dataDir, Domains: []string{"nanhu.local"}, Notify: notify.DefaultOptions(dataDir),
		Docs: docflow.DefaultOptions(dataDir)}
}

// OA is the running office automation part.
type OA struct {
	opts      Options
	log       *slog.Logger
	org       *org.Directory
	notify    *notify.Notifier
	docs      *docflow.Store
	consumers []*queue.Consumer
	adminPW   string
}

// New opens the organisation (seeding the demo or making the first
// administrator) and, with a queue, notification routing.
func New(ctx context.Context, opts Options) (_ *OA, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o := &OA{opts: opts, log: opts.Logger}
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	oo := org.DefaultOptions(opts.DataDir)
	oo.Logger = opts.Logger
	if o.org, err = org.Open(ctx, oo); err != nil {
		return nil, err
	}
	if err := o.org.SetDomains(ctx, opts.Domains); err != nil {
		return nil, err
	}
	if opts.Demo {
		if err := o.org.SeedDemo(ctx); err != nil {
			return nil, fmt.Errorf("seed the demo organisation: %w", err)
		}
		o.log.Info("demo organisation seeded (see README for the logins)")
	} else {
		pw, created, err := o.org.EnsureAdmin(ctx)
		if err != nil {
			return nil, err
		}
		if created {
			o.adminPW = pw
		}
	}
	do := opts.Docs
	do.DataDir, do.Org, do.Calendar, do.Logger = opts.DataDir, o.org, opts.Calendar, opts.Logger.With("part", "docflow")
	if o.docs, err = docflow.Open(ctx, do); err != nil {
		return nil, err
	}
	if opts.Queue != nil {
		no := opts.Notify
		if no.DBPath == "" {
			no = notify.DefaultOptions(opts.DataDir)
		}
		no.Org = o.org
		no.Publisher = notifyqueue.Publisher{Q: opts.Queue}
		no.User = web.LoginOf
		if opts.Calendar != nil {
			no.IsWorkingDay = opts.Calendar.IsWorkingDay
		}
		no.Logger = opts.Logger.With("part", "notify")
		no.Registerer = opts.Registerer
		if o.notify, err = notify.New(ctx, no); err != nil {
			return nil, err
		}
		if o.consumers, err = notifyqueue.Consume(opts.Queue, o.notify); err != nil {
			return nil, err
		}
		c, err := notifyqueue.ConsumeActions(opts.Queue, o.docs, o.org)
		if err != nil {
			return nil, err
		}
		o.consumers = append(o.consumers, c)
		// Citizens' cases from the portal start their 来信办理 flows.
		cases, err := queue.Consume(opts.Queue, CaseChannel, o.docs.HandlePortal)
		if err != nil {
			return nil, err
		}
		o.consumers = append(o.consumers, cases)
	}
	return o, nil
}

// Name is the part's name.
func (o *OA) Name() string { return "oa" }

// Run runs routing's timers (digests, quiet hours, 催办) until ctx ends,
// then stops taking events from the queue.
func (o *OA) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.Background())
	var pub docflow.Publisher
	if o.opts.Queue != nil {
		pub = notifyqueue.Publisher{Q: o.opts.Queue}
	}
	docsDone := make(chan error, 1)
	go func() { docsDone <- o.docs.Run(runCtx, pub, 30*time.Second) }()
	if o.notify == nil {
		<-ctx.Done()
		cancel()
		return <-docsDone
	}
	done := make(chan error, 1)
	go func() { done <- o.notify.Run(runCtx) }()
	<-ctx.Done()
	o.notify.CloseStreams()
	for _, c := range o.consumers {
		c.Stop()
	}
	cancel()
	<-docsDone
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Close closes routing and the organisation.
func (o *OA) Close() error {
	for _, c := range o.consumers {
		c.Stop()
	}
	var err error
	if o.notify != nil {
		err = o.notify.Close()
	}
	if o.docs != nil {
		err = errors.Join(err, o.docs.Close())
	}
	if o.org != nil {
		err = errors.Join(err, o.org.Close())
	}
	return err
}

// Health reports whether the organisation's database answers.
func (o *OA) Health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := o.org.Domains(ctx); err != nil {
		return fmt.Errorf("the organisation's database does not answer: %w", err)
	}
	return nil
}

// Org is the organisation's directory.
func (o *OA) Org() *org.Directory { return o.org }

// Docs are the documents and their flows.
func (o *OA) Docs() *docflow.Store { return o.docs }

// Notifier is notification routing; nil without a queue.
func (o *OA) Notifier() *notify.Notifier { return o.notify }

// FirstAdminPassword is the password of the administrator made at this
// start, which is shown once; ok is false when none was made.
func (o *OA) FirstAdminPassword() (string, bool) { return o.adminPW, o.adminPW != "" }

// PagesOptions are what OA's pages need besides OA itself.
type PagesOptions struct {
	Kit     *web.Kit
	Limiter *ratelimit.Limiter // the lockouts administrators lift
	System  pages.System       // the process, for the status page (nil: none)
	// QuietHours are the system's, as the preferences form shows them.
	QuietHours string
	// CaseFiles are the citizens' attachments to their cases (nil: none).
	CaseFiles pages.CaseFiles
}

// Routes registers OA's pages and APIs on the staff listener: the 工作台
// with the notification stream and preferences, and the administration of
// people, departments, mail routing and the system.
func (o *OA) Routes(mux *http.ServeMux, po PagesOptions) {
	pages.New(pages.Options{Kit: po.Kit, Org: o.org, Notifier: o.notify, Docs: o.docs, Limiter: po.Limiter, System: po.System,
		QuietHours: po.QuietHours, CaseFiles: po.CaseFiles, Logger: o.log.With("part", "oa")}).Routes(mux)
}
