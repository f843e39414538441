package site

import (
	"net/http"
	"net/url"
	"strings"

	"nanhu/portal/content"
)

// area is a function area of the navigation.
type area struct {
	Slug, Name string
}

// areas are the navigation's function areas, in content.Areas' order.
var areas = []area{
	{"xxfb", content.AreaPublish}, {"jdhy", content.AreaInterpret}, {"bsfw", content.AreaService},
	{"hdjl", content.AreaInteract}, {"csxx", content.AreaCity}, {"snfw", content.AreaFarm}, {"qyfw", content.AreaBusiness},
}

func areaSlug(name string) string {
	for _, a := range areas {
		if a.Name == name {
			return a.Slug
		}
	}
	return ""
}

// crumb is a step of the breadcrumbs; the last has no link.
type crumb struct {
	Name, Href string
}

// chrome is what the layout needs of every page: the visitor's 长者模式,
// the navigation, the breadcrumbs, and the meta tags of column and
// article pages.
type chrome struct {
	Elder     bool
	ElderLink string
	Area      string // the current area's slug, "home" on the home page
	Areas     []area
	Crumbs    []crumb
	Column    *content.Column
	Article   *content.Page
	// Description is the page's meta description.
	Description string
	// Feed is the column's RSS address.
	Feed  string
	Query string
}

func (c *chrome) chromeData() *chrome { return c }

// chromeOf is the chrome of a page's data; the kit's own pages (an
// error) get the plain one.
func chromeOf(data any) *chrome {
	if x, ok := data.(interface{ chromeData() *chrome }); ok {
		return x.chromeData()
	}
	return &chrome{Areas: areas, ElderLink: "/elder?on=1&next=/"}
}

// elderCookie keeps a visitor's 长者模式.
const elderCookie = "elder"

func isElder(r *http.Request) bool {
	c, err := r.Cookie(elderCookie)
	return err == nil && c.Value == "1"
}

// newChrome is the chrome of r's page.
func newChrome(r *http.Request, areaSlug string, crumbs ...crumb) chrome {
	c := chrome{Elder: isElder(r), Area: areaSlug, Areas: areas, Crumbs: crumbs}
	on := "1"
	if c.Elder {
		on = "0"
	}
	c.ElderLink = "/elder?on=" + on + "&next=" + url.QueryEscape(r.URL.RequestURI())
	return c
}

// home is the first crumb.
var home = crumb{Name: "首页", Href: "/"}

// safeNext is a path on this site to go back to, "/" for anything else.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
