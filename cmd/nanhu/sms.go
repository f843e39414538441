package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/hardware/modemsim"
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

// newGateway opens the gateway on the modems, or on a simulated modem
// in-process when there are none (returned so its control API can be
// served), with its state changes and received SMS published on the queue.
func newGateway(ctx context.Context, gs gatewaySetup) (*smsgateway.Gateway, *modemsim.Sim, error) {
	opts := smsgateway.DefaultOptions(gs.data)
	opts.Logger = gs.logger.With("part", "sms")
	opts.Registerer = gs.reg
	opts.Modems = gs.modems
	bridge := smsqueue.New(gs.q, gs.logger.With("part", "smsqueue"))
	opts.OnStatus, opts.OnInbound = bridge.Status, bridge.Inbound
	if gs.adjust != nil {
		gs.adjust(&opts)
	}
	var sim *modemsim.Sim
	if len(opts.Modems) == 0 {
		if err := os.MkdirAll(filepath.Dir(gs.simLink), 0o700); err != nil {
			return nil, nil, fmt.Errorf("create %s: %w", filepath.Dir(gs.simLink), err)
		}
		so := modemsim.NewOptions()
		so.Link = gs.simLink
		if gs.simDelay > 0 {
			so.SendLatency = gs.simDelay
		}
		so.Codec = pduCodec{smsc: so.SMSC}
		so.Logger = gs.logger.With("part", "modemsim")
		var err error
		if sim, err = modemsim.New(so); err != nil {
			return nil, nil, fmt.Errorf("simulated modem: %w", err)
		}
		if err := sim.Start(context.Background()); err != nil {
			return nil, nil, fmt.Errorf("simulated modem: %w", err)
		}
		opts.Modems = []smsgateway.ModemConfig{{Name: "simulated-modem", Path: sim.Link()}}
		gs.logger.Warn("no GSM modem configured: SMS go to a SIMULATED modem and reach no phone",
			"device", sim.Device(), "link", sim.Link())
	}
	g, err := smsgateway.New(ctx, opts)
	if err != nil {
		if sim != nil {
			sim.Close()
		}
		return nil, nil, err
	}
	return g, sim, nil
}

// startSMS starts the SMS gateway on the configured modems, or on a
// simulated modem in-process when none is configured, and mounts its API
// (and the simulator's control API, for administrators, under /sim/) on
// the HTTP listeners.
func (s *server) startSMS(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer) error {
	if !cfg.runsSMSGateway() {
		logger.Info("this server sends no SMS itself: the nanhu smsgw hosts on the NSQ cluster send notify.sms", "sms.gateway", cfg.SMS.Gateway)
		none := s.auth.require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpError(w, http.StatusServiceUnavailable, "本服务器不发送短信，短信经 notify.sms 由 nanhu smsgw 主机发送（this server runs no SMS gateway, see [sms] gateway; publish notify.sms for the nanhu smsgw hosts）")
		}), "admin", "sms")
		for _, p := range []string{"/api/v1/sms", "/api/v1/sms/", "/api/v1/modems"} {
			s.mux.Handle(p, none)
		}
		return nil
	}
	var modems []smsgateway.ModemConfig
	for _, m := range cfg.SMS.Modems {
		modems = append(modems, smsgateway.ModemConfig{Name: m.Name, Path: m.Path, Baud: m.Baud, PIN: m.PIN, SMSC: m.SMSC, RatePerMinute: m.RatePerMinute, Mode: m.Mode})
	}
	g, sim, err := newGateway(ctx, gatewaySetup{data: cfg.Data, modems: modems, q: s.queue, logger: logger, reg: reg,
		simLink: filepath.Join(cfg.Data, "sim", "modem0"),
		adjust: func(o *smsgateway.Options) {
			o.StatusReports = cfg.SMS.StatusReports
			if cfg.SMS.Validity.Duration > 0 {
				o.DefaultValidity = cfg.SMS.Validity.Duration
			}
		}})
	if err != nil {
		return err
	}
	s.sms, s.sim = g, sim
	if _, err := smsqueue.Consume(s.queue, g, logger.With("part", "smsqueue")); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	prev := s.cancel
	s.cancel = func() {
		cancel()
		if prev != nil {
			prev()
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := g.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("sms gateway stopped", "err", err)
		}
	}()

	api := g.Handler(smsgateway.HandlerOptions{Authorize: func(r *http.Request) (string, bool) {
		u := userOf(r)
		return u, u != ""
	}})
	// Sending SMS is for administrators and the accounts given the "sms"
	// role (the offices that notify people); anyone else gets 403.
	protected := s.auth.require(api, "admin", "sms")
	s.mux.Handle("/api/v1/sms", protected)
	s.mux.Handle("/api/v1/sms/", protected)
	s.mux.Handle("/api/v1/modems", protected)
	if s.sim != nil {
		logger.Info("the simulated modem's control API is at /sim/ on the HTTP listeners (administrators)")
		s.mux.Handle("/sim/", s.auth.require(http.StripPrefix("/sim", s.sim.Handler()), "admin"))
	}
	return nil
}
