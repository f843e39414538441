package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Principal is an account as a sign-in check needs it on every request:
// who, whether enabled, the auth epoch, roles and departments. It is one
// indexed query, where User reads addresses too in five.
type Principal struct {
	Login, Name, Mobile string
	Disabled            bool
	AuthEpoch           int64
	Roles               []string // sorted
	Departments         []Membership
}

// principalQuery reads a user with its roles and memberships in one
// statement: the lists come joined by separators no value may hold (roles
// and codes are [a-z0-9_-]; a title has no control characters).
const principalQuery = `SELECT u.login, u.name, u.mobile, u.disabled, u.auth_epoch,
	coalesce((SELECT group_concat(role, ' ') FROM (SELECT role FROM user_roles WHERE login = u.login ORDER BY role)), ''),
	coalesce((SELECT group_concat(dept || char(31) || title, char(30)) FROM (SELECT dept, title FROM memberships WHERE login = u.login ORDER BY rowid)), '')
	FROM users u WHERE u.login = ?`

// Principal returns the account login (ErrNotFound when there is none).
func (d *Directory) Principal(ctx context.Context, login string) (Principal, error) {
	l, err := NormalizeLogin(login)
	if err != nil {
		return Principal{}, errorf(ErrNotFound, "there is no user %q", login)
	}
	var p Principal
	var roles, depts string
	err = d.ro.QueryRowContext(ctx, principalQuery, l).Scan(&p.Login, &p.Name, &p.Mobile, &p.Disabled, &p.AuthEpoch, &roles, &depts)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, errorf(ErrNotFound, "there is no user %q", l)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("org: read user %s: %w", l, err)
	}
	if roles != "" {
		p.Roles = strings.Split(roles, " ")
	}
	if depts != "" {
		for _, m := range strings.Split(depts, "\x1e") {
			code, title, _ := strings.Cut(m, "\x1f")
			p.Departments = append(p.Departments, Membership{Dept: code, Title: title})
		}
	}
	return p, nil
}
