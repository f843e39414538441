package site

import (
	"net/http/httptest"
	"testing"
)

func TestVisitorIP(t *testing.T) {
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9"},
		{"203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"}, // not from a local proxy: not believed
		{"127.0.0.1:5000", nil, "127.0.0.1"},
		{"127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"127.0.0.1:5000", []string{"10.9.9.9, 198.51.100.1"}, "198.51.100.1"}, // the visitor's own claim first
		{"127.0.0.1:5000", []string{"10.9.9.9", "198.51.100.2"}, "198.51.100.2"},
		{"[::1]:5000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"127.0.0.1:5000", []string{"not an address"}, "127.0.0.1"},
	} {
		r := httptest.NewRequest("GET", "/qiye/login", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := visitorIP(r).String(); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}
