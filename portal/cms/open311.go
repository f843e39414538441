package cms

import (
	"context"
	"errors"
	"net/http"

	"nanhu/internal/web"
	"nanhu/portal/cases"
)

// Keys are the Open311 clients' keys as the desk manages them.
type Keys interface {
	Keys(ctx context.Context) ([]cases.APIKey, error)
	CreateKey(ctx context.Context, name, by string) (string, cases.APIKey, error)
	RevokeKey(ctx context.Context, id int64, by string) error
}

type keysView struct {
	Keys    []cases.APIKey
	Name    string
	Problem string
	// Issued is the key just made, shown on this answer only.
	Issued *cases.APIKey
	Key    string
	Portal string
}

func (c *CMS) renderKeys(w http.ResponseWriter, r *http.Request, v keysView, status int) error {
	var err error
	if v.Keys, err = c.opts.Keys.Keys(r.Context()); err != nil {
		return err
	}
	v.Portal = c.opts.PublicURL
	w.Header().Set("Cache-Control", "no-store")
	return c.kit.RenderStatus(w, r, c.tmpl.keys, status, web.View{Title: "Open311 接口", Data: v})
}

func (c *CMS) keys(w http.ResponseWriter, r *http.Request) error {
	return c.renderKeys(w, r, keysView{}, http.StatusOK)
}

func (c *CMS) keyCreate(w http.ResponseWriter, r *http.Request) error {
	name := web.NewForm(r).Get("name")
	key, k, err := c.opts.Keys.CreateKey(r.Context(), name, actor(r).Login)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return c.renderKeys(w, r, keysView{Name: name, Problem: inv.Msg}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return c.renderKeys(w, r, keysView{Issued: &k, Key: key}, http.StatusOK)
}

func (c *CMS) keyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := idOf(r, "id")
	if err != nil {
		return err
	}
	if err := c.opts.Keys.RevokeKey(r.Context(), id, actor(r).Login); errors.Is(err, cases.ErrNotFound) {
		return web.NotFound("接口密钥")
	} else if err != nil {
		return err
	}
	return c.kit.Redirect(w, r, "/portal/open311", "密钥已作废，使用它的请求即刻被拒绝。")
}
