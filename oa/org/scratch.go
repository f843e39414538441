package org

import (
	"runtime/debug"
	"sync"
	"time"
)

// scratchReturner hands the memory of password hashing back to the system
// after a storm of logins. Each argon2id hash takes 19 MiB of scratch
// memory; when every mail client of a district reconnects at once (after
// a restart, or a network outage), thousands of hashes leave a heap the
// Go runtime returns to the system only slowly, and the server's resident
// memory stays hundreds of MiB above what it uses. Once the storm is over
// (no hash for a quiet while, after at least min of them), the memory is
// returned at once.
type scratchReturner struct {
	mu      sync.Mutex
	since   int // hashes since the memory was last returned
	timer   *time.Timer
	quiet   time.Duration
	min     int
	release func()
}

func newScratchReturner() *scratchReturner {
	return &scratchReturner{quiet: 2 * time.Second, min: 32, release: debug.FreeOSMemory}
}

// hashed notes that a hash has just finished.
func (r *scratchReturner) hashed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.since++
	if r.since < r.min {
		return
	}
	if r.timer == nil {
		r.timer = time.AfterFunc(r.quiet, r.fire)
	} else {
		r.timer.Reset(r.quiet)
	}
}

// fire returns the memory when enough hashes were made since last time.
func (r *scratchReturner) fire() {
	r.mu.Lock()
	n := r.since
	if n >= r.min {
		r.since = 0
		r.timer = nil
	}
	r.mu.Unlock()
	if n >= r.min {
		r.release()
	}
}

func (r *scratchReturner) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}
