package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLockoutExpires(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	l := New(Options{AuthFailuresPerUser: 3, AuthFailuresPerIP: 5, Lockout: 10 * time.Minute, Exempt: []netip.Prefix{}}, c.now)
	ip := netip.MustParseAddr("203.0.113.7")
	other := netip.MustParseAddr("198.51.100.1")
	for i := 0; i < 2; i++ {
		if l.AuthFailed(ip, "lina").Locked {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	if !l.AuthFailed(ip, "lina").Locked {
		t.Fatal("not locked after 3 failures")
	}
	if l.AuthLocked(ip, "lina") == 0 {
		t.Error("the pair is not locked")
	}
	if l.AuthLocked(other, "lina") != 0 {
		t.Error("the pair's lock applies from another address")
	}
	if l.AuthLocked(ip, "zhangwei") != 0 {
		t.Error("another account from the address is locked before the address's own limit")
	}
	c.t = c.t.Add(11 * time.Minute)
	if d := l.AuthLocked(ip, "lina"); d != 0 {
		t.Errorf("still locked %v after the lockout ended", d)
	}
}

func TestRates(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	l := New(Options{ConnectionsPerMinute: 3, ConcurrentPerIP: 2, MessagesPerMinute: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, c.now)
	ip := netip.MustParseAddr("203.0.113.7")
	tests := []struct {
		name string
		do   func() bool
		want bool
	}{
		{"first connection", func() bool { return l.Connect(ip) == "" }, true},
		{"second connection", func() bool { return l.Connect(ip) == "" }, true},
		{"third concurrent", func() bool { return l.Connect(ip) == "" }, false},
		{"after one closes", func() bool { l.Disconnect(ip); return l.Connect(ip) == "" }, true},
		{"fourth in a minute", func() bool { l.Disconnect(ip); return l.Connect(ip) == "" }, false},
		{"a minute and a half later", func() bool { c.t = c.t.Add(90 * time.Second); return l.Connect(ip) == "" }, true},
		{"message 1", func() bool { return l.Message(ip) }, true},
		{"message 2", func() bool { return l.Message(ip) }, true},
		{"message 3", func() bool { return l.Message(ip) }, false},
		{"internal network exempt", func() bool {
			x := netip.MustParseAddr("10.1.2.3")
			for i := 0; i < 100; i++ {
				if l.Connect(x) != "" || !l.Message(x) {
					return false
				}
			}
			return true
		}, true},
	}
	for _, tt := range tests {
		if got := tt.do(); got != tt.want {
			t.Errorf("%s: allowed=%v, want %v", tt.name, got, tt.want)
		}
	}
}
