package pages

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"nanhu/internal/web"
	"nanhu/internal/workcal"
	"nanhu/oa/notify"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// maxTodos is how many to-dos the workbench lists.
const maxTodos = 50

type workbenchView struct {
	Todos      []todoView
	TodosHTML  template.HTML // the list's items
	Count      int
	Live       bool   // routing runs here: the page holds the stream open
	Stream     string // its address
	Prefs      prefsFormView
	QuietHours string // the system's
	Mobile     string
}

// todoView is a to-do as the 工作台 lists it.
type todoView struct {
	ID, Title, Urgency, DocNumber string
	Meta                          string // 文号 · 期限
	Class                         string // "urgent" or ""
	Urgent                        bool
}

// prefsFormView is the preferences form as the template shows it: plain
// fields, read on every view of the 工作台.
type prefsFormView struct {
	SMS, Mail                         bool
	Quiet                             string // default, none, custom
	From, To                          string
	ErrForm, ErrQuiet, ErrFrom, ErrTo string
	Invalid                           bool
}

func prefsFormOf(f *web.Form) prefsFormView {
	v := prefsFormView{SMS: f.Has("sms", "on"), Mail: f.Has("mail", "on"), Quiet: f.Get("quiet"), From: f.Get("quiet_from"), To: f.Get("quiet_to"),
		ErrForm: f.Error(""), ErrQuiet: f.Error("quiet"), ErrFrom: f.Error("quiet_from"), ErrTo: f.Error("quiet_to")}
	v.Invalid = v.ErrQuiet != "" || v.ErrFrom != "" || v.ErrTo != ""
	return v
}

// workbench is GET /: the 工作台.
func (p *Pages) workbench(w http.ResponseWriter, r *http.Request) error {
	prefs, err := p.prefs.get(r.Context(), p.org, web.LoginOf(r))
	if err != nil {
		return err
	}
	return p.renderWorkbench(w, r, prefsViewOf(prefs), http.StatusOK)
}

func (p *Pages) renderWorkbench(w http.ResponseWriter, r *http.Request, f prefsFormView, status int) error {
	ctx := r.Context()
	login := web.LoginOf(r)
	v := workbenchView{Prefs: f, QuietHours: p.opts.QuietHours}
	if n := p.opts.Notifier; n != nil {
		todos, err := n.OpenTodos(ctx, login, maxTodos)
		if err != nil {
			return err
		}
		v.Live, v.Stream = true, notify.StreamPath
		v.Todos = make([]todoView, 0, len(todos))
		for _, t := range todos {
			tv := todoView{ID: t.ID, Title: t.Title, Urgent: t.Urgency == contract.UrgencyTop || t.Urgency == contract.UrgencyHigh, DocNumber: t.DocNumber}
			if tv.Urgent {
				tv.Urgency, tv.Class = string(t.Urgency), "urgent"
			}
			var meta []string
			if t.DocNumber != "" {
				meta = append(meta, t.DocNumber)
			}
			if !t.Due.IsZero() {
				meta = append(meta, "期限："+t.Due.In(workcal.Shanghai()).Format("2006-01-02 15:04"))
			}
			tv.Meta = strings.Join(meta, " · ")
			v.Todos = append(v.Todos, tv)
		}
		v.Count = len(v.Todos)
		if v.TodosHTML, err = p.todoItems(v.Todos); err != nil {
			return err
		}
	}
	v.Mobile = web.PersonOf(r).Mobile
	return p.kit.RenderStatus(w, r, p.tmpl.workbench, status, web.View{Title: "工作台", Data: v})
}

// prefsViewOf is the preferences as the form shows them.
func prefsViewOf(pr org.NotifyPrefs) prefsFormView {
	v := prefsFormView{SMS: pr.SMS, Mail: pr.Mail}
	switch {
	case pr.Quiet == nil:
		v.Quiet = "default"
	case pr.Quiet.None():
		v.Quiet = "none"
	default:
		v.Quiet = "custom"
		v.From, v.To, _ = strings.Cut(pr.Quiet.String(), "-")
	}
	return v
}

var hhmm = regexp.MustCompile(`^([01]?\d|2[0-3]):[0-5]\d$`)

// prefsSave is POST /prefs: the preferences form of the workbench.
func (p *Pages) prefsSave(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	sms, mail := f.Has("sms", "on"), f.Has("mail", "on")
	c := org.PrefsChange{SMS: &sms, Mail: &mail}
	var quiet string
	switch f.Get("quiet") {
	case "default":
		quiet = "default"
	case "none":
		quiet = "none"
	case "custom":
		from, to := f.Get("quiet_from"), f.Get("quiet_to")
		if !hhmm.MatchString(from) {
			f.Fail("quiet_from", "请填写开始时间，例如 22:00。")
		}
		if !hhmm.MatchString(to) {
			f.Fail("quiet_to", "请填写结束时间，例如 07:00。")
		}
		if from == to && from != "" {
			f.Fail("quiet_to", "开始和结束不能相同；不需要免打扰时请选“不设免打扰”。")
		}
		quiet = from + "-" + to
	default:
		f.Fail("quiet", "请选择免打扰时段。")
	}
	if !f.OK() {
		return p.renderWorkbench(w, r, prefsFormOf(f), http.StatusUnprocessableEntity)
	}
	c.Quiet = &quiet
	defer p.prefs.forget(web.LoginOf(r))
	if _, err := p.org.ChangeNotifyPrefs(r.Context(), web.LoginOf(r), c); err != nil {
		if errors.Is(err, org.ErrInvalid) {
			f.Fail("quiet_from", "免打扰时段无效："+err.Error())
			return p.renderWorkbench(w, r, prefsFormOf(f), http.StatusUnprocessableEntity)
		}
		return err
	}
	return p.kit.Redirect(w, r, "/#prefs", "提醒设置已保存。")
}

// prefsView is the preferences as the API shows them.
type prefsView struct {
	Login string `json:"login"`
	SMS   bool   `json:"sms"`
	Mail  bool   `json:"mail"`
	// Quiet is "22:00-07:00", "none", or "default" (the system's).
	Quiet string `json:"quiet"`
}

func viewOf(login string, pr org.NotifyPrefs) prefsView {
	q := "default"
	if pr.Quiet != nil {
		q = pr.Quiet.String()
	}
	return prefsView{Login: login, SMS: pr.SMS, Mail: pr.Mail, Quiet: q}
}

// prefsLogin is whose preferences an API request is about: the caller's,
// or with ?login= anyone's for an administrator.
func (p *Pages) prefsLogin(r *http.Request) (string, error) {
	me := web.PersonOf(r)
	other := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("login")))
	if other == "" || other == me.Login {
		return me.Login, nil
	}
	if !me.HasRole("admin") {
		return "", web.Forbidden("只能查看和修改自己的提醒设置（only your own preferences）")
	}
	return other, nil
}

func (p *Pages) prefsAnswer(w http.ResponseWriter, login string, pr org.NotifyPrefs, err error) error {
	switch {
	case errors.Is(err, org.ErrNotFound):
		return web.NotFound(err.Error())
	case errors.Is(err, org.ErrInvalid):
		return web.Errorf(http.StatusBadRequest, "%s", err.Error())
	case err != nil:
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "目录暂时不可用，请稍后再试", Cause: err}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(viewOf(login, pr))
}

// prefsGet is GET /api/v1/notifications/prefs.
func (p *Pages) prefsGet(w http.ResponseWriter, r *http.Request) error {
	login, err := p.prefsLogin(r)
	if err != nil {
		return err
	}
	pr, err := p.org.NotifyPrefs(r.Context(), login)
	return p.prefsAnswer(w, login, pr, err)
}

// prefsPut is PUT /api/v1/notifications/prefs: what is left out stays.
func (p *Pages) prefsPut(w http.ResponseWriter, r *http.Request) error {
	login, err := p.prefsLogin(r)
	if err != nil {
		return err
	}
	var c org.PrefsChange
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if derr := dec.Decode(&c); derr != nil {
		return web.Errorf(http.StatusBadRequest, "请求格式错误：%s（send {\"sms\":true,\"mail\":false,\"quiet\":\"22:00-07:00\"}）", derr.Error())
	}
	pr, err := p.org.ChangeNotifyPrefs(r.Context(), login, c)
	p.prefs.forget(login)
	return p.prefsAnswer(w, login, pr, err)
}

// prefsTTL is how long the 工作台 shows preferences it read: a change made
// on these pages shows at once, one made with `nanhu user notify` within
// it (routing itself reads them with its own, longer, DirectoryTTL).
const prefsTTL = 2 * time.Second

// prefsCache remembers people's preferences for the 工作台, briefly.
type prefsCache struct {
	mu sync.Mutex
	m  map[string]cachedPrefs
}

type cachedPrefs struct {
	p  org.NotifyPrefs
	at time.Time
}

func (c *prefsCache) get(ctx context.Context, d *org.Directory, login string) (org.NotifyPrefs, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[login]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < prefsTTL && !now.Before(e.at) {
		return e.p, nil
	}
	p, err := d.NotifyPrefs(ctx, login)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedPrefs{}
	}
	c.m[login] = cachedPrefs{p: p, at: now}
	c.mu.Unlock()
	return p, nil
}

func (c *prefsCache) forget(login string) {
	c.mu.Lock()
	delete(c.m, login)
	c.mu.Unlock()
}

// todoItems are the list items of todos, each rendered by the page's
// "todo" template once and kept (the same to-dos are shown on every view
// of the 工作台).
func (p *Pages) todoItems(todos []todoView) (template.HTML, error) {
	return renderEach(&p.frags, p.tmpl.workbench, "todo", todos)
}
