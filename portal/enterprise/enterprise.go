// Package enterprise keeps the portal's enterprise accounts: a company
// signs in on the portal with its 统一社会信用代码 and a password, writes its
// own page in 企业风采, and sends it to the portal's reviewers; nothing is
// published without their approval (portal/content's workflow).
//
// The site's administrator opens an account on the staff web and hands
// the one-time password to the company, which must choose its own at the
// first sign-in. Passwords are argon2id hashes (internal/passhash); a
// new password, a reset or a disabled account ends the account's
// sessions (the epoch changes).
package enterprise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"nanhu/internal/passhash"
	"nanhu/internal/sqlitedb"
)

var migrations = []string{
	`CREATE TABLE accounts (
		id          INTEGER PRIMARY KEY,
		code        TEXT NOT NULL UNIQUE, -- 统一社会信用代码, the sign-in name
		name        TEXT NOT NULL,
		contact     TEXT NOT NULL DEFAULT '',
		mobile      TEXT NOT NULL DEFAULT '',
		hash        TEXT NOT NULL,
		must_change INTEGER NOT NULL DEFAULT 1,
		enabled     INTEGER NOT NULL DEFAULT 1,
		epoch       INTEGER NOT NULL DEFAULT 1,
		page        INTEGER NOT NULL DEFAULT 0, -- its article in portal.db
		created     INTEGER NOT NULL,
		created_by  TEXT NOT NULL,
		last_login  INTEGER NOT NULL DEFAULT 0
	);`,
}

// Account is an enterprise's account.
type Account struct {
	ID      int64
	Code    string // 统一社会信用代码
	Name    string
	Contact string
	Mobile  string
	// MustChange: the password is one the administrator handed out.
	MustChange bool
	Enabled    bool
	Epoch      int64
	Page       int64
	Created    time.Time
	CreatedBy  string
	LastLogin  time.Time
}

// Login is the name the account acts under in the portal's records.
func (a Account) Login() string { return "企业:" + a.Code }

// Errors.
var (
	ErrNotFound       = errors.New("enterprise: no such account")
	ErrBadCredentials = errors.New("enterprise: wrong code or password")
	ErrDisabled       = errors.New("enterprise: account disabled")
)

// Error is a refusal to show the person as it is.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func refuse(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Options configure a Store.
type Options struct {
	Path   string // enterprise.db
	Now    func() time.Time
	Logger *slog.Logger
}

// Store is the open account store.
type Store struct {
	opts  Options
	db    *sqlitedb.DB
	log   *slog.Logger
	slots chan struct{} // bounds the argon2 checks running at once
	dummy string
}

// Open opens (creating when needed) the store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: opts.Path, Synchronous: sqlitedb.Full, Migrations: migrations, Readers: 2, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("enterprise: %w", err)
	}
	return &Store{opts: opts, db: db, log: opts.Logger, slots: make(chan struct{}, 2), dummy: passhash.Dummy()}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// ms and fromMS keep times as Unix milliseconds (0: none).
var ms, fromMS = sqlitedb.Millis, sqlitedb.FromMillis

const cols = `id, code, name, contact, mobile, must_change, enabled, epoch, page, created, created_by, last_login`

type scanner interface{ Scan(...any) error }

func scan(row scanner) (Account, error) {
	var a Account
	var created, last int64
	err := row.Scan(&a.ID, &a.Code, &a.Name, &a.Contact, &a.Mobile, &a.MustChange, &a.Enabled, &a.Epoch, &a.Page, &created, &a.CreatedBy, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	a.Created, a.LastLogin = fromMS(created), fromMS(last)
	return a, err
}

// New is what the administrator types to open an account.
type New struct {
	Code, Name, Contact, Mobile string
}

var mobileRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// check validates n, normalising its code.
func (n *New) check() error {
	n.Code = NormalCode(n.Code)
	n.Name = strings.TrimSpace(n.Name)
	n.Contact = strings.TrimSpace(n.Contact)
	n.Mobile = strings.TrimSpace(n.Mobile)
	if err := CheckCode(n.Code); err != nil {
		return &Error{Msg: err.Error()}
	}
	switch {
	case n.Name == "":
		return refuse("请填写企业名称（与营业执照一致）。")
	case utf8.RuneCountInString(n.Name) > 60:
		return refuse("企业名称最多 60 个字。")
	case utf8.RuneCountInString(n.Contact) > 30:
		return refuse("联系人最多 30 个字。")
	case n.Mobile != "" && !mobileRE.MatchString(n.Mobile):
		return refuse("联系人手机号应为 11 位数字。")
	case strings.ContainsAny(n.Name+n.Contact, "<>\r\n\x00"):
		return refuse("企业名称和联系人不能含尖括号或换行。")
	}
	return nil
}

// Create opens an account and returns it with its one-time password.
func (s *Store) Create(ctx context.Context, by string, n New) (Account, string, error) {
	if err := n.check(); err != nil {
		return Account{}, "", err
	}
	pw := passhash.Random()
	hash, err := s.hash(ctx, pw)
	if err != nil {
		return Account{}, "", err
	}
	var id int64
	err = s.db.Writer().QueryRowContext(ctx, `INSERT INTO accounts (code, name, contact, mobile, hash, created, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO NOTHING RETURNING id`, n.Code, n.Name, n.Contact, n.Mobile, hash, ms(s.opts.Now()), by).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, "", refuse("统一社会信用代码 %s 已有账户。", n.Code)
	}
	if err != nil {
		return Account{}, "", fmt.Errorf("enterprise: create: %w", err)
	}
	s.log.Info("enterprise account created", "id", id, "code", n.Code, "by", by)
	a, err := s.Get(ctx, id)
	return a, pw, err
}

// SetPage records the account's article.
func (s *Store) SetPage(ctx context.Context, id, page int64) error {
	return s.update(ctx, id, `UPDATE accounts SET page = ? WHERE id = ?`, page, id)
}

// Get is an account by id.
func (s *Store) Get(ctx context.Context, id int64) (Account, error) {
	return scan(s.db.Reader().QueryRowContext(ctx, `SELECT `+cols+` FROM accounts WHERE id = ?`, id))
}

// List is every account, the newest first.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+cols+` FROM accounts ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) hash(ctx context.Context, pw string) (string, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.slots }()
	return passhash.Hash(pw), nil
}

func (s *Store) verify(ctx context.Context, hash, pw string) (bool, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.slots }()
	return passhash.Verify(hash, pw), nil
}

// Authenticate checks a code and password. An unknown code costs what a
// known one costs.
func (s *Store) Authenticate(ctx context.Context, code, password string) (Account, error) {
	code = NormalCode(code)
	if len(code) > 40 || len(password) > passhash.MaxLen {
		return Account{}, ErrBadCredentials
	}
	var id int64
	var hash string
	var enabled bool
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, hash, enabled FROM accounts WHERE code = ?`, code).Scan(&id, &hash, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		s.verify(ctx, s.dummy, password)
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, fmt.Errorf("enterprise: sign-in: %w", err)
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return Account{}, err
	}
	if !ok {
		return Account{}, ErrBadCredentials
	}
	if !enabled {
		return Account{}, ErrDisabled
	}
	if passhash.NeedsRehash(hash) {
		if h, err := s.hash(ctx, password); err == nil {
			s.db.Writer().ExecContext(ctx, `UPDATE accounts SET hash = ? WHERE id = ? AND hash = ?`, h, id, hash)
		}
	}
	if _, err := s.db.Writer().ExecContext(ctx, `UPDATE accounts SET last_login = ? WHERE id = ?`, ms(s.opts.Now()), id); err != nil {
		return Account{}, err
	}
	return s.Get(ctx, id)
}

// ChangePassword sets the account's own new password after checking the
// old one; it returns the new epoch (the other sessions end).
func (s *Store) ChangePassword(ctx context.Context, id int64, old, new string) (int64, error) {
	var hash string
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT hash FROM accounts WHERE id = ?`, id).Scan(&hash); err != nil {
		return 0, ErrNotFound
	}
	if ok, err := s.verify(ctx, hash, old); err != nil || !ok {
		if err != nil {
			return 0, err
		}
		return 0, refuse("原密码不对。")
	}
	switch err := passhash.Check(new); {
	case errors.Is(err, passhash.ErrTooShort):
		return 0, refuse("新密码至少 %d 位。", passhash.MinLen)
	case err != nil:
		return 0, refuse("新密码不能超过 %d 字节，也不能含换行。", passhash.MaxLen)
	case new == old:
		return 0, refuse("新密码不能与原密码相同。")
	}
	h, err := s.hash(ctx, new)
	if err != nil {
		return 0, err
	}
	var epoch int64
	err = s.db.Writer().QueryRowContext(ctx, `UPDATE accounts SET hash = ?, must_change = 0, epoch = epoch + 1 WHERE id = ? RETURNING epoch`, h, id).Scan(&epoch)
	return epoch, err
}

// ResetPassword gives the account a new one-time password (the company
// lost its own); its sessions end.
func (s *Store) ResetPassword(ctx context.Context, id int64, by string) (string, error) {
	pw := passhash.Random()
	h, err := s.hash(ctx, pw)
	if err != nil {
		return "", err
	}
	if err := s.update(ctx, id, `UPDATE accounts SET hash = ?, must_change = 1, epoch = epoch + 1 WHERE id = ?`, h, id); err != nil {
		return "", err
	}
	s.log.Info("enterprise password reset", "id", id, "by", by)
	return pw, nil
}

// SetEnabled turns an account on or off; turning it off ends its
// sessions.
func (s *Store) SetEnabled(ctx context.Context, id int64, on bool, by string) error {
	s.log.Info("enterprise account", "id", id, "enabled", on, "by", by)
	return s.update(ctx, id, `UPDATE accounts SET enabled = ?, epoch = epoch + 1 WHERE id = ?`, on, id)
}

func (s *Store) update(ctx context.Context, id int64, q string, args ...any) error {
	res, err := s.db.Writer().ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("enterprise: account %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPassword sets an account's password as the administrator's tools
// do (the demo's): mustChange asks the company for its own at the next
// sign-in. The account's sessions end.
func (s *Store) SetPassword(ctx context.Context, id int64, password string, mustChange bool) error {
	if err := passhash.Check(password); err != nil {
		return refuse("密码不合要求：%v", err)
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	return s.update(ctx, id, `UPDATE accounts SET hash = ?, must_change = ?, epoch = epoch + 1 WHERE id = ?`, h, mustChange, id)
}
