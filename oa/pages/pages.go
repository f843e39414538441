// Package pages is OA's staff pages: the 工作台 (who I am, my departments,
// my to-dos arriving live, my notification preferences) and the
// administration of people, departments, distribution lists, aliases and
// shared mailboxes, and the system's status. Handlers are thin: they read
// the form, call the organisation (oa/org) or routing (oa/notify), and
// render with the web kit, which checks sign-in, roles and form tokens
// before any handler runs (routes.go says what each route requires).
package pages

import (
	"context"
	"embed"
	"log/slog"
	"time"

	"nanhu/internal/daemon"
	"nanhu/internal/logring"
	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/oa/docflow"
	"nanhu/oa/notify"
	"nanhu/oa/org"
	"nanhu/queue"
)

//go:embed templates
var templates embed.FS

// System is what the status page shows of the whole process; the binary
// provides it.
type System interface {
	// Parts says how each part of the process is doing.
	Parts(ctx context.Context) []daemon.Status
	// Queue is the depth of every topic and channel.
	Queue() ([]queue.TopicStats, error)
	// Disk is the data folder's use of the disk.
	Disk() (DiskUse, error)
	// Problems are the latest warnings and errors logged.
	Problems() []logring.Entry
	// PerHour counts mail received, SMS sent and SMS received in each of
	// hours hours from since.
	PerHour(ctx context.Context, since time.Time, hours int) (mail, smsSent, smsReceived []int64, err error)
	// Backup makes a backup of the data folder and says where it went.
	Backup(ctx context.Context, progress func(done, total int64), note func(string)) (string, error)
	// Started is when the process started.
	Started() time.Time
}

// DiskUse is the data folder's use of the disk.
type DiskUse struct {
	Folder     string
	Files      []FileUse
	Total      int64
	Free, Size int64 // of the file system holding the folder
}

// FileUse is one registry entry's size.
type FileUse struct {
	Path, About string
	Bytes       int64
}

// Options are what the pages need.
type Options struct {
	Kit      *web.Kit
	Org      *org.Directory
	Notifier *notify.Notifier // nil: routing runs elsewhere (no live stream)
	Docs     *docflow.Store
	Limiter  *ratelimit.Limiter
	System   System // nil: no status page
	// QuietHours are the system's, as the preferences form shows them.
	QuietHours string
	// CaseFiles, when set, are the attachments citizens sent with their
	// cases (the portal keeps them): a 来信's page lists them for whoever
	// may see the 来信.
	CaseFiles CaseFiles
	Logger    *slog.Logger
}

// CaseFiles are a citizen's case's attachments.
type CaseFiles interface {
	// CaseFiles lists them (Data empty): ids, names, types, sizes.
	CaseFiles(ctx context.Context, caseID int64) ([]CaseFile, error)
	// CaseFile is attachment n, with its contents.
	CaseFile(ctx context.Context, caseID, n int64) (CaseFile, error)
}

// CaseFile is one attachment of a case.
type CaseFile struct {
	ID         int64
	Name, Type string
	Size       int64
	Data       []byte
}

// Pages serves OA's pages.
type Pages struct {
	opts  Options
	kit   *web.Kit
	org   *org.Directory
	log   *slog.Logger
	prefs prefsCache
	// frags are rendered list items and table rows, by their contents.
	frags fragments
	tmpl  struct {
		workbench, people, person, personNew, personCreated, departments, mail, system        *web.Page
		oaHome, docNew, doc, docPrint, search, delegations, register, leader, flows, flowEdit *web.Page
	}
}

// New parses the templates.
func New(o Options) *Pages {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pages{opts: o, kit: o.Kit, org: o.Org, log: o.Logger}
	k := o.Kit
	p.tmpl.workbench = k.MustPage(templates, "templates/workbench.html")
	p.tmpl.people = k.MustPage(templates, "templates/people.html")
	p.tmpl.person = k.MustPage(templates, "templates/person.html")
	p.tmpl.personNew = k.MustPage(templates, "templates/person_new.html")
	p.tmpl.personCreated = k.MustPage(templates, "templates/person_created.html")
	p.tmpl.departments = k.MustPage(templates, "templates/departments.html")
	p.tmpl.mail = k.MustPage(templates, "templates/mail.html")
	p.tmpl.system = k.MustPage(templates, "templates/system.html")
	if o.Docs != nil {
		p.tmpl.oaHome = k.MustPage(templates, "templates/oa_home.html")
		p.tmpl.docNew = k.MustPage(templates, "templates/doc_new.html", "templates/doc_fields.html")
		p.tmpl.doc = k.MustPage(templates, "templates/doc.html", "templates/doc_fields.html")
		p.tmpl.docPrint = k.MustPage(templates, "templates/doc_print.html")
		p.tmpl.search = k.MustPage(templates, "templates/oa_search.html")
		p.tmpl.delegations = k.MustPage(templates, "templates/delegations.html")
		p.tmpl.register = k.MustPage(templates, "templates/register.html")
		p.tmpl.leader = k.MustPage(templates, "templates/leader.html")
		p.tmpl.flows = k.MustPage(templates, "templates/flows.html")
		p.tmpl.flowEdit = k.MustPage(templates, "templates/flow_edit.html")
	}
	return p
}
