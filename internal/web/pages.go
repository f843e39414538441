package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"nanhu/internal/web/session"
)

// Mount registers the kit's own routes on mux: static files, sign-in and
// sign-out, the person's own account page (sessions, password, API
// tokens), and the pages of long jobs. A PublicOnly kit mounts its static
// files alone.
func (k *Kit) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{name...}", k.assets.serve)
	if k.opts.PublicOnly {
		return
	}
	rt := k.Router(mux)
	rt.Page("GET /login", Public, k.loginForm)
	rt.Page("POST /login", Public, k.loginSubmit)
	rt.Page("POST /logout", SignedIn, k.logout)
	rt.Page("GET /account", SignedIn, k.accountPage)
	rt.Page("POST /account/password", SignedIn, k.passwordChange)
	rt.Page("POST /account/sessions/{id}/revoke", SignedIn, k.sessionRevoke)
	rt.Page("POST /account/sessions/revoke-others", SignedIn, k.sessionsRevokeOthers)
	rt.Page("POST /account/tokens", SignedIn, k.tokenCreate)
	rt.Page("POST /account/tokens/{id}/revoke", SignedIn, k.tokenRevoke)
	rt.Page("GET /jobs/{id}", SignedIn, k.jobPage)
	rt.API("GET /api/v1/jobs/{id}", SignedIn, k.jobJSON)
	k.AddNav(NavItem{Label: "我的账户", Path: "/account", Rule: SignedIn, Order: 90})
}

type loginView struct {
	Form    *Form
	Next    string
	Notice  string
	Problem string
	NoHTTPS bool
}

func (k *Kit) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if PersonOf(r).Login != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	v := loginView{Form: NewForm(nil), Next: next, NoHTTPS: !secureEnough(r)}
	if r.URL.Query().Get("out") == "1" {
		v.Notice = "您已安全退出。"
	}
	return k.Render(w, r, k.pages.login, View{Title: "登录", Data: v})
}

func (k *Kit) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	f := NewForm(r)
	v := loginView{Form: f, Next: safeNext(f.Get("next")), NoHTTPS: !secureEnough(r)}
	user, pass := f.Get("username"), r.PostFormValue("password")
	if user == "" {
		f.Fail("username", "请输入用户名（登录名或邮箱地址）。")
	}
	if pass == "" {
		f.Fail("password", "请输入密码。")
	}
	if f.OK() {
		_, err := k.SignIn(w, r, user, pass)
		if err == nil {
			http.Redirect(w, r, v.Next, http.StatusSeeOther)
			return nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return err
		}
		v.Problem = e.Message
		return k.RenderStatus(w, r, k.pages.login, e.Status, View{Title: "登录", Data: v})
	}
	return k.RenderStatus(w, r, k.pages.login, http.StatusUnprocessableEntity, View{Title: "登录", Data: v})
}

func (k *Kit) logout(w http.ResponseWriter, r *http.Request) error {
	k.SignOut(w, r)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
	return nil
}

type accountView struct {
	Idle, Max   string // how long sessions last, in words
	Sessions    []session.Session
	Current     string
	Tokens      []Token
	Password    *Form
	Token       *Form
	NewToken    string
	NewTokenFor string
}

func (k *Kit) account(w http.ResponseWriter, r *http.Request, v accountView, status int) error {
	p := PersonOf(r)
	var err error
	if v.Sessions, err = k.ss.List(r.Context(), p.Login); err != nil {
		return err
	}
	if v.Tokens, err = k.dir.Tokens(r.Context(), p.Login); err != nil {
		return err
	}
	v.Current = SessionOf(r).ID
	v.Idle, v.Max = inWords(k.ss.Idle()), inWords(k.ss.Max())
	if v.Password == nil {
		v.Password = NewForm(nil)
	}
	if v.Token == nil {
		v.Token = NewForm(nil)
	}
	return k.RenderStatus(w, r, k.pages.account, status, View{Title: "我的账户", Data: v})
}

func (k *Kit) accountPage(w http.ResponseWriter, r *http.Request) error {
	return k.account(w, r, accountView{}, http.StatusOK)
}

func (k *Kit) passwordChange(w http.ResponseWriter, r *http.Request) error {
	p, sess := PersonOf(r), SessionOf(r)
	f := NewForm(r)
	old, nw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("again")
	switch {
	case old == "":
		f.Fail("old", "请输入当前密码。")
	case nw == "":
		f.Fail("new", "请输入新密码。")
	case nw != again:
		f.Fail("again", "两次输入的新密码不一致。")
	case nw == old:
		f.Fail("new", "新密码不能与当前密码相同。")
	}
	if f.OK() {
		if wait := k.lim.AuthLocked(clientIP(r), normalizeUser(p.Login)); wait > 0 {
			f.Fail("old", lockoutMessage(wait))
		}
	}
	if f.OK() {
		epoch, err := k.dir.ChangePassword(r.Context(), p.Login, old, nw)
		switch {
		case errors.Is(err, ErrBadCredentials):
			k.lim.AuthFailed(clientIP(r), normalizeUser(p.Login)).Wait(r.Context())
			f.Fail("old", "当前密码不正确。")
		case errors.Is(err, ErrInvalid):
			f.Fail("new", passwordRule(err))
		case err != nil:
			return err
		default:
			// This session goes on with the new epoch; every other one ends.
			if err := k.ss.SetEpoch(r.Context(), sess.ID, epoch); err != nil {
				return err
			}
			n, err := k.ss.DeleteLogin(r.Context(), p.Login, sess.ID)
			if err != nil {
				return err
			}
			k.creds.forget(p.Login)
			k.people.forget(p.Login)
			k.log.Info("password changed on the web", "login", p.Login, "other_sessions_ended", n)
			msg := "密码已修改。"
			if n > 0 {
				msg += "您在其他设备上的登录已全部退出。"
			}
			return k.Redirect(w, r, "/account", msg)
		}
	}
	return k.account(w, r, accountView{Password: f}, http.StatusUnprocessableEntity)
}

// passwordRule turns the directory's reason into the person's sentence.
func passwordRule(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "at least"):
		return "新密码太短：至少 10 个字符。"
	case strings.Contains(msg, "at most"):
		return "新密码太长。"
	case strings.Contains(msg, "line breaks"):
		return "新密码不能包含换行符。"
	}
	return "新密码不符合要求：" + msg
}

func (k *Kit) sessionRevoke(w http.ResponseWriter, r *http.Request) error {
	p, sess := PersonOf(r), SessionOf(r)
	id := r.PathValue("id")
	if err := k.ss.DeleteOf(r.Context(), p.Login, id); errors.Is(err, session.ErrNotFound) {
		return NotFound("没有这个登录会话，它可能已经结束。")
	} else if err != nil {
		return err
	}
	if id == sess.ID {
		k.clearCookie(w, r, SessionCookie)
		http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
		return nil
	}
	return k.Redirect(w, r, "/account", "已结束该登录会话。")
}

func (k *Kit) sessionsRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	p, sess := PersonOf(r), SessionOf(r)
	n, err := k.ss.DeleteLogin(r.Context(), p.Login, sess.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return k.Redirect(w, r, "/account", "没有其他登录会话。")
	}
	return k.Redirect(w, r, "/account", "已结束其他所有登录会话。")
}

func (k *Kit) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	p := PersonOf(r)
	f := NewForm(r)
	name := f.Get("name")
	if name == "" {
		f.Fail("name", "请为令牌起个名字，例如“值班脚本”。")
	} else if len([]rune(name)) > 50 {
		f.Fail("name", "名字最多 50 个字。")
	}
	if !f.OK() {
		return k.account(w, r, accountView{Token: f}, http.StatusUnprocessableEntity)
	}
	token, _, err := k.dir.CreateToken(r.Context(), p.Login, name)
	if errors.Is(err, ErrInvalid) {
		f.Fail("name", "无法创建令牌："+err.Error())
		return k.account(w, r, accountView{Token: f}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	// Shown once, on this page; never again.
	return k.account(w, r, accountView{NewToken: token, NewTokenFor: name}, http.StatusOK)
}

func (k *Kit) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	p := PersonOf(r)
	if err := k.dir.RevokeToken(r.Context(), p.Login, r.PathValue("id")); errors.Is(err, ErrNotFound) {
		return NotFound("没有这个令牌。")
	} else if err != nil {
		return err
	}
	return k.Redirect(w, r, "/account", "令牌已撤销，使用它的程序将无法再访问。")
}

// inWords writes a lifetime as people say it: 30 分钟, 12 小时.
func inWords(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", int(d/time.Hour))
	case d >= time.Minute:
		return fmt.Sprintf("%d 分钟", int(d/time.Minute))
	}
	return fmt.Sprintf("%d 秒", int(d/time.Second))
}
