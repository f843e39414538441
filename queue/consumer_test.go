package queue

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nanhu/queue/contract"
)

func todo() contract.TodoEvent { return samples()[0].(contract.TodoEvent) }

// deadLetters collects topic's dead letters.
func deadLetters(t *testing.T, q *Queue, topic string) <-chan contract.DeadLetter {
	ch := make(chan contract.DeadLetter, 16)
	c, err := ConsumeDeadLetters(q, topic, "test", func(_ context.Context, d contract.DeadLetter) error {
		ch <- d
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return ch
}

func TestRedeliveredIDDropped(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	var calls atomic.Int32
	got := make(chan string, 4)
	_, err := Consume(q, "routing", func(_ context.Context, ev contract.TodoEvent) error {
		calls.Add(1)
		got <- ev.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := todo()
	for range 3 { // the same event published three times: a producer's retries
		if err := Publish(context.Background(), q, ev); err != nil {
			t.Fatal(err)
		}
	}
	other := todo() // a new id: handled
	if err := Publish(context.Background(), q, other); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "four deliveries", func() bool {
		return outcome(q, contract.TopicTodo, "routing", "done")+outcome(q, contract.TopicTodo, "routing", "duplicate") == 4
	})
	if n := calls.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2", n)
	}
	if d := outcome(q, contract.TopicTodo, "routing", "duplicate"); d != 2 {
		t.Fatalf("%d duplicates dropped, want 2", d)
	}
}

// mapStore is a DedupStore in a map, standing in for a part's SQLite.
type mapStore struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *mapStore) Seen(_ context.Context, scope, id string, since time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.m[scope+" "+id]
	return ok && !at.Before(since), nil
}

func (s *mapStore) Remember(_ context.Context, scope, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[scope+" "+id] = at
	return nil
}

func TestDedupStoreAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	store := &mapStore{m: map[string]time.Time{}}
	_, log := newTestLog(t)
	ev := todo()
	var calls atomic.Int32
	h := func(context.Context, contract.TodoEvent) error { calls.Add(1); return nil }
	for run := range 2 {
		o := testOptions(dir, log)
		o.DedupStore = store
		q, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Consume(q, "routing", h); err != nil {
			t.Fatal(err)
		}
		if err := Publish(context.Background(), q, ev); err != nil {
			t.Fatal(err)
		}
		want := "done"
		if run == 1 {
			want = "duplicate" // a fresh process: memory is empty, the store remembers
		}
		waitFor(t, 5*time.Second, want, func() bool { return outcome(q, contract.TopicTodo, "routing", want) == 1 })
		q.Close()
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times over two processes, want 1", n)
	}
	if _, ok := store.m[contract.TopicTodo+"/routing "+ev.ID]; !ok {
		t.Fatalf("store has %v", store.m)
	}
}

func TestPoisonMessageDeadLettered(t *testing.T) {
	q, tl := newTestQueue(t, func(o *Options) { o.MaxAttempts = 3 })
	dead := deadLetters(t, q, contract.TopicNotifySMS)
	var calls atomic.Int32
	_, err := Consume(q, "smsgw", func(context.Context, contract.NotifySMS) error {
		calls.Add(1)
		return errors.New("modem says +CMS ERROR: 500")
	})
	if err != nil {
		t.Fatal(err)
	}
	sms := samples()[1].(contract.NotifySMS)
	body, _ := contract.Encode(sms)
	if err := Publish(context.Background(), q, sms); err != nil {
		t.Fatal(err)
	}
	d := recv(t, dead, 10*time.Second)
	if d.Topic != contract.TopicNotifySMS || d.Channel != "smsgw" || d.Cause != "failed" || d.Attempts != 3 ||
		d.EventID != sms.ID || !strings.Contains(d.Reason, "+CMS ERROR: 500") || string(d.Original()) != string(body) {
		t.Fatalf("dead letter %+v", d)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("handler ran %d times, want 3", n)
	}
	waitFor(t, 2*time.Second, "a log line that says why it was dead-lettered", func() bool {
		return tl.has("message dead-lettered", "dead_topic=notify.sms.dead", "cause=failed", "CMS ERROR: 500")
	})
	none(t, dead, 300*time.Millisecond)
}

func TestPermanentErrorDeadLetteredAtOnce(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	dead := deadLetters(t, q, contract.TopicOAAction)
	_, err := Consume(q, "oa", func(context.Context, contract.OAAction) error {
		return Permanent(errors.New("to-do todo-8812 allows no \"approve\" now"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Publish(context.Background(), q, samples()[5].(contract.OAAction)); err != nil {
		t.Fatal(err)
	}
	d := recv(t, dead, 5*time.Second)
	if d.Cause != "permanent" || d.Attempts != 1 {
		t.Fatalf("dead letter %+v", d)
	}
}

func TestMalformedDeadLetteredConsumerGoesOn(t *testing.T) {
	q, tl := newTestQueue(t, nil)
	dead := deadLetters(t, q, contract.TopicTodo)
	got := make(chan string, 4)
	_, err := Consume(q, "routing", func(_ context.Context, ev contract.TodoEvent) error {
		got <- ev.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := todo()
	good, _ := contract.Encode(ev)
	bad := []struct{ body, cause string }{
		{`{"v":1,"id":"x","type":"created","todo":{`, "malformed"},
		{"\xff\xfe garbage", "malformed"},
		{strings.Replace(string(good), `"v":1`, `"v":2`, 1), "version"},
		{strings.Replace(string(good), `"特急"`, `"很急"`, 1), "invalid"},
	}
	for _, b := range bad {
		if err := q.PublishBody(context.Background(), contract.TopicTodo, []byte(b.body)); err != nil {
			t.Fatal(err)
		}
	}
	for range bad {
		d := recv(t, dead, 5*time.Second)
		var want string
		for _, b := range bad {
			if string(d.Original()) == b.body {
				want = b.cause
			}
		}
		if want == "" || d.Cause != want || d.Attempts != 1 {
			t.Fatalf("dead letter %+v (cause want %q)", d, want)
		}
	}
	waitFor(t, 2*time.Second, "the log line for the unknown version", func() bool {
		return tl.has("message dead-lettered", "cause=version", "this build reads version 1")
	})
	// The consumer is alive and well.
	if err := q.PublishBody(context.Background(), contract.TopicTodo, good); err != nil {
		t.Fatal(err)
	}
	if id := recv(t, got, 5*time.Second); id != ev.ID {
		t.Fatalf("got %s", id)
	}
}

func TestHandlerPanicRetried(t *testing.T) {
	q, tl := newTestQueue(t, nil)
	var calls atomic.Int32
	done := make(chan struct{})
	_, err := Consume(q, "mail", func(context.Context, contract.NotifyMail) error {
		if calls.Add(1) == 1 {
			panic("nil map in the mail store")
		}
		close(done)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Publish(context.Background(), q, samples()[2].(contract.NotifyMail)); err != nil {
		t.Fatal(err)
	}
	recv(t, done, 5*time.Second)
	if !tl.has("handler panicked", "nil map in the mail store") {
		t.Fatal("panic not logged")
	}
}

func TestSameEventNotHandledTwiceAtOnce(t *testing.T) {
	q, _ := newTestQueue(t, func(o *Options) { o.Concurrency = 4 })
	var running, most, calls atomic.Int32
	_, err := Consume(q, "smsgw", func(context.Context, contract.NotifySMS) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		calls.Add(1)
		time.Sleep(300 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sms := samples()[1].(contract.NotifySMS)
	for range 3 {
		if err := Publish(context.Background(), q, sms); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "two duplicates dropped", func() bool { return outcome(q, contract.TopicNotifySMS, "smsgw", "duplicate") == 2 })
	if calls.Load() != 1 || most.Load() != 1 {
		t.Fatalf("handler ran %d times, %d at once", calls.Load(), most.Load())
	}
}

func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	_, log := newTestLog(t)
	q, err := New(context.Background(), testOptions(dir, log))
	if err != nil {
		t.Fatal(err)
	}
	started, finished := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	_, err = Consume(q, "routing", func(ctx context.Context, _ contract.TodoEvent) error {
		calls.Add(1)
		close(started)
		select {
		case <-time.After(1500 * time.Millisecond): // a slow handler
		case <-ctx.Done():
			return ctx.Err()
		}
		close(finished)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Publish(context.Background(), q, todo()); err != nil {
		t.Fatal(err)
	}
	recv(t, started, 5*time.Second)
	q.Close()
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the handler finished")
	}
	if outcome(q, contract.TopicTodo, "routing", "done") != 1 {
		t.Fatal("message not finished")
	}

	// Start again on the same data: the message was FIN'd, so the
	// channel is empty and nothing comes back.
	q2, err := New(context.Background(), testOptions(dir, log))
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if depth := channelDepth(t, q2, contract.TopicTodo, "routing"); depth != 0 {
		t.Fatalf("channel depth after restart %d, want 0", depth)
	}
	again := make(chan struct{}, 1)
	if _, err := Consume(q2, "routing", func(context.Context, contract.TodoEvent) error { again <- struct{}{}; return nil }); err != nil {
		t.Fatal(err)
	}
	none(t, again, time.Second)
	if calls.Load() != 1 {
		t.Fatalf("handler ran %d times", calls.Load())
	}
}

func TestCloseKeepsUnhandledMessages(t *testing.T) {
	// Messages published but not consumed survive Close: nsqd writes
	// them to disk, and the next start delivers them.
	dir := t.TempDir()
	_, log := newTestLog(t)
	q, err := New(context.Background(), testOptions(dir, log))
	if err != nil {
		t.Fatal(err)
	}
	// A channel must exist for nsqd to keep messages for it.
	c, err := Consume(q, "routing", func(context.Context, contract.TodoEvent) error { return errors.New("not now") },
		ConsumerOptions{MaxAttempts: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	ev := todo()
	if err := Publish(context.Background(), q, ev); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q2, err := New(context.Background(), testOptions(dir, log))
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	got := make(chan string, 1)
	if _, err := Consume(q2, "routing", func(_ context.Context, e contract.TodoEvent) error { got <- e.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	if id := recv(t, got, 5*time.Second); id != ev.ID {
		t.Fatalf("got %s", id)
	}
}

// channelDepth reads a channel's depth plus in-flight and deferred
// counts from the embedded nsqd's /stats.
func channelDepth(t *testing.T, q *Queue, topic, channel string) int {
	t.Helper()
	resp, err := http.Get("http://" + q.HTTPAddr() + "/stats?format=json&topic=" + topic + "&channel=" + channel)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var stats struct {
		Topics []struct {
			Channels []struct {
				Name     string `json:"channel_name"`
				Depth    int    `json:"depth"`
				InFlight int    `json:"in_flight_count"`
				Deferred int    `json:"deferred_count"`
			} `json:"channels"`
		} `json:"topics"`
	}
	if err := jsonUnmarshal(b, &stats); err != nil {
		t.Fatalf("stats %s: %v", b, err)
	}
	for _, tp := range stats.Topics {
		for _, ch := range tp.Channels {
			if ch.Name == channel {
				return ch.Depth + ch.InFlight + ch.Deferred
			}
		}
	}
	t.Fatalf("no channel %s in %s", channel, b)
	return 0
}
