package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPServer is a part that serves one handler on several listeners (the
// plain and the TLS one of the same pages).
type HTTPServer struct {
	name  string
	srv   *http.Server
	lns   []net.Listener
	log   *slog.Logger
	grace time.Duration
	// onShutdown end long-lived responses before the server waits.
	onShutdown []func()
}

// HTTPListener is one address of an HTTPServer.
type HTTPListener struct {
	Name string      // "http", "https"
	Addr string      // "" is not opened
	TLS  *tls.Config // nil for plain HTTP
}

// NewHTTPServer binds the listeners (so that the addresses are known
// before the pages are wired); give it its handler with Handle before Run.
func NewHTTPServer(name string, listeners []HTTPListener, log *slog.Logger) (*HTTPServer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &HTTPServer{name: name, log: log, grace: 10 * time.Second,
		srv: &http.Server{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}}
	for _, l := range listeners {
		if l.Addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("listen for %s on %s: %w", l.Name, l.Addr, err)
		}
		if l.TLS != nil {
			ln = tls.NewListener(ln, l.TLS)
		}
		s.lns = append(s.lns, namedListener{ln, l.Name})
	}
	return s, nil
}

type namedListener struct {
	net.Listener
	name string
}

// Handle sets what the server serves. OnShutdown functions run when Run's
// context ends, before the server waits for requests in progress: they
// end long-lived responses (event streams), which would otherwise hold
// the shutdown for its whole grace.
func (s *HTTPServer) Handle(h http.Handler, onShutdown ...func()) {
	s.srv.Handler = h
	s.onShutdown = append(s.onShutdown, onShutdown...)
}

// Addrs are the bound addresses by listener name.
func (s *HTTPServer) Addrs() map[string]net.Addr {
	out := map[string]net.Addr{}
	for _, ln := range s.lns {
		out[ln.(namedListener).name] = ln.Addr()
	}
	return out
}

// Name implements Part.
func (s *HTTPServer) Name() string { return s.name }

// Run serves until ctx ends, then stops taking requests and gives those in
// progress a grace period to finish.
func (s *HTTPServer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, ln := range s.lns {
		s.log.Info("listening", "listener", ln.(namedListener).name, "addr", ln.Addr().String())
		wg.Go(func() {
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("http stopped", "listener", ln.(namedListener).name, "err", err)
			}
		})
	}
	<-ctx.Done()
	for _, f := range s.onShutdown {
		f()
	}
	grace, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	err := s.srv.Shutdown(grace)
	wg.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		s.srv.Close()
		return nil
	}
	return err
}

// Close closes the listeners and any connection left.
func (s *HTTPServer) Close() error {
	for _, ln := range s.lns {
		ln.Close()
	}
	return s.srv.Close()
}
