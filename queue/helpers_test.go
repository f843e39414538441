package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testLog collects a test's log lines, and with QUEUE_TEST_LOG=1 (or
// =debug) shows them with t.Log while the test runs (go-nsq goroutines may log after it ended; those are kept
// only).
type testLog struct {
	mu    sync.Mutex
	t     testing.TB
	done  bool
	lines []string
}

func newTestLog(t testing.TB) (*testLog, *slog.Logger) {
	l := &testLog{t: t}
	t.Cleanup(func() { l.mu.Lock(); l.done = true; l.mu.Unlock() })
	level := slog.LevelInfo
	if os.Getenv("QUEUE_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return l, slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimRight(string(p), "\n")
	l.lines = append(l.lines, s)
	if !l.done && os.Getenv("QUEUE_TEST_LOG") != "" {
		l.t.Log(s)
	}
	return len(p), nil
}

// has reports whether a line contains every one of parts.
func (l *testLog) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, line := range l.lines {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		return true
	}
	return false
}

// testOptions are quick settings for an embedded queue in dir.
func testOptions(dir string, log *slog.Logger) Options {
	o := DefaultOptions(dir)
	o.TCPAddress = "127.0.0.1:0"
	o.HTTPAddress = "127.0.0.1:0"
	o.Logger = log
	o.RequeueDelay = 20 * time.Millisecond
	o.MaxRequeueDelay = 200 * time.Millisecond
	o.PublishBackoff = 20 * time.Millisecond
	o.LookupdPollInterval = 200 * time.Millisecond
	o.HealthInterval = 100 * time.Millisecond
	o.DrainTimeout = 10 * time.Second
	return o
}

// newTestQueue starts an embedded queue closed at the test's end.
func newTestQueue(t testing.TB, mod func(*Options)) (*Queue, *testLog) {
	t.Helper()
	tl, log := newTestLog(t)
	o := testOptions(t.TempDir(), log)
	if mod != nil {
		mod(&o)
	}
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, tl
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outcome is a consumer's count of messages with that outcome.
func outcome(q *Queue, topic, channel, outcome string) int {
	return int(testutil.ToFloat64(q.metrics.handled.WithLabelValues(topic, channel, outcome)))
}

// recv waits for one value from ch.
func recv[T any](t testing.TB, ch <-chan T, d time.Duration) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		var zero T
		t.Fatalf("nothing received in %s", d)
		return zero
	}
}

// none checks that nothing comes on ch for d.
func none[T any](t testing.TB, ch <-chan T, d time.Duration) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %v", fmt.Sprint(v))
	case <-time.After(d):
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// testutilCounter is the number of events republished after a node loss.
func testutilCounter(q *Queue) float64 { return testutil.ToFloat64(q.metrics.republished) }
