package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/hardware/modemsim"
	"nanhu/internal/daemon"
	"nanhu/queue"
	"nanhu/smsgateway"
	"nanhu/smsgateway/smsqueue"
)

// gatewaySetup is what both `nanhu serve` and `nanhu smsgw` start an SMS
// gateway from.
type gatewaySetup struct {
	data     string
	modems   []smsgateway.ModemConfig
	q        *queue.Queue
	logger   *slog.Logger
	reg      prometheus.Registerer
	simLink  string        // where the simulated modem's pty appears when there is no modem
	simDelay time.Duration // its network's latency; 0 for the simulator's default
	adjust   func(*smsgateway.Options)
}

// gateway is a started SMS gateway and the parts that run it.
type gateway struct {
	g     *smsgateway.Gateway
	sim   *modemsim.Sim // nil with real modems
	parts []daemon.Part // the simulator (if any), then the gateway
}

// startGateway opens the gateway on the modems, or on a simulated modem
// in-process when there are none, with its state changes and received SMS
// published on the queue and notify.sms consumed from it.
func startGateway(ctx context.Context, gs gatewaySetup) (*gateway, error) {
	opts := smsgateway.DefaultOptions(gs.data)
	opts.Logger = gs.logger.With("part", "sms")
	opts.Registerer = gs.reg
	opts.Modems = gs.modems
	name := smsqueue.NewGatewayName()
	bridge := smsqueue.New(gs.q, name, gs.logger.With("part", "smsqueue"))
	opts.OnStatus, opts.OnInbound = bridge.Status, bridge.Inbound
	if gs.adjust != nil {
		gs.adjust(&opts)
	}
	gw := &gateway{}
	if len(opts.Modems) == 0 {
		if err := os.MkdirAll(filepath.Dir(gs.simLink), 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(gs.simLink), err)
		}
		so := modemsim.NewOptions()
		so.Link = gs.simLink
		if gs.simDelay > 0 {
			so.SendLatency = gs.simDelay
		}
		so.Codec = pduCodec{smsc: so.SMSC}
		so.Logger = gs.logger.With("part", "modemsim")
		sim, err := modemsim.New(so)
		if err != nil {
			return nil, fmt.Errorf("simulated modem: %w", err)
		}
		if err := sim.Start(context.Background()); err != nil {
			return nil, fmt.Errorf("simulated modem: %w", err)
		}
		gw.sim = sim
		gw.parts = append(gw.parts, daemon.Func{PartName: "modemsim", CloseFunc: sim.Close})
		opts.Modems = []smsgateway.ModemConfig{{Name: "simulated-modem", Path: sim.Link()}}
		gs.logger.Warn("no GSM modem configured: SMS go to a SIMULATED modem and reach no phone",
			"device", sim.Device(), "link", sim.Link())
	}
	g, err := smsgateway.New(ctx, opts)
	if err != nil {
		if gw.sim != nil {
			gw.sim.Close()
		}
		return nil, err
	}
	// The other gateways' statuses first: a copy of an event one of them
	// has taken on is not sent again here.
	peers := smsqueue.NewPeers(name)
	peerConsumer, err := peers.Consume(gs.q)
	if err != nil {
		g.Close()
		if gw.sim != nil {
			gw.sim.Close()
		}
		return nil, err
	}
	consumer, err := smsqueue.Consume(gs.q, g, peers, gs.logger.With("part", "smsqueue"))
	if err != nil {
		peerConsumer.Stop()
		g.Close()
		if gw.sim != nil {
			gw.sim.Close()
		}
		return nil, err
	}
	gw.g = g
	gw.parts = append(gw.parts, daemon.Func{
		PartName: "sms",
		RunFunc: func(ctx context.Context) error {
			runCtx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- g.Run(runCtx) }()
			<-ctx.Done()
			consumer.Stop() // the SMS in hand are stored before the gateway stops
			peerConsumer.Stop()
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
		CloseFunc: func() error {
			consumer.Stop()
			peerConsumer.Stop()
			return g.Close()
		},
		HealthFunc: func(ctx context.Context) error {
			for _, m := range g.Modems() {
				if m.State == "up" {
					return nil
				}
			}
			return errors.New("no modem is up")
		},
	})
	return gw, nil
}
