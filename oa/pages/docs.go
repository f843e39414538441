package pages

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/web"
	"nanhu/internal/workcal"
	"nanhu/oa/docflow"
	"nanhu/oa/flow"
	"nanhu/oa/org"
)

// docErr maps the engine's errors onto the kit's.
func docErr(err error) error {
	var e *docflow.Error
	if !errors.As(err, &e) {
		return err
	}
	status := map[string]int{
		"not_found": http.StatusNotFound, "forbidden": http.StatusForbidden, "not_allowed": http.StatusConflict,
		"gone": http.StatusConflict, "invalid": http.StatusUnprocessableEntity, "choose_next": http.StatusUnprocessableEntity,
		"classified": http.StatusUnprocessableEntity, "conflict": http.StatusConflict,
	}[e.Code]
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &web.Error{Status: status, Message: e.Msg, Code: e.Code, Cause: err}
}

func idOf(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, web.NotFound("没有这个编号。")
	}
	return id, nil
}

// option is one choice of a select or a list of boxes.
type option struct {
	Value, Label string
	Selected     bool
}

func optionsOf(values []string, selected string, empty string) []option {
	var out []option
	for _, v := range values {
		l := v
		if v == "" {
			l = empty
		}
		out = append(out, option{v, l, v == selected})
	}
	return out
}

// staffOptions are the people a form may choose, by department.
func staffOptions(c *org.Chart, selected []string, except string) []option {
	var out []option
	for _, l := range c.Enabled() {
		if l == except {
			continue
		}
		label := c.Name(l)
		if d := c.FirstDept(l); d != "" {
			label += "（" + c.DeptName(d) + "）"
		}
		out = append(out, option{l, label, slices.Contains(selected, l)})
	}
	return out
}

func organOptions(c *org.Chart, selected string) []option {
	var out []option
	for _, code := range c.Order {
		if d := c.Depts[code]; d.Daizi != "" {
			out = append(out, option{code, d.Name + "（" + d.Daizi + "）", code == selected})
		}
	}
	return out
}

func typeOptions(selected string) []option {
	var out []option
	for _, t := range docflow.Types {
		l := t.Name
		if t.Direction != "" {
			l += "（" + t.Direction + "）"
		}
		out = append(out, option{t.Name, l, t.Name == selected})
	}
	return out
}

// ---- the 公文 workbench --------------------------------------------------

// todosPerPage is how many to-dos a page of 待办 lists.
const todosPerPage = 50

type oaHomeView struct {
	Pager  web.Pager
	Tab    string
	Tabs   []option
	Rows   template.HTML // the table's rows of 待办, 待阅 or 已办
	Docs   []docRowView
	Counts map[string]int
	Flows  []docflow.FlowInfo
	Empty  string
}

type taskRowView struct {
	docflow.Task
	Due, Created, DoneAt string
	Urgent               bool
	Sender               string
	OnBehalfName         string
}

// taskRow is a row of the 待办, 待阅 or 已办 table: what it shows, and
// the key under which it is kept rendered.
type taskRow struct {
	Doc                                        int64
	Title, Number, OnBehalfName, Step, Urgency string
	Sender, Created, Due, DoneAction, DoneAt   string
	Urgent, Overdue, DoneTab                   bool
}

// rows are the table rows of ts, each rendered once and kept.
func (p *Pages) rows(ts []taskRowView, doneTab bool) (template.HTML, error) {
	rs := make([]taskRow, len(ts))
	for i, t := range ts {
		rs[i] = taskRow{Doc: t.Doc, Title: t.Title, Number: t.Number, OnBehalfName: t.OnBehalfName, Step: t.Step, Urgency: t.Urgency,
			Sender: t.Sender, Created: t.Created, Due: t.Due, DoneAction: t.DoneAction, DoneAt: t.DoneAt, Urgent: t.Urgent,
			Overdue: t.Overdue, DoneTab: doneTab}
	}
	return renderEach(&p.frags, p.tmpl.oaHome, "taskrow", rs)
}

type docRowView struct {
	docflow.DocSummary
	Where   string
	Updated string
}

func (p *Pages) taskRows(c *org.Chart, ts []docflow.Task) []taskRowView {
	out := make([]taskRowView, 0, len(ts))
	for _, t := range ts {
		v := taskRowView{Task: t, Urgent: t.Urgency == "特急" || t.Urgency == "加急", Sender: c.Name(t.Sender)}
		if !t.Due.IsZero() {
			v.Due = t.Due.In(workcal.Shanghai()).Format("01-02 15:04")
		}
		v.Created = t.Created.In(workcal.Shanghai()).Format("01-02 15:04")
		if !t.Done.IsZero() {
			v.DoneAt = t.Done.In(workcal.Shanghai()).Format("2006-01-02 15:04")
		}
		if t.OnBehalf != "" {
			v.OnBehalfName = c.Name(t.OnBehalf)
		}
		out = append(out, v)
	}
	return out
}

func docRows(ds []docflow.DocSummary) []docRowView {
	out := make([]docRowView, 0, len(ds))
	for _, d := range ds {
		w := d.State
		if len(d.Holders) > 0 {
			w += "（" + strings.Join(d.Holders, "、") + "）"
		}
		out = append(out, docRowView{DocSummary: d, Where: w, Updated: d.Updated.In(workcal.Shanghai()).Format("2006-01-02 15:04")})
	}
	return out
}

var oaTabs = []struct{ key, label string }{
	{"todo", "待办"}, {"read", "待阅"}, {"done", "已办"}, {"drafts", "我的草稿"}, {"tracking", "在办跟踪"},
}

// oaHome is GET /oa: 待办, 待阅, 已办, 我的草稿 and 在办跟踪.
func (p *Pages) oaHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	login := web.LoginOf(r)
	d := p.opts.Docs
	gen := d.Generation() // before anything is read
	c, err := d.Chart(ctx)
	if err != nil {
		return err
	}
	// The lists of tasks are kept rendered for the person and the page
	// asked for, as long as oa.db and the chart (the names) are unchanged,
	// and for the minute: a deadline passing shows as 已超期 within it.
	key := homePage{Login: login, Query: r.URL.RawQuery, Gen: gen, Chart: c, Minute: d.Now().Unix() / 60}
	if body, ok := p.frags.get(key); ok {
		return p.kit.Render(w, r, p.tmpl.oaHome, web.View{Title: "公文", Data: body})
	}
	tab := r.URL.Query().Get("tab")
	v := oaHomeView{Tab: "todo", Counts: map[string]int{}}
	for _, t := range oaTabs {
		if t.key == tab {
			v.Tab = tab
		}
	}
	if v.Counts["todo"], v.Counts["read"], err = d.OpenCounts(ctx, login); err != nil {
		return err
	}
	for _, t := range oaTabs {
		label := t.label
		if n, ok := v.Counts[t.key]; ok {
			label += fmt.Sprintf("（%d）", n)
		}
		v.Tabs = append(v.Tabs, option{t.key, label, t.key == v.Tab})
	}
	switch v.Tab {
	case "todo":
		v.Pager = web.NewPager(r, todosPerPage, v.Counts["todo"])
		todos, err := d.TodosPage(ctx, login, v.Pager.Offset(), todosPerPage)
		if err != nil {
			return err
		}
		if v.Rows, err = p.rows(p.taskRows(c, todos), false); err != nil {
			return err
		}
		v.Empty = "暂无待办。"
	case "read":
		reads, err := d.Reads(ctx, login, 300)
		if err != nil {
			return err
		}
		if v.Rows, err = p.rows(p.taskRows(c, reads), false); err != nil {
			return err
		}
		v.Empty = "暂无待阅。"
	case "done":
		ts, err := d.Done(ctx, login, 100)
		if err != nil {
			return err
		}
		if v.Rows, err = p.rows(p.taskRows(c, ts), true); err != nil {
			return err
		}
		v.Empty = "还没有办理过公文。"
	case "drafts":
		ds, err := d.Drafts(ctx, login, 100)
		if err != nil {
			return err
		}
		v.Docs, v.Empty = docRows(ds), "没有草稿。"
	case "tracking":
		ds, err := d.Tracking(ctx, login, 100)
		if err != nil {
			return err
		}
		v.Docs, v.Empty = docRows(ds), "没有您拟稿或经办的公文。"
	}
	if v.Flows, err = d.Flows(ctx); err != nil {
		return err
	}
	var body template.HTML
	if v.Docs == nil {
		// The lists of tasks are kept rendered under all they show.
		var flows strings.Builder
		for _, f := range v.Flows {
			flows.WriteString(f.Key + "\x1f" + f.Name + "\x1f" + f.Kind + "\x1e")
		}
		hk := homeKey{Query: r.URL.RawQuery, Tab: v.Tab, Counts: [2]int{v.Counts["todo"], v.Counts["read"]}, Rows: v.Rows,
			Empty: v.Empty, Flows: flows.String()}
		if body, err = p.frags.renderKey(hk, p.tmpl.oaHome, "home", v); err == nil {
			p.frags.keep(key, body)
		}
	} else {
		body, err = p.tmpl.oaHome.Fragment("home", v)
	}
	if err != nil {
		return err
	}
	return p.kit.Render(w, r, p.tmpl.oaHome, web.View{Title: "公文", Data: body})
}

// homePage is a person's view of the 公文 page's lists at one generation
// of oa.db, one chart and one minute: the key under which it is kept.
type homePage struct {
	Login, Query string
	Gen          uint64
	Chart        *org.Chart
	Minute       int64
}

// homeKey is what the 公文 page's lists of tasks show, the key under
// which one is kept rendered.
type homeKey struct {
	Query, Tab   string
	Counts       [2]int
	Rows         template.HTML
	Empty, Flows string
}

// ---- a new document ------------------------------------------------------

type docFormView struct {
	Flow, Kind, Action string
	Form               *web.Form
	Types, Urgencies   []option
	Secrecies, Organs  []option
	Disclosures        []option
	Handlings          []option
	Retentions         []option
	Depts              []option
	Directions         []option
	ClassifiedNote     string
	Submit             string
	CSRF               template.HTML
}

func (p *Pages) docForm(ctx context.Context, r *http.Request, flowKey, kind string, f *web.Form) (docFormView, error) {
	c, err := p.opts.Docs.Chart(ctx)
	if err != nil {
		return docFormView{}, err
	}
	v := docFormView{Flow: flowKey, Kind: kind, Form: f,
		Types:       typeOptions(f.Get("type")),
		Urgencies:   optionsOf(docflow.Urgencies, f.Get("urgency"), "平件（不标注）"),
		Secrecies:   optionsOf(docflow.Secrecies, f.Get("secrecy"), "非密"),
		Organs:      organOptions(c, f.Get("organ")),
		Disclosures: optionsOf(docflow.Disclosures, f.Get("disclosure"), ""),
		Handlings:   optionsOf(docflow.Handlings, f.Get("handling"), ""),
		Retentions:  optionsOf(docflow.Retentions, f.Get("retention"), ""),
		Directions:  optionsOf(docflow.Directions, f.Get("direction"), ""),
	}
	for _, code := range c.Order {
		dep := c.Depts[code]
		if dep.Kind != org.KindSection {
			v.Depts = append(v.Depts, option{code, dep.Name, code == f.Get("lead_dept")})
		}
	}
	v.CSRF = web.CSRFFieldOf(r)
	v.ClassifiedNote = "政务外网不是涉密网络：标为秘密及以上的公文只登记元数据，不能在本系统中保存正文和附件。"
	return v, nil
}

func draftOf(f *web.Form) docflow.Draft {
	copies, _ := strconv.Atoi(f.Get("copies"))
	return docflow.Draft{Flow: f.Get("flow"), Type: f.Get("type"), Direction: f.Get("direction"), Title: f.Get("title"),
		Urgency: f.Get("urgency"), Secrecy: f.Get("secrecy"), SecrecyTerm: f.Get("secrecy_term"), Organ: f.Get("organ"),
		JointOrgans: f.All("joint_organs"), MainTo: []string{f.Get("main_to")}, CopyTo: []string{f.Get("copy_to")},
		Body: strings.ReplaceAll(f.Values.Get("body"), "\r\n", "\n"), AttachNote: f.Get("attach_note"), Remark: f.Get("remark"),
		Disclosure: f.Get("disclosure"), Reason: f.Get("disclosure_reason"), CopyNo: f.Get("copy_no"), Copies: copies,
		Distrib: f.Get("distribution"), FromUnit: f.Get("from_unit"), OrigNumber: f.Get("orig_number"), Handling: f.Get("handling"),
		LeadDept: f.Get("lead_dept"), AssistDepts: f.All("assist_depts"), HandleBy: f.Get("handle_by"), Retention: f.Get("retention")}
}

func formOfDoc(d *docflow.Document) *web.Form {
	f := web.NewForm(nil)
	set := func(k, v string) { f.Set(k, v) }
	set("flow", d.Flow)
	set("type", d.Type)
	set("direction", d.Direction)
	set("title", d.Title)
	set("urgency", d.Urgency)
	set("secrecy", d.Secrecy)
	set("secrecy_term", d.SecrecyTerm)
	set("organ", d.Organ)
	set("main_to", strings.Join(d.MainTo, "、"))
	set("copy_to", strings.Join(d.CopyTo, "、"))
	if d.BodyFile == "" {
		set("body", d.Body)
	}
	set("attach_note", d.AttachNote)
	set("remark", d.Remark)
	set("disclosure", d.Disclosure)
	set("disclosure_reason", d.DisclosureReason)
	set("copy_no", d.CopyNo)
	if d.Copies > 0 {
		set("copies", strconv.Itoa(d.Copies))
	}
	set("distribution", d.Distribution)
	set("from_unit", d.FromUnit)
	set("orig_number", d.OrigNumber)
	set("handling", d.Handling)
	set("lead_dept", d.LeadDept)
	set("handle_by", d.HandleBy)
	set("retention", d.Retention)
	return f
}

func failFields(f *web.Form, err error) bool {
	var e *docflow.Error
	if !errors.As(err, &e) || e.Code != "invalid" && e.Code != "classified" {
		return false
	}
	if len(e.Fields) == 0 {
		field := ""
		if e.Code == "classified" {
			field = "body"
		}
		f.Fail(field, e.Msg)
	}
	for _, fe := range e.Fields {
		f.Fail(fe.Field, fe.Message)
	}
	return true
}

// docNew is GET /oa/new?flow=…: the form of a new document.
func (p *Pages) docNew(w http.ResponseWriter, r *http.Request) error {
	def, err := p.opts.Docs.Flow(r.Context(), r.URL.Query().Get("flow"), 0)
	if err != nil {
		return docErr(err)
	}
	f := web.NewForm(nil)
	f.Set("flow", def.Key)
	if def.Kind == "发文" {
		f.Set("type", "通知")
		f.Set("disclosure", "主动公开")
	}
	f.Set("retention", "30年")
	if c, err := p.opts.Docs.Chart(r.Context()); err == nil {
		f.Set("organ", c.OrganOf(c.FirstDept(web.LoginOf(r))))
	}
	return p.renderDocNew(w, r, def, f, http.StatusOK)
}

func (p *Pages) renderDocNew(w http.ResponseWriter, r *http.Request, def *flow.Def, f *web.Form, status int) error {
	v, err := p.docForm(r.Context(), r, def.Key, def.Kind, f)
	if err != nil {
		return err
	}
	v.Action, v.Submit = "/oa/docs", "保存草稿"
	return p.kit.RenderStatus(w, r, p.tmpl.docNew, status, web.View{Title: "新建" + def.Name, Data: v})
}

// docCreate is POST /oa/docs.
func (p *Pages) docCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	def, err := p.opts.Docs.Flow(r.Context(), f.Get("flow"), 0)
	if err != nil {
		return docErr(err)
	}
	d, _, err := p.opts.Docs.Create(r.Context(), web.LoginOf(r), draftOf(f))
	if failFields(f, err) {
		return p.renderDocNew(w, r, def, f, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return docErr(err)
	}
	return p.kit.Redirect(w, r, fmt.Sprintf("/oa/docs/%d", d.ID), "草稿已保存。办理完毕后，在下方选择下一步和办理人送出。")
}

// ---- the document page ----------------------------------------------------

type docPageView struct {
	V          *docflow.View
	D          *docflow.Document
	Where      string
	Holders    []string
	Organ      string
	Joint      string
	Signers    string
	Counter    string
	Received   string
	Lead       string
	Assist     string
	Opinions   []opinionView
	Trail      []trailView
	Bodies     []bodyView
	Attach     []attachView
	Diagram    template.HTML
	Tasks      []taskForm
	Edit       *docFormView
	Withdraw   []docflow.Task
	Urge       []docflow.Task
	Phrases    []string
	Problem    string
	PrintView  bool
	Classified bool
	Readers    []readerView
	// Case is the citizen's case a 来信 carries.
	Case        *docflow.CaseInfo
	CaseChannel string
	CaseFiles   []CaseFile
}

type opinionView struct {
	Field, Who, Text, At, Action string
}

type trailView struct {
	Seq                     int64
	At, Who, Action, Step   string
	Opinion, Detail, Source string
	Hash                    string
}

type bodyView struct {
	Version      int
	At, By, Name string
	Size         string
	Href         string
}

type attachView struct {
	Name, Size, At, By, Href string
}

type readerView struct {
	Name, State, At string
}

// taskForm is the action form of one of the viewer's tasks.
type taskForm struct {
	T        docflow.Task
	Read     bool
	Step     string
	Opinion  string // the opinion field's name
	Routes   []routeView
	Returns  []option
	Staff    []option
	Can      map[string]bool
	Problem  string
	OnBehalf string
	// Extend: the 办理答复 of a citizen's case, whose handler may ask
	// for a 延期.
	Extend bool
}

type routeView struct {
	To, Label string
	Checked   bool
	End       bool
	Steps     []stepView
}

type stepView struct {
	Node, Name, Mode string
	Radio            bool
	Fixed            bool // nothing to choose: who acts is shown
	People           []option
	Optional         bool
}

var modeNames = map[string]string{"single": "一人办理", "all": "会签（全部办理）", "any": "或签（一人办理即可）", "ratio": "按比例", "sequential": "串签（依次办理）"}

func (p *Pages) docView(w http.ResponseWriter, r *http.Request, id int64, problem string, edit *web.Form, status int, printView bool) error {
	ctx := r.Context()
	login := web.LoginOf(r)
	v, err := p.opts.Docs.ViewOf(ctx, login, id)
	if err != nil {
		return docErr(err)
	}
	c := v.Chart
	d := v.Doc
	pv := docPageView{V: v, D: d, Problem: problem, PrintView: printView, Classified: d.Classified(),
		Organ: c.DeptName(d.Organ), Lead: c.DeptName(d.LeadDept)}
	if d.Kind == "来信" {
		ci, ok, err := p.opts.Docs.Case(ctx, d.ID)
		if err != nil {
			return err
		}
		if ok {
			pv.Case, pv.CaseChannel = &ci, docflow.ChannelNames[ci.Channel]
			if p.opts.CaseFiles != nil {
				if pv.CaseFiles, err = p.opts.CaseFiles.CaseFiles(ctx, ci.Case); err != nil {
					return err
				}
			}
		}
	}
	var joint, assist, counter []string
	for _, o := range d.JointOrgans {
		joint = append(joint, c.DeptName(o))
	}
	for _, o := range d.AssistDepts {
		assist = append(assist, c.DeptName(o))
	}
	for _, l := range d.Countersigners {
		counter = append(counter, c.Name(l))
	}
	pv.Joint, pv.Assist, pv.Counter = strings.Join(joint, "、"), strings.Join(assist, "、"), strings.Join(counter, "、")
	var signers []string
	for _, s := range d.Signers {
		signers = append(signers, s.Name+" "+s.At.In(workcal.Shanghai()).Format("2006-01-02 15:04"))
	}
	pv.Signers = strings.Join(signers, "；")
	if d.ReceivedBy != "" {
		pv.Received = c.Name(d.ReceivedBy) + " " + d.ReceivedAt.In(workcal.Shanghai()).Format("2006-01-02 15:04")
	}
	for _, h := range v.Holders {
		who := h.AssigneeName
		if h.OnBehalf != "" {
			who += "（代" + c.Name(h.OnBehalf) + "）"
		}
		pv.Holders = append(pv.Holders, h.Step+"："+who)
	}
	switch {
	case v.Status == "completed":
		pv.Where = "流程已结束：" + d.State
	case v.Status == "terminated":
		pv.Where = "流程已终止：" + d.State
	case len(pv.Holders) > 0:
		pv.Where = "现在在：" + strings.Join(pv.Holders, "；")
	default:
		pv.Where = d.State
	}
	for _, o := range v.Opinions {
		who := o.Name
		if o.As != "" {
			who += "（代" + o.AsName + "）"
		}
		pv.Opinions = append(pv.Opinions, opinionView{Field: o.Field, Who: who, Text: o.Text,
			At: o.At.In(workcal.Shanghai()).Format("2006-01-02 15:04"), Action: docflow.ActionNames[o.Action]})
	}
	for _, e := range v.Trail {
		who := c.Name(e.Actor)
		if e.Actor == docflow.System {
			who = "系统"
		}
		if e.As != "" {
			who += "（代" + c.Name(e.As) + "）"
		}
		step := ""
		if n := v.Def.Node(e.From); n != nil {
			step = n.Name
		}
		if n := v.Def.Node(e.To); n != nil && e.To != e.From {
			if step != "" {
				step += " → "
			}
			step += n.Name
		}
		src := map[string]string{"web": "网页", "api": "接口", "sms": "短信", "timer": "定时"}[e.Src]
		pv.Trail = append(pv.Trail, trailView{Seq: e.Seq, At: e.At.In(workcal.Shanghai()).Format("2006-01-02 15:04:05"), Who: who,
			Action: nameOr(docflow.ActionNames[e.Action], e.Action), Step: step, Opinion: e.Opinion, Detail: p.detailText(c, e.Detail),
			Source: src, Hash: e.Hash[:12]})
	}
	for _, b := range v.Bodies {
		pv.Bodies = append(pv.Bodies, bodyView{Version: b.Version, At: b.At.In(workcal.Shanghai()).Format("2006-01-02 15:04"), By: b.ByName,
			Name: b.Name, Size: web.FormatBytes(b.Size), Href: fmt.Sprintf("/oa/docs/%d/body/%d", d.ID, b.Version)})
	}
	for _, a := range v.Attachments {
		pv.Attach = append(pv.Attach, attachView{Name: a.Name, Size: web.FormatBytes(a.Size), At: a.At.In(workcal.Shanghai()).Format("2006-01-02 15:04"),
			By: a.ByName, Href: fmt.Sprintf("/oa/docs/%d/attachments/%d", d.ID, a.ID)})
	}
	for _, t := range v.Tasks {
		if t.Kind == "read" {
			rv := readerView{Name: t.AssigneeName, State: "未阅"}
			if t.State == "done" {
				rv.State, rv.At = "已阅", t.Done.In(workcal.Shanghai()).Format("2006-01-02 15:04")
			}
			pv.Readers = append(pv.Readers, rv)
		}
	}
	pv.Diagram = diagram(v)
	if !printView {
		for _, t := range v.Mine {
			tf, err := p.taskFormOf(ctx, login, v, t)
			if err != nil {
				return err
			}
			pv.Tasks = append(pv.Tasks, tf)
		}
		pv.Withdraw = v.Withdrawable
		if v.CanUrge {
			for _, h := range v.Holders {
				if n := v.Def.Node(h.Node); n != nil && slices.Contains(n.Actions, flow.Urge) && h.Assignee != login {
					pv.Urge = append(pv.Urge, h)
				}
			}
		}
		if v.CanEdit {
			f := edit
			if f == nil {
				f = formOfDoc(d)
			}
			fv, err := p.docForm(ctx, r, d.Flow, d.Kind, f)
			if err != nil {
				return err
			}
			fv.Action, fv.Submit = fmt.Sprintf("/oa/docs/%d", d.ID), "保存修改"
			pv.Edit = &fv
		}
		if pv.Phrases, err = p.opts.Docs.Phrases(ctx, login); err != nil {
			return err
		}
	}
	title := d.Title
	if d.Number != "" {
		title = d.Number + " " + d.Title
	}
	page := p.tmpl.doc
	if printView {
		page = p.tmpl.docPrint
	}
	return p.kit.RenderStatus(w, r, page, status, web.View{Title: title, Data: pv})
}

func nameOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// detailText is a trail record's detail as a sentence.
func (p *Pages) detailText(c *org.Chart, js string) string {
	if js == "" {
		return ""
	}
	var m map[string]any
	if err := jsonUnmarshal(js, &m); err != nil {
		return js
	}
	var parts []string
	names := func(v any) string {
		var out []string
		if list, ok := v.([]any); ok {
			for _, x := range list {
				out = append(out, c.Name(fmt.Sprint(x)))
			}
		}
		return strings.Join(out, "、")
	}
	if v, ok := m["people"]; ok {
		parts = append(parts, "办理人："+names(v))
	}
	if v, ok := m["readers"]; ok {
		parts = append(parts, "传阅："+names(v))
	}
	if v, ok := m["to"]; ok {
		if s, ok := v.(string); ok {
			parts = append(parts, "交给："+c.Name(s))
		}
	}
	if v, ok := m["number"]; ok {
		parts = append(parts, "发文字号："+fmt.Sprint(v))
	}
	if v, ok := m["where"]; ok {
		parts = append(parts, map[string]string{"before": "在本人之前", "after": "在本人之后"}[fmt.Sprint(v)])
	}
	if v, ok := m["name"]; ok {
		parts = append(parts, "文件："+fmt.Sprint(v))
	}
	if v, ok := m["body_version"]; ok {
		parts = append(parts, "正文第 "+fmt.Sprint(v)+" 版")
	}
	return strings.Join(parts, "；")
}

func (p *Pages) taskFormOf(ctx context.Context, login string, v *docflow.View, t docflow.Task) (taskForm, error) {
	tf := taskForm{T: t, Read: t.Kind == "read", Step: t.Step, Can: map[string]bool{},
		Extend: v.Doc.Kind == "来信" && v.Doc.Flow == docflow.CaseFlow && t.Node == "handle" && t.Assignee == login}
	if t.OnBehalf != "" && t.OnBehalf != login {
		tf.OnBehalf = v.Chart.Name(t.OnBehalf)
	}
	if tf.Read {
		return tf, nil
	}
	n := v.Def.Node(t.Node)
	tf.Opinion = n.Opinion
	if tf.Opinion == "" {
		tf.Opinion = "办理意见"
	}
	for _, a := range t.Actions {
		tf.Can[a] = true
	}
	for _, rt := range n.ReturnTo {
		for _, done := range v.Tasks {
			if done.Node == rt && done.State == "done" {
				tf.Returns = append(tf.Returns, option{rt, v.Def.Node(rt).Name, len(tf.Returns) == 0})
				break
			}
		}
	}
	tf.Staff = staffOptions(v.Chart, nil, login)
	routes, err := p.opts.Docs.Plan(ctx, login, t.ID)
	if err != nil {
		return tf, docErr(err)
	}
	for i, ro := range routes {
		rv := routeView{To: ro.To, Label: ro.Label, Checked: i == 0, End: ro.End}
		for _, st := range ro.Steps {
			sv := stepView{Node: st.Node, Name: st.Name, Mode: modeNames[st.Mode], Radio: !st.Multi, Optional: st.Optional}
			if st.Kind == "read" {
				sv.Mode = "传阅（可不选）"
			}
			sv.Fixed = !st.Choose
			for _, c := range st.Candidates {
				label := c.Name
				if c.Dept != "" {
					label += "（" + c.Dept + "）"
				}
				sel := slices.Contains(st.Defaults, c.Login) && (st.Multi || len(st.Defaults) == 1)
				sv.People = append(sv.People, option{c.Login, label, sel})
			}
			rv.Steps = append(rv.Steps, sv)
		}
		tf.Routes = append(tf.Routes, rv)
	}
	return tf, nil
}

// doc is GET /oa/docs/{id}.
func (p *Pages) doc(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	return p.docView(w, r, id, "", nil, http.StatusOK, false)
}

// docPrint is GET /oa/docs/{id}/print: the document and its opinions.
func (p *Pages) docPrint(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	return p.docView(w, r, id, "", nil, http.StatusOK, true)
}

// docSave is POST /oa/docs/{id}: the fields changed.
func (p *Pages) docSave(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	f := web.NewForm(r)
	err = p.opts.Docs.Update(r.Context(), web.LoginOf(r), id, draftOf(f))
	if failFields(f, err) {
		return p.docView(w, r, id, "", f, http.StatusUnprocessableEntity, false)
	}
	if err != nil {
		return docErr(err)
	}
	return p.kit.Redirect(w, r, fmt.Sprintf("/oa/docs/%d", id), "修改已保存。")
}

// docUpload is POST /oa/docs/{id}/body and …/attachments.
func (p *Pages) docUpload(body bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idOf(r, "id")
		if err != nil {
			return err
		}
		file, hdr, err := r.FormFile("file")
		if err != nil {
			return p.docView(w, r, id, "请选择要上传的文件。", nil, http.StatusUnprocessableEntity, false)
		}
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, web.MaxUploadBytes+1))
		if err != nil {
			return err
		}
		if body {
			err = p.opts.Docs.UploadBody(r.Context(), web.LoginOf(r), id, hdr.Filename, data)
		} else {
			err = p.opts.Docs.AddAttachment(r.Context(), web.LoginOf(r), id, hdr.Filename, data)
		}
		var e *docflow.Error
		if errors.As(err, &e) && (e.Code == "invalid" || e.Code == "classified") {
			return p.docView(w, r, id, e.Msg, nil, http.StatusUnprocessableEntity, false)
		}
		if err != nil {
			return docErr(err)
		}
		msg := "附件已上传。"
		if body {
			msg = "正文已上传，保存为新的一版。"
		}
		return p.kit.Redirect(w, r, fmt.Sprintf("/oa/docs/%d", id), msg)
	}
}

// docFile is GET /oa/docs/{id}/body/{v} and …/attachments/{aid}.
func (p *Pages) docFile(body bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idOf(r, "id")
		if err != nil {
			return err
		}
		ok, err := p.opts.Docs.CanSee(r.Context(), web.LoginOf(r), id)
		if err != nil {
			return err
		}
		if !ok {
			return web.NotFound("没有这份公文，或者您无权查看。")
		}
		n, err := idOf(r, "n")
		if err != nil {
			return err
		}
		var f docflow.File
		if body {
			f, err = p.opts.Docs.Body(r.Context(), id, int(n))
		} else {
			f, err = p.opts.Docs.AttachmentFile(r.Context(), id, n)
		}
		if err != nil {
			return docErr(err)
		}
		w.Header().Set("Content-Type", f.Type)
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
		_, err = w.Write(f.Data)
		return err
	}
}

// caseFile is GET /oa/docs/{id}/casefiles/{n}: an attachment the citizen
// sent with the case the 来信 carries, for whoever may see the 来信.
func (p *Pages) caseFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	n, err := idOf(r, "n")
	if err != nil {
		return err
	}
	ok, err := p.opts.Docs.CanSee(ctx, web.LoginOf(r), id)
	if err != nil {
		return err
	}
	ci, isCase, err := p.opts.Docs.Case(ctx, id)
	if err != nil {
		return err
	}
	if !ok || !isCase || p.opts.CaseFiles == nil {
		return web.NotFound("没有这个附件，或者您无权查看。")
	}
	f, err := p.opts.CaseFiles.CaseFile(ctx, ci.Case, n)
	if err != nil {
		return web.NotFound("没有这个附件，或者您无权查看。")
	}
	w.Header().Set("Content-Type", f.Type)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(f.Data)
	return err
}

// actionOfForm reads an action form.
func actionOfForm(f *web.Form, kind string) docflow.Action {
	a := docflow.Action{Kind: kind, Opinion: strings.TrimSpace(f.Values.Get("opinion")), Route: f.Get("route"),
		Target: f.Get("target"), Before: f.Get("where") == "before", Readers: f.All("readers"), Source: "web",
		People: map[string][]string{}}
	switch kind {
	case flow.Transfer:
		a.To = f.Get("transfer_to")
	case flow.AddSign:
		a.To = f.Get("addsign_to")
	}
	for k, vs := range f.Values {
		if node, ok := strings.CutPrefix(k, "people."); ok {
			route, node, ok := strings.Cut(node, ".")
			if ok && route == a.Route {
				a.People[node] = vs
			}
		}
	}
	return a
}

// taskAct is POST /oa/tasks/{id}/act: the submit buttons of a task's form.
func (p *Pages) taskAct(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	f := web.NewForm(r)
	kind := f.Get("action")
	ctx := r.Context()
	login := web.LoginOf(r)
	t, err := p.opts.Docs.Task(ctx, id)
	if err != nil {
		return docErr(err)
	}
	if ok, err := p.opts.Docs.CanSee(ctx, login, t.Doc); err != nil || !ok {
		if err != nil {
			return err
		}
		return web.NotFound("没有这件待办。")
	}
	a := actionOfForm(f, kind)
	if f.Has("keep_phrase", "on") && a.Opinion != "" {
		if err := p.opts.Docs.AddPhrase(ctx, login, a.Opinion); err != nil {
			return docErr(err)
		}
	}
	created, err := p.opts.Docs.Act(ctx, login, id, a)
	var e *docflow.Error
	if errors.As(err, &e) && e.Code != "not_found" {
		return p.docView(w, r, t.Doc, e.Msg, nil, http.StatusUnprocessableEntity, false)
	}
	if err != nil {
		return docErr(err)
	}
	msg := nameOr(docflow.ActionNames[kind], "办理") + "完成。"
	if len(created) > 0 {
		var who []string
		c, _ := p.opts.Docs.Chart(ctx)
		for _, x := range created {
			who = append(who, x.Step+"："+c.Name(x.Assignee))
		}
		msg += "已送 " + strings.Join(who, "；") + "。"
	}
	return p.kit.Redirect(w, r, fmt.Sprintf("/oa/docs/%d", t.Doc), msg)
}

// taskUrge is POST /oa/tasks/{id}/urge.
func (p *Pages) taskUrge(w http.ResponseWriter, r *http.Request) error {
	return p.taskStep(w, r, http.StatusConflict, func(ctx context.Context, t docflow.Task, f *web.Form) (string, error) {
		return "已催办 " + t.AssigneeName + "。", p.opts.Docs.Urge(ctx, web.LoginOf(r), t.ID, f.Get("note"))
	})
}

// taskExtend is POST /oa/tasks/{id}/extend: the handler of a case asks
// for a 延期, which a 受理员 approves as a to-do of their own.
func (p *Pages) taskExtend(w http.ResponseWriter, r *http.Request) error {
	return p.taskStep(w, r, http.StatusUnprocessableEntity, func(ctx context.Context, t docflow.Task, f *web.Form) (string, error) {
		days, _ := strconv.Atoi(f.Get("days"))
		_, err := p.opts.Docs.RequestExtension(ctx, web.LoginOf(r), t.ID, days, f.Get("reason"))
		return fmt.Sprintf("已申请延期 %d 个工作日，待受理员审批。", days), err
	})
}

// taskStep does something to task {id} besides acting on it, and goes
// back to its document with do's message, or with the refusal (shown
// with status).
func (p *Pages) taskStep(w http.ResponseWriter, r *http.Request, status int, do func(ctx context.Context, t docflow.Task, f *web.Form) (string, error)) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	t, err := p.opts.Docs.Task(r.Context(), id)
	if err != nil {
		return docErr(err)
	}
	msg, err := do(r.Context(), t, web.NewForm(r))
	if err != nil {
		var e *docflow.Error
		if errors.As(err, &e) && e.Code != "not_found" {
			return p.docView(w, r, t.Doc, e.Msg, nil, status, false)
		}
		return docErr(err)
	}
	return p.kit.Redirect(w, r, fmt.Sprintf("/oa/docs/%d", t.Doc), msg)
}

// ---- search ----------------------------------------------------------------

type searchView struct {
	Q    string
	Docs []docRowView
	Done bool
}

// search is GET /oa/search?q=….
func (p *Pages) search(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := searchView{Q: q}
	if q != "" {
		ds, err := p.opts.Docs.Search(r.Context(), web.LoginOf(r), q, 100)
		if err != nil {
			return err
		}
		v.Docs, v.Done = docRows(ds), true
	}
	return p.kit.Render(w, r, p.tmpl.search, web.View{Title: "公文检索", Data: v})
}

// ---- 委托 ----------------------------------------------------------------

type delegationsView struct {
	Mine  []delegationView
	Staff []option
	Flows []option
	Form  *web.Form
}

type delegationView struct {
	ID             int64
	From, To, Flow string
	Window, State  string
	Revocable      bool
}

func (p *Pages) delegations(w http.ResponseWriter, r *http.Request) error {
	return p.renderDelegations(w, r, web.NewForm(nil), http.StatusOK)
}

func (p *Pages) renderDelegations(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	ctx := r.Context()
	login := web.LoginOf(r)
	c, err := p.opts.Docs.Chart(ctx)
	if err != nil {
		return err
	}
	ds, err := p.opts.Docs.Delegations(ctx, login)
	if err != nil {
		return err
	}
	v := delegationsView{Staff: staffOptions(c, []string{f.Get("delegate")}, login), Form: f}
	flows, err := p.opts.Docs.Flows(ctx)
	if err != nil {
		return err
	}
	v.Flows = append(v.Flows, option{"", "全部流程", f.Get("flow") == ""})
	for _, fl := range flows {
		v.Flows = append(v.Flows, option{fl.Key, fl.Name, fl.Key == f.Get("flow")})
	}
	now := time.Now()
	for _, d := range ds {
		dv := delegationView{ID: d.ID, From: c.Name(d.Principal), To: c.Name(d.Delegate), Flow: nameOr(d.Flow, "全部流程")}
		end := "收回为止"
		if !d.Ends.IsZero() {
			end = d.Ends.In(workcal.Shanghai()).Format("2006-01-02 15:04")
		}
		dv.Window = d.Starts.In(workcal.Shanghai()).Format("2006-01-02 15:04") + " 至 " + end
		switch {
		case !d.Revoked.IsZero():
			dv.State = "已收回"
		case d.Active(now):
			dv.State, dv.Revocable = "生效中", d.Principal == login
		case now.Before(d.Starts):
			dv.State, dv.Revocable = "未开始", d.Principal == login
		default:
			dv.State = "已到期"
		}
		v.Mine = append(v.Mine, dv)
	}
	return p.kit.RenderStatus(w, r, p.tmpl.delegations, status, web.View{Title: "委托办理", Data: v})
}

func parseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, workcal.Shanghai()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func (p *Pages) delegationCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	starts, err := parseLocal(f.Get("starts"))
	if err != nil {
		f.Fail("starts", "开始时间请写成 2026-12-05 09:00。")
	}
	if starts.IsZero() {
		starts = time.Now()
	}
	ends, err := parseLocal(f.Get("ends"))
	if err != nil {
		f.Fail("ends", "结束时间请写成 2026-12-10 18:00，或留空到收回为止。")
	}
	if f.Get("delegate") == "" {
		f.Fail("delegate", "请选择被委托人。")
	}
	if !f.OK() {
		return p.renderDelegations(w, r, f, http.StatusUnprocessableEntity)
	}
	_, err = p.opts.Docs.Delegate(r.Context(), web.LoginOf(r), f.Get("delegate"), f.Get("flow"), starts, ends)
	var e *docflow.Error
	if errors.As(err, &e) && e.Code == "invalid" {
		f.Fail("", e.Msg)
		return p.renderDelegations(w, r, f, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return docErr(err)
	}
	return p.kit.Redirect(w, r, "/oa/delegations", "委托已设置：期间您的待办交给被委托人办理。")
}

func (p *Pages) delegationRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	if err := p.opts.Docs.Revoke(r.Context(), web.LoginOf(r), id); err != nil {
		return docErr(err)
	}
	return p.kit.Redirect(w, r, "/oa/delegations", "委托已收回，尚未办理的待办已回到您这里。")
}
