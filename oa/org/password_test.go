package org

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func argon2Key(password string, salt []byte, p argonParams) []byte {
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
}

func TestHashFormat(t *testing.T) {
	d := openTest(t)
	h, err := d.hashPassword(context.Background(), "nanhu2004")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	h2, _ := d.hashPassword(context.Background(), "nanhu2004")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	p, salt, key, err := parsePHC(h)
	if err != nil || p != currentParams || len(salt) != saltLen || len(key) != int(currentParams.keyLen) {
		t.Errorf("parsePHC = %+v, %d, %d, %v", p, len(salt), len(key), err)
	}
	for pw, want := range map[string]bool{"nanhu2004": true, "nanhu2005": false, "": false} {
		if ok, err := d.verifyPassword(context.Background(), h, pw); err != nil || ok != want {
			t.Errorf("verify(%q) = %v, %v", pw, ok, err)
		}
	}
	// The dummy hash costs what a real one costs.
	if p, _, _, err := parsePHC(d.dummy()); err != nil || p != currentParams {
		t.Errorf("dummy hash %q: %+v %v", d.dummy(), p, err)
	}
}

func TestParsePHCRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
	} {
		if _, _, _, err := parsePHC(s); err == nil {
			t.Errorf("parsePHC(%q) accepted", s)
		}
	}
}

func TestRandomPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := RandomPassword()
		if len(p) != 16 || strings.Trim(p, passwordAlphabet) != "" || seen[p] {
			t.Fatalf("RandomPassword = %q", p)
		}
		seen[p] = true
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		// Accepted hashes have bounded cost and print back the same way.
		if p.memory > 4<<20 || p.time > 64 || p.threads == 0 || len(salt) > 64 || len(key) > 128 {
			t.Fatalf("unbounded parameters accepted: %+v", p)
		}
		p2, salt2, key2, err := parsePHC(formatPHC(p, salt, key))
		if err != nil || p2 != p || string(salt2) != string(salt) || string(key2) != string(key) {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
	})
}
