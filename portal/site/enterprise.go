package site

import (
	"errors"
	"html"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/internal/web/session"
	"nanhu/portal/content"
	"nanhu/portal/enterprise"
)

// The enterprise pages (/qiye/): a company signs in with its 统一社会信用代码,
// writes its page in 企业风采 and sends it to review. They are the only
// pages of the portal with a sign-in; they are never cached (no-store),
// their forms carry the kit's form token and are refused from other
// sites, a password crosses only TLS (or a proxy on this machine), and
// failed sign-ins lock the code and the address out as staff sign-ins do.

// Enterprises is what the enterprise pages need; all three are required
// for them to exist.
type Enterprises struct {
	Accounts *enterprise.Store
	Sessions *session.Store
	Limiter  *ratelimit.Limiter
}

// qiyeCookie holds an enterprise's session; only /qiye/ sees it.
const qiyeCookie = "nanhu_qiye"

type qiyeView struct {
	chrome
	Account  enterprise.Account
	Art      content.Article
	Problem  string
	Notice   string
	Fields   content.Fields
	CanEdit  bool
	Recall   bool
	Public   string
	Opinion  string // the last return's
	States   map[string]string
	Code     string // the sign-in form's
	Must     bool   // the password is the one handed out
	Returned time.Time
	// Text is the body as the company writes it: plain paragraphs, one a
	// line.
	Text string
}

// paragraphs is plain text as a body: a paragraph a line, escaped.
func paragraphs(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			b.WriteString("<p>" + html.EscapeString(line) + "</p>")
		}
	}
	return b.String()
}

func (s *Site) qiyeRoutes(rt *web.Router) {
	rt.Page("GET /qiye/{$}", web.Public, s.qiyeHome)
	rt.Page("GET /qiye/login", web.Public, s.qiyeLoginForm)
	rt.Page("POST /qiye/login", web.Public, s.qiyeLogin)
	rt.Page("POST /qiye/logout", web.Public, s.qiyeLogout)
	rt.Page("GET /qiye/password", web.Public, s.qiyePasswordForm)
	rt.Page("POST /qiye/password", web.Public, s.qiyePassword)
	rt.Page("POST /qiye/page", web.Public, s.qiyeSave)
	rt.Page("POST /qiye/recall", web.Public, s.qiyeRecall)
}

func (s *Site) qiyeChrome(r *http.Request, last string) chrome {
	c := newChrome(r, "qyfw", home, crumb{Name: content.AreaBusiness, Href: "/area/qyfw"}, crumb{Name: "企业账户", Href: "/qiye/"})
	if last != "" {
		c.Crumbs = append(c.Crumbs, crumb{Name: last})
	} else {
		c.Crumbs[len(c.Crumbs)-1].Href = ""
	}
	return c
}

// private marks a response as never to be kept by a browser or proxy.
func private(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// passwordsSafe refuses a page that would carry a password in clear.
func passwordsSafe(r *http.Request) error {
	if !web.SecureEnough(r) {
		return &web.Error{Status: http.StatusForbidden, Message: "企业账户只能通过 HTTPS 登录，请使用本网站的 https:// 地址。"}
	}
	return nil
}

// qiyeAccount is the signed-in enterprise of r; ok false when none (the
// session is gone, expired, or ended by a new password or a disabled
// account).
func (s *Site) qiyeAccount(w http.ResponseWriter, r *http.Request) (enterprise.Account, session.Session, bool) {
	c, err := r.Cookie(qiyeCookie)
	if err != nil {
		return enterprise.Account{}, session.Session{}, false
	}
	ctx := r.Context()
	sess, err := s.ent.Sessions.Lookup(ctx, c.Value)
	if err != nil {
		s.clearQiye(w, r)
		return enterprise.Account{}, session.Session{}, false
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(sess.Login, "e:"), 10, 64)
	a, err := s.ent.Accounts.Get(ctx, id)
	if err != nil || !a.Enabled || a.Epoch != sess.Epoch {
		s.ent.Sessions.Delete(ctx, sess.ID)
		s.clearQiye(w, r)
		return enterprise.Account{}, session.Session{}, false
	}
	return a, sess, true
}

// visitorIP is the visitor's address: the peer's, or behind a reverse
// proxy on this machine (nginx, deploy/nginx-portal.conf) the address the
// proxy appended last to X-Forwarded-For, so that lockouts fall on the
// visitor and not on the proxy. Entries before it are the visitor's own
// claims and are not believed.
func visitorIP(r *http.Request) netip.Addr {
	peer := web.ClientIP(r)
	if !peer.IsLoopback() {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer
	}
	last := xff[len(xff)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
		return a.Unmap()
	}
	return peer
}

func (s *Site) clearQiye(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: qiyeCookie, Value: "", Path: "/qiye/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func actorOf(a enterprise.Account) content.Actor {
	return content.Actor{Login: a.Login(), Name: a.Name, Enterprise: a.ID}
}

func (s *Site) qiyeLoginForm(w http.ResponseWriter, r *http.Request) error {
	private(w)
	if err := passwordsSafe(r); err != nil {
		return err
	}
	if _, _, ok := s.qiyeAccount(w, r); ok {
		http.Redirect(w, r, "/qiye/", http.StatusSeeOther)
		return nil
	}
	v := &qiyeView{chrome: s.qiyeChrome(r, "登录")}
	if r.URL.Query().Get("out") == "1" {
		v.Notice = "您已退出企业账户。"
	}
	return s.kit.RenderStatus(w, r, s.pages["qiye-login"], http.StatusOK, web.View{Title: "企业账户登录", Data: v})
}

func (s *Site) qiyeLogin(w http.ResponseWriter, r *http.Request) error {
	private(w)
	if err := passwordsSafe(r); err != nil {
		return err
	}
	ctx := r.Context()
	code := enterprise.NormalCode(r.PostFormValue("code"))
	pw := r.PostFormValue("password")
	v := &qiyeView{chrome: s.qiyeChrome(r, "登录"), Code: code}
	fail := func(status int, msg string) error {
		v.Problem = msg
		return s.kit.RenderStatus(w, r, s.pages["qiye-login"], status, web.View{Title: "企业账户登录", Data: v})
	}
	if code == "" || pw == "" {
		return fail(http.StatusBadRequest, "请填写统一社会信用代码和密码。")
	}
	ip, key := visitorIP(r), "qiye:"+code
	if wait := s.ent.Limiter.AuthLocked(ip, key); wait > 0 {
		return fail(http.StatusTooManyRequests, "登录失败次数过多，请 "+strconv.Itoa(int(wait.Minutes())+1)+" 分钟后再试。")
	}
	a, err := s.ent.Accounts.Authenticate(ctx, code, pw)
	switch {
	case errors.Is(err, enterprise.ErrBadCredentials), errors.Is(err, enterprise.ErrDisabled):
		f := s.ent.Limiter.AuthFailed(ip, key)
		s.log.Warn("enterprise sign-in failed", "remote", ip, "code", code, "err", err, "lockout", f.Locked)
		f.Wait(ctx)
		if f.Locked {
			return fail(http.StatusTooManyRequests, "登录失败次数过多，账户已暂时锁定，请稍后再试。")
		}
		if errors.Is(err, enterprise.ErrDisabled) {
			return fail(http.StatusForbidden, "此企业账户已停用，请联系网站管理员。")
		}
		return fail(http.StatusUnauthorized, "统一社会信用代码或密码错误。")
	case err != nil:
		return err
	}
	s.ent.Limiter.AuthSucceeded(ip, key)
	// A new session, always (no fixation): the old one, if any, ends.
	if c, err := r.Cookie(qiyeCookie); err == nil {
		if old, err := s.ent.Sessions.Lookup(ctx, c.Value); err == nil {
			s.ent.Sessions.Delete(ctx, old.ID)
		}
	}
	_, token, err := s.ent.Sessions.Create(ctx, "e:"+strconv.FormatInt(a.ID, 10), a.Epoch, ip.String(), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: qiyeCookie, Value: token, Path: "/qiye/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	s.log.Info("enterprise signed in", "id", a.ID, "code", a.Code, "remote", ip)
	next := "/qiye/"
	if a.MustChange {
		next = "/qiye/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Site) qiyeLogout(w http.ResponseWriter, r *http.Request) error {
	private(w)
	if _, sess, ok := s.qiyeAccount(w, r); ok {
		s.ent.Sessions.Delete(r.Context(), sess.ID)
	}
	s.clearQiye(w, r)
	http.Redirect(w, r, "/qiye/login?out=1", http.StatusSeeOther)
	return nil
}

// signedInQiye is the account of a page that needs one; it has answered r
// (sent the visitor to sign in) when ok is false.
func (s *Site) signedInQiye(w http.ResponseWriter, r *http.Request) (enterprise.Account, session.Session, bool) {
	private(w)
	a, sess, ok := s.qiyeAccount(w, r)
	if !ok {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/qiye/login", http.StatusSeeOther)
		} else {
			s.kit.Fail(w, r, &web.Error{Status: http.StatusUnauthorized, Message: "登录已过期，请重新登录企业账户。"})
		}
	}
	return a, sess, ok
}

func (s *Site) qiyePasswordForm(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.signedInQiye(w, r)
	if !ok {
		return nil
	}
	v := &qiyeView{chrome: s.qiyeChrome(r, "修改密码"), Account: a, Must: a.MustChange}
	return s.kit.RenderStatus(w, r, s.pages["qiye-password"], http.StatusOK, web.View{Title: "修改密码", Data: v})
}

func (s *Site) qiyePassword(w http.ResponseWriter, r *http.Request) error {
	a, sess, ok := s.signedInQiye(w, r)
	if !ok {
		return nil
	}
	if err := passwordsSafe(r); err != nil {
		return err
	}
	ctx := r.Context()
	old, nw := r.PostFormValue("old"), r.PostFormValue("new")
	v := &qiyeView{chrome: s.qiyeChrome(r, "修改密码"), Account: a, Must: a.MustChange}
	if nw != r.PostFormValue("again") {
		v.Problem = "两次输入的新密码不一致。"
		return s.kit.RenderStatus(w, r, s.pages["qiye-password"], http.StatusBadRequest, web.View{Title: "修改密码", Data: v})
	}
	epoch, err := s.ent.Accounts.ChangePassword(ctx, a.ID, old, nw)
	if e, ok := errors.AsType[*enterprise.Error](err); ok {
		v.Problem = e.Msg
		return s.kit.RenderStatus(w, r, s.pages["qiye-password"], http.StatusBadRequest, web.View{Title: "修改密码", Data: v})
	}
	if err != nil {
		return err
	}
	// The other sessions end; this one goes on under the new epoch.
	if _, err := s.ent.Sessions.DeleteLogin(ctx, sess.Login, sess.ID); err != nil {
		return err
	}
	if err := s.ent.Sessions.SetEpoch(ctx, sess.ID, epoch); err != nil {
		return err
	}
	http.Redirect(w, r, "/qiye/?ok=password", http.StatusSeeOther)
	return nil
}

var qiyeNotices = map[string]string{
	"password": "密码已修改。",
	"saved":    "已保存。修改好后请点“保存并送审”，审核通过后才会在网站上显示。",
	"sent":     "已送审。网站审核人审核通过后，您的页面将在“企业风采”栏目中发布。",
	"recalled": "已撤回送审，可以继续修改。",
}

func (s *Site) qiyeHome(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.signedInQiye(w, r)
	if !ok {
		return nil
	}
	if a.MustChange {
		http.Redirect(w, r, "/qiye/password", http.StatusSeeOther)
		return nil
	}
	return s.renderQiye(w, r, a, nil, "", qiyeNotices[r.URL.Query().Get("ok")], http.StatusOK)
}

func (s *Site) renderQiye(w http.ResponseWriter, r *http.Request, a enterprise.Account, fields *content.Fields, problem, notice string, status int) error {
	ctx := r.Context()
	v := &qiyeView{chrome: s.qiyeChrome(r, ""), Account: a, Problem: problem, Notice: notice, States: content.StateNames}
	if a.Page == 0 {
		v.Problem = "网站管理员还没有为贵单位开设页面，请联系网站管理员。"
		return s.kit.RenderStatus(w, r, s.pages["qiye"], status, web.View{Title: "企业账户", Data: v})
	}
	art, err := s.store.Article(ctx, actorOf(a), a.Page)
	if err != nil {
		return err
	}
	v.Art, v.Fields = art, art.Fields
	if fields != nil {
		v.Fields = *fields
	}
	v.Text = content.PlainText(v.Fields.Body)
	v.CanEdit = art.State != content.StateReview && art.State != content.StateScheduled
	v.Recall = art.State == content.StateReview
	if art.Live {
		v.Public = "/art/" + strconv.FormatInt(art.ID, 10)
	}
	trail, err := s.store.Trail(ctx, art.ID)
	if err != nil {
		return err
	}
	for _, e := range trail {
		if e.Action == "returned" && art.State == content.StateReturned {
			v.Opinion, v.Returned = e.Opinion, e.At
		}
	}
	return s.kit.RenderStatus(w, r, s.pages["qiye"], status, web.View{Title: "企业账户", Data: v})
}

func (s *Site) qiyeSave(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.signedInQiye(w, r)
	if !ok {
		return nil
	}
	if a.MustChange {
		return &web.Error{Status: http.StatusForbidden, Message: "请先修改初始密码。"}
	}
	if a.Page == 0 {
		return web.NotFound("企业页面")
	}
	ctx := r.Context()
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	// The page's name and source are the company's own; the rest is what
	// it wrote.
	f := content.Fields{Title: a.Name, Source: a.Name, Summary: r.PostFormValue("summary"), Body: paragraphs(r.PostFormValue("body")), Keywords: r.PostFormValue("keywords")}
	act := actorOf(a)
	err := s.store.Save(ctx, act, a.Page, version, f)
	if err == nil && r.PostFormValue("then") == "submit" {
		if err = s.store.Submit(ctx, act, a.Page); err == nil {
			http.Redirect(w, r, "/qiye/?ok=sent", http.StatusSeeOther)
			return nil
		}
	}
	if e, ok := errors.AsType[*content.Error](err); ok {
		return s.renderQiye(w, r, a, &f, e.Msg, "", http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/qiye/?ok=saved", http.StatusSeeOther)
	return nil
}

func (s *Site) qiyeRecall(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.signedInQiye(w, r)
	if !ok {
		return nil
	}
	err := s.store.Recall(r.Context(), actorOf(a), a.Page)
	if e, ok := errors.AsType[*content.Error](err); ok {
		return s.renderQiye(w, r, a, nil, e.Msg, "", http.StatusConflict)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/qiye/?ok=recalled", http.StatusSeeOther)
	return nil
}
