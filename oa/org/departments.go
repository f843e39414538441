package org

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// The kinds of department.
const (
	KindOrgan      = "organ"      // 四套班子: 区委, 区政府, 区人大, 区政协
	KindDepartment = "department" // 局, 办 under an organ
	KindSection    = "section"    // 科 inside a department
	KindTownship   = "township"   // 镇
	KindStreet     = "street"     // 街道
)

var kinds = []string{KindOrgan, KindDepartment, KindSection, KindTownship, KindStreet}

// Department is one node of the organisation tree.
type Department struct {
	Code   string // short ASCII code, e.g. "bgs"
	Name   string // e.g. 区政府办公室
	Parent string // code of the parent, "" for a top-level node
	Kind   string // organ, department, section, township or street
	Leader string // login of the leader, optional
	// An organ that issues documents (发文机关) has these three.
	Daizi  string // 机关代字, e.g. 秀政发
	Banner string // 发文机关标志, e.g. 秀洲区人民政府文件
	Seal   string // the 印章 record, e.g. 秀洲区人民政府印章（电子印章编号）
	// InCharge is the 分管领导: the login of the leader who has this
	// department in charge, optional.
	InCharge string
}

// AddDepartment adds a department under an existing parent (or at the top
// when Parent is empty). Kind defaults to "department".
func (d *Directory) AddDepartment(ctx context.Context, dep Department) error {
	dep, err := dep.normalize()
	if err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		return insertDepartment(ctx, tx, dep)
	})
	if err != nil {
		return wrapOp(err, "add department %s", dep.Code)
	}
	d.log.Info("department added", "code", dep.Code, "name", dep.Name, "parent", dep.Parent)
	return nil
}

func (dep Department) normalize() (Department, error) {
	var err error
	if dep.Code, err = normalizeCode(dep.Code); err != nil {
		return dep, err
	}
	if dep.Name, err = checkText("department name", dep.Name, 100, true); err != nil {
		return dep, err
	}
	if dep.Parent != "" {
		if dep.Parent, err = normalizeCode(dep.Parent); err != nil {
			return dep, err
		}
	}
	if dep.Kind == "" {
		dep.Kind = KindDepartment
	}
	if !slices.Contains(kinds, dep.Kind) {
		return dep, errorf(ErrInvalid, "department kind %q is not one of organ, department, section, township, street", dep.Kind)
	}
	if dep.Leader != "" {
		if dep.Leader, err = NormalizeLogin(dep.Leader); err != nil {
			return dep, err
		}
	}
	return dep, nil
}

func insertDepartment(ctx context.Context, tx *sql.Tx, dep Department) error {
	if ok, err := deptExists(ctx, tx, dep.Code); err != nil {
		return err
	} else if ok {
		return errorf(ErrExists, "department %q already exists", dep.Code)
	}
	if dep.Parent != "" {
		if ok, err := deptExists(ctx, tx, dep.Parent); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no parent department %q", dep.Parent)
		}
	}
	if dep.Leader != "" {
		if ok, err := userExists(ctx, tx, dep.Leader); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q to lead the department", dep.Leader)
		}
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO departments (code, name, parent, kind, leader) VALUES (?, ?, ?, ?, ?)`,
		dep.Code, dep.Name, nullString(dep.Parent), dep.Kind, nullString(dep.Leader))
	return err
}

// SetLeader makes login the leader of a department; an empty login clears
// the leader.
func (d *Directory) SetLeader(ctx context.Context, dept, login string) error {
	dept, err := normalizeCode(dept)
	if err != nil {
		return err
	}
	if login != "" {
		if login, err = NormalizeLogin(login); err != nil {
			return err
		}
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		if login != "" {
			if ok, err := userExists(ctx, tx, login); err != nil {
				return err
			} else if !ok {
				return errorf(ErrNotFound, "there is no user %q", login)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE departments SET leader = ? WHERE code = ?`, nullString(login), dept)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errorf(ErrNotFound, "there is no department %q", dept)
		}
		return nil
	})
	if err != nil {
		return wrapOp(err, "set leader of %s", dept)
	}
	d.log.Info("department leader set", "dept", dept, "leader", login)
	return nil
}

// Departments returns the whole tree in depth-first order: every parent
// before its children, siblings in the order they were added.
func (d *Directory) Departments(ctx context.Context) ([]Department, error) {
	rows, err := d.ro.QueryContext(ctx,
		`SELECT code, name, coalesce(parent, ''), kind, coalesce(leader, ''), daizi, banner, seal, coalesce(in_charge, '') FROM departments ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("org: read departments: %w", err)
	}
	defer rows.Close()
	var all []Department
	for rows.Next() {
		var dep Department
		if err := rows.Scan(&dep.Code, &dep.Name, &dep.Parent, &dep.Kind, &dep.Leader, &dep.Daizi, &dep.Banner, &dep.Seal, &dep.InCharge); err != nil {
			return nil, fmt.Errorf("org: read departments: %w", err)
		}
		all = append(all, dep)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("org: read departments: %w", err)
	}
	return treeOrder(all), nil
}

// treeOrder sorts departments depth-first. A node whose parent is missing
// is treated as a root, so nothing is ever dropped.
func treeOrder(all []Department) []Department {
	known := map[string]bool{}
	for _, dep := range all {
		known[dep.Code] = true
	}
	children := map[string][]Department{}
	for _, dep := range all {
		p := dep.Parent
		if !known[p] {
			p = ""
		}
		children[p] = append(children[p], dep)
	}
	out := make([]Department, 0, len(all))
	seen := map[string]bool{}
	var walk func(code string)
	walk = func(code string) {
		for _, c := range children[code] {
			if seen[c.Code] {
				continue
			}
			seen[c.Code] = true
			out = append(out, c)
			walk(c.Code)
		}
	}
	walk("")
	return out
}

func deptExists(ctx context.Context, q querier, code string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM departments WHERE code = ?`, code).Scan(&n)
	return n > 0, err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
