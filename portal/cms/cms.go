// Package cms is the portal's editing desk on the staff web: editors
// write articles for their departments' columns, upload images and
// attachments and send them for review; reviewers approve (now or at a
// set time) or return them with an opinion, and withdraw what is
// published. Handlers are thin: every permission and every rule is
// portal/content's, checked for every call from the signed-in person.
package cms

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/web"
	"nanhu/internal/workcal"
	"nanhu/portal/content"
)

//go:embed templates static
var embedded embed.FS

var templates = embedded

// Static are the desk's own static files (its rich-text editor), for the
// staff web kit's Options.Static.
var Static = func() fs.FS {
	f, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	return f
}()

// Options are what the CMS needs.
type Options struct {
	Kit   *web.Kit
	Store *content.Store
	// PublicURL is the portal's address, for the links to published
	// pages ("" when it is not known).
	PublicURL string
	// Inspect runs the whole inspection and tells the inspectors (the
	// 立即检查 button); External says whether it checks outside links.
	Inspect func(ctx context.Context) (content.Report, error)
	// MoreRules are rules of the inspection that other stores answer
	// (留言办理, from the cases), for the page's quick look.
	MoreRules func(ctx context.Context) ([]content.Rule, error)
	External  bool
	// Accounts, when set, are the enterprise accounts the site's
	// administrator opens (企业账户).
	Accounts Accounts
	// Keys, when set, are the Open311 clients' keys.
	Keys Keys
	// Cases, when set, opens the case office's pages (来信): the list,
	// 代录, merging and 来信选登.
	Cases  CaseDesk
	Logger *slog.Logger
}

// CMS serves the editing desk.
type CMS struct {
	opts  Options
	kit   *web.Kit
	store *content.Store
	log   *slog.Logger
	tmpl  struct {
		list, edit, version, inspect, settings, columns, enterprises, keys *web.Page
		cases, caseNew, caseShow, caseAnnual                               *web.Page
	}
}

// New parses the templates.
func New(o Options) *CMS {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &CMS{opts: o, kit: o.Kit, store: o.Store, log: o.Logger}
	c.tmpl.list = o.Kit.MustPage(templates, "templates/list.html")
	c.tmpl.edit = o.Kit.MustPage(templates, "templates/edit.html")
	c.tmpl.version = o.Kit.MustPage(templates, "templates/version.html")
	c.tmpl.inspect = o.Kit.MustPage(templates, "templates/inspect.html")
	c.tmpl.settings = o.Kit.MustPage(templates, "templates/settings.html")
	c.tmpl.columns = o.Kit.MustPage(templates, "templates/columns.html")
	c.tmpl.enterprises = o.Kit.MustPage(templates, "templates/enterprises.html")
	c.tmpl.keys = o.Kit.MustPage(templates, "templates/open311.html")
	c.tmpl.cases = o.Kit.MustPage(templates, "templates/cases.html")
	c.tmpl.caseNew = o.Kit.MustPage(templates, "templates/case_new.html")
	c.tmpl.caseShow = o.Kit.MustPage(templates, "templates/case.html")
	c.tmpl.caseAnnual = o.Kit.MustPage(templates, "templates/case_annual.html")
	return c
}

// staff is who may open the desk; what each may do there is decided per
// article.
var staff = web.AnyRole(content.RoleEditor, content.RoleReviewer, content.RoleWebmaster, content.RoleAdmin)

// webmaster is who runs the site: its inspection, its columns.
var webmaster = web.AnyRole(content.RoleWebmaster, content.RoleAdmin)

// Routes registers the desk's routes.
func (c *CMS) Routes(mux *http.ServeMux) {
	rt := c.kit.Router(mux)
	rt.Page("GET /portal", staff, c.list)
	rt.Page("POST /portal/articles", staff, c.create)
	rt.Page("GET /portal/articles/{id}", staff, c.edit)
	rt.Page("POST /portal/articles/{id}", staff, c.save)
	rt.Page("POST /portal/articles/{id}/submit", staff, c.step("submit"))
	rt.Page("POST /portal/articles/{id}/recall", staff, c.step("recall"))
	rt.Page("POST /portal/articles/{id}/approve", staff, c.step("approve"))
	rt.Page("POST /portal/articles/{id}/return", staff, c.step("return"))
	rt.Page("POST /portal/articles/{id}/withdraw", staff, c.step("withdraw"))
	rt.Page("POST /portal/articles/{id}/unschedule", staff, c.step("unschedule"))
	rt.Page("POST /portal/articles/{id}/files", staff, c.upload)
	rt.Page("POST /portal/articles/{id}/files/{file}/remove", staff, c.removeFile)
	rt.Page("GET /portal/articles/{id}/versions/{n}", staff, c.version)
	rt.Page("GET /portal/files/{file}/{name}", staff, c.file)
	rt.Page("GET /portal/inspect", webmaster, c.inspectPage)
	rt.Page("POST /portal/inspect", webmaster, c.inspectNow)
	rt.Page("GET /portal/settings", webmaster, c.settings)
	rt.Page("POST /portal/settings", webmaster, c.settingsSave)
	rt.Page("GET /portal/columns", webmaster, c.columns)
	rt.Page("POST /portal/columns", webmaster, c.columnSave)
	c.kit.AddNav(web.NavItem{Label: "网站稿件", Path: "/portal", Rule: staff, Order: 40},
		web.NavItem{Label: "网站检查", Path: "/portal/inspect", Rule: webmaster, Group: "管理", Order: 140},
		web.NavItem{Label: "网站栏目", Path: "/portal/columns", Rule: webmaster, Group: "管理", Order: 141},
		web.NavItem{Label: "网站设置", Path: "/portal/settings", Rule: webmaster, Group: "管理", Order: 142})
	if c.opts.Accounts != nil {
		rt.Page("GET /portal/enterprises", webmaster, c.enterprises)
		rt.Page("POST /portal/enterprises", webmaster, c.enterpriseCreate)
		rt.Page("POST /portal/enterprises/{id}/reset", webmaster, c.enterpriseAction("reset"))
		rt.Page("POST /portal/enterprises/{id}/disable", webmaster, c.enterpriseAction("disable"))
		rt.Page("POST /portal/enterprises/{id}/enable", webmaster, c.enterpriseAction("enable"))
		c.kit.AddNav(web.NavItem{Label: "企业账户", Path: "/portal/enterprises", Rule: webmaster, Group: "管理", Order: 143})
	}
	if c.opts.Keys != nil {
		rt.Page("GET /portal/open311", webmaster, c.keys)
		rt.Page("POST /portal/open311", webmaster, c.keyCreate)
		rt.Page("POST /portal/open311/{id}/revoke", webmaster, c.keyRevoke)
		c.kit.AddNav(web.NavItem{Label: "Open311 接口", Path: "/portal/open311", Rule: webmaster, Group: "管理", Order: 144})
	}
	if c.opts.Cases != nil {
		c.caseRoutes(rt)
	}
}

// actor is the signed-in person as the portal's rules see them.
func actor(r *http.Request) content.Actor {
	p := web.PersonOf(r)
	a := content.Actor{Login: p.Login, Name: p.Name, Roles: p.Roles}
	for _, d := range p.Departments {
		a.Depts = append(a.Depts, d.Code)
	}
	return a
}

// fail turns a refusal of portal/content into the page's error.
func fail(err error) error {
	var e *content.Error
	if !errors.As(err, &e) {
		return err
	}
	status := map[string]int{"invalid": http.StatusUnprocessableEntity, "forbidden": http.StatusForbidden,
		"not-found": http.StatusNotFound, "conflict": http.StatusConflict}[e.Code]
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &web.Error{Status: status, Message: e.Msg, Code: e.Code, Cause: err}
}

func idOf(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, web.NotFound("没有这篇稿件。")
	}
	return n, nil
}

var shanghai = workcal.Shanghai()

// parseLocal reads a datetime-local field in Beijing time.
func parseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func articlePath(id int64) string { return "/portal/articles/" + strconv.FormatInt(id, 10) }
