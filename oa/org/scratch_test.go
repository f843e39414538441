package org

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestScratchReturner: the memory goes back once after a storm of at
// least min hashes and a quiet while, and not after a few logins.
func TestScratchReturner(t *testing.T) {
	var released atomic.Int32
	r := &scratchReturner{quiet: 20 * time.Millisecond, min: 4, release: func() { released.Add(1) }}
	defer r.stop()
	for range 3 {
		r.hashed()
	}
	r.fire() // as if the quiet while had passed: too few hashes
	if n := released.Load(); n != 0 {
		t.Fatalf("released after 3 hashes: %d", n)
	}
	for range 5 {
		r.hashed()
	}
	deadline := time.Now().Add(10 * time.Second)
	for released.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the memory was never returned after a storm of 8 hashes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.fire() // the count starts again: nothing more to return
	if n := released.Load(); n != 1 {
		t.Fatalf("released %d times, want once", n)
	}
}
