// Package passhash hashes and checks passwords: argon2id in the PHC
// string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash), with bounded
// parameters on the way in so that a damaged or hostile hash cannot make a
// check take unbounded memory or time. The staff directory and the
// portal's enterprise accounts both keep their passwords this way.
package passhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are written into every hash,
// so they can be raised later without invalidating old passwords.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
}

// Current are modest on purpose: a 2-core server checks a password in a
// few tens of milliseconds with 19 MiB. Callers bound how many checks run
// at once.
var Current = Params{Time: 2, Memory: 19 * 1024, Threads: 1, KeyLen: 32}

const (
	// SaltLen is the length of a new hash's salt.
	SaltLen = 16
	// MinLen and MaxLen bound a new password (characters, bytes).
	MinLen = 8
	MaxLen = 1024
)

var b64 = base64.RawStdEncoding

// Key is argon2id of password with salt and p.
func Key(password string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Hash returns the hash of password with a new random salt and the
// current parameters.
func Hash(password string) string {
	salt := make([]byte, SaltLen)
	rand.Read(salt)
	return Format(Current, salt, Key(password, salt, Current))
}

// Format writes a PHC string.
func Format(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Valid reports whether hash parses: Verify on one that does not costs
// nothing and never matches.
func Valid(hash string) bool {
	_, _, _, err := Parse(hash)
	return err == nil
}

// Verify reports whether password matches hash. A hash that does not
// parse never matches.
func Verify(hash, password string) bool {
	p, salt, key, err := Parse(hash)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(Key(password, salt, p), key) == 1
}

// NeedsRehash reports whether hash was made with other parameters than
// the current ones (or does not parse).
func NeedsRehash(hash string) bool {
	p, salt, _, err := Parse(hash)
	return err != nil || p != Current || len(salt) != SaltLen
}

// Dummy returns a hash with the current parameters that no password
// matches: checking against it costs what a real check costs, so a
// sign-in with an unknown name takes as long as one with a known name.
func Dummy() string {
	salt, key := make([]byte, SaltLen), make([]byte, Current.KeyLen)
	rand.Read(salt)
	rand.Read(key)
	return Format(Current, salt, key)
}

// Parse parses an argon2id PHC string, bounding every parameter.
func Parse(s string) (p Params, salt, key []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("password hash: %s", why)
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
			p.Memory, seen[0] = uint32(n), true
		case "t":
			if n < 1 || n > 64 || seen[1] {
				return fail("time parameter out of range")
			}
			p.Time, seen[1] = uint32(n), true
		case "p":
			if n < 1 || n > 64 || seen[2] {
				return fail("parallelism parameter out of range")
			}
			p.Threads, seen[2] = uint8(n), true
		default:
			return fail("unknown parameter")
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return fail("missing parameter")
	}
	if p.Memory < 8*uint32(p.Threads) {
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
	p.KeyLen = uint32(len(key))
	return p, salt, key, nil
}

// Errors of Check, for callers that explain them in their own words.
var (
	ErrTooShort = fmt.Errorf("the password must be at least %d characters long", MinLen)
	ErrTooLong  = fmt.Errorf("the password must be at most %d bytes long", MaxLen)
	ErrControl  = errors.New("the password must not contain line breaks or NUL")
)

// Check validates a new password.
func Check(password string) error {
	switch {
	case len([]rune(password)) < MinLen:
		return ErrTooShort
	case len(password) > MaxLen:
		return ErrTooLong
	case strings.ContainsAny(password, "\r\n\x00"):
		return ErrControl
	}
	return nil
}

// Alphabet leaves out characters that are easily confused when read aloud
// or copied from paper (0/O, 1/l/I).
const Alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Random returns a new random password of 16 characters from Alphabet
// (about 92 bits).
func Random() string {
	b := make([]byte, 16)
	limit := byte(256 - 256%len(Alphabet))
	buf := make([]byte, 1)
	for i := 0; i < len(b); {
		rand.Read(buf)
		if buf[0] >= limit {
			continue // reject to keep the distribution uniform
		}
		b[i] = Alphabet[int(buf[0])%len(Alphabet)]
		i++
	}
	return string(b)
}
