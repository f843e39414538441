package daemon

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, " ")
}

func part(rec *recorder, name string, health error) Func {
	return Func{
		PartName: name,
		RunFunc: func(ctx context.Context) error {
			rec.add("run:" + name)
			<-ctx.Done()
			rec.add("stop:" + name)
			return nil
		},
		CloseFunc:  func() error { rec.add("close:" + name); return nil },
		HealthFunc: func(context.Context) error { return health },
	}
}

// TestOrder: the last part added stops first, and every part is closed
// after every Run has returned, in the same order.
func TestOrder(t *testing.T) {
	rec := &recorder{}
	d := New(Options{})
	for _, n := range []string{"queue", "mail", "http"} {
		d.Add(part(rec, n, nil))
	}
	d.Start()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(rec.String(), "run:") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("not all parts ran: %s", rec)
		}
		time.Sleep(time.Millisecond)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	got := rec.String()
	got = got[strings.Index(got, "stop:"):]
	if want := "stop:http stop:mail stop:queue close:http close:mail close:queue"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if err := d.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// TestHealth: /healthz says ok only when every part runs and is healthy,
// and names the ones that are not.
func TestHealth(t *testing.T) {
	rec := &recorder{}
	d := New(Options{})
	d.Add(part(rec, "queue", nil))
	d.Add(part(rec, "sms", errors.New("no modem is up")))
	d.Add(Func{PartName: "broken", RunFunc: func(ctx context.Context) error { return errors.New("listener failed") }})
	mux := http.NewServeMux()
	d.Routes(mux)
	d.Start()
	defer d.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := d.Status(context.Background())
		if len(st) == 3 && st[0].Up() && !st[1].Up() && st[1].Running && !st[2].Running && strings.Contains(st[2].Problem, "listener failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(string(body), "sms: no modem is up") || !strings.Contains(string(body), "broken: stopped") || strings.Contains(string(body), "queue") {
		t.Errorf("healthz %d %s", w.Code, body)
	}
}

// TestHTTPServer: the listeners are bound before Run, serve the handler
// given, and stop in Run's return.
func TestHTTPServer(t *testing.T) {
	srv, err := NewHTTPServer("http", []HTTPListener{{Name: "http", Addr: "127.0.0.1:0"}, {Name: "off", Addr: ""}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addrs()["http"].String()
	if _, ok := srv.Addrs()["off"]; ok {
		t.Error("a listener with no address was opened")
	}
	stopped := make(chan struct{})
	srv.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "南湖") }), func() { close(stopped) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "南湖" {
		t.Errorf("body %q", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Error("the shutdown hook did not run")
	}
	srv.Close()
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Error("still serving after Run returned")
	}
	// A port in use is an error at once.
	busy, err := NewHTTPServer("http", []HTTPListener{{Name: "a", Addr: "127.0.0.1:0"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := NewHTTPServer("http", []HTTPListener{{Name: "b", Addr: busy.Addrs()["a"].String()}}, nil); err == nil {
		t.Error("binding a port in use succeeded")
	}
}
