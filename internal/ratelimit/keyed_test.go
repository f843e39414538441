package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestKeyed(t *testing.T) {
	c := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	k := NewKeyed(3, time.Minute, c.now)
	for i := range 3 {
		if !k.Allow("a") {
			t.Fatalf("event %d refused", i+1)
		}
	}
	if k.Allow("a") {
		t.Fatal("the fourth event in a minute was allowed")
	}
	if !k.Allow("b") {
		t.Fatal("another key was refused")
	}
	c.t = c.t.Add(2 * time.Minute)
	if !k.Allow("a") {
		t.Fatal("still refused two minutes later")
	}
}

func TestUnlockAndLockouts(t *testing.T) {
	c := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	l := New(Options{AuthFailuresPerUser: 2, Lockout: 15 * time.Minute}, c.now)
	ip := netip.MustParseAddr("203.0.113.9")
	l.AuthFailed(ip, "zhangwei")
	l.AuthFailed(ip, "zhangwei")
	if l.AuthLocked(ip, "zhangwei") == 0 {
		t.Fatal("not locked out")
	}
	if got := l.Lockouts(); len(got) != 1 || got[0].User != "zhangwei" || got[0].Addr != ip || !got[0].Until.Equal(c.t.Add(15*time.Minute)) {
		t.Fatalf("Lockouts = %+v", got)
	}
	if !l.Unlock("zhangwei") {
		t.Error("Unlock said the account was not locked")
	}
	if l.AuthLocked(ip, "zhangwei") != 0 || len(l.Lockouts()) != 0 {
		t.Error("still locked out after Unlock")
	}
	if l.Unlock("lina") {
		t.Error("Unlock of an account never locked said it was")
	}
}
