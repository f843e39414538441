package org

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NormalizeLogin lowercases a login and checks it: 1 to 64 characters from
// a-z, 0-9, '.', '_' and '-', not beginning or ending with a dot and without
// two dots in a row (so that login@domain is a valid address).
func NormalizeLogin(s string) (string, error) {
	login := strings.ToLower(strings.TrimSpace(s))
	if login == "" || len(login) > 64 {
		return "", errorf(ErrInvalid, "a login must be 1 to 64 characters long")
	}
	for i := 0; i < len(login); i++ {
		c := login[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", errorf(ErrInvalid, "login %q may contain only lowercase letters, digits, '.', '_' and '-'", s)
		}
	}
	if login[0] == '.' || login[len(login)-1] == '.' || strings.Contains(login, "..") {
		return "", errorf(ErrInvalid, "login %q must not begin or end with a dot or contain two dots in a row", s)
	}
	return login, nil
}

// NormalizeAddress lowercases a mail address and checks its syntax: a
// dot-atom local part of at most 64 characters, '@', and a domain name in
// ASCII (use the punycode form of an internationalised domain).
func NormalizeAddress(s string) (string, error) {
	addr := strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", errorf(ErrInvalid, "address %q has no '@'", s)
	}
	local, domain := addr[:at], addr[at+1:]
	if local == "" || len(local) > 64 {
		return "", errorf(ErrInvalid, "the part before '@' in %q must be 1 to 64 characters long", s)
	}
	for i := 0; i < len(local); i++ {
		if !isAtext(local[i]) && local[i] != '.' {
			return "", errorf(ErrInvalid, "address %q contains a character that is not allowed before '@'", s)
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "", errorf(ErrInvalid, "the part before '@' in %q must not begin or end with a dot or contain two dots in a row", s)
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", errorf(ErrInvalid, "address %q has a bad domain: %v", s, err)
	}
	return local + "@" + d, nil
}

// isAtext reports whether c is an RFC 5322 atext character (lowercase only,
// since addresses are lowercased first).
func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// NormalizeDomain lowercases a domain name and checks it: dot-separated
// labels of letters, digits and hyphens, 1 to 63 characters each, 253 in
// all. A trailing dot is removed.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if d == "" || len(d) > 253 {
		return "", errorf(ErrInvalid, "a domain must be 1 to 253 characters long")
	}
	if !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return "", errorf(ErrInvalid, "domain %q is not ASCII; use its punycode (xn--) form", s)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", errorf(ErrInvalid, "domain %q has an empty or too long label", s)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", errorf(ErrInvalid, "a label of domain %q begins or ends with '-'", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", errorf(ErrInvalid, "domain %q may contain only letters, digits, '-' and '.'", s)
			}
		}
	}
	return d, nil
}

// NormalizeMobile checks a mobile number in E.164 form: '+' and 8 to 15
// digits. Spaces and hyphens between digits are removed first.
func NormalizeMobile(s string) (string, error) {
	m := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	ok := len(m) >= 9 && len(m) <= 16 && m[0] == '+' && m[1] != '0'
	for i := 1; ok && i < len(m); i++ {
		ok = m[i] >= '0' && m[i] <= '9'
	}
	if !ok {
		return "", errorf(ErrInvalid, "mobile number %q must be in international form: '+', the country code and the number, 8 to 15 digits in all (for example +8613800000000)", s)
	}
	return m, nil
}

// normalizeCode checks a department code: 1 to 32 characters from a-z, 0-9,
// '_' and '-'.
func normalizeCode(s string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(s))
	if c == "" || len(c) > 32 || strings.ContainsFunc(c, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return "", errorf(ErrInvalid, "department code %q must be 1 to 32 lowercase letters, digits, '_' or '-'", s)
	}
	return c, nil
}

// normalizeRole checks a role name with the same rule as a department code.
func normalizeRole(s string) (string, error) {
	r, err := normalizeCode(s)
	if err != nil {
		return "", errorf(ErrInvalid, "role %q must be 1 to 32 lowercase letters, digits, '_' or '-'", s)
	}
	return r, nil
}

// checkText checks a display name or title: valid UTF-8, no control
// characters, at most max characters; required says whether it may be
// empty.
func checkText(what, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", errorf(ErrInvalid, "the %s must not be empty", what)
	case !utf8.ValidString(s):
		return "", errorf(ErrInvalid, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > max:
		return "", errorf(ErrInvalid, "the %s must be at most %d characters long", what, max)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", errorf(ErrInvalid, "the %s must not contain control characters", what)
	}
	return s, nil
}

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	// Longest first, so "KiB" is not taken for "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseQuota parses a size such as "2GiB", "500 MiB", "1.5G" or "1073741824"
// into bytes. KiB, MiB, GiB, TiB and the bare K, M, G, T are powers of 1024;
// KB, MB, GB, TB are powers of 1000. Case does not matter. The result is
// never negative; 0 means "the default quota".
func ParseQuota(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	// Digits with at most one dot; this keeps ParseFloat away from "inf",
	// "nan", hex and exponents.
	dots := strings.Count(t, ".")
	if t == "" || t == "." || dots > 1 || strings.ContainsFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') }) {
		return 0, errorf(ErrInvalid, "size %q is not a number of bytes with an optional unit such as MiB or GiB", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, errorf(ErrInvalid, "size %q is not a number", s)
	}
	v := math.Round(f * mult)
	if v >= math.MaxInt64 {
		return 0, errorf(ErrInvalid, "size %q is too large", s)
	}
	return int64(v), nil
}

// FormatBytes formats a byte count with a binary unit, for example
// "2 GiB" or "1.5 MiB".
func FormatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string(units[i]) + "iB"
}
