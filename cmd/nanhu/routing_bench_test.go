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

	"nanhu/oa/notifyqueue"
	"nanhu/queue"
	"nanhu/queue/contract"
	"nanhu/smsgateway"
	"nanhu/smsgateway/smsqueue"
)

// BenchmarkTodoRouting is the queue issue's benchmark, in one run on the
// embedded nsqd: oa.todo events → routing → SMS rows queued in sms.db,
// flat out (events/s) and paced at 1,000 events/s (p50/p99 from publish to
// the SMS row), beside the raw publish→consume rate of the same nsqd with
// an empty handler (the ceiling), consumed with the settings routing's
// consumers use, and the rate of a relay over two hops with handlers that
// only pass events on (routing's shape without its work).
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
	// newest is the id of the last SMS row. Rows are only added, with
	// ids one above the last, so the rows since a point are the ids
	// above it: one indexed read, where counting every row each poll
	// would cost more as sms.db grows.
	newest := func() int64 {
		msgs, err := ts.sms.List(ctx, smsgateway.Filter{Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) == 0 {
			return 0
		}
		return msgs[0].ID
	}
	count := func() int {
		c, err := ts.sms.Store().Counts(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, v := range c {
			n += v
		}
		return n
	}
	// waitRows waits for n rows above base, then checks the count.
	waitRows := func(base int64, before, n int) {
		for newest() < base+int64(n) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := count(); got != before+n {
			b.Fatalf("%d SMS rows, want %d", got, before+n)
		}
	}
	if notifyqueue.ConsumerOptions != smsqueue.ConsumerOptions {
		b.Fatalf("routing consumes with %+v, the gateway with %+v: the raw rate below uses one of them", notifyqueue.ConsumerOptions, smsqueue.ConsumerOptions)
	}

	// The ceiling: the same nsqd, an empty handler, routing's consumer
	// settings.
	const rawN = 20000
	var got atomic.Int64
	done := make(chan struct{})
	rawC, err := queue.Consume(ts.queue, "bench", func(ctx context.Context, a contract.OAAction) error {
		if got.Add(1) == rawN {
			close(done)
		}
		return nil
	}, notifyqueue.ConsumerOptions)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	publishAll(b, rawN, func(i int) error {
		return queue.Publish(ctx, ts.queue, contract.OAAction{V: 1, ID: fmt.Sprintf("raw-%06d", i), TodoID: "t", Login: "zhangwei", Action: "approve", Source: "sms", SourceRef: "x"})
	})
	<-done
	raw := float64(rawN) / time.Since(start).Seconds()
	rawC.Stop()

	// The ceiling of routing's shape: two hops, as routing has (oa.todo
	// in, notify.sms out, consumed again), with handlers that only pass
	// the event on (oa.action relayed to sms.status, which serve does
	// not consume).
	var relayed atomic.Int64
	relayDone := make(chan struct{})
	hop1, err := queue.Consume(ts.queue, "relay", func(ctx context.Context, a contract.OAAction) error {
		return queue.Publish(ctx, ts.queue, contract.SMSStatus{V: 1, ID: "st-" + a.ID, SMSID: "1", IdempotencyKey: a.ID, State: contract.SMSQueued, To: "+8613800000102"})
	}, notifyqueue.ConsumerOptions)
	if err != nil {
		b.Fatal(err)
	}
	hop2, err := queue.Consume(ts.queue, "relay", func(ctx context.Context, st contract.SMSStatus) error {
		if relayed.Add(1) == rawN {
			close(relayDone)
		}
		return nil
	}, notifyqueue.ConsumerOptions)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	publishAll(b, rawN, func(i int) error {
		return queue.Publish(ctx, ts.queue, contract.OAAction{V: 1, ID: fmt.Sprintf("relay-%06d", i), TodoID: "t", Login: "zhangwei", Action: "approve", Source: "sms", SourceRef: "x"})
	})
	<-relayDone
	relay := float64(rawN) / time.Since(start).Seconds()
	hop1.Stop()
	hop2.Stop()

	// Flat out through routing.
	const n = 5000
	base, before := newest(), count()
	start = time.Now()
	publishAll(b, n, func(i int) error { return queue.Publish(ctx, ts.queue, ev(i, "flat")) })
	waitRows(base, before, n)
	flat := float64(n) / time.Since(start).Seconds()

	// Paced at 1,000 events/s: latency from publish to the SMS row.
	const paced = 3000
	base, before = newest(), count()
	sent := make(map[string]time.Time, paced)
	start = time.Now()
	for i := 0; i < paced; i++ {
		// Event i goes at start + i ms: a late one is made up for at
		// once, so the rate is 1,000/s over the run.
		if d := time.Until(start.Add(time.Duration(i) * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		e := ev(i, "paced")
		sent[e.ID] = time.Now()
		if err := queue.Publish(ctx, ts.queue, e); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(paced) / time.Since(start).Seconds()
	waitRows(base, before, paced)
	var lat []time.Duration
	var next int64
	for len(sent) > 0 {
		msgs, err := ts.sms.List(ctx, smsgateway.Filter{BeforeID: next, Limit: 1000})
		if err != nil || len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			// The key routing gives the SMS of an event: nt/<event id>/sms.
			id := strings.TrimSuffix(strings.TrimPrefix(m.IdempotencyKey, "nt/"), "/sms")
			if at, ok := sent[id]; ok {
				lat = append(lat, m.CreatedAt.Sub(at))
				delete(sent, id)
			}
			next = m.ID
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) < paced {
		b.Fatalf("matched %d of %d paced events to SMS rows", len(lat), paced)
	}
	b.ReportMetric(raw, "raw-events/s")
	b.ReportMetric(relay, "two-hop-events/s")
	b.ReportMetric(flat, "routed-events/s")
	b.ReportMetric(rate, "paced-events/s")
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
