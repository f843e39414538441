package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"nanhu/internal/web"
	"nanhu/oa/org"
)

// perPage is the length of a page of people.
const perPage = 20

// roleChoices are the roles the forms offer, with what each allows.
var roleChoices = []struct{ Role, Label string }{
	{"staff", "工作人员"},
	{"leader", "领导"},
	{"clerk", "文书、收发员"},
	{"sms", "发送短信（sms）"},
	{"editor", "网站编辑"},
	{"reviewer", "网站审核"},
	{"webmaster", "网站管理员"},
	{"admin", "系统管理员（admin）"},
}

type personRow struct {
	org.User
	Depts      []string // "区政府办公室 主任"
	RoleLabels []string
	Locked     bool
	LockedTo   time.Time
}

type peopleView struct {
	People []personRow
	Query  string
	Pager  web.Pager
}

// lockouts maps every locked-out user key to its end.
func (p *Pages) lockouts() map[string]time.Time {
	m := map[string]time.Time{}
	for _, l := range p.opts.Limiter.Lockouts() {
		if l.Until.After(m[l.User]) {
			m[l.User] = l.Until
		}
	}
	return m
}

// lockedUntil is when u's lockout ends (zero: not locked): keyed by the
// login or any address, as people log in with either.
func lockedUntil(u org.User, locks map[string]time.Time) time.Time {
	var until time.Time
	for _, k := range append([]string{u.Login}, u.Addresses...) {
		if t, ok := locks[strings.ToLower(k)]; ok && t.After(until) {
			until = t
		}
	}
	return until
}

func (p *Pages) deptNames(ctx context.Context) (map[string]string, []org.Department, error) {
	all, err := p.org.Departments(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]string, len(all))
	for _, d := range all {
		m[d.Code] = d.Name
	}
	return m, all, nil
}

func (p *Pages) row(u org.User, names map[string]string, locks map[string]time.Time) personRow {
	row := personRow{User: u}
	for _, r := range u.Roles {
		row.RoleLabels = append(row.RoleLabels, roleLabel(r))
	}
	for _, m := range u.Departments {
		row.Depts = append(row.Depts, strings.TrimSpace(names[m.Dept]+" "+m.Title))
	}
	if t := lockedUntil(u, locks); !t.IsZero() {
		row.Locked, row.LockedTo = true, t
	}
	return row
}

// peopleList is GET /admin/people[?q=][&page=].
func (p *Pages) peopleList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	all, err := p.org.Users(ctx)
	if err != nil {
		return err
	}
	names, _, err := p.deptNames(ctx)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	locks := p.lockouts()
	var rows []personRow
	for _, u := range all {
		row := p.row(u, names, locks)
		if q != "" && !matches(row, q) {
			continue
		}
		rows = append(rows, row)
	}
	pager := web.NewPager(r, perPage, len(rows))
	v := peopleView{People: rows[pager.Offset():pager.End()], Query: q, Pager: pager}
	return p.kit.Render(w, r, p.tmpl.people, web.View{Title: "人员管理", Data: v})
}

// matches reports whether a person matches a search: login, name, mobile,
// an address, a department or a title.
func matches(row personRow, q string) bool {
	q = strings.ToLower(q)
	hay := []string{row.Login, row.Name, row.Mobile}
	hay = append(hay, row.Addresses...)
	hay = append(hay, row.Depts...)
	return slices.ContainsFunc(hay, func(s string) bool { return strings.Contains(strings.ToLower(s), q) })
}

type personView struct {
	Person   personRow
	Prefs    org.NotifyPrefs
	Quiet    string
	NewPass  string // shown once after a reset
	Roles    []string
	Tokens   []org.Token
	SelfView bool
}

func (p *Pages) loadPerson(ctx context.Context, login string) (personRow, error) {
	u, err := p.org.User(ctx, login)
	if errors.Is(err, org.ErrNotFound) {
		return personRow{}, web.NotFound("没有登录名为 " + login + " 的人员。")
	}
	if err != nil {
		return personRow{}, err
	}
	names, _, err := p.deptNames(ctx)
	if err != nil {
		return personRow{}, err
	}
	return p.row(u, names, p.lockouts()), nil
}

func (p *Pages) renderPerson(w http.ResponseWriter, r *http.Request, login, newPass string) error {
	ctx := r.Context()
	row, err := p.loadPerson(ctx, login)
	if err != nil {
		return err
	}
	prefs, err := p.org.NotifyPrefs(ctx, row.Login)
	if err != nil {
		return err
	}
	tokens, err := p.org.Tokens(ctx, row.Login)
	if err != nil {
		return err
	}
	v := personView{Person: row, Prefs: prefs, Quiet: quietText(prefs.Quiet, p.opts.QuietHours), NewPass: newPass, Tokens: tokens, SelfView: row.Login == web.LoginOf(r)}
	return p.kit.Render(w, r, p.tmpl.person, web.View{Title: row.Name + "（" + row.Login + "）", Data: v})
}

// personShow is GET /admin/people/{login}.
func (p *Pages) personShow(w http.ResponseWriter, r *http.Request) error {
	return p.renderPerson(w, r, r.PathValue("login"), "")
}

type personNewView struct {
	Form  *web.Form
	Depts []deptOption
	Roles []struct{ Role, Label string }
}

// personNew is GET /admin/people/new.
func (p *Pages) personNew(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(nil)
	f.Set("roles", "staff")
	return p.renderPersonNew(w, r, f, http.StatusOK)
}

func (p *Pages) renderPersonNew(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	_, depts, err := p.deptNames(r.Context())
	if err != nil {
		return err
	}
	return p.kit.RenderStatus(w, r, p.tmpl.personNew, status, web.View{Title: "添加人员",
		Data: personNewView{Form: f, Depts: options(depts), Roles: roleChoices}})
}

type createdView struct {
	User     org.User
	Password string
}

// personCreate is POST /admin/people.
func (p *Pages) personCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	f.Require(map[string]string{"login": "登录名", "name": "姓名"})
	nu := org.NewUser{Login: f.Get("login"), Name: f.Get("name"), Mobile: chineseMobile(f.Get("mobile")), Title: f.Get("title"), Roles: f.All("roles")}
	if login := f.Get("login"); login != "" {
		if _, err := org.NormalizeLogin(login); err != nil {
			f.Fail("login", "登录名只能用小写字母、数字、点、横线和下划线，以字母开头，例如 chenjing。")
		}
	}
	if m := nu.Mobile; m != "" {
		if _, err := org.NormalizeMobile(m); err != nil {
			f.Fail("mobile", "手机号码格式不对，请写 11 位手机号，例如 13912345678。")
		}
	}
	if d := f.Get("dept"); d != "" {
		nu.Depts = []string{d}
	}
	if q := f.Get("quota"); q != "" {
		n, err := org.ParseQuota(q)
		if err != nil {
			f.Fail("quota", "容量写法如 2GiB、500MiB。")
		}
		nu.QuotaBytes = n
	}
	password := r.PostFormValue("password")
	generated := password == ""
	if generated {
		password = org.RandomPassword()
	} else if len([]rune(password)) < 10 {
		f.Fail("password", "密码至少 10 个字符；留空则自动生成。")
	}
	nu.Password = password
	if !f.OK() {
		return p.renderPersonNew(w, r, f, http.StatusUnprocessableEntity)
	}
	u, err := p.org.AddUser(r.Context(), nu)
	switch {
	case errors.Is(err, org.ErrExists):
		f.Fail("login", "登录名或邮箱地址 "+nu.Login+" 已被使用。")
	case errors.Is(err, org.ErrNotFound):
		f.Fail("dept", "所选部门不存在。")
	case errors.Is(err, org.ErrInvalid):
		f.Fail("", "输入有误："+err.Error())
	case err != nil:
		return err
	}
	if !f.OK() {
		return p.renderPersonNew(w, r, f, http.StatusUnprocessableEntity)
	}
	p.log.Info("person added on the web", "login", u.Login, "by", web.LoginOf(r))
	shown := ""
	if generated {
		shown = password
	}
	return p.kit.Render(w, r, p.tmpl.personCreated, web.View{Title: "已添加人员", Data: createdView{User: u, Password: shown}})
}

// personDisable is POST /admin/people/{login}/disable.
func (p *Pages) personDisable(w http.ResponseWriter, r *http.Request) error {
	login := r.PathValue("login")
	if login == web.LoginOf(r) {
		return web.Forbidden("不能停用自己的账户。")
	}
	if err := p.setDisabled(r, login, true); err != nil {
		return err
	}
	return p.kit.Redirect(w, r, "/admin/people/"+login, "账户已停用：此人的邮件、网页登录和令牌都已停止。")
}

// personEnable is POST /admin/people/{login}/enable.
func (p *Pages) personEnable(w http.ResponseWriter, r *http.Request) error {
	login := r.PathValue("login")
	if err := p.setDisabled(r, login, false); err != nil {
		return err
	}
	return p.kit.Redirect(w, r, "/admin/people/"+login, "账户已启用。")
}

func (p *Pages) setDisabled(r *http.Request, login string, disabled bool) error {
	err := p.org.SetDisabled(r.Context(), login, disabled)
	if errors.Is(err, org.ErrNotFound) {
		return web.NotFound("没有登录名为 " + login + " 的人员。")
	}
	if err != nil {
		return err
	}
	if disabled {
		p.kit.Forget(r.Context(), login)
	}
	p.log.Info("account state changed on the web", "login", login, "disabled", disabled, "by", web.LoginOf(r))
	return nil
}

// personPassword is POST /admin/people/{login}/password: a new random
// password, shown once, and every session of the person ended.
func (p *Pages) personPassword(w http.ResponseWriter, r *http.Request) error {
	login := r.PathValue("login")
	pw := org.RandomPassword()
	err := p.org.SetPassword(r.Context(), login, pw)
	if errors.Is(err, org.ErrNotFound) {
		return web.NotFound("没有登录名为 " + login + " 的人员。")
	}
	if err != nil {
		return err
	}
	p.kit.Forget(r.Context(), login)
	p.unlock(login, r)
	p.log.Info("password reset on the web", "login", login, "by", web.LoginOf(r))
	return p.renderPerson(w, r, login, pw)
}

// personUnlock is POST /admin/people/{login}/unlock.
func (p *Pages) personUnlock(w http.ResponseWriter, r *http.Request) error {
	login := r.PathValue("login")
	if _, err := p.loadPerson(r.Context(), login); err != nil {
		return err
	}
	if !p.unlock(login, r) {
		return p.kit.Redirect(w, r, "/admin/people/"+login, "此账户没有被锁定。")
	}
	return p.kit.Redirect(w, r, "/admin/people/"+login, "已解锁：此人现在可以重新登录邮件和网页。")
}

// unlock lifts the lockout of login under every name it logs in with.
func (p *Pages) unlock(login string, r *http.Request) bool {
	u, err := p.org.User(r.Context(), login)
	if err != nil {
		return false
	}
	// Recorded in the directory too, for every server on it.
	if err := p.org.Unlock(r.Context(), u.Login); err != nil {
		p.log.Warn("unlock not recorded", "login", u.Login, "err", err)
	}
	any := false
	for _, k := range append([]string{u.Login}, u.Addresses...) {
		if p.opts.Limiter.Unlock(strings.ToLower(k)) {
			any = true
		}
	}
	if any {
		p.log.Info("account unlocked on the web", "login", login, "by", web.LoginOf(r))
	}
	return any
}

func roleLabel(role string) string {
	for _, c := range roleChoices {
		if c.Role == role {
			return c.Label
		}
	}
	return role
}

func quietText(q *org.QuietHours, system string) string {
	switch {
	case q == nil:
		return fmt.Sprintf("系统默认（%s）", system)
	case q.None():
		return "不设免打扰"
	}
	return q.String()
}

// chineseMobile gives an 11-digit Chinese mobile number (13912345678) its
// country code, as people write it without; anything else is left for
// org.NormalizeMobile to judge.
func chineseMobile(s string) string {
	d := strings.NewReplacer(" ", "", "-", "").Replace(s)
	if len(d) == 11 && d[0] == '1' && strings.Trim(d, "0123456789") == "" {
		return "+86" + d
	}
	return s
}
