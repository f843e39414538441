package web

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"nanhu/internal/workcal"
)

//go:embed templates static
var embedded embed.FS

var staticFS = mustSub(embedded, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// View is what a page template sees. A handler sets Title and Data; the
// kit fills in the rest.
type View struct {
	Title string
	Data  any

	Site     string
	Person   Person
	SignedIn bool
	Nav      []NavLink
	// NavHTML is Nav rendered, the same for everyone with the same roles
	// on the same page, so it is made once.
	NavHTML template.HTML
	Flash   string
	CSRF    string // the form token
	// CSRFField is the hidden field with the form token: {{$.CSRFField}}
	// in every form that posts.
	CSRFField template.HTML
	Path      string
	RequestID string
	// Head and Brand are the layout's links to its own files and its
	// header's name and emblem: the same on every page, made once.
	Head, Brand template.HTML
}

// NavItem is an entry of the navigation, shown to those its rule allows.
type NavItem struct {
	Label string
	Path  string
	Rule  Rule
	// Group puts administration entries apart from work entries.
	Group string
	// Order sorts entries within the navigation (lower first).
	Order int
}

// NavLink is a NavItem as one page shows it.
type NavLink struct {
	NavItem
	Current bool
}

// AddNav adds entries to the navigation.
func (k *Kit) AddNav(items ...NavItem) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nav = append(k.nav, items...)
	// Stable order: by Order, then as added.
	for i := 1; i < len(k.nav); i++ {
		for j := i; j > 0 && k.nav[j].Order < k.nav[j-1].Order; j-- {
			k.nav[j], k.nav[j-1] = k.nav[j-1], k.nav[j]
		}
	}
}

func (k *Kit) navFor(p Person, path string) []NavLink {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []NavLink
	best := -1
	for _, it := range k.nav {
		if !it.Rule.Allows(p) {
			continue
		}
		l := NavLink{NavItem: it}
		out = append(out, l)
		if path == it.Path || it.Path != "/" && strings.HasPrefix(path, strings.TrimSuffix(it.Path, "/")+"/") {
			if best < 0 || len(it.Path) > len(out[best].Path) {
				best = len(out) - 1
			}
		}
	}
	if best >= 0 {
		out[best].Current = true
	}
	return out
}

// Page is a parsed page template: the layout with the page's "content".
type Page struct {
	t    *template.Template
	name string
}

// pageSet is the layout and the partials every page is parsed with.
type pageSet struct {
	base *template.Template
}

var shanghai = workcal.Shanghai()

// funcs are the template functions of every page.
func (k *Kit) funcs() template.FuncMap {
	fm := template.FuncMap{
		"asset": k.assets.url,
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(shanghai).Format("2006-01-02 15:04")
		},
		"bytes":   FormatBytes,
		"browser": browserOf,
		"join":    strings.Join,
	}
	for name, f := range k.opts.Funcs {
		fm[name] = f
	}
	return fm
}

func newPageSet(k *Kit) (*pageSet, error) {
	base, err := template.New("layout").Funcs(k.funcs()).ParseFS(embedded, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse the layout: %w", err)
	}
	if k.opts.Layout != nil {
		if base, err = base.ParseFS(k.opts.Layout, k.opts.LayoutFiles...); err != nil {
			return nil, fmt.Errorf("web: parse the part's layout: %w", err)
		}
	}
	return &pageSet{base: base}, nil
}

// Page parses a page template from fsys: a file that defines "content"
// (and may define more), rendered inside the layout, with the partials of
// more files the page shares with others.
func (k *Kit) Page(fsys fs.FS, file string, more ...string) (*Page, error) {
	t, err := k.base.base.Clone()
	if err != nil {
		return nil, err
	}
	if _, err := t.ParseFS(fsys, append([]string{file}, more...)...); err != nil {
		return nil, fmt.Errorf("web: parse %s: %w", file, err)
	}
	return &Page{t: t, name: file}, nil
}

// Fragment renders the template name of page p alone (a list item, a
// card), for a part that renders a fragment once and shows it on many
// pages: the escaping is html/template's as in any page, and the result
// is safe HTML.
func (p *Page) Fragment(name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := p.t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s of %s: %w", name, p.name, err)
	}
	return template.HTML(b.String()), nil
}

// MustPage is Page for templates embedded in the binary, which parse or
// the binary is broken: it panics on an error.
func (k *Kit) MustPage(fsys fs.FS, file string, more ...string) *Page {
	p, err := k.Page(fsys, file, more...)
	if err != nil {
		panic(err)
	}
	return p
}

func (k *Kit) parseOwnPages() error {
	for _, x := range []struct {
		p    **Page
		file string
	}{
		{&k.pages.login, "templates/login.html"},
		{&k.pages.account, "templates/account.html"},
		{&k.pages.failed, "templates/error.html"},
		{&k.pages.job, "templates/job.html"},
	} {
		p, err := k.Page(embedded, x.file)
		if err != nil {
			return err
		}
		*x.p = p
	}
	return nil
}

var htmlType = []string{"text/html; charset=utf-8"}

// bufPool holds the buffers pages are rendered into, made big enough for a
// page at once (the pool empties at every collection).
var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}

// Render answers r with page p (status 200) in the layout.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, p *Page, v View) error {
	return k.RenderStatus(w, r, p, http.StatusOK, v)
}

// RenderStatus answers r with page p and status (422 for a form that
// failed its checks, so a test or a proxy sees it).
func (k *Kit) RenderStatus(w http.ResponseWriter, r *http.Request, p *Page, status int, v View) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	k.fill(w, r, &v)
	if err := p.t.ExecuteTemplate(buf, "layout", &v); err != nil {
		return fmt.Errorf("render %s: %w", p.name, err)
	}
	if s := SessionOf(r); s != nil && s.Flash != "" {
		// Shown: forget it.
		if err := k.ss.ClearFlash(r.Context(), s.ID); err != nil {
			k.log.Warn("clear flash", "err", err)
		}
	}
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		return nil // the client went away
	}
	return nil
}

// render is RenderStatus for the kit's own pages, where an error can only
// be logged.
func (k *Kit) render(w http.ResponseWriter, r *http.Request, p *Page, status int, v View) {
	if err := k.RenderStatus(w, r, p, status, v); err != nil {
		k.log.Error("render failed", "err", err, "request_id", requestID(r))
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
	}
}

func (k *Kit) fill(w http.ResponseWriter, r *http.Request, v *View) {
	v.Site = k.opts.SiteName
	v.Person = PersonOf(r)
	v.SignedIn = v.Person.Login != ""
	v.Path = r.URL.Path
	v.RequestID = requestID(r)
	v.Head, v.Brand = k.head, k.brand
	if s := SessionOf(r); s != nil {
		v.CSRF = s.CSRF
		v.Flash = s.Flash
	} else {
		v.CSRF = k.preSessionToken(w, r)
	}
	v.CSRFField = template.HTML(`<input type="hidden" name="` + CSRFField + `" value="` + html.EscapeString(v.CSRF) + `">`)
	if v.SignedIn {
		v.NavHTML = k.navHTML(v.Person, r.URL.Path)
	}
}

// CSRFFieldOf is the hidden field with r's form token, for a partial
// that renders a form from its own data.
func CSRFFieldOf(r *http.Request) template.HTML {
	tok := ""
	if s := SessionOf(r); s != nil {
		tok = s.CSRF
	}
	return template.HTML(`<input type="hidden" name="` + CSRFField + `" value="` + html.EscapeString(tok) + `">`)
}

// Redirect ends a POST: the person's browser goes to path (303 See
// Other), where flash, when not empty, is shown once.
func (k *Kit) Redirect(w http.ResponseWriter, r *http.Request, path, flash string) error {
	if s := SessionOf(r); s != nil && flash != "" {
		if err := k.ss.SetFlash(r.Context(), s.ID, flash); err != nil {
			return err
		}
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// FormatBytes writes a size the way people read it: 2.0 GB, 512 KB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTP"[exp])
}

// navHTML renders the navigation, remembered per set of roles and page.
func (k *Kit) navHTML(p Person, path string) template.HTML {
	key := strings.Join(p.Roles, ",") + "\x00" + path
	if h, ok := k.navCache.Load(key); ok {
		return h.(template.HTML)
	}
	var b bytes.Buffer
	if err := k.fragments.ExecuteTemplate(&b, "nav", k.navFor(p, path)); err != nil {
		k.log.Error("render the navigation", "err", err)
		return ""
	}
	h := template.HTML(b.String())
	if k.navCount.Add(1) > 2000 {
		// Many distinct pages (ids in paths): start over rather than grow.
		k.navCache.Clear()
		k.navCount.Store(0)
	}
	k.navCache.Store(key, h)
	return h
}
