package cms

import (
	"net/http"
	"strconv"
	"strings"

	"nanhu/internal/web"
	"nanhu/portal/content"
)

// The site administrator's pages: the site's identity (the footer and
// meta tags) and the columns of every section.

type settingsView struct {
	Keys     []settingField
	Problem  string
	Defaults string
}

type settingField struct {
	Key, Label, Value string
}

func (c *CMS) settings(w http.ResponseWriter, r *http.Request) error {
	m, err := c.store.SiteSettings(r.Context())
	if err != nil {
		return err
	}
	return c.renderSettings(w, r, m, "", http.StatusOK)
}

func (c *CMS) renderSettings(w http.ResponseWriter, r *http.Request, m map[string]string, problem string, status int) error {
	v := settingsView{Problem: problem}
	for _, k := range content.SiteKeys {
		v.Keys = append(v.Keys, settingField{Key: k.Key, Label: k.Label, Value: m[k.Key]})
	}
	return c.kit.RenderStatus(w, r, c.tmpl.settings, status, web.View{Title: "网站设置", Data: v})
}

func (c *CMS) settingsSave(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	m := map[string]string{}
	for _, k := range content.SiteKeys {
		m[k.Key] = f.Get(k.Key)
	}
	err := c.store.PutSiteSettings(r.Context(), actor(r), m)
	if content.CodeOf(err) == "invalid" {
		return c.renderSettings(w, r, m, err.Error(), http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fail(err)
	}
	return c.kit.Redirect(w, r, "/portal/settings", "网站设置已保存，门户网站的每个页面立即使用新的设置。")
}

type columnsView struct {
	Sections []sectionColumns
	Areas    []string
	Kinds    []kindChoice
	Problem  string
}

type sectionColumns struct {
	Section content.Section
	Columns []content.ColumnState
}

type kindChoice struct{ Kind, Label string }

func (c *CMS) columns(w http.ResponseWriter, r *http.Request) error {
	return c.renderColumns(w, r, "", http.StatusOK)
}

func (c *CMS) renderColumns(w http.ResponseWriter, r *http.Request, problem string, status int) error {
	ctx := r.Context()
	secs, err := c.store.Sections(ctx)
	if err != nil {
		return err
	}
	states, err := c.store.ColumnStates(ctx)
	if err != nil {
		return err
	}
	v := columnsView{Areas: content.Areas, Problem: problem}
	for _, k := range content.Kinds() {
		v.Kinds = append(v.Kinds, kindChoice{k, content.KindNames[k]})
	}
	for _, sec := range secs {
		sc := sectionColumns{Section: sec}
		for _, st := range states {
			if st.Column.Section == sec.Code {
				sc.Columns = append(sc.Columns, st)
			}
		}
		v.Sections = append(v.Sections, sc)
	}
	return c.kit.RenderStatus(w, r, c.tmpl.columns, status, web.View{Title: "栏目管理", Data: v})
}

// columnSave adds a column (no id) or changes one.
func (c *CMS) columnSave(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	col := content.Column{Section: f.Get("section"), Slug: strings.ToLower(f.Get("slug")), Name: f.Get("name"), Area: f.Get("area"),
		Kind: f.Get("kind"), Type: f.Get("type"), Update: f.Get("update"), Description: f.Get("description"), Home: f.Get("home") == "on"}
	col.Order, _ = strconv.Atoi(f.Get("order"))
	if col.Type == "" {
		col.Type = content.KindNames[col.Kind]
	}
	_, err := c.store.PutColumn(r.Context(), actor(r), col)
	if content.CodeOf(err) == "invalid" {
		return c.renderColumns(w, r, err.Error(), http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fail(err)
	}
	return c.kit.Redirect(w, r, "/portal/columns", "栏目「"+col.Name+"」已保存。")
}
