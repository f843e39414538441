package queue

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nanhu/queue/contract"
)

// buildNSQ builds nsqd and nsqlookupd from the nsq module this one
// requires (the version the embedded nsqd is), once per test binary run.
var (
	built    atomic.Bool
	buildNSQ = sync.OnceValues(func() (string, error) {
		built.Store(true)
		return buildNSQBinaries()
	})
)

// peekBuilt returns buildNSQ's folder if it ran, without running it.
func peekBuilt() (string, error) {
	if !built.Load() {
		return "", nil
	}
	return buildNSQ()
}

func buildNSQBinaries() (string, error) {
	dir, err := os.MkdirTemp("", "nanhu-nsq-bin-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/nsqio/nsq/apps/nsqd", "github.com/nsqio/nsq/apps/nsqlookupd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build nsqd nsqlookupd: %v\n%s", err, out)
	}
	return dir, nil
}

// nsqBinaries returns the folder with nsqd and nsqlookupd, or skips the
// test where they cannot be built, except in CI, where it fails.
func nsqBinaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no NSQ cluster")
	}
	dir, err := buildNSQ()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("building the NSQ binaries: %v", err)
		}
		t.Skipf("skipping: cannot build nsqd and nsqlookupd from the module github.com/nsqio/nsq "+
			"(the Go module proxy or the module cache is needed; CI has them): %v", err)
	}
	return dir
}

// freePort returns a loopback address with a port the kernel just gave.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is one NSQ daemon run as a separate process.
type process struct {
	t    *testing.T
	name string
	bin  string
	args []string
	log  string
	http string // for /ping
	cmd  *exec.Cmd
}

func (p *process) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + p.http + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.log)
			p.t.Fatalf("%s not up in 10 s: %v\n%s", p.name, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL: nothing is flushed, nothing said goodbye.
func (p *process) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
	p.cmd = nil
}

// TestClusterNodeKilled runs nsqlookupd and two nsqd as separate
// processes, publishes 1,000 to-do events through the Queue while one
// nsqd is killed with SIGKILL and started again on the same data, and
// checks that every event is consumed at least once, and more than once
// only if it was published around the crash.
func TestClusterNodeKilled(t *testing.T) {
	bin := nsqBinaries(t)
	dir := t.TempDir()
	lookupTCP, lookupHTTP := freePort(t), freePort(t)
	lookupd := &process{t: t, name: "nsqlookupd", bin: filepath.Join(bin, "nsqlookupd"), log: filepath.Join(dir, "nsqlookupd.log"),
		http: lookupHTTP, args: []string{"--tcp-address=" + lookupTCP, "--http-address=" + lookupHTTP, "--broadcast-address=127.0.0.1"}}
	lookupd.start()
	t.Cleanup(lookupd.kill)

	var nodes []*process
	for i := 1; i <= 2; i++ {
		data := filepath.Join(dir, fmt.Sprintf("nsqd%d", i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		tcp, web := freePort(t), freePort(t)
		n := &process{t: t, name: fmt.Sprintf("nsqd%d", i), bin: filepath.Join(bin, "nsqd"), log: data + ".log", http: web,
			args: []string{"--tcp-address=" + tcp, "--http-address=" + web, "--https-address=", "--broadcast-address=127.0.0.1",
				"--lookupd-tcp-address=" + lookupTCP, "--data-path=" + data, fmt.Sprintf("--node-id=%d", i),
				// Every message on disk, so a restart gives back what the
				// node had not delivered.
				"--mem-queue-size=0"}}
		n.start()
		t.Cleanup(n.kill)
		// The topic and channel exist on both nodes from the start, so
		// nsqlookupd sends the consumers to both.
		for _, path := range []string{"/topic/create?topic=" + contract.TopicTodo,
			"/channel/create?topic=" + contract.TopicTodo + "&channel=routing",
			"/channel/create?topic=" + contract.TopicTodo + "&channel=deduped"} {
			resp, err := http.Post("http://"+web+path, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s on %s: %s", path, n.name, resp.Status)
			}
		}
		nodes = append(nodes, n)
	}
	tcpOf := func(n *process) string { return strings.TrimPrefix(n.args[0], "--tcp-address=") }

	_, log := newTestLog(t)
	o := testOptions("", log)
	o.NSQDAddrs = []string{tcpOf(nodes[0]), tcpOf(nodes[1])}
	o.LookupdAddrs = []string{lookupHTTP}
	o.RepublishWindow = time.Second
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	var mu sync.Mutex
	raw := map[string]int{}     // deliveries to a consumer that keeps every one
	deduped := map[string]int{} // to one that drops redelivered ids
	if _, err := Consume(q, "routing", func(_ context.Context, ev contract.TodoEvent) error {
		mu.Lock()
		raw[ev.ID]++
		mu.Unlock()
		return nil
	}, ConsumerOptions{NoDedup: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Consume(q, "deduped", func(_ context.Context, ev contract.TodoEvent) error {
		mu.Lock()
		deduped[ev.ID]++
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // consumers find both nodes

	const total, killAt = 1000, 600
	publishedAt := map[string]time.Time{}
	var ids []string
	var killed, restarted time.Time
	restartDone := make(chan struct{})
	for i := range total {
		if i == killAt {
			killed = time.Now()
			nodes[0].kill()
			t.Logf("killed %s (SIGKILL) after %d events", nodes[0].name, i)
			go func() {
				defer close(restartDone)
				time.Sleep(500 * time.Millisecond)
				nodes[0].start() // same data path, same ports
				restarted = time.Now()
			}()
		}
		ev := todo()
		ev.Todo.ID = fmt.Sprintf("todo-%04d", i)
		ids = append(ids, ev.ID)
		publishedAt[ev.ID] = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := Publish(ctx, q, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		cancel()
		time.Sleep(8 * time.Millisecond)
	}
	<-restartDone
	t.Logf("restarted %s %s after the kill", nodes[0].name, restarted.Sub(killed).Round(time.Millisecond))

	missing := func(m map[string]int) []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, id := range ids {
			if m[id] == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(missing(raw)) > 0 || len(missing(deduped)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s, %d events never consumed on routing, %d on deduped (first: %v)",
				len(missing(raw)), len(missing(deduped)), first(missing(raw), missing(deduped)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // late redeliveries, if any, arrive

	mu.Lock()
	defer mu.Unlock()
	// A duplicate is allowed only for an event published shortly before
	// the crash (the node may have delivered it, or not, and its disk
	// queue's last sync, 2 s by default, may be behind) or while the
	// node was away.
	from := killed.Add(-o.RepublishWindow - 2*time.Second - time.Second)
	to := restarted.Add(2 * time.Second)
	var dups []int
	for i, id := range ids {
		if raw[id] > 1 {
			dups = append(dups, i)
			if at := publishedAt[id]; at.Before(from) || at.After(to) {
				t.Errorf("event %d delivered %d times, published %s before the kill: not around the restart",
					i, raw[id], killed.Sub(at).Round(time.Millisecond))
			}
		}
		if deduped[id] != 1 {
			t.Errorf("event %d handled %d times on the deduplicating channel", i, deduped[id])
		}
	}
	sort.Ints(dups)
	t.Logf("%d events, all consumed; %d delivered more than once on the raw channel (%s), none handled twice with deduplication; %.0f republished",
		total, len(dups), span(dups), testutilCounter(q))
}

func first(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l[:min(len(l), 5)]...)
	}
	return out
}

// span describes a sorted list of event numbers.
func span(xs []int) string {
	if len(xs) == 0 {
		return "none"
	}
	return fmt.Sprintf("between #%d and #%d", xs[0], xs[len(xs)-1])
}

func TestMain(m *testing.M) {
	code := m.Run()
	// Remove the binaries, if a test built them.
	if dir, err := peekBuilt(); err == nil && dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
