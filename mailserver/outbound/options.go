package outbound

import (
	"context"
	"crypto"
	"crypto/tls"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Resolver is the part of *net.Resolver the queue uses to find the hosts
// of a domain. Tests pass a fake that points every domain at 127.0.0.1.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// LocalDeliverer puts a message into a local user's INBOX. The queue uses
// it for delivery status notifications to the (local) envelope sender.
type LocalDeliverer interface {
	DeliverLocal(ctx context.Context, to string, raw []byte) error
}

// DKIMKey signs outgoing mail whose sender domain is Domain.
type DKIMKey struct {
	Domain   string
	Selector string
	Signer   crypto.Signer
}

// Options configure a Queue. DefaultOptions gives the defaults; New fills
// any zero field with its default too.
type Options struct {
	// Path of the SQLite database (outbound.db). The message bytes are kept
	// in it, so a single commit makes a message durable.
	Path string
	// Hostname is our EHLO name and the Reporting-MTA of DSNs.
	Hostname string

	// Smarthost ("host:port") relays all mail; empty means MX lookup.
	Smarthost string
	// SmarthostUser and SmarthostPassword enable AUTH PLAIN to the
	// smarthost. Credentials are only ever sent over verified TLS (or over
	// TLS accepted by a TLSConfig the caller chose).
	SmarthostUser, SmarthostPassword string
	// SmarthostTLS is "starttls" (default, opportunistic), "tls" (implicit
	// TLS on connect) or "none".
	SmarthostTLS string

	// Port used for MX hosts, default 25.
	Port int
	// Resolver for MX and address lookups, default net.DefaultResolver.
	Resolver Resolver

	// Schedule[n] is the delay before attempt n+1: Schedule[0] before the
	// first attempt, Schedule[1] between the first and the second, and so on;
	// the last entry repeats.
	Schedule []time.Duration
	// DelayNotice is how long after the first attempt a sender is told,
	// once, that the message is still undelivered.
	DelayNotice time.Duration
	// MaxAge is how long after queueing the queue gives up and sends a
	// failure DSN for the recipients still pending.
	MaxAge time.Duration

	// DKIM keys per sender domain.
	DKIM []DKIMKey
	// Local receives DSNs for the envelope sender. Nil means DSNs are only
	// logged.
	Local LocalDeliverer

	Logger *slog.Logger
	// Now is the clock, for tests.
	Now func() time.Time
	// Workers is the number of concurrent deliveries (connections).
	Workers int

	DialTimeout    time.Duration
	CommandTimeout time.Duration
	// TLSConfig is used for STARTTLS and implicit TLS. Nil means the system
	// roots with the peer's host name; for MX delivery a certificate that
	// does not verify is still used (unverified TLS beats plaintext), which
	// the log notes.
	TLSConfig *tls.Config
}

// DefaultSchedule is the retry schedule when Options.Schedule is empty.
var DefaultSchedule = []time.Duration{
	0,
	7*time.Minute + 30*time.Second,
	15 * time.Minute,
	30 * time.Minute,
	time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
	16 * time.Hour,
}

// DefaultOptions returns the defaults with the database in dataDir.
func DefaultOptions(dataDir string) Options {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return Options{
		Path:           filepath.Join(dataDir, "outbound.db"),
		Hostname:       host,
		SmarthostTLS:   "starttls",
		Port:           25,
		Resolver:       net.DefaultResolver,
		Schedule:       append([]time.Duration(nil), DefaultSchedule...),
		DelayNotice:    4 * time.Hour,
		MaxAge:         5 * 24 * time.Hour,
		Logger:         slog.Default(),
		Now:            time.Now,
		Workers:        8,
		DialTimeout:    30 * time.Second,
		CommandTimeout: 5 * time.Minute,
	}
}

// withDefaults fills the zero fields of o from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions(filepath.Dir(o.Path))
	if o.Hostname == "" {
		o.Hostname = d.Hostname
	}
	if o.SmarthostTLS == "" {
		o.SmarthostTLS = d.SmarthostTLS
	}
	if o.Port == 0 {
		o.Port = d.Port
	}
	if o.Resolver == nil {
		o.Resolver = d.Resolver
	}
	if len(o.Schedule) == 0 {
		o.Schedule = d.Schedule
	}
	if o.DelayNotice == 0 {
		o.DelayNotice = d.DelayNotice
	}
	if o.MaxAge == 0 {
		o.MaxAge = d.MaxAge
	}
	if o.Logger == nil {
		o.Logger = d.Logger
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.Workers <= 0 {
		o.Workers = d.Workers
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = d.DialTimeout
	}
	if o.CommandTimeout == 0 {
		o.CommandTimeout = d.CommandTimeout
	}
	return o
}

// retryDelay is the wait after attempt number n (1-based) failed.
func (o *Options) retryDelay(n int) time.Duration {
	if n < len(o.Schedule) {
		return o.Schedule[n]
	}
	return o.Schedule[len(o.Schedule)-1]
}
