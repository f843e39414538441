// Package session keeps the staff's sign-in sessions on the server, in the
// data folder's web.db.
//
// A session is known to the browser only by a random 256-bit token in an
// HttpOnly cookie; the database keeps the token's SHA-256, so a copy of
// web.db signs nobody in. Each session has a public id (to list and revoke
// it), the login and the account's auth epoch when it began (the directory
// changes the epoch on a new password or a disabled account, which ends
// every older session), a per-session form token against cross-site
// requests, an idle deadline and an absolute one, and a one-time flash
// message for the page after a POST.
//
// web.db runs with synchronous=NORMAL: a crash of the process loses
// nothing, a power cut may lose the last moments, which at worst signs a
// few people out.
//
// The Store is the only writer of web.db (the process that holds the data
// folder's lock), so it keeps the live sessions in memory as well: a page
// view looks its session up without a query, and every change is written
// through to the file before the memory changes.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"nanhu/internal/datadir"
	"nanhu/internal/sqlitedb"
)

// DataFiles is what sessions keep in the data folder.
var DataFiles = datadir.Registry{{
	Path: "web.db", Part: "web", About: "the staff's sign-in sessions (their tokens hashed)", Title: "网页登录会话（令牌只存散列）", Policy: datadir.Skip,
	Reason: "sessions last hours; after a restore everyone signs in again, and no session that was ended comes back",
}}

// ErrNotFound: no session has the token or id, or it has expired.
var ErrNotFound = errors.New("no such session")

var migrations = []string{
	// 1: sessions.
	`CREATE TABLE sessions (
		id         TEXT PRIMARY KEY,          -- public: lists and revokes it
		hash       BLOB NOT NULL UNIQUE,      -- SHA-256 of the cookie's token
		login      TEXT NOT NULL,
		epoch      INTEGER NOT NULL,          -- the account's auth epoch at sign-in
		csrf       TEXT NOT NULL,             -- the form token of this session
		created    INTEGER NOT NULL,          -- unix ms
		last_seen  INTEGER NOT NULL,
		expires    INTEGER NOT NULL,          -- created + the longest a session lives
		ip         TEXT NOT NULL DEFAULT '',
		user_agent TEXT NOT NULL DEFAULT '',
		flash      TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sessions_login ON sessions(login);
	CREATE INDEX sessions_expires ON sessions(expires);`,
}

// Options configure a Store.
type Options struct {
	Path string        // web.db
	Idle time.Duration // a session unused this long ends (30 minutes)
	Max  time.Duration // every session ends this long after sign-in (12 hours)
	Now  func() time.Time
}

// Session is one signed-in browser.
type Session struct {
	ID        string
	Login     string
	Epoch     int64
	CSRF      string
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
	IP        string
	UserAgent string
	Flash     string
}

// Store is an open web.db.
type Store struct {
	opts  Options
	db    *sqlitedb.DB
	get   *sql.Stmt
	touch *sql.Stmt

	mu     sync.Mutex
	byHash map[string]*Session // string(SHA-256 of the token) → session
	hashOf map[string]string   // session id → its key in byHash
}

// Open opens (creating when needed) the session store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Idle <= 0 {
		opts.Idle = 30 * time.Minute
	}
	if opts.Max <= 0 {
		opts.Max = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: opts.Path, Synchronous: sqlitedb.Normal, Migrations: migrations, Readers: 4, StatementCache: 16})
	if err != nil {
		return nil, err
	}
	s := &Store{opts: opts, db: db, byHash: map[string]*Session{}, hashOf: map[string]string{}}
	if s.get, err = db.Reader().PrepareContext(ctx, `SELECT id, login, epoch, csrf, created, last_seen, expires, ip, user_agent, flash FROM sessions WHERE hash = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", opts.Path, err)
	}
	if s.touch, err = db.Writer().PrepareContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", opts.Path, err)
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error {
	return errors.Join(s.get.Close(), s.touch.Close(), s.db.Close())
}

// Idle and Max are the store's lifetimes.
func (s *Store) Idle() time.Duration { return s.opts.Idle }

// Max is how long a session lives at most.
func (s *Store) Max() time.Duration { return s.opts.Max }

func hashOf(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Create starts a session for login (whose auth epoch is epoch) and
// returns it with the token for the cookie.
func (s *Store) Create(ctx context.Context, login string, epoch int64, ip, userAgent string) (Session, string, error) {
	token := base64.RawURLEncoding.EncodeToString(random(32))
	now := s.opts.Now()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	ss := Session{
		ID: hex.EncodeToString(random(8)), Login: login, Epoch: epoch,
		CSRF:    base64.RawURLEncoding.EncodeToString(random(32)),
		Created: now, LastSeen: now, Expires: now.Add(s.opts.Max), IP: ip, UserAgent: userAgent,
	}
	_, err := s.db.Writer().ExecContext(ctx, `INSERT INTO sessions (id, hash, login, epoch, csrf, created, last_seen, expires, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ss.ID, hashOf(token), login, epoch, ss.CSRF,
		now.UnixMilli(), now.UnixMilli(), ss.Expires.UnixMilli(), ip, userAgent)
	if err != nil {
		return Session{}, "", fmt.Errorf("create a session for %s: %w", login, err)
	}
	s.remember(string(hashOf(token)), ss)
	return ss, token, nil
}

// remember keeps a copy of ss in memory under its token's hash.
func (s *Store) remember(key string, ss Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := ss
	s.byHash[key] = &c
	s.hashOf[ss.ID] = key
}

// forget drops from memory the sessions drop reports.
func (s *Store) forget(drop func(*Session) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, ss := range s.byHash {
		if drop(ss) {
			delete(s.byHash, key)
			delete(s.hashOf, ss.ID)
		}
	}
}

// change edits the remembered session id.
func (s *Store) change(id string, f func(*Session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key, ok := s.hashOf[id]; ok {
		f(s.byHash[key])
	}
}

// Lookup finds the live session of a token. One idle too long or past its
// end is deleted and reported as ErrNotFound. A session used more than a
// minute ago is marked used now (so a busy page costs no write per
// request).
func (s *Store) Lookup(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, ErrNotFound
	}
	key := string(hashOf(token))
	s.mu.Lock()
	cached, ok := s.byHash[key]
	var ss Session
	var err error
	if ok {
		ss = *cached
	} else {
		// Read while holding the lock: an end of the session (which
		// deletes the row, then forgets it here, under the lock) cannot
		// fall between the read and the remembering.
		ss, err = s.loadLocked(ctx, key)
	}
	s.mu.Unlock()
	if err != nil {
		return Session{}, err
	}
	now := s.opts.Now()
	if !now.Before(ss.Expires) || now.Sub(ss.LastSeen) >= s.opts.Idle {
		s.Delete(ctx, ss.ID)
		return Session{}, ErrNotFound
	}
	if now.Sub(ss.LastSeen) > time.Minute {
		if _, err := s.touch.ExecContext(ctx, now.UnixMilli(), ss.ID); err != nil {
			return Session{}, fmt.Errorf("mark a session used: %w", err)
		}
		ss.LastSeen = now
		s.change(ss.ID, func(c *Session) { c.LastSeen = now })
	}
	return ss, nil
}

// loadLocked reads a session from the file (one made before this process
// started) and remembers it; s.mu is held.
func (s *Store) loadLocked(ctx context.Context, key string) (Session, error) {
	var ss Session
	var created, seen, expires int64
	err := s.get.QueryRowContext(ctx, []byte(key)).Scan(&ss.ID, &ss.Login, &ss.Epoch, &ss.CSRF, &created, &seen, &expires, &ss.IP, &ss.UserAgent, &ss.Flash)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up a session: %w", err)
	}
	ss.Created, ss.LastSeen, ss.Expires = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
	c := ss
	s.byHash[key] = &c
	s.hashOf[ss.ID] = key
	return ss, nil
}

// CheckCSRF reports whether token is the session's form token.
func (ss Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(ss.CSRF)) == 1
}

// Delete ends one session.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("end session %s: %w", id, err)
	}
	s.forget(func(ss *Session) bool { return ss.ID == id })
	return nil
}

// DeleteOf ends login's session id (ErrNotFound when login has no such
// session): what a user may do to their own.
func (s *Store) DeleteOf(ctx context.Context, login, id string) error {
	res, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND login = ?`, id, login)
	if err != nil {
		return fmt.Errorf("end session %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	s.forget(func(ss *Session) bool { return ss.ID == id })
	return nil
}

// DeleteLogin ends every session of login except the one with id except
// (none when ""), and returns how many ended.
func (s *Store) DeleteLogin(ctx context.Context, login, except string) (int, error) {
	res, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE login = ? AND id != ?`, login, except)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %s: %w", login, err)
	}
	s.forget(func(ss *Session) bool { return ss.Login == login && ss.ID != except })
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SetEpoch records a new auth epoch on a session: the one that changed the
// password keeps going.
func (s *Store) SetEpoch(ctx context.Context, id string, epoch int64) error {
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE sessions SET epoch = ? WHERE id = ?`, epoch, id)
	if err != nil {
		return fmt.Errorf("update session %s: %w", id, err)
	}
	s.change(id, func(c *Session) { c.Epoch = epoch })
	return nil
}

// List returns login's live sessions, the most recently used first.
func (s *Store) List(ctx context.Context, login string) ([]Session, error) {
	now := s.opts.Now()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, login, epoch, created, last_seen, expires, ip, user_agent FROM sessions
		WHERE login = ? AND expires > ? AND last_seen > ? ORDER BY last_seen DESC, id`, login, now.UnixMilli(), now.Add(-s.opts.Idle).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list the sessions of %s: %w", login, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		var created, seen, expires int64
		if err := rows.Scan(&ss.ID, &ss.Login, &ss.Epoch, &created, &seen, &expires, &ss.IP, &ss.UserAgent); err != nil {
			return nil, err
		}
		ss.Created, ss.LastSeen, ss.Expires = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
		out = append(out, ss)
	}
	return out, rows.Err()
}

// SetFlash keeps msg for the session's next page.
func (s *Store) SetFlash(ctx context.Context, id, msg string) error {
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE sessions SET flash = ? WHERE id = ?`, msg, id)
	if err != nil {
		return fmt.Errorf("keep a message for session %s: %w", id, err)
	}
	s.change(id, func(c *Session) { c.Flash = msg })
	return nil
}

// ClearFlash forgets the session's flash message once shown.
func (s *Store) ClearFlash(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE sessions SET flash = '' WHERE id = ? AND flash != ''`, id)
	if err != nil {
		return fmt.Errorf("clear the message of session %s: %w", id, err)
	}
	s.change(id, func(c *Session) { c.Flash = "" })
	return nil
}

// Sweep deletes the sessions past their end or idle too long.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	now := s.opts.Now()
	res, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ? OR last_seen <= ?`,
		now.UnixMilli(), now.Add(-s.opts.Idle).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sweep sessions: %w", err)
	}
	s.forget(func(ss *Session) bool { return !now.Before(ss.Expires) || now.Sub(ss.LastSeen) >= s.opts.Idle })
	n, _ := res.RowsAffected()
	return int(n), nil
}
