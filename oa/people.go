package oa

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"nanhu/internal/web"
	"nanhu/oa/org"
)

// People is the organisation as the web kit signs people in through it
// (web.Directory): the same accounts, passwords and tokens as mail.
func (o *OA) People() web.Directory { return &people{org: o.org} }

type people struct {
	org *org.Directory

	mu        sync.Mutex
	deptNames map[string]string
	deptsAt   time.Time
}

// deptTTL is how long department names are remembered: they change
// seldom, and a sign-in check runs on every page.
const deptTTL = 10 * time.Second

func (p *people) names(ctx context.Context) (map[string]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deptNames != nil && time.Since(p.deptsAt) < deptTTL {
		return p.deptNames, nil
	}
	all, err := p.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(all))
	for _, d := range all {
		m[d.Code] = d.Name
	}
	p.deptNames, p.deptsAt = m, time.Now()
	return m, nil
}

// webErr maps the organisation's errors onto the kit's.
func webErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, org.ErrBadCredentials), errors.Is(err, org.ErrInvalid):
		return fmt.Errorf("%w: %v", web.ErrBadCredentials, err)
	case errors.Is(err, org.ErrDisabled):
		return fmt.Errorf("%w: %v", web.ErrDisabled, err)
	case errors.Is(err, org.ErrNotFound):
		return fmt.Errorf("%w: %v", web.ErrNotFound, err)
	}
	return err
}

func (p *people) person(ctx context.Context, u org.User) (web.Person, error) {
	return p.principal(ctx, org.Principal{Login: u.Login, Name: u.Name, Mobile: u.Mobile, Disabled: u.Disabled, AuthEpoch: u.AuthEpoch,
		Roles: u.Roles, Departments: u.Departments})
}

func (p *people) principal(ctx context.Context, u org.Principal) (web.Person, error) {
	names, err := p.names(ctx)
	if err != nil {
		return web.Person{}, err
	}
	wp := web.Person{Login: u.Login, Name: u.Name, Mobile: u.Mobile, Roles: u.Roles, Epoch: u.AuthEpoch}
	for _, m := range u.Departments {
		wp.Departments = append(wp.Departments, web.Dept{Code: m.Dept, Name: names[m.Dept], Title: m.Title})
	}
	return wp, nil
}

func (p *people) Authenticate(ctx context.Context, username, password string) (web.Person, error) {
	u, err := p.org.Authenticate(ctx, username, password)
	if err != nil {
		if errors.Is(err, org.ErrNotFound) {
			err = fmt.Errorf("%w: %v", org.ErrBadCredentials, err)
		}
		return web.Person{}, webErr(err)
	}
	return p.person(ctx, u)
}

func (p *people) AuthenticateToken(ctx context.Context, token string) (web.Person, error) {
	u, err := p.org.AuthenticateToken(ctx, token)
	if err != nil {
		if errors.Is(err, org.ErrNotFound) {
			err = fmt.Errorf("%w: %v", org.ErrBadCredentials, err)
		}
		return web.Person{}, webErr(err)
	}
	return p.principal(ctx, u)
}

func (p *people) Person(ctx context.Context, login string) (web.Person, error) {
	u, err := p.org.Principal(ctx, login)
	if err != nil {
		return web.Person{}, webErr(err)
	}
	if u.Disabled {
		return web.Person{}, fmt.Errorf("%w: %s", web.ErrDisabled, login)
	}
	return p.principal(ctx, u)
}

func (p *people) ChangePassword(ctx context.Context, login, old, new string) (int64, error) {
	if _, err := p.org.Authenticate(ctx, login, old); err != nil {
		return 0, webErr(err)
	}
	if err := p.org.SetPassword(ctx, login, new); err != nil {
		if errors.Is(err, org.ErrInvalid) {
			return 0, fmt.Errorf("%w: %v", web.ErrInvalid, err)
		}
		return 0, err
	}
	u, err := p.org.User(ctx, login)
	if err != nil {
		return 0, err
	}
	return u.AuthEpoch, nil
}

func (p *people) Tokens(ctx context.Context, login string) ([]web.Token, error) {
	all, err := p.org.Tokens(ctx, login)
	if err != nil {
		return nil, err
	}
	out := make([]web.Token, 0, len(all))
	for _, t := range all {
		out = append(out, web.Token{ID: t.ID, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed})
	}
	return out, nil
}

func (p *people) CreateToken(ctx context.Context, login, name string) (string, web.Token, error) {
	tok, t, err := p.org.CreateToken(ctx, login, name)
	if err != nil {
		if errors.Is(err, org.ErrInvalid) {
			return "", web.Token{}, fmt.Errorf("%w: %v", web.ErrInvalid, err)
		}
		return "", web.Token{}, err
	}
	return tok, web.Token{ID: t.ID, Name: t.Name, Created: t.Created}, nil
}

func (p *people) RevokeToken(ctx context.Context, login, id string) error {
	return webErr(p.org.RevokeToken(ctx, login, id))
}
