// Package daemon starts the parts of a Nanhu process, stops them in order,
// and answers for them on /healthz and /metrics. `nanhu serve` and
// `nanhu smsgw` both run their parts through it.
//
// A part is opened by its own constructor (which binds its listeners, so
// that a port in use stops the start with a clear error), then run: Run
// serves until its context ends, then winds down gracefully (listeners
// closed, work in progress finished, idle clients told) and returns. Stop
// ends the parts' contexts one at a time, the last started first, waiting
// for each Run to return before the next; then it closes them in the same
// order. So the web listener stops taking requests before the parts it
// calls go, and the queue, which every part publishes to, goes last.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Part is one part of a running process.
type Part interface {
	// Name is the part's name in logs and on the status page.
	Name() string
	// Run serves until ctx ends, then winds down and returns.
	Run(ctx context.Context) error
	// Close releases what the part holds (its databases) once Run has
	// returned, or when it never ran.
	Close() error
}

// Checker is a part that can tell whether it works: /healthz and the
// status page ask it.
type Checker interface {
	Health(ctx context.Context) error
}

// Options configure a Daemon.
type Options struct {
	Logger *slog.Logger
	// Gatherer is what /metrics serves; nil serves none.
	Gatherer prometheus.Gatherer
	// StopTimeout bounds how long Stop waits for one part's Run to return
	// (30 s); a part still running then is left, logged, and closed.
	StopTimeout time.Duration
}

// Daemon runs parts.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	mu    sync.Mutex
	parts []*running
	start time.Time
	once  sync.Once
}

type running struct {
	part   Part
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
}

// New returns a Daemon with no parts.
func New(opts Options) *Daemon {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	return &Daemon{opts: opts, log: opts.Logger, start: time.Now()}
}

// Add takes a part the caller has opened; it is closed by Stop (even if
// Start never runs it).
func (d *Daemon) Add(p Part) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.parts = append(d.parts, &running{part: p})
}

// Start runs every part added and not yet running, in the order added.
func (d *Daemon) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.parts {
		if r.done != nil {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel, r.done = cancel, make(chan struct{})
		go func() {
			defer close(r.done)
			r.err = r.part.Run(ctx)
			if ctx.Err() == nil {
				d.log.Error("a part stopped by itself", "part", r.part.Name(), "err", r.err)
			}
		}()
	}
}

// Stop stops the parts, the last added first, then closes them in the
// same order. It is safe to call more than once.
func (d *Daemon) Stop() error {
	var err error
	d.once.Do(func() {
		d.mu.Lock()
		parts := append([]*running(nil), d.parts...)
		d.mu.Unlock()
		for i := len(parts) - 1; i >= 0; i-- {
			r := parts[i]
			if r.done == nil {
				continue
			}
			r.cancel()
			select {
			case <-r.done:
				if r.err != nil && !errors.Is(r.err, context.Canceled) {
					err = errors.Join(err, fmt.Errorf("%s: %w", r.part.Name(), r.err))
				}
			case <-time.After(d.opts.StopTimeout):
				d.log.Error("a part did not stop in time; closing it anyway", "part", r.part.Name(), "waited", d.opts.StopTimeout)
			}
		}
		for i := len(parts) - 1; i >= 0; i-- {
			if e := parts[i].part.Close(); e != nil {
				err = errors.Join(err, fmt.Errorf("close %s: %w", parts[i].part.Name(), e))
			}
		}
	})
	return err
}

// Status is how one part is doing.
type Status struct {
	Name    string
	Running bool   // Run has not returned
	Problem string // "" when healthy; else what its health check or Run said
}

// Up reports whether the part runs and is healthy.
func (s Status) Up() bool { return s.Running && s.Problem == "" }

// Status asks every part how it is, in the order they were added.
func (d *Daemon) Status(ctx context.Context) []Status {
	d.mu.Lock()
	parts := append([]*running(nil), d.parts...)
	d.mu.Unlock()
	out := make([]Status, 0, len(parts))
	for _, r := range parts {
		st := Status{Name: r.part.Name()}
		if r.done != nil {
			select {
			case <-r.done:
				st.Problem = "stopped"
				if r.err != nil {
					st.Problem = "stopped: " + r.err.Error()
				}
			default:
				st.Running = true
			}
		} else {
			st.Problem = "not started"
		}
		if c, ok := r.part.(Checker); ok && st.Running {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			if err := c.Health(cctx); err != nil {
				st.Problem = err.Error()
			}
			cancel()
		}
		out = append(out, st)
	}
	return out
}

// Since is when the daemon was made: the process's start, near enough.
func (d *Daemon) Since() time.Time { return d.start }

// Routes adds GET /healthz (200 "ok" when every part runs and is healthy,
// else 503 with the parts that are not) and GET /metrics to mux.
func (d *Daemon) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		var bad []Status
		for _, st := range d.Status(r.Context()) {
			if !st.Up() {
				bad = append(bad, st)
			}
		}
		if len(bad) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, st := range bad {
				fmt.Fprintf(w, "%s: %s\n", st.Name, st.Problem)
			}
			return
		}
		io.WriteString(w, "ok\n")
	})
	if d.opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(d.opts.Gatherer, promhttp.HandlerOpts{}))
	}
}

// Func is a part made of functions, for what has nothing to serve but
// must be closed in its turn (a directory, a simulator).
type Func struct {
	PartName string
	// RunFunc, when set, is Run; else Run waits for its context.
	RunFunc func(ctx context.Context) error
	// CloseFunc, when set, is Close.
	CloseFunc func() error
	// HealthFunc, when set, is Health.
	HealthFunc func(ctx context.Context) error
}

// Name implements Part.
func (f Func) Name() string { return f.PartName }

// Run implements Part.
func (f Func) Run(ctx context.Context) error {
	if f.RunFunc != nil {
		return f.RunFunc(ctx)
	}
	<-ctx.Done()
	return nil
}

// Close implements Part.
func (f Func) Close() error {
	if f.CloseFunc != nil {
		return f.CloseFunc()
	}
	return nil
}

// Health implements Checker.
func (f Func) Health(ctx context.Context) error {
	if f.HealthFunc != nil {
		return f.HealthFunc(ctx)
	}
	return nil
}
