package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"nanhu/internal/web/session"
)

// Names the kit gives cookies and form fields.
const (
	// SessionCookie holds the session token.
	SessionCookie = "nanhu_session"
	// preSessionCookie holds the form token of the sign-in form, before
	// there is a session (against login CSRF).
	preSessionCookie = "nanhu_form"
	// CSRFField is the hidden field of every form that carries its token.
	CSRFField = "csrf_token"
	// MaxUploadBytes bounds a form with files.
	MaxUploadBytes = 50 << 20
)

// normalizeUser is how the lockouts key a user name: as SMTP and IMAP do.
func normalizeUser(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// errNoDirectory: the session or the person could not be read (the
// database is failing); the request gets a 503, not the sign-in page.
var errNoDirectory = &Error{Status: http.StatusServiceUnavailable, Message: "登录信息暂时无法读取，请稍后再试。"}

// signedIn finds the session of r and its person. A session whose person
// is gone, disabled, or changed their password since it began is ended
// here. Nobody signed in gives the zero Person; a failing store gives
// errNoDirectory.
func (k *Kit) signedIn(w http.ResponseWriter, r *http.Request) (Person, *session.Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || k.ss == nil {
		return Person{}, nil, nil
	}
	ctx := r.Context()
	sess, err := k.ss.Lookup(ctx, c.Value)
	if errors.Is(err, session.ErrNotFound) {
		k.clearCookie(w, r, SessionCookie)
		return Person{}, nil, nil
	}
	if err != nil {
		k.log.Error("session lookup failed", "err", err, "request_id", requestID(r))
		return Person{}, nil, errNoDirectory
	}
	p, err := k.person(ctx, sess.Login)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrDisabled):
		k.ss.Delete(ctx, sess.ID)
		k.clearCookie(w, r, SessionCookie)
		k.log.Info("session ended: account gone or disabled", "login", sess.Login, "session", sess.ID)
		return Person{}, nil, nil
	case err != nil:
		k.log.Error("directory failed during a session check", "login", sess.Login, "err", err, "request_id", requestID(r))
		return Person{}, nil, errNoDirectory
	case p.Epoch != sess.Epoch:
		k.ss.Delete(ctx, sess.ID)
		k.clearCookie(w, r, SessionCookie)
		k.log.Info("session ended: the password changed", "login", sess.Login, "session", sess.ID)
		return Person{}, nil, nil
	}
	return p, &sess, nil
}

func (k *Kit) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: sameSite, MaxAge: int(maxAge.Seconds()),
	})
}

func (k *Kit) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// preSessionToken returns the sign-in form's token, setting its cookie
// when the browser has none.
func (k *Kit) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) >= 32 && len(c.Value) < 100 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	k.setCookie(w, r, preSessionCookie, t, 2*time.Hour, http.SameSiteStrictMode)
	return t
}

func preSessionTokenOK(r *http.Request, got string) bool {
	c, err := r.Cookie(preSessionCookie)
	return err == nil && got != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}

// safeNext keeps a sign-in's "next" to a path of this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/logout") {
		return "/"
	}
	return next
}

// lockoutMessage is what a locked-out person reads.
func lockoutMessage(wait time.Duration) string {
	return fmt.Sprintf("登录失败次数过多，账户已暂时锁定。请 %d 分钟后再试，或请系统管理员解锁。", int(wait.Minutes())+1)
}

// SignIn checks a password with the lockouts (shared with SMTP and IMAP)
// and, when right, starts a new session for the browser. The error is
// one a person can read: *Error with the status to answer.
func (k *Kit) SignIn(w http.ResponseWriter, r *http.Request, username, password string) (Person, error) {
	ctx := r.Context()
	ip := clientIP(r)
	key := normalizeUser(username)
	if !secureEnough(r) {
		return Person{}, &Error{Status: http.StatusForbidden, Message: "密码只能通过 HTTPS 提交，请使用 HTTPS 地址登录。"}
	}
	if wait := k.lim.AuthLocked(ip, key); wait > 0 {
		k.log.Warn("web sign-in refused: locked out", "remote", ip, "user", username, "for", wait.Round(time.Second))
		return Person{}, &Error{Status: http.StatusTooManyRequests, Message: lockoutMessage(wait)}
	}
	p, err := k.dir.Authenticate(ctx, username, password)
	if err != nil && !errors.Is(err, ErrBadCredentials) && !errors.Is(err, ErrDisabled) {
		return Person{}, &Error{Status: http.StatusServiceUnavailable, Message: "目录服务暂时不可用，请稍后再试。", Cause: err}
	}
	if err != nil {
		f := k.lim.AuthFailed(ip, key)
		k.log.Warn("web sign-in failed", "remote", ip, "user", username, "err", err, "lockout", f.Locked)
		f.Wait(ctx)
		if f.Locked {
			return Person{}, &Error{Status: http.StatusTooManyRequests, Message: lockoutMessage(k.lim.AuthLocked(ip, key))}
		}
		if errors.Is(err, ErrDisabled) {
			return Person{}, &Error{Status: http.StatusForbidden, Message: "此账户已停用，请联系系统管理员。"}
		}
		return Person{}, &Error{Status: http.StatusUnauthorized, Message: "用户名或密码错误。"}
	}
	k.lim.AuthSucceeded(ip, key)
	// A new session, always: whatever id the browser brought is dropped
	// (no session fixation).
	if c, err := r.Cookie(SessionCookie); err == nil {
		if old, err := k.ss.Lookup(ctx, c.Value); err == nil {
			k.ss.Delete(ctx, old.ID)
		}
	}
	sess, token, err := k.ss.Create(ctx, p.Login, p.Epoch, ip.String(), r.UserAgent())
	if err != nil {
		return Person{}, &Error{Status: http.StatusServiceUnavailable, Message: "暂时无法登录，请稍后再试。", Cause: err}
	}
	k.setCookie(w, r, SessionCookie, token, k.ss.Max(), http.SameSiteLaxMode)
	k.clearCookie(w, r, preSessionCookie)
	k.log.Info("web sign-in", "remote", ip, "user", p.Login, "session", sess.ID)
	return p, nil
}

// SignOut ends the session of r.
func (k *Kit) SignOut(w http.ResponseWriter, r *http.Request) {
	if s := SessionOf(r); s != nil {
		k.ss.Delete(r.Context(), s.ID)
		k.log.Info("web sign-out", "user", s.Login, "session", s.ID)
	}
	k.clearCookie(w, r, SessionCookie)
}

// apiCaller authenticates an API request: an API token (Authorization:
// Bearer), HTTP Basic (with the lockouts; the credentials that just passed
// are remembered a minute, for tools send them with every request), or
// the browser's session.
func (k *Kit) apiCaller(w http.ResponseWriter, r *http.Request) (Person, *session.Session, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		p, err := k.dir.AuthenticateToken(ctx, strings.TrimSpace(strings.TrimPrefix(auth, "Bearer ")))
		switch {
		case errors.Is(err, ErrBadCredentials), errors.Is(err, ErrDisabled):
			k.log.Warn("api token refused", "remote", clientIP(r), "err", err)
			return Person{}, nil, &Error{Status: http.StatusUnauthorized, Message: "API 令牌无效或已撤销（invalid API token）"}
		case err != nil:
			return Person{}, nil, &Error{Status: http.StatusServiceUnavailable, Message: "目录暂时不可用，请稍后再试", Cause: err}
		}
		return p, nil, nil
	}
	if user, pass, ok := r.BasicAuth(); ok {
		ip := clientIP(r)
		key := normalizeUser(user)
		if wait := k.lim.AuthLocked(ip, key); wait > 0 {
			return Person{}, nil, &Error{Status: http.StatusTooManyRequests, Message: fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试（too many failed logins）", int(wait.Minutes())+1)}
		}
		if p, ok := k.creds.get(user, pass); ok {
			return p, nil, nil
		}
		p, err := k.dir.Authenticate(ctx, user, pass)
		switch {
		case errors.Is(err, ErrBadCredentials), errors.Is(err, ErrDisabled):
			f := k.lim.AuthFailed(ip, key)
			k.log.Warn("http auth failed", "remote", ip, "user", user, "lockout", f.Locked)
			f.Wait(ctx)
			w.Header().Set("WWW-Authenticate", `Basic realm="Nanhu", charset="UTF-8"`)
			return Person{}, nil, &Error{Status: http.StatusUnauthorized, Message: "用户名或密码错误（invalid user name or password）"}
		case err != nil:
			return Person{}, nil, &Error{Status: http.StatusServiceUnavailable, Message: "目录暂时不可用，请稍后再试", Cause: err}
		}
		k.lim.AuthSucceeded(ip, key)
		k.creds.put(user, pass, p)
		return p, nil, nil
	}
	if p, sess, err := k.signedIn(w, r); err != nil || sess != nil {
		return p, sess, err
	}
	// Ask tools for Basic credentials; a page's own script (which sends
	// Sec-Fetch-Dest) must not make the browser pop up a password box.
	if r.Header.Get("Sec-Fetch-Dest") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="Nanhu", charset="UTF-8"`)
	}
	return Person{}, nil, &Error{Status: http.StatusUnauthorized, Message: "需要登录（log in with your Nanhu account）"}
}

// credCache remembers, for a minute, Basic credentials that just passed:
// an argon2id check (about 25 ms of CPU) per request would starve the
// server. The key is an HMAC of name and password under a key made at
// start, so the cache holds no password; a changed or disabled account is
// noticed within the minute.
type credCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[[32]byte]credEntry
}

type credEntry struct {
	p       Person
	expires time.Time
}

const credTTL = time.Minute

func newCredCache() *credCache {
	k := make([]byte, 32)
	rand.Read(k)
	return &credCache{key: k, entries: map[[32]byte]credEntry{}}
}

func (c *credCache) id(user, pass string) [32]byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(pass))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

func (c *credCache) get(user, pass string) (Person, bool) {
	id := c.id(user, pass)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || time.Now().After(e.expires) {
		delete(c.entries, id)
		return Person{}, false
	}
	return e.p, true
}

func (c *credCache) put(user, pass string, p Person) {
	id := c.id(user, pass)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 10000 {
		clear(c.entries)
	}
	c.entries[id] = credEntry{p: p, expires: time.Now().Add(credTTL)}
}

// forget drops every remembered credential of login (its password
// changed, or it was disabled).
func (c *credCache) forget(login string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.p.Login == login {
			delete(c.entries, id)
		}
	}
}

// Forget drops what the kit remembers of login's credentials, for an
// administrator who just disabled the account or reset its password.
func (k *Kit) Forget(ctx context.Context, login string) {
	k.creds.forget(login)
	k.people.forget(login)
	if k.ss != nil {
		k.ss.DeleteLogin(ctx, login, "")
	}
}
