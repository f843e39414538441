package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nanhu/queue"
	"nanhu/queue/contract"
	"nanhu/smsgateway"
)

// BenchmarkTodoRouting is the queue issue's benchmark, in one run on the
// embedded nsqd: oa.todo events → routing → SMS rows queued in sms.db,
// flat out (events/s) and paced at 1,000 events/s (p50/p99 from publish to
// the SMS row), beside the raw publish→consume rate of the same nsqd with
// an empty handler (the ceiling).
//
//	go test ./cmd/nanhu -run '^$' -bench TodoRouting -benchtime 1x
func BenchmarkTodoRouting(b *testing.B) {
	ts := startTestServer(b, nil)
	ctx := context.Background()
	ev := func(i int, run string) contract.TodoEvent {
		return contract.TodoEvent{V: 1, ID: fmt.Sprintf("%s-%06d", run, i), Type: "created", Todo: contract.Todo{
			ID: fmt.Sprintf("%s-todo-%06d", run, i), Assignee: "zhangwei", Title: "关于加强电子政务建设的通知",
			DocNumber: "秀政发〔2004〕12号", Urgency: "特急", Actions: []string{"approve", "return"}}}
	}
	rows := func() int {
		c, _ := ts.sms.Store().Counts(ctx)
		n := 0
		for _, v := range c {
			n += v
		}
		return n
	}

	// The ceiling: the same nsqd, an empty handler.
	const rawN = 20000
	var got atomic.Int64
	done := make(chan struct{})
	if _, err := queue.Consume(ts.queue, "bench", func(ctx context.Context, a contract.OAAction) error {
		if got.Add(1) == rawN {
			close(done)
		}
		return nil
	}, queue.ConsumerOptions{Concurrency: 8}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	publishAll(b, rawN, func(i int) error {
		return queue.Publish(ctx, ts.queue, contract.OAAction{V: 1, ID: fmt.Sprintf("raw-%06d", i), TodoID: "t", Login: "zhangwei", Action: "approve", Source: "sms", SourceRef: "x"})
	})
	<-done
	raw := float64(rawN) / time.Since(start).Seconds()

	// Flat out through routing.
	const n = 5000
	base := rows()
	start = time.Now()
	publishAll(b, n, func(i int) error { return queue.Publish(ctx, ts.queue, ev(i, "flat")) })
	for rows() < base+n {
		time.Sleep(5 * time.Millisecond)
	}
	flat := float64(n) / time.Since(start).Seconds()

	// Paced at 1,000 events/s: latency from publish to the SMS row.
	const paced = 3000
	base = rows()
	sent := make(map[string]time.Time, paced)
	tick := time.NewTicker(time.Millisecond)
	for i := 0; i < paced; i++ {
		<-tick.C
		e := ev(i, "paced")
		sent[e.ID] = time.Now()
		if err := queue.Publish(ctx, ts.queue, e); err != nil {
			b.Fatal(err)
		}
	}
	tick.Stop()
	for rows() < base+paced {
		time.Sleep(5 * time.Millisecond)
	}
	var lat []time.Duration
	var before int64
	for {
		msgs, err := ts.sms.List(ctx, smsgateway.Filter{BeforeID: before, Limit: 1000})
		if err != nil || len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			for id, at := range sent {
				if strings.Contains(m.IdempotencyKey, id) {
					lat = append(lat, m.CreatedAt.Sub(at))
					delete(sent, id)
					break
				}
			}
			before = m.ID
		}
		if len(sent) == 0 {
			break
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) < paced {
		b.Fatalf("matched %d of %d paced events to SMS rows", len(lat), paced)
	}
	b.ReportMetric(raw, "raw-events/s")
	b.ReportMetric(flat, "routed-events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms@1000/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms@1000/s")
}

func publishAll(b *testing.B, n int, pub func(i int) error) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := pub(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
