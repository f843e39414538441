package queue

import (
	"context"
	"encoding/binary"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nsqio/go-nsq"

	"nanhu/queue/contract"
)

// Publish→consume through the embedded nsqd with an empty handler: the
// ceiling of anything built on the queue. Each benchmark reports events/s
// and the latency from just before Publish to the handler, p50 and p99.
//
//	go test ./queue -run '^$' -bench . -benchtime 20000x
//
// "max" publishes from 8 goroutines as fast as nsqd acknowledges;
// "1000/s" publishes one event per millisecond (benchtime 5000x is
// enough). "Queue" goes through Publish and Consume (JSON encoding,
// validation, decoding, deduplication); "NSQ" is go-nsq alone with an
// 8-byte body, for comparison.
func BenchmarkQueue(b *testing.B) {
	b.Run("max", func(b *testing.B) { benchQueue(b, 0) })
	b.Run("1000_per_s", func(b *testing.B) { benchQueue(b, time.Millisecond) })
}

func BenchmarkNSQ(b *testing.B) {
	b.Run("max", func(b *testing.B) { benchNSQ(b, 0) })
	b.Run("1000_per_s", func(b *testing.B) { benchNSQ(b, time.Millisecond) })
}

const benchPublishers = 8

func benchEmbedded(b *testing.B) *Queue {
	o := DefaultOptions(b.TempDir())
	o.TCPAddress, o.HTTPAddress = "127.0.0.1:0", "-"
	o.Logger = slog.New(slog.DiscardHandler)
	o.Concurrency = 4
	o.MaxInFlight = 256
	q, err := New(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	return q
}

// latencies records one latency per event and closes done at the last.
type latencies struct {
	d    []time.Duration
	n    atomic.Int64
	done chan struct{}
}

func newLatencies(n int) *latencies {
	return &latencies{d: make([]time.Duration, n), done: make(chan struct{})}
}

func (l *latencies) add(d time.Duration) {
	i := l.n.Add(1)
	if int(i) <= len(l.d) {
		l.d[i-1] = d
	}
	if int(i) == len(l.d) {
		close(l.done)
	}
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	slices.Sort(l.d)
	pct := func(p float64) float64 { return float64(l.d[int(float64(len(l.d)-1)*p)]) / 1e6 }
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// drive calls publish(i) for i in [0, n): from benchPublishers goroutines
// as fast as they go when every is 0, else one at a time, one per every.
func drive(b *testing.B, n int, every time.Duration, publish func(i int) error) {
	if every > 0 {
		start := time.Now()
		for i := range n {
			if d := time.Until(start.Add(time.Duration(i) * every)); d > 0 {
				time.Sleep(d)
			}
			if err := publish(i); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchPublishers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := publish(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func benchQueue(b *testing.B, every time.Duration) {
	q := benchEmbedded(b)
	lat := newLatencies(b.N)
	if _, err := Consume(q, "bench", func(_ context.Context, ev contract.TodoEvent) error {
		lat.add(time.Since(ev.At))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	ev := todo()
	b.ResetTimer()
	start := time.Now()
	drive(b, b.N, every, func(int) error {
		e := ev
		e.ID, e.At = contract.NewID(), time.Now()
		return Publish(context.Background(), q, e)
	})
	<-lat.done
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed)
}

func benchNSQ(b *testing.B, every time.Duration) {
	q := benchEmbedded(b)
	lat := newLatencies(b.N)
	cfg := nsq.NewConfig()
	cfg.MaxInFlight = 256
	cfg.OutputBufferTimeout = q.opts.OutputBufferTimeout
	c, err := nsq.NewConsumer("bench", "bench", cfg)
	if err != nil {
		b.Fatal(err)
	}
	c.SetLogger(nil, nsq.LogLevelError)
	c.AddConcurrentHandlers(nsq.HandlerFunc(func(m *nsq.Message) error {
		lat.add(time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(m.Body)))))
		return nil
	}), 4)
	if err := c.ConnectToNSQD(q.TCPAddr()); err != nil {
		b.Fatal(err)
	}
	defer func() { c.Stop(); <-c.StopChan }()
	p, err := nsq.NewProducer(q.TCPAddr(), nsq.NewConfig())
	if err != nil {
		b.Fatal(err)
	}
	p.SetLogger(nil, nsq.LogLevelError)
	defer p.Stop()
	b.ResetTimer()
	start := time.Now()
	drive(b, b.N, every, func(int) error {
		var body [8]byte
		binary.BigEndian.PutUint64(body[:], uint64(time.Now().UnixNano()))
		return p.Publish("bench", body[:])
	})
	<-lat.done
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed)
}
