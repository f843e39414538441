// Package web is the kit every staff and public page of Nanhu is built
// with, so that each page is safe by default and none re-implements it:
//
//   - sign-in against the organisation's directory with the same lockouts
//     as SMTP and IMAP, server-side sessions (package session), sign-out,
//     a page of one's own sessions and API tokens, and the API's HTTP
//     Basic and token authentication for tools;
//   - authorization: every route states what it requires (signed in, a
//     role), checked on the server; a denial is a 403 page in Chinese;
//   - CSRF: net/http's CrossOriginProtection on every state-changing
//     request, and a per-session form token that the server checks, for
//     the browsers that send neither Sec-Fetch-Site nor Origin;
//   - headers: a strict Content-Security-Policy (no inline script or
//     style), frame-ancestors 'none', nosniff, Referrer-Policy, HSTS over
//     HTTPS, and no caching of private pages (the back button after
//     sign-out shows nothing);
//   - html/template pages in one layout (header with the signed-in person,
//     navigation, footer), flash messages after POST-redirect-GET, forms
//     that come back with the input kept and the error beside the field,
//     pagination, long jobs with a progress bar, and errors as a Chinese
//     sentence for people (HTML, or JSON under /api/) with the cause and a
//     request id in the log;
//   - static files embedded in the binary, served under content-hashed
//     names with long cache lifetimes: no CDN, no outside font or script,
//     for government extranets have no internet. Every page works without
//     JavaScript; the one script only enhances.
//
// A part owns its pages: it parses its templates with Kit.Page, lists its
// routes with a Router, and its handlers are thin (parse the form, call
// the part's domain package, render).
package web

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web/session"
)

// Errors a Directory returns, wrapped in its own message.
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrDisabled       = errors.New("the account is disabled")
	ErrNotFound       = errors.New("no such person")
	ErrInvalid        = errors.New("the value is not valid")
)

// Person is the signed-in person, as every handler sees them.
type Person struct {
	Login       string
	Name        string
	Mobile      string // E.164, or empty
	Roles       []string
	Departments []Dept
	// Epoch is the account's auth epoch: when it changes (a new password,
	// the account disabled), the sessions begun before end.
	Epoch int64
}

// Dept is a person's place in a department.
type Dept struct {
	Code, Name, Title string
}

// HasRole reports whether p has role.
func (p Person) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// InDept reports whether p is a member of the department code.
func (p Person) InDept(code string) bool {
	return slices.ContainsFunc(p.Departments, func(d Dept) bool { return d.Code == code })
}

// Token is an API token as its owner sees it.
type Token struct {
	ID, Name          string
	Created, LastUsed time.Time
}

// Directory is the organisation's accounts as the web kit needs them.
type Directory interface {
	// Authenticate checks a login (or address) and password; it returns
	// ErrBadCredentials or ErrDisabled for a refusal.
	Authenticate(ctx context.Context, username, password string) (Person, error)
	// AuthenticateToken checks an API token the same way.
	AuthenticateToken(ctx context.Context, token string) (Person, error)
	// Person returns an enabled person; ErrNotFound or ErrDisabled else.
	Person(ctx context.Context, login string) (Person, error)
	// ChangePassword sets a new password after checking the old one
	// (ErrBadCredentials) and the new one (ErrInvalid, with the reason),
	// and returns the account's new auth epoch.
	ChangePassword(ctx context.Context, login, old, new string) (epoch int64, err error)
	// Tokens, CreateToken and RevokeToken manage a person's API tokens.
	Tokens(ctx context.Context, login string) ([]Token, error)
	CreateToken(ctx context.Context, login, name string) (string, Token, error)
	RevokeToken(ctx context.Context, login, id string) error
}

// Options configure the kit.
type Options struct {
	// SiteName is the name in every title and header: 南湖办公平台.
	SiteName string
	// Directory checks sign-ins (required).
	Directory Directory
	// Sessions is the session store (required for signed-in pages).
	Sessions *session.Store
	// Limiter holds the lockouts shared with SMTP and IMAP (required).
	Limiter *ratelimit.Limiter
	// TrustedOrigins may post although they are other origins
	// ("https://xxj.example.gov.cn").
	TrustedOrigins []string
	// HTTPSPort is where a person on plain HTTP from another machine is
	// sent to sign in (0: no such listener; sign-in then needs loopback).
	HTTPSPort int
	// Static holds more static files for the parts' pages (optional).
	Static []fs.FS
	// PersonTTL is how long a person, once read from the directory for a
	// page, serves the next pages (2 s). Changes made through the kit (an
	// administrator's, a person's new password) apply at once; one made
	// by another process (nanhu user passwd) within PersonTTL. Negative
	// reads the directory for every request.
	PersonTTL time.Duration
	// Logger receives a line per error with its cause and request id.
	Logger *slog.Logger
	// Now is the clock.
	Now func() time.Time

	// PublicOnly makes a kit for a listener that faces the internet (the
	// portal): no sign-in, no sessions, and a route that requires anything
	// but Public cannot be registered on it (the router panics), so no
	// staff page can ever answer there. Directory and Limiter are then
	// not needed.
	PublicOnly bool
	// Layout and LayoutFiles are a part's own layout: templates parsed
	// after the kit's, so they may redefine "layout" (and "error-links",
	// the links under an error) for every page of this kit, the kit's
	// error page included.
	Layout      fs.FS
	LayoutFiles []string
	// Funcs are more template functions for every page of this kit.
	Funcs template.FuncMap
}

// Kit is the web kit of one listener's pages.
type Kit struct {
	opts   Options
	log    *slog.Logger
	dir    Directory
	ss     *session.Store
	lim    *ratelimit.Limiter
	cop    *http.CrossOriginProtection
	assets *assets
	base   *pageSet
	creds  *credCache
	people *personCache
	jobs   *Jobs
	// head and brand are the parts of the layout that never change.
	head, brand template.HTML
	// fragments renders the layout's partials (head, brand, nav) alone.
	fragments *template.Template

	navCache sync.Map // roles and path → rendered navigation
	navCount atomic.Int64

	mu     sync.Mutex
	nav    []NavItem
	routes []RouteInfo

	pages struct {
		login, account, failed, job *Page
	}
}

// New makes a kit.
func New(opts Options) (*Kit, error) {
	if !opts.PublicOnly && (opts.Directory == nil || opts.Limiter == nil) {
		return nil, errors.New("web: Options.Directory and Options.Limiter are required")
	}
	if opts.PublicOnly {
		opts.Sessions = nil
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SiteName == "" {
		opts.SiteName = "南湖办公平台"
	}
	if opts.PersonTTL == 0 {
		opts.PersonTTL = 2 * time.Second
	}
	k := &Kit{opts: opts, log: opts.Logger, dir: opts.Directory, ss: opts.Sessions, lim: opts.Limiter,
		creds: newCredCache(), people: &personCache{ttl: opts.PersonTTL, m: map[string]cachedPerson{}}, jobs: newJobs(opts.Now)}
	k.cop = http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if err := k.cop.AddTrustedOrigin(strings.TrimSuffix(o, "/")); err != nil {
			return nil, err
		}
	}
	k.cop.SetDenyHandler(http.HandlerFunc(k.crossOriginDenied))
	var err error
	if k.assets, err = newAssets(append([]fs.FS{staticFS}, opts.Static...)); err != nil {
		return nil, err
	}
	if k.base, err = newPageSet(k); err != nil {
		return nil, err
	}
	if err := k.parseOwnPages(); err != nil {
		return nil, err
	}
	// The fragments execute on a copy: a template that has executed can
	// no longer be cloned for the parts' pages.
	if k.fragments, err = k.base.base.Clone(); err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := k.fragments.ExecuteTemplate(&b, "assets", k.opts.SiteName); err != nil {
		return nil, err
	}
	k.head = template.HTML(b.String())
	b.Reset()
	if err := k.fragments.ExecuteTemplate(&b, "brand", k.opts.SiteName); err != nil {
		return nil, err
	}
	k.brand = template.HTML(b.String())
	return k, nil
}

// Jobs is the registry of long jobs shown with a progress bar.
func (k *Kit) Jobs() *Jobs { return k.jobs }

// clientIP is the request's peer address.
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// secureEnough reports whether credentials may be taken on r: over TLS,
// or on plain HTTP from the machine itself.
// SecureEnough reports whether a password may cross r's connection: TLS,
// or a peer on this machine (a reverse proxy that ended TLS).
func SecureEnough(r *http.Request) bool { return secureEnough(r) }

// ClientIP is r's peer address.
func ClientIP(r *http.Request) netip.Addr { return clientIP(r) }

func secureEnough(r *http.Request) bool {
	return r.TLS != nil || clientIP(r).IsLoopback()
}

// crossOriginDenied answers a state-changing request that a browser sent
// from another site.
func (k *Kit) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	k.log.Warn("cross-origin request refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
		"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "request_id", requestID(r))
	k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "请求来自其他网站，已被拒绝。请从本系统的页面提交。"})
}

// personCache remembers people read for sign-in checks, briefly.
type personCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedPerson
}

type cachedPerson struct {
	p  Person
	at time.Time
}

func (c *personCache) get(login string, now time.Time) (Person, bool) {
	if c.ttl < 0 {
		return Person{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[login]
	if !ok || now.Sub(e.at) >= c.ttl || now.Before(e.at) {
		return Person{}, false
	}
	return e.p, true
}

func (c *personCache) put(p Person, now time.Time) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[p.Login] = cachedPerson{p: p, at: now}
}

func (c *personCache) forget(login string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, login)
}

// person reads login from the directory, or from what was read in the
// last PersonTTL.
func (k *Kit) person(ctx context.Context, login string) (Person, error) {
	now := time.Now()
	if p, ok := k.people.get(login, now); ok {
		return p, nil
	}
	p, err := k.dir.Person(ctx, login)
	if err != nil {
		return p, err
	}
	k.people.put(p, now)
	return p, nil
}
