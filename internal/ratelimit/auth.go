package ratelimit

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Scope says what a lock refuses.
type Scope string

const (
	// ScopePair refuses one account from one client address.
	ScopePair Scope = "pair"
	// ScopeAddress refuses one client address, whatever the account.
	ScopeAddress Scope = "address"
	// ScopeAccount refuses one account from every address.
	ScopeAccount Scope = "account"
)

// Lock is a lock that failed logins began.
type Lock struct {
	Scope    Scope
	User     string     // the account; empty for an address lock
	Addr     netip.Addr // the client address; invalid for an account lock
	Failures int        // the failures that led to it
	Until    time.Time
}

// Failure is the Limiter's answer to a failed login.
type Failure struct {
	// Delay is how long to wait before telling the client: a pair that
	// keeps failing is answered ever more slowly.
	Delay time.Duration
	// Locked is true when this failure began a lock.
	Locked bool
}

// account is what the Limiter knows of one account's failures from
// everywhere.
type account struct {
	recent     []failure // within AccountWindow, oldest first
	lockedAt   time.Time
	lockedTill time.Time
	lastSeen   time.Time
}

type failure struct {
	at   time.Time
	addr netip.Addr
}

// addresses counts the different client addresses among a's failures.
func (a *account) addresses() int {
	seen := make(map[netip.Addr]struct{}, len(a.recent))
	for _, f := range a.recent {
		seen[f.addr] = struct{}{}
	}
	return len(seen)
}

// AuthLocked reports how long logins for user from ip stay refused: the
// address's lock (unless the address is exempt), the pair's, or the
// account's, whichever ends last. user is the name as the client gave it,
// normalised by the caller.
func (l *Limiter) AuthLocked(ip netip.Addr, user string) time.Duration {
	ip = ip.Unmap()
	till, since := l.locked(ip, user)
	if !since.IsZero() && l.opts.Released != nil {
		if rel := l.opts.Released(user); rel.After(since) {
			l.release(user, rel)
			till, _ = l.locked(ip, user)
		}
	}
	if now := l.now(); till.After(now) {
		return till.Sub(now)
	}
	return 0
}

// locked is when the locks on ip and user end, and when the earliest of
// the account's own locks that apply began (zero: none applies).
func (l *Limiter) locked(ip netip.Addr, user string) (till, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	apply := func(end, start time.Time, own bool) {
		if !end.After(now) {
			return
		}
		if end.After(till) {
			till = end
		}
		if own && (since.IsZero() || start.Before(since)) {
			since = start
		}
	}
	if w := l.ipAuth[ip]; w != nil && !l.Exempt(ip) {
		apply(w.lockedTill, w.lockedAt, false)
	}
	if user == "" {
		return till, since
	}
	if w := l.pairAuth[user][ip]; w != nil {
		apply(w.lockedTill, w.lockedAt, true)
	}
	if a := l.accounts[user]; a != nil {
		apply(a.lockedTill, a.lockedAt, true)
	}
	return till, since
}

// release drops the locks of user that began before rel.
func (l *Limiter) release(user string, rel time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ip, w := range l.pairAuth[user] {
		if !w.lockedTill.IsZero() && w.lockedAt.Before(rel) {
			delete(l.pairAuth[user], ip)
		}
	}
	if a := l.accounts[user]; a != nil && !a.lockedTill.IsZero() && a.lockedAt.Before(rel) {
		delete(l.accounts, user)
	}
	l.opts.Logger.Info("login lock lifted", "user", user, "unlocked_at", rel)
}

// AuthFailed records a failed login for user from ip. It says how long to
// wait before answering and whether the failure began a lock; every new
// lock is logged, counted and told to OnLock.
func (l *Limiter) AuthFailed(ip netip.Addr, user string) Failure {
	ip = ip.Unmap()
	var f Failure
	var begun []Lock
	l.mu.Lock()
	now := l.now()
	// bump counts a failure on w and reports whether it began a lock.
	bump := func(w *window, max int) bool {
		if !w.lockedTill.IsZero() && !now.Before(w.lockedTill) {
			w.failures, w.lockedAt, w.lockedTill = 0, time.Time{}, time.Time{}
		}
		w.failures++
		if w.lockedTill.IsZero() && w.failures >= max {
			w.lockedAt, w.lockedTill = now, now.Add(l.opts.Lockout)
			return true
		}
		return false
	}
	if !l.Exempt(ip) {
		w := get(l.ipAuth, ip, now)
		if bump(w, l.opts.AuthFailuresPerIP) {
			begun = append(begun, Lock{Scope: ScopeAddress, Addr: ip, Failures: w.failures, Until: w.lockedTill})
		}
	}
	if user != "" {
		pairs := l.pairAuth[user]
		if pairs == nil {
			pairs = map[netip.Addr]*window{}
			l.pairAuth[user] = pairs
		}
		w := get(pairs, ip, now)
		if bump(w, l.opts.AuthFailuresPerUser) {
			begun = append(begun, Lock{Scope: ScopePair, User: user, Addr: ip, Failures: w.failures, Until: w.lockedTill})
		}
		if n := w.failures; n >= 2 && l.opts.FailureDelay > 0 {
			f.Delay = l.opts.MaxFailureDelay
			if n-2 < 16 {
				f.Delay = min(l.opts.FailureDelay<<(n-2), l.opts.MaxFailureDelay)
			}
		}
		if lk, ok := l.accountFailed(user, ip, now); ok {
			begun = append(begun, lk)
		}
	}
	for _, lk := range begun {
		l.locks[lk.Scope]++
	}
	l.mu.Unlock()
	for _, lk := range begun {
		l.opts.Logger.Warn("login lock", "scope", string(lk.Scope), "user", lk.User, "remote", lk.Addr,
			"failures", lk.Failures, "until", lk.Until)
		if l.opts.OnLock != nil {
			l.opts.OnLock(lk)
		}
	}
	f.Locked = len(begun) > 0
	return f
}

// accountFailed counts a failure of user from ip against the account and
// locks the account when failures come from many addresses. l.mu is held.
func (l *Limiter) accountFailed(user string, ip netip.Addr, now time.Time) (Lock, bool) {
	a := l.accounts[user]
	if a == nil {
		a = &account{}
		l.accounts[user] = a
	}
	a.lastSeen = now
	if !a.lockedTill.IsZero() && !now.Before(a.lockedTill) {
		a.lockedAt, a.lockedTill, a.recent = time.Time{}, time.Time{}, nil
	}
	cut := 0
	for cut < len(a.recent) && now.Sub(a.recent[cut].at) > l.opts.AccountWindow {
		cut++
	}
	a.recent = append(a.recent[cut:], failure{at: now, addr: ip})
	if keep := 4 * l.opts.AccountFailures; len(a.recent) > keep {
		a.recent = slices.Clone(a.recent[len(a.recent)-keep:])
	}
	if !a.lockedTill.IsZero() || len(a.recent) < l.opts.AccountFailures || a.addresses() < l.opts.AccountAddresses {
		return Lock{}, false
	}
	a.lockedAt, a.lockedTill = now, now.Add(l.opts.AccountLockout)
	return Lock{Scope: ScopeAccount, User: user, Failures: len(a.recent), Until: a.lockedTill}, true
}

// AuthSucceeded forgets the failures of user from ip: the owner got the
// password right there. An unlocked pair only: a lock runs its time.
func (l *Limiter) AuthSucceeded(ip netip.Addr, user string) {
	ip = ip.Unmap()
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.pairAuth[user][ip]; w != nil && w.lockedTill.IsZero() {
		delete(l.pairAuth[user], ip)
	}
}

// Unlock lifts every lock of an account (from every address, and the
// account's own) and forgets its failures, for an administrator who has
// checked with its owner. It reports whether the account was locked.
func (l *Limiter) Unlock(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	was := false
	for _, w := range l.pairAuth[user] {
		was = was || w.lockedTill.After(now)
	}
	if a := l.accounts[user]; a != nil {
		was = was || a.lockedTill.After(now)
	}
	delete(l.pairAuth, user)
	delete(l.accounts, user)
	return was
}

// Lockout is a lock on an account: from one address (Addr set) or from
// everywhere.
type Lockout struct {
	User  string
	Addr  netip.Addr // invalid for the account's own lock
	Until time.Time
}

// Lockouts lists the accounts' locks in force now, soonest released
// first.
func (l *Limiter) Lockouts() []Lockout {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var out []Lockout
	for user, pairs := range l.pairAuth {
		for ip, w := range pairs {
			if w.lockedTill.After(now) {
				out = append(out, Lockout{User: user, Addr: ip, Until: w.lockedTill})
			}
		}
	}
	for user, a := range l.accounts {
		if a.lockedTill.After(now) {
			out = append(out, Lockout{User: user, Until: a.lockedTill})
		}
	}
	slices.SortFunc(out, func(a, b Lockout) int { return a.Until.Compare(b.Until) })
	return out
}

var (
	descLocks  = prometheus.NewDesc("nanhu_auth_locks_total", "Login locks begun by failed logins, by scope (pair: an account from one address; address; account).", []string{"scope"}, nil)
	descLocked = prometheus.NewDesc("nanhu_auth_locked", "Login locks in force now, by scope.", []string{"scope"}, nil)
)

// Describe and Collect make the Limiter a prometheus.Collector of its
// locks.
func (l *Limiter) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLocks
	ch <- descLocked
}

func (l *Limiter) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	now := l.now()
	begun := map[Scope]uint64{}
	for k, v := range l.locks {
		begun[k] = v
	}
	inForce := map[Scope]int{}
	for ip, w := range l.ipAuth {
		if w.lockedTill.After(now) && !l.Exempt(ip) {
			inForce[ScopeAddress]++
		}
	}
	for _, pairs := range l.pairAuth {
		for _, w := range pairs {
			if w.lockedTill.After(now) {
				inForce[ScopePair]++
			}
		}
	}
	for _, a := range l.accounts {
		if a.lockedTill.After(now) {
			inForce[ScopeAccount]++
		}
	}
	l.mu.Unlock()
	for _, s := range []Scope{ScopePair, ScopeAddress, ScopeAccount} {
		ch <- prometheus.MustNewConstMetric(descLocks, prometheus.CounterValue, float64(begun[s]), string(s))
		ch <- prometheus.MustNewConstMetric(descLocked, prometheus.GaugeValue, float64(inForce[s]), string(s))
	}
}

// Wait sleeps for f.Delay, or until ctx ends.
func (f Failure) Wait(ctx context.Context) {
	if f.Delay <= 0 {
		return
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
