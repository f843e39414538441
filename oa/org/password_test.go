package org

import (
	"context"
	"strings"
	"testing"

	"nanhu/internal/passhash"
)

func TestHashFormat(t *testing.T) {
	d := openTest(t)
	h, err := d.hashPassword(context.Background(), "nanhu2004")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	for pw, want := range map[string]bool{"nanhu2004": true, "nanhu2005": false, "": false} {
		if ok, err := d.verifyPassword(context.Background(), h, pw); err != nil || ok != want {
			t.Errorf("verify(%q) = %v, %v", pw, ok, err)
		}
	}
	// The dummy hash costs what a real one costs.
	if p, _, _, err := passhash.Parse(d.dummy()); err != nil || p != passhash.Current {
		t.Errorf("dummy hash %q: %+v %v", d.dummy(), p, err)
	}
	if ok, err := d.verifyPassword(context.Background(), "plain", ""); ok || err != nil {
		t.Errorf("a damaged hash verifies: %v %v", ok, err)
	}
}
