package pages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"nanhu/internal/web"
	"nanhu/internal/web/chart"
	"nanhu/internal/workcal"
	"nanhu/oa/docflow"
	"nanhu/oa/flow"
)

type registerView struct {
	Kind, Title       string
	Rows              []registerRowView
	Organs            []option
	Types             []option
	Year, From        string
	To, State         string
	ExportHref        string
	Other, OtherTitle string
}

type registerRowView struct {
	docflow.RegisterRow
	At string
}

func registerFilter(r *http.Request, kind string) (docflow.RegisterFilter, error) {
	q := r.URL.Query()
	f := docflow.RegisterFilter{Kind: kind, Organ: q.Get("organ"), Type: q.Get("type"), State: q.Get("state")}
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1949 || n > 9999 {
			return f, web.Errorf(http.StatusBadRequest, "年份应为四位数字。")
		}
		f.Year = n
	}
	for _, d := range []struct {
		key string
		to  *time.Time
		add int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if s := q.Get(d.key); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, workcal.Shanghai())
			if err != nil {
				return f, web.Errorf(http.StatusBadRequest, "日期请写成 2026-12-01。")
			}
			*d.to = t.AddDate(0, 0, d.add)
		}
	}
	return f, nil
}

// register is GET /oa/registers/{kind}: the 发文登记簿 (outgoing) or
// 收文登记簿 (incoming), as a page or, with format=xlsx, as Excel.
func (p *Pages) register(w http.ResponseWriter, r *http.Request) error {
	kind, title, other, otherTitle := "发文", "发文登记簿", "incoming", "收文登记簿"
	switch r.PathValue("kind") {
	case "outgoing":
	case "incoming":
		kind, title, other, otherTitle = "收文", "收文登记簿", "outgoing", "发文登记簿"
	default:
		return web.NotFound("没有这个登记簿。")
	}
	f, err := registerFilter(r, kind)
	if err != nil {
		return err
	}
	rows, err := p.opts.Docs.Register(r.Context(), web.LoginOf(r), f)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return writeRegisterXLSX(w, title, kind, rows)
	}
	c, err := p.opts.Docs.Chart(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := registerView{Kind: kind, Title: title, Organs: append([]option{{"", "全部机关", q.Get("organ") == ""}}, organOptions(c, q.Get("organ"))...),
		Types: append([]option{{"", "全部文种", q.Get("type") == ""}}, typeOptions(q.Get("type"))...),
		Year:  q.Get("year"), From: q.Get("from"), To: q.Get("to"), State: q.Get("state"), Other: other, OtherTitle: otherTitle}
	q.Set("format", "xlsx")
	v.ExportHref = r.URL.Path + "?" + q.Encode()
	for _, row := range rows {
		v.Rows = append(v.Rows, registerRowView{RegisterRow: row, At: row.At.In(workcal.Shanghai()).Format("2006-01-02 15:04")})
	}
	return p.kit.Render(w, r, p.tmpl.register, web.View{Title: title, Data: v})
}

func writeRegisterXLSX(w http.ResponseWriter, title, kind string, rows []docflow.RegisterRow) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := title
	x.SetSheetName("Sheet1", sheet)
	head := []any{"序号", "发文字号", "标题", "文种", "发文机关", "主送机关", "签发人", "紧急程度", "密级", "登记时间", "登记人", "状态"}
	if kind == "收文" {
		head = []any{"序号", "收文号", "标题", "来文单位", "原发文字号", "紧急程度", "密级", "登记时间", "登记人", "状态"}
	}
	x.SetSheetRow(sheet, "A1", &head)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		at := r.At.In(workcal.Shanghai()).Format("2006-01-02 15:04")
		line := []any{r.Seq, r.Number, r.Title, r.Type, r.Organ, r.MainTo, r.Signer, urgencyName(r.Urgency), secrecyName(r.Secrecy), at, r.ByName, r.State}
		if kind == "收文" {
			line = []any{r.Seq, r.Number, r.Title, r.FromUnit, r.OrigNumber, urgencyName(r.Urgency), secrecyName(r.Secrecy), at, r.ByName, r.State}
		}
		x.SetSheetRow(sheet, cell, &line)
	}
	x.SetColWidth(sheet, "B", "C", 28)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return fmt.Errorf("write the register as Excel: %w", err)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(title+".xlsx"))
	_, err := w.Write(buf.Bytes())
	return err
}

func urgencyName(u string) string {
	if u == "" {
		return "平件"
	}
	return u
}

func secrecyName(s string) string {
	if s == "" {
		return "非密"
	}
	return s
}

// ---- the leader's workbench (O9) -----------------------------------------

type leaderView struct {
	Sign, Instruct, Others []taskRowView
	Overdue                []overdueRow
	Chart                  template.HTML
	HasOverdue             bool
}

type overdueRow struct {
	Dept string
	N    int
}

// leader is GET /oa/leader: 待签发 and 待批示 first, then the rest by
// urgency and deadline, and overdue counts by department.
func (p *Pages) leader(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := p.opts.Docs.Chart(ctx)
	if err != nil {
		return err
	}
	todos, err := p.opts.Docs.Todos(ctx, web.LoginOf(r), 300)
	if err != nil {
		return err
	}
	var v leaderView
	for _, t := range p.taskRows(c, todos) {
		switch t.Step {
		case "签发", "复审":
			v.Sign = append(v.Sign, t)
		case "批示", "领导审批":
			v.Instruct = append(v.Instruct, t)
		default:
			v.Others = append(v.Others, t)
		}
	}
	counts, err := p.opts.Docs.OverdueByDept(ctx)
	if err != nil {
		return err
	}
	for d, n := range counts {
		v.Overdue = append(v.Overdue, overdueRow{nameOr(d, "（未分部门）"), n})
	}
	sort.Slice(v.Overdue, func(i, j int) bool {
		if v.Overdue[i].N != v.Overdue[j].N {
			return v.Overdue[i].N > v.Overdue[j].N
		}
		return v.Overdue[i].Dept < v.Overdue[j].Dept
	})
	if len(v.Overdue) > 0 {
		v.HasOverdue = true
		var labels []string
		var vals []float64
		for _, o := range v.Overdue {
			labels = append(labels, o.Dept)
			vals = append(vals, float64(o.N))
		}
		if v.Chart, err = (chart.Chart{Title: "各部门超期待办", XName: "部门", YUnit: "件", XLabels: labels,
			Series: []chart.Series{{Name: "超期待办", Values: vals}}}).SVG(); err != nil {
			return err
		}
	}
	return p.kit.Render(w, r, p.tmpl.leader, web.View{Title: "领导工作台", Data: v})
}

// ---- flow management (administrators) --------------------------------------

type flowsView struct {
	Flows []docflow.FlowInfo
}

func (p *Pages) flows(w http.ResponseWriter, r *http.Request) error {
	fs, err := p.opts.Docs.Flows(r.Context())
	if err != nil {
		return err
	}
	return p.kit.Render(w, r, p.tmpl.flows, web.View{Title: "流程管理", Data: flowsView{Flows: fs}})
}

type flowEditView struct {
	Key, Name string
	Version   int
	JSON      string
	Problems  []string
	Valid     bool
	New       bool
}

func (p *Pages) flowEdit(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	v := flowEditView{Key: key}
	if key == "new" {
		v.New = true
		v.JSON = `{
  "key": "",
  "name": "",
  "kind": "签报",
  "nodes": [],
  "edges": []
}`
	} else {
		def, err := p.opts.Docs.Flow(r.Context(), key, 0)
		if err != nil {
			return docErr(err)
		}
		d := *def
		v.Name, v.Version = d.Name, d.Version
		d.Version = 0
		v.JSON = string(d.JSON())
	}
	return p.kit.Render(w, r, p.tmpl.flowEdit, web.View{Title: "编辑流程", Data: v})
}

// flowSave is POST /admin/flows/{key}: validate, and publish when asked.
func (p *Pages) flowSave(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	v := flowEditView{Key: r.PathValue("key"), JSON: f.Values.Get("json"), New: r.PathValue("key") == "new"}
	def, err := flow.Parse([]byte(v.JSON))
	if err == nil {
		if v.New {
			if _, ferr := p.opts.Docs.Flow(r.Context(), def.Key, 0); ferr == nil {
				err = fmt.Errorf("已有名为「%s」的流程；请在那个流程上修改并发布新版本", def.Key)
			}
		} else if def.Key != v.Key {
			err = fmt.Errorf("流程标识 key 不能改（应为 %q）", v.Key)
		}
	}
	if err == nil {
		err = def.Validate()
	}
	if err != nil {
		var ps flow.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				v.Problems = append(v.Problems, p.String())
			}
		} else {
			v.Problems = []string{err.Error()}
		}
		return p.kit.RenderStatus(w, r, p.tmpl.flowEdit, http.StatusUnprocessableEntity, web.View{Title: "编辑流程", Data: v})
	}
	if f.Get("do") != "publish" {
		v.Valid, v.Name = true, def.Name
		return p.kit.Render(w, r, p.tmpl.flowEdit, web.View{Title: "编辑流程", Data: v})
	}
	ver, err := p.opts.Docs.Publish(r.Context(), def, web.LoginOf(r))
	if err != nil {
		return err
	}
	return p.kit.Redirect(w, r, "/admin/flows", fmt.Sprintf("流程「%s」第 %d 版已发布；已在办的公文仍按原来的版本流转。", def.Name, ver))
}

// ---- the JSON API ------------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &web.Error{Status: http.StatusBadRequest, Code: "bad_json", Message: "请求体不是所需的 JSON：" + err.Error()}
	}
	return nil
}

// apiFlows is GET /api/v1/oa/flows.
func (p *Pages) apiFlows(w http.ResponseWriter, r *http.Request) error {
	fs, err := p.opts.Docs.Flows(r.Context())
	if err != nil {
		return err
	}
	type flowJSON struct {
		Key     string    `json:"key"`
		Name    string    `json:"name"`
		Kind    string    `json:"kind"`
		Version int       `json:"version"`
		At      time.Time `json:"published"`
	}
	out := []flowJSON{}
	for _, f := range fs {
		out = append(out, flowJSON{f.Key, f.Name, f.Kind, f.Version, f.Published})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"flows": out})
}

// apiCreate is POST /api/v1/oa/documents.
func (p *Pages) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var dr docflow.Draft
	if err := readJSON(r, &dr); err != nil {
		return err
	}
	d, t, err := p.opts.Docs.Create(r.Context(), web.LoginOf(r), dr)
	if err != nil {
		return apiErr(err)
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": d.ID, "task": t.ID})
}

// apiErr is an engine error as the API answers it: a sentence and its
// stable code, with a draft's fields and the choices of choose_next.
func apiErr(err error) error {
	return docErr(err)
}

type docJSON struct {
	*docflow.Document
	Status   string         `json:"status"`
	Holders  []docflow.Task `json:"holders"`
	Tasks    []docflow.Task `json:"tasks"`
	Trail    []trailJSON    `json:"trail"`
	Opinions []opinionJSON  `json:"opinions"`
}

type trailJSON struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	As      string          `json:"as,omitempty"`
	Action  string          `json:"action"`
	From    string          `json:"from,omitempty"`
	To      string          `json:"to,omitempty"`
	Opinion string          `json:"opinion,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
	Source  string          `json:"source,omitempty"`
	Hash    string          `json:"hash"`
}

type opinionJSON struct {
	Field  string    `json:"field"`
	Login  string    `json:"login"`
	As     string    `json:"as,omitempty"`
	Action string    `json:"action"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// apiDoc is GET /api/v1/oa/documents/{id}.
func (p *Pages) apiDoc(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	v, err := p.opts.Docs.ViewOf(r.Context(), web.LoginOf(r), id)
	if err != nil {
		return apiErr(err)
	}
	out := docJSON{Document: v.Doc, Status: v.Status, Holders: v.Holders, Tasks: v.Tasks, Trail: []trailJSON{}, Opinions: []opinionJSON{}}
	if out.Holders == nil {
		out.Holders = []docflow.Task{}
	}
	for _, e := range v.Trail {
		tj := trailJSON{Seq: e.Seq, At: e.At, Actor: e.Actor, As: e.As, Action: e.Action, From: e.From, To: e.To, Opinion: e.Opinion, Source: e.Src, Hash: e.Hash}
		if e.Detail != "" {
			tj.Detail = json.RawMessage(e.Detail)
		}
		out.Trail = append(out.Trail, tj)
	}
	for _, o := range v.Opinions {
		out.Opinions = append(out.Opinions, opinionJSON{o.Field, o.Login, o.As, o.Action, o.Text, o.At})
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiTasks is GET /api/v1/oa/tasks: my open tasks.
func (p *Pages) apiTasks(w http.ResponseWriter, r *http.Request) error {
	ts, err := p.opts.Docs.Todos(r.Context(), web.LoginOf(r), 1000)
	if err != nil {
		return err
	}
	reads, err := p.opts.Docs.Reads(r.Context(), web.LoginOf(r), 1000)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []docflow.Task{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tasks": append(ts, reads...)})
}

type actionJSON struct {
	Action  string `json:"action"`
	Opinion string `json:"opinion"`
	Next    *struct {
		Step      string              `json:"step"`
		Assignees []string            `json:"assignees"`
		Steps     map[string][]string `json:"steps"`
	} `json:"next"`
	Target  string   `json:"target"`
	To      string   `json:"to"`
	Before  bool     `json:"before"`
	Readers []string `json:"readers"`
	Route   string   `json:"route"`
}

// apiAct is POST /api/v1/oa/tasks/{id}/actions.
func (p *Pages) apiAct(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	var in actionJSON
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a := docflow.Action{Kind: in.Action, Opinion: in.Opinion, Target: in.Target, To: in.To, Before: in.Before,
		Readers: in.Readers, Route: in.Route, Source: "api", People: map[string][]string{}}
	if n := in.Next; n != nil {
		if n.Step != "" {
			if a.Route == "" {
				a.Route = n.Step
			}
			a.People[n.Step] = n.Assignees
		}
		for k, v := range n.Steps {
			a.People[k] = v
		}
	}
	created, err := p.opts.Docs.Act(r.Context(), web.LoginOf(r), id, a)
	if err != nil {
		var e *docflow.Error
		if errors.As(err, &e) && e.Code == "choose_next" {
			return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": e.Msg, "code": e.Code, "options": e.Options})
		}
		return apiErr(err)
	}
	if created == nil {
		created = []docflow.Task{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tasks": created})
}

// apiRegister is GET /api/v1/oa/registers/outgoing (and incoming).
func (p *Pages) apiRegister(w http.ResponseWriter, r *http.Request) error {
	kind := map[string]string{"outgoing": "发文", "incoming": "收文"}[r.PathValue("kind")]
	if kind == "" {
		return web.NotFound("没有这个登记簿。")
	}
	f, err := registerFilter(r, kind)
	if err != nil {
		return err
	}
	rows, err := p.opts.Docs.Register(r.Context(), web.LoginOf(r), f)
	if err != nil {
		return err
	}
	type rowJSON struct {
		Number   string    `json:"number"`
		Seq      int       `json:"seq"`
		Document int64     `json:"document"`
		Title    string    `json:"title"`
		Type     string    `json:"type,omitempty"`
		Organ    string    `json:"organ,omitempty"`
		FromUnit string    `json:"from_unit,omitempty"`
		At       time.Time `json:"registered"`
		By       string    `json:"registered_by"`
		State    string    `json:"state"`
		Voided   bool      `json:"voided"`
	}
	out := []rowJSON{}
	for _, x := range rows {
		out = append(out, rowJSON{x.Number, x.Seq, x.Doc, x.Title, x.Type, x.Organ, x.FromUnit, x.At, x.ByName, x.State, x.Voided})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"register": kind, "entries": out})
}
