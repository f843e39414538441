package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"nanhu/internal/passhash"
)

// DefaultQuota is the mailbox quota of a user created with QuotaBytes 0.
const DefaultQuota int64 = 2 << 30

// User is one person's account, shared by mail, OA and the portal's staff
// login.
type User struct {
	Login string
	Name  string // display name, e.g. 张伟
	// Mobile is in E.164 form (+8613800000000), or empty.
	Mobile string
	// Addresses are the user's mail addresses, primary first:
	// login@<each local domain> in domain order, then extra addresses.
	Addresses   []string
	Departments []Membership
	Roles       []string // sorted
	Disabled    bool
	QuotaBytes  int64
	Created     time.Time
	// AuthEpoch changes whenever the account's sessions must end: a new
	// password, the account disabled.
	AuthEpoch int64
}

// HasRole reports whether the user has role.
func (u User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// Membership is a user's place in one department.
type Membership struct {
	Dept  string // department code
	Title string // e.g. 局长, 科员
}

// NewUser describes an account to create.
type NewUser struct {
	Login, Name, Password, Mobile string
	Depts                         []string // department codes
	Title                         string   // the title in each of Depts
	Roles                         []string
	QuotaBytes                    int64 // 0 means DefaultQuota
}

// newUser is a validated NewUser.
type newUser struct {
	NewUser
	hash string
}

func (nu NewUser) normalize() (NewUser, error) {
	var err error
	if nu.Login, err = NormalizeLogin(nu.Login); err != nil {
		return nu, err
	}
	if nu.Name, err = checkText("name", nu.Name, 100, true); err != nil {
		return nu, err
	}
	if err = checkPassword(nu.Password); err != nil {
		return nu, err
	}
	if strings.TrimSpace(nu.Mobile) != "" {
		if nu.Mobile, err = NormalizeMobile(nu.Mobile); err != nil {
			return nu, err
		}
	} else {
		nu.Mobile = ""
	}
	if nu.Title, err = checkText("title", nu.Title, 50, false); err != nil {
		return nu, err
	}
	depts := make([]string, 0, len(nu.Depts))
	for _, c := range nu.Depts {
		if c, err = normalizeCode(c); err != nil {
			return nu, err
		}
		if !slices.Contains(depts, c) {
			depts = append(depts, c)
		}
	}
	nu.Depts = depts
	roles := make([]string, 0, len(nu.Roles))
	for _, r := range nu.Roles {
		if r, err = normalizeRole(r); err != nil {
			return nu, err
		}
		roles = append(roles, r)
	}
	slices.Sort(roles)
	nu.Roles = slices.Compact(roles)
	switch {
	case nu.QuotaBytes < 0:
		return nu, errorf(ErrInvalid, "the quota must not be negative")
	case nu.QuotaBytes == 0:
		nu.QuotaBytes = DefaultQuota
	}
	return nu, nil
}

// AddUser creates an account. The user receives the address login@<each
// local domain>. An existing login, or an address already taken by an alias
// or list, gives ErrExists; an unknown department gives ErrNotFound.
func (d *Directory) AddUser(ctx context.Context, nu NewUser) (User, error) {
	nu, err := nu.normalize()
	if err != nil {
		return User{}, err
	}
	hash, err := d.hashPassword(ctx, nu.Password)
	if err != nil {
		return User{}, fmt.Errorf("org: add user %s: %w", nu.Login, err)
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		return insertUser(ctx, tx, newUser{nu, hash})
	})
	if err != nil {
		return User{}, err
	}
	d.log.Info("user added", "login", nu.Login, "depts", nu.Depts, "roles", nu.Roles)
	return d.User(ctx, nu.Login)
}

func insertUser(ctx context.Context, tx *sql.Tx, nu newUser) error {
	if ok, err := userExists(ctx, tx, nu.Login); err != nil {
		return fmt.Errorf("org: add user %s: %w", nu.Login, err)
	} else if ok {
		return errorf(ErrExists, "user %q already exists", nu.Login)
	}
	doms, err := domains(ctx, tx)
	if err != nil {
		return fmt.Errorf("org: add user %s: %w", nu.Login, err)
	}
	for _, dom := range doms {
		if err := checkAddressFree(ctx, tx, nu.Login+"@"+dom, doms); err != nil {
			return err
		}
	}
	for _, c := range nu.Depts {
		if ok, err := deptExists(ctx, tx, c); err != nil {
			return fmt.Errorf("org: add user %s: %w", nu.Login, err)
		} else if !ok {
			return errorf(ErrNotFound, "there is no department %q", c)
		}
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO users (login, name, password_hash, mobile, disabled, quota_bytes, created)
		 VALUES (?, ?, ?, ?, 0, ?, ?)`,
		nu.Login, nu.Name, nu.hash, nu.Mobile, nu.QuotaBytes, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("org: add user %s: %w", nu.Login, err)
	}
	for _, r := range nu.Roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (login, role) VALUES (?, ?)`, nu.Login, r); err != nil {
			return fmt.Errorf("org: add user %s: role %s: %w", nu.Login, r, err)
		}
	}
	for _, c := range nu.Depts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (login, dept, title) VALUES (?, ?, ?)`, nu.Login, c, nu.Title); err != nil {
			return fmt.Errorf("org: add user %s: department %s: %w", nu.Login, c, err)
		}
	}
	return nil
}

func userExists(ctx context.Context, q querier, login string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE login = ?`, login).Scan(&n)
	return n > 0, err
}

// SetPassword replaces a user's password.
func (d *Directory) SetPassword(ctx context.Context, login, password string) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := d.hashPassword(ctx, password)
	if err != nil {
		return fmt.Errorf("org: set password of %s: %w", login, err)
	}
	// A new password also lifts the login locks: the owner (or an
	// administrator for them) now knows it.
	if err := d.updateUser(ctx, login, `UPDATE users SET password_hash = ?, auth_epoch = auth_epoch + 1, unlocked_at = ? WHERE login = ?`,
		hash, time.Now().UTC().Format(time.RFC3339Nano), login); err != nil {
		return err
	}
	d.log.Info("password changed", "login", login)
	return nil
}

// Unlock records that an administrator lifted the login locks of login:
// every server on this directory drops the locks that began before now.
func (d *Directory) Unlock(ctx context.Context, login string) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	if err := d.updateUser(ctx, login, `UPDATE users SET unlocked_at = ? WHERE login = ?`, time.Now().UTC().Format(time.RFC3339Nano), login); err != nil {
		return err
	}
	d.log.Info("login locks lifted", "login", login)
	return nil
}

// UnlockedAt is when the login locks of the account that name (a login
// or one of its addresses) signs in as were last lifted; zero when never
// or when there is no such account.
func (d *Directory) UnlockedAt(ctx context.Context, name string) (time.Time, error) {
	var at string
	err := d.read(ctx, func(tx *sql.Tx) error {
		login, found, err := findLogin(ctx, tx, name)
		if err != nil || !found {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT unlocked_at FROM users WHERE login = ?`, login).Scan(&at)
	})
	if err != nil || at == "" {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, at)
}

// Owner is the account that name (a login or one of its addresses) signs
// in as.
func (d *Directory) Owner(ctx context.Context, name string) (User, error) {
	var login string
	err := d.read(ctx, func(tx *sql.Tx) error {
		l, found, err := findLogin(ctx, tx, name)
		if found {
			login = l
		}
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("org: find the owner of %s: %w", name, err)
	}
	if login == "" {
		return User{}, errorf(ErrNotFound, "no account signs in as %q", name)
	}
	return d.User(ctx, login)
}

// SetDisabled disables or re-enables an account. A disabled user cannot log
// in and receives no mail.
func (d *Directory) SetDisabled(ctx context.Context, login string, disabled bool) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	// Disabling ends the account's sessions; enabling starts none.
	if err := d.updateUser(ctx, login, `UPDATE users SET disabled = ?, auth_epoch = auth_epoch + ? WHERE login = ?`, disabled, disabled, login); err != nil {
		return err
	}
	d.log.Info("account state changed", "login", login, "disabled", disabled)
	return nil
}

// updateUser runs one UPDATE on a user's row and reports ErrNotFound when
// there is no such user.
func (d *Directory) updateUser(ctx context.Context, login, query string, args ...any) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("org: update user %s: %w", login, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errorf(ErrNotFound, "there is no user %q", login)
		}
		return nil
	})
}

// User returns one user by login.
func (d *Directory) User(ctx context.Context, login string) (User, error) {
	l, err := NormalizeLogin(login)
	if err != nil {
		return User{}, errorf(ErrNotFound, "there is no user %q", login)
	}
	var users []User
	err = d.read(ctx, func(tx *sql.Tx) error {
		users, err = loadUsers(ctx, tx, l)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("org: read user %s: %w", l, err)
	}
	if len(users) == 0 {
		return User{}, errorf(ErrNotFound, "there is no user %q", l)
	}
	return users[0], nil
}

// Users returns every user, sorted by login.
func (d *Directory) Users(ctx context.Context) ([]User, error) {
	var users []User
	err := d.read(ctx, func(tx *sql.Tx) error {
		var err error
		users, err = loadUsers(ctx, tx, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: read users: %w", err)
	}
	return users, nil
}

// loadUsers reads one user (login != "") or all of them, with addresses,
// departments and roles, in four queries.
func loadUsers(ctx context.Context, q querier, login string) ([]User, error) {
	doms, err := domains(ctx, q)
	if err != nil {
		return nil, err
	}
	// Every user when no login is given; one user by the tables' login
	// indexes otherwise (an "? = '' OR" filter would scan them all).
	filter, args := ``, []any{}
	if login != "" {
		filter, args = ` WHERE login = ?`, []any{login}
	}
	rows, err := q.QueryContext(ctx,
		`SELECT login, name, mobile, disabled, quota_bytes, created, auth_epoch FROM users`+filter+` ORDER BY login`, args...)
	if err != nil {
		return nil, err
	}
	var users []User
	index := map[string]int{}
	for rows.Next() {
		var u User
		var created string
		if err := rows.Scan(&u.Login, &u.Name, &u.Mobile, &u.Disabled, &u.QuotaBytes, &created, &u.AuthEpoch); err != nil {
			rows.Close()
			return nil, err
		}
		u.Created, _ = time.Parse(time.RFC3339, created)
		for _, dom := range doms {
			u.Addresses = append(u.Addresses, u.Login+"@"+dom)
		}
		index[u.Login] = len(users)
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	each := func(query string, fn func(u *User, v1, v2 string)) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l, v1, v2 string
			if err := rows.Scan(&l, &v1, &v2); err != nil {
				return err
			}
			if i, ok := index[l]; ok {
				fn(&users[i], v1, v2)
			}
		}
		return rows.Err()
	}
	err = each(`SELECT login, address, '' FROM user_addresses`+filter+` ORDER BY rowid`, func(u *User, addr, _ string) {
		if !slices.Contains(u.Addresses, addr) {
			u.Addresses = append(u.Addresses, addr)
		}
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT login, dept, title FROM memberships`+filter+` ORDER BY rowid`, func(u *User, dept, title string) {
		u.Departments = append(u.Departments, Membership{Dept: dept, Title: title})
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT login, role, '' FROM user_roles`+filter+` ORDER BY role`, func(u *User, role, _ string) {
		u.Roles = append(u.Roles, role)
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// Authenticate checks a password. username is the login or any of the
// user's addresses, in any case. A wrong password and an unknown user both
// give ErrBadCredentials and take the same time; ErrDisabled is only
// returned with the right password.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (User, error) {
	bad := errorf(ErrBadCredentials, "wrong user name or password")
	var login, hash string
	var disabled bool
	err := d.read(ctx, func(tx *sql.Tx) error {
		l, found, err := findLogin(ctx, tx, username)
		if err != nil || !found {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT login, password_hash, disabled FROM users WHERE login = ?`, l).
			Scan(&login, &hash, &disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("org: authenticate: %w", err)
	}
	if login == "" || len(password) > passhash.MaxLen {
		// Spend the time a real check would take.
		if _, err := d.verifyPassword(ctx, d.dummy(), password); err != nil {
			return User{}, err
		}
		d.log.Debug("login failed", "username", username, "reason", "unknown user")
		return User{}, bad
	}
	ok, err := d.verifyPassword(ctx, hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok {
		d.log.Debug("login failed", "login", login, "reason", "wrong password")
		return User{}, bad
	}
	if disabled {
		return User{}, errorf(ErrDisabled, "account %q is disabled", login)
	}
	if needsRehash(hash) {
		if err := d.rehash(ctx, login, hash, password); err != nil {
			d.log.Warn("password rehash failed", "login", login, "err", err)
		}
	}
	return d.User(ctx, login)
}

// rehash stores a new hash of password with the current parameters, unless
// the stored hash changed since it was read.
func (d *Directory) rehash(ctx context.Context, login, old, password string) error {
	hash, err := d.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE login = ? AND password_hash = ?`, hash, login, old)
		return err
	})
}

// dummy returns a hash with the current parameters that no password
// matches; verifying against it costs what a real check costs.
func (d *Directory) dummy() string {
	d.dummyOnce.Do(func() {
		d.dummyHash = passhash.Dummy()
	})
	return d.dummyHash
}

// findLogin maps a login or one of a user's addresses to the login.
func findLogin(ctx context.Context, q querier, username string) (string, bool, error) {
	if !strings.Contains(username, "@") {
		l, err := NormalizeLogin(username)
		if err != nil {
			return "", false, nil
		}
		ok, err := userExists(ctx, q, l)
		return l, ok, err
	}
	addr, err := NormalizeAddress(username)
	if err != nil {
		return "", false, nil
	}
	doms, err := domains(ctx, q)
	if err != nil {
		return "", false, err
	}
	return userByAddress(ctx, q, addr, doms)
}

// userByAddress finds the user an address belongs to: an extra address
// stored for the user, or login@<a local domain>.
func userByAddress(ctx context.Context, q querier, addr string, doms []string) (string, bool, error) {
	var login string
	err := q.QueryRowContext(ctx, `SELECT login FROM user_addresses WHERE address = ?`, addr).Scan(&login)
	if err == nil {
		return login, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	local, dom, _ := strings.Cut(addr, "@")
	if !slices.Contains(doms, dom) {
		return "", false, nil
	}
	if _, err := NormalizeLogin(local); err != nil {
		return "", false, nil
	}
	ok, err := userExists(ctx, q, local)
	return local, ok, err
}

// AddAddress gives a user an extra address in a local domain.
func (d *Directory) AddAddress(ctx context.Context, login, address string) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	addr, err := NormalizeAddress(address)
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
		if ok, err := userExists(ctx, tx, login); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q", login)
		}
		if err := checkAddressFree(ctx, tx, addr, doms); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_addresses (address, login) VALUES (?, ?)`, addr, login)
		return err
	})
	if err != nil {
		return wrapOp(err, "add address %s to %s", addr, login)
	}
	d.log.Info("address added", "login", login, "address", addr)
	return nil
}

// AddMembership puts a user in a department with a title, or changes the
// title when the user is already a member.
func (d *Directory) AddMembership(ctx context.Context, login string, m Membership) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	if m.Dept, err = normalizeCode(m.Dept); err != nil {
		return err
	}
	if m.Title, err = checkText("title", m.Title, 50, false); err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		if ok, err := userExists(ctx, tx, login); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q", login)
		}
		if ok, err := deptExists(ctx, tx, m.Dept); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no department %q", m.Dept)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO memberships (login, dept, title) VALUES (?, ?, ?)
			 ON CONFLICT (login, dept) DO UPDATE SET title = excluded.title`, login, m.Dept, m.Title)
		return err
	})
	if err != nil {
		return wrapOp(err, "add %s to department %s", login, m.Dept)
	}
	d.log.Info("membership set", "login", login, "dept", m.Dept, "title", m.Title)
	return nil
}

// AdminLogin is the login EnsureAdmin creates.
const AdminLogin = "admin"

// EnsureAdmin creates the account "admin" (系统管理员, role admin) with a
// random password when the directory has no users at all, and returns that
// password; it is stored only as a hash, so this is the one time it can be
// shown. With users present it does nothing and returns created false.
func (d *Directory) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	var n int
	if err := d.ro.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return "", false, fmt.Errorf("org: count users: %w", err)
	}
	if n > 0 {
		return "", false, nil
	}
	password = RandomPassword()
	hash, err := d.hashPassword(ctx, password)
	if err != nil {
		return "", false, fmt.Errorf("org: create admin: %w", err)
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		// Another process may have added a user since the count above.
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n > 0 {
			return err
		}
		created = true
		return insertUser(ctx, tx, newUser{NewUser{
			Login: AdminLogin, Name: "系统管理员", Roles: []string{"admin"}, QuotaBytes: DefaultQuota,
		}, hash})
	})
	if err != nil {
		return "", false, wrapOp(err, "create admin")
	}
	if !created {
		return "", false, nil
	}
	d.log.Info("admin account created", "login", AdminLogin)
	return password, true, nil
}

// wrapOp adds the operation to an unexpected error and leaves the
// directory's own sentences alone.
func wrapOp(err error, format string, args ...any) error {
	var de *dirError
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("org: "+format+": %w", append(args, err)...)
}
