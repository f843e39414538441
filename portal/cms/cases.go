package cms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"nanhu/internal/web"
	"nanhu/portal/cases"
)

// RoleCases is the staff web role of the case office (the 信访局's
// 受理员): the case list, 代录 of phone letters, merging duplicates and
// the review of 来信选登. Handling itself is OA's 来信办理 flow.
const RoleCases = "cases"

var caseOffice = web.AnyRole(RoleCases, "admin")

// CaseDesk is the cases as the case office's pages use them.
type CaseDesk interface {
	List(ctx context.Context, f cases.ListFilter) ([]cases.Case, error)
	Get(ctx context.Context, id int64) (cases.Case, error)
	Trail(ctx context.Context, id int64) ([]cases.Event, error)
	Submit(ctx context.Context, sub cases.Submission) (cases.Case, error)
	Merge(ctx context.Context, keep, dup int64, by string) error
	PublishDraft(ctx context.Context, id int64) (cases.Publication, error)
	Publish(ctx context.Context, id int64, p cases.Publication, by string) error
	PublishedOne(ctx context.Context, id int64) (cases.Publication, error)
	Withdraw(ctx context.Context, id int64, by string) error
	Application(ctx context.Context, id int64) (cases.Application, error)
	ClockStep(ctx context.Context, id int64, kind string, days int, note, by string) (cases.Clock, error)
	SetResult(ctx context.Context, id int64, code, reason, by string) error
	AnnualTable(ctx context.Context, year int) (cases.Annual, error)
	Categories() []cases.Category
	CategoryName(code string) string
	OverdueDays(c cases.Case) int
	Files(ctx context.Context, id int64) ([]cases.File, error)
	FileOf(ctx context.Context, id, n int64) (cases.File, error)
}

type caseListView struct {
	Cases          []caseRow
	Supervise      int
	State, Channel string
	States         []option
	Channels       []option
}

// caseRow is a case in the list, with how far past its deadline it is.
type caseRow struct {
	cases.Case
	Overdue   int
	Supervise bool // more than cases.SuperviseAfter working days: 督办
}

type option struct {
	Value, Label string
	Selected     bool
}

type caseView struct {
	C           cases.Case
	Files       []cases.File
	Category    string
	Application *cases.Application
	Results     []resultChoice
	Trail       []cases.Event
	Dup         *cases.Case
	Draft       *cases.Publication
	Published   *cases.Publication
	Problem     string
	Public      string
}

type resultChoice struct {
	Code, Name string
	Reasons    []string
}

type caseNewView struct {
	Form       *web.Form
	Kinds      []option
	Categories []option
	Key        string
	Problem    string
	Done       *cases.Case
}

func (c *CMS) caseRoutes(rt *web.Router) {
	rt.Page("GET /portal/cases", caseOffice, c.caseList)
	rt.Page("GET /portal/cases/new", caseOffice, c.caseNew)
	rt.Page("POST /portal/cases", caseOffice, c.caseCreate)
	rt.Page("GET /portal/cases/{id}", caseOffice, c.caseShow)
	rt.Page("POST /portal/cases/{id}/merge", caseOffice, c.caseMerge)
	rt.Page("POST /portal/cases/{id}/publish", caseOffice, c.casePublish)
	rt.Page("POST /portal/cases/{id}/withdraw", caseOffice, c.caseWithdraw)
	rt.Page("POST /portal/cases/{id}/clock", caseOffice, c.caseClock)
	rt.Page("POST /portal/cases/{id}/result", caseOffice, c.caseResult)
	rt.Page("GET /portal/cases/annual", caseOffice, c.caseAnnual)
	rt.Page("GET /portal/cases/{id}/files/{n}", caseOffice, c.caseFile)
	c.kit.AddNav(web.NavItem{Label: "来信", Path: "/portal/cases", Rule: caseOffice, Order: 45})
}

func (c *CMS) caseList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := caseListView{State: q.Get("state"), Channel: q.Get("channel")}
	v.States = append(v.States, option{"", "全部状态", v.State == ""})
	for _, s := range []cases.State{cases.Received, cases.Accepted, cases.Assigned, cases.Replied, cases.Closed, cases.Rejected} {
		v.States = append(v.States, option{string(s), cases.StateNames[s], v.State == string(s)})
	}
	v.Channels = append(v.Channels, option{"", "全部渠道", v.Channel == ""})
	for _, ch := range []cases.Channel{cases.Web, cases.SMS, cases.Mail, cases.Open311, cases.Phone} {
		v.Channels = append(v.Channels, option{string(ch), cases.ChannelNames[ch], v.Channel == string(ch)})
	}
	list, err := c.opts.Cases.List(r.Context(), cases.ListFilter{State: cases.State(v.State), Channel: cases.Channel(v.Channel), Limit: 200})
	if err != nil {
		return err
	}
	for _, k := range list {
		d := c.opts.Cases.OverdueDays(k)
		row := caseRow{Case: k, Overdue: d, Supervise: d > cases.SuperviseAfter}
		if row.Supervise {
			v.Supervise++
		}
		v.Cases = append(v.Cases, row)
	}
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.Render(w, r, c.tmpl.cases, web.View{Title: "来信", Data: v})
}

func (c *CMS) renderCaseNew(w http.ResponseWriter, r *http.Request, v caseNewView, status int) error {
	if v.Form == nil {
		v.Form = web.NewForm(r)
	}
	kind := v.Form.Get("kind")
	for _, k := range cases.Kinds {
		if k != cases.Disclosure {
			v.Kinds = append(v.Kinds, option{string(k), cases.KindNames[k], kind == string(k)})
		}
	}
	cat := v.Form.Get("category")
	v.Categories = append(v.Categories, option{"", "（请选择）", cat == ""})
	for _, k := range c.opts.Cases.Categories() {
		v.Categories = append(v.Categories, option{k.Code, k.Group + " · " + k.Name, cat == k.Code})
	}
	if v.Key = v.Form.Get("key"); v.Key == "" || v.Done != nil {
		b := make([]byte, 16)
		rand.Read(b)
		v.Key = hex.EncodeToString(b)
	}
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.RenderStatus(w, r, c.tmpl.caseNew, status, web.View{Title: "电话来信代录", Data: v})
}

func (c *CMS) caseNew(w http.ResponseWriter, r *http.Request) error {
	return c.renderCaseNew(w, r, caseNewView{}, http.StatusOK)
}

// caseCreate is an operator's 代录 of a letter taken by phone. The
// caller is told the 查询码 on the line; the store sends it by SMS.
func (c *CMS) caseCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	sub := cases.Submission{Channel: cases.Phone, By: actor(r).Login, Kind: cases.Kind(f.Get("kind")), Category: f.Get("category"),
		Title: f.Get("title"), Text: f.Values.Get("text"), Confidential: f.Get("confidential") == "1", Consent: f.Get("consent") == "1",
		Anonymous: f.Get("anonymous") == "1", Key: "phone-" + f.Get("key"),
		Writer: cases.Writer{Name: f.Get("name"), Mobile: f.Get("mobile"), Mail: f.Get("mail"), Address: f.Get("address"), Area: f.Get("area")}}
	k, err := c.opts.Cases.Submit(r.Context(), sub)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		if inv.Field != "" {
			f.Fail(inv.Field, inv.Msg)
		}
		return c.renderCaseNew(w, r, caseNewView{Form: f, Problem: inv.Msg}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return c.renderCaseNew(w, r, caseNewView{Form: &web.Form{}, Done: &k}, http.StatusOK)
}

func (c *CMS) caseOf(r *http.Request) (cases.Case, error) {
	id, err := idOf(r, "id")
	if err != nil {
		return cases.Case{}, err
	}
	k, err := c.opts.Cases.Get(r.Context(), id)
	if errors.Is(err, cases.ErrNotFound) {
		return k, web.NotFound("来信")
	}
	return k, err
}

func (c *CMS) renderCase(w http.ResponseWriter, r *http.Request, k cases.Case, problem string, status int) error {
	ctx := r.Context()
	v := caseView{C: k, Problem: problem, Public: c.opts.PublicURL, Category: c.opts.Cases.CategoryName(k.Category)}
	var err error
	if v.Trail, err = c.opts.Cases.Trail(ctx, k.ID); err != nil {
		return err
	}
	if v.Files, err = c.opts.Cases.Files(ctx, k.ID); err != nil {
		return err
	}
	if k.DuplicateOf != 0 && k.MergedInto == 0 {
		if d, err := c.opts.Cases.Get(ctx, k.DuplicateOf); err == nil {
			v.Dup = &d
		}
	}
	if k.Kind == cases.Disclosure {
		if a, err := c.opts.Cases.Application(ctx, k.ID); err == nil {
			v.Application = &a
			for _, r := range cases.DisclosureResults {
				v.Results = append(v.Results, resultChoice{r.Code, r.Name, r.Reasons})
			}
		}
	}
	if p, err := c.opts.Cases.PublishedOne(ctx, k.ID); err == nil {
		v.Published = &p
	} else if d, err := c.opts.Cases.PublishDraft(ctx, k.ID); err == nil {
		v.Draft = &d
	}
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.RenderStatus(w, r, c.tmpl.caseShow, status, web.View{Title: "来信 " + k.Number, Data: v})
}

func (c *CMS) caseShow(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	return c.renderCase(w, r, k, "", http.StatusOK)
}

// caseMerge merges this case into the earlier one the store found alike.
func (c *CMS) caseMerge(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	into, _ := strconv.ParseInt(web.NewForm(r).Get("into"), 10, 64)
	err = c.opts.Cases.Merge(r.Context(), into, k.ID, actor(r).Login)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return c.renderCase(w, r, k, inv.Msg, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, cases.ErrNotFound) {
		return web.NotFound("来信")
	}
	if err != nil {
		return err
	}
	return c.kit.Redirect(w, r, "/portal/cases/"+strconv.FormatInt(into, 10), "已合并：来信人收到短信，以这一件的查询码查看办理情况。")
}

// casePublish publishes the reviewed 来信选登 text.
func (c *CMS) casePublish(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	f := web.NewForm(r)
	p := cases.Publication{Title: f.Get("title"), Text: f.Values.Get("text"), Reply: f.Values.Get("reply")}
	err = c.opts.Cases.Publish(r.Context(), k.ID, p, actor(r).Login)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return c.renderCase(w, r, k, inv.Msg, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return c.kit.Redirect(w, r, "/portal/cases/"+strconv.FormatInt(k.ID, 10), "已选登到门户网站的“来信选登”。")
}

func (c *CMS) caseWithdraw(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	if err := c.opts.Cases.Withdraw(r.Context(), k.ID, actor(r).Login); errors.Is(err, cases.ErrNotFound) {
		return c.renderCase(w, r, k, "这件来信没有选登。", http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	return c.kit.Redirect(w, r, "/portal/cases/"+strconv.FormatInt(k.ID, 10), "选登已撤下。")
}

// caseClock records a step of an application's clock (补正, 征求意见,
// 延期).
func (c *CMS) caseClock(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	f := web.NewForm(r)
	days, _ := strconv.Atoi(f.Get("days"))
	clock, err := c.opts.Cases.ClockStep(r.Context(), k.ID, f.Get("step"), days, f.Get("note"), actor(r).Login)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return c.renderCase(w, r, k, inv.Msg, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	msg := "已记录。答复期限：" + clock.Due.In(shanghai).Format("2006-01-02")
	if clock.Due.IsZero() {
		msg = "已记录。" + clock.Stopped + "期间，答复期限停止计算。"
	}
	return c.kit.Redirect(w, r, "/portal/cases/"+strconv.FormatInt(k.ID, 10), msg)
}

// caseResult records how the application was answered.
func (c *CMS) caseResult(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	f := web.NewForm(r)
	err = c.opts.Cases.SetResult(r.Context(), k.ID, f.Get("result"), f.Get("reason"), actor(r).Login)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return c.renderCase(w, r, k, inv.Msg, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return c.kit.Redirect(w, r, "/portal/cases/"+strconv.FormatInt(k.ID, 10), "办理结果已记录，计入年度报告。")
}

type annualView struct {
	T     cases.Annual
	Years []int
	Excel string
}

// caseAnnual is the annual report's table of applications for a year,
// as a page or (format=xlsx) as Excel.
func (c *CMS) caseAnnual(w http.ResponseWriter, r *http.Request) error {
	now := time.Now().In(shanghai)
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < 2008 || year > now.Year() {
		year = now.Year()
	}
	t, err := c.opts.Cases.AnnualTable(r.Context(), year)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return writeAnnualXLSX(w, t)
	}
	v := annualView{T: t, Excel: fmt.Sprintf("/portal/cases/annual?year=%d&format=xlsx", year)}
	for y := now.Year(); y >= now.Year()-4; y-- {
		v.Years = append(v.Years, y)
	}
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.Render(w, r, c.tmpl.caseAnnual, web.View{Title: fmt.Sprintf("%d年政府信息公开申请情况", year), Data: v})
}

func writeAnnualXLSX(w http.ResponseWriter, t cases.Annual) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := "收到和处理政府信息公开申请情况"
	x.SetSheetName("Sheet1", sheet)
	title := []any{fmt.Sprintf("%d年收到和处理政府信息公开申请情况", t.Year)}
	x.SetSheetRow(sheet, "A1", &title)
	head := []any{"本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"}
	for _, c := range t.Columns {
		head = append(head, c)
	}
	x.SetSheetRow(sheet, "A2", &head)
	for i, row := range t.Rows {
		line := []any{strings.Repeat("　", row.Level) + row.Label}
		for _, n := range row.Values {
			line = append(line, n)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		x.SetSheetRow(sheet, cell, &line)
	}
	x.SetColWidth(sheet, "A", "A", 60)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return fmt.Errorf("cms: the annual table as Excel: %w", err)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(fmt.Sprintf("%d年政府信息公开申请情况.xlsx", t.Year)))
	_, err := w.Write(buf.Bytes())
	return err
}

// caseFile is an attachment the writer sent.
func (c *CMS) caseFile(w http.ResponseWriter, r *http.Request) error {
	k, err := c.caseOf(r)
	if err != nil {
		return err
	}
	n, err := idOf(r, "n")
	if err != nil {
		return err
	}
	f, err := c.opts.Cases.FileOf(r.Context(), k.ID, n)
	if errors.Is(err, cases.ErrNotFound) {
		return web.NotFound("附件")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(f.Data)
	return err
}
