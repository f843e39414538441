package queue

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// A DedupStore remembers which events a consumer has handled, beyond the
// in-memory window and across restarts, so a part can keep them in its
// own SQLite file (a table of scope, id, time; rows older than the
// queue's DedupWindow may be deleted). Scope is "<topic>/<channel>": the
// same event is handled once per channel.
type DedupStore interface {
	// Seen reports whether id was remembered for scope at or after since.
	Seen(ctx context.Context, scope, id string, since time.Time) (bool, error)
	// Remember records that id was handled for scope at t.
	Remember(ctx context.Context, scope, id string, t time.Time) error
}

// dedup is one consumer's memory of handled event ids: a bounded LRU of
// (id, time) in front of an optional DedupStore, and the set of ids
// whose handler is running now, so that two deliveries of one event are
// never handled at the same time.
type dedup struct {
	window time.Duration
	size   int
	store  DedupStore
	scope  string
	now    func() time.Time

	mu      sync.Mutex
	order   *list.List // of *dedupEntry, most recent at the front
	byID    map[string]*list.Element
	running map[string]bool
}

type dedupEntry struct {
	id string
	at time.Time
}

func newDedup(scope string, window time.Duration, size int, store DedupStore) *dedup {
	return &dedup{
		window: window, size: size, store: store, scope: scope, now: time.Now,
		order: list.New(), byID: make(map[string]*list.Element), running: make(map[string]bool),
	}
}

// seenInMemory reports whether id was handled within the window.
func (d *dedup) seenInMemory(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	el, ok := d.byID[id]
	if !ok {
		return false
	}
	if d.now().Sub(el.Value.(*dedupEntry).at) > d.window {
		d.order.Remove(el)
		delete(d.byID, id)
		return false
	}
	d.order.MoveToFront(el)
	return true
}

// seen asks memory, then the store. A store that fails is logged by the
// caller and taken as "not seen": a duplicate is better than a loss.
func (d *dedup) seen(ctx context.Context, id string) (bool, error) {
	if d.seenInMemory(id) {
		return true, nil
	}
	if d.store == nil {
		return false, nil
	}
	ok, err := d.store.Seen(ctx, d.scope, id, d.now().Add(-d.window))
	if ok {
		d.rememberInMemory(id, d.now())
	}
	return ok, err
}

func (d *dedup) rememberInMemory(id string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.byID[id]; ok {
		el.Value.(*dedupEntry).at = at
		d.order.MoveToFront(el)
		return
	}
	d.byID[id] = d.order.PushFront(&dedupEntry{id: id, at: at})
	for d.order.Len() > d.size {
		last := d.order.Back()
		d.order.Remove(last)
		delete(d.byID, last.Value.(*dedupEntry).id)
	}
}

// remember records id as handled, in memory and in the store.
func (d *dedup) remember(ctx context.Context, id string) error {
	at := d.now()
	d.rememberInMemory(id, at)
	if d.store == nil {
		return nil
	}
	return d.store.Remember(ctx, d.scope, id, at)
}

// begin marks id as being handled; false if it already is.
func (d *dedup) begin(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running[id] {
		return false
	}
	d.running[id] = true
	return true
}

// end clears the mark of begin.
func (d *dedup) end(id string) {
	d.mu.Lock()
	delete(d.running, id)
	d.mu.Unlock()
}
