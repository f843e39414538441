package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"nanhu/hardware/modemsim"
	"nanhu/internal/daemon"
	"nanhu/internal/datadir"
	"nanhu/queue"
	"nanhu/smsgateway"
)

func init() {
	register("smsgw", "run only the SMS gateway, for a host with modems in an NSQ cluster", func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		ctx, cancel := endWithGoRun(ctx, slog.Default())
		defer cancel()
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
	lock, err := datadir.TakeLock(*data)
	if err != nil {
		return err
	}
	defer lock.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := daemon.New(daemon.Options{Logger: logger, Gatherer: reg})
	started := false
	defer func() {
		if !started {
			d.Stop()
		}
	}()

	qo := queue.DefaultOptions(*data)
	qo.NSQDAddrs, qo.LookupdAddrs = splitList(*nsqd), splitList(*lookupd)
	qo.Logger = logger.With("part", "queue")
	qo.Registerer = reg
	q, err := queue.New(ctx, qo)
	if err != nil {
		return err
	}
	d.Add(daemon.Func{PartName: "queue", CloseFunc: q.Close})

	var devs []smsgateway.ModemConfig
	for _, m := range modems {
		devs = append(devs, smsgateway.ModemConfig{Path: m})
	}
	gw, err := startGateway(ctx, gatewaySetup{data: *data, modems: devs, q: q, logger: logger, reg: reg,
		simLink: filepath.Join(*data, "sim-modem0"), simDelay: *simLatency})
	if err != nil {
		return err
	}
	for _, p := range gw.parts {
		d.Add(p)
	}
	addrs := map[string]string{}
	var listeners []daemon.HTTPListener
	if *httpAddr != "" {
		listeners = append(listeners, daemon.HTTPListener{Name: "http", Addr: *httpAddr})
	}
	if len(listeners) > 0 {
		srv, err := daemon.NewHTTPServer("http", listeners, logger.With("part", "http"))
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		d.Routes(mux)
		srv.Handle(mux)
		d.Add(srv)
		for n, a := range srv.Addrs() {
			addrs[n] = a.String()
		}
	}
	if gw.sim != nil && *simControl != "" {
		srv, err := daemon.NewHTTPServer("sim-control", []daemon.HTTPListener{{Name: "sim-control", Addr: *simControl}}, logger.With("part", "modemsim"))
		if err != nil {
			return fmt.Errorf("simulator control API: %w", err)
		}
		srv.Handle(gw.sim.Handler())
		d.Add(srv)
		for n, a := range srv.Addrs() {
			addrs[n] = a.String()
		}
	}
	d.Start()
	started = true
	logger.Info("sms gateway running", "data", *data, "modems", max(len(devs), 1), "simulated", gw.sim != nil, "nsqd", *nsqd, "nsqlookupd", *lookupd)
	if ready != nil {
		ready(addrs)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return d.Stop() // the consumer finishes what it holds first
}
