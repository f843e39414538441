package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"nanhu/internal/web/session"
)

// Rule is what a route requires of the person asking.
type Rule struct {
	public bool
	roles  []string
}

// The rules a route may state.
var (
	// Public: anyone, signed in or not (the sign-in page, the portal).
	Public = Rule{public: true}
	// SignedIn: any signed-in person.
	SignedIn = Rule{}
)

// AnyRole: a signed-in person with at least one of roles.
func AnyRole(roles ...string) Rule { return Rule{roles: roles} }

// Roles are the roles of which the rule requires one (none: any person).
func (r Rule) Roles() []string { return r.roles }

// Allows reports whether p (the zero Person for nobody) may pass.
func (r Rule) Allows(p Person) bool {
	if r.public {
		return true
	}
	if p.Login == "" {
		return false
	}
	return len(r.roles) == 0 || slices.ContainsFunc(r.roles, p.HasRole)
}

func (r Rule) String() string {
	switch {
	case r.public:
		return "public"
	case len(r.roles) == 0:
		return "signed in"
	}
	return "role " + strings.Join(r.roles, " or ")
}

// Handler serves one route; an error it returns becomes the error page
// (or JSON) through Kit.Fail.
type Handler func(w http.ResponseWriter, r *http.Request) error

// RouteInfo is one route as registered: tests walk them to try every
// forbidden path.
type RouteInfo struct {
	Method, Pattern string
	Rule            Rule
	API             bool
}

// Router registers a part's routes on a mux, each behind the kit's
// checks. Its methods take Go's ServeMux patterns ("GET /admin/people").
type Router struct {
	k   *Kit
	mux *http.ServeMux
}

// Router returns a router onto mux.
func (k *Kit) Router(mux *http.ServeMux) *Router { return &Router{k: k, mux: mux} }

func (rt *Router) record(pattern string, rule Rule, api bool) {
	if rt.k.opts.PublicOnly && !rule.public {
		panic("web: " + pattern + " requires " + rule.String() + ", and this kit serves public pages only")
	}
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	rt.k.mu.Lock()
	rt.k.routes = append(rt.k.routes, RouteInfo{Method: method, Pattern: path, Rule: rule, API: api})
	rt.k.mu.Unlock()
}

// Page registers a page route: HTML errors, session sign-in (a person
// signed out is sent to the sign-in page), form token and origin checks on
// every state-changing request, no caching of anything private.
func (rt *Router) Page(pattern string, rule Rule, h Handler) {
	rt.record(pattern, rule, false)
	rt.mux.Handle(pattern, rt.k.page(rule, h))
}

// API registers an API route: JSON errors, HTTP Basic, API tokens or the
// session (with its token in X-CSRF-Token for a change), over TLS or from
// loopback.
func (rt *Router) API(pattern string, rule Rule, h Handler) {
	rt.record(pattern, rule, true)
	rt.mux.Handle(pattern, rt.k.api(rule, h))
}

// APIHandler registers an http.Handler of a part's own (the SMS API, an
// event stream) behind the API's checks.
func (rt *Router) APIHandler(pattern string, rule Rule, h http.Handler) {
	rt.API(pattern, rule, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}

// Routes lists every route registered through the kit's routers.
func (k *Kit) Routes() []RouteInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.routes)
}

type ctxKey int

// keyState holds a request's *requestState: set once by Secure (one
// context value, one copy of the request), filled in by the routes.
const keyState ctxKey = 0

// requestState is what the kit knows of a request.
type requestState struct {
	id      string
	person  Person
	session *session.Session
}

func stateOf(r *http.Request) *requestState {
	st, _ := r.Context().Value(keyState).(*requestState)
	return st
}

// PersonOf is the person signed in on r (the zero Person for nobody).
func PersonOf(r *http.Request) Person {
	if st := stateOf(r); st != nil {
		return st.person
	}
	return Person{}
}

// LoginOf is the login signed in on r, "" for nobody.
func LoginOf(r *http.Request) string { return PersonOf(r).Login }

// SessionOf is the browser session of r, nil when r came with HTTP Basic,
// a token, or nothing.
func SessionOf(r *http.Request) *session.Session {
	if st := stateOf(r); st != nil {
		return st.session
	}
	return nil
}

// withPerson records who r comes from.
func withPerson(r *http.Request, p Person, s *session.Session) *http.Request {
	st := stateOf(r)
	if st == nil {
		st = &requestState{}
		r = r.WithContext(context.WithValue(r.Context(), keyState, st))
	}
	st.person, st.session = p, s
	return r
}

// unsafeMethod reports whether the method may change something.
func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// noStore is the Cache-Control of everything private (shared, never
// changed).
var noStore = []string{"no-store"}

// maxFormBytes bounds a form without files.
const maxFormBytes = 1 << 20

func (k *Kit) page(rule Rule, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !secureEnough(r) && k.opts.HTTPSPort > 0 {
			k.toHTTPS(w, r)
			return
		}
		person, sess, err := k.signedIn(w, r)
		if err != nil {
			k.Fail(w, r, err)
			return
		}
		if !rule.public {
			// Nothing private may be kept by the browser: after sign-out
			// the back button must show nothing.
			w.Header()["Cache-Control"] = noStore
		}
		if person.Login == "" && !rule.public {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			k.Fail(w, r, &Error{Status: http.StatusUnauthorized, Message: "请先登录，或您的登录已过期，请重新登录。"})
			return
		}
		r = withPerson(r, person, sess)
		if !rule.Allows(person) {
			k.log.Warn("forbidden", "login", person.Login, "method", r.Method, "path", r.URL.Path, "needs", rule.String(), "request_id", requestID(r))
			k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "您没有权限访问此页面或执行此操作。如需权限，请联系系统管理员。"})
			return
		}
		if unsafeMethod(r.Method) {
			if err := k.cop.Check(r); err != nil {
				k.crossOriginDenied(w, r)
				return
			}
			if !k.formTokenOK(w, r, sess) {
				k.log.Warn("form token refused", "login", person.Login, "path", r.URL.Path, "request_id", requestID(r))
				k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "表单已过期或来源不明，请返回上一页，刷新后重新提交。"})
				return
			}
		}
		if err := h(w, r); err != nil {
			k.Fail(w, r, err)
		}
	})
}

// toHTTPS sends a page request on plain HTTP from another machine to the
// HTTPS listener: passwords and sessions never cross a network in clear.
func (k *Kit) toHTTPS(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	} else if strings.HasPrefix(host, "[") {
		host = host[:strings.Index(host, "]")+1]
	}
	target := fmt.Sprintf("https://%s:%d%s", host, k.opts.HTTPSPort, r.URL.RequestURI())
	if k.opts.HTTPSPort == 443 {
		target = "https://" + host + r.URL.RequestURI()
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
		return
	}
	k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "请通过 HTTPS 访问本系统：" + target})
}

// formTokenOK checks the form token of a state-changing page request:
// the session's, or before sign-in the one of the pre-session cookie.
func (k *Kit) formTokenOK(w http.ResponseWriter, r *http.Request, sess *session.Session) bool {
	var got string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBytes)
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return false
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	got = r.PostFormValue(CSRFField)
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	if sess != nil {
		return sess.CheckCSRF(got)
	}
	return preSessionTokenOK(r, got)
}

func (k *Kit) api(rule Rule, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule.public {
			if err := h(w, r); err != nil {
				k.Fail(w, r, err)
			}
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !secureEnough(r) {
			k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "登录只能通过 HTTPS 进行（log in over HTTPS）"})
			return
		}
		if unsafeMethod(r.Method) {
			if ct := r.Header.Get("Content-Type"); r.ContentLength != 0 && !strings.HasPrefix(ct, "application/json") {
				k.Fail(w, r, &Error{Status: http.StatusUnsupportedMediaType, Message: "请求体必须是 JSON（send Content-Type: application/json）"})
				return
			}
			if err := k.cop.Check(r); err != nil {
				k.crossOriginDenied(w, r)
				return
			}
		}
		person, sess, err := k.apiCaller(w, r)
		if err != nil {
			k.Fail(w, r, err)
			return
		}
		if sess != nil && unsafeMethod(r.Method) && !sess.CheckCSRF(r.Header.Get("X-CSRF-Token")) {
			k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "缺少或错误的 X-CSRF-Token（a change through the session needs its form token）"})
			return
		}
		if !rule.Allows(person) {
			k.log.Warn("http forbidden", "user", person.Login, "path", r.URL.Path, "need", rule.String(), "request_id", requestID(r))
			k.Fail(w, r, &Error{Status: http.StatusForbidden, Message: "没有权限（your account may not do this）"})
			return
		}
		if err := h(w, withPerson(r, person, sess)); err != nil {
			k.Fail(w, r, err)
		}
	})
}
