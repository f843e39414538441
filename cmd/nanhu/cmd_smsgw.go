package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"nanhu/hardware/modemsim"
	"nanhu/internal/datadir"
	"nanhu/queue"
	"nanhu/smsgateway"
	"nanhu/smsgateway/smsqueue"
)

func init() {
	register("smsgw", "run only the SMS gateway, for a host with modems in an NSQ cluster", func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return runSMSGW(ctx, args, os.Stderr, nil)
	})
}

const smsgwUsage = "nanhu smsgw [--data DIR] (--nsqd HOST:4150,... | --nsqlookupd HOST:4161,...) [--modem DEVICE]... [--sim-control ADDR] [--http ADDR]"

// runSMSGW runs the gateway on this host's modems (or one simulated modem)
// and consumes notify.sms from the cluster on the channel every gateway
// host shares, so the hosts split the load; states and received SMS go out
// on sms.status and sms.inbound. ready, when set, is told the addresses.
func runSMSGW(ctx context.Context, args []string, stderr io.Writer, ready func(map[string]string)) error {
	fs := flag.NewFlagSet("smsgw", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "./nanhu-smsgw", "data folder (sms.db, the queue's spool)")
	nsqd := fs.String("nsqd", "", "nsqd nodes to publish to and consume from (`host:4150,...`)")
	lookupd := fs.String("nsqlookupd", "", "nsqlookupd to find the nsqd nodes (`host:4161,...`)")
	var modems repeated
	fs.Var(&modems, "modem", "serial `device` of a GSM modem (repeatable); none: one simulated modem")
	simControl := fs.String("sim-control", "", "with the simulated modem: serve its control API on this `address`")
	simLatency := fs.Duration("sim-latency", modemsim.NewOptions().SendLatency, "with the simulated modem: how long its network takes per SMS")
	httpAddr := fs.String("http", "", "serve /healthz and /metrics on this `address`")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", smsgwUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 || (*nsqd == "" && *lookupd == "") {
		return fmt.Errorf("usage: %s", smsgwUsage)
	}
	var level slog.Level
	level.UnmarshalText([]byte(*logLevel))
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("create the data folder %s: %w", *data, err)
	}
	lock, err := datadir.TakeLock(*data)
	if err != nil {
		return err
	}
	defer lock.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	qo := queue.DefaultOptions(*data)
	qo.NSQDAddrs, qo.LookupdAddrs = splitList(*nsqd), splitList(*lookupd)
	qo.Logger = logger.With("part", "queue")
	qo.Registerer = reg
	q, err := queue.New(ctx, qo)
	if err != nil {
		return err
	}

	var devs []smsgateway.ModemConfig
	for _, m := range modems {
		devs = append(devs, smsgateway.ModemConfig{Path: m})
	}
	g, sim, err := newGateway(ctx, gatewaySetup{data: *data, modems: devs, q: q, logger: logger, reg: reg,
		simLink: filepath.Join(*data, "sim-modem0"), simDelay: *simLatency})
	if err != nil {
		q.Close()
		return err
	}
	addrs := map[string]string{}
	if sim != nil {
		defer sim.Close()
		if *simControl != "" {
			ln, err := net.Listen("tcp", *simControl)
			if err != nil {
				q.Close()
				g.Close()
				return fmt.Errorf("simulator control API: %w", err)
			}
			addrs["sim-control"] = ln.Addr().String()
			go (&http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := g.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("sms gateway stopped", "err", err)
		}
	}()
	stopAll := func() {
		q.Close()
		cancel()
		<-done
		g.Close()
	}
	if _, err := smsqueue.Consume(q, g, logger.With("part", "smsqueue")); err != nil {
		stopAll()
		return err
	}
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			stopAll()
			return fmt.Errorf("listen for http on %s: %w", *httpAddr, err)
		}
		addrs["http"] = ln.Addr().String()
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	}
	logger.Info("sms gateway running", "data", *data, "modems", max(len(devs), 1), "simulated", sim != nil, "nsqd", *nsqd, "nsqlookupd", *lookupd)
	if ready != nil {
		ready(addrs)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	stopAll() // the consumer finishes what it holds first
	return nil
}
