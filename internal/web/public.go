package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cache says how a public page may be kept by browsers and proxies.
type Cache struct {
	// Modified is when what the page shows last changed (zero: unknown).
	Modified time.Time
	// MaxAge is how long a cache may serve the page without asking
	// again; after it, a cache asks with If-None-Match and gets a 304
	// while the page is unchanged.
	MaxAge time.Duration
	// SharedMaxAge, when set, is how long a shared cache (a reverse
	// proxy) may serve the page without asking: browsers then ask every
	// time (MaxAge 0) and get a 304, while the proxy carries the load.
	SharedMaxAge time.Duration
	// Vary names the request headers the page depends on (Cookie, when
	// a visitor's setting such as 长者模式 changes it).
	Vary string
	// ETag is the body's entity tag when the caller keeps it (ETagOf);
	// empty: it is computed from the body.
	ETag string
}

// ETagOf is the strong entity tag ServeCached gives body.
func ETagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}

// RenderPublic answers r with a public page that a reverse proxy may
// cache: no session, no cookie set, a strong ETag of the bytes, a
// Last-Modified, Cache-Control public with c.MaxAge, and 304 Not Modified
// when the browser or proxy already holds these bytes. HEAD gets the
// headers alone.
func (k *Kit) RenderPublic(w http.ResponseWriter, r *http.Request, p *Page, c Cache, v View) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := k.renderPublic(buf, r, p, v); err != nil {
		return err
	}
	return ServeCached(w, r, "text/html; charset=utf-8", buf.Bytes(), c)
}

// PublicBytes is a public page rendered, for a part that keeps rendered
// pages and serves them with ServeCached. Nothing of the request but its
// path goes into it, so the bytes serve every visitor of that page.
func (k *Kit) PublicBytes(r *http.Request, p *Page, v View) ([]byte, error) {
	var b bytes.Buffer
	if err := k.renderPublic(&b, r, p, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (k *Kit) renderPublic(buf *bytes.Buffer, r *http.Request, p *Page, v View) error {
	v.Site = k.opts.SiteName
	v.Path = r.URL.Path
	v.Head, v.Brand = k.head, k.brand
	if err := p.t.ExecuteTemplate(buf, "layout", &v); err != nil {
		return fmt.Errorf("render %s: %w", p.name, err)
	}
	return nil
}

// ServeCached answers r with body (a feed, a site map, a rendered page)
// under the caching rules of RenderPublic.
func ServeCached(w http.ResponseWriter, r *http.Request, ctype string, body []byte, c Cache) error {
	etag := c.ETag
	if etag == "" {
		etag = ETagOf(body)
	}
	h := w.Header()
	h.Set("ETag", etag)
	cc := "public, max-age=" + strconv.Itoa(int(c.MaxAge/time.Second))
	if c.SharedMaxAge > 0 {
		cc += ", s-maxage=" + strconv.Itoa(int(c.SharedMaxAge/time.Second))
	}
	h.Set("Cache-Control", cc)
	if c.Vary != "" {
		h.Set("Vary", c.Vary)
	}
	if !c.Modified.IsZero() {
		h.Set("Last-Modified", c.Modified.UTC().Format(http.TimeFormat))
	}
	if notModified(r, etag, c.Modified) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

// notModified applies RFC 9110 §13.1: If-None-Match, when sent, decides
// alone; else If-Modified-Since against the page's time (to the second).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil {
			return !modified.Truncate(time.Second).After(t)
		}
	}
	return false
}
