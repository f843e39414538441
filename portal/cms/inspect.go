package cms

import (
	"net/http"

	"nanhu/internal/web"
	"nanhu/portal/content"
)

type inspectView struct {
	Report   content.Report
	Worst    string
	Names    map[string]string
	External bool
	Full     bool // the whole inspection ran (outside links, to-dos sent)
}

// inspectPage is the inspection as the portal stands now (its own links
// only: outside links are checked by the daily run and 立即检查).
func (c *CMS) inspectPage(w http.ResponseWriter, r *http.Request) error {
	rep, err := c.store.Inspect(r.Context(), content.InspectOptions{})
	if err != nil {
		return err
	}
	if c.opts.MoreRules != nil {
		more, err := c.opts.MoreRules(r.Context())
		if err != nil {
			return err
		}
		rep.Rules = append(rep.Rules, more...)
	}
	return c.renderInspect(w, r, rep, false)
}

// inspectNow runs the whole inspection, as the daily one does: outside
// links where allowed, and a to-do for each rule that warns.
func (c *CMS) inspectNow(w http.ResponseWriter, r *http.Request) error {
	if c.opts.Inspect == nil {
		return c.inspectPage(w, r)
	}
	rep, err := c.opts.Inspect(r.Context())
	if err != nil {
		return err
	}
	return c.renderInspect(w, r, rep, true)
}

func (c *CMS) renderInspect(w http.ResponseWriter, r *http.Request, rep content.Report, full bool) error {
	v := inspectView{Report: rep, Worst: rep.Worst(), Names: content.CheckNames, External: c.opts.External, Full: full}
	return c.kit.Render(w, r, c.tmpl.inspect, web.View{Title: "网站检查", Data: v})
}
