package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nsqio/nsq/nsqd"

	"nanhu/queue/contract"
)

// ErrClosed is returned by Publish and Consume after Close.
var ErrClosed = errors.New("queue: closed")

// Queue publishes and consumes Nanhu's events over NSQ: through an
// nsqd it runs in-process, or through an external cluster.
type Queue struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	pub     *publisher

	nsqd     *nsqd.NSQD // embedded; nil with an external cluster
	nsqdDone chan error
	tcpAddr  string
	httpAddr string

	// handlerCtx is the context handlers run in; it ends when Close
	// has waited DrainTimeout for them.
	handlerCtx    context.Context
	handlerCancel context.CancelFunc
	discoverStop  chan struct{}
	discoverDone  chan struct{}

	mu         sync.Mutex
	consumers  []*Consumer
	draining   bool           // Close began: no new consumers
	closed     bool           // consumers stopped: no new publishes
	publishing sync.WaitGroup // Publish calls in progress
}

// New starts a queue. With no NSQDAddrs and no LookupdAddrs it runs nsqd
// in-process (data in DataDir/nsqd, listeners TCPAddress and
// HTTPAddress); otherwise it runs none and uses the cluster. Nodes that
// are down at start are not an error: publishing and consuming use them
// once they answer. ctx bounds the start.
func New(ctx context.Context, opts Options) (*Queue, error) {
	opts.fill()
	q := &Queue{opts: opts, log: opts.Logger, metrics: newMetrics(opts.Registerer)}
	q.handlerCtx, q.handlerCancel = context.WithCancel(context.Background())
	if opts.embedded() {
		if err := q.startNSQD(); err != nil {
			return nil, err
		}
		q.pub = newPublisher(&q.opts, q.log, q.metrics, false)
		if err := q.pub.add(q.tcpAddr, false); err != nil {
			q.stopNSQD()
			return nil, err
		}
		q.log.Info("queue: embedded nsqd started", "tcp", q.tcpAddr, "http", q.httpAddr, "data", opts.nsqdDataPath())
		return q, nil
	}
	q.pub = newPublisher(&q.opts, q.log, q.metrics, true)
	for _, a := range opts.NSQDAddrs {
		if err := q.pub.add(a, true); err != nil {
			q.pub.close(0)
			return nil, err
		}
	}
	if len(opts.NSQDAddrs) == 0 {
		// Producers learn the nodes from nsqlookupd, now and then on.
		q.discover(ctx)
		q.discoverStop, q.discoverDone = make(chan struct{}), make(chan struct{})
		go q.discoverLoop()
	}
	q.log.Info("queue: using an NSQ cluster", "nsqd", opts.NSQDAddrs, "nsqlookupd", opts.LookupdAddrs)
	return q, nil
}

// startNSQD runs the embedded nsqd.
func (q *Queue) startNSQD() error {
	o := &q.opts
	if o.DataDir == "" {
		return errors.New("queue: Options.DataDir is required for the embedded nsqd")
	}
	path := o.nsqdDataPath()
	if err := os.MkdirAll(path, 0o750); err != nil {
		return fmt.Errorf("queue: embedded nsqd: %w", err)
	}
	no := nsqd.NewOptions()
	no.DataPath = path
	no.TCPAddress = o.TCPAddress
	no.HTTPAddress = o.HTTPAddress
	if o.HTTPAddress == "-" {
		no.HTTPAddress = ""
	}
	no.HTTPSAddress = ""
	if host, _, err := net.SplitHostPort(o.TCPAddress); err == nil && host != "" {
		no.BroadcastAddress = host
	}
	setNSQDLogging(no, q.log.With("nsqd", "embedded"))
	switch {
	case o.MemQueueSize < 0:
		no.MemQueueSize = 0
	case o.MemQueueSize > 0:
		no.MemQueueSize = o.MemQueueSize
	}
	if o.SyncEvery > 0 {
		no.SyncEvery = o.SyncEvery
	}
	if o.SyncTimeout > 0 {
		no.SyncTimeout = o.SyncTimeout
	}
	// nsqd looks for new channels to scan for deferred (requeued) and
	// timed-out messages only this often; its 5 s would hold back the
	// first retries on a new channel.
	no.QueueScanRefreshInterval = 500 * time.Millisecond
	if o.OutputBufferTimeout < no.MinOutputBufferTimeout {
		no.MinOutputBufferTimeout = o.OutputBufferTimeout
	}
	if no.MaxMsgTimeout < o.MsgTimeout {
		no.MaxMsgTimeout = o.MsgTimeout
	}
	n, err := nsqd.New(no)
	if err != nil {
		return fmt.Errorf("queue: embedded nsqd: %w", err)
	}
	// Topics and channels of the last run, with what they kept on disk.
	if err := n.LoadMetadata(); err != nil {
		n.Exit()
		return fmt.Errorf("queue: embedded nsqd: load metadata: %w", err)
	}
	if err := n.PersistMetadata(); err != nil {
		n.Exit()
		return fmt.Errorf("queue: embedded nsqd: persist metadata: %w", err)
	}
	q.nsqd = n
	q.tcpAddr = n.RealTCPAddr().String()
	if no.HTTPAddress != "" {
		q.httpAddr = n.RealHTTPAddr().String()
	}
	q.nsqdDone = make(chan error, 1)
	go func() {
		err := n.Main()
		if err != nil {
			q.log.Error("queue: embedded nsqd stopped", "err", err)
		}
		q.nsqdDone <- err
	}()
	return nil
}

// stopNSQD stops the embedded nsqd; it writes what it holds in memory to
// its disk queues first.
func (q *Queue) stopNSQD() {
	if q.nsqd == nil {
		return
	}
	q.nsqd.Exit()
	select {
	case <-q.nsqdDone:
	case <-time.After(10 * time.Second):
		q.log.Error("queue: embedded nsqd did not stop in 10 s")
	}
}

// TCPAddr is the embedded nsqd's TCP address, as bound; empty with an
// external cluster.
func (q *Queue) TCPAddr() string { return q.tcpAddr }

// HTTPAddr is the embedded nsqd's HTTP address (for /pub, /stats), as
// bound; empty with an external cluster or no HTTP listener.
func (q *Queue) HTTPAddr() string { return q.httpAddr }

// Embedded reports whether the queue runs its own nsqd.
func (q *Queue) Embedded() bool { return q.nsqd != nil }

// Publish validates ev and publishes it on its topic. It returns nil only
// once an nsqd has acknowledged it; otherwise, after retrying with
// backoff over every node (Options.PublishAttempts rounds) or when ctx
// ends, it logs and returns an error, and the event was not published
// (or, after a timeout, perhaps it was: consumers drop a second copy).
// A caller that must not lose the event keeps it until Publish returns
// nil.
func Publish[T contract.Event](ctx context.Context, q *Queue, ev T) error {
	body, err := contract.Encode(ev)
	if err != nil {
		return fmt.Errorf("queue: publish to %s: %w", ev.Topic(), err)
	}
	return q.PublishBody(ctx, ev.Topic(), body)
}

// PublishBatch validates evs, which must all be of one topic, and
// publishes them in one round trip (NSQ's MPUB): cheaper than one Publish
// each when a part has many events in hand, such as an outbox. nsqd takes
// all of them or none; it returns nil only once an nsqd has acknowledged
// them all, and otherwise fails as Publish does, for the whole batch
// (after a timeout perhaps all were published: consumers drop second
// copies). Consumers receive them one by one, in order.
func PublishBatch[T contract.Event](ctx context.Context, q *Queue, evs []T) error {
	if len(evs) == 0 {
		return nil
	}
	if any(evs[0]) == nil {
		return errors.New("queue: publish a batch: event 0 is nil")
	}
	topic := evs[0].Topic()
	bodies := make([][]byte, len(evs))
	for i, ev := range evs {
		if any(ev) == nil {
			return fmt.Errorf("queue: publish a batch to %s: event %d is nil", topic, i)
		}
		if ev.Topic() != topic {
			return fmt.Errorf("queue: publish a batch to %s: event %d is for %s", topic, i, ev.Topic())
		}
		b, err := contract.Encode(ev)
		if err != nil {
			return fmt.Errorf("queue: publish a batch to %s: event %d: %w", topic, i, err)
		}
		bodies[i] = b
	}
	return q.publishBodies(ctx, topic, bodies)
}

// PublishBody publishes body on topic as it is, unchecked. It is for
// tools, tests and forwarding; the parts publish with Publish.
func (q *Queue) PublishBody(ctx context.Context, topic string, body []byte) error {
	return q.publishBodies(ctx, topic, [][]byte{body})
}

func (q *Queue) publishBodies(ctx context.Context, topic string, bodies [][]byte) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.publishing.Add(1)
	q.mu.Unlock()
	defer q.publishing.Done()
	return q.pub.publish(ctx, topic, bodies, "")
}

// Close drains and stops the queue: consumers stop taking messages and
// their handlers finish the ones in hand (they may still publish); then
// Publish is refused, producers stop, and the embedded nsqd writes what
// it holds to disk and stops. After DrainTimeout, handlers still running
// see their context end, and their messages go back to nsqd unfinished.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.draining {
		q.mu.Unlock()
		return nil
	}
	q.draining = true
	consumers := append([]*Consumer(nil), q.consumers...)
	q.mu.Unlock()

	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range consumers {
		wg.Go(c.Stop)
	}
	if !waitTimeout(&wg, q.opts.DrainTimeout) {
		q.log.Warn("queue: handlers still running after the drain timeout; cancelling them", "timeout", q.opts.DrainTimeout)
		q.handlerCancel()
		wg.Wait()
	}
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	if !waitTimeout(&q.publishing, q.opts.DrainTimeout) {
		q.log.Warn("queue: Publish calls still running at close")
	}
	if q.discoverStop != nil {
		close(q.discoverStop)
		<-q.discoverDone
	}
	q.pub.close(q.opts.DrainTimeout)
	q.stopNSQD()
	q.handlerCancel()
	q.log.Info("queue: closed", "consumers", len(consumers), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// waitTimeout waits for wg at most d; false if it had to give up.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// discoverLoop asks nsqlookupd for nodes every LookupdPollInterval.
func (q *Queue) discoverLoop() {
	defer close(q.discoverDone)
	t := time.NewTicker(q.opts.LookupdPollInterval)
	defer t.Stop()
	for {
		select {
		case <-q.discoverStop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			q.discover(ctx)
			cancel()
		}
	}
}

// discover adds the nodes nsqlookupd lists (GET /nodes) to the producer.
func (q *Queue) discover(ctx context.Context) {
	for _, l := range q.opts.LookupdAddrs {
		addrs, err := lookupNodes(ctx, l)
		if err != nil {
			q.log.Warn("queue: nsqlookupd does not answer", "nsqlookupd", l, "err", err)
			continue
		}
		for _, a := range addrs {
			if err := q.pub.add(a, true); err != nil {
				q.log.Warn("queue: nsqd listed by nsqlookupd", "nsqd", a, "err", err)
			}
		}
	}
}

// lookupNodes returns the TCP addresses nsqlookupd at addr lists.
func lookupNodes(ctx context.Context, addr string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/nodes", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.nsq; version=1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /nodes: %s", resp.Status)
	}
	type producer struct {
		BroadcastAddress string `json:"broadcast_address"`
		TCPPort          int    `json:"tcp_port"`
	}
	var body struct {
		Producers []producer `json:"producers"`
		Data      struct {
			Producers []producer `json:"producers"`
		} `json:"data"` // before nsq 1.0
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET /nodes: %w", err)
	}
	var out []string
	for _, p := range append(body.Producers, body.Data.Producers...) {
		out = append(out, net.JoinHostPort(p.BroadcastAddress, strconv.Itoa(p.TCPPort)))
	}
	return out, nil
}

// PublishEvents is PublishBatch for events of any type (all of one
// topic): an outbox's Publisher.
func (q *Queue) PublishEvents(ctx context.Context, evs []contract.Event) error {
	return PublishBatch(ctx, q, evs)
}
