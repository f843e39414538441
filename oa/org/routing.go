package org

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// maxAliasDepth is how many aliases Resolve follows in a chain before it
// gives up with ErrLoop.
const maxAliasDepth = 8

// AddAlias makes alias, an address in a local domain, deliver to target: a
// login, or a local address that is a user's, another alias or a list. The
// target must exist now.
func (d *Directory) AddAlias(ctx context.Context, alias, target string) error {
	addr, err := NormalizeAddress(alias)
	if err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		doms, err := domains(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkLocal(addr, doms); err != nil {
			return err
		}
		if err := checkAddressFree(ctx, tx, addr, doms); err != nil {
			return err
		}
		t, err := normalizeTarget(ctx, tx, target, doms)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO aliases (address, target) VALUES (?, ?)`, addr, t)
		return err
	})
	if err != nil {
		return wrapOp(err, "add alias %s", addr)
	}
	d.log.Info("alias added", "alias", addr, "target", target)
	return nil
}

// normalizeTarget checks an alias target and returns it in stored form: a
// login as is, an address lowercased.
func normalizeTarget(ctx context.Context, q querier, target string, doms []string) (string, error) {
	if !strings.Contains(target, "@") {
		login, err := NormalizeLogin(target)
		if err != nil {
			return "", err
		}
		if ok, err := userExists(ctx, q, login); err != nil {
			return "", err
		} else if !ok {
			return "", errorf(ErrNotFound, "the alias target %q is not a user", login)
		}
		return login, nil
	}
	addr, err := NormalizeAddress(target)
	if err != nil {
		return "", err
	}
	if err := checkLocal(addr, doms); err != nil {
		return "", err
	}
	kind, _, err := lookupAddress(ctx, q, addr, doms)
	if err != nil {
		return "", err
	}
	if kind == "" {
		return "", errorf(ErrNotFound, "the alias target %s is not a user, alias or list", addr)
	}
	return addr, nil
}

// Aliases returns every alias with its target (a login or an address).
func (d *Directory) Aliases(ctx context.Context) (map[string]string, error) {
	rows, err := d.ro.QueryContext(ctx, `SELECT address, target FROM aliases`)
	if err != nil {
		return nil, fmt.Errorf("org: read aliases: %w", err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var a, t string
		if err := rows.Scan(&a, &t); err != nil {
			return nil, fmt.Errorf("org: read aliases: %w", err)
		}
		m[a] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("org: read aliases: %w", err)
	}
	return m, nil
}

// AddList creates a distribution list at address. Its members are the
// members of department deptCode and of all departments below it (empty
// deptCode: none), plus extraLogins. Department membership is read at
// delivery time, so people who join later receive the list's mail.
func (d *Directory) AddList(ctx context.Context, address, deptCode string, extraLogins []string) error {
	addr, err := NormalizeAddress(address)
	if err != nil {
		return err
	}
	if deptCode != "" {
		if deptCode, err = normalizeCode(deptCode); err != nil {
			return err
		}
	}
	var logins []string
	for _, l := range extraLogins {
		l, err := NormalizeLogin(l)
		if err != nil {
			return err
		}
		if !slices.Contains(logins, l) {
			logins = append(logins, l)
		}
	}
	if deptCode == "" && len(logins) == 0 {
		return errorf(ErrInvalid, "list %s needs a department or at least one member", addr)
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		return insertList(ctx, tx, addr, deptCode, logins)
	})
	if err != nil {
		return wrapOp(err, "add list %s", addr)
	}
	d.log.Info("list added", "list", addr, "dept", deptCode, "extra", logins)
	return nil
}

func insertList(ctx context.Context, tx *sql.Tx, addr, dept string, logins []string) error {
	doms, err := domains(ctx, tx)
	if err != nil {
		return err
	}
	if err := checkLocal(addr, doms); err != nil {
		return err
	}
	if err := checkAddressFree(ctx, tx, addr, doms); err != nil {
		return err
	}
	if dept != "" {
		if ok, err := deptExists(ctx, tx, dept); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no department %q", dept)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lists (address, dept) VALUES (?, ?)`, addr, nullString(dept)); err != nil {
		return err
	}
	for _, l := range logins {
		if ok, err := userExists(ctx, tx, l); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q to put on the list", l)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO list_members (list, login) VALUES (?, ?)`, addr, l); err != nil {
			return err
		}
	}
	return nil
}

// ListMembers returns the logins on a list, sorted, disabled users
// included (Resolve leaves them out).
func (d *Directory) ListMembers(ctx context.Context, address string) ([]string, error) {
	addr, err := NormalizeAddress(address)
	if err != nil {
		return nil, errorf(ErrNotFound, "there is no list %q", address)
	}
	var members []string
	err = d.read(ctx, func(tx *sql.Tx) error {
		doms, err := domains(ctx, tx)
		if err != nil {
			return err
		}
		kind, key, err := lookupAddress(ctx, tx, addr, doms)
		if err != nil {
			return err
		}
		if kind != kindList {
			return errorf(ErrNotFound, "there is no list %s", addr)
		}
		members, err = listMembers(ctx, tx, key)
		return err
	})
	if err != nil {
		return nil, wrapOp(err, "read list %s", addr)
	}
	return members, nil
}

func listMembers(ctx context.Context, q querier, list string) ([]string, error) {
	// UNION (not UNION ALL) in the recursive part stops at a cycle, should
	// the tree ever contain one.
	rows, err := q.QueryContext(ctx, `
WITH RECURSIVE sub(code) AS (
	SELECT dept FROM lists WHERE address = ? AND dept IS NOT NULL
	UNION
	SELECT d.code FROM departments d JOIN sub ON d.parent = sub.code
)
SELECT login FROM memberships WHERE dept IN (SELECT code FROM sub)
UNION
SELECT login FROM list_members WHERE list = ?
ORDER BY 1`, list, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	members := []string{}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		members = append(members, l)
	}
	return members, rows.Err()
}

// Resolve maps a local address to the logins of the enabled users who
// receive its mail, sorted and without duplicates. The address may be a
// user's (an extra address or login@<any local domain>), an alias (followed
// through other aliases, with loops reported as ErrLoop) or a list. An
// alias or list defined in one local domain answers in every local domain
// unless that address is taken there. An address without '@' is taken to
// be in the primary domain.
//
// Errors: an unknown or non-local address gives ErrNotFound; an address
// whose recipients are all disabled gives ErrDisabled. A list without
// members gives an empty slice and no error.
func (d *Directory) Resolve(ctx context.Context, address string) ([]string, error) {
	var out []string
	err := d.read(ctx, func(tx *sql.Tx) error {
		doms, err := domains(ctx, tx)
		if err != nil {
			return err
		}
		a := strings.TrimSpace(address)
		if !strings.Contains(a, "@") {
			a += "@" + doms[0]
		}
		addr, err := NormalizeAddress(a)
		if err != nil {
			return errorf(ErrNotFound, "%q is not a valid address", address)
		}
		if err := checkLocal(addr, doms); err != nil {
			return errorf(ErrNotFound, "%s is not in a local domain", addr)
		}
		logins, err := resolve(ctx, tx, addr, doms, nil)
		if err != nil {
			return err
		}
		disabled, err := disabledLogins(ctx, tx)
		if err != nil {
			return err
		}
		out = []string{}
		for _, l := range logins {
			if !disabled[l] {
				out = append(out, l)
			}
		}
		slices.Sort(out)
		out = slices.Compact(out)
		if len(out) == 0 && len(logins) > 0 {
			return errorf(ErrDisabled, "every recipient of %s is disabled", addr)
		}
		return nil
	})
	if err != nil {
		return nil, wrapOp(err, "resolve %s", address)
	}
	return out, nil
}

// resolve follows one target; chain holds the aliases already followed.
func resolve(ctx context.Context, q querier, target string, doms []string, chain []string) ([]string, error) {
	if !strings.Contains(target, "@") {
		// A login, as stored by AddAlias.
		if ok, err := userExists(ctx, q, target); err != nil {
			return nil, err
		} else if !ok {
			return nil, errorf(ErrNotFound, "alias %s points to user %q, who does not exist", last(chain), target)
		}
		return []string{target}, nil
	}
	kind, key, err := lookupAddress(ctx, q, target, doms)
	if err != nil {
		return nil, err
	}
	switch kind {
	case kindUser:
		return []string{key}, nil
	case kindList:
		return listMembers(ctx, q, key)
	case kindShared:
		return []string{SharedOwner(key)}, nil
	case kindAlias:
		if slices.Contains(chain, key) {
			return nil, errorf(ErrLoop, "alias %s loops back to itself (%s)", key, strings.Join(append(chain, key), " → "))
		}
		if len(chain) >= maxAliasDepth {
			return nil, errorf(ErrLoop, "alias chain from %s is more than %d aliases deep", chain[0], maxAliasDepth)
		}
		var next string
		if err := q.QueryRowContext(ctx, `SELECT target FROM aliases WHERE address = ?`, key).Scan(&next); err != nil {
			return nil, err
		}
		return resolve(ctx, q, next, doms, append(chain, key))
	}
	if len(chain) > 0 {
		return nil, errorf(ErrNotFound, "alias %s points to %s, which does not exist", last(chain), target)
	}
	return nil, errorf(ErrNotFound, "there is no local address %s", target)
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func disabledLogins(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT login FROM users WHERE disabled != 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		m[l] = true
	}
	return m, rows.Err()
}

// What an address is.
const (
	kindUser   = "user"
	kindAlias  = "alias"
	kindList   = "list"
	kindShared = "shared"
)

// lookupAddress says what a normalised address is: a user's (key = login),
// an alias or a list (key = the stored address, which may be the same local
// part in another local domain), or nothing (kind "").
func lookupAddress(ctx context.Context, q querier, addr string, doms []string) (kind, key string, err error) {
	if login, ok, err := userByAddress(ctx, q, addr, doms); err != nil || ok {
		return kindUser, login, err
	}
	candidates := []string{addr}
	local, dom, _ := strings.Cut(addr, "@")
	if slices.Contains(doms, dom) {
		for _, other := range doms {
			if other != dom {
				candidates = append(candidates, local+"@"+other)
			}
		}
	}
	for _, c := range candidates {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM aliases WHERE address = ?`, c).Scan(&n); err != nil {
			return "", "", err
		} else if n > 0 {
			return kindAlias, c, nil
		}
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM lists WHERE address = ?`, c).Scan(&n); err != nil {
			return "", "", err
		} else if n > 0 {
			return kindList, c, nil
		}
		var dept string
		if err := q.QueryRowContext(ctx, `SELECT dept FROM shared_mailboxes WHERE address = ?`, c).Scan(&dept); err == nil {
			return kindShared, dept, nil
		} else if err != sql.ErrNoRows {
			return "", "", err
		}
	}
	return "", "", nil
}

// checkAddressFree returns ErrExists when addr is already a user's address,
// an alias or a list.
func checkAddressFree(ctx context.Context, q querier, addr string, doms []string) error {
	if login, ok, err := userByAddress(ctx, q, addr, doms); err != nil {
		return err
	} else if ok {
		return errorf(ErrExists, "address %s already belongs to user %q", addr, login)
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM aliases WHERE address = ?`, addr).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return errorf(ErrExists, "address %s is already an alias", addr)
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM lists WHERE address = ?`, addr).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return errorf(ErrExists, "address %s is already a list", addr)
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM shared_mailboxes WHERE address = ?`, addr).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return errorf(ErrExists, "address %s is already a shared mailbox", addr)
	}
	return nil
}

// checkLocal returns ErrInvalid unless addr is in a local domain.
func checkLocal(addr string, doms []string) error {
	_, dom, _ := strings.Cut(addr, "@")
	if !slices.Contains(doms, dom) {
		return errorf(ErrInvalid, "%s is not in a local domain (%s)", addr, strings.Join(doms, ", "))
	}
	return nil
}

// List is a distribution list as administrators see it.
type List struct {
	Address string
	Dept    string   // the department whose members (and those below) receive it; "" for none
	Extra   []string // further members by login
}

// Lists returns every distribution list, by address.
func (d *Directory) Lists(ctx context.Context) ([]List, error) {
	var out []List
	err := d.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT address, coalesce(dept, '') FROM lists ORDER BY address`)
		if err != nil {
			return err
		}
		index := map[string]int{}
		for rows.Next() {
			var l List
			if err := rows.Scan(&l.Address, &l.Dept); err != nil {
				rows.Close()
				return err
			}
			index[l.Address] = len(out)
			out = append(out, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT list, login FROM list_members ORDER BY list, login`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var list, login string
			if err := rows.Scan(&list, &login); err != nil {
				return err
			}
			if i, ok := index[list]; ok {
				out[i].Extra = append(out[i].Extra, login)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("org: read lists: %w", err)
	}
	return out, nil
}
