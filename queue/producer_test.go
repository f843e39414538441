package queue

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/queue/contract"
)

func TestPublishGivesUpWithAnError(t *testing.T) {
	// An address where nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tl, log := newTestLog(t)
	o := testOptions("", log)
	o.NSQDAddrs = []string{addr}
	o.PublishAttempts = 3
	o.PublishBackoff = 10 * time.Millisecond
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	err = Publish(context.Background(), q, todo())
	if err == nil || !strings.Contains(err.Error(), "not acknowledged after 3 rounds") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v", err)
	}
	if !tl.has("event not published", "topic=oa.todo") {
		t.Fatal("not logged")
	}
	// A context that ends stops the retries early.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	q.opts.PublishAttempts = 1000
	if err := Publish(ctx, q, todo()); err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}

// TestFailoverBetweenNodes runs two embedded queues as the "cluster" and
// a third queue that uses them as external nodes; one node stops in the
// middle.
func TestFailoverBetweenNodes(t *testing.T) {
	a, _ := newTestQueue(t, nil)
	b, _ := newTestQueue(t, nil)
	tl, log := newTestLog(t)
	o := testOptions("", log)
	o.NSQDAddrs = []string{a.TCPAddr(), b.TCPAddr()}
	c, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	got := map[string]int{}
	if _, err := Consume(c, "routing", func(_ context.Context, ev contract.TodoEvent) error {
		mu.Lock()
		got[ev.ID]++
		mu.Unlock()
		return nil
	}, ConsumerOptions{NoDedup: true}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	publish := func(n int) {
		for range n {
			ev := todo()
			ids = append(ids, ev.ID)
			if err := Publish(context.Background(), c, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(20)
	a.Close() // node a stops; what it had is republished to b
	publish(20)
	waitFor(t, 10*time.Second, "every event consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	if !tl.has("does not answer") && !tl.has("connection closed by nsqd") {
		t.Error("the lost node was not noticed")
	}
}

// TestRepublishAfterNodeLoss: events acknowledged by a node that then
// goes away for good are published again to another node. The consumer
// here reads node b only, so without republishing it would never see
// what node a took.
func TestRepublishAfterNodeLoss(t *testing.T) {
	a, _ := newTestQueue(t, nil)
	b, _ := newTestQueue(t, nil)
	_, log := newTestLog(t)
	po := testOptions("", log)
	po.NSQDAddrs = []string{a.TCPAddr(), b.TCPAddr()}
	pub, err := New(context.Background(), po)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	co := testOptions("", log)
	co.NSQDAddrs = []string{b.TCPAddr()}
	sub, err := New(context.Background(), co)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var mu sync.Mutex
	got := map[string]bool{}
	if _, err := Consume(sub, "routing", func(_ context.Context, ev contract.TodoEvent) error {
		mu.Lock()
		got[ev.ID] = true
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 20 {
		ev := todo()
		ids = append(ids, ev.ID)
		if err := Publish(context.Background(), pub, ev); err != nil {
			t.Fatal(err)
		}
	}
	a.Close() // gone for good, with what it took
	waitFor(t, 10*time.Second, "every event on node b", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if !got[id] {
				return false
			}
		}
		return true
	})
	if n := testutilCounter(pub); n < 5 {
		t.Fatalf("%v events republished; round robin gave node a about half of 20", n)
	}
}
