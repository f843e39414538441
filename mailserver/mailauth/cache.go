package mailauth

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// cache remembers the answers of a Resolver, and asks it once for a name
// that several messages want at the same time. Mail from one domain comes
// in bursts, and a DNS server that drops queries (an offline network's,
// one under load) costs its full timeout each time: with the cache a burst
// pays it once. Answers and "no such name" are kept for Hit; a temporary
// failure for Miss, so that a network without DNS is not asked again for
// every message.
type cache struct {
	inner Resolver
	hit   time.Duration
	miss  time.Duration
	max   int
	wait  time.Duration // the longest one question may take
	now   func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
}

type cacheKey struct {
	kind byte // 't' TXT, 'm' MX, 'i' IP, 'a' reverse
	name string
}

type cacheEntry struct {
	done    chan struct{} // closed when the answer is in
	val     any
	err     error
	expires time.Time
}

func newCache(inner Resolver, hit, miss, wait time.Duration) *cache {
	return &cache{inner: inner, hit: hit, miss: miss, wait: wait, max: 10000, now: time.Now, entries: map[cacheKey]*cacheEntry{}}
}

// get returns the cached answer for k, or asks fetch once (other callers
// for k wait for it). A caller whose ctx ends stops waiting.
func (c *cache) get(ctx context.Context, k cacheKey, fetch func(context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := c.entries[k]
	if ok && e.expires.IsZero() {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.val, e.err
		case <-ctx.Done():
			return nil, &net.DNSError{Err: ctx.Err().Error(), Name: k.name, IsTimeout: true}
		}
	}
	if ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		return e.val, e.err
	}
	if len(c.entries) >= c.max {
		c.evict()
	}
	e = &cacheEntry{done: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	// The question is asked for every waiter, so it does not end with the
	// first caller's context; wait bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.wait)
	val, err := fetch(fctx)
	cancel()
	ttl := c.hit
	var de *net.DNSError
	if err != nil && !(errors.As(err, &de) && de.IsNotFound) {
		ttl = c.miss
	}
	c.mu.Lock()
	e.val, e.err, e.expires = val, err, c.now().Add(ttl)
	c.mu.Unlock()
	close(e.done)
	return val, err
}

// evict drops the expired answers, or all of them when none has expired.
// c.mu is held.
func (c *cache) evict() {
	now := c.now()
	for k, e := range c.entries {
		if !e.expires.IsZero() && now.After(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !e.expires.IsZero() {
				delete(c.entries, k)
			}
		}
	}
}

func (c *cache) LookupTXT(ctx context.Context, name string) ([]string, error) {
	v, err := c.get(ctx, cacheKey{'t', key(name)}, func(ctx context.Context) (any, error) { return c.inner.LookupTXT(ctx, name) })
	s, _ := v.([]string)
	return s, err
}

func (c *cache) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	v, err := c.get(ctx, cacheKey{'m', key(name)}, func(ctx context.Context) (any, error) { return c.inner.LookupMX(ctx, name) })
	s, _ := v.([]*net.MX)
	return s, err
}

func (c *cache) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	v, err := c.get(ctx, cacheKey{'i', key(host)}, func(ctx context.Context) (any, error) { return c.inner.LookupIPAddr(ctx, host) })
	s, _ := v.([]net.IPAddr)
	return s, err
}

func (c *cache) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	v, err := c.get(ctx, cacheKey{'a', key(addr)}, func(ctx context.Context) (any, error) { return c.inner.LookupAddr(ctx, addr) })
	s, _ := v.([]string)
	return s, err
}
