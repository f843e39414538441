package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix begins every API token, so that one pasted in the wrong place
// is recognised (and secret scanners can find them).
const TokenPrefix = "nanhu_"

// maxTokensPerUser bounds the tokens one account may hold.
const maxTokensPerUser = 20

// Token is an API token as its owner sees it later: never the token itself.
type Token struct {
	ID       string
	Login    string
	Name     string // what the owner called it, e.g. 值班脚本
	Created  time.Time
	LastUsed time.Time // zero when never used
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateToken makes an API token for login, named name. The token is
// returned once and kept only as its hash: whoever loses it makes another.
func (d *Directory) CreateToken(ctx context.Context, login, name string) (string, Token, error) {
	login, err := NormalizeLogin(login)
	if err != nil {
		return "", Token{}, err
	}
	if name, err = checkText("token name", name, 50, true); err != nil {
		return "", Token{}, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	token := TokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(secret))
	idb := make([]byte, 6)
	rand.Read(idb)
	t := Token{ID: hex.EncodeToString(idb), Login: login, Name: name, Created: time.Now().UTC().Truncate(time.Second)}
	err = d.write(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, `SELECT disabled FROM users WHERE login = ?`, login).Scan(&disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return errorf(ErrNotFound, "there is no user %q", login)
		}
		if err != nil {
			return err
		}
		if disabled {
			return errorf(ErrDisabled, "account %q is disabled", login)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE login = ?`, login).Scan(&n); err != nil {
			return err
		}
		if n >= maxTokensPerUser {
			return errorf(ErrInvalid, "%s already has %d API tokens; revoke one first", login, n)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO api_tokens (id, login, name, hash, created) VALUES (?, ?, ?, ?, ?)`,
			t.ID, login, name, tokenHash(token), t.Created.Format(time.RFC3339))
		return err
	})
	if err != nil {
		return "", Token{}, wrapOp(err, "create an API token for %s", login)
	}
	d.log.Info("API token created", "login", login, "token", t.ID, "name", name)
	return token, t, nil
}

// AuthenticateToken returns the enabled user whose token this is, or
// ErrBadCredentials (ErrDisabled for a disabled owner). It records when the
// token was last used, at most once a minute.
func (d *Directory) AuthenticateToken(ctx context.Context, token string) (Principal, error) {
	bad := errorf(ErrBadCredentials, "unknown API token")
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 200 {
		return Principal{}, bad
	}
	var id, login, last string
	err := d.ro.QueryRowContext(ctx, `SELECT id, login, last_used FROM api_tokens WHERE hash = ?`, tokenHash(token)).Scan(&id, &login, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, bad
	}
	if err != nil {
		return Principal{}, fmt.Errorf("org: authenticate a token: %w", err)
	}
	u, err := d.Principal(ctx, login)
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, errorf(ErrDisabled, "account %q is disabled", login)
	}
	now := time.Now().UTC()
	if t, _ := time.Parse(time.RFC3339, last); now.Sub(t) > time.Minute {
		err := d.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE id = ?`, now.Format(time.RFC3339), id)
			return err
		})
		if err != nil {
			d.log.Warn("record token use", "token", id, "err", err)
		}
	}
	return u, nil
}

// Tokens lists login's API tokens, newest first.
func (d *Directory) Tokens(ctx context.Context, login string) ([]Token, error) {
	login, err := NormalizeLogin(login)
	if err != nil {
		return nil, err
	}
	rows, err := d.ro.QueryContext(ctx, `SELECT id, name, created, last_used FROM api_tokens WHERE login = ? ORDER BY created DESC, id`, login)
	if err != nil {
		return nil, fmt.Errorf("org: list tokens of %s: %w", login, err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t := Token{Login: login}
		var created, last string
		if err := rows.Scan(&t.ID, &t.Name, &created, &last); err != nil {
			return nil, err
		}
		t.Created, _ = time.Parse(time.RFC3339, created)
		t.LastUsed, _ = time.Parse(time.RFC3339, last)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes login's token id; ErrNotFound when login has none
// such.
func (d *Directory) RevokeToken(ctx context.Context, login, id string) error {
	login, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE login = ? AND id = ?`, login, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errorf(ErrNotFound, "%s has no API token %q", login, id)
		}
		return nil
	})
	if err != nil {
		return wrapOp(err, "revoke token %s of %s", id, login)
	}
	d.log.Info("API token revoked", "login", login, "token", id)
	return nil
}
