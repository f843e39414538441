package at

import (
	"log/slog"
	"time"
)

// Options are a Conn's settings. Start from NewOptions.
type Options struct {
	// CommandTimeout is how long Command waits for a final result when
	// the caller passes no timeout.
	CommandTimeout time.Duration
	// PromptTimeout is how long SMSCommand waits for "> ".
	PromptTimeout time.Duration
	// SMSTimeout is how long SMSCommand waits for the final result after
	// Ctrl-Z when the caller passes no timeout.
	SMSTimeout time.Duration
	// WriteTimeout bounds one write to the port.
	WriteTimeout time.Duration
	// MaxLine is the longest line kept; longer ones are dropped.
	MaxLine int
	// ResyncProbe is sent before the next command after one timed out:
	// the late answers come before the probe's own (a modem answers in
	// order), which is told apart by its prefix ("+CMEE: 1"). Empty turns
	// the probe off. ResyncTimeout bounds the wait for its answer.
	ResyncProbe   string
	ResyncTimeout time.Duration
	// Logger gets what was dropped and why; nil discards.
	Logger *slog.Logger
}

// NewOptions returns the defaults: 10 s per command, 5 s for the prompt,
// 60 s for a send, 4 KiB lines, AT+CMEE? to resynchronise.
func NewOptions() Options {
	return Options{
		CommandTimeout: 10 * time.Second,
		PromptTimeout:  5 * time.Second,
		SMSTimeout:     60 * time.Second,
		WriteTimeout:   5 * time.Second,
		MaxLine:        4096,
		ResyncProbe:    "AT+CMEE?",
		ResyncTimeout:  2 * time.Second,
	}
}

func (o *Options) fill() {
	d := NewOptions()
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = d.CommandTimeout
	}
	if o.PromptTimeout <= 0 {
		o.PromptTimeout = d.PromptTimeout
	}
	if o.SMSTimeout <= 0 {
		o.SMSTimeout = d.SMSTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = d.WriteTimeout
	}
	if o.MaxLine <= 0 {
		o.MaxLine = d.MaxLine
	}
	if o.ResyncTimeout <= 0 {
		o.ResyncTimeout = d.ResyncTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
