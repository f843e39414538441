package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"nanhu/internal/workcal"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// ErrNotForUs is HandleInbound's answer to an SMS from a number that no
// user registered: a citizen's message, which is the portal's business.
var ErrNotForUs = errors.New("notify: the SMS is not from a registered mobile")

// Notifier routes to-do notifications and SMS replies. Its methods are
// safe for concurrent use; decisions are taken one at a time.
type Notifier struct {
	opts  Options
	org   Directory
	pub   Publisher
	log   *slog.Logger
	st    *store
	hub   *hub
	quiet quiet
	m     *metrics

	mu        sync.Mutex // one decision at a time
	qmu       sync.Mutex // guards queued and deciding
	queued    []*todoReq // events waiting for a decision
	deciding  bool       // a HandleTodo call is deciding the queued events
	lastPrune time.Time

	outMu    sync.Mutex    // guards the four below
	draining bool          // a drain is publishing the outbox
	drainEnd chan struct{} // closed when that drain ends
	tried    uint64        // st.commits when the last drain that ended began
	outShut  bool          // Close: no more drains

	// The outbox publisher: kicked (buffered) when HandleTodo has
	// committed messages, its context cancelled by Close, outDone closed
	// when it has stopped.
	outKick   chan struct{}
	outCtx    context.Context
	outCancel context.CancelFunc
	outDone   chan struct{}

	done      chan struct{}
	closeOnce sync.Once
}

// New opens notify.db (creating it when needed) and returns a Notifier.
// Call Run for its timers, and Close at the end.
func New(ctx context.Context, opts Options) (*Notifier, error) {
	def := DefaultOptions("")
	switch {
	case opts.Org == nil:
		return nil, errors.New("notify: Options.Org is required")
	case opts.Publisher == nil:
		return nil, errors.New("notify: Options.Publisher is required")
	case opts.DBPath == "":
		return nil, errors.New("notify: Options.DBPath is required")
	}
	for _, d := range []time.Duration{opts.QuietStart, opts.QuietEnd} {
		if d < 0 || d >= 24*time.Hour {
			return nil, fmt.Errorf("notify: quiet hours must lie between 00:00 and 23:59, not %v", d)
		}
	}
	if opts.DigestWindow < 0 {
		return nil, fmt.Errorf("notify: the digest window must not be negative")
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	if opts.Location == nil {
		opts.Location = def.Location
	}
	if opts.IsWorkingDay == nil {
		opts.IsWorkingDay = def.IsWorkingDay
	}
	if opts.EscalateAfter <= 0 {
		opts.EscalateAfter = def.EscalateAfter
	}
	if opts.AwaitReplyFor <= 0 {
		opts.AwaitReplyFor = def.AwaitReplyFor
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = def.Heartbeat
	}
	if opts.Tick <= 0 {
		opts.Tick = def.Tick
	}
	if opts.KeepLog <= 0 {
		opts.KeepLog = def.KeepLog
	}
	if opts.MailFrom == "" {
		opts.MailFrom = def.MailFrom
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.DirectoryTTL == 0 {
		opts.DirectoryTTL = def.DirectoryTTL
	}
	dir := opts.Org
	if opts.DirectoryTTL > 0 {
		dir = newDirCache(opts.Org, opts.DirectoryTTL)
	}
	st, err := openStore(ctx, opts.DBPath)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	n := &Notifier{
		opts:  opts,
		org:   dir,
		pub:   opts.Publisher,
		log:   logger.With("part", "notify"),
		st:    st,
		hub:   newHub(),
		quiet: quiet{opts.QuietStart, opts.QuietEnd},
		done:  make(chan struct{}),

		outKick: make(chan struct{}, 1),
		outDone: make(chan struct{}),
	}
	n.outCtx, n.outCancel = context.WithCancel(context.Background())
	n.m = newMetrics(n, opts.Registerer)
	go n.publishOutbox()
	return n, nil
}

// Close ends the open streams and closes notify.db. Messages not yet
// published stay in its outbox for the next start.
func (n *Notifier) Close() error {
	var err error
	n.closeOnce.Do(func() {
		close(n.done)
		n.outCancel()
		<-n.outDone
		n.hub.close()
		n.mu.Lock()
		n.outMu.Lock()
		for n.draining {
			end := n.drainEnd
			n.outMu.Unlock()
			<-end
			n.outMu.Lock()
		}
		n.outShut = true
		n.outMu.Unlock()
		err = n.st.close()
		n.mu.Unlock()
	})
	return err
}

// Run releases held notifications when their digest window or the quiet
// hours end, sends the 催办 that fall due, and retries messages the queue
// did not take, every Options.Tick, until ctx ends or Close is called.
func (n *Notifier) Run(ctx context.Context) error {
	t := time.NewTicker(n.opts.Tick)
	defer t.Stop()
	for {
		n.runDue(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-n.done:
			return nil
		case <-t.C:
		}
	}
}

func (n *Notifier) now() time.Time { return n.opts.Now().In(n.opts.Location) }

// runDue does what fell due by now.
func (n *Notifier) runDue(ctx context.Context) {
	select {
	case <-n.done:
		return
	default:
	}
	n.drain(ctx, true)
	n.mu.Lock()
	now := n.now()
	logins, err := dueWindows(ctx, n.st.db, now)
	if err != nil {
		n.log.Warn("read due digests", "err", err)
	}
	for _, login := range logins {
		if err := n.flush(ctx, login); err != nil {
			n.log.Warn("release held notifications; retrying", "login", login, "err", err)
		}
	}
	escs, err := dueEscalations(ctx, n.st.db, now)
	if err != nil {
		n.log.Warn("read due 催办", "err", err)
	}
	for _, e := range escs {
		if err := n.escalate(ctx, e); err != nil {
			n.log.Warn("催办 to the leader; retrying", "todo", e.todoID, "err", err)
		}
	}
	if now.Sub(n.lastPrune) >= time.Hour || now.Before(n.lastPrune) {
		if err := prune(ctx, n.st.db, now, n.opts.KeepLog, n.opts.AwaitReplyFor); err != nil {
			n.log.Warn("prune", "err", err)
		}
		n.lastPrune = now
	}
	n.mu.Unlock()
	n.drain(ctx, true)
}

// HandleTodo routes one oa.todo event. It is idempotent by event id: a
// redelivered event does nothing. A nil return means the decisions are
// in notify.db, with the messages they make in its outbox; a publisher
// of the Notifier's own puts those on the queue at once (Run retries
// what the queue did not take), so HandleTodo does not wait for the
// queue. An error means nothing was decided and the event should come
// again.
//
// Concurrent calls share transactions: the call whose turn it is decides
// every event queued by then in one transaction, each in its own
// savepoint so that one event's failure does not undo another's, then
// passes the turn to the first event queued meanwhile. The others only
// wait for their answer: no lock is handed from waiter to waiter.
func (n *Notifier) HandleTodo(ctx context.Context, ev contract.TodoEvent) error {
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	r := &todoReq{ctx: ctx, ev: ev, done: make(chan error, 1), turn: make(chan struct{}, 1)}
	n.qmu.Lock()
	n.queued = append(n.queued, r)
	mine := !n.deciding
	n.deciding = true
	n.qmu.Unlock()
	var err error
	if !mine {
		select {
		case err = <-r.done: // decided in another call's turn
		case <-r.turn:
			mine = true
		}
	}
	if mine {
		n.decideQueued()
		err = <-r.done
	}
	if err != nil {
		return err
	}
	select {
	case n.outKick <- struct{}{}:
	default: // the publisher is kicked already
	}
	return nil
}

// publishOutbox publishes the outbox whenever HandleTodo has committed
// messages to it, until Close.
func (n *Notifier) publishOutbox() {
	defer close(n.outDone)
	for {
		select {
		case <-n.done:
			return
		case <-n.outKick:
			n.drain(n.outCtx, false)
		}
	}
}

// decideQueued decides the events queued by now, then passes the turn
// on.
func (n *Notifier) decideQueued() {
	// Let the goroutines that are about to queue events run first: when
	// the process is busy, the batch grows and one commit serves more
	// events; when it is idle, this returns at once.
	runtime.Gosched()
	n.mu.Lock()
	n.qmu.Lock()
	batch := n.queued
	n.queued = nil
	n.qmu.Unlock()
	n.decide(batch)
	n.mu.Unlock()
	n.qmu.Lock()
	if len(n.queued) > 0 {
		n.queued[0].turn <- struct{}{}
	} else {
		n.deciding = false
	}
	n.qmu.Unlock()
}

// todoReq is an event waiting for a decision.
type todoReq struct {
	ctx  context.Context
	ev   contract.TodoEvent
	done chan error    // buffered: the answer never waits
	turn chan struct{} // buffered: it is this call's turn to decide
}

// maxBatch bounds the events decided in one transaction.
const maxBatch = 64

// decide decides a batch of events, maxBatch to a transaction, and
// answers each. n.mu is held.
func (n *Notifier) decide(batch []*todoReq) {
	for len(batch) > 0 {
		part := batch[:min(len(batch), maxBatch)]
		batch = batch[len(part):]
		errs := make([]error, len(part))
		// The transaction and its statements must not be cancelled by one
		// caller's context: SQLite would roll back the whole batch.
		ctx := context.WithoutCancel(part[0].ctx)
		err := n.st.update(ctx, func(tx *sql.Tx) error {
			now := n.now()
			for i, r := range part {
				errs[i] = n.decideOne(tx, r, now, len(part) > 1)
			}
			if len(part) == 1 {
				return errs[0] // no savepoint: roll the transaction back
			}
			return nil
		})
		for i, r := range part {
			e := errs[i]
			if e == nil {
				e = err // the commit failed
			}
			if e != nil {
				e = fmt.Errorf("notify: oa.todo %s: %w", r.ev.ID, e)
			}
			r.done <- e
		}
	}
}

// decideOne decides one event in tx, in a savepoint when others share it.
func (n *Notifier) decideOne(tx *sql.Tx, r *todoReq, now time.Time, savepoint bool) error {
	ctx := context.WithoutCancel(r.ctx)
	if savepoint {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT ev"); err != nil {
			return err
		}
	}
	o := &op{n: n, ctx: ctx, tx: tx, now: now}
	seen, err := markProcessed(ctx, tx, "todo", r.ev.ID, now)
	if seen {
		n.log.Debug("oa.todo event already handled", "event", r.ev.ID)
	}
	if err == nil && !seen {
		err = o.todoEvent(r.ev)
	}
	if savepoint {
		if err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO ev"); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
		if _, rerr := tx.ExecContext(ctx, "RELEASE ev"); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// op is one decision: its transaction and its time.
type op struct {
	n   *Notifier
	ctx context.Context
	tx  *sql.Tx
	now time.Time
}

// notable are the decisions logged at Info; the rest go to Debug (all of
// them are in notify.db's log).
var notable = map[string]bool{"escalated": true, "action": true, "help": true, "help withheld": true, "refused": true, "skipped": true}

func (o *op) record(e entry) error {
	level := slog.LevelDebug
	if notable[e.decision] {
		level = slog.LevelInfo
	}
	o.n.log.Log(o.ctx, level, "notification "+e.decision, "event", e.eventID, "todo", e.todoID, "login", e.login, "detail", e.detail)
	o.n.m.decisions.WithLabelValues(e.decision).Inc()
	return logDecision(o.ctx, o.tx, o.now, e)
}

func (o *op) todoEvent(ev contract.TodoEvent) error {
	t := ev.Todo
	at := ev.At
	if at.IsZero() {
		at = o.now
	}
	prev, known, err := loadTodo(o.ctx, o.tx, t.ID)
	if err != nil {
		return err
	}
	if known && !prev.open {
		// done is final for a to-do id: a late created or overdue must
		// not wake anyone.
		return o.record(entry{ev.ID, t.ID, t.Assignee, "ignored", string(ev.Type) + " after done"})
	}
	if ev.Type != contract.TodoDone && known && !ev.At.IsZero() && ev.At.Before(prev.lastAt) {
		return o.record(entry{ev.ID, t.ID, t.Assignee, "ignored", string(ev.Type) + " older than the to-do's last event"})
	}
	// Only an event's own "at" orders events: one without it is not
	// stamped with the time it happened to be handled.
	row := todoRow{todo: t, open: true, lastAt: ev.At}
	switch ev.Type {
	case contract.TodoCreated:
		if err := saveTodo(o.ctx, o.tx, row, o.now); err != nil {
			return err
		}
		return o.notify(ev.ID, string(ev.Type), t, kindTodo)

	case contract.TodoReassigned:
		if err := saveTodo(o.ctx, o.tx, row, o.now); err != nil {
			return err
		}
		dropped, err := deletePendingTodo(o.ctx, o.tx, t.ID, t.Assignee)
		if err != nil {
			return err
		}
		if err := deleteAwaitTodo(o.ctx, o.tx, t.ID, t.Assignee); err != nil {
			return err
		}
		from := ev.PreviousAssignee
		if from == "" && known {
			from = prev.todo.Assignee
		}
		if from != "" && from != t.Assignee {
			o.n.hub.send(from, StreamEvent{Type: string(ev.Type), EventID: ev.ID, Todo: t})
		}
		if err := o.record(entry{ev.ID, t.ID, from, "reassigned", fmt.Sprintf("to %s; %d held notification(s) dropped", t.Assignee, dropped)}); err != nil {
			return err
		}
		return o.notify(ev.ID, string(ev.Type), t, kindTodo)

	case contract.TodoDone:
		if known && t.Title == "" {
			assignee := t.Assignee
			t = prev.todo
			t.Assignee = assignee
		}
		row = todoRow{todo: t, open: false, lastAt: ev.At}
		if err := saveTodo(o.ctx, o.tx, row, o.now); err != nil {
			return err
		}
		dropped, err := deletePendingTodo(o.ctx, o.tx, t.ID, "")
		if err != nil {
			return err
		}
		if err := deleteAwaitTodo(o.ctx, o.tx, t.ID, ""); err != nil {
			return err
		}
		esc, err := deleteEscalation(o.ctx, o.tx, t.ID)
		if err != nil {
			return err
		}
		o.n.hub.send(t.Assignee, StreamEvent{Type: string(ev.Type), EventID: ev.ID, Todo: t})
		detail := fmt.Sprintf("%d held notification(s) dropped", dropped)
		if esc {
			detail += ", 催办 cancelled"
		}
		return o.record(entry{ev.ID, t.ID, t.Assignee, "done", detail})

	case contract.TodoOverdue:
		if err := saveTodo(o.ctx, o.tx, row, o.now); err != nil {
			return err
		}
		due := workcal.AddWorkingDays(at.In(o.n.opts.Location), o.n.opts.EscalateAfter, o.n.opts.IsWorkingDay)
		if err := setEscalation(o.ctx, o.tx, t.ID, ev.ID, due); err != nil {
			return err
		}
		if err := o.record(entry{ev.ID, t.ID, t.Assignee, "escalation scheduled", due.Format(time.RFC3339)}); err != nil {
			return err
		}
		return o.notify(ev.ID, string(ev.Type), t, kindOverdue)
	}
	return nil
}

// user looks a recipient up; ok is false (and the reason logged) for an
// unknown or disabled account.
func (o *op) user(eventID, todoID, login string) (org.User, bool, error) {
	u, err := o.n.org.User(o.ctx, login)
	if errors.Is(err, org.ErrNotFound) {
		return u, false, o.record(entry{eventID, todoID, login, "skipped", "no such user in the directory"})
	}
	if err != nil {
		return u, false, fmt.Errorf("look up %s: %w", login, err)
	}
	if u.Disabled {
		return u, false, o.record(entry{eventID, todoID, login, "skipped", "the account is disabled"})
	}
	return u, true, nil
}

func (o *op) prefs(login string) (org.NotifyPrefs, error) {
	p, err := o.n.org.NotifyPrefs(o.ctx, login)
	if errors.Is(err, org.ErrNotFound) {
		return org.DefaultNotifyPrefs(), nil
	}
	if err != nil {
		return p, fmt.Errorf("read the preferences of %s: %w", login, err)
	}
	return p, nil
}

// quietOf returns the quiet hours that apply to a user.
func (n *Notifier) quietOf(p org.NotifyPrefs) quiet {
	if p.Quiet != nil {
		return quiet{p.Quiet.Start, p.Quiet.End}
	}
	return n.quiet
}

// notify tells a to-do's assignee about it: on their stream when they
// are online, else by SMS and mail as their preferences say.
func (o *op) notify(eventID, typ string, t contract.Todo, kind string) error {
	u, ok, err := o.user(eventID, t.ID, t.Assignee)
	if err != nil || !ok {
		return err
	}
	if o.n.hub.send(u.Login, StreamEvent{Type: typ, EventID: eventID, Todo: t}) > 0 {
		return o.record(entry{eventID, t.ID, u.Login, "stream", typ})
	}
	p, err := o.prefs(u.Login)
	if err != nil {
		return err
	}
	return o.deliver(u, p, eventID, "todo."+typ, t, kind, "")
}

// deliver sends an offline user a notification: mail at once when they
// want it (or have no mobile), SMS at once, held for the end of quiet
// hours, or gathered for a digest. assigneeName is for kindEscalation.
func (o *op) deliver(u org.User, p org.NotifyPrefs, eventID, reason string, t contract.Todo, kind, assigneeName string) error {
	if p.Mail || u.Mobile == "" {
		if err := o.mail(u.Login, eventID, reason, t, kind, assigneeName); err != nil {
			return err
		}
	}
	switch {
	case u.Mobile == "":
		return o.record(entry{eventID, t.ID, u.Login, "no sms", "no registered mobile; mailed instead"})
	case !p.SMS:
		return o.record(entry{eventID, t.ID, u.Login, "no sms", fmt.Sprintf("SMS turned off by the user (mail: %v)", p.Mail)})
	}
	urgent := t.Urgency == contract.UrgencyTop
	if q := o.n.quietOf(p); !urgent && q.contains(o.now) {
		until := q.until(o.now)
		if err := addPending(o.ctx, o.tx, pendingRow{u.Login, t.ID, kind, eventID, o.now}); err != nil {
			return err
		}
		at, ok, err := window(o.ctx, o.tx, u.Login)
		if err != nil {
			return err
		}
		if !ok || at.Before(until) {
			if err := setWindow(o.ctx, o.tx, u.Login, until); err != nil {
				return err
			}
		}
		return o.record(entry{eventID, t.ID, u.Login, "held", "quiet hours, until " + until.Format("01-02 15:04")})
	}
	if kind != kindTodo || urgent || o.n.opts.DigestWindow == 0 {
		return o.sms(u, eventID, reason, t, kind, assigneeName)
	}
	at, ok, err := window(o.ctx, o.tx, u.Login)
	if err != nil {
		return err
	}
	if ok {
		// A window is open (or just ended and Run has yet to flush it):
		// this one joins what it holds.
		if err := addPending(o.ctx, o.tx, pendingRow{u.Login, t.ID, kind, eventID, o.now}); err != nil {
			return err
		}
		return o.record(entry{eventID, t.ID, u.Login, "gathered", "digest at " + at.Format("15:04:05")})
	}
	if err := o.sms(u, eventID, reason, t, kind, ""); err != nil {
		return err
	}
	return setWindow(o.ctx, o.tx, u.Login, o.now.Add(o.n.opts.DigestWindow))
}

// sms queues the SMS about one to-do.
func (o *op) sms(u org.User, eventID, reason string, t contract.Todo, kind, assigneeName string) error {
	loc := o.n.opts.Location
	var text, suffix string
	if kind == kindEscalation {
		text, suffix = escalationText(t, assigneeName, loc), "escalate"
	} else {
		suffix = "sms"
		actions := replyActions(t)
		code := ""
		if len(actions) > 0 {
			c, shared, err := await(o.ctx, o.tx, u.Login, t.ID, o.now)
			if err != nil {
				return err
			}
			if shared {
				code = c
			}
		}
		if kind == kindOverdue {
			text = overdueText(t, loc, actions, code)
		} else {
			text = todoText(t, loc, actions, code)
		}
	}
	m := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: u.Mobile, Text: text, Login: u.Login,
		IdempotencyKey: key("nt", eventID, suffix), Reason: reason, TodoID: t.ID}
	if err := enqueue(o.ctx, o.tx, m, o.now); err != nil {
		return err
	}
	return o.record(entry{eventID, t.ID, u.Login, "sms", text})
}

// mail queues the notification mail about one to-do.
func (o *op) mail(login, eventID, reason string, t contract.Todo, kind, assigneeName string) error {
	subject, body := mailFor(t, kind, assigneeName, o.n.opts.Location)
	suffix := "mail"
	if kind == kindEscalation {
		suffix = "escalate-mail"
	}
	m := contract.NotifyMail{V: contract.NotifyMailVersion, ID: contract.NewID(), ToLogin: login, Subject: subject, Body: body,
		From: o.n.opts.MailFrom, IdempotencyKey: key("nt", eventID, suffix), Reason: reason, TodoID: t.ID}
	if err := enqueue(o.ctx, o.tx, m, o.now); err != nil {
		return err
	}
	return o.record(entry{eventID, t.ID, login, "mail", subject})
}

// flush sends what is held for login, now that its window or the quiet
// hours ended: one to-do as its own SMS, several as one digest; 催办 each
// on its own.
func (n *Notifier) flush(ctx context.Context, login string) error {
	return n.st.update(ctx, func(tx *sql.Tx) error {
		o := &op{n: n, ctx: ctx, tx: tx, now: n.now()}
		at, ok, err := window(ctx, tx, login)
		if err != nil || !ok || at.After(o.now) {
			return err
		}
		held, err := pendingOf(ctx, tx, login)
		if err != nil {
			return err
		}
		type item struct {
			pendingRow
			todo contract.Todo
		}
		var live []item
		for _, p := range held {
			r, known, err := loadTodo(ctx, tx, p.todoID)
			if err != nil {
				return err
			}
			if !known || !r.open || (p.kind != kindEscalation && r.todo.Assignee != login) {
				continue
			}
			live = append(live, item{p, r.todo})
		}
		clear := func() error {
			if err := deletePendingOf(ctx, tx, login); err != nil {
				return err
			}
			return deleteWindow(ctx, tx, login)
		}
		if len(live) == 0 {
			return clear()
		}
		u, ok, err := o.user(live[0].eventID, live[0].todoID, login)
		if err != nil {
			return err
		}
		if !ok {
			return clear()
		}
		// Online by now: the stream has them all.
		if n.hub.online(login) {
			rest := live[:0]
			for _, it := range live {
				typ := map[string]string{kindTodo: "created", kindOverdue: "overdue", kindEscalation: "escalated"}[it.kind]
				if n.hub.send(login, StreamEvent{Type: typ, EventID: it.eventID, Todo: it.todo}) > 0 {
					if err := o.record(entry{it.eventID, it.todoID, login, "stream", typ + " (held)"}); err != nil {
						return err
					}
				} else {
					rest = append(rest, it)
				}
			}
			live = rest
			if len(live) == 0 {
				return clear()
			}
		}
		p, err := o.prefs(login)
		if err != nil {
			return err
		}
		if q := n.quietOf(p); q.contains(o.now) {
			return setWindow(ctx, tx, login, q.until(o.now))
		}
		if u.Mobile == "" || !p.SMS {
			// The mail went out when the to-do came.
			if err := o.record(entry{live[0].eventID, "", login, "no sms", fmt.Sprintf("%d held notification(s) dropped: no mobile or SMS off", len(live))}); err != nil {
				return err
			}
			return clear()
		}
		var todos []item
		for _, it := range live {
			switch it.kind {
			case kindTodo:
				todos = append(todos, it)
			case kindOverdue:
				if err := o.sms(u, it.eventID, "todo.overdue", it.todo, kindOverdue, ""); err != nil {
					return err
				}
			case kindEscalation:
				name, err := n.nameOf(ctx, it.todo.Assignee)
				if err != nil {
					return err
				}
				if err := o.sms(u, it.eventID, "todo.escalated", it.todo, kindEscalation, name); err != nil {
					return err
				}
			}
		}
		switch len(todos) {
		case 0:
		case 1:
			if err := o.sms(u, todos[0].eventID, "todo.created", todos[0].todo, kindTodo, ""); err != nil {
				return err
			}
		default:
			titles := make([]string, len(todos))
			ids := make([]string, len(todos))
			for i, it := range todos {
				titles[i], ids[i] = it.todo.Title, it.eventID
			}
			text := digestText(titles)
			slices.Sort(ids)
			m := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: u.Mobile, Text: text, Login: login,
				IdempotencyKey: key("nt", "digest", strings.Join(ids, ",")), Reason: "todo.digest"}
			if err := enqueue(ctx, tx, m, o.now); err != nil {
				return err
			}
			if err := o.record(entry{strings.Join(ids, ","), "", login, "digest", text}); err != nil {
				return err
			}
		}
		if err := deletePendingOf(ctx, tx, login); err != nil {
			return err
		}
		if len(todos) > 0 && n.opts.DigestWindow > 0 {
			return setWindow(ctx, tx, login, o.now.Add(n.opts.DigestWindow))
		}
		return deleteWindow(ctx, tx, login)
	})
}

// nameOf returns a user's display name, or the login when there is none.
func (n *Notifier) nameOf(ctx context.Context, login string) (string, error) {
	u, err := n.org.User(ctx, login)
	if errors.Is(err, org.ErrNotFound) || (err == nil && u.Name == "") {
		return login, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", login, err)
	}
	return u.Name, nil
}

// escalate sends a due 催办 to the leader of the overdue to-do's
// assignee, unless the to-do is done by now.
func (n *Notifier) escalate(ctx context.Context, e escalationRow) error {
	return n.st.update(ctx, func(tx *sql.Tx) error {
		o := &op{n: n, ctx: ctx, tx: tx, now: n.now()}
		if _, err := deleteEscalation(ctx, tx, e.todoID); err != nil {
			return err
		}
		r, known, err := loadTodo(ctx, tx, e.todoID)
		if err != nil {
			return err
		}
		if !known || !r.open {
			return o.record(entry{e.eventID, e.todoID, "", "escalation dropped", "the to-do is done"})
		}
		t := r.todo
		leader, err := n.org.LeaderOf(ctx, t.Assignee)
		if err != nil && !errors.Is(err, org.ErrNotFound) {
			return fmt.Errorf("find the leader of %s: %w", t.Assignee, err)
		}
		if leader == "" {
			return o.record(entry{e.eventID, t.ID, t.Assignee, "escalation dropped", "no leader above " + t.Assignee})
		}
		lu, ok, err := o.user(e.eventID, t.ID, leader)
		if err != nil || !ok {
			return err
		}
		name, err := n.nameOf(ctx, t.Assignee)
		if err != nil {
			return err
		}
		if err := o.record(entry{e.eventID, t.ID, leader, "escalated", "催办 of " + t.Assignee + "'s to-do"}); err != nil {
			return err
		}
		if n.hub.send(leader, StreamEvent{Type: "escalated", EventID: e.eventID, Todo: t, AssigneeName: name}) > 0 {
			return o.record(entry{e.eventID, t.ID, leader, "stream", "escalated"})
		}
		p, err := o.prefs(leader)
		if err != nil {
			return err
		}
		return o.deliver(lu, p, e.eventID, "todo.escalated", t, kindEscalation, name)
	})
}

// outboxChunk is how many outbox rows drain reads, publishes and deletes
// at a time.
const outboxChunk = 256

// drain publishes the outbox in order, deleting what the queue took; it
// stops at the first failure and leaves the rest for Run. Consecutive
// messages of one topic go in one round trip when the Publisher is a
// BatchPublisher.
//
// One drain runs at a time. Unless force is set, a call returns without
// publishing once a drain that began after every commit made before the
// call has ended: when many handlers finish together, one publishes for
// all, and the others wait for it together rather than one after
// another. Run forces a drain, to retry what the queue did not take.
func (n *Notifier) drain(ctx context.Context, force bool) {
	upTo := n.st.commits.Load()
	n.outMu.Lock()
	for {
		if n.outShut || (!force && n.tried >= upTo) {
			n.outMu.Unlock()
			return
		}
		if !n.draining {
			break
		}
		end := n.drainEnd
		n.outMu.Unlock()
		select {
		case <-end:
		case <-ctx.Done():
			return
		}
		n.outMu.Lock()
	}
	n.draining = true
	n.drainEnd = make(chan struct{})
	start := n.st.commits.Load()
	n.outMu.Unlock()

	n.drainOutbox(ctx)

	n.outMu.Lock()
	n.draining = false
	n.tried = max(n.tried, start)
	close(n.drainEnd)
	n.outMu.Unlock()
}

// drainOutbox publishes the outbox until it is empty or the queue fails.
func (n *Notifier) drainOutbox(ctx context.Context) {
	for {
		rows, err := outboxRows(ctx, n.st.db, outboxChunk)
		if err != nil {
			n.log.Warn("read the outbox", "err", err)
			return
		}
		if len(rows) == 0 {
			return
		}
		sent, failed := n.publishRows(ctx, rows)
		if err := deleteOutbox(ctx, n.st.db, sent); err != nil {
			n.log.Warn("clear the outbox", "err", err)
			return
		}
		if failed || len(rows) < outboxChunk {
			return
		}
	}
}

// publishRows publishes rows in order and returns the ids of those done
// with (published, or dropped as undecodable); failed says it stopped at
// a message the queue did not take.
func (n *Notifier) publishRows(ctx context.Context, rows []outRow) (done []int64, failed bool) {
	bp, batching := n.pub.(BatchPublisher)
	var run []contract.Event // consecutive messages of one topic
	var runIDs []int64
	flush := func() bool {
		defer func() { run, runIDs = nil, nil }()
		if batching && len(run) > 1 {
			if err := bp.PublishBatch(ctx, run); err != nil {
				n.log.Warn("publish; will retry", "topic", run[0].Topic(), "messages", len(run), "err", err)
				return false
			}
			done = append(done, runIDs...)
			return true
		}
		for i, ev := range run {
			if err := n.publish(ctx, ev); err != nil {
				n.log.Warn("publish; will retry", "topic", ev.Topic(), "err", err)
				return false
			}
			done = append(done, runIDs[i])
		}
		return true
	}
	for _, r := range rows {
		ev, err := decodeRow(r)
		if err != nil {
			n.log.Error("outbox message dropped", "topic", r.topic, "err", err)
			done = append(done, r.id)
			continue
		}
		if len(run) > 0 && run[0].Topic() != ev.Topic() && !flush() {
			return done, true
		}
		run, runIDs = append(run, ev), append(runIDs, r.id)
	}
	return done, !flush()
}

var errUndecodable = errors.New("undecodable outbox message")

// decodeRow reads an outbox row back as the message it holds.
func decodeRow(r outRow) (contract.Event, error) {
	body := []byte(r.body)
	var ev contract.Event
	var err error
	switch r.topic {
	case contract.TopicNotifySMS:
		ev, err = contract.Decode[contract.NotifySMS](body)
	case contract.TopicNotifyMail:
		ev, err = contract.Decode[contract.NotifyMail](body)
	case contract.TopicOAAction:
		ev, err = contract.Decode[contract.OAAction](body)
	default:
		return nil, fmt.Errorf("%w: topic %q", errUndecodable, r.topic)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUndecodable, err)
	}
	return ev, nil
}

// publish hands one message to the Publisher.
func (n *Notifier) publish(ctx context.Context, ev contract.Event) error {
	switch m := ev.(type) {
	case contract.NotifySMS:
		return n.pub.PublishSMS(ctx, m)
	case contract.NotifyMail:
		return n.pub.PublishMail(ctx, m)
	case contract.OAAction:
		return n.pub.PublishAction(ctx, m)
	}
	return fmt.Errorf("%w: %T", errUndecodable, ev)
}

// key makes an idempotency key or event id from its parts, e.g.
// "nt/<event id>/sms"; one longer than the contracts allow (128) is
// replaced by a hash of itself.
func key(parts ...string) string {
	k := strings.Join(parts, "/")
	if len(k) <= 128 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return parts[0] + "/h/" + hex.EncodeToString(sum[:20])
}
