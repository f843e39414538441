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

	// 公文: any signed-in person; what each may see and do is decided by
	// the engine for every document and task.
	if p.opts.Docs != nil {
		rt.Page("GET /oa", web.SignedIn, p.oaHome)
		rt.Page("GET /oa/new", web.SignedIn, p.docNew)
		rt.Page("POST /oa/docs", web.SignedIn, p.docCreate)
		rt.Page("GET /oa/docs/{id}", web.SignedIn, p.doc)
		rt.Page("POST /oa/docs/{id}", web.SignedIn, p.docSave)
		rt.Page("GET /oa/docs/{id}/print", web.SignedIn, p.docPrint)
		rt.Page("POST /oa/docs/{id}/body", web.SignedIn, p.docUpload(true))
		rt.Page("POST /oa/docs/{id}/attachments", web.SignedIn, p.docUpload(false))
		rt.Page("GET /oa/docs/{id}/body/{n}", web.SignedIn, p.docFile(true))
		rt.Page("GET /oa/docs/{id}/attachments/{n}", web.SignedIn, p.docFile(false))
		rt.Page("GET /oa/docs/{id}/casefiles/{n}", web.SignedIn, p.caseFile)
		rt.Page("POST /oa/tasks/{id}/act", web.SignedIn, p.taskAct)
		rt.Page("POST /oa/tasks/{id}/urge", web.SignedIn, p.taskUrge)
		rt.Page("POST /oa/tasks/{id}/extend", web.SignedIn, p.taskExtend)
		rt.Page("GET /oa/search", web.SignedIn, p.search)
		rt.Page("GET /oa/delegations", web.SignedIn, p.delegations)
		rt.Page("POST /oa/delegations", web.SignedIn, p.delegationCreate)
		rt.Page("POST /oa/delegations/{id}/revoke", web.SignedIn, p.delegationRevoke)
		rt.Page("GET /oa/registers/{kind}", web.SignedIn, p.register)
		rt.Page("GET /oa/leader", web.AnyRole("leader"), p.leader)
		rt.Page("GET /admin/flows", admin, p.flows)
		rt.Page("GET /admin/flows/{key}", admin, p.flowEdit)
		rt.Page("POST /admin/flows/{key}", admin, p.flowSave)
		rt.API("GET /api/v1/oa/flows", web.SignedIn, p.apiFlows)
		rt.API("POST /api/v1/oa/documents", web.SignedIn, p.apiCreate)
		rt.API("GET /api/v1/oa/documents/{id}", web.SignedIn, p.apiDoc)
		rt.API("GET /api/v1/oa/tasks", web.SignedIn, p.apiTasks)
		rt.API("POST /api/v1/oa/tasks/{id}/actions", web.SignedIn, p.apiAct)
		rt.API("GET /api/v1/oa/registers/{kind}", web.SignedIn, p.apiRegister)
		p.kit.AddNav(
			web.NavItem{Label: "公文", Path: "/oa", Rule: web.SignedIn, Order: 20},
			web.NavItem{Label: "领导工作台", Path: "/oa/leader", Rule: web.AnyRole("leader"), Order: 25},
			web.NavItem{Label: "登记簿", Path: "/oa/registers/outgoing", Rule: web.SignedIn, Order: 30},
			web.NavItem{Label: "流程管理", Path: "/admin/flows", Rule: admin, Group: "管理", Order: 130},
		)
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
