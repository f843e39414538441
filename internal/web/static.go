package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// assets are the static files, each served under a name with a hash of
// its content (app.3f9a2b1c04.css), so it can be cached for a year and a
// new binary's file is fetched at once.
type assets struct {
	byLogical map[string]*asset // "app.css" → the file
	byHashed  map[string]*asset // "app.3f9a2b1c04.css" → the file
}

type asset struct {
	logical, hashed string
	body, gz        []byte
	ctype           string
}

func newAssets(fsyss []fs.FS) (*assets, error) {
	a := &assets{byLogical: map[string]*asset{}, byHashed: map[string]*asset{}}
	for _, fsys := range fsyss {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(body)
			ext := path.Ext(p)
			hashed := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
			ct := mime.TypeByExtension(ext)
			if ct == "" {
				ct = "application/octet-stream"
			}
			if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
				ct += "; charset=utf-8"
			}
			f := &asset{logical: p, hashed: hashed, body: body, ctype: ct}
			if len(body) > 1024 && (strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") || strings.Contains(ct, "svg")) {
				var b bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
				zw.Write(body)
				zw.Close()
				f.gz = b.Bytes()
			}
			if _, dup := a.byLogical[p]; dup {
				return fmt.Errorf("web: two static files are called %s", p)
			}
			a.byLogical[p], a.byHashed[hashed] = f, f
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// url is the address of the static file name ("app.css"); a name that is
// not there is a bug in a template, so it panics (at the page's render, in
// tests).
func (a *assets) url(name string) string {
	f, ok := a.byLogical[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return "/static/" + f.hashed
}

// serve answers GET /static/{name...}.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byHashed[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	body := f.body
	if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// StaticURL is the address of one of the kit's or the parts' static files.
func (k *Kit) StaticURL(name string) string { return k.assets.url(name) }
