package pages

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"nanhu/internal/web"
	"nanhu/oa/org"
)

type aliasRow struct{ Alias, Target string }

type listRow struct {
	org.List
	DeptName string
	Members  int // who receives it now
}

type mailView struct {
	Lists   []listRow
	Aliases []aliasRow
	Shared  []org.SharedMailbox
	Depts   []deptOption
	List    *web.Form
	Alias   *web.Form
	SharedF *web.Form
}

// mailRouting is GET /admin/mail: distribution lists, aliases and shared
// mailboxes (公共邮箱), each with a form to add one.
func (p *Pages) mailRouting(w http.ResponseWriter, r *http.Request) error {
	return p.renderMail(w, r, mailView{}, http.StatusOK)
}

func (p *Pages) renderMail(w http.ResponseWriter, r *http.Request, v mailView, status int) error {
	ctx := r.Context()
	names, depts, err := p.deptNames(ctx)
	if err != nil {
		return err
	}
	lists, err := p.org.Lists(ctx)
	if err != nil {
		return err
	}
	for _, l := range lists {
		members, err := p.org.ListMembers(ctx, l.Address)
		if err != nil {
			return err
		}
		v.Lists = append(v.Lists, listRow{List: l, DeptName: names[l.Dept], Members: len(members)})
	}
	aliases, err := p.org.Aliases(ctx)
	if err != nil {
		return err
	}
	for a, t := range aliases {
		v.Aliases = append(v.Aliases, aliasRow{a, t})
	}
	sort.Slice(v.Aliases, func(i, j int) bool { return v.Aliases[i].Alias < v.Aliases[j].Alias })
	if v.Shared, err = p.org.SharedMailboxes(ctx); err != nil {
		return err
	}
	v.Depts = options(depts)
	for _, f := range []**web.Form{&v.List, &v.Alias, &v.SharedF} {
		if *f == nil {
			*f = web.NewForm(nil)
		}
	}
	return p.kit.RenderStatus(w, r, p.tmpl.mail, status, web.View{Title: "邮件组、别名与公共邮箱", Data: v})
}

// orgFail puts the organisation's refusal beside the form's field.
func orgFail(f *web.Form, err error, field, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, org.ErrExists):
		f.Fail(field, "地址 "+f.Get(field)+" 已被人员、邮件组或别名使用。")
	case errors.Is(err, org.ErrNotFound):
		f.Fail("", what+"所指的人员或部门不存在："+err.Error())
	case errors.Is(err, org.ErrInvalid), errors.Is(err, org.ErrLoop):
		f.Fail(field, "输入有误："+err.Error())
	default:
		return err
	}
	return nil
}

// listCreate is POST /admin/mail/lists.
func (p *Pages) listCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	f.Require(map[string]string{"address": "邮件组地址"})
	members := strings.FieldsFunc(f.Get("members"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' })
	if f.Get("dept") == "" && len(members) == 0 {
		f.Fail("members", "请选择一个部门，或至少填写一位成员。")
	}
	if f.OK() {
		addr, err := p.org.PrimaryAddress(r.Context(), f.Get("address"))
		if err != nil {
			f.Fail("address", "地址无效："+err.Error())
		} else if err := orgFail(f, p.org.AddList(r.Context(), addr, f.Get("dept"), members), "address", "邮件组"); err != nil {
			return err
		}
		if f.OK() {
			return p.kit.Redirect(w, r, "/admin/mail", "已添加邮件组 "+addr+"。")
		}
	}
	return p.renderMail(w, r, mailView{List: f}, http.StatusUnprocessableEntity)
}

// aliasCreate is POST /admin/mail/aliases.
func (p *Pages) aliasCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	f.Require(map[string]string{"alias": "别名", "target": "转到"})
	if f.OK() {
		addr, err := p.org.PrimaryAddress(r.Context(), f.Get("alias"))
		if err != nil {
			f.Fail("alias", "地址无效："+err.Error())
		} else if err := orgFail(f, p.org.AddAlias(r.Context(), addr, f.Get("target")), "alias", "别名"); err != nil {
			return err
		}
		if f.OK() {
			return p.kit.Redirect(w, r, "/admin/mail", "已添加别名 "+addr+"。")
		}
	}
	return p.renderMail(w, r, mailView{Alias: f}, http.StatusUnprocessableEntity)
}

// sharedCreate is POST /admin/mail/shared.
func (p *Pages) sharedCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	f.Require(map[string]string{"address": "公共邮箱地址", "dept": "部门"})
	if f.OK() {
		addr, err := p.org.PrimaryAddress(r.Context(), f.Get("address"))
		if err != nil {
			f.Fail("address", "地址无效："+err.Error())
		} else if err := orgFail(f, p.org.AddSharedMailbox(r.Context(), addr, f.Get("dept")), "address", "公共邮箱"); err != nil {
			return err
		}
		if f.OK() {
			return p.kit.Redirect(w, r, "/admin/mail", "已添加公共邮箱 "+addr+"，该部门成员在邮件客户端的“公共邮箱”下可见。")
		}
	}
	return p.renderMail(w, r, mailView{SharedF: f}, http.StatusUnprocessableEntity)
}
