// Package ratelimit keeps the per-client-address and per-account counters
// that protect Nanhu's listeners: new connections per minute, concurrent
// connections, messages per minute, and failed logins with lockout. SMTP,
// IMAP and the web sign-in share one Limiter, so a password guesser is
// locked out of all of them at once, and an administrator's Unlock lets
// the owner back into all of them. Keyed counts other things per key (a
// public form's submissions per address).
//
// Failed logins are counted per pair of account and client address: the
// pair slows down, then is refused for a while, and the same account keeps
// working from its owner's other addresses (a phone still trying an old
// password locks out only the phone). A client address that fails for
// many accounts is refused for all of them. Only failures from many
// addresses lock the account itself, for a set time.
package ratelimit

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// Options bound what one client address or one account may do. Zero
// values take the defaults of Defaults. Addresses inside Exempt (loopback
// and the configured internal networks) are never limited by address;
// the failures of an account from one address, and an account's lock,
// apply wherever the address is.
type Options struct {
	ConnectionsPerMinute int // new connections per IP per minute
	ConcurrentPerIP      int // open connections per IP
	MessagesPerMinute    int // messages per IP per minute
	// AuthFailuresPerIP failed logins from one address, whatever the
	// accounts, lock that address out.
	AuthFailuresPerIP int
	// AuthFailuresPerUser failed logins of one account from one address
	// lock that pair out: that account from that address.
	AuthFailuresPerUser int
	// Lockout is how long an address's or a pair's lock lasts.
	Lockout time.Duration
	// AccountFailures failed logins of one account, from at least
	// AccountAddresses different addresses within AccountWindow, lock the
	// account from everywhere for AccountLockout.
	AccountFailures  int
	AccountAddresses int
	AccountWindow    time.Duration
	AccountLockout   time.Duration
	// FailureDelay is how long the answer to a pair's second failure waits;
	// each further failure doubles it, up to MaxFailureDelay.
	FailureDelay    time.Duration
	MaxFailureDelay time.Duration
	Exempt          []netip.Prefix
	// OnLock, if set, is told of every new lock (after the Limiter's own
	// lock is released; it should not block for long).
	OnLock func(Lock)
	// Released, if set, tells when an account's locks were last lifted
	// from outside this process (`nanhu user unlock`, a new password):
	// a lock that began before that time is dropped. It is asked only
	// when a lock applies, so a directory lookup is affordable.
	Released func(user string) time.Time
	// Logger records every lock; nil means none.
	Logger *slog.Logger
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
		AccountFailures:      50,
		AccountAddresses:     10,
		AccountWindow:        time.Hour,
		AccountLockout:       30 * time.Minute,
		FailureDelay:         250 * time.Millisecond,
		MaxFailureDelay:      4 * time.Second,
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
	if o.AccountFailures == 0 {
		o.AccountFailures = d.AccountFailures
	}
	if o.AccountAddresses == 0 {
		o.AccountAddresses = d.AccountAddresses
	}
	if o.AccountWindow == 0 {
		o.AccountWindow = d.AccountWindow
	}
	if o.AccountLockout == 0 {
		o.AccountLockout = d.AccountLockout
	}
	if o.FailureDelay == 0 {
		o.FailureDelay = d.FailureDelay
	}
	if o.MaxFailureDelay == 0 {
		o.MaxFailureDelay = d.MaxFailureDelay
	}
	if o.FailureDelay < 0 { // no delay at all
		o.FailureDelay, o.MaxFailureDelay = 0, 0
	}
	if o.Exempt == nil {
		o.Exempt = d.Exempt
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// window counts events in a sliding minute (two fixed buckets, weighted).
type window struct {
	start      time.Time
	cur, prev  int
	open       int       // concurrent connections
	failures   int       // failed logins since the last lock ended
	lockedAt   time.Time // when the lock began
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

	mu       sync.Mutex
	conns    map[netip.Addr]*window // connection rate and concurrency
	msgs     map[netip.Addr]*window
	ipAuth   map[netip.Addr]*window            // failures from an address, any account
	pairAuth map[string]map[netip.Addr]*window // failures of an account from an address
	accounts map[string]*account               // failures of an account from anywhere
	locks    map[Scope]uint64                  // locks begun, for the metrics
	sweep    time.Time
}

// New returns a Limiter; zero fields of opts take the defaults, and now is
// the clock (nil means time.Now).
func New(opts Options, now func() time.Time) *Limiter {
	opts.fill()
	if now == nil {
		now = time.Now
	}
	return &Limiter{opts: opts, now: now, conns: map[netip.Addr]*window{}, msgs: map[netip.Addr]*window{},
		ipAuth: map[netip.Addr]*window{}, pairAuth: map[string]map[netip.Addr]*window{}, accounts: map[string]*account{},
		locks: map[Scope]uint64{}}
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
	idle := func(w *window) bool { return now.After(w.lockedTill) && now.Sub(w.lastSeen) > l.opts.Lockout }
	for k, w := range l.ipAuth {
		if idle(w) {
			delete(l.ipAuth, k)
		}
	}
	for user, pairs := range l.pairAuth {
		for ip, w := range pairs {
			if idle(w) {
				delete(pairs, ip)
			}
		}
		if len(pairs) == 0 {
			delete(l.pairAuth, user)
		}
	}
	for user, a := range l.accounts {
		if now.After(a.lockedTill) && now.Sub(a.lastSeen) > l.opts.AccountWindow {
			delete(l.accounts, user)
		}
	}
}
