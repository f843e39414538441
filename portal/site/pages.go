package site

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/web"
	"nanhu/portal/content"
)

// box is a column with its latest items, as the home, area and section
// pages show it.
type box struct {
	Column content.Column
	Items  []content.Item
	More   bool
}

type homeView struct {
	chrome
	Headline *content.Page
	Boxes    []box
	Depts    []content.Section
	Towns    []content.Section
	Interact []content.Column
	Hotline  string
}

// cachedPage answers with the page f builds, rendered once per change of
// the portal and per 长者模式: a second visitor gets the same bytes.
func (s *Site) cachedPage(f func(r *http.Request) (string, web.View, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.URL.RequestURI()
		if isElder(r) {
			key += "#elder"
		}
		gen := s.store.Generation()
		c := web.Cache{Modified: s.store.Modified(), SharedMaxAge: s.opts.MaxAge, Vary: "Cookie"}
		if hit, ok := s.lookup(gen, key); ok {
			c.ETag = hit.etag
			return web.ServeCached(w, r, "text/html; charset=utf-8", hit.body, c)
		}
		name, v, err := f(r)
		if err != nil {
			return err
		}
		body, err := s.kit.PublicBytes(r, s.pages[name], v)
		if err != nil {
			return err
		}
		c.ETag = web.ETagOf(body)
		s.remember(gen, key, cached{body: body, etag: c.ETag})
		return web.ServeCached(w, r, "text/html; charset=utf-8", body, c)
	}
}

// maxCached bounds the rendered pages kept (search pages with every
// query a visitor makes up would fill memory otherwise).
const maxCached = 5000

func (s *Site) lookup(gen int64, key string) (cached, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.gen != gen {
		return cached{}, false
	}
	c, ok := s.cache[key]
	return c, ok
}

func (s *Site) remember(gen int64, key string, c cached) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		s.gen, s.cache = gen, map[string]cached{}
	}
	if len(s.cache) < maxCached {
		s.cache[key] = c
	}
}

func (s *Site) boxes(ctx context.Context, cols []content.Column, n int) ([]box, error) {
	var out []box
	for _, c := range cols {
		items, total, err := s.store.List(ctx, c.ID, n, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, box{Column: c, Items: items, More: total > len(items)})
	}
	return out, nil
}

func (s *Site) homePage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	cols, err := s.store.Columns(ctx, "main")
	if err != nil {
		return "", web.View{}, err
	}
	v := &homeView{chrome: newChrome(r, "home"), Hotline: s.info().Hotline}
	v.Description = s.info().Name + "：" + s.info().Sponsor + "主办的政府门户网站，发布政府信息，提供办事服务和互动交流。"
	var onHome []content.Column
	for _, c := range cols {
		if c.Home {
			onHome = append(onHome, c)
		}
		if c.Kind == content.KindInteract {
			v.Interact = append(v.Interact, c)
		}
	}
	if v.Boxes, err = s.boxes(ctx, onHome, 7); err != nil {
		return "", web.View{}, err
	}
	if len(v.Boxes) > 0 && len(v.Boxes[0].Items) > 0 {
		p, err := s.store.Page(ctx, v.Boxes[0].Items[0].ID)
		if err == nil {
			v.Headline = &p
		}
	}
	secs, err := s.store.Sections(ctx)
	if err != nil {
		return "", web.View{}, err
	}
	for _, sec := range secs {
		switch sec.Kind {
		case content.SectionDepartment:
			v.Depts = append(v.Depts, sec)
		case content.SectionTownship, content.SectionStreet:
			v.Towns = append(v.Towns, sec)
		}
	}
	return "home", web.View{Data: v}, nil
}

type areaView struct {
	chrome
	Name  string
	Boxes []box
	Pages []content.Column // standing pages and inquiry channels: links
}

func (s *Site) areaPage(r *http.Request) (string, web.View, error) {
	slug := r.PathValue("slug")
	var name string
	for _, a := range areas {
		if a.Slug == slug {
			name = a.Name
		}
	}
	if name == "" {
		return "", web.View{}, web.NotFound("没有这个栏目。")
	}
	cols, err := s.store.Columns(r.Context(), "main")
	if err != nil {
		return "", web.View{}, err
	}
	v := &areaView{chrome: newChrome(r, slug, home, crumb{Name: name}), Name: name}
	var lists []content.Column
	for _, c := range cols {
		if c.Area != name {
			continue
		}
		switch c.Kind {
		case content.KindPage, content.KindLeaders, content.KindInteract, content.KindCatalogue:
			v.Pages = append(v.Pages, c)
		default:
			lists = append(lists, c)
		}
	}
	if v.Boxes, err = s.boxes(r.Context(), lists, 6); err != nil {
		return "", web.View{}, err
	}
	return "area", web.View{Title: name, Data: v}, nil
}

type columnView struct {
	chrome
	Section content.Section
	Col     content.Column
	Items   []content.Item
	Pager   web.Pager
	// Standing is the page of a 概况 or 机构职能 column.
	Standing *content.Page
	Sections []content.Section // the catalogue's filter
	Filter   string
	Hotline  string
	Info     Info
}

// perPage is a list's length.
const perPage = 20

func (s *Site) columnPage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	n, err := id(r, "id")
	if err != nil {
		return "", web.View{}, err
	}
	c, err := s.store.ColumnOf(ctx, n)
	if err != nil {
		return "", web.View{}, notFound(err)
	}
	sec, err := s.store.SectionOf(ctx, c.Section)
	if err != nil {
		return "", web.View{}, err
	}
	v := &columnView{chrome: newChrome(r, areaOf(sec, c), s.crumbs(sec, c, false)...), Section: sec, Col: c, Hotline: s.info().Hotline, Info: s.info()}
	v.Column = &v.Col
	v.Description = c.Description
	switch c.Kind {
	case content.KindPage, content.KindLeaders:
		items, _, err := s.store.List(ctx, c.ID, 1, 0)
		if err != nil {
			return "", web.View{}, err
		}
		if len(items) > 0 {
			p, err := s.store.Page(ctx, items[0].ID)
			if err != nil {
				return "", web.View{}, err
			}
			v.Standing = &p
		}
	case content.KindInteract:
	case content.KindCatalogue:
		v.Filter = r.URL.Query().Get("bm")
		if v.Sections, err = s.store.Sections(ctx); err != nil {
			return "", web.View{}, err
		}
		_, total, err := s.store.Catalogue(ctx, v.Filter, 0, 0)
		if err != nil {
			return "", web.View{}, err
		}
		v.Pager = web.NewPager(r, perPage, total)
		if v.Items, _, err = s.store.Catalogue(ctx, v.Filter, perPage, v.Pager.Offset()); err != nil {
			return "", web.View{}, err
		}
	default:
		v.Feed = "/col/" + strconv.FormatInt(c.ID, 10) + "/rss.xml"
		_, total, err := s.store.List(ctx, c.ID, 0, 0)
		if err != nil {
			return "", web.View{}, err
		}
		v.Pager = web.NewPager(r, perPage, total)
		if v.Items, _, err = s.store.List(ctx, c.ID, perPage, v.Pager.Offset()); err != nil {
			return "", web.View{}, err
		}
	}
	return "column", web.View{Title: c.Name, Data: v}, nil
}

// areaOf is the navigation entry a column is under: its area on the
// district's pages; none on a department's.
func areaOf(sec content.Section, c content.Column) string {
	if sec.Code != "main" {
		return ""
	}
	return areaSlug(c.Area)
}

// crumbs lead from the home page to column c (linked when link).
func (s *Site) crumbs(sec content.Section, c content.Column, link bool) []crumb {
	out := []crumb{home}
	if sec.Code == "main" {
		if a := areaSlug(c.Area); a != "" {
			out = append(out, crumb{Name: c.Area, Href: "/area/" + a})
		}
	} else {
		out = append(out, crumb{Name: sec.Name, Href: "/bm/" + sec.Code})
	}
	cc := crumb{Name: c.Name}
	if link {
		cc.Href = "/col/" + strconv.FormatInt(c.ID, 10)
	}
	return append(out, cc)
}

func notFound(err error) error {
	if content.CodeOf(err) == "not-found" {
		return web.NotFound("没有找到这个页面：它可能已被撤下，或者地址有误。")
	}
	return err
}

type articleView struct {
	chrome
	Page content.Page
	// Images and Attachments are the files, apart.
	Cover       *content.File
	Attachments []content.File
}

func (s *Site) articlePage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	n, err := id(r, "id")
	if err != nil {
		return "", web.View{}, err
	}
	p, err := s.store.Page(ctx, n)
	if err != nil {
		return "", web.View{}, notFound(err)
	}
	crumbs := append(s.crumbs(p.Section, p.Column, true), crumb{Name: "正文"})
	v := &articleView{chrome: newChrome(r, areaOf(p.Section, p.Column), crumbs...), Page: p}
	v.Column, v.Article = &v.Page.Column, &v.Page
	v.Description = p.Fields.Summary
	for i, f := range p.Files {
		// The cover heads the page unless the body already shows it.
		if f.ID == p.Fields.Cover && !strings.Contains(p.Fields.Body, `src="/files/`+strconv.FormatInt(f.ID, 10)+`/`) {
			v.Cover = &p.Files[i]
		}
		if !f.Image {
			v.Attachments = append(v.Attachments, f)
		}
	}
	return "article", web.View{Title: p.Fields.Title, Data: v}, nil
}

type sectionView struct {
	chrome
	Section content.Section
	Boxes   []box
	Pages   []content.Column
}

func (s *Site) sectionPage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	sec, err := s.store.SectionOf(ctx, r.PathValue("code"))
	if err != nil || sec.Code == "main" {
		return "", web.View{}, web.NotFound("没有这个部门或镇街的网页。")
	}
	cols, err := s.store.Columns(ctx, sec.Code)
	if err != nil {
		return "", web.View{}, err
	}
	v := &sectionView{chrome: newChrome(r, "", home, crumb{Name: "站点导航", Href: "/sitemap"}, crumb{Name: sec.Name}), Section: sec}
	var lists []content.Column
	for _, c := range cols {
		if c.Kind == content.KindPage || c.Kind == content.KindLeaders {
			v.Pages = append(v.Pages, c)
		} else {
			lists = append(lists, c)
		}
	}
	if v.Boxes, err = s.boxes(ctx, lists, 6); err != nil {
		return "", web.View{}, err
	}
	return "section", web.View{Title: sec.Name, Data: v}, nil
}

type searchView struct {
	chrome
	Results  content.Results
	Pager    web.Pager
	Columns  []content.Column
	Sections []content.Section
	Col      int64
	Sec      string
	From, To string
	Problem  string
	Names    map[int64]string // column id → "section · column"
}

func (s *Site) searchPage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	q := r.URL.Query()
	v := &searchView{chrome: newChrome(r, "", home, crumb{Name: "站内搜索"}), Names: map[int64]string{}}
	v.Query = q.Get("q")
	if len([]rune(v.Query)) > 100 {
		v.Query = string([]rune(v.Query)[:100])
	}
	var err error
	if v.Sections, err = s.store.Sections(ctx); err != nil {
		return "", web.View{}, err
	}
	if v.Columns, err = s.store.Columns(ctx, "main"); err != nil {
		return "", web.View{}, err
	}
	all, err := s.store.Columns(ctx, "")
	if err != nil {
		return "", web.View{}, err
	}
	secName := map[string]string{}
	for _, sec := range v.Sections {
		secName[sec.Code] = sec.Name
	}
	for _, c := range all {
		v.Names[c.ID] = secName[c.Section] + " · " + c.Name
	}
	query := content.Query{Text: v.Query}
	if c := q.Get("col"); c != "" {
		if query.Column, err = strconv.ParseInt(c, 10, 64); err != nil {
			v.Problem = "栏目选择有误，已按全部栏目搜索。"
			query.Column = 0
		}
	}
	v.Col = query.Column
	if sec := q.Get("bm"); sec != "" {
		if _, ok := secName[sec]; ok {
			query.Section, v.Sec = sec, sec
		} else {
			v.Problem = "部门选择有误，已按全部部门搜索。"
		}
	}
	for _, d := range []struct {
		field string
		to    *time.Time
		keep  *string
		next  bool
	}{{"from", &query.From, &v.From, false}, {"to", &query.To, &v.To, true}} {
		val := q.Get(d.field)
		if val == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", val, shanghai)
		if err != nil {
			v.Problem = "日期要写成 2026-03-05 这样的形式，已忽略有误的日期。"
			continue
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.to, *d.keep = t, val
	}
	if v.Query != "" {
		page := web.NewPager(r, 10, 0)
		query.Limit, query.Offset = 10, page.Offset()
		if v.Results, err = s.store.Search(ctx, query); err != nil {
			return "", web.View{}, err
		}
		v.Pager = web.NewPager(r, 10, v.Results.Total)
	}
	title := "站内搜索"
	if v.Query != "" {
		title = v.Query + " - 站内搜索"
	}
	return "search", web.View{Title: title, Data: v}, nil
}

type sitemapView struct {
	chrome
	Groups []sitemapGroup
}

type sitemapGroup struct {
	Section content.Section
	Areas   []sitemapArea
}

type sitemapArea struct {
	Name    string
	Slug    string
	Columns []content.Column
}

func (s *Site) sitemapPage(r *http.Request) (string, web.View, error) {
	ctx := r.Context()
	secs, err := s.store.Sections(ctx)
	if err != nil {
		return "", web.View{}, err
	}
	cols, err := s.store.Columns(ctx, "")
	if err != nil {
		return "", web.View{}, err
	}
	v := &sitemapView{chrome: newChrome(r, "", home, crumb{Name: "站点导航"})}
	for _, sec := range secs {
		g := sitemapGroup{Section: sec}
		for _, c := range cols {
			if c.Section != sec.Code {
				continue
			}
			name := c.Area
			if sec.Code != "main" {
				name = ""
			}
			if len(g.Areas) == 0 || g.Areas[len(g.Areas)-1].Name != name {
				g.Areas = append(g.Areas, sitemapArea{Name: name, Slug: areaSlug(name)})
			}
			a := &g.Areas[len(g.Areas)-1]
			a.Columns = append(a.Columns, c)
		}
		v.Groups = append(v.Groups, g)
	}
	return "sitemap", web.View{Title: "站点导航", Data: v}, nil
}
