package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Form is a submitted form as a page shows it again: the values the person
// typed, and an error beside each field that failed its check.
type Form struct {
	Values url.Values
	Errors map[string]string
}

// NewForm is the form of r (after the kit parsed it), or an empty one for
// a GET.
func NewForm(r *http.Request) *Form {
	f := &Form{Values: url.Values{}, Errors: map[string]string{}}
	if r != nil && r.PostForm != nil {
		for k, v := range r.PostForm {
			if k != CSRFField {
				f.Values[k] = v
			}
		}
	}
	return f
}

// Get is the value of field, trimmed.
func (f *Form) Get(field string) string { return strings.TrimSpace(f.Values.Get(field)) }

// All is every value of field, trimmed and without empty ones.
func (f *Form) All(field string) []string {
	var out []string
	for _, v := range f.Values[field] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Has reports whether field has the value v (a checkbox, an option).
func (f *Form) Has(field, v string) bool {
	for _, x := range f.Values[field] {
		if x == v {
			return true
		}
	}
	return false
}

// Set gives field a value, for a form shown with defaults.
func (f *Form) Set(field, v string) { f.Values.Set(field, v) }

// Fail records an error beside field ("" for the form as a whole).
func (f *Form) Fail(field, msg string) {
	if _, ok := f.Errors[field]; !ok {
		f.Errors[field] = msg
	}
}

// Error is the error beside field, "" when none.
func (f *Form) Error(field string) string { return f.Errors[field] }

// OK reports whether no field failed.
func (f *Form) OK() bool { return len(f.Errors) == 0 }

// Require fails each field left empty, with "请填写<label>".
func (f *Form) Require(fields map[string]string) {
	for field, label := range fields {
		if f.Get(field) == "" {
			f.Fail(field, "请填写"+label+"。")
		}
	}
}

// Pager is one page of a long list.
type Pager struct {
	Page, PerPage, Total int
	// Query is the list's query without the page (search terms), kept in
	// the links.
	Query url.Values
	Path  string
}

// NewPager reads ?page= of r.
func NewPager(r *http.Request, perPage, total int) Pager {
	p := Pager{Page: 1, PerPage: perPage, Total: total, Path: r.URL.Path, Query: url.Values{}}
	for k, v := range r.URL.Query() {
		if k != "page" {
			p.Query[k] = v
		}
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		p.Page = n
	}
	if last := p.Pages(); p.Page > last {
		p.Page = last
	}
	return p
}

// Pages is the number of pages (at least 1).
func (p Pager) Pages() int {
	if p.Total <= 0 || p.PerPage <= 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// Offset is the index of the page's first item.
func (p Pager) Offset() int { return (p.Page - 1) * p.PerPage }

// End is the index after the page's last item.
func (p Pager) End() int { return min(p.Offset()+p.PerPage, p.Total) }

// HasPrev and HasNext say whether there are pages before and after.
func (p Pager) HasPrev() bool { return p.Page > 1 }

// HasNext reports whether a page follows.
func (p Pager) HasNext() bool { return p.Page < p.Pages() }

// Link is the address of page n.
func (p Pager) Link(n int) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return p.Path
	}
	return p.Path + "?" + q.Encode()
}

// PrevLink and NextLink are the neighbours' addresses.
func (p Pager) PrevLink() string { return p.Link(p.Page - 1) }

// NextLink is the next page's address.
func (p Pager) NextLink() string { return p.Link(p.Page + 1) }

// Summary is "第 2 / 5 页，共 93 条".
func (p Pager) Summary() string {
	return fmt.Sprintf("第 %d / %d 页，共 %d 条", p.Page, p.Pages(), p.Total)
}
