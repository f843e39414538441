package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// endWithGoRun returns a context that also ends when the `go run` that
// started this process ends. go run exits on SIGTERM without passing the
// signal on, and its child, this server, would keep running, holding the
// ports and the data folder; so when the parent is `go` and goes away, the
// server shuts down as if it had been sent the signal. Under any other
// parent (a shell, nohup, systemd) nothing changes: a server outlives the
// shell that started it.
func endWithGoRun(ctx context.Context, log *slog.Logger) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	ppid := os.Getppid()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return ctx, cancel
	}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if os.Getppid() != ppid {
					log.Warn("the go run that started this server ended (it does not pass SIGTERM on): shutting down")
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
