package pages

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"

	"nanhu/internal/web"
	"nanhu/oa/notify"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// maxTodos is how many to-dos the workbench lists.
const maxTodos = 50

type workbenchView struct {
	Todos      []contract.Todo
	Live       bool   // routing runs here: the page holds the stream open
	Stream     string // its address
	Prefs      *web.Form
	QuietHours string // the system's
	Mobile     string
}

// workbench is GET /: the 工作台.
func (p *Pages) workbench(w http.ResponseWriter, r *http.Request) error {
	prefs, err := p.org.NotifyPrefs(r.Context(), web.LoginOf(r))
	if err != nil {
		return err
	}
	return p.renderWorkbench(w, r, prefsForm(prefs), http.StatusOK)
}

func (p *Pages) renderWorkbench(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	ctx := r.Context()
	login := web.LoginOf(r)
	v := workbenchView{Prefs: f, QuietHours: p.opts.QuietHours}
	if n := p.opts.Notifier; n != nil {
		todos, err := n.OpenTodos(ctx, login, maxTodos)
		if err != nil {
			return err
		}
		v.Todos, v.Live, v.Stream = todos, true, notify.StreamPath
	}
	u, err := p.org.User(ctx, login)
	if err != nil {
		return err
	}
	v.Mobile = u.Mobile
	return p.kit.RenderStatus(w, r, p.tmpl.workbench, status, web.View{Title: "工作台", Data: v})
}

// prefsForm is the preferences as the form shows them.
func prefsForm(pr org.NotifyPrefs) *web.Form {
	f := web.NewForm(nil)
	if pr.SMS {
		f.Set("sms", "on")
	}
	if pr.Mail {
		f.Set("mail", "on")
	}
	switch {
	case pr.Quiet == nil:
		f.Set("quiet", "default")
	case pr.Quiet.None():
		f.Set("quiet", "none")
	default:
		f.Set("quiet", "custom")
		from, to, _ := strings.Cut(pr.Quiet.String(), "-")
		f.Set("quiet_from", from)
		f.Set("quiet_to", to)
	}
	return f
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
		return p.renderWorkbench(w, r, f, http.StatusUnprocessableEntity)
	}
	c.Quiet = &quiet
	if _, err := p.org.ChangeNotifyPrefs(r.Context(), web.LoginOf(r), c); err != nil {
		if errors.Is(err, org.ErrInvalid) {
			f.Fail("quiet_from", "免打扰时段无效："+err.Error())
			return p.renderWorkbench(w, r, f, http.StatusUnprocessableEntity)
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
	return p.prefsAnswer(w, login, pr, err)
}
