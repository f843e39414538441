package org

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// The OA roles that flows refer to. Each is held for an organ: 张伟 is
// 签发人 for 区政府, 赵丽 is its 文书.
const (
	RoleClerk     = "文书"
	RoleReceiver  = "收发员"
	RoleReviewer  = "核稿人"
	RoleSigner    = "签发人"
	RoleOffice    = "办公室主任"
	RoleHandler   = "承办人"
	RoleArchivist = "归档员"
	// RoleCases accepts and assigns citizens' cases (来信受理分办), for
	// the organ that handles them (the 信访局).
	RoleCases = "受理员"
)

// OARoles are the OA roles, in the order the pages list them.
var OARoles = []string{RoleClerk, RoleReceiver, RoleReviewer, RoleSigner, RoleOffice, RoleHandler, RoleArchivist, RoleCases}

// Grant is an OA role held by a person for an organ.
type Grant struct {
	Login, Role, Organ string
}

// GrantOARole gives login the OA role for organ (a department code).
func (d *Directory) GrantOARole(ctx context.Context, g Grant) error {
	l, err := NormalizeLogin(g.Login)
	if err != nil {
		return err
	}
	if !slices.Contains(OARoles, g.Role) {
		return errorf(ErrInvalid, "%q is not an OA role (%s)", g.Role, strings.Join(OARoles, ", "))
	}
	organ, err := normalizeCode(g.Organ)
	if err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		if ok, err := userExists(ctx, tx, l); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q", l)
		}
		if ok, err := deptExists(ctx, tx, organ); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no department %q", organ)
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO oa_roles (login, role, organ) VALUES (?, ?, ?)`, l, g.Role, organ)
		return err
	})
	if err != nil {
		return wrapOp(err, "grant %s to %s for %s", g.Role, l, organ)
	}
	d.log.Info("OA role granted", "login", l, "role", g.Role, "organ", organ)
	return nil
}

// RevokeOARole takes the OA role back.
func (d *Directory) RevokeOARole(ctx context.Context, g Grant) error {
	err := d.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM oa_roles WHERE login = ? AND role = ? AND organ = ?`, g.Login, g.Role, g.Organ)
		return err
	})
	return wrapOp(err, "revoke %s from %s for %s", g.Role, g.Login, g.Organ)
}

// Grants are every OA role held, by role, organ and login.
func (d *Directory) Grants(ctx context.Context) ([]Grant, error) {
	rows, err := d.ro.QueryContext(ctx, `SELECT login, role, organ FROM oa_roles ORDER BY role, organ, login`)
	if err != nil {
		return nil, fmt.Errorf("org: read OA roles: %w", err)
	}
	defer rows.Close()
	var gs []Grant
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Login, &g.Role, &g.Organ); err != nil {
			return nil, fmt.Errorf("org: read OA roles: %w", err)
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// OrganDetails sets what an issuing organ has: 机关代字, 发文机关标志 and
// 印章. A 机关代字 belongs to one organ only.
func (d *Directory) OrganDetails(ctx context.Context, code, daizi, banner, seal string) error {
	code, err := normalizeCode(code)
	if err != nil {
		return err
	}
	if daizi, err = checkText("机关代字", daizi, 16, false); err != nil {
		return err
	}
	if banner, err = checkText("发文机关标志", banner, 64, false); err != nil {
		return err
	}
	if seal, err = checkText("印章", seal, 128, false); err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT code FROM departments WHERE daizi = ? AND code != ? AND daizi != ''`, daizi, code).Scan(&other)
		if err == nil {
			return errorf(ErrExists, "机关代字 %s belongs to %s already", daizi, other)
		}
		res, err := tx.ExecContext(ctx, `UPDATE departments SET daizi = ?, banner = ?, seal = ? WHERE code = ?`, daizi, banner, seal, code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errorf(ErrNotFound, "there is no department %q", code)
		}
		return nil
	})
	return wrapOp(err, "set organ details of %s", code)
}

// SetInCharge makes login the 分管领导 of dept; "" clears it.
func (d *Directory) SetInCharge(ctx context.Context, dept, login string) error {
	err := d.write(ctx, func(tx *sql.Tx) error {
		if login != "" {
			if ok, err := userExists(ctx, tx, login); err != nil {
				return err
			} else if !ok {
				return errorf(ErrNotFound, "there is no user %q", login)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE departments SET in_charge = ? WHERE code = ?`, nullString(login), dept)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errorf(ErrNotFound, "there is no department %q", dept)
		}
		return nil
	})
	return wrapOp(err, "set 分管领导 of %s", dept)
}

// Chart is the organisation at one moment, as the workflow engine reads
// it to find who acts at a step: departments, people, memberships and OA
// roles.
type Chart struct {
	Depts  map[string]Department
	Order  []string        // department codes, tree order
	People map[string]User // enabled and disabled
	Grants []Grant
}

// Chart reads the organisation in one go.
func (d *Directory) Chart(ctx context.Context) (*Chart, error) {
	deps, err := d.Departments(ctx)
	if err != nil {
		return nil, err
	}
	users, err := d.Users(ctx)
	if err != nil {
		return nil, err
	}
	gs, err := d.Grants(ctx)
	if err != nil {
		return nil, err
	}
	c := &Chart{Depts: map[string]Department{}, People: map[string]User{}, Grants: gs}
	for _, dep := range deps {
		c.Depts[dep.Code] = dep
		c.Order = append(c.Order, dep.Code)
	}
	for _, u := range users {
		c.People[u.Login] = u
	}
	return c, nil
}

// OrganOf is the organ a department belongs to: the nearest department
// up the tree (itself included) that has a 机关代字, else the top of its
// tree.
func (c *Chart) OrganOf(dept string) string {
	top := dept
	for range 64 {
		dep, ok := c.Depts[dept]
		if !ok {
			return top
		}
		if dep.Daizi != "" {
			return dep.Code
		}
		top = dep.Code
		if dep.Parent == "" {
			return top
		}
		dept = dep.Parent
	}
	return top
}

// Holders are the enabled people holding role for organ.
func (c *Chart) Holders(role, organ string) []string {
	var out []string
	for _, g := range c.Grants {
		if g.Role == role && g.Organ == organ {
			if u, ok := c.People[g.Login]; ok && !u.Disabled {
				out = append(out, g.Login)
			}
		}
	}
	return out
}

// Holds reports whether login holds role for organ.
func (c *Chart) Holds(login, role, organ string) bool {
	return slices.Contains(c.Holders(role, organ), login)
}

// Members are the enabled people of dept (not of its sub-departments).
func (c *Chart) Members(dept string) []string {
	var out []string
	for _, u := range c.sorted() {
		if u.Disabled {
			continue
		}
		for _, m := range u.Departments {
			if m.Dept == dept {
				out = append(out, u.Login)
				break
			}
		}
	}
	return out
}

// FirstDept is the first department of login, "" for none.
func (c *Chart) FirstDept(login string) string {
	if u, ok := c.People[login]; ok && len(u.Departments) > 0 {
		return u.Departments[0].Dept
	}
	return ""
}

// LeaderOf is the leader of dept, walking up while a department has none.
func (c *Chart) LeaderOf(dept string) string {
	return c.up(dept, func(d Department) string { return d.Leader })
}

// InChargeOf is the 分管领导 of dept, walking up while none is set.
func (c *Chart) InChargeOf(dept string) string {
	return c.up(dept, func(d Department) string { return d.InCharge })
}

// up is the first non-empty field of dept and then its parents.
func (c *Chart) up(dept string, field func(Department) string) string {
	for range 64 {
		dep, ok := c.Depts[dept]
		if !ok {
			return ""
		}
		if v := field(dep); v != "" {
			return v
		}
		if dep.Parent == "" {
			return ""
		}
		dept = dep.Parent
	}
	return ""
}

// DeptLeaders are the leaders of every department (局长, 主任…) but the
// organs' own heads, in tree order, each once.
func (c *Chart) DeptLeaders() []string {
	var out []string
	for _, code := range c.Order {
		dep := c.Depts[code]
		if dep.Leader != "" && dep.Kind != KindOrgan && !slices.Contains(out, dep.Leader) {
			out = append(out, dep.Leader)
		}
	}
	return out
}

// WithRole are the enabled people with the account role (leader, staff…).
func (c *Chart) WithRole(role string) []string {
	var out []string
	for _, u := range c.sorted() {
		if !u.Disabled && slices.Contains(u.Roles, role) {
			out = append(out, u.Login)
		}
	}
	return out
}

// Enabled are every enabled person, by login.
func (c *Chart) Enabled() []string {
	var out []string
	for _, u := range c.sorted() {
		if !u.Disabled && u.Login != AdminLogin {
			out = append(out, u.Login)
		}
	}
	return out
}

// Name is login's display name, or login when unknown.
func (c *Chart) Name(login string) string {
	if u, ok := c.People[login]; ok {
		return u.Name
	}
	return login
}

// DeptName is the department's name, or its code when unknown.
func (c *Chart) DeptName(code string) string {
	if d, ok := c.Depts[code]; ok {
		return d.Name
	}
	return code
}

func (c *Chart) sorted() []User {
	us := make([]User, 0, len(c.People))
	for _, u := range c.People {
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b User) int { return strings.Compare(a.Login, b.Login) })
	return us
}
