package smsqueue

import (
	"context"
	"sync"

	"nanhu/queue"
	"nanhu/queue/contract"
)

// Peers remembers which SMS the other gateways of a cluster have taken
// on, from their sms.status events. Each gateway deduplicates notify.sms
// in its own store; a copy of an event that reaches another gateway (the
// publisher sends the events an nsqd acknowledged just before it died to
// another nsqd, and the dead one may still deliver them once it is back)
// would be a second SMS. A gateway that has heard of the key from a peer
// lets the copy go.
//
// It is best effort by design: the channel is ephemeral and the memory
// bounded, and a copy that arrives before the peer's first status is sent.
type Peers struct {
	self string

	mu    sync.Mutex
	keys  map[string]string // idempotency key → the gateway that has it
	order []string          // keys, oldest first, for eviction
	max   int
}

// peerKeys bounds what Peers remembers: days of a district's SMS.
const peerKeys = 200000

// NewPeers returns the memory of the gateway called self (its own events
// are not a peer's).
func NewPeers(self string) *Peers {
	return &Peers{self: self, keys: map[string]string{}, max: peerKeys}
}

// Took tells whether another gateway has the SMS of key, and which.
func (p *Peers) Took(key string) (string, bool) {
	if p == nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	gw, ok := p.keys[key]
	return gw, ok
}

// Heard records a status event.
func (p *Peers) Heard(ev contract.SMSStatus) {
	if ev.Gateway == "" || ev.Gateway == p.self || ev.IdempotencyKey == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.keys[ev.IdempotencyKey]; ok {
		return
	}
	p.keys[ev.IdempotencyKey] = ev.Gateway
	p.order = append(p.order, ev.IdempotencyKey)
	if len(p.order) > p.max {
		// The oldest tenth goes at once, so that the copy is rare.
		drop := len(p.order) - p.max + p.max/10
		for _, k := range p.order[:drop] {
			delete(p.keys, k)
		}
		p.order = append([]string(nil), p.order[drop:]...)
	}
}

// Consume listens to sms.status on an ephemeral channel of this gateway's
// own, so that every gateway hears every status.
func (p *Peers) Consume(q *queue.Queue) (*queue.Consumer, error) {
	return queue.Consume(q, "smsgw-peers-"+p.self+"#ephemeral", func(_ context.Context, ev contract.SMSStatus) error {
		p.Heard(ev)
		return nil
	}, queue.ConsumerOptions{Concurrency: 1, MaxInFlight: 256})
}
