package org

import (
	"context"

	"nanhu/internal/passhash"
)

// Passwords are kept as internal/passhash keeps them (argon2id, PHC
// strings); the directory adds its bound on how many hashes run at once.

// hashPassword returns the hash of password with the current parameters.
func (d *Directory) hashPassword(ctx context.Context, password string) (string, error) {
	if err := d.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer d.releaseHashSlot()
	return passhash.Hash(password), nil
}

// verifyPassword reports whether password matches the PHC hash. A hash that
// does not parse never matches.
func (d *Directory) verifyPassword(ctx context.Context, hash, password string) (bool, error) {
	if !passhash.Valid(hash) {
		return false, nil
	}
	if err := d.acquireHashSlot(ctx); err != nil {
		return false, err
	}
	defer d.releaseHashSlot()
	return passhash.Verify(hash, password), nil
}

// needsRehash reports whether hash was made with other parameters than the
// current ones.
func needsRehash(hash string) bool { return passhash.NeedsRehash(hash) }

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

// checkPassword validates a new password.
func checkPassword(password string) error {
	if err := passhash.Check(password); err != nil {
		return errorf(ErrInvalid, "%s", err.Error())
	}
	return nil
}

// RandomPassword returns a new random password of 16 characters from an
// alphabet without look-alike characters (about 92 bits).
func RandomPassword() string { return passhash.Random() }
