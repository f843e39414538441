package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nanhu/queue/contract"
)

// sseClient is an open notification stream.
type sseClient struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// openStream opens the stream as login and waits for the server to take
// it (the ": connected" comment), so that login is online on return.
func openStream(t *testing.T, srv *httptest.Server, login string) *sseClient {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+StreamPath, nil)
	req.Header.Set("X-Test-User", login)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	t.Cleanup(func() { resp.Body.Close() })
	if got := c.frame(); !strings.Contains(got, ": connected") {
		t.Fatalf("first frame %q", got)
	}
	return c
}

// frame reads one event or comment: the lines up to a blank one.
func (c *sseClient) frame() string {
	c.t.Helper()
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("stream read: %v (so far %q)", err, lines)
		}
		line = strings.TrimRight(line, "\n")
		if line == "" {
			return strings.Join(lines, "\n")
		}
		lines = append(lines, line)
	}
}

// event reads the next "todo" event, skipping heartbeats.
func (c *sseClient) event() StreamEvent {
	c.t.Helper()
	for {
		f := c.frame()
		if strings.HasPrefix(f, ":") {
			continue
		}
		var ev StreamEvent
		lines := strings.Split(f, "\n")
		if len(lines) != 3 || lines[0] != "event: todo" || !strings.HasPrefix(lines[1], "id: ") || !strings.HasPrefix(lines[2], "data: ") {
			c.t.Fatalf("frame %q", f)
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[2], "data: ")), &ev); err != nil {
			c.t.Fatal(err)
		}
		return ev
	}
}

func (c *sseClient) close() { c.resp.Body.Close() }

func TestOnlineGetsTheStreamNotSMS(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Heartbeat = 30 * time.Millisecond })
	srv := newServer(t, f)

	c := openStream(t, srv, "zhangwei")
	if !f.n.Online("zhangwei") || f.n.Online("huanglei") {
		t.Fatal("presence wrong")
	}
	// Heartbeats while idle.
	if got := c.frame(); got != ": heartbeat" {
		t.Fatalf("idle stream sent %q", got)
	}
	td := todo("todo-8812", "zhangwei")
	td.Urgency = contract.UrgencyTop
	f.handle(event("ev-1", contract.TodoCreated, td))
	ev := c.event()
	if ev.Type != "created" || ev.EventID != "ev-1" || ev.Todo.ID != "todo-8812" || ev.Todo.Title != td.Title || ev.Todo.Urgency != contract.UrgencyTop {
		t.Fatalf("event %+v", ev)
	}
	if sms, mail, _ := f.pub.take(); len(sms)+len(mail) != 0 {
		t.Fatalf("online user got SMS %q and %d mails", texts(sms), len(mail))
	}
	// done reaches the stream too, so the page drops the to-do.
	f.handle(contract.TodoEvent{V: 1, ID: "ev-2", Type: contract.TodoDone, Todo: contract.Todo{ID: "todo-8812", Assignee: "zhangwei"}})
	if ev := c.event(); ev.Type != "done" || ev.Todo.Title != td.Title {
		t.Fatalf("done event %+v", ev)
	}
	// Two streams (two tabs): both get it; closing one keeps the user
	// online.
	c2 := openStream(t, srv, "zhangwei")
	f.handle(event("ev-3", contract.TodoCreated, todo("todo-2", "zhangwei")))
	if c.event().EventID != "ev-3" || c2.event().EventID != "ev-3" {
		t.Fatal("not on both streams")
	}
	c.close()
	waitFor(t, func() bool {
		f.n.hub.mu.Lock()
		defer f.n.hub.mu.Unlock()
		return len(f.n.hub.streams["zhangwei"]) == 1
	})
	c2.close()
	waitFor(t, func() bool { return !f.n.Online("zhangwei") })
	// Offline again: SMS.
	f.handle(event("ev-4", contract.TodoCreated, todo("todo-3", "zhangwei")))
	if sms, _, _ := f.pub.take(); len(sms) != 1 {
		t.Fatalf("offline again: %q", texts(sms))
	}
}

func TestLeaderOnlineGetsEscalation(t *testing.T) {
	f := newFixture(t)
	srv := newServer(t, f)
	f.clock.Set(at(25, 17, 0))
	f.handle(event("ev-9", contract.TodoOverdue, todo("todo-8812", "huanglei")))
	f.pub.take()
	c := openStream(t, srv, "yangjing")
	f.tick(at(26, 17, 0))
	ev := c.event()
	if ev.Type != "escalated" || ev.Todo.Assignee != "huanglei" || ev.AssigneeName != "黄磊" {
		t.Fatalf("event %+v", ev)
	}
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("online leader got SMS %q", texts(sms))
	}
}

func TestHeldToDosGoToTheStreamOnceOnline(t *testing.T) {
	f := newFixture(t)
	srv := newServer(t, f)
	f.clock.Set(at(25, 23, 0))
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "zhangwei")))
	c := openStream(t, srv, "zhangwei")
	f.tick(at(26, 7, 0))
	if ev := c.event(); ev.EventID != "ev-1" || ev.Type != "created" {
		t.Fatalf("event %+v", ev)
	}
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("SMS %q", texts(sms))
	}
}

func TestStreamRefusals(t *testing.T) {
	f := newFixture(t)
	srv := newServer(t, f)
	tests := []struct {
		method, path, user string
		want               int
	}{
		{"GET", StreamPath, "", http.StatusUnauthorized},
		{"POST", StreamPath, "zhangwei", http.StatusMethodNotAllowed},
		{"GET", "/api/v1/notifications/other", "zhangwei", http.StatusNotFound},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if tt.user != "" {
			req.Header.Set("X-Test-User", tt.user)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s as %q: %d, want %d", tt.method, tt.path, tt.user, resp.StatusCode, tt.want)
		}
	}
	// Close ends open streams and refuses new ones.
	c := openStream(t, srv, "zhangwei")
	f.n.Close()
	if _, err := c.r.ReadString('\n'); err == nil {
		// a last line may be buffered; the next read must end
		for {
			if _, err := c.r.ReadString('\n'); err != nil {
				break
			}
		}
	}
	req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+StreamPath, nil)
	req.Header.Set("X-Test-User", "zhangwei")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d", resp.StatusCode)
	}
}

func TestSlowStreamIsDropped(t *testing.T) {
	h := newHub()
	s, _ := h.open("zhangwei")
	for i := range streamBuffer {
		if h.send("zhangwei", StreamEvent{Type: "created", EventID: string(rune('a' + i%26))}) != 1 {
			t.Fatalf("send %d refused", i)
		}
	}
	if n := h.send("zhangwei", StreamEvent{Type: "created"}); n != 0 || h.online("zhangwei") {
		t.Fatalf("a full stream took an event (%d) or stayed online", n)
	}
	select {
	case <-s.gone:
	default:
		t.Fatal("the slow stream was not told to go")
	}
}

// newServer serves f's Handler until the test ends; streams the test
// opened later are closed before it.
func newServer(t *testing.T, f *fixture) *httptest.Server {
	srv := httptest.NewServer(f.n.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOpenTodos: the workbench's list is the person's open to-dos, the
// latest first; a done or reassigned one leaves it.
func TestOpenTodos(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b, c := todo("t-a", "zhangwei"), todo("t-b", "zhangwei"), todo("t-c", "zhangwei")
	b.Title = "关于报送年度工作总结的通知"
	f.handle(event("e1", contract.TodoCreated, a))
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.handle(event("e2", contract.TodoCreated, b))
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.handle(event("e3", contract.TodoCreated, c))
	f.handle(event("e4", contract.TodoDone, c))
	got, err := f.n.OpenTodos(ctx, "zhangwei", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "t-b" || got[1].ID != "t-a" {
		t.Fatalf("open to-dos %+v, want t-b then t-a", got)
	}
	if got, _ := f.n.OpenTodos(ctx, "lina", 10); len(got) != 0 {
		t.Errorf("lina's to-dos: %+v", got)
	}
}
