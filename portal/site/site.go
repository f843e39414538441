// Package site is the public portal 中国南湖 as citizens see it: the home
// page, the function areas, the columns of the district and of every
// department, township and street, articles with their 有效性 and 解读,
// Chinese search, the site map, sitemap.xml and a feed per column.
//
// It answers on its own listener, which may face the internet: it is
// built on a public-only web kit, so no staff route can be registered
// here. Its one sign-in is an enterprise's (/qiye/, its own accounts and
// sessions, never a staff account), on pages that are never cached.
// Every page carries the
// footer and the meta tags the 2017 政府网站发展指引 requires, and is
// cacheable by a reverse proxy (ETag, Last-Modified, 304). A visitor's
// 长者模式 is a cookie, and the pages say Vary: Cookie.
package site

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"nanhu/internal/web"
	"nanhu/internal/workcal"
	"nanhu/portal/cases"
	"nanhu/portal/content"
	"nanhu/queue/contract"
)

//go:embed templates static
var embedded embed.FS

// Info is what every page carries: the site's identity and its footer,
// all from the configuration.
type Info struct {
	Name     string // 网站名称, the SiteName meta tag and every title's end
	Domain   string // SiteDomain: www.example.gov.cn
	IDCode   string // 政府网站标识码 (SiteIDCode), 10 characters
	Sponsor  string // 主办单位
	Operator string // 承办单位 (optional)
	Contact  string // 联系方式: phone, address, mail
	ICP      string // ICP备案号
	Police   string // 公安机关备案号
	// PoliceCode is the number in the 公安机关备案号, for its link.
	PoliceCode string
	// EmblemURL is where the 党政机关网站标识 links: the registration's
	// own page (empty: the emblem is shown without a link).
	EmblemURL string
	// Hotline is the 政务服务热线 shown with the inquiry columns.
	Hotline string
}

// DefaultInfo is the demo district's identity. A deployment sets its own
// in the configuration's [portal] section.
func DefaultInfo() Info {
	return Info{
		Name: "中国南湖", Domain: "www.nanhu.gov.cn", IDCode: "3304110001",
		Sponsor: "嘉兴市秀洲区人民政府办公室", Operator: "秀洲区人民政府办公室信息科",
		Contact: "电话：0573-82720000　地址：嘉兴市秀洲区洪兴西路 1 号　邮编：314031",
		ICP:     "浙ICP备05000000号", Police: "浙公网安备 33041102000001号", PoliceCode: "33041102000001",
		Hotline: "12345",
	}
}

// Options are what the site needs.
type Options struct {
	Store *content.Store
	Info  Info
	// MaxAge is how long a reverse proxy may keep a page without asking
	// again (60 s); browsers ask every time, and get a 304 while the
	// page is unchanged.
	MaxAge time.Duration
	// Enterprises, when set, opens the enterprise account pages (/qiye/).
	Enterprises *Enterprises
	// Letters, when set, opens the letter pages (/xiexin, /chaxun).
	Letters *Letters
	// Open311, when set, answers under /open311/v2/.
	Open311 http.Handler
	Logger  *slog.Logger
}

// Site is the public portal.
type Site struct {
	opts    Options
	store   *content.Store
	kit     *web.Kit
	log     *slog.Logger
	h       http.Handler
	pages   map[string]*web.Page
	ent     *Enterprises
	letters *Letters

	mu    sync.RWMutex
	cache map[string]cached // rendered pages of this generation
	gen   int64
	// site is the identity of this generation: the configuration's, with
	// the webmaster's settings over it.
	site    Info
	siteGen int64
	siteSet bool
}

// info is the site's identity now: Options.Info with the webmaster's
// settings (portal/content's SiteSettings) over it.
func (s *Site) info() Info {
	gen := s.store.Generation()
	s.mu.RLock()
	if s.siteSet && s.siteGen == gen {
		i := s.site
		s.mu.RUnlock()
		return i
	}
	s.mu.RUnlock()
	i := s.opts.Info
	m, err := s.store.SiteSettings(context.Background())
	if err != nil {
		s.log.Error("read the site settings", "err", err)
	}
	for k, v := range m {
		switch k {
		case "name":
			i.Name = v
		case "site_domain":
			i.Domain = v
		case "id_code":
			i.IDCode = v
		case "sponsor":
			i.Sponsor = v
		case "operator":
			i.Operator = v
		case "contact":
			i.Contact = v
		case "icp":
			i.ICP = v
		case "police":
			i.Police = v
		case "police_code":
			i.PoliceCode = v
		case "emblem_url":
			i.EmblemURL = v
		case "hotline":
			i.Hotline = v
		}
	}
	s.mu.Lock()
	s.site, s.siteGen, s.siteSet = i, gen, true
	s.mu.Unlock()
	return i
}

// cached is a rendered page and its entity tag.
type cached struct {
	body []byte
	etag string
}

var shanghai = workcal.Shanghai()

// New makes the site.
func New(opts Options) (*Site, error) {
	if opts.Store == nil {
		return nil, errors.New("site: Options.Store is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = time.Minute
	}
	if opts.Info.Name == "" {
		opts.Info = DefaultInfo()
	}
	static, _ := fs.Sub(embedded, "static")
	s := &Site{opts: opts, store: opts.Store, log: opts.Logger, pages: map[string]*web.Page{}, cache: map[string]cached{}}
	kit, err := web.New(web.Options{SiteName: opts.Info.Name, PublicOnly: true, Static: []fs.FS{static}, Logger: opts.Logger,
		Layout: embedded, LayoutFiles: []string{"templates/layout.html"}, Funcs: template.FuncMap{
			"date": func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.In(shanghai).Format("2006-01-02")
			},
			"datetime": func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.In(shanghai).Format("2006-01-02 15:04")
			},
			"lines": func(s string) []string {
				return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
			},
			"safe":       func(s string) template.HTML { return template.HTML(s) }, // bodies, sanitised on save
			"add":        func(a, b int) int { return a + b },
			"info":       s.info,
			"chrome":     chromeOf,
			"bytes":      web.FormatBytes,
			"letters":    func() bool { return s.letters != nil },
			"kindName":   func(k cases.Kind) string { return cases.KindNames[k] },
			"caseAction": cases.ActionName,
			"rating":     contract.RatingName,
			// ratings are the five levels by number, for the form.
			"ratings": func() map[int]string {
				m := map[int]string{}
				for i := 1; i < len(cases.Ratings); i++ {
					m[i] = cases.Ratings[i]
				}
				return m
			},
		}})
	if err != nil {
		return nil, err
	}
	s.kit = kit
	for _, name := range []string{"home", "area", "column", "article", "section", "search", "sitemap", "qiye", "qiye-login", "qiye-password", "xiexin", "xiexin-done", "chaxun", "jiandu", "laixin", "yishenqing"} {
		p, err := kit.Page(embedded, "templates/"+name+".html", "templates/parts.html")
		if err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		s.pages[name] = p
	}
	mux := http.NewServeMux()
	kit.Mount(mux)
	rt := kit.Router(mux)
	rt.Page("GET /{$}", web.Public, s.home)
	rt.Page("GET /area/{slug}", web.Public, s.area)
	rt.Page("GET /col/{id}", web.Public, s.column)
	rt.Page("GET /col/{id}/rss.xml", web.Public, s.feed)
	rt.Page("GET /art/{id}", web.Public, s.article)
	rt.Page("GET /bm/{code}", web.Public, s.section)
	rt.Page("GET /search", web.Public, s.search)
	rt.Page("GET /sitemap", web.Public, s.sitemap)
	rt.Page("GET /sitemap.xml", web.Public, s.sitemapXML)
	rt.Page("GET /files/{id}/{name}", web.Public, s.file)
	rt.Page("GET /elder", web.Public, s.elder)
	rt.Page("GET /robots.txt", web.Public, s.robots)
	if e := opts.Enterprises; e != nil {
		if e.Accounts == nil || e.Sessions == nil || e.Limiter == nil {
			return nil, errors.New("site: Options.Enterprises needs Accounts, Sessions and Limiter")
		}
		s.ent = e
		s.qiyeRoutes(rt)
	}
	if l := opts.Letters; l != nil {
		if l.Store == nil || l.Limiter == nil || l.Send == nil {
			return nil, errors.New("site: Options.Letters needs Store, Limiter and Send")
		}
		s.letters = l
		s.letterRoutes(rt)
	}
	if opts.Open311 != nil {
		rt.APIHandler("/open311/v2/", web.Public, opts.Open311)
	}
	s.h = kit.Secure(mux)
	return s, nil
}

// Name is the site's name now (网站名称).
func (s *Site) Name() string { return s.info().Name }

// Handler is the site's whole handler.
func (s *Site) Handler() http.Handler { return s.h }

// Kit is the site's public-only kit (its routes, for the tests).
func (s *Site) Kit() *web.Kit { return s.kit }

// id reads a numeric path value.
func id(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, web.NotFound("页面")
	}
	return n, nil
}
