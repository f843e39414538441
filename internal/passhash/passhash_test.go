package passhash

import (
	"strings"
	"testing"
)

func TestHash(t *testing.T) {
	h := Hash("nanhu2004")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if h == Hash("nanhu2004") {
		t.Error("two hashes of one password are equal: salt not random")
	}
	p, salt, key, err := Parse(h)
	if err != nil || p != Current || len(salt) != SaltLen || len(key) != int(Current.KeyLen) {
		t.Errorf("Parse = %+v, %d, %d, %v", p, len(salt), len(key), err)
	}
	for pw, want := range map[string]bool{"nanhu2004": true, "nanhu2005": false, "": false} {
		if got := Verify(h, pw); got != want {
			t.Errorf("Verify(%q) = %v", pw, got)
		}
	}
	if NeedsRehash(h) {
		t.Error("a current hash needs rehashing")
	}
	old := Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32}
	salt = []byte("0123456789abcdef")
	oh := Format(old, salt, Key("pw", salt, old))
	if !Verify(oh, "pw") || !NeedsRehash(oh) {
		t.Errorf("an old hash: verify %v, needs rehash %v", Verify(oh, "pw"), NeedsRehash(oh))
	}
	d := Dummy()
	if p, _, _, err := Parse(d); err != nil || p != Current || Verify(d, "") {
		t.Errorf("dummy hash %q: %+v %v", d, p, err)
	}
}

func TestParseRejects(t *testing.T) {
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
		if _, _, _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
		if Verify(s, "") || Valid(s) {
			t.Errorf("%q verifies", s)
		}
	}
}

func TestCheck(t *testing.T) {
	for pw, want := range map[string]error{"short": ErrTooShort, "长度足够八个汉字啊": nil, "line\nbreak!": ErrControl,
		strings.Repeat("x", MaxLen+1): ErrTooLong, "nanhu2004": nil} {
		if got := Check(pw); got != want {
			t.Errorf("Check(%q) = %v, want %v", pw[:min(len(pw), 20)], got, want)
		}
	}
}

func TestRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Random()
		if len(p) != 16 || strings.Trim(p, Alphabet) != "" || seen[p] {
			t.Fatalf("Random = %q", p)
		}
		seen[p] = true
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Hash("x"))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := Parse(s)
		if err != nil {
			return
		}
		if p.Memory > 4<<20 || p.Time > 64 || len(salt) > 64 || len(key) > 128 {
			t.Fatalf("unbounded parameters accepted: %+v", p)
		}
	})
}
