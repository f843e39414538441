package cms

import (
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/web"
	"nanhu/portal/content"
)

// tabs are the work list's filters.
var tabs = []struct{ State, Label string }{
	{"", "全部"}, {"mine", "我写的"}, {content.StateDraft, "草稿"}, {content.StateReview, "待审核"}, {content.StateReturned, "已退回"},
	{content.StateScheduled, "待发布"}, {content.StatePublished, "已发布"}, {content.StateWithdrawn, "已撤稿"},
}

type tab struct {
	State, Label string
	Current      bool
}

type listView struct {
	Tabs     []tab
	Items    []content.Brief
	Pager    web.Pager
	Columns  []columnChoice // where the person may write
	Form     *web.Form
	States   map[string]string
	Reviewer bool
}

type columnChoice struct {
	ID    int64
	Label string
}

func (c *CMS) list(w http.ResponseWriter, r *http.Request) error {
	return c.renderList(w, r, web.NewForm(r), http.StatusOK)
}

func (c *CMS) renderList(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	ctx := r.Context()
	a := actor(r)
	state := r.URL.Query().Get("state")
	v := listView{Form: f, States: content.StateNames}
	for _, t := range tabs {
		v.Tabs = append(v.Tabs, tab{State: t.State, Label: t.Label, Current: t.State == state})
	}
	_, total, err := c.store.Worklist(ctx, a, state, 0, 0)
	if err != nil {
		return err
	}
	v.Pager = web.NewPager(r, 20, total)
	if v.Items, _, err = c.store.Worklist(ctx, a, state, 20, v.Pager.Offset()); err != nil {
		return err
	}
	secs, err := c.store.Sections(ctx)
	if err != nil {
		return err
	}
	for _, sec := range secs {
		v.Reviewer = v.Reviewer || a.MayReview(sec)
		if !a.MayEdit(sec) {
			continue
		}
		cols, err := c.store.Columns(ctx, sec.Code)
		if err != nil {
			return err
		}
		for _, col := range cols {
			if col.Kind == content.KindInteract || col.Kind == content.KindCatalogue {
				continue
			}
			v.Columns = append(v.Columns, columnChoice{ID: col.ID, Label: sec.Name + " · " + col.Name})
		}
	}
	return c.kit.RenderStatus(w, r, c.tmpl.list, status, web.View{Title: "网站稿件", Data: v})
}

// create starts a draft from the list page's form: a column and a title.
func (c *CMS) create(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	col, err := strconv.ParseInt(f.Get("column"), 10, 64)
	if err != nil || col <= 0 {
		f.Fail("column", "请选择栏目。")
	}
	if f.Get("title") == "" {
		f.Fail("title", "请填写标题。")
	}
	if !f.OK() {
		return c.renderList(w, r, f, http.StatusUnprocessableEntity)
	}
	id, err := c.store.Create(r.Context(), actor(r), col, content.Fields{Title: f.Get("title")})
	if content.CodeOf(err) == "invalid" {
		f.Fail("title", err.Error())
		return c.renderList(w, r, f, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fail(err)
	}
	return c.kit.Redirect(w, r, articlePath(id), "草稿已建立，请写正文，写好后送审。")
}

type editView struct {
	Art       content.Article
	Section   content.Section
	States    map[string]string
	Fields    content.Fields
	Problem   string
	CanEdit   bool // the working copy may be changed now
	CanSubmit bool
	CanRecall bool
	CanDecide bool
	CanPull   bool // withdraw
	CanUnplan bool
	Policies  []content.Item // for an interpretation to link
	Images    []content.File
	Trail     []content.Event
	Versions  []content.Version
	Actions   map[string]string
	Public    string // the published page's address
	Validity  []string
	// Policy and Guide are the fields' (empty when there are none);
	// Chosen the policy documents an interpretation explains.
	Policy content.Policy
	Guide  content.Guide
	Chosen map[int64]bool
	// ImagesJSON are the article's pictures for the editor's 插入图片.
	ImagesJSON string
	// Preview is the body as the public page will show it, its pictures
	// taken from the staff web's copy of the files.
	Preview template.HTML
}

// staffFiles finds a picture's public address in a sanitised body.
var staffFiles = regexp.MustCompile(`(<img\b[^>]*\bsrc=")/files/`)

var actionNames = map[string]string{
	"created": "新建", "saved": "保存", "submitted": "送审", "recalled": "撤回送审", "returned": "退回", "approved": "审核通过",
	"scheduled": "定时发布", "unscheduled": "取消定时发布", "published": "发布", "withdrawn": "撤稿", "file-added": "上传文件", "file-removed": "删除文件",
}

func (c *CMS) edit(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	return c.renderEdit(w, r, id, nil, "", http.StatusOK)
}

// renderEdit shows an article's desk; fields, when not nil, are what the
// person sent (a refused save keeps them).
func (c *CMS) renderEdit(w http.ResponseWriter, r *http.Request, id int64, fields *content.Fields, problem string, status int) error {
	ctx := r.Context()
	a := actor(r)
	art, err := c.store.Article(ctx, a, id)
	if err != nil {
		return fail(err)
	}
	sec, err := c.store.SectionOf(ctx, art.Column.Section)
	if err != nil {
		return err
	}
	v := editView{Art: art, Section: sec, States: content.StateNames, Fields: art.Fields, Problem: problem, Actions: actionNames, Validity: content.Validities}
	if fields != nil {
		v.Fields = *fields
	}
	v.Policy.Validity = content.Valid
	if v.Fields.Policy != nil {
		v.Policy = *v.Fields.Policy
	}
	if v.Fields.Guide != nil {
		v.Guide = *v.Fields.Guide
	}
	v.Chosen = map[int64]bool{}
	for _, p := range v.Fields.Interprets {
		v.Chosen[p] = true
	}
	open := art.State != content.StateReview && art.State != content.StateScheduled
	v.CanEdit = a.MayEdit(sec) && open
	v.CanSubmit = a.MayEdit(sec) && (art.State == content.StateDraft || art.State == content.StateReturned)
	v.CanRecall = a.MayEdit(sec) && art.State == content.StateReview
	v.CanDecide = a.MayReview(sec) && art.State == content.StateReview &&
		(art.EditedBy != a.Login || slices.Contains(a.Roles, content.RoleWebmaster) || slices.Contains(a.Roles, content.RoleAdmin))
	v.CanPull = a.MayReview(sec) && art.Live
	v.CanUnplan = a.MayReview(sec) && art.State == content.StateScheduled
	if art.Live && c.opts.PublicURL != "" {
		v.Public = strings.TrimSuffix(c.opts.PublicURL, "/") + "/art/" + strconv.FormatInt(id, 10)
	}
	type pic struct {
		Src  string `json:"src"`
		Name string `json:"name"`
	}
	pics := []pic{}
	for _, f := range art.Files {
		if f.Image {
			v.Images = append(v.Images, f)
			pics = append(pics, pic{Src: "/files/" + strconv.FormatInt(f.ID, 10) + "/" + url.PathEscape(f.Name), Name: f.Name})
		}
	}
	js, _ := json.Marshal(pics)
	v.ImagesJSON = string(js)
	v.Preview = template.HTML(staffFiles.ReplaceAllString(content.Sanitize(v.Fields.Body), `${1}/portal/files/`))
	if art.Column.Kind == content.KindInterpret {
		if v.Policies, _, err = c.store.Catalogue(ctx, "", 500, 0); err != nil {
			return err
		}
	}
	if v.Trail, err = c.store.Trail(ctx, id); err != nil {
		return err
	}
	if v.Versions, err = c.store.Versions(ctx, id); err != nil {
		return err
	}
	return c.kit.RenderStatus(w, r, c.tmpl.edit, status, web.View{Title: art.Fields.Title, Data: v})
}

// fieldsOf reads the edit form.
func fieldsOf(f *web.Form, kind string) content.Fields {
	out := content.Fields{Title: f.Get("title"), Summary: f.Get("summary"), Body: f.Values.Get("body"), Source: f.Get("source"),
		Author: f.Get("author"), Keywords: f.Get("keywords")}
	out.Cover, _ = strconv.ParseInt(f.Get("cover"), 10, 64)
	switch kind {
	case content.KindPolicy:
		out.Policy = &content.Policy{IndexNo: f.Get("p_index"), Number: f.Get("p_number"), Issuer: f.Get("p_issuer"),
			Written: f.Get("p_written"), Validity: f.Get("p_validity"), Topic: f.Get("p_topic")}
	case content.KindGuide:
		out.Guide = &content.Guide{Matter: f.Get("g_matter"), Basis: f.Get("g_basis"), Conditions: f.Get("g_conditions"),
			Materials: f.Get("g_materials"), Place: f.Get("g_place"), Hours: f.Get("g_hours"), Fees: f.Get("g_fees"),
			TimeLimit: f.Get("g_timelimit"), Phone: f.Get("g_phone")}
	case content.KindInterpret:
		for _, s := range f.All("interprets") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				out.Interprets = append(out.Interprets, n)
			}
		}
	}
	return out
}

func (c *CMS) save(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	a := actor(r)
	art, err := c.store.Article(r.Context(), a, id)
	if err != nil {
		return fail(err)
	}
	f := web.NewForm(r)
	fields := fieldsOf(f, art.Column.Kind)
	version, _ := strconv.Atoi(f.Get("version"))
	err = c.store.Save(r.Context(), a, id, version, fields)
	if code := content.CodeOf(err); code == "invalid" || code == "conflict" {
		return c.renderEdit(w, r, id, &fields, err.Error(), http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fail(err)
	}
	if f.Get("then") == "submit" {
		if err := c.store.Submit(r.Context(), a, id); err != nil {
			if content.CodeOf(err) == "invalid" {
				return c.renderEdit(w, r, id, nil, "已保存，但还不能送审："+err.Error(), http.StatusUnprocessableEntity)
			}
			return fail(err)
		}
		return c.kit.Redirect(w, r, articlePath(id), "已保存并送审，请等待审核。")
	}
	return c.kit.Redirect(w, r, articlePath(id), "已保存为新的一版。")
}

// step is one of the article's steps: 送审, 撤回, 通过, 退回, 撤稿, 取消定时.
func (c *CMS) step(what string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idOf(r, "id")
		if err != nil {
			return err
		}
		ctx, a, f := r.Context(), actor(r), web.NewForm(r)
		var msg string
		switch what {
		case "submit":
			err, msg = c.store.Submit(ctx, a, id), "已送审，请等待审核。"
		case "recall":
			err, msg = c.store.Recall(ctx, a, id), "已撤回送审，稿件回到草稿。"
		case "approve":
			at, perr := parseLocal(f.Get("at"))
			if perr != nil {
				return c.renderEdit(w, r, id, nil, "定时发布的时间要写成 2026-12-08 09:00 这样的形式。", http.StatusUnprocessableEntity)
			}
			err = c.store.Approve(ctx, a, id, f.Get("opinion"), at)
			msg = "审核通过，已在网站发布。"
			if !at.IsZero() && at.After(time.Now()) {
				msg = "审核通过，将于 " + at.In(shanghai).Format("2006-01-02 15:04") + " 发布。"
			}
		case "return":
			err, msg = c.store.Return(ctx, a, id, f.Get("opinion")), "已退回给编辑，并附上了审核意见。"
		case "withdraw":
			err, msg = c.store.Withdraw(ctx, a, id, f.Get("reason")), "已撤稿：网站上不再显示这篇文章，撤稿原因已记录。"
		case "unschedule":
			err, msg = c.store.Unschedule(ctx, a, id), "已取消定时发布，稿件回到草稿。"
		}
		if content.CodeOf(err) == "invalid" || content.CodeOf(err) == "conflict" {
			return c.renderEdit(w, r, id, nil, err.Error(), http.StatusUnprocessableEntity)
		}
		if err != nil {
			return fail(err)
		}
		c.log.Info("portal article "+what, "id", id, "by", a.Login)
		return c.kit.Redirect(w, r, articlePath(id), msg)
	}
}

func (c *CMS) upload(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return c.renderEdit(w, r, id, nil, "请选择要上传的文件。", http.StatusUnprocessableEntity)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, web.MaxUploadBytes+1))
	if err != nil {
		return err
	}
	f, err := c.store.AddFile(r.Context(), actor(r), id, hdr.Filename, data)
	if code := content.CodeOf(err); code == "invalid" || code == "conflict" {
		return c.renderEdit(w, r, id, nil, err.Error(), http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fail(err)
	}
	msg := "附件「" + f.Name + "」已上传，发布后在文章末尾列出。"
	if f.Image {
		msg = "图片「" + f.Name + "」已上传：可设为封面，或把下方的图片代码放进正文。"
	}
	return c.kit.Redirect(w, r, articlePath(id), msg)
}

func (c *CMS) removeFile(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	file, err := idOf(r, "file")
	if err != nil {
		return err
	}
	if err := c.store.RemoveFile(r.Context(), actor(r), id, file); err != nil {
		if content.CodeOf(err) == "conflict" {
			return c.renderEdit(w, r, id, nil, err.Error(), http.StatusUnprocessableEntity)
		}
		return fail(err)
	}
	return c.kit.Redirect(w, r, articlePath(id), "文件已从稿件中删除。")
}

type versionView struct {
	Art     content.Article
	Version content.Version
}

func (c *CMS) version(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return web.NotFound("没有这一版。")
	}
	art, err := c.store.Article(r.Context(), actor(r), id)
	if err != nil {
		return fail(err)
	}
	vs, err := c.store.Versions(r.Context(), id)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.N == n {
			return c.kit.Render(w, r, c.tmpl.version, web.View{Title: "第 " + strconv.Itoa(n) + " 版", Data: versionView{Art: art, Version: v}})
		}
	}
	return web.NotFound("没有这一版。")
}

// file is an article's file as its editors and reviewers see it,
// published or not.
func (c *CMS) file(w http.ResponseWriter, r *http.Request) error {
	n, err := idOf(r, "file")
	if err != nil {
		return err
	}
	a := actor(r)
	f, data, err := c.store.FileData(r.Context(), n, &a)
	if err != nil {
		return fail(err)
	}
	disp := "attachment"
	if f.Image {
		disp = "inline"
	}
	w.Header().Set("Content-Type", f.Type)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": f.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, err = w.Write(data)
	return err
}
