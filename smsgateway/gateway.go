package smsgateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"nanhu/smsgateway/store"
)

// Message is an outbound SMS with its parts, as sms.db holds it.
type Message = store.Message

// Part is one part of an outbound message.
type Part = store.Part

// State is where a message or a part stands.
type State = store.State

// The states of a message: queued → sending → sent → delivered, or failed.
const (
	Queued    = store.Queued
	Sending   = store.Sending
	Sent      = store.Sent
	Delivered = store.Delivered
	Failed    = store.Failed
)

// Filter selects messages for List.
type Filter = store.Filter

// InboundMessage is a received SMS, its parts joined.
type InboundMessage = store.Inbound

// InboundFilter selects received messages.
type InboundFilter = store.InboundFilter

// Gateway is the SMS gateway: the queue of outbound messages in sms.db,
// the modem pool that sends them, and the reading of inbound messages and
// status reports. Its methods are safe for concurrent use.
type Gateway struct {
	opts   Options
	log    *slog.Logger
	st     *store.Store
	modems []*modem
	met    *metrics
	notes  *notifier

	wake chan struct{} // something changed: a message queued, a modem free or up

	amu sync.Mutex
	asm map[string]*assembler // per modem name

	wg sync.WaitGroup // deliveries in hand

	rmu     sync.Mutex
	running bool
	cancel  context.CancelFunc
	runDone chan struct{}

	closeOnce sync.Once
}

// New opens sms.db (creating it, running migrations) and readies the
// pool; Run starts it. Messages a crash left in "sending" are queued again
// (see the package comment on duplicates). Send may be called before Run:
// messages wait in the queue.
func New(ctx context.Context, opts Options) (*Gateway, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, opts.DBPath, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("smsgateway: %w", err)
	}
	g := &Gateway{
		opts: opts,
		log:  opts.Logger,
		st:   st,
		wake: make(chan struct{}, 1),
		asm:  map[string]*assembler{},
	}
	st.RecordEvents(opts.OnStatus != nil, opts.OnInbound != nil)
	n, err := st.RequeueSending(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("smsgateway: %w", err)
	}
	if n > 0 {
		g.log.Warn("SMS that were being sent when the gateway last stopped are queued again; each may reach its recipient twice", "count", n)
	}
	for _, c := range opts.Modems {
		g.modems = append(g.modems, newModem(g, c))
	}
	g.met = newMetrics(g, opts.Registerer)
	if err := g.resumeReassembly(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("smsgateway: %w", err)
	}
	if len(g.modems) == 0 {
		g.log.Warn("no modem configured: SMS are queued but not sent")
	}
	g.notes = newNotifier(g) // hands over what a crash left undelivered, too
	return g, nil
}

// Run runs the pool until ctx ends or Close is called: every modem is
// opened, initialised and watched, queued messages are sent, inbound ones
// read. It returns after the sends in hand have finished.
func (g *Gateway) Run(ctx context.Context) error {
	g.rmu.Lock()
	if g.running || g.runDone != nil {
		g.rmu.Unlock()
		return errors.New("smsgateway: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	g.running, g.cancel, g.runDone = true, cancel, make(chan struct{})
	g.rmu.Unlock()
	defer close(g.runDone)
	defer cancel()

	var sup sync.WaitGroup
	for _, m := range g.modems {
		sup.Go(func() { m.run(ctx) })
	}
	sup.Go(func() { g.housekeeping(ctx) })
	g.dispatch(ctx)
	g.wg.Wait()
	sup.Wait()
	return nil
}

// Close stops Run, if it runs, waits for it, and closes sms.db.
func (g *Gateway) Close() error {
	var err error
	g.closeOnce.Do(func() {
		g.rmu.Lock()
		cancel, done := g.cancel, g.runDone
		g.running = true // no Run after Close
		if done == nil {
			g.runDone = make(chan struct{})
			close(g.runDone)
		}
		g.rmu.Unlock()
		if cancel != nil {
			cancel()
			<-done
		}
		g.notes.close()
		err = g.st.Close()
	})
	return err
}

// Store is the gateway's database, for backups and tests.
func (g *Gateway) Store() *store.Store { return g.st }

// Modems returns the state of every modem, in configuration order.
func (g *Gateway) Modems() []ModemStatus {
	out := make([]ModemStatus, len(g.modems))
	for i, m := range g.modems {
		out[i] = m.status()
	}
	return out
}

// Inbound lists received messages.
func (g *Gateway) Inbound(ctx context.Context, f InboundFilter) ([]InboundMessage, error) {
	return g.st.ListInbound(ctx, f)
}

// kick wakes the dispatcher.
func (g *Gateway) kick() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// dispatch gives queued messages to free modems, the least recently used
// first, until ctx ends. A modem takes one message at a time.
func (g *Gateway) dispatch(ctx context.Context) {
	for {
		now := time.Now()
		var free []*modem
		var slot time.Time
		for _, m := range g.modems {
			ok, next := m.available(now)
			switch {
			case ok:
				free = append(free, m)
			case !next.IsZero() && (slot.IsZero() || next.Before(slot)):
				slot = next
			}
		}
		wait := 5 * time.Second
		if len(free) > 0 {
			slices.SortStableFunc(free, func(a, b *modem) int { return a.status().LastUsed.Compare(b.status().LastUsed) })
			names := make([]string, len(free))
			for i, m := range free {
				names[i] = m.cfg.Name
			}
			msgs, err := g.st.Claim(ctx, names)
			if err != nil && ctx.Err() == nil {
				g.log.Error("cannot take SMS from the queue", "err", err)
				wait = time.Second
			}
			for i, msg := range msgs {
				if !free[i].assign(ctx, msg) {
					g.requeue(msg, "", 0)
				}
			}
			if len(msgs) > 0 {
				continue
			}
			if due, ok, err := g.st.NextDue(ctx); err == nil && ok {
				wait = min(wait, due.Sub(g.opts.Now()))
			}
		}
		if !slot.IsZero() {
			wait = min(wait, time.Until(slot))
		}
		wait = max(wait, 10*time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-g.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// assign starts sending msg through m; false when m is no longer free.
func (m *modem) assign(ctx context.Context, msg Message) bool {
	m.mu.Lock()
	c := m.conn
	if c == nil || m.st.State != ModemUp || m.st.Busy {
		m.mu.Unlock()
		return false
	}
	m.st.Busy = true
	m.mu.Unlock()
	m.g.wg.Add(1)
	go m.deliver(ctx, c, msg)
	return true
}

// housekeeping fails queued messages whose validity ran out and stores
// inbound messages whose missing parts never came.
func (g *Gateway) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		expired, err := g.st.ExpireQueued(ctx)
		if err != nil && ctx.Err() == nil {
			g.log.Error("cannot expire SMS", "err", err)
		}
		for _, m := range expired {
			g.log.Warn("SMS expired before it could be sent", "id", m.ID, "to", m.To, "last_error", m.Error)
		}
		if len(expired) > 0 {
			g.notes.kick()
		}
		if time.Since(last) >= time.Minute {
			last = time.Now()
			g.expireIncomplete(ctx)
		}
	}
}

// notifier hands the outbox's events (see store.Event) to OnStatus and
// OnInbound, in order, one at a time, off the senders' and readers'
// goroutines, so a slow hook holds up no modem. An event is removed only
// after its hook returned: across a crash, hooks see a change at least
// once.
type notifier struct {
	g      *Gateway
	signal chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

func newNotifier(g *Gateway) *notifier {
	n := &notifier{g: g, signal: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go n.run()
	return n
}

// kick tells the notifier that events may be waiting.
func (n *notifier) kick() {
	select {
	case n.signal <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	defer close(n.done)
	ctx := context.Background()
	for {
		handed, err := n.handOver(ctx)
		if err != nil {
			// Back off a second whatever else happens; at Close the events
			// stay in the outbox for the next start.
			n.g.log.Error("SMS events not handed to the hooks; trying again", "err", err)
			t := time.NewTimer(time.Second)
			select {
			case <-t.C:
				continue
			case <-n.stop:
				t.Stop()
				return
			}
		}
		if handed > 0 {
			continue
		}
		t := time.NewTimer(time.Hour)
		select {
		case <-n.signal:
		case <-t.C:
		case <-n.stop:
			t.Stop()
			return
		}
		t.Stop()
	}
}

// handOver calls the hooks for a batch of events and removes them.
func (n *notifier) handOver(ctx context.Context) (int, error) {
	g := n.g
	evs, err := g.st.Events(ctx, 100)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	ids := make([]int64, 0, len(evs))
	for _, e := range evs {
		switch e.Kind {
		case store.EventStatus:
			if f := g.opts.OnStatus; f != nil {
				m, err := g.st.Get(ctx, e.Ref)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return 0, errors.Join(err, g.st.DoneEvents(ctx, ids))
				}
				if err == nil {
					if herr := f(m); herr != nil {
						// Kept in the outbox: handed over again later.
						return len(ids), errors.Join(fmt.Errorf("status hook: %w", herr), g.st.DoneEvents(ctx, ids))
					}
				}
			}
		case store.EventInbound:
			if f := g.opts.OnInbound; f != nil {
				in, err := g.st.GetInbound(ctx, e.Ref)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return 0, errors.Join(err, g.st.DoneEvents(ctx, ids))
				}
				if err == nil {
					if herr := f(in); herr != nil {
						return len(ids), errors.Join(fmt.Errorf("inbound hook: %w", herr), g.st.DoneEvents(ctx, ids))
					}
				}
			}
		}
		ids = append(ids, e.ID)
	}
	return len(ids), g.st.DoneEvents(ctx, ids)
}

// close hands over what is waiting and stops.
func (n *notifier) close() {
	close(n.stop)
	n.kick()
	<-n.done
}
