// Package ratelimit keeps the per-client-address and per-account counters
// that protect Nanhu's listeners: new connections per minute, concurrent
// connections, messages per minute, and failed logins with lockout. SMTP,
// IMAP and the web sign-in share one Limiter, so a password guesser is
// locked out of all of them at once, and an administrator's Unlock lets
// the owner back into all of them. Keyed counts other things per key (a
// public form's submissions per address).
package ratelimit

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Options bound what one client address or one account may do. Zero
// values take the defaults of DefaultLimits. Addresses inside Exempt
// (loopback and the configured internal networks) are never limited, except
// for failed logins of an account, which lock the account wherever they come
// from.
type Options struct {
	ConnectionsPerMinute int           // new connections per IP per minute
	ConcurrentPerIP      int           // open connections per IP
	MessagesPerMinute    int           // messages per IP per minute
	AuthFailuresPerIP    int           // failed AUTHs from one IP before it is locked out
	AuthFailuresPerUser  int           // failed AUTHs for one account before it is locked out
	Lockout              time.Duration // how long a lockout lasts
	Exempt               []netip.Prefix
}

// Defaults returns the limits used where the configuration is silent.
func Defaults() Options {
	return Options{
		ConnectionsPerMinute: 120,
		ConcurrentPerIP:      30,
		MessagesPerMinute:    300,
		AuthFailuresPerIP:    10,
		AuthFailuresPerUser:  5,
		Lockout:              15 * time.Minute,
		Exempt: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"),
			netip.MustParsePrefix("::1/128"),
		},
	}
}

func (o *Options) fill() {
	d := Defaults()
	if o.ConnectionsPerMinute == 0 {
		o.ConnectionsPerMinute = d.ConnectionsPerMinute
	}
	if o.ConcurrentPerIP == 0 {
		o.ConcurrentPerIP = d.ConcurrentPerIP
	}
	if o.MessagesPerMinute == 0 {
		o.MessagesPerMinute = d.MessagesPerMinute
	}
	if o.AuthFailuresPerIP == 0 {
		o.AuthFailuresPerIP = d.AuthFailuresPerIP
	}
	if o.AuthFailuresPerUser == 0 {
		o.AuthFailuresPerUser = d.AuthFailuresPerUser
	}
	if o.Lockout == 0 {
		o.Lockout = d.Lockout
	}
	if o.Exempt == nil {
		o.Exempt = d.Exempt
	}
}

// window counts events in a sliding minute (two fixed buckets, weighted).
type window struct {
	start      time.Time
	cur, prev  int
	open       int       // concurrent connections
	failures   int       // failed logins since lockedFrom reset
	lockedTill time.Time // zero when not locked
	lastSeen   time.Time
}

func (w *window) rate(now time.Time) float64 {
	w.roll(now)
	elapsed := now.Sub(w.start).Seconds() / 60
	return float64(w.prev)*(1-elapsed) + float64(w.cur)
}

func (w *window) roll(now time.Time) {
	switch d := now.Sub(w.start); {
	case d >= 2*time.Minute:
		w.prev, w.cur, w.start = 0, 0, now
	case d >= time.Minute:
		w.prev, w.cur, w.start = w.cur, 0, w.start.Add(time.Minute)
	}
}

// Limiter keeps the per-IP and per-account counters. It is safe for
// concurrent use.
type Limiter struct {
	opts Options
	now  func() time.Time

	mu               sync.Mutex
	conns            map[netip.Addr]*window // connection rate and concurrency
	msgs             map[netip.Addr]*window
	ipAuth, userAuth map[string]*window
	sweep            time.Time
}

// New returns a Limiter; zero fields of opts take the defaults, and now is
// the clock (nil means time.Now).
func New(opts Options, now func() time.Time) *Limiter {
	opts.fill()
	if now == nil {
		now = time.Now
	}
	return &Limiter{opts: opts, now: now, conns: map[netip.Addr]*window{}, msgs: map[netip.Addr]*window{},
		ipAuth: map[string]*window{}, userAuth: map[string]*window{}}
}

// Exempt reports whether ip is never limited.
func (l *Limiter) Exempt(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range l.opts.Exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func get[K comparable](m map[K]*window, k K, now time.Time) *window {
	w := m[k]
	if w == nil {
		w = &window{start: now}
		m[k] = w
	}
	w.lastSeen = now
	return w
}

// Connect records a new connection; it reports why the connection must be
// refused, or "" to accept it. done must be called when it closes.
func (l *Limiter) Connect(ip netip.Addr) (refuse string) {
	if l.Exempt(ip) {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.gc(now)
	w := get(l.conns, ip, now)
	if w.open >= l.opts.ConcurrentPerIP {
		return "too many concurrent connections from your address"
	}
	if w.rate(now) >= float64(l.opts.ConnectionsPerMinute) {
		return "too many connections from your address in the last minute"
	}
	w.cur++
	w.open++
	return ""
}

func (l *Limiter) Disconnect(ip netip.Addr) {
	if l.Exempt(ip) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.conns[ip]; w != nil && w.open > 0 {
		w.open--
	}
}

// Message records a new message from ip and reports whether it is allowed.
func (l *Limiter) Message(ip netip.Addr) bool {
	if l.Exempt(ip) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := get(l.msgs, ip, now)
	if w.rate(now) >= float64(l.opts.MessagesPerMinute) {
		return false
	}
	w.cur++
	return true
}

// AuthLocked reports how long logins from ip or for user stay locked out.
func (l *Limiter) AuthLocked(ip netip.Addr, user string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var till time.Time
	if !l.Exempt(ip) {
		if w := l.ipAuth[ip.String()]; w != nil && w.lockedTill.After(till) {
			till = w.lockedTill
		}
	}
	if w := l.userAuth[user]; user != "" && w != nil && w.lockedTill.After(till) {
		till = w.lockedTill
	}
	if till.After(now) {
		return till.Sub(now)
	}
	return 0
}

// AuthFailed records a failed login and reports whether it caused a lockout.
func (l *Limiter) AuthFailed(ip netip.Addr, user string) (locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	bump := func(w *window, max int) {
		if !w.lockedTill.IsZero() && now.After(w.lockedTill) {
			w.failures, w.lockedTill = 0, time.Time{}
		}
		w.failures++
		if w.failures >= max {
			w.lockedTill = now.Add(l.opts.Lockout)
			locked = true
		}
	}
	if !l.Exempt(ip) {
		bump(get(l.ipAuth, ip.String(), now), l.opts.AuthFailuresPerIP)
	}
	if user != "" {
		bump(get(l.userAuth, user, now), l.opts.AuthFailuresPerUser)
	}
	return locked
}

// AuthSucceeded clears the account's failure count.
func (l *Limiter) AuthSucceeded(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.userAuth[user]; w != nil && w.lockedTill.IsZero() {
		delete(l.userAuth, user)
	}
}

// gc drops idle entries now and then so the maps do not grow without bound.
func (l *Limiter) gc(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for k, w := range l.conns {
		if w.open == 0 && now.Sub(w.lastSeen) > 2*time.Minute {
			delete(l.conns, k)
		}
	}
	for k, w := range l.msgs {
		if now.Sub(w.lastSeen) > 2*time.Minute {
			delete(l.msgs, k)
		}
	}
	for _, m := range []map[string]*window{l.ipAuth, l.userAuth} {
		for k, w := range m {
			if now.After(w.lockedTill) && now.Sub(w.lastSeen) > l.opts.Lockout {
				delete(m, k)
			}
		}
	}
}

// Unlock lifts the lockout of an account and forgets its failures, for an
// administrator who has checked with its owner. It reports whether the
// account was locked out.
func (l *Limiter) Unlock(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.userAuth[user]
	if w == nil {
		return false
	}
	delete(l.userAuth, user)
	return w.lockedTill.After(l.now())
}

// Lockout is an account locked out after failed logins.
type Lockout struct {
	User  string
	Until time.Time
}

// Lockouts lists the accounts locked out now, soonest released first.
func (l *Limiter) Lockouts() []Lockout {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var out []Lockout
	for user, w := range l.userAuth {
		if w.lockedTill.After(now) {
			out = append(out, Lockout{User: user, Until: w.lockedTill})
		}
	}
	slices.SortFunc(out, func(a, b Lockout) int { return a.Until.Compare(b.Until) })
	return out
}
