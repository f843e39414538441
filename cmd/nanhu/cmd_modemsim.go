package main

// `nanhu modemsim`: the GSM modem simulator on a pseudo-terminal, with its
// control API on its own HTTP listener. The simulator lives in
// hardware/modemsim; here it gets the PDU codec of smsgateway/pdu, which
// hardware/ may not import itself.

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
	"syscall"
	"time"

	"nanhu/hardware/modemsim"
	"nanhu/smsgateway/pdu"
)

func init() {
	register("modemsim", "run a simulated GSM modem on a pseudo-terminal", func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		ctx, cancel := endWithGoRun(ctx, slog.Default())
		defer cancel()
		return runModemsim(ctx, args, os.Stderr, nil)
	})
}

const modemsimUsage = "nanhu modemsim --link PATH [--control ADDR] [--number +8613...] [--send-latency DURATION] [--text-only]"

// runModemsim runs the simulator until ctx ends. ready, when not nil, is
// told the control API's address once the modem answers (tests use it).
func runModemsim(ctx context.Context, args []string, stderr io.Writer, ready func(control string)) error {
	fs := flag.NewFlagSet("modemsim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := modemsim.NewOptions()
	link := fs.String("link", "", "make the modem's device appear at this `path` (a symbolic link to the pty)")
	control := fs.String("control", "127.0.0.1:8025", "serve the control API (JSON over HTTP) on this `address`; empty for none")
	number := fs.String("number", def.Number, "the SIM's own phone `number`")
	latency := fs.Duration("send-latency", def.SendLatency, "how long the network takes to accept each SMS")
	reportDelay := fs.Duration("report-delay", def.ReportDelay, "how long after a send its status report arrives")
	rssi := fs.Duration("rssi-interval", 0, "emit ^RSSI unasked this often, as Huawei sticks do (0: never)")
	smsc := fs.String("smsc", def.SMSC, "the service centre on the SIM (AT+CSCA?)")
	textOnly := fs.Bool("text-only", false, "a modem without PDU mode: it answers AT+CMGF=0 with ERROR and exchanges SMS in text mode only")
	verbose := fs.Bool("v", false, "log every AT command line")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", modemsimUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 || *link == "" {
		return fmt.Errorf("usage: %s", modemsimUsage)
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts := def
	opts.Link = *link
	opts.Number = *number
	opts.SendLatency = *latency
	opts.ReportDelay = *reportDelay
	opts.RSSIInterval = *rssi
	opts.SMSC = *smsc
	opts.TextOnly = *textOnly
	opts.Codec = pduCodec{smsc: *smsc}
	opts.Logger = log
	sim, err := modemsim.New(opts)
	if err != nil {
		return err
	}

	var srv *http.Server
	var ln net.Listener
	if *control != "" {
		ln, err = net.Listen("tcp", *control)
		if err != nil {
			return fmt.Errorf("control API: %w", err)
		}
		srv = &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	}
	if err := sim.Start(ctx); err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	defer sim.Close()
	addr := ""
	if srv != nil {
		addr = ln.Addr().String()
		go srv.Serve(ln)
		log.Info("control API", "url", "http://"+addr+"/messages")
	}
	fmt.Fprintf(stderr, "simulated GSM modem at %s (%s); stop with Ctrl-C\n", *link, sim.Device())
	if ready != nil {
		ready(addr)
	}
	<-ctx.Done()
	log.Info("stopping the simulated modem")
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return nil
}

// pduCodec gives the simulator smsgateway/pdu's coding, with the service
// centre a real network would write into the PDUs it delivers.
type pduCodec struct{ smsc string }

func (c pduCodec) DecodeSubmit(hexPDU string) (modemsim.Submit, error) {
	s, err := pdu.DecodeSubmit(hexPDU)
	if err != nil {
		return modemsim.Submit{}, err
	}
	out := modemsim.Submit{To: s.To, Text: s.Text, MR: s.MessageRef, StatusReport: s.StatusReport}
	if s.Concat != nil {
		out.Concat = modemsim.Concat{Ref: s.Concat.Ref, Total: s.Concat.Total, Seq: s.Concat.Seq}
	}
	if s.Encoding == pdu.Binary8 && out.Text == "" {
		out.Text = fmt.Sprintf("(%d octets of binary data)", len(s.Data))
	}
	return out, nil
}

func (c pduCodec) EncodeDeliver(from, text string, at time.Time) ([]string, error) {
	parts, err := pdu.EncodeDeliver(pdu.Deliver{SMSC: c.smsc, From: from, Timestamp: at, Text: text})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.Hex
	}
	return out, nil
}

func (c pduCodec) DecodeDeliver(hexPDU string) (modemsim.Deliver, error) {
	d, err := pdu.DecodeDeliver(hexPDU)
	if err != nil {
		return modemsim.Deliver{}, err
	}
	out := modemsim.Deliver{From: d.From, Text: d.Text, At: d.Timestamp}
	if d.Concat != nil {
		out.Concat = modemsim.Concat{Ref: d.Concat.Ref, Total: d.Concat.Total, Seq: d.Concat.Seq}
	}
	return out, nil
}

func (c pduCodec) EncodeStatusReport(ref byte, recipient string, submitted, done time.Time, status byte) (string, error) {
	p, err := pdu.EncodeStatusReport(pdu.StatusReport{SMSC: c.smsc, MessageRef: ref, Recipient: recipient, SCTS: submitted, Discharge: done, Status: status})
	return p.Hex, err
}
