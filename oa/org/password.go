package org

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost parameters. They are written into every
// hash, so they can be raised later without invalidating old passwords.
type argonParams struct {
	time    uint32 // passes
	memory  uint32 // KiB
	threads uint8
	keyLen  uint32
}

// currentParams are modest on purpose: a 2-core server verifies a login in
// a few tens of milliseconds with 19 MiB, and hashSlots bounds how many run
// at once.
var currentParams = argonParams{time: 2, memory: 19 * 1024, threads: 1, keyLen: 32}

const (
	saltLen        = 16
	minPasswordLen = 8
	maxPasswordLen = 1024
)

var b64 = base64.RawStdEncoding

// hashPassword returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func (d *Directory) hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	if err := d.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer d.releaseHashSlot()
	p := currentParams
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
	return formatPHC(p, salt, key), nil
}

func formatPHC(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verifyPassword reports whether password matches the PHC hash. A hash that
// does not parse never matches.
func (d *Directory) verifyPassword(ctx context.Context, hash, password string) (bool, error) {
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, nil
	}
	if err := d.acquireHashSlot(ctx); err != nil {
		return false, err
	}
	defer d.releaseHashSlot()
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether hash was made with other parameters than the
// current ones.
func needsRehash(hash string) bool {
	p, salt, _, err := parsePHC(hash)
	return err != nil || p != currentParams || len(salt) != saltLen
}

func (d *Directory) acquireHashSlot(ctx context.Context) error {
	select {
	case d.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Directory) releaseHashSlot() {
	<-d.hashSlots
	d.scratch.hashed()
}

// parsePHC parses an argon2id PHC string. It bounds every parameter, so a
// damaged or hostile hash cannot make verification take unbounded memory or
// time.
func parsePHC(s string) (p argonParams, salt, key []byte, err error) {
	fail := func(why string) (argonParams, []byte, []byte, error) {
		return argonParams{}, nil, nil, fmt.Errorf("password hash: %s", why)
	}
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return fail("not a PHC string")
	}
	if parts[1] != "argon2id" {
		return fail("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported argon2 version")
	}
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fail("malformed parameter")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fail("malformed parameter value")
		}
		switch k {
		case "m":
			if n < 8 || n > 4<<20 || seen[0] {
				return fail("memory parameter out of range")
			}
			p.memory, seen[0] = uint32(n), true
		case "t":
			if n < 1 || n > 64 || seen[1] {
				return fail("time parameter out of range")
			}
			p.time, seen[1] = uint32(n), true
		case "p":
			if n < 1 || n > 64 || seen[2] {
				return fail("parallelism parameter out of range")
			}
			p.threads, seen[2] = uint8(n), true
		default:
			return fail("unknown parameter")
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return fail("missing parameter")
	}
	if p.memory < 8*uint32(p.threads) {
		return fail("memory parameter too small for parallelism")
	}
	salt, err = b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return fail("bad salt")
	}
	key, err = b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return fail("bad hash")
	}
	p.keyLen = uint32(len(key))
	return p, salt, key, nil
}

// checkPassword validates a new password.
func checkPassword(password string) error {
	switch {
	case len([]rune(password)) < minPasswordLen:
		return errorf(ErrInvalid, "the password must be at least %d characters long", minPasswordLen)
	case len(password) > maxPasswordLen:
		return errorf(ErrInvalid, "the password must be at most %d bytes long", maxPasswordLen)
	case strings.ContainsAny(password, "\r\n\x00"):
		return errorf(ErrInvalid, "the password must not contain line breaks or NUL")
	}
	return nil
}

// passwordAlphabet leaves out characters that are easily confused when read
// aloud or copied from paper (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// RandomPassword returns a new random password of 16 characters from an
// alphabet without look-alike characters (about 92 bits).
func RandomPassword() string {
	return randomFrom(passwordAlphabet, 16)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	limit := byte(256 - 256%len(alphabet))
	buf := make([]byte, 1)
	for i := 0; i < n; {
		rand.Read(buf)
		if buf[0] >= limit {
			continue // reject to keep the distribution uniform
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b)
}
