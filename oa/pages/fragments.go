package pages

import (
	"html/template"
	"strings"
	"sync"
	"sync/atomic"

	"nanhu/internal/web"
)

// maxFragments and maxFragmentBytes bound the rendered fragments kept.
const (
	maxFragments     = 20000
	maxFragmentBytes = 32 << 20
)

// fragments are rendered pieces of pages, a to-do list item or a row of
// the 待办 table, kept under their own contents: the key is the
// fragment's data, a comparable struct of exactly what it shows, so a
// changed item is another key and nothing kept is ever stale. When full,
// it starts again empty.
type fragments struct {
	m     sync.Map
	n     atomic.Int64
	bytes atomic.Int64
}

// render is template name of page applied to data, from the kept ones
// when it was rendered before.
func (f *fragments) render(page *web.Page, name string, data any) (template.HTML, error) {
	return f.renderKey(data, page, name, data)
}

// renderKey is render with another key than the data: a comparable
// value that changes whenever what the data shows does.
func (f *fragments) renderKey(key any, page *web.Page, name string, data any) (template.HTML, error) {
	if h, ok := f.get(key); ok {
		return h, nil
	}
	h, err := page.Fragment(name, data)
	if err != nil {
		return "", err
	}
	f.keep(key, h)
	return h, nil
}

// get is what is kept under key.
func (f *fragments) get(key any) (template.HTML, bool) {
	h, ok := f.m.Load(key)
	if !ok {
		return "", false
	}
	return h.(template.HTML), true
}

// renderEach is render of every item, one after the other.
func renderEach[T any](f *fragments, page *web.Page, name string, items []T) (template.HTML, error) {
	hs := make([]template.HTML, len(items))
	n := 0
	for i, it := range items {
		h, err := f.render(page, name, it)
		if err != nil {
			return "", err
		}
		hs[i], n = h, n+len(h)
	}
	var b strings.Builder
	b.Grow(n)
	for _, h := range hs {
		b.WriteString(string(h))
	}
	return template.HTML(b.String()), nil
}

// keep keeps h under key.
func (f *fragments) keep(key any, h template.HTML) {
	if f.n.Add(1) > maxFragments || f.bytes.Add(int64(len(h))) > maxFragmentBytes {
		f.m.Clear()
		f.n.Store(0)
		f.bytes.Store(0)
	}
	f.m.Store(key, h)
}
