package notify

import (
	"context"
	"sync"
	"time"

	"nanhu/oa/org"
)

// dirCache keeps the users and preferences routing looked up for a few
// seconds, so that a burst of to-dos does not read org.db for every one;
// a change in the directory (a new mobile, SMS turned off) takes effect
// within the TTL. Errors are not cached.
type dirCache struct {
	Directory
	ttl time.Duration

	mu    sync.Mutex
	users map[string]cached[org.User]
	prefs map[string]cached[org.NotifyPrefs]
}

type cached[T any] struct {
	v       T
	expires time.Time
}

// maxCached bounds each map; past it the cache starts afresh.
const maxCached = 10000

func newDirCache(d Directory, ttl time.Duration) *dirCache {
	return &dirCache{Directory: d, ttl: ttl, users: map[string]cached[org.User]{}, prefs: map[string]cached[org.NotifyPrefs]{}}
}

func lookup[T any](c *dirCache, m map[string]cached[T], login string, load func() (T, error)) (T, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := m[login]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(m) >= maxCached {
		clear(m)
	}
	m[login] = cached[T]{v, now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}

func (c *dirCache) User(ctx context.Context, login string) (org.User, error) {
	return lookup(c, c.users, login, func() (org.User, error) { return c.Directory.User(ctx, login) })
}

func (c *dirCache) NotifyPrefs(ctx context.Context, login string) (org.NotifyPrefs, error) {
	return lookup(c, c.prefs, login, func() (org.NotifyPrefs, error) { return c.Directory.NotifyPrefs(ctx, login) })
}
