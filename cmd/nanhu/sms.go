package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/hardware/modemsim"
	"nanhu/smsgateway"
	"nanhu/smsgateway/smsqueue"
)

// startSMS starts the SMS gateway on the configured modems, or on a
// simulated modem in-process when none is configured, and mounts its API
// (and the simulator's control API) on the HTTP listeners.
func (s *server) startSMS(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer) error {
	opts := smsgateway.DefaultOptions(cfg.Data)
	opts.Logger = logger.With("part", "sms")
	bridge := smsqueue.New(s.queue, logger.With("part", "smsqueue"))
	opts.OnStatus, opts.OnInbound = bridge.Status, bridge.Inbound
	opts.Registerer = reg
	opts.StatusReports = cfg.SMS.StatusReports
	if cfg.SMS.Validity.Duration > 0 {
		opts.DefaultValidity = cfg.SMS.Validity.Duration
	}
	for _, m := range cfg.SMS.Modems {
		opts.Modems = append(opts.Modems, smsgateway.ModemConfig{Name: m.Name, Path: m.Path, Baud: m.Baud, PIN: m.PIN, SMSC: m.SMSC, RatePerMinute: m.RatePerMinute})
	}
	if len(opts.Modems) == 0 {
		dir := filepath.Join(cfg.Data, "sim")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		so := modemsim.NewOptions()
		so.Link = filepath.Join(dir, "modem0")
		so.Codec = pduCodec{smsc: so.SMSC}
		so.Logger = logger.With("part", "modemsim")
		sim, err := modemsim.New(so)
		if err != nil {
			return fmt.Errorf("simulated modem: %w", err)
		}
		if err := sim.Start(context.Background()); err != nil {
			return fmt.Errorf("simulated modem: %w", err)
		}
		s.sim = sim
		opts.Modems = []smsgateway.ModemConfig{{Name: "simulated-modem", Path: sim.Link()}}
		logger.Warn("no GSM modem configured: SMS go to a SIMULATED modem and reach no phone; its control API is at /sim/ (administrators)",
			"device", sim.Device(), "link", sim.Link())
	}
	g, err := smsgateway.New(ctx, opts)
	if err != nil {
		return err
	}
	s.sms = g
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
		s.mux.Handle("/sim/", s.auth.require(http.StripPrefix("/sim", s.sim.Handler()), "admin"))
	}
	return nil
}
