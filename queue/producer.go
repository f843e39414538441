package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nsqio/go-nsq"
)

// errNoNode: no nsqd is known yet (only nsqlookupd was given, and it
// listed none).
var errNoNode = errors.New("no nsqd known")

// publisher sends events to the nsqd nodes: round robin over the nodes
// that answer, the others after them, rounds repeated with backoff.
type publisher struct {
	opts    *Options
	log     *slog.Logger
	metrics *metrics
	// journal: keep what each node acknowledged, to publish it again
	// elsewhere when the node goes away (external nodes only).
	journal bool

	ctx         context.Context // republishing; ends at close, after a grace
	cancel      context.CancelFunc
	watchCtx    context.Context // watch loops; ends when close begins
	watchCancel context.CancelFunc
	watchWG     sync.WaitGroup
	replayWG    sync.WaitGroup

	mu    sync.RWMutex
	nodes []*node
	next  atomic.Uint64
}

// node is one nsqd as the producer sees it.
type node struct {
	addr string
	prod *nsq.Producer
	up   atomic.Bool

	mu      sync.Mutex
	journal []sent
}

// sent is an event a node acknowledged.
type sent struct {
	at    time.Time
	topic string
	body  []byte
}

func newPublisher(opts *Options, log *slog.Logger, m *metrics, journal bool) *publisher {
	p := &publisher{opts: opts, log: log, metrics: m, journal: journal && opts.RepublishWindow > 0}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.watchCtx, p.watchCancel = context.WithCancel(context.Background())
	return p
}

// producerConfig is go-nsq's configuration for producers and watchers.
func (p *publisher) producerConfig() *nsq.Config {
	cfg := nsq.NewConfig()
	cfg.DialTimeout = min(p.opts.PublishTimeout, 2*time.Second)
	return cfg
}

// add starts using the nsqd at addr (once per address); watch makes it
// keep a connection that tells when the node goes away.
func (p *publisher) add(addr string, watch bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.nodes {
		if n.addr == addr {
			return nil
		}
	}
	prod, err := nsq.NewProducer(addr, p.producerConfig())
	if err != nil {
		return fmt.Errorf("queue: producer for nsqd %s: %w", addr, err)
	}
	prod.SetLogger(nsqLogger{p.log.With("nsqd", addr)}, nsqLevel(p.log))
	n := &node{addr: addr, prod: prod}
	n.up.Store(true)
	p.metrics.nodeUp.WithLabelValues(addr).Set(1)
	p.nodes = append(p.nodes, n)
	if watch {
		p.watchWG.Add(1)
		go p.watch(n)
	}
	return nil
}

// order returns the nodes to try for one round: those up, starting at
// the next in turn, then those down. exclude is left out unless it is
// the only node.
func (p *publisher) order(exclude string) []*node {
	p.mu.RLock()
	all := p.nodes
	p.mu.RUnlock()
	if len(all) == 0 {
		return nil
	}
	start := int(p.next.Add(1) % uint64(len(all)))
	var up, down []*node
	for i := range all {
		n := all[(start+i)%len(all)]
		if n.addr == exclude && len(all) > 1 {
			continue
		}
		if n.up.Load() {
			up = append(up, n)
		} else {
			down = append(down, n)
		}
	}
	return append(up, down...)
}

// publish sends bodies to topic on one node, in one command (PUB for one,
// MPUB for several, which nsqd takes all or none of), and returns once a
// node has acknowledged them, or an error after opts.PublishAttempts
// rounds.
func (p *publisher) publish(ctx context.Context, topic string, bodies [][]byte, exclude string) error {
	delay := p.opts.PublishBackoff
	var lastErr error
	for round := 0; round < p.opts.PublishAttempts; round++ {
		if round > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return p.failed(topic, round, fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr))
			case <-t.C:
			}
			delay = min(2*delay, 5*time.Second)
		}
		nodes := p.order(exclude)
		if len(nodes) == 0 {
			lastErr = errNoNode
			continue
		}
		for _, n := range nodes {
			err := p.publishOn(ctx, n, topic, bodies)
			if err == nil {
				p.markUp(n)
				p.metrics.published.WithLabelValues(topic).Add(float64(len(bodies)))
				p.remember(n, topic, bodies)
				return nil
			}
			lastErr = fmt.Errorf("nsqd %s: %w", n.addr, err)
			if ctx.Err() != nil {
				return p.failed(topic, round+1, lastErr)
			}
			if refused(err) {
				return p.failed(topic, round+1, lastErr)
			}
			p.metrics.publishRetry.WithLabelValues(topic).Inc()
			p.markDown(n, err)
		}
	}
	return p.failed(topic, p.opts.PublishAttempts, lastErr)
}

// failed logs and counts an event that was not published.
func (p *publisher) failed(topic string, rounds int, err error) error {
	p.metrics.publishFail.WithLabelValues(topic).Inc()
	p.log.Error("queue: event not published", "topic", topic, "rounds", rounds, "err", err)
	return fmt.Errorf("queue: publish to %s: not acknowledged after %d rounds: %w", topic, rounds, err)
}

// refused reports an error nsqd will give for this message on any node:
// a bad topic name or a message too big.
func refused(err error) bool {
	var pe nsq.ErrProtocol
	if !errors.As(err, &pe) {
		return false
	}
	return strings.HasPrefix(pe.Reason, "E_BAD_TOPIC") || strings.HasPrefix(pe.Reason, "E_BAD_MESSAGE") ||
		strings.HasPrefix(pe.Reason, "E_BAD_BODY")
}

// publishOn publishes once on n, waiting at most PublishTimeout.
func (p *publisher) publishOn(ctx context.Context, n *node, topic string, bodies [][]byte) error {
	done := make(chan *nsq.ProducerTransaction, 1)
	var err error
	if len(bodies) == 1 {
		err = n.prod.PublishAsync(topic, bodies[0], done)
	} else {
		err = n.prod.MultiPublishAsync(topic, bodies, done)
	}
	if err != nil {
		return err
	}
	t := time.NewTimer(p.opts.PublishTimeout)
	defer t.Stop()
	select {
	case tr := <-done:
		return tr.Error
	case <-t.C:
		return fmt.Errorf("no answer in %s", p.opts.PublishTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *publisher) markUp(n *node) {
	if !n.up.Swap(true) {
		p.metrics.nodeUp.WithLabelValues(n.addr).Set(1)
		p.log.Info("queue: nsqd is back", "nsqd", n.addr)
	}
}

func (p *publisher) markDown(n *node, err error) {
	if n.up.Swap(false) {
		p.metrics.nodeUp.WithLabelValues(n.addr).Set(0)
		p.log.Warn("queue: nsqd does not answer; publishing to the others", "nsqd", n.addr, "err", err)
	}
}

// remember keeps what n acknowledged within RepublishWindow.
func (p *publisher) remember(n *node, topic string, bodies [][]byte) {
	if !p.journal {
		return
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, b := range bodies {
		n.journal = append(n.journal, sent{at: now, topic: topic, body: b})
	}
	cut := 0
	for cut < len(n.journal) && (now.Sub(n.journal[cut].at) > p.opts.RepublishWindow || len(n.journal)-cut > p.opts.RepublishMax) {
		cut++
	}
	// Drop from the front in O(cut); append reallocates (and lets the
	// dropped bodies go) when the backing array is full.
	clear(n.journal[:cut])
	n.journal = n.journal[cut:]
}

// watch keeps one connection open to n. nsqd closes it when it stops or
// dies, so its end tells the moment n went away: n is marked down and
// what it acknowledged in the last RepublishWindow is published again
// to the other nodes. While down, the node is retried every
// HealthInterval.
func (p *publisher) watch(n *node) {
	defer p.watchWG.Done()
	for p.watchCtx.Err() == nil {
		closed := make(chan struct{})
		conn := nsq.NewConn(n.addr, p.producerConfig(), &watchDelegate{closed: closed})
		conn.SetLogger(nsqLogger{p.log.With("nsqd", n.addr)}, nsqLevel(p.log), "watch (%s)")
		if _, err := conn.Connect(); err != nil {
			p.markDown(n, err)
			sleep(p.watchCtx, p.opts.HealthInterval)
			continue
		}
		if err := n.prod.Ping(); err == nil {
			p.markUp(n)
		}
		tick := time.NewTicker(p.opts.HealthInterval)
	connected:
		for {
			select {
			case <-closed:
				if p.watchCtx.Err() != nil {
					break connected
				}
				p.markDown(n, errors.New("connection closed by nsqd"))
				p.republish(n)
				break connected
			case <-tick.C:
				if !n.up.Load() && n.prod.Ping() == nil {
					p.markUp(n)
				}
			case <-p.watchCtx.Done():
				conn.Close()
				select {
				case <-closed:
				case <-time.After(time.Second):
				}
				break connected
			}
		}
		tick.Stop()
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// republish publishes again, to the other nodes, what n acknowledged in
// the last RepublishWindow. It waits a moment first, for acknowledgements
// that were on their way when the connection broke.
func (p *publisher) republish(n *node) {
	if !p.journal {
		return
	}
	p.replayWG.Add(1)
	go func() {
		defer p.replayWG.Done()
		sleep(p.ctx, 200*time.Millisecond)
		cutoff := time.Now().Add(-p.opts.RepublishWindow - 200*time.Millisecond)
		n.mu.Lock()
		var again []sent
		for _, s := range n.journal {
			if s.at.After(cutoff) {
				again = append(again, s)
			}
		}
		n.journal = nil
		n.mu.Unlock()
		if len(again) == 0 {
			return
		}
		p.log.Warn("queue: publishing again what a lost nsqd had acknowledged", "nsqd", n.addr, "events", len(again), "window", p.opts.RepublishWindow)
		lost := 0
		for _, s := range again {
			if err := p.publish(p.ctx, s.topic, [][]byte{s.body}, n.addr); err != nil {
				lost++
				p.log.Error("queue: event not published again; it may be lost with the nsqd", "nsqd", n.addr, "topic", s.topic, "body", string(s.body), "err", err)
				continue
			}
			p.metrics.republished.Inc()
		}
		p.log.Info("queue: published again", "nsqd", n.addr, "events", len(again)-lost, "failed", lost)
	}()
}

// close stops the watchers, lets republishing finish for at most wait,
// and stops the producers.
func (p *publisher) close(wait time.Duration) {
	p.watchCancel()
	p.watchWG.Wait()
	done := make(chan struct{})
	go func() {
		p.replayWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		p.log.Warn("queue: closing while events are still being published again", "waited", wait)
		p.cancel()
		<-done
	}
	p.cancel()
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, n := range p.nodes {
		n.prod.Stop()
	}
}

// watchDelegate tells when the watching connection closes.
type watchDelegate struct {
	closed chan struct{}
	once   sync.Once
}

func (d *watchDelegate) OnResponse(*nsq.Conn, []byte)              {}
func (d *watchDelegate) OnError(*nsq.Conn, []byte)                 {}
func (d *watchDelegate) OnMessage(*nsq.Conn, *nsq.Message)         {}
func (d *watchDelegate) OnMessageFinished(*nsq.Conn, *nsq.Message) {}
func (d *watchDelegate) OnMessageRequeued(*nsq.Conn, *nsq.Message) {}
func (d *watchDelegate) OnBackoff(*nsq.Conn)                       {}
func (d *watchDelegate) OnContinue(*nsq.Conn)                      {}
func (d *watchDelegate) OnResume(*nsq.Conn)                        {}
func (d *watchDelegate) OnIOError(c *nsq.Conn, _ error)            { c.Close() }
func (d *watchDelegate) OnHeartbeat(*nsq.Conn)                     {}
func (d *watchDelegate) OnClose(*nsq.Conn)                         { d.once.Do(func() { close(d.closed) }) }
