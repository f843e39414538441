package ratelimit

import (
	"sync"
	"time"
)

// Keyed allows each key (a client address, a mobile number) a number of
// events per period, counted in a sliding window. It is safe for
// concurrent use, and forgets keys that have been quiet for a period.
type Keyed struct {
	limit  int
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	keys  map[string]*slide
	sweep time.Time
}

type slide struct {
	start     time.Time
	cur, prev int
}

// NewKeyed allows limit events per key per period; now is the clock (nil:
// time.Now).
func NewKeyed(limit int, period time.Duration, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{limit: limit, period: period, now: now, keys: map[string]*slide{}}
}

// Allow counts an event for key and reports whether it is within the
// limit; an event refused is not counted.
func (k *Keyed) Allow(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	k.gc(now)
	s := k.keys[key]
	if s == nil {
		s = &slide{start: now}
		k.keys[key] = s
	}
	switch d := now.Sub(s.start); {
	case d >= 2*k.period:
		s.prev, s.cur, s.start = 0, 0, now
	case d >= k.period:
		s.prev, s.cur, s.start = s.cur, 0, s.start.Add(k.period)
	}
	elapsed := float64(now.Sub(s.start)) / float64(k.period)
	if float64(s.prev)*(1-elapsed)+float64(s.cur) >= float64(k.limit) {
		return false
	}
	s.cur++
	return true
}

func (k *Keyed) gc(now time.Time) {
	if now.Sub(k.sweep) < k.period {
		return
	}
	k.sweep = now
	for key, s := range k.keys {
		if now.Sub(s.start) >= 2*k.period {
			delete(k.keys, key)
		}
	}
}
