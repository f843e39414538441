package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/oa/org"
)

// httpAuth checks the HTTP Basic credentials of the APIs against the
// directory, with the same lockouts as SMTP and IMAP. Credentials are taken
// only over TLS or from loopback, so a password never crosses a network in
// clear text. Until the web workbench brings sessions, this is how
// administrators and tools use the APIs; a POST must carry JSON, which a
// browser will not send to another origin unasked (no CSRF through a
// remembered Basic login).
type httpAuth struct {
	org    *org.Directory
	limits *ratelimit.Limiter
	log    *slog.Logger
	cache  *credCache
}

// credCache remembers, for a minute, the credentials that just passed:
// tools send Basic credentials with every request, and an argon2id check
// (about 25 ms of CPU) per request would starve the server. The key is an
// HMAC of login and password under a key made at start, so the cache holds
// no password; a changed or disabled account is noticed within the minute.
type credCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[[32]byte]credEntry
}

type credEntry struct {
	user    org.User
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

func (c *credCache) get(user, pass string) (org.User, bool) {
	id := c.id(user, pass)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || time.Now().After(e.expires) {
		delete(c.entries, id)
		return org.User{}, false
	}
	return e.user, true
}

func (c *credCache) put(user, pass string, u org.User) {
	id := c.id(user, pass)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 10000 {
		clear(c.entries)
	}
	c.entries[id] = credEntry{user: u, expires: time.Now().Add(credTTL)}
}

type ctxUser struct{}

// userOf returns the login that httpAuth put in the request's context.
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(ctxUser{}).(string)
	return u
}

// require wraps next: the caller must log in and have one of roles (any
// enabled user when roles is empty).
func (a httpAuth) require(next http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if r.TLS == nil && !ip.IsLoopback() {
			httpError(w, http.StatusForbidden, "登录只能通过 HTTPS 进行（Log in over HTTPS）")
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete {
			if ct := r.Header.Get("Content-Type"); r.ContentLength != 0 && !strings.HasPrefix(ct, "application/json") {
				httpError(w, http.StatusUnsupportedMediaType, "请求体必须是 JSON（send Content-Type: application/json）")
				return
			}
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="Nanhu", charset="UTF-8"`)
			httpError(w, http.StatusUnauthorized, "需要登录（log in with your Nanhu account）")
			return
		}
		login := strings.ToLower(strings.TrimSpace(user))
		if wait := a.limits.AuthLocked(ip, login); wait > 0 {
			httpError(w, http.StatusTooManyRequests, fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试（too many failed logins）", int(wait.Minutes())+1))
			return
		}
		u, cached := a.cache.get(user, pass)
		var err error
		if !cached {
			u, err = a.org.Authenticate(r.Context(), user, pass)
		}
		if err != nil {
			if !errors.Is(err, org.ErrBadCredentials) && !errors.Is(err, org.ErrNotFound) && !errors.Is(err, org.ErrDisabled) && !errors.Is(err, org.ErrInvalid) {
				a.log.Error("http auth: directory failure", "err", err)
				httpError(w, http.StatusServiceUnavailable, "目录暂时不可用，请稍后再试")
				return
			}
			a.limits.AuthFailed(ip, login)
			a.log.Warn("http auth failed", "remote", ip, "user", user)
			w.Header().Set("WWW-Authenticate", `Basic realm="Nanhu", charset="UTF-8"`)
			httpError(w, http.StatusUnauthorized, "用户名或密码错误（invalid user name or password）")
			return
		}
		if !cached {
			a.limits.AuthSucceeded(login)
			a.cache.put(user, pass, u)
		}
		if len(roles) > 0 {
			allowed := false
			for _, role := range roles {
				allowed = allowed || u.HasRole(role)
			}
			if !allowed {
				a.log.Warn("http forbidden", "user", u.Login, "path", r.URL.Path, "need", roles)
				httpError(w, http.StatusForbidden, "没有权限（your account may not do this）")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxUser{}, u.Login)))
	})
}

func clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}
