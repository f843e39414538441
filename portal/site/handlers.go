package site

import (
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"nanhu/internal/web"
)

func (s *Site) home(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.homePage)(w, r)
}
func (s *Site) area(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.areaPage)(w, r)
}
func (s *Site) column(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.columnPage)(w, r)
}
func (s *Site) article(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.articlePage)(w, r)
}
func (s *Site) section(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.sectionPage)(w, r)
}
func (s *Site) search(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.searchPage)(w, r)
}
func (s *Site) sitemap(w http.ResponseWriter, r *http.Request) error {
	return s.cachedPage(s.sitemapPage)(w, r)
}

// base is the site's address as the visitor reached it (a reverse proxy
// passes the Host and says https in X-Forwarded-Proto).
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type rss struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Language    string    `xml:"language"`
	LastBuild   string    `xml:"lastBuildDate,omitempty"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	PubDate     string `xml:"pubDate"`
	Description string `xml:"description,omitempty"`
}

// feed is a column's RSS 2.0 feed: its latest 20 items.
func (s *Site) feed(w http.ResponseWriter, r *http.Request) error {
	n, err := id(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.store.ColumnOf(ctx, n)
	if err != nil {
		return notFound(err)
	}
	sec, err := s.store.SectionOf(ctx, c.Section)
	if err != nil {
		return err
	}
	items, _, err := s.store.List(ctx, c.ID, 20, 0)
	if err != nil {
		return err
	}
	b := base(r)
	name := c.Name
	if sec.Code != "main" {
		name = sec.Name + " · " + c.Name
	}
	ch := rssChannel{Title: name + "_" + s.info().Name, Link: b + "/col/" + strconv.FormatInt(c.ID, 10),
		Description: s.info().Name + "「" + name + "」栏目的最新信息", Language: "zh-CN"}
	for i, it := range items {
		if i == 0 {
			ch.LastBuild = it.Published.Format(time.RFC1123Z)
		}
		link := b + "/art/" + strconv.FormatInt(it.ID, 10)
		item := rssItem{Title: it.Title, Link: link, GUID: link, PubDate: it.Published.Format(time.RFC1123Z)}
		if p, err := s.store.Page(ctx, it.ID); err == nil {
			item.Description = p.Fields.Summary
		}
		ch.Items = append(ch.Items, item)
	}
	out, err := xml.MarshalIndent(rss{Version: "2.0", Channel: ch}, "", "  ")
	if err != nil {
		return err
	}
	body := append([]byte(xml.Header), out...)
	return web.ServeCached(w, r, "application/rss+xml; charset=utf-8", body, web.Cache{Modified: s.store.Modified(), SharedMaxAge: s.opts.MaxAge})
}

type urlset struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL
}

type sitemapURL struct {
	XMLName xml.Name `xml:"url"`
	Loc     string   `xml:"loc"`
	LastMod string   `xml:"lastmod,omitempty"`
}

// sitemapXML is the sitemaps.org map of every page: the home page, the
// areas, sections and columns, and every published article.
func (s *Site) sitemapXML(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b := base(r)
	set := urlset{URLs: []sitemapURL{{Loc: b + "/", LastMod: s.store.Modified().UTC().Format(time.RFC3339)}, {Loc: b + "/sitemap"}}}
	for _, a := range areas {
		set.URLs = append(set.URLs, sitemapURL{Loc: b + "/area/" + a.Slug})
	}
	secs, err := s.store.Sections(ctx)
	if err != nil {
		return err
	}
	for _, sec := range secs {
		if sec.Code != "main" {
			set.URLs = append(set.URLs, sitemapURL{Loc: b + "/bm/" + sec.Code})
		}
	}
	cols, err := s.store.Columns(ctx, "")
	if err != nil {
		return err
	}
	for _, c := range cols {
		set.URLs = append(set.URLs, sitemapURL{Loc: b + "/col/" + strconv.FormatInt(c.ID, 10)})
	}
	entries, err := s.store.Entries(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		set.URLs = append(set.URLs, sitemapURL{Loc: b + "/art/" + strconv.FormatInt(e.ID, 10),
			LastMod: time.UnixMilli(e.Modified).UTC().Format(time.RFC3339)})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	body := append([]byte(xml.Header), out...)
	return web.ServeCached(w, r, "application/xml; charset=utf-8", body, web.Cache{Modified: s.store.Modified(), SharedMaxAge: s.opts.MaxAge})
}

// file serves an image or attachment of a published article.
func (s *Site) file(w http.ResponseWriter, r *http.Request) error {
	n, err := id(r, "id")
	if err != nil {
		return err
	}
	f, data, err := s.store.FileData(r.Context(), n, nil)
	if err != nil {
		return notFound(err)
	}
	disp := "attachment"
	if f.Image {
		disp = "inline"
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": f.Name}))
	return web.ServeCached(w, r, f.Type, data, web.Cache{Modified: f.At, MaxAge: time.Hour})
}

// elder turns 长者模式 on (on=1) or off, for a year, and goes back.
func (s *Site) elder(w http.ResponseWriter, r *http.Request) error {
	c := &http.Cookie{Name: elderCookie, Value: "1", Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil}
	if r.URL.Query().Get("on") != "1" {
		c.Value, c.MaxAge = "", -1
	}
	http.SetCookie(w, c)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

func (s *Site) robots(w http.ResponseWriter, r *http.Request) error {
	body := fmt.Sprintf("User-agent: *\nAllow: /\nDisallow: /search\nDisallow: /qiye/\nSitemap: %s/sitemap.xml\n", base(r))
	return web.ServeCached(w, r, "text/plain; charset=utf-8", []byte(body), web.Cache{MaxAge: time.Hour})
}
