package smsgateway

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/hardware/serial"
	"nanhu/smsgateway/at"
)

// ModemConfig is one GSM modem of the pool.
type ModemConfig struct {
	// Name identifies the modem in logs, metrics, the API and sms.db; a
	// status report is matched to the parts this modem sent, so keep the
	// name when the device path changes. Default: the path's base name.
	Name string
	// Path is the serial device, preferably a stable name such as
	// /dev/serial/by-id/usb-HUAWEI_…-if00-port0.
	Path string
	// Baud is the line speed; 0 means 115200 (USB modems ignore it).
	Baud int
	// PIN is entered when the SIM asks for one. A PIN the SIM refuses is
	// not tried again (three wrong ones block the SIM): the modem stays
	// down until the configuration is fixed.
	PIN string
	// SMSC, when set, is written to the modem with AT+CSCA; otherwise the
	// SIM's service centre is used.
	SMSC string
	// RatePerMinute caps the parts this modem sends a minute, evenly
	// spaced (operators flag SIMs that send bursts); 0 means no cap.
	RatePerMinute int
	// Storage is the message memory read and written ("SM" the SIM, "ME"
	// the modem); default "SM".
	Storage string
	// Mode is how SMS are exchanged with the modem (TS 27.005): "pdu",
	// "text", or "" for PDU mode when the modem takes it and text mode
	// when it does not. In text mode a long text goes as separate SMS,
	// one per part, that the phone does not join (see ModeText).
	Mode string
}

// Options are the gateway's settings. DefaultOptions gives the defaults;
// New fills zero fields with them too.
type Options struct {
	// DBPath is sms.db.
	DBPath string
	// Modems is the pool. None is allowed: messages wait in the queue.
	Modems []ModemConfig
	// Dial opens a modem's line; default opens Path with hardware/serial.
	// Tests and the in-process simulator hand over a pty or a pipe. When
	// the line fails it is closed and Dial is called again, with backoff.
	Dial func(ModemConfig) (io.ReadWriteCloser, error)
	// AT are the AT driver's settings (timeouts); zero fields default.
	AT at.Options

	// HealthInterval is how often each modem is asked AT+CSQ and
	// AT+CREG?.
	HealthInterval time.Duration
	// SweepInterval is how often each modem's memory is listed with
	// AT+CMGL=4, for messages and reports whose indication was missed.
	SweepInterval time.Duration
	// RecheckDelay is how long a modem that failed a send rests before a
	// health check may bring it back.
	RecheckDelay time.Duration
	// RetryMin and RetryMax bound the backoff between attempts of a
	// message after a retryable error. The first retry, on another modem
	// when there is one, is immediate.
	RetryMin, RetryMax time.Duration

	// DefaultValidity is the validity of a message whose request gives
	// none: asked of the network (TP-VP), and how long the gateway keeps
	// trying to send it.
	DefaultValidity time.Duration
	// StatusReports is whether a message asks for a status report when
	// its request does not say.
	StatusReports bool
	// MaxParts is the most parts a message may take (67 Chinese characters
	// or 153 GSM characters each when split). The default, 16, takes the
	// 1,000 characters a notify.sms message may hold.
	MaxParts int
	// ReassemblyTimeout is how long the first part of an inbound message
	// waits for the rest; then what came is stored as an incomplete
	// message.
	ReassemblyTimeout time.Duration

	// OnStatus is called with a message each time it becomes sent,
	// delivered or failed; OnInbound with each received message once it
	// is stored. Both are called in order, one at a time, from a goroutine
	// of the gateway's.
	OnStatus  func(Message) error
	OnInbound func(InboundMessage) error

	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics registered
	Now        func() time.Time
}

// DefaultOptions returns the settings for a gateway whose database lives
// in dataDir, with no modem.
func DefaultOptions(dataDir string) Options {
	return Options{
		DBPath:            filepath.Join(dataDir, "sms.db"),
		HealthInterval:    30 * time.Second,
		SweepInterval:     time.Minute,
		RecheckDelay:      10 * time.Second,
		RetryMin:          5 * time.Second,
		RetryMax:          5 * time.Minute,
		DefaultValidity:   24 * time.Hour,
		StatusReports:     true,
		MaxParts:          16,
		ReassemblyTimeout: 24 * time.Hour,
		Now:               time.Now,
	}
}

// dialSerial opens a modem's serial line with hardware/serial: the
// default Options.Dial.
func dialSerial(log *slog.Logger) func(ModemConfig) (io.ReadWriteCloser, error) {
	return func(c ModemConfig) (io.ReadWriteCloser, error) {
		return serial.Open(serial.Config{Path: c.Path, Baud: c.Baud, Logger: log.With("modem", c.Name)})
	}
}

// maxValidity is the longest relative TP-VP (63 weeks).
const maxValidity = 63 * 7 * 24 * time.Hour

func (o *Options) fill() error {
	d := DefaultOptions(".")
	if o.DBPath == "" {
		return errors.New("smsgateway: Options.DBPath is required")
	}
	durations := []struct{ v, def *time.Duration }{
		{&o.HealthInterval, &d.HealthInterval}, {&o.SweepInterval, &d.SweepInterval},
		{&o.RecheckDelay, &d.RecheckDelay}, {&o.RetryMin, &d.RetryMin}, {&o.RetryMax, &d.RetryMax},
		{&o.DefaultValidity, &d.DefaultValidity}, {&o.ReassemblyTimeout, &d.ReassemblyTimeout},
	}
	for _, x := range durations {
		if *x.v <= 0 {
			*x.v = *x.def
		}
	}
	o.RetryMax = max(o.RetryMax, o.RetryMin)
	o.DefaultValidity = min(o.DefaultValidity, maxValidity)
	if o.MaxParts <= 0 {
		o.MaxParts = d.MaxParts
	}
	o.MaxParts = min(o.MaxParts, 255)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Dial == nil {
		o.Dial = dialSerial(o.Logger)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	seen := map[string]bool{}
	for i := range o.Modems {
		m := &o.Modems[i]
		if m.Name == "" {
			m.Name = filepath.Base(m.Path)
		}
		if m.Name == "" || m.Name == "." || m.Name == "/" {
			return fmt.Errorf("smsgateway: modem %d has neither a name nor a path", i+1)
		}
		if seen[m.Name] {
			return fmt.Errorf("smsgateway: two modems are named %q", m.Name)
		}
		seen[m.Name] = true
		if m.Storage == "" {
			m.Storage = "SM"
		}
		m.Storage = strings.ToUpper(m.Storage)
		m.Mode = strings.ToLower(strings.TrimSpace(m.Mode))
		if m.Mode != ModeAuto && m.Mode != ModePDU && m.Mode != ModeText {
			return fmt.Errorf("smsgateway: modem %s: mode %q is neither pdu nor text", m.Name, m.Mode)
		}
		if m.RatePerMinute < 0 {
			return fmt.Errorf("smsgateway: modem %s: negative rate", m.Name)
		}
	}
	return nil
}
