package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web/session"
)

// fakeDir is an in-memory directory of people.
type fakeDir struct {
	broken bool // the database fails
	mu     sync.Mutex
	people map[string]*fakePerson
	tokens map[string]string // token → login
}

type fakePerson struct {
	pass     string
	p        Person
	disabled bool
}

func newFakeDir() *fakeDir {
	d := &fakeDir{people: map[string]*fakePerson{}, tokens: map[string]string{"nanhu_secret": "zhangwei"}}
	d.people["zhangwei"] = &fakePerson{pass: "right-password", p: Person{Login: "zhangwei", Name: "张伟", Departments: []Dept{{Code: "qzf", Name: "秀洲区人民政府", Title: "区长"}}}}
	d.people["admin"] = &fakePerson{pass: "admin-password", p: Person{Login: "admin", Name: "系统管理员", Roles: []string{"admin"}}}
	return d
}

func (d *fakeDir) Authenticate(_ context.Context, user, pass string) (Person, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fp, ok := d.people[strings.ToLower(user)]
	if !ok || fp.pass != pass {
		return Person{}, fmt.Errorf("%w: %s", ErrBadCredentials, user)
	}
	if fp.disabled {
		return Person{}, ErrDisabled
	}
	return fp.p, nil
}

func (d *fakeDir) AuthenticateToken(_ context.Context, token string) (Person, error) {
	d.mu.Lock()
	login, ok := d.tokens[token]
	d.mu.Unlock()
	if !ok {
		return Person{}, ErrBadCredentials
	}
	return d.Person(context.Background(), login)
}

func (d *fakeDir) Person(_ context.Context, login string) (Person, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken {
		return Person{}, errors.New("disk I/O error")
	}
	fp, ok := d.people[login]
	switch {
	case !ok:
		return Person{}, ErrNotFound
	case fp.disabled:
		return Person{}, ErrDisabled
	}
	return fp.p, nil
}

func (d *fakeDir) ChangePassword(_ context.Context, login, old, nw string) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fp := d.people[login]
	if fp.pass != old {
		return 0, ErrBadCredentials
	}
	if len(nw) < 10 {
		return 0, fmt.Errorf("%w: the password must be at least 10 characters long", ErrInvalid)
	}
	fp.pass = nw
	fp.p.Epoch++
	return fp.p.Epoch, nil
}

func (d *fakeDir) Tokens(context.Context, string) ([]Token, error) { return nil, nil }
func (d *fakeDir) CreateToken(_ context.Context, login, name string) (string, Token, error) {
	return "nanhu_new", Token{ID: "t1", Name: name}, nil
}
func (d *fakeDir) RevokeToken(context.Context, string, string) error { return ErrNotFound }

// set changes a person (disable, new epoch) as an administrator would.
func (d *fakeDir) set(login string, f func(*fakePerson)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.people[login])
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	kit   *Kit
	dir   *fakeDir
	ss    *session.Store
	srv   *httptest.Server
	clock *clock
	lim   *ratelimit.Limiter
}

func newEnv(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	ss, err := session.Open(context.Background(), session.Options{Path: filepath.Join(t.TempDir(), "web.db"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	e := &env{t: t, dir: newFakeDir(), ss: ss, clock: c, lim: ratelimit.New(ratelimit.Options{AuthFailuresPerUser: 3, Lockout: 15 * time.Minute}, c.now)}
	// Changes made in the fake directory are "elsewhere": read every time.
	o := Options{Directory: e.dir, Sessions: ss, Limiter: e.lim, Now: c.now, PersonTTL: -1}
	for _, m := range mod {
		m(&o)
	}
	if e.kit, err = New(o); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.kit.Mount(mux)
	rt := e.kit.Router(mux)
	page := e.kit.MustPage(fstest.MapFS{"text.html": {Data: []byte(`{{define "content"}}<p>{{.Data}}</p>{{end}}`)}}, "text.html")
	rt.Page("GET /{$}", SignedIn, func(w http.ResponseWriter, r *http.Request) error {
		return e.kit.Render(w, r, page, View{Title: "工作台", Data: "你好，" + PersonOf(r).Name})
	})
	rt.Page("POST /things", SignedIn, func(w http.ResponseWriter, r *http.Request) error {
		return e.kit.Redirect(w, r, "/", "已保存")
	})
	rt.Page("GET /admin/x", AnyRole("admin"), func(w http.ResponseWriter, r *http.Request) error {
		return e.kit.Render(w, r, page, View{Title: "管理", Data: "admin only"})
	})
	rt.API("GET /api/v1/me", SignedIn, func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.WriteString(w, `{"login":"`+LoginOf(r)+`"}`)
		return err
	})
	rt.API("PUT /api/v1/me", SignedIn, func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.WriteString(w, `{"changed":true}`)
		return err
	})
	rt.Page("GET /boom", Public, func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	e.srv = httptest.NewServer(e.kit.Secure(mux))
	t.Cleanup(e.srv.Close)
	return e
}

// client is one browser: a cookie jar, no automatic redirects.
type client struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var tokenRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token is the form token of the page at path.
func (c *client) token(path string) string {
	c.e.t.Helper()
	_, body := c.do("GET", path, nil)
	m := tokenRe.FindStringSubmatch(body)
	if m == nil {
		c.e.t.Fatalf("no form token on %s:\n%s", path, body)
	}
	return m[1]
}

func (c *client) signIn(user, pass string) *http.Response {
	c.e.t.Helper()
	resp, _ := c.do("POST", "/login", url.Values{CSRFField: {c.token("/login")}, "username": {user}, "password": {pass}, "next": {"/"}})
	return resp
}

func (c *client) sessionToken() string {
	u, _ := url.Parse(c.e.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == SessionCookie {
			return ck.Value
		}
	}
	return ""
}

func (c *client) signedIn() bool {
	c.e.t.Helper()
	resp, _ := c.do("GET", "/", nil)
	return resp.StatusCode == http.StatusOK
}

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if resp, _ := c.do("GET", "/", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("signed out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp := c.signIn("zhangwei", "wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if resp := c.signIn("zhangwei", "right-password"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := c.do("GET", "/", nil)
	if !strings.Contains(body, "你好，张伟") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("home: %s %v", body, resp.Header)
	}
	for _, ck := range resp.Cookies() {
		t.Errorf("a signed-in page set cookie %s", ck.Name)
	}
	// Sign-out is a POST with the form token; after it nothing is private.
	resp, _ = c.do("POST", "/logout", url.Values{CSRFField: {c.token("/")}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?out=1" {
		t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if c.signedIn() {
		t.Error("still signed in after logout")
	}
	// next is kept to this site.
	for next, want := range map[string]string{"/admin/x": "/admin/x", "//evil.example": "/", "https://evil.example/": "/", "/\\evil": "/"} {
		c2 := e.client()
		resp, _ := c2.do("POST", "/login", url.Values{CSRFField: {c2.token("/login")}, "username": {"admin"}, "password": {"admin-password"}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next %q: went to %q, want %q", next, got, want)
		}
	}
}

// TestNoSessionFixation: a session id planted in the browser before
// sign-in is not the one after it, and no longer works.
func TestNoSessionFixation(t *testing.T) {
	e := newEnv(t)
	planted, plantedToken, err := e.ss.Create(context.Background(), "admin", 0, "203.0.113.9", "attacker")
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	u, _ := url.Parse(e.srv.URL)
	c.jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: plantedToken, Path: "/"}})
	// Signed in by the planted session, the browser sends its form token.
	resp, _ := c.do("POST", "/login", url.Values{CSRFField: {planted.CSRF}, "username": {"zhangwei"}, "password": {"right-password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	if got := c.sessionToken(); got == "" || got == plantedToken {
		t.Fatalf("the session token after sign-in is %q (planted %q)", got, plantedToken)
	}
	if _, err := e.ss.Lookup(context.Background(), plantedToken); err == nil {
		t.Errorf("the planted session %s still works", planted.ID)
	}
	if !c.signedIn() {
		t.Error("not signed in with the new session")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn("zhangwei", "right-password")
	e.clock.add(29 * time.Minute)
	if !c.signedIn() {
		t.Fatal("signed out after 29 minutes")
	}
	e.clock.add(31 * time.Minute)
	if c.signedIn() {
		t.Fatal("still signed in after 31 idle minutes")
	}
	// However busy, 12 hours end it.
	c.signIn("zhangwei", "right-password")
	for range 26 {
		e.clock.add(28 * time.Minute)
		if !c.signedIn() {
			break
		}
	}
	if c.signedIn() {
		t.Fatal("a session outlived 12 hours")
	}
}

func TestRevokeAndPasswordChange(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.client(), e.client(), e.client()
	for _, x := range []*client{a, b, c} {
		x.signIn("zhangwei", "right-password")
	}
	// a ends b's session from the account page.
	list, _ := e.ss.List(context.Background(), "zhangwei")
	if len(list) != 3 {
		t.Fatalf("%d sessions", len(list))
	}
	bs, err := e.ss.Lookup(context.Background(), b.sessionToken())
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := a.do("POST", "/account/sessions/"+bs.ID+"/revoke", url.Values{CSRFField: {a.token("/account")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if b.signedIn() {
		t.Error("b is still signed in after a revoked its session")
	}
	// Another person cannot end a's session.
	d := e.client()
	d.signIn("admin", "admin-password")
	as, _ := e.ss.Lookup(context.Background(), a.sessionToken())
	if resp, _ := d.do("POST", "/account/sessions/"+as.ID+"/revoke", url.Values{CSRFField: {d.token("/account")}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking another person's session: %d", resp.StatusCode)
	}
	// a changes the password: a stays, c is signed out.
	resp, body := a.do("POST", "/account/password", url.Values{CSRFField: {a.token("/account")}, "old": {"right-password"}, "new": {"a-new-password-2026"}, "again": {"a-new-password-2026"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", resp.StatusCode, body)
	}
	if !a.signedIn() {
		t.Error("the session that changed the password ended")
	}
	if c.signedIn() {
		t.Error("another session lives on after the password changed")
	}
	// A new password from elsewhere (an administrator, nanhu user passwd)
	// ends every session, a's too.
	e.dir.set("zhangwei", func(p *fakePerson) { p.p.Epoch++ })
	if a.signedIn() {
		t.Error("a session outlived a password changed elsewhere")
	}
	// So does disabling the account.
	a.signIn("zhangwei", "a-new-password-2026")
	e.dir.set("zhangwei", func(p *fakePerson) { p.disabled = true })
	if a.signedIn() {
		t.Error("a disabled account's session goes on")
	}
	// A wrong old password, and a mismatch, come back beside the field.
	e.dir.set("zhangwei", func(p *fakePerson) { p.disabled = false })
	a.signIn("zhangwei", "a-new-password-2026")
	for _, f := range []url.Values{
		{"old": {"wrong"}, "new": {"b-new-password-2026"}, "again": {"b-new-password-2026"}},
		{"old": {"a-new-password-2026"}, "new": {"b-new-password-2026"}, "again": {"other"}},
		{"old": {"a-new-password-2026"}, "new": {"short"}, "again": {"short"}},
	} {
		f.Set(CSRFField, a.token("/account"))
		resp, body := a.do("POST", "/account/password", f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "field-error") {
			t.Errorf("%v: %d", f, resp.StatusCode)
		}
	}
}

// TestDirectoryFailure: a failing directory is a 503, not the sign-in
// page (a person is not signed out by a broken disk).
func TestDirectoryFailure(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn("zhangwei", "right-password")
	e.dir.mu.Lock()
	e.dir.broken = true
	e.dir.mu.Unlock()
	resp, body := c.do("GET", "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "暂时无法读取") {
		t.Errorf("a failing directory: %d %.200s", resp.StatusCode, body)
	}
	e.dir.mu.Lock()
	e.dir.broken = false
	e.dir.mu.Unlock()
	if !c.signedIn() {
		t.Error("the session did not survive the failure")
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for range 3 {
		c.signIn("zhangwei", "wrong")
	}
	resp, _ := c.do("POST", "/login", url.Values{CSRFField: {c.token("/login")}, "username": {"ZhangWei"}, "password": {"right-password"}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right password during a lockout: %d", resp.StatusCode)
	}
	e.lim.Unlock("zhangwei")
	if resp := c.signIn("zhangwei", "right-password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after unlock: %d", resp.StatusCode)
	}
}

func TestFormProtection(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.TrustedOrigins = []string{"https://xxj.example.gov.cn"} })
	c := e.client()
	c.signIn("zhangwei", "right-password")
	tok := c.token("/")
	for _, tt := range []struct {
		name string
		form url.Values
		hdr  []string
		want int
	}{
		{"no token", url.Values{}, nil, http.StatusForbidden},
		{"wrong token", url.Values{CSRFField: {"x" + tok}}, nil, http.StatusForbidden},
		{"another session's token", url.Values{CSRFField: {e.client().token("/login")}}, nil, http.StatusForbidden},
		{"cross-site", url.Values{CSRFField: {tok}}, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"same-site subdomain", url.Values{CSRFField: {tok}}, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://evil.example.gov.cn"}, http.StatusForbidden},
		{"foreign Origin, old browser", url.Values{CSRFField: {tok}}, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"trusted origin", url.Values{CSRFField: {tok}}, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://xxj.example.gov.cn"}, http.StatusSeeOther},
		{"same origin", url.Values{CSRFField: {tok}}, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
		{"no headers at all, with the token", url.Values{CSRFField: {tok}}, nil, http.StatusSeeOther},
	} {
		resp, body := c.do("POST", "/things", tt.form, tt.hdr...)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d: %.200s", tt.name, resp.StatusCode, tt.want, body)
		}
	}
	// The sign-in form has its own token, before any session (login CSRF).
	d := e.client()
	resp, _ := d.do("POST", "/login", url.Values{"username": {"zhangwei"}, "password": {"right-password"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d", resp.StatusCode)
	}
	// A flash after POST-redirect-GET is shown once.
	c.do("POST", "/things", url.Values{CSRFField: {tok}})
	if _, body := c.do("GET", "/", nil); !strings.Contains(body, "已保存") {
		t.Error("no flash after the redirect")
	}
	if _, body := c.do("GET", "/", nil); strings.Contains(body, "已保存") {
		t.Error("the flash came twice")
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn("zhangwei", "right-password")
	resp, body := c.do("GET", "/admin/x", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "您没有权限") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Errorf("non-admin on an admin page: %d %s", resp.StatusCode, body)
	}
	a := e.client()
	a.signIn("admin", "admin-password")
	if resp, _ := a.do("GET", "/admin/x", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("admin: %d", resp.StatusCode)
	}
	var admin int
	for _, r := range e.kit.Routes() {
		if len(r.Rule.Roles()) > 0 {
			admin++
		}
	}
	if admin != 1 {
		t.Errorf("Routes lists %d admin routes, want 1", admin)
	}
}

func TestAPIAuth(t *testing.T) {
	e := newEnv(t)
	anon := e.client()
	resp, body := anon.do("GET", "/api/v1/me", nil)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(body, `"error"`) {
		t.Errorf("no credentials: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// A page's own script gets no Basic prompt.
	if resp, _ := anon.do("GET", "/api/v1/me", nil, "Sec-Fetch-Dest", "empty"); resp.Header.Get("WWW-Authenticate") != "" {
		t.Error("a page's fetch would pop up a password box")
	}
	req := func(method string, hdr ...string) (int, string) {
		resp, body := anon.do(method, "/api/v1/me", nil, hdr...)
		return resp.StatusCode, body
	}
	basic := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	if code, body := req("GET", "Authorization", basic("zhangwei", "right-password")); code != 200 || !strings.Contains(body, "zhangwei") {
		t.Errorf("Basic: %d %s", code, body)
	}
	if code, _ := req("GET", "Authorization", basic("zhangwei", "wrong")); code != 401 {
		t.Errorf("Basic, wrong password: %d", code)
	}
	if code, body := req("GET", "Authorization", "Bearer nanhu_secret"); code != 200 || !strings.Contains(body, "zhangwei") {
		t.Errorf("token: %d %s", code, body)
	}
	if code, _ := req("GET", "Authorization", "Bearer nanhu_wrong"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	// The browser's session works too; a change needs its form token.
	c := e.client()
	c.signIn("zhangwei", "right-password")
	if resp, _ := c.do("GET", "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Errorf("session GET: %d", resp.StatusCode)
	}
	tok := c.token("/")
	if resp, _ := c.do("PUT", "/api/v1/me", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("session PUT without X-CSRF-Token: %d", resp.StatusCode)
	}
	if resp, _ := c.do("PUT", "/api/v1/me", nil, "X-CSRF-Token", tok); resp.StatusCode != 200 {
		t.Errorf("session PUT with X-CSRF-Token: %d", resp.StatusCode)
	}
	// A form-encoded body is refused (no CSRF through a remembered Basic
	// login).
	if resp, _ := anon.do("PUT", "/api/v1/me", url.Values{"a": {"b"}}, "Authorization", basic("zhangwei", "right-password")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form PUT: %d", resp.StatusCode)
	}
}

// Credentials cross a network only encrypted: from another machine, plain
// HTTP gets no sign-in.
func TestPlainHTTPFromAnotherMachine(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.HTTPSPort = 8443 })
	h := e.srv.Config.Handler
	for _, tt := range []struct {
		method, path string
		want         int
		location     string
	}{
		{"GET", "/login", http.StatusPermanentRedirect, "https://nanhu.example:8443/login"},
		{"POST", "/login", http.StatusForbidden, ""},
		{"GET", "/api/v1/me", http.StatusForbidden, ""},
	} {
		r := httptest.NewRequest(tt.method, "http://nanhu.example:8080"+tt.path, nil)
		r.RemoteAddr = "203.0.113.7:40000"
		r.SetBasicAuth("zhangwei", "right-password")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want || w.Header().Get("Location") != tt.location {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, w.Code, w.Header().Get("Location"), tt.want, tt.location)
		}
	}
}

func TestHeadersAndErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/login", "/nowhere", "/api/v1/nowhere", "/boom"} {
		resp, body := c.do("GET", path, nil)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		switch path {
		case "/nowhere":
			if resp.StatusCode != 404 || !strings.Contains(body, "页面不存在") || !strings.Contains(h.Get("Content-Type"), "text/html") {
				t.Errorf("404 page: %d %s", resp.StatusCode, body)
			}
		case "/api/v1/nowhere":
			if resp.StatusCode != 404 || !strings.Contains(h.Get("Content-Type"), "application/json") || !strings.Contains(body, h.Get("X-Request-Id")) {
				t.Errorf("API 404: %d %s", resp.StatusCode, body)
			}
		case "/boom":
			if resp.StatusCode != 500 || !strings.Contains(body, "服务器内部错误") || strings.Contains(body, "boom") {
				t.Errorf("panic: %d %s", resp.StatusCode, body)
			}
		}
	}
	if resp, body := c.do("DELETE", "/api/v1/me", nil); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(body, "GET") {
		t.Errorf("wrong method: %d %s", resp.StatusCode, body)
	}
	// No page uses inline script or style, and each loads the one script
	// and the one stylesheet once.
	_, body := c.do("GET", "/login", nil)
	if n := strings.Count(body, "<script src=\"/static/app."); n != 1 {
		t.Errorf("the sign-in page loads app.js %d times", n)
	}
	if n := strings.Count(body, `rel="stylesheet"`); n != 1 {
		t.Errorf("the sign-in page loads %d stylesheets", n)
	}
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style="| on[a-z]+="`).MatchString(body) {
		t.Errorf("inline script or style on the sign-in page:\n%s", body)
	}
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	u := e.kit.StaticURL("app.css")
	if !regexp.MustCompile(`^/static/app\.[0-9a-f]{10}\.css$`).MatchString(u) {
		t.Fatalf("hashed name %q", u)
	}
	resp, body := c.do("GET", u, nil, "Accept-Encoding", "identity")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, "font-family") {
		t.Errorf("static: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = c.do("GET", u, nil, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Error("no gzip for a client that takes it")
	}
	if resp, _ := c.do("GET", "/static/app.css", nil); resp.StatusCode != 404 {
		t.Errorf("an unhashed name: %d", resp.StatusCode)
	}
}

func TestJobs(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn("zhangwei", "right-password")
	release := make(chan struct{})
	p, _ := e.dir.Person(context.Background(), "zhangwei")
	id := e.kit.Jobs().Start(p, "导入通讯录", func(ctx context.Context, pr *Progress) (string, error) {
		pr.Set(3, 10)
		pr.Note("第 3 行")
		<-release
		return "导入了 10 行。", nil
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := c.do("GET", "/api/v1/jobs/"+id, nil)
		if strings.Contains(body, `"percent":30`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job JSON: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, body := c.do("GET", "/jobs/"+id, nil)
	if !strings.Contains(body, `<progress id="job-progress" max="100" value="30">`) || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("running job page: %s", body)
	}
	close(release)
	for {
		_, body = c.do("GET", "/jobs/"+id, nil)
		if strings.Contains(body, "导入了 10 行") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("finished job page: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Another person sees nothing of it.
	a := e.client()
	a.signIn("admin", "admin-password")
	other := e.client()
	e.dir.mu.Lock()
	e.dir.people["lina"] = &fakePerson{pass: "lina-password", p: Person{Login: "lina", Name: "李娜"}}
	e.dir.mu.Unlock()
	other.signIn("lina", "lina-password")
	if resp, _ := other.do("GET", "/jobs/"+id, nil); resp.StatusCode != 404 {
		t.Errorf("another person's job: %d", resp.StatusCode)
	}
	if resp, _ := a.do("GET", "/jobs/"+id, nil); resp.StatusCode != 200 {
		t.Errorf("an administrator on someone's job: %d", resp.StatusCode)
	}
}

func TestPager(t *testing.T) {
	r := httptest.NewRequest("GET", "/admin/people?q=%E4%BF%A1%E8%AE%BF&page=3", nil)
	p := NewPager(r, 20, 45)
	if p.Page != 3 || p.Offset() != 40 || p.End() != 45 || p.HasNext() || !p.HasPrev() || p.Pages() != 3 {
		t.Errorf("%+v", p)
	}
	if got := p.PrevLink(); got != "/admin/people?page=2&q=%E4%BF%A1%E8%AE%BF" {
		t.Errorf("prev link %q", got)
	}
	if got := p.Link(1); got != "/admin/people?q=%E4%BF%A1%E8%AE%BF" {
		t.Errorf("first page link %q", got)
	}
	if p := NewPager(httptest.NewRequest("GET", "/x?page=99", nil), 20, 0); p.Page != 1 || p.End() != 0 {
		t.Errorf("empty list: %+v", p)
	}
}

// FuzzForms: whatever a browser (or an attacker) posts to the sign-in
// form and to a signed-in form, the answer is a refusal or a page, never a
// server error, and nobody is signed in by it.
func FuzzForms(f *testing.F) {
	f.Add("username=zhangwei&password=x", "application/x-www-form-urlencoded", false)
	f.Add("--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nzhangwei\r\n--b--\r\n", "multipart/form-data; boundary=b", true)
	f.Add("%zz=%", "application/x-www-form-urlencoded", true)
	f.Add(strings.Repeat("a=b&", 1000), "text/plain", false)
	f.Fuzz(func(t *testing.T, body, ctype string, withToken bool) {
		e := newEnv(t)
		c := e.client()
		tok := c.token("/login")
		if withToken {
			body = CSRFField + "=" + url.QueryEscape(tok) + "&" + body
		}
		req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST /login %q (%s): %d", body, ctype, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusSeeOther && !strings.Contains(body, "right-password") {
			t.Fatalf("signed in by %q", body)
		}
	})
}

// TestPersonTTL: with the directory read at most every PersonTTL, a
// change made elsewhere reaches the pages within it, and one made through
// the kit (Forget) at once.
func TestPersonTTL(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PersonTTL = 300 * time.Millisecond })
	c := e.client()
	c.signIn("zhangwei", "right-password")
	if !c.signedIn() {
		t.Fatal("not signed in")
	}
	e.dir.set("zhangwei", func(p *fakePerson) { p.p.Epoch++ })
	deadline := time.Now().Add(2 * time.Second)
	for c.signedIn() {
		if time.Now().After(deadline) {
			t.Fatal("a password changed elsewhere never ended the session")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.signIn("zhangwei", "right-password")
	c.signedIn()
	e.dir.set("zhangwei", func(p *fakePerson) { p.disabled = true })
	e.kit.Forget(context.Background(), "zhangwei")
	if c.signedIn() {
		t.Error("signed in after Forget of a disabled account")
	}
}

// TestFragment: a fragment is escaped as any page is.
func TestFragment(t *testing.T) {
	e := newEnv(t)
	p, err := e.kit.Page(fstest.MapFS{"f.html": {Data: []byte(`{{define "content"}}{{end}}{{define "item"}}<li data-id="{{.ID}}">{{.Title}}</li>{{end}}`)}}, "f.html")
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.Fragment("item", struct{ ID, Title string }{`1" onclick="x`, "<script>alert(1)</script>关于"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `<li data-id="1&#34; onclick=&#34;x">&lt;script&gt;alert(1)&lt;/script&gt;关于</li>`; string(h) != want {
		t.Errorf("fragment %s, want %s", h, want)
	}
}
