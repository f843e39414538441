package pages

import (
	"net/http"

	"nanhu/internal/web"
	"nanhu/oa/notify"
)

// admin is the rule of every administration route.
var admin = web.AnyRole("admin")

// Routes registers every OA route on mux, each with what it requires.
func (p *Pages) Routes(mux *http.ServeMux) {
	rt := p.kit.Router(mux)

	// The 工作台: any signed-in person, about themselves.
	rt.Page("GET /{$}", web.SignedIn, p.workbench)
	rt.Page("POST /prefs", web.SignedIn, p.prefsSave)
	rt.API("GET /api/v1/notifications/prefs", web.SignedIn, p.prefsGet)
	rt.API("PUT /api/v1/notifications/prefs", web.SignedIn, p.prefsPut)
	if n := p.opts.Notifier; n != nil {
		rt.APIHandler("GET "+notify.StreamPath, web.SignedIn, n.Handler())
	}

	// Administration: the admin role.
	rt.Page("GET /admin/people", admin, p.peopleList)
	rt.Page("GET /admin/people/new", admin, p.personNew)
	rt.Page("POST /admin/people", admin, p.personCreate)
	rt.Page("GET /admin/people/{login}", admin, p.personShow)
	rt.Page("POST /admin/people/{login}/disable", admin, p.personDisable)
	rt.Page("POST /admin/people/{login}/enable", admin, p.personEnable)
	rt.Page("POST /admin/people/{login}/password", admin, p.personPassword)
	rt.Page("POST /admin/people/{login}/unlock", admin, p.personUnlock)
	rt.Page("GET /admin/departments", admin, p.departments)
	rt.Page("POST /admin/departments", admin, p.departmentCreate)
	rt.Page("GET /admin/mail", admin, p.mailRouting)
	rt.Page("POST /admin/mail/lists", admin, p.listCreate)
	rt.Page("POST /admin/mail/aliases", admin, p.aliasCreate)
	rt.Page("POST /admin/mail/shared", admin, p.sharedCreate)
	if p.opts.System != nil {
		rt.Page("GET /admin/system", admin, p.system)
		rt.Page("POST /admin/system/backup", admin, p.backupStart)
	}

	p.kit.AddNav(
		web.NavItem{Label: "工作台", Path: "/", Rule: web.SignedIn, Order: 10},
		web.NavItem{Label: "人员", Path: "/admin/people", Rule: admin, Group: "管理", Order: 100},
		web.NavItem{Label: "部门", Path: "/admin/departments", Rule: admin, Group: "管理", Order: 110},
		web.NavItem{Label: "邮件组与别名", Path: "/admin/mail", Rule: admin, Group: "管理", Order: 120},
	)
	if p.opts.System != nil {
		p.kit.AddNav(web.NavItem{Label: "系统状态", Path: "/admin/system", Rule: admin, Group: "管理", Order: 150})
	}
}
