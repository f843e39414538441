package cases

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKey is an Open311 client's key as the administrator sees it.
type APIKey struct {
	ID                int64
	Name              string
	Created, LastUsed time.Time
	CreatedBy         string
	Revoked           bool
}

func keyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateKey issues an Open311 key for the client name; the key itself is
// returned once and only its hash is kept.
func (s *Store) CreateKey(ctx context.Context, name, by string) (string, APIKey, error) {
	name = clean(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return "", APIKey{}, invalid("name", "请填写接入方的名称（最多 60 个字）。")
	}
	b := make([]byte, 24)
	rand.Read(b)
	key := "o311_" + base64.RawURLEncoding.EncodeToString(b)
	now := s.opts.Now()
	var id int64
	if err := s.db.Writer().QueryRowContext(ctx, `INSERT INTO api_keys (name, hash, created, created_by) VALUES (?, ?, ?, ?) RETURNING id`,
		name, keyHash(key), ms(now), by).Scan(&id); err != nil {
		return "", APIKey{}, err
	}
	s.log.Info("open311 key issued", "id", id, "name", name, "by", by)
	return key, APIKey{ID: id, Name: name, Created: now, CreatedBy: by}, nil
}

// Keys are the issued keys, the newest first.
func (s *Store) Keys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name, created, created_by, revoked, last_used FROM api_keys ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var created, used int64
		if err := rows.Scan(&k.ID, &k.Name, &created, &k.CreatedBy, &k.Revoked, &used); err != nil {
			return nil, err
		}
		k.Created, k.LastUsed = fromMS(created), fromMS(used)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey ends a key at once.
func (s *Store) RevokeKey(ctx context.Context, id int64, by string) error {
	res, err := s.db.Writer().ExecContext(ctx, `UPDATE api_keys SET revoked = 1 WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.log.Info("open311 key revoked", "id", id, "by", by)
	return nil
}

// ErrBadKey is a missing, unknown or revoked key.
var ErrBadKey = errors.New("cases: bad api key")

// CheckKey returns the id of a live key.
func (s *Store) CheckKey(ctx context.Context, key string) (int64, error) {
	if !strings.HasPrefix(key, "o311_") || len(key) > 100 {
		return 0, ErrBadKey
	}
	var id int64
	var revoked bool
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, revoked FROM api_keys WHERE hash = ?`, keyHash(key)).Scan(&id, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked {
		return 0, ErrBadKey
	}
	if err != nil {
		return 0, err
	}
	s.db.Writer().ExecContext(ctx, `UPDATE api_keys SET last_used = ? WHERE id = ?`, ms(s.opts.Now()), id)
	return id, nil
}

// Filter picks the published cases an Open311 client lists.
type Filter struct {
	Numbers    []string // 工单编号; empty for any
	Category   string
	From, To   time.Time
	OnlyOpen   bool
	OnlyClosed bool
	Limit      int
}

// Listed are the cases the public may list (Open311's GET requests):
// those whose writers consented to publication and that were not
// refused, the newest first, with when each last changed.
func (s *Store) Listed(ctx context.Context, f Filter) ([]Case, []time.Time, error) {
	q := `SELECT ` + caseCols + `, (SELECT max(at) FROM trail WHERE case_id = cases.id) FROM cases WHERE consent = 1 AND state != ?`
	args := []any{Rejected}
	if len(f.Numbers) > 0 {
		q += ` AND number IN (?` + strings.Repeat(`, ?`, len(f.Numbers)-1) + `)`
		for _, n := range f.Numbers {
			args = append(args, n)
		}
	}
	if f.Category != "" {
		q += ` AND category = ?`
		args = append(args, f.Category)
	}
	if !f.From.IsZero() {
		q += ` AND received >= ?`
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND received < ?`
		args = append(args, ms(f.To))
	}
	if f.OnlyOpen {
		q += ` AND state != ?`
		args = append(args, Closed)
	}
	if f.OnlyClosed {
		q += ` AND state = ?`
		args = append(args, Closed)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	q += ` ORDER BY received DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Case
	var upd []time.Time
	for rows.Next() {
		var last int64
		c, err := scanCase(scanWith{rows, &last})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
		upd = append(upd, fromMS(last))
	}
	return out, upd, rows.Err()
}

// scanWith scans a row of caseCols and more columns after them.
type scanWith struct {
	rows interface{ Scan(...any) error }
	more *int64
}

func (s scanWith) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.more)...) }
