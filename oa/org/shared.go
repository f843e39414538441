package org

import (
	"context"
	"database/sql"
	"strings"
)

// SharedMailbox is a department's shared mailbox (公共邮箱): mail to Address
// lands in one mailbox that every member of the department (and of its
// sections) can read and file, under IMAP's shared namespace.
type SharedMailbox struct {
	Address string
	Dept    string
	Name    string // the department's name, which clients show
	Owner   string // the mail store's owner of the mailbox, see SharedOwner
}

// SharedOwner is the mail-store owner name of a department's shared
// mailbox. It starts with "#", which no login can, so it never names a
// person's mailboxes.
func SharedOwner(dept string) string { return "#" + dept }

// AddSharedMailbox gives department dept a shared mailbox at address.
func (d *Directory) AddSharedMailbox(ctx context.Context, address, dept string) error {
	addr, err := NormalizeAddress(address)
	if err != nil {
		return err
	}
	if dept, err = normalizeCode(dept); err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		return insertShared(ctx, tx, addr, dept)
	})
	if err != nil {
		return wrapOp(err, "add shared mailbox %s", addr)
	}
	d.log.Info("shared mailbox added", "address", addr, "dept", dept)
	return nil
}

func insertShared(ctx context.Context, tx *sql.Tx, addr, dept string) error {
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
	if ok, err := deptExists(ctx, tx, dept); err != nil {
		return err
	} else if !ok {
		return errorf(ErrNotFound, "there is no department %q", dept)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shared_mailboxes WHERE dept = ?`, dept).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return errorf(ErrExists, "department %q already has a shared mailbox", dept)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO shared_mailboxes (address, dept) VALUES (?, ?)`, addr, dept)
	return err
}

// SharedMailboxes lists every shared mailbox.
func (d *Directory) SharedMailboxes(ctx context.Context) ([]SharedMailbox, error) {
	return d.shared(ctx, `SELECT s.address, s.dept, d.name FROM shared_mailboxes s JOIN departments d ON d.code = s.dept ORDER BY s.dept`)
}

// SharedMailboxesOf lists the shared mailboxes login may use: those of the
// departments login belongs to, directly or through one of their sections.
// A disabled user has none.
func (d *Directory) SharedMailboxesOf(ctx context.Context, login string) ([]SharedMailbox, error) {
	return d.shared(ctx, `
WITH RECURSIVE up(code) AS (
	SELECT m.dept FROM memberships m JOIN users u ON u.login = m.login WHERE m.login = ? AND u.disabled = 0
	UNION
	SELECT d.parent FROM departments d JOIN up ON d.code = up.code WHERE d.parent IS NOT NULL
)
SELECT s.address, s.dept, d.name FROM shared_mailboxes s JOIN departments d ON d.code = s.dept
WHERE s.dept IN (SELECT code FROM up) ORDER BY s.dept`, strings.ToLower(login))
}

func (d *Directory) shared(ctx context.Context, query string, args ...any) ([]SharedMailbox, error) {
	var out []SharedMailbox
	err := d.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s SharedMailbox
			if err := rows.Scan(&s.Address, &s.Dept, &s.Name); err != nil {
				return err
			}
			s.Owner = SharedOwner(s.Dept)
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrapOp(err, "list shared mailboxes")
	}
	return out, nil
}
