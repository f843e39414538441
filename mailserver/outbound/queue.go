package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by a Queue after Close.
var ErrClosed = errors.New("outbound queue closed")

// maxSleep bounds how long the scheduler sleeps, so that a clock that jumps
// (or a test clock) is looked at again.
const maxSleep = time.Minute

// Queue is the persistent outbound queue. Its methods are safe for
// concurrent use.
type Queue struct {
	opts Options
	log  *slog.Logger
	st   *store
	wake chan struct{}
	conn chan struct{} // one token per concurrent connection

	delivered, deferred, bounced atomic.Uint64

	// ops is held (shared) by calls that use the database from outside
	// Run, so that Close does not pull it away under them.
	ops sync.RWMutex

	mu         sync.Mutex
	closed     bool
	closing    chan struct{}
	running    bool
	runDone    chan struct{}
	inflight   map[int64]bool // messages being worked on
	noticeBusy bool
}

// New opens (creating or migrating) the queue database. Call Run to start
// delivering.
func New(ctx context.Context, opts Options) (*Queue, error) {
	if opts.Path == "" {
		return nil, errors.New("outbound queue: Options.Path is empty")
	}
	opts = opts.withDefaults()
	switch opts.SmarthostTLS {
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("outbound queue: SmarthostTLS %q is not starttls, tls or none", opts.SmarthostTLS)
	}
	for _, k := range opts.DKIM {
		if k.Domain == "" || k.Selector == "" || k.Signer == nil {
			return nil, fmt.Errorf("outbound queue: DKIM key for %q lacks domain, selector or signer", k.Domain)
		}
	}
	st, err := openStore(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	return &Queue{
		opts:     opts,
		log:      opts.Logger,
		st:       st,
		wake:     make(chan struct{}, 1),
		conn:     make(chan struct{}, opts.Workers),
		closing:  make(chan struct{}),
		inflight: map[int64]bool{},
	}, nil
}

func (q *Queue) now() time.Time { return q.opts.Now() }

// poke wakes the scheduler.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Enqueue stores a message for delivery to rcpts. When it returns nil the
// message is committed to disk. The message is DKIM-signed first when a key
// matches its From domain (or else the envelope sender's); nothing else is
// added. from is the envelope sender, "" for the null sender <>.
func (q *Queue) Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) (int64, error) {
	q.ops.RLock()
	defer q.ops.RUnlock()
	if q.isClosed() {
		return 0, ErrClosed
	}
	if from != "" && !validAddress(from) {
		return 0, fmt.Errorf("enqueue: bad sender address %q", from)
	}
	if len(rcpts) == 0 {
		return 0, errors.New("enqueue: no recipients")
	}
	seen := map[string]bool{}
	var list []string
	for _, r := range rcpts {
		if !validAddress(r) {
			return 0, fmt.Errorf("enqueue: bad recipient address %q", r)
		}
		if k := strings.ToLower(r); !seen[k] {
			seen[k] = true
			list = append(list, r)
		}
	}
	raw = normalizeCRLF(raw)
	signed, err := q.dkimSign(from, raw)
	if err != nil {
		// Unsigned mail may land in spam; refusing it would stop all
		// outbound mail until the key is fixed. Send it and say so.
		q.log.Error("outbound: DKIM signing failed, queueing unsigned", "from", from, "err", err)
		signed = raw
	}
	smtputf8 := !isASCII(from) || !isASCII(headerSection(signed))
	for _, r := range list {
		smtputf8 = smtputf8 || !isASCII(r)
	}
	now := q.now()
	id, err := q.st.insertMessage(ctx, newMessage{
		sender:   from,
		rcpts:    list,
		raw:      signed,
		smtputf8: smtputf8,
		eightbit: !isASCII(signed),
		queuedAt: now,
		firstAt:  now.Add(q.opts.Schedule[0]),
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue message from %s: %w", from, err)
	}
	q.log.Info("outbound: queued", "msg", id, "from", from, "rcpts", len(list), "size", len(signed))
	q.poke()
	return id, nil
}

// Len counts the recipients still to be delivered, over all messages.
func (q *Queue) Len(ctx context.Context) (int, error) {
	q.ops.RLock()
	defer q.ops.RUnlock()
	if q.isClosed() {
		return 0, ErrClosed
	}
	return q.st.queuedCount(ctx)
}

// Kick makes every queued recipient and pending notice due now.
func (q *Queue) Kick() {
	q.ops.RLock()
	defer q.ops.RUnlock()
	if q.isClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.st.retryNow(ctx, q.now()); err != nil {
		q.log.Error("outbound: kick", "err", err)
	}
	q.poke()
}

// Stats counts recipient outcomes since New: each delivery, each deferral
// (a temporary failure that will be retried), each permanent failure.
type Stats struct{ Delivered, Deferred, Bounced uint64 }

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	return Stats{Delivered: q.delivered.Load(), Deferred: q.deferred.Load(), Bounced: q.bounced.Load()}
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Close stops Run (letting it finish or requeue what is in flight) and
// closes the database.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.closing)
	running, done := q.running, q.runDone
	q.mu.Unlock()
	if running {
		<-done
	}
	q.ops.Lock()
	defer q.ops.Unlock()
	return q.st.close()
}

// Run delivers until ctx ends or Close is called. New mail is picked up at
// once. On return, every attempt it started has either finished and been
// recorded, or been cut off and left queued for a prompt retry.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.running {
		q.mu.Unlock()
		return errors.New("outbound queue: Run called twice")
	}
	q.running = true
	done := make(chan struct{})
	q.runDone = done
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
		close(done)
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-q.closing:
			cancel()
		case <-ctx.Done():
		}
	}()

	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := q.schedule(ctx, &wg)
		d := max(next.Sub(q.now()), 0)
		timer.Reset(min(d, maxSleep))
		select {
		case <-ctx.Done():
			q.log.Info("outbound: stopping, waiting for deliveries in flight")
			return ctx.Err()
		case <-q.wake:
		case <-timer.C:
		}
	}
}

// schedule starts the work that is due and returns when to look again.
func (q *Queue) schedule(ctx context.Context, wg *sync.WaitGroup) time.Time {
	now := q.now()
	next := now.Add(maxSleep)
	due, err := q.st.dueTimes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("outbound: reading the queue", "err", err)
		}
		return now.Add(5 * time.Second)
	}
	q.mu.Lock()
	for _, d := range due {
		if q.inflight[d.id] {
			continue // its goroutine pokes when done
		}
		if d.at.After(now) {
			if d.at.Before(next) {
				next = d.at
			}
			continue
		}
		if len(q.inflight) >= q.opts.Workers {
			continue // a finishing message pokes
		}
		q.inflight[d.id] = true
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			q.process(ctx, id)
			q.mu.Lock()
			delete(q.inflight, id)
			q.mu.Unlock()
			q.poke()
		}(d.id)
	}
	busy := q.noticeBusy
	q.mu.Unlock()

	if !busy {
		_, at, ok, err := q.st.nextNotice(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				q.log.Error("outbound: reading notices", "err", err)
			}
		case ok && !at.After(now):
			q.mu.Lock()
			q.noticeBusy = true
			q.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				q.sendNotices(ctx)
				q.mu.Lock()
				q.noticeBusy = false
				q.mu.Unlock()
				q.poke()
			}()
		case ok && at.Before(next):
			next = at
		}
	}
	return next
}

// process makes one pass over a message: an attempt for its due
// recipients, then the state, DSNs and delay notice that follow, all in one
// commit.
func (q *Queue) process(ctx context.Context, id int64) {
	// Bookkeeping must land even while shutting down.
	db := context.WithoutCancel(ctx)
	log := q.log.With("msg", id)
	m, err := q.st.loadMessage(db, id)
	if err != nil {
		if !errors.Is(err, errNoMessage) {
			log.Error("outbound: loading message", "err", err)
		}
		return
	}
	all, err := q.st.recipients(db, id)
	if err != nil {
		log.Error("outbound: loading recipients", "err", err)
		return
	}
	now := q.now()
	deadline := m.queuedAt.Add(q.opts.MaxAge)
	var nDelivered, nBounced, nDeferred uint64
	var due []*recipient
	for i := range all {
		r := &all[i]
		if r.state == "queued" && !r.nextAttempt.After(now) {
			due = append(due, r)
		}
	}

	var changed []recipient
	var bounced []dsnRecipient
	if len(due) > 0 {
		// Commit when to retry before trying: should the process die
		// mid-attempt, these recipients come back then (not at once, so a
		// message that crashes us cannot do so in a loop).
		pending := make([]recipient, len(due))
		for i, r := range due {
			pending[i] = *r
			pending[i].nextAttempt = q.retryAt(now, r.attempts+1, deadline)
		}
		if err := q.st.beginAttempt(db, id, pending, now, q.opts.DelayNotice); err != nil {
			log.Error("outbound: recording attempt start", "err", err)
			return
		}
		if m.firstAttempt.IsZero() {
			m.firstAttempt = now
			m.delayNoticeAt = now.Add(q.opts.DelayNotice)
		}

		results := q.attempt(ctx, m, due)
		end := q.now()
		for i, r := range due {
			res := results[i]
			r.lastAttempt = now
			r.remoteMTA, r.status, r.diagnostic = res.remote, res.status, res.diag
			rlog := log.With("rcpt", r.addr, "host", res.remote, "status", res.status, "diag", res.diag)
			switch res.outcome {
			case delivered:
				r.state = "delivered"
				r.attempts++
				nDelivered++
				rlog.Info("outbound: delivered")
			case failed:
				r.state = "failed"
				r.attempts++
				nBounced++
				rlog.Warn("outbound: failed permanently")
			case deferred:
				r.attempts++
				if !end.Before(deadline) {
					r.state = "failed"
					r.status = "4.4.7" // message expired
					nBounced++
					rlog.Warn("outbound: giving up, queue lifetime over", "attempts", r.attempts)
				} else {
					r.nextAttempt = q.retryAt(end, r.attempts, deadline)
					nDeferred++
					rlog.Info("outbound: deferred", "attempts", r.attempts, "retry_at", r.nextAttempt)
				}
			case aborted:
				r.nextAttempt = end // cut off by shutdown: retry on the next start
				rlog.Info("outbound: attempt interrupted, left queued")
			}
			if r.state == "failed" {
				bounced = append(bounced, dsnRecipient{addr: r.addr, status: r.status, diag: r.diagnostic, remote: r.remoteMTA, lastAttempt: now})
			}
			changed = append(changed, *r)
		}
	}

	now = q.now()
	var notices []newNotice
	if len(bounced) > 0 {
		notices = append(notices, q.notice(m, false, bounced, now))
	}
	clearDelay := false
	if !m.delayNoticeAt.IsZero() && !now.Before(m.delayNoticeAt) {
		clearDelay = true
		var late []dsnRecipient
		for _, r := range all {
			if r.state == "queued" {
				late = append(late, dsnRecipient{addr: r.addr, status: r.status, diag: r.diagnostic, remote: r.remoteMTA, lastAttempt: r.lastAttempt})
			}
		}
		if len(late) > 0 {
			notices = append(notices, q.notice(m, true, late, now))
		}
	}
	// The null sender gets no notices: it is how DSN loops are avoided.
	if m.sender == "" {
		notices = nil
	}
	if len(changed) == 0 && len(notices) == 0 && !clearDelay {
		return
	}
	deleted, err := q.st.finishAttempt(db, id, changed, notices, clearDelay, now)
	if err != nil {
		log.Error("outbound: recording attempt result", "err", err)
		return
	}
	// Counted once the outcome is on disk.
	q.delivered.Add(nDelivered)
	q.bounced.Add(nBounced)
	q.deferred.Add(nDeferred)
	if deleted {
		log.Info("outbound: message done, removed from the queue")
	}
}

// retryAt is when to make attempt n+1 after attempt n failed at t, never
// later than the deadline, so the last try falls on it.
func (q *Queue) retryAt(t time.Time, n int, deadline time.Time) time.Time {
	next := t.Add(q.opts.retryDelay(n))
	if next.After(deadline) && t.Before(deadline) {
		return deadline
	}
	return next
}

func (q *Queue) notice(m *message, delayed bool, rcpts []dsnRecipient, now time.Time) newNotice {
	d := dsn{
		hostname:   q.opts.Hostname,
		delayed:    delayed,
		to:         m.sender,
		arrival:    m.queuedAt,
		retryUntil: m.queuedAt.Add(q.opts.MaxAge),
		rcpts:      rcpts,
		original:   m.raw,
		now:        now,
	}
	kind := "failed"
	if delayed {
		kind = "delayed"
	}
	return newNotice{kind: kind, rcpt: m.sender, raw: d.compose()}
}

// attempt delivers to the due recipients, one connection per domain, the
// domains side by side within the Workers limit. results[i] is for due[i].
func (q *Queue) attempt(ctx context.Context, m *message, due []*recipient) []result {
	results := make([]result, len(due))
	byDomain := map[string][]int{}
	var order []string
	for i, r := range due {
		if _, ok := byDomain[r.domain]; !ok {
			order = append(order, r.domain)
		}
		byDomain[r.domain] = append(byDomain[r.domain], i)
	}
	var wg sync.WaitGroup
	for _, domain := range order {
		idx := byDomain[domain]
		rcpts := make([]recipient, len(idx))
		for j, i := range idx {
			rcpts[j] = *due[i]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res []result
			select {
			case q.conn <- struct{}{}:
				res = q.deliverDomain(ctx, m, domain, rcpts)
				<-q.conn
			case <-ctx.Done():
				res = make([]result, len(rcpts))
				for j := range res {
					res[j] = resultOf(context.Canceled, "")
				}
			}
			for j, i := range idx {
				results[i] = res[j]
			}
		}()
	}
	wg.Wait()
	return results
}

// sendNotices hands due DSNs to the local deliverer, one after another.
// A notice is removed only after the deliverer took it, so a crash in
// between gives the sender a second copy, never none.
func (q *Queue) sendNotices(ctx context.Context) {
	db := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		n, at, ok, err := q.st.nextNotice(db)
		if err != nil {
			q.log.Error("outbound: reading notices", "err", err)
			return
		}
		now := q.now()
		if !ok || at.After(now) {
			return
		}
		log := q.log.With("notice", n.id, "kind", n.kind, "to", n.rcpt)
		if q.opts.Local == nil {
			log.Warn("outbound: no local deliverer, dropping DSN")
		} else if err := q.opts.Local.DeliverLocal(ctx, n.rcpt, n.raw); err != nil {
			if ctx.Err() != nil {
				return
			}
			n.attempts++
			if now.Sub(n.createdAt) >= q.opts.MaxAge {
				log.Error("outbound: giving up on DSN", "attempts", n.attempts, "err", err)
			} else {
				next := now.Add(max(q.opts.retryDelay(n.attempts), time.Second))
				log.Warn("outbound: DSN delivery failed, will retry", "retry_at", next, "err", err)
				if err := q.st.deferNotice(db, n.id, n.attempts, next, err.Error()); err != nil {
					log.Error("outbound: recording DSN retry", "err", err)
					return
				}
				continue
			}
		} else {
			log.Info("outbound: DSN delivered")
		}
		if err := q.st.deleteNotice(db, n.id); err != nil {
			log.Error("outbound: removing delivered DSN", "err", err)
			return
		}
	}
}
