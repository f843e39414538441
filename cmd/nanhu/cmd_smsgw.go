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
	lock, err := lockData(*data)
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

	opts := smsgateway.DefaultOptions(*data)
	opts.Logger = logger.With("part", "sms")
	opts.Registerer = reg
	bridge := smsqueue.New(q, logger.With("part", "smsqueue"))
	opts.OnStatus, opts.OnInbound = bridge.Status, bridge.Inbound
	addrs := map[string]string{}
	var sim *modemsim.Sim
	for _, m := range modems {
		opts.Modems = append(opts.Modems, smsgateway.ModemConfig{Path: m})
	}
	if len(opts.Modems) == 0 {
		so := modemsim.NewOptions()
		so.Link = filepath.Join(*data, "sim-modem0")
		so.SendLatency = *simLatency
		so.Codec = pduCodec{smsc: so.SMSC}
		so.Logger = logger.With("part", "modemsim")
		if sim, err = modemsim.New(so); err != nil {
			q.Close()
			return err
		}
		if err := sim.Start(ctx); err != nil {
			q.Close()
			return err
		}
		defer sim.Close()
		opts.Modems = []smsgateway.ModemConfig{{Name: "simulated-modem", Path: sim.Link()}}
		logger.Warn("no GSM modem given: SMS go to a SIMULATED modem and reach no phone", "link", sim.Link())
		if *simControl != "" {
			ln, err := net.Listen("tcp", *simControl)
			if err != nil {
				q.Close()
				return fmt.Errorf("simulator control API: %w", err)
			}
			addrs["sim-control"] = ln.Addr().String()
			go (&http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
		}
	}
	g, err := smsgateway.New(ctx, opts)
	if err != nil {
		q.Close()
		return err
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
	logger.Info("sms gateway running", "data", *data, "modems", len(opts.Modems), "nsqd", *nsqd, "nsqlookupd", *lookupd)
	if ready != nil {
		ready(addrs)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	stopAll() // the consumer finishes what it holds first
	return nil
}
