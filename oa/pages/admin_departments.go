package pages

import (
	"errors"
	"net/http"
	"strings"

	"nanhu/internal/web"
	"nanhu/oa/org"
)

// kindLabels name the kinds of department.
var kindLabels = map[string]string{
	org.KindOrgan: "四套班子", org.KindDepartment: "部门", org.KindSection: "科室", org.KindTownship: "镇", org.KindStreet: "街道",
}

var kindOrder = []string{org.KindDepartment, org.KindSection, org.KindOrgan, org.KindTownship, org.KindStreet}

// deptOption is a department in a list, indented by its depth.
type deptOption struct {
	org.Department
	Depth     int
	Indent    string // full-width spaces, for a <select>
	KindLabel string
	Members   int
	Leader    string // the leader's name
}

// options gives each department (in tree order) its depth.
func options(all []org.Department) []deptOption {
	depth := map[string]int{}
	out := make([]deptOption, 0, len(all))
	for _, d := range all {
		n := 0
		if d.Parent != "" {
			n = depth[d.Parent] + 1
		}
		depth[d.Code] = n
		out = append(out, deptOption{Department: d, Depth: n, Indent: strings.Repeat("　", n), KindLabel: kindLabels[d.Kind]})
	}
	return out
}

type departmentsView struct {
	Depts []deptOption
	Form  *web.Form
	Kinds []struct{ Kind, Label string }
}

// departments is GET /admin/departments: the tree, and a form to add one.
func (p *Pages) departments(w http.ResponseWriter, r *http.Request) error {
	return p.renderDepartments(w, r, web.NewForm(nil), http.StatusOK)
}

func (p *Pages) renderDepartments(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	ctx := r.Context()
	all, err := p.org.Departments(ctx)
	if err != nil {
		return err
	}
	users, err := p.org.Users(ctx)
	if err != nil {
		return err
	}
	count := map[string]int{}
	name := map[string]string{}
	for _, u := range users {
		name[u.Login] = u.Name
		for _, m := range u.Departments {
			count[m.Dept]++
		}
	}
	opts := options(all)
	for i := range opts {
		opts[i].Members = count[opts[i].Code]
		if l := opts[i].Department.Leader; l != "" {
			opts[i].Leader = name[l] + "（" + l + "）"
		}
	}
	v := departmentsView{Depts: opts, Form: f}
	for _, k := range kindOrder {
		v.Kinds = append(v.Kinds, struct{ Kind, Label string }{k, kindLabels[k]})
	}
	return p.kit.RenderStatus(w, r, p.tmpl.departments, status, web.View{Title: "部门管理", Data: v})
}

// departmentCreate is POST /admin/departments.
func (p *Pages) departmentCreate(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	f.Require(map[string]string{"code": "部门代码", "name": "部门名称"})
	dep := org.Department{Code: f.Get("code"), Name: f.Get("name"), Parent: f.Get("parent"), Kind: f.Get("kind"), Leader: f.Get("leader")}
	if !f.OK() {
		return p.renderDepartments(w, r, f, http.StatusUnprocessableEntity)
	}
	err := p.org.AddDepartment(r.Context(), dep)
	switch {
	case errors.Is(err, org.ErrExists):
		f.Fail("code", "部门代码 "+dep.Code+" 已被使用。")
	case errors.Is(err, org.ErrNotFound):
		if dep.Leader != "" && strings.Contains(err.Error(), dep.Leader) {
			f.Fail("leader", "没有登录名为 "+dep.Leader+" 的人员。")
		} else {
			f.Fail("parent", "所选上级部门不存在。")
		}
	case errors.Is(err, org.ErrInvalid):
		if strings.Contains(err.Error(), "code") {
			f.Fail("code", "部门代码只能用小写字母、数字、横线和下划线，例如 xxb。")
		} else {
			f.Fail("", "输入有误："+err.Error())
		}
	case err != nil:
		return err
	}
	if !f.OK() {
		return p.renderDepartments(w, r, f, http.StatusUnprocessableEntity)
	}
	p.log.Info("department added on the web", "code", dep.Code, "by", web.LoginOf(r))
	return p.kit.Redirect(w, r, "/admin/departments", "已添加部门“"+dep.Name+"”。")
}
