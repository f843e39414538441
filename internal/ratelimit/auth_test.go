package ratelimit

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }

// The owner's phone with an old password, and a guesser, lock only
// themselves out; many addresses lock the account; each lock is told.
func TestLocksPerPair(t *testing.T) {
	owner := netip.MustParseAddr("10.0.0.5")
	guesser := netip.MustParseAddr("127.0.0.2")
	tests := []struct {
		name string
		run  func(l *Limiter, c *clock) error
	}{
		{"a pair's failures lock that pair only", func(l *Limiter, c *clock) error {
			for range 5 {
				l.AuthFailed(guesser, "quzhang")
			}
			if l.AuthLocked(guesser, "quzhang") == 0 {
				return fmt.Errorf("the guessing pair is not locked")
			}
			if l.AuthLocked(owner, "quzhang") != 0 {
				return fmt.Errorf("the owner is locked out from their own address")
			}
			return nil
		}},
		{"1,000 failures over 100 accounts from one loopback address", func(l *Limiter, c *clock) error {
			for i := range 1000 {
				l.AuthFailed(guesser, fmt.Sprintf("user%03d", i%100))
			}
			for i := range 100 {
				u := fmt.Sprintf("user%03d", i)
				if l.AuthLocked(owner, u) != 0 {
					return fmt.Errorf("%s is locked out from its owner's address", u)
				}
				if l.AuthLocked(guesser, u) == 0 {
					return fmt.Errorf("%s is not locked from the guesser", u)
				}
			}
			return nil
		}},
		{"a non-exempt address failing many accounts is locked for all", func(l *Limiter, c *clock) error {
			bad := netip.MustParseAddr("203.0.113.66")
			for i := range 10 {
				l.AuthFailed(bad, fmt.Sprintf("u%d", i))
			}
			if l.AuthLocked(bad, "someone-else") == 0 {
				return fmt.Errorf("the address is not locked")
			}
			if l.AuthLocked(owner, "u1") != 0 {
				return fmt.Errorf("an account is locked from its owner's address")
			}
			return nil
		}},
		{"failures from many addresses lock the account, for a set time", func(l *Limiter, c *clock) error {
			for i := range 50 {
				if l.AuthLocked(addr(i%10), "quzhang") != 0 {
					continue
				}
				l.AuthFailed(addr(i%10), "quzhang")
			}
			if l.AuthLocked(owner, "quzhang") == 0 {
				return fmt.Errorf("50 failures from 10 addresses left the account open")
			}
			c.t = c.t.Add(31 * time.Minute)
			if l.AuthLocked(owner, "quzhang") != 0 {
				return fmt.Errorf("the account lock did not lift by itself")
			}
			return nil
		}},
		{"failures from few addresses never lock the account", func(l *Limiter, c *clock) error {
			for range 40 {
				for i := range 3 {
					l.AuthFailed(addr(i), "quzhang")
				}
				c.t = c.t.Add(time.Minute)
			}
			if l.AuthLocked(owner, "quzhang") != 0 {
				return fmt.Errorf("three addresses locked the account")
			}
			return nil
		}},
		{"answers slow down as a pair keeps failing", func(l *Limiter, c *clock) error {
			var got []time.Duration
			for range 5 {
				got = append(got, l.AuthFailed(guesser, "quzhang").Delay)
			}
			want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("delays %v, want %v", got, want)
			}
			return nil
		}},
		{"a success forgets the pair's failures", func(l *Limiter, c *clock) error {
			for range 4 {
				l.AuthFailed(owner, "quzhang")
			}
			l.AuthSucceeded(owner, "quzhang")
			if f := l.AuthFailed(owner, "quzhang"); f.Locked || f.Delay != 0 {
				return fmt.Errorf("after a success, a failure gives %+v", f)
			}
			return nil
		}},
		{"Unlock lifts the pair and the account locks", func(l *Limiter, c *clock) error {
			for i := range 60 {
				l.AuthFailed(addr(i%12), "quzhang")
			}
			if !l.Unlock("quzhang") {
				return fmt.Errorf("Unlock said nothing was locked")
			}
			for i := range 12 {
				if l.AuthLocked(addr(i), "quzhang") != 0 {
					return fmt.Errorf("still locked from %s", addr(i))
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
			l := New(Options{Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}}, c.now)
			if err := tt.run(l, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A lock lifted in another process (the directory's unlock time) is
// dropped at the next check; a lock begun after it stays.
func TestReleasedElsewhere(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	var released time.Time
	var asked int
	l := New(Options{Released: func(user string) time.Time { asked++; return released }}, c.now)
	ip := netip.MustParseAddr("203.0.113.9")
	if l.AuthLocked(ip, "lina") != 0 || asked != 0 {
		t.Fatalf("an account without a lock was looked up (%d)", asked)
	}
	for range 5 {
		l.AuthFailed(ip, "lina")
	}
	if l.AuthLocked(ip, "lina") == 0 {
		t.Fatal("not locked")
	}
	c.t = c.t.Add(time.Minute)
	released = c.t
	c.t = c.t.Add(time.Second)
	if d := l.AuthLocked(ip, "lina"); d != 0 {
		t.Fatalf("locked %v after the unlock", d)
	}
	for range 5 {
		l.AuthFailed(ip, "lina")
	}
	if l.AuthLocked(ip, "lina") == 0 {
		t.Fatal("a lock begun after the unlock was dropped")
	}
}

func TestLocksToldAndCounted(t *testing.T) {
	var told []Lock
	l := New(Options{OnLock: func(lk Lock) { told = append(told, lk) }}, nil)
	ip := netip.MustParseAddr("127.0.0.2")
	for range 7 {
		l.AuthFailed(ip, "zhangwei")
	}
	if len(told) != 1 || told[0].Scope != ScopePair || told[0].User != "zhangwei" || told[0].Addr != ip || told[0].Failures != 5 {
		t.Fatalf("told %+v", told)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(l)
	want := `
# HELP nanhu_auth_locked Login locks in force now, by scope.
# TYPE nanhu_auth_locked gauge
nanhu_auth_locked{scope="account"} 0
nanhu_auth_locked{scope="address"} 0
nanhu_auth_locked{scope="pair"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "nanhu_auth_locked"); err != nil {
		t.Error(err)
	}
	wantTotal := `
# HELP nanhu_auth_locks_total Login locks begun by failed logins, by scope (pair: an account from one address; address; account).
# TYPE nanhu_auth_locks_total counter
nanhu_auth_locks_total{scope="account"} 0
nanhu_auth_locks_total{scope="address"} 0
nanhu_auth_locks_total{scope="pair"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantTotal), "nanhu_auth_locks_total"); err != nil {
		t.Error(err)
	}
}
