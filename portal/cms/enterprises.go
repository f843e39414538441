package cms

import (
	"context"
	"errors"
	"net/http"

	"nanhu/internal/web"
	"nanhu/portal/content"
	"nanhu/portal/enterprise"
)

// Accounts are the enterprise accounts as the desk manages them.
type Accounts interface {
	List(ctx context.Context) ([]enterprise.Account, error)
	Get(ctx context.Context, id int64) (enterprise.Account, error)
	Create(ctx context.Context, by string, n enterprise.New) (enterprise.Account, string, error)
	SetPage(ctx context.Context, id, page int64) error
	ResetPassword(ctx context.Context, id int64, by string) (string, error)
	SetEnabled(ctx context.Context, id int64, on bool, by string) error
}

type enterprisesView struct {
	Accounts []enterprise.Account
	States   map[int64]string // page → its state's name
	New      enterprise.New
	Problem  string
	// Issued is the account just opened or reset, with its one-time
	// password: shown once, on this answer only.
	Issued   *enterprise.Account
	Password string
	Portal   string
}

func (c *CMS) enterprises(w http.ResponseWriter, r *http.Request) error {
	return c.renderEnterprises(w, r, enterprisesView{}, http.StatusOK)
}

func (c *CMS) renderEnterprises(w http.ResponseWriter, r *http.Request, v enterprisesView, status int) error {
	ctx := r.Context()
	var err error
	if v.Accounts, err = c.opts.Accounts.List(ctx); err != nil {
		return err
	}
	v.States = map[int64]string{}
	a := actor(r)
	for _, acc := range v.Accounts {
		if acc.Page == 0 {
			continue
		}
		if art, err := c.store.Article(ctx, a, acc.Page); err == nil {
			v.States[acc.Page] = stateName(art.State, art.Live)
		}
	}
	v.Portal = c.opts.PublicURL
	// A one-time password must not stay in any cache.
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.RenderStatus(w, r, c.tmpl.enterprises, status, web.View{Title: "企业账户", Data: v})
}

func (c *CMS) enterpriseCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := web.NewForm(r)
	n := enterprise.New{Code: f.Get("code"), Name: f.Get("name"), Contact: f.Get("contact"), Mobile: f.Get("mobile")}
	a := actor(r)
	acc, pw, err := c.opts.Accounts.Create(ctx, a.Login, n)
	if e, ok := errors.AsType[*enterprise.Error](err); ok {
		return c.renderEnterprises(w, r, enterprisesView{New: n, Problem: e.Msg}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	page, err := c.store.CreateEnterprisePage(ctx, a, acc.ID, acc.Name)
	if err != nil {
		return fail(err)
	}
	if err := c.opts.Accounts.SetPage(ctx, acc.ID, page); err != nil {
		return err
	}
	acc.Page = page
	c.log.Info("enterprise account opened", "code", acc.Code, "page", page, "by", a.Login)
	return c.renderEnterprises(w, r, enterprisesView{Issued: &acc, Password: pw}, http.StatusOK)
}

func (c *CMS) enterpriseAction(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		id, err := idOf(r, "id")
		if err != nil {
			return err
		}
		by := actor(r).Login
		a, err := c.opts.Accounts.Get(ctx, id)
		if errors.Is(err, enterprise.ErrNotFound) {
			return web.NotFound("企业账户")
		}
		if err != nil {
			return err
		}
		acc := &a
		switch action {
		case "reset":
			pw, err := c.opts.Accounts.ResetPassword(ctx, id, by)
			if err != nil {
				return err
			}
			return c.renderEnterprises(w, r, enterprisesView{Issued: acc, Password: pw}, http.StatusOK)
		case "disable", "enable":
			if err := c.opts.Accounts.SetEnabled(ctx, id, action == "enable", by); err != nil {
				return err
			}
			msg := "已停用「" + acc.Name + "」的企业账户，它已登录的会话随即结束。"
			if action == "enable" {
				msg = "已启用「" + acc.Name + "」的企业账户。"
			}
			return c.kit.Redirect(w, r, "/portal/enterprises", msg)
		}
		return web.NotFound("操作")
	}
}

// stateName is an article's state in words, saying when an edit waits
// while the published page stays.
func stateName(state string, live bool) string {
	n := content.StateNames[state]
	if live && state != content.StatePublished {
		n += "（网站上显示已发布的版本）"
	}
	return n
}
