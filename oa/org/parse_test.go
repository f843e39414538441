package org

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ZhangWei@Nanhu.Local", "zhangwei@nanhu.local"},
		{"  a.b+c@x.cn. ", "a.b+c@x.cn"},
		{"o'brien@example.com", "o'brien@example.com"},
		{"nobody", ""},
		{"@nanhu.local", ""},
		{"a@", ""},
		{"a..b@x.cn", ""},
		{".a@x.cn", ""},
		{"a b@x.cn", ""},
		{"a@b@x.cn", ""},
		{"张三@x.cn", ""},
		{"a@例子.cn", ""},
		{"a@-x.cn", ""},
		{"a@x..cn", ""},
		{strings.Repeat("a", 65) + "@x.cn", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeAddress(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+8613800000000", "+8613800000000"},
		{"+86 138-0000-0000", "+8613800000000"},
		{"+12025550123", "+12025550123"},
		{"+12345678", "+12345678"},
		{"+1234567", ""},
		{"+1234567890123456", ""},
		{"13800000000", ""},
		{"+086138000000", ""},
		{"+86１３８00000000", ""}, // full-width digits
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeMobile(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeMobile(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseQuota(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2GiB", 2 << 30, true},
		{"2 gib", 2 << 30, true},
		{"2G", 2 << 30, true},
		{"2GB", 2e9, true},
		{"1.5MiB", 3 << 19, true},
		{"512k", 512 << 10, true},
		{"100", 100, true},
		{"100B", 100, true},
		{"0", 0, true},
		{"1TiB", 1 << 40, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"-1GiB", 0, false},
		{"1e9", 0, false},
		{"inf", 0, false},
		{"1.2.3", 0, false},
		{"2 PiB", 0, false},
		{"99999999999TiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseQuota(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ParseQuota(%q) = %d, %v; want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 3 << 19: "1.5 MiB", 2 << 30: "2 GiB"}
	for n, want := range tests {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{"ZhangWei@Nanhu.Local", "a..b@x", "@", "a@b@c", "x@例子.cn", "a@x.cn."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := NormalizeAddress(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if a != strings.ToLower(a) || strings.Count(a, "@") != 1 {
			t.Fatalf("NormalizeAddress(%q) = %q", s, a)
		}
		if again, err := NormalizeAddress(a); err != nil || again != a {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, a, again, err)
		}
	})
}

func FuzzNormalizeLogin(f *testing.F) {
	for _, s := range []string{"ZhangWei", "a.b", "..", "张三", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := NormalizeLogin(s)
		if err != nil {
			return
		}
		// A login always makes a valid address.
		if a, err := NormalizeAddress(l + "@nanhu.local"); err != nil || a != l+"@nanhu.local" {
			t.Fatalf("login %q does not make an address: %v", l, err)
		}
	})
}

func FuzzParseQuota(f *testing.F) {
	for _, s := range []string{"2GiB", "1.5 mb", "100", "1e9", "-1", "9999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseQuota(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseQuota(%q) = %d", s, n)
		}
	})
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"+8613800000000", "+86 138", "138", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := NormalizeMobile(s)
		if err != nil {
			return
		}
		if m[0] != '+' || len(m) < 9 || len(m) > 16 || strings.Trim(m[1:], "0123456789") != "" {
			t.Fatalf("NormalizeMobile(%q) = %q", s, m)
		}
	})
}
