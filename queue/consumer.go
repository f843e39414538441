package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nsqio/go-nsq"

	"nanhu/queue/contract"
)

// Handler handles one event. Returning nil finishes the message;
// returning an error retries it later (after RequeueDelay, doubling each
// attempt) until MaxAttempts, then dead-letters it; an error wrapped by
// Permanent dead-letters it at once. A handler must be idempotent in
// effect: the queue drops a second delivery of an event id it has
// handled, but after a crash between the handler's work and its
// acknowledgement the event comes again.
type Handler[T contract.Event] func(ctx context.Context, ev T) error

// ErrPermanent marks a failure that no retry can fix; see Permanent.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err so that the message goes to the dead-letter topic
// at once instead of being retried.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ err error }

func (e permanentError) Error() string        { return e.err.Error() }
func (e permanentError) Unwrap() error        { return e.err }
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// ConsumerOptions override the Queue's Options for one consumer.
type ConsumerOptions struct {
	Concurrency int        // handler goroutines
	MaxInFlight int        // messages taken at once over all nodes
	MaxAttempts uint16     // attempts before the dead-letter topic
	DedupStore  DedupStore // persistent memory of handled ids
	// NoDedup turns off dropping redelivered ids (for tests and
	// handlers that want every delivery).
	NoDedup bool
}

// Delivery describes the message a handler is running for.
type Delivery struct {
	Topic, Channel string
	MsgID          string    // NSQ message id
	Attempts       uint16    // 1 on the first delivery
	Timestamp      time.Time // when nsqd took the message
	NSQD           string    // the node it came from
}

type deliveryKey struct{}

// DeliveryFrom returns the message a handler's context is for.
func DeliveryFrom(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

// Consumer is a running subscription of a channel to a topic.
type Consumer struct {
	q              *Queue
	topic, channel string
	dead           string // dead-letter topic; "" when consuming one
	maxAttempts    uint16
	dedup          *dedup
	decode         func([]byte) (string, any, error)
	handle         func(context.Context, any) error
	log            *slog.Logger

	nc       *nsq.Consumer
	stopOnce sync.Once
	stopped  chan struct{}
}

// Consume subscribes channel to T's topic and runs h for each event.
// Every channel gets every event; the consumers of one channel, in this
// process or others, share them. A body that is not a valid T (malformed
// JSON, unknown "v", broken rules) is logged and dead-lettered, never
// given to h.
func Consume[T contract.Event](q *Queue, channel string, h Handler[T], o ...ConsumerOptions) (*Consumer, error) {
	var zero T
	decode := func(body []byte) (string, any, error) {
		ev, err := contract.Decode[T](body)
		if err != nil {
			return eventIDOf(body), nil, err
		}
		return ev.EventID(), ev, nil
	}
	handle := func(ctx context.Context, v any) error { return h(ctx, v.(T)) }
	return q.consume(zero.Topic(), channel, false, decode, handle, o)
}

// ConsumeDeadLetters subscribes channel to topic's dead-letter topic
// ("oa.todo" → "oa.todo.dead"). A failing h is retried without end:
// nothing is dead-lettered twice.
func ConsumeDeadLetters(q *Queue, topic, channel string, h func(ctx context.Context, d contract.DeadLetter) error, o ...ConsumerOptions) (*Consumer, error) {
	decode := func(body []byte) (string, any, error) {
		d, err := contract.DecodeDeadLetter(body)
		if err != nil {
			return "", nil, err
		}
		return "", d, nil
	}
	handle := func(ctx context.Context, v any) error { return h(ctx, v.(contract.DeadLetter)) }
	var co ConsumerOptions
	if len(o) > 0 {
		co = o[0]
	}
	co.NoDedup = true
	return q.consume(topic+q.opts.DeadLetterSuffix, channel, true, decode, handle, []ConsumerOptions{co})
}

// eventIDOf digs the "id" out of a body Decode refused, for the log.
func eventIDOf(body []byte) string {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &head) != nil || len(head.ID) > 128 {
		return ""
	}
	return head.ID
}

func (q *Queue) consume(topic, channel string, isDead bool, decode func([]byte) (string, any, error),
	handle func(context.Context, any) error, o []ConsumerOptions) (*Consumer, error) {
	var co ConsumerOptions
	if len(o) > 0 {
		co = o[0]
	}
	opts := q.opts
	if co.Concurrency <= 0 {
		co.Concurrency = opts.Concurrency
	}
	if co.MaxInFlight <= 0 {
		co.MaxInFlight = opts.MaxInFlight
	}
	if co.MaxInFlight <= 0 {
		co.MaxInFlight = max(2*co.Concurrency, len(opts.NSQDAddrs), 2)
	}
	if co.MaxAttempts == 0 {
		co.MaxAttempts = opts.MaxAttempts
	}
	if co.DedupStore == nil {
		co.DedupStore = opts.DedupStore
	}

	c := &Consumer{
		q: q, topic: topic, channel: channel, maxAttempts: co.MaxAttempts,
		decode: decode, handle: handle, stopped: make(chan struct{}),
		log: q.log.With("topic", topic, "channel", channel),
	}
	if !isDead {
		c.dead = topic + opts.DeadLetterSuffix
	}
	if !co.NoDedup {
		c.dedup = newDedup(topic+"/"+channel, opts.DedupWindow, opts.DedupSize, co.DedupStore)
	}

	cfg := nsq.NewConfig()
	cfg.MaxInFlight = co.MaxInFlight
	cfg.MsgTimeout = opts.MsgTimeout
	cfg.OutputBufferTimeout = opts.OutputBufferTimeout
	cfg.LookupdPollInterval = opts.LookupdPollInterval
	cfg.MaxAttempts = 0 // the queue counts attempts itself, to dead-letter
	cfg.DefaultRequeueDelay = opts.RequeueDelay
	cfg.MaxRequeueDelay = max(opts.MaxRequeueDelay, opts.RequeueDelay)
	nc, err := nsq.NewConsumer(topic, channel, cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: consume %s/%s: %w", topic, channel, err)
	}
	nc.SetLogger(nsqLogger{c.log}, nsqLevel(c.log))
	nc.AddConcurrentHandlers(c, co.Concurrency)
	c.nc = nc

	q.mu.Lock()
	if q.draining {
		q.mu.Unlock()
		nc.Stop()
		return nil, ErrClosed
	}
	q.consumers = append(q.consumers, c)
	q.mu.Unlock()

	switch {
	case q.nsqd != nil:
		c.connect(q.tcpAddr)
	case len(opts.LookupdAddrs) > 0:
		if err := nc.ConnectToNSQLookupds(opts.LookupdAddrs); err != nil {
			c.Stop()
			return nil, fmt.Errorf("queue: consume %s/%s: %w", topic, channel, err)
		}
	default:
		for _, a := range opts.NSQDAddrs {
			c.connect(a)
		}
	}
	c.log.Info("queue: consuming", "concurrency", co.Concurrency, "max_in_flight", co.MaxInFlight, "max_attempts", co.MaxAttempts)
	return c, nil
}

// connect connects to one nsqd, and keeps trying in the background while
// it is down (go-nsq reconnects by itself only to a node it once had).
func (c *Consumer) connect(addr string) {
	err := c.nc.ConnectToNSQD(addr)
	if err == nil || errors.Is(err, nsq.ErrAlreadyConnected) {
		return
	}
	c.log.Warn("queue: nsqd does not answer; retrying", "nsqd", addr, "err", err)
	go func() {
		for {
			select {
			case <-c.stopped:
				return
			case <-time.After(c.q.opts.HealthInterval):
			}
			err := c.nc.ConnectToNSQD(addr)
			if err == nil || errors.Is(err, nsq.ErrAlreadyConnected) {
				c.log.Info("queue: connected", "nsqd", addr)
				return
			}
		}
	}()
}

// Stop stops taking messages and waits for the handlers to finish the
// ones in hand. Queue.Close stops every consumer.
func (c *Consumer) Stop() {
	c.stopOnce.Do(func() {
		close(c.stopped)
		c.nc.Stop()
		<-c.nc.StopChan
		c.log.Info("queue: consumer stopped")
	})
}

// HandleMessage is go-nsq's entry; it answers every message itself.
func (c *Consumer) HandleMessage(m *nsq.Message) error {
	m.DisableAutoResponse()
	c.process(m)
	return nil
}

func (c *Consumer) process(m *nsq.Message) {
	ctx := c.q.handlerCtx
	msgID := string(m.ID[:])
	id, ev, err := c.decode(m.Body)
	if err != nil {
		if c.dead == "" {
			// A dead-letter topic's own garbage: logged and dropped,
			// there is nowhere further to send it.
			c.log.Error("queue: unreadable dead letter dropped", "msg_id", msgID, "err", err, "body", string(m.Body))
			c.metrics("dead")
			m.Finish()
			return
		}
		c.deadLetter(ctx, m, id, causeOf(err), err)
		return
	}
	if c.dedup != nil {
		if !c.dedup.begin(id) {
			// The same event is being handled from another delivery now.
			c.metrics("retry")
			m.RequeueWithoutBackoff(c.q.opts.RequeueDelay)
			return
		}
		defer c.dedup.end(id)
		seen, serr := c.dedup.seen(ctx, id)
		if serr != nil {
			c.log.Warn("queue: dedup store failed; handling the event anyway", "event_id", id, "err", serr)
		}
		if seen {
			c.log.Debug("queue: dropped a redelivered event", "event_id", id, "msg_id", msgID, "attempts", m.Attempts)
			c.metrics("duplicate")
			m.Finish()
			return
		}
	}

	hctx := context.WithValue(ctx, deliveryKey{}, Delivery{
		Topic: c.topic, Channel: c.channel, MsgID: msgID, Attempts: m.Attempts,
		Timestamp: time.Unix(0, m.Timestamp), NSQD: m.NSQDAddress,
	})
	start := time.Now()
	err = c.call(hctx, m, ev)
	c.q.metrics.handlerTime.WithLabelValues(c.topic, c.channel).Observe(time.Since(start).Seconds())
	if err == nil {
		if c.dedup != nil {
			if rerr := c.dedup.remember(ctx, id); rerr != nil {
				c.log.Warn("queue: dedup store failed to remember an event", "event_id", id, "err", rerr)
			}
		}
		c.metrics("done")
		m.Finish()
		return
	}
	switch {
	case c.dead == "":
	case errors.Is(err, ErrPermanent):
		c.deadLetter(ctx, m, id, "permanent", err)
		return
	case m.Attempts >= c.maxAttempts:
		c.deadLetter(ctx, m, id, "failed", err)
		return
	}
	delay := c.requeueDelay(m.Attempts)
	c.log.Warn("queue: handler failed; retrying later", "event_id", id, "msg_id", msgID,
		"attempt", m.Attempts, "max_attempts", c.maxAttempts, "retry_in", delay, "err", err)
	c.metrics("retry")
	m.RequeueWithoutBackoff(delay)
}

// call runs the handler, turning a panic into an error, and keeps the
// message alive (TOUCH) while it runs longer than half of MsgTimeout.
func (c *Consumer) call(ctx context.Context, m *nsq.Message, ev any) (err error) {
	every := c.q.opts.MsgTimeout / 2
	var mu sync.Mutex
	done := false
	var touch *time.Timer
	mu.Lock()
	touch = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			m.Touch()
			touch.Reset(every)
		}
	})
	mu.Unlock()
	defer func() {
		mu.Lock()
		done = true
		touch.Stop()
		mu.Unlock()
		if r := recover(); r != nil {
			c.log.Error("queue: handler panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return c.handle(ctx, ev)
}

// requeueDelay doubles RequeueDelay for each attempt made, up to
// MaxRequeueDelay.
func (c *Consumer) requeueDelay(attempts uint16) time.Duration {
	d := c.q.opts.RequeueDelay
	for i := uint16(1); i < attempts && d < c.q.opts.MaxRequeueDelay; i++ {
		d *= 2
	}
	return min(d, max(c.q.opts.MaxRequeueDelay, c.q.opts.RequeueDelay))
}

func causeOf(err error) string {
	switch {
	case errors.Is(err, contract.ErrVersion):
		return "version"
	case errors.Is(err, contract.ErrInvalid):
		return "invalid"
	}
	return "malformed"
}

// deadLetter publishes the message to the dead-letter topic with why,
// logs it, and finishes it. If the dead-letter topic cannot be reached
// the message is requeued instead: never dropped.
func (c *Consumer) deadLetter(ctx context.Context, m *nsq.Message, eventID, cause string, reason error) {
	d := contract.DeadLetter{
		V: contract.DeadLetterVersion, Topic: c.topic, Channel: c.channel, Reason: reason.Error(), Cause: cause,
		Attempts: int(m.Attempts), MsgID: string(m.ID[:]), EventID: eventID, FailedAt: time.Now(),
	}
	d.SetBody(m.Body)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil { // cannot happen: strings and bytes only
		c.log.Error("queue: dead letter not encoded", "err", err)
	}
	if err := c.q.pub.publish(ctx, c.dead, [][]byte{bytes.TrimRight(buf.Bytes(), "\n")}, ""); err != nil {
		delay := c.requeueDelay(m.Attempts)
		c.log.Error("queue: dead-letter topic unreachable; message requeued", "dead_topic", c.dead, "event_id", eventID, "retry_in", delay, "err", err)
		c.metrics("retry")
		m.RequeueWithoutBackoff(delay)
		return
	}
	c.log.Warn("queue: message dead-lettered", "dead_topic", c.dead, "cause", cause, "reason", reason.Error(),
		"attempts", m.Attempts, "event_id", eventID, "msg_id", d.MsgID)
	c.q.metrics.deadLettered.WithLabelValues(c.topic, cause).Inc()
	c.metrics("dead")
	m.Finish()
}

func (c *Consumer) metrics(outcome string) {
	c.q.metrics.handled.WithLabelValues(c.topic, c.channel, outcome).Inc()
}
