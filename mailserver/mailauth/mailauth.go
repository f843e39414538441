// Package mailauth tells who really sent a message that arrives from
// another mail system: SPF (RFC 7208) for the client's address and the
// envelope sender, DKIM (RFC 6376) for the signatures in the header, and
// DMARC (RFC 7489) for the domain in the From header. It writes the
// outcome as an Authentication-Results header (RFC 8601) and removes the
// ones that claim to be ours before it.
//
// Every DNS question goes through the Resolver of Options, so tests and
// offline networks decide what DNS says. DNS that answers nothing gives
// "none" or "temperror", never "fail": on a network without DNS local mail
// keeps flowing and nothing is refused for it.
//
// Signatures in our own domains are checked against our own DKIM keys,
// held in memory, and never against DNS: a valid one means the message
// was signed by this server (OurSignature).
package mailauth

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Resolver is the part of *net.Resolver the checks use. Tests pass a
// table (Static).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Key is one of our DKIM keys: the TXT record that would publish it at
// Selector._domainkey.Domain.
type Key struct {
	Domain   string
	Selector string
	Record   string // "v=DKIM1; k=rsa; p=..."
}

// Options configure a Checker.
type Options struct {
	// Hostname is the authserv-id of our Authentication-Results headers;
	// headers that claim it are removed from arriving mail.
	Hostname string
	// LocalDomains are our mail domains: their signatures are checked
	// against OwnKeys only.
	LocalDomains []string
	// OwnKeys are our DKIM keys.
	OwnKeys []Key
	// Resolver answers every DNS question; default net.DefaultResolver.
	// Its answers are kept for 5 minutes, its failures for 1 minute, and
	// a question several messages ask at once is asked once.
	Resolver Resolver
	// Timeout bounds the DNS questions of one message; default 20s. What
	// is not answered in time is a temperror.
	Timeout time.Duration
	// MaxSignatures is how many DKIM signatures are checked; default 5.
	MaxSignatures int
	Logger        *slog.Logger
}

// Checker checks arriving mail. It is safe for concurrent use.
type Checker struct {
	opts  Options
	local map[string]bool
	own   map[string]string // "selector._domainkey.domain" → record
}

// New returns a Checker.
func New(opts Options) *Checker {
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if opts.MaxSignatures <= 0 {
		opts.MaxSignatures = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Resolver = newCache(opts.Resolver, 5*time.Minute, time.Minute, opts.Timeout)
	c := &Checker{opts: opts, local: map[string]bool{}, own: map[string]string{}}
	for _, d := range opts.LocalDomains {
		c.local[strings.ToLower(d)] = true
	}
	for _, k := range opts.OwnKeys {
		c.local[strings.ToLower(k.Domain)] = true
		c.own[strings.ToLower(k.Selector+"._domainkey."+k.Domain)] = k.Record
	}
	return c
}

// Message is what the checks look at.
type Message struct {
	IP       netip.Addr // the client's address
	Helo     string     // its EHLO/HELO name
	MailFrom string     // the envelope sender; "" for the null sender
	Raw      []byte     // the message as it arrived
}

// Value is a result of one method, as Authentication-Results writes it.
type Value string

// The results of RFC 8601 §2.7 that the checks give.
const (
	None      Value = "none"
	Pass      Value = "pass"
	Fail      Value = "fail"
	SoftFail  Value = "softfail"
	Neutral   Value = "neutral"
	TempError Value = "temperror"
	PermError Value = "permerror"
)

// Policy is what a DMARC record asks of failing mail.
type Policy string

// The DMARC policies (RFC 7489 §6.3, p=).
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// Signature is the outcome of one DKIM signature.
type Signature struct {
	Domain string // d=
	Value  Value
	Reason string
	Ours   bool // a valid signature by one of our own keys
}

// Result is the outcome of every check on one message.
type Result struct {
	SPF       Value
	SPFReason string
	// SPFDomain is the domain SPF checked: the envelope sender's, or the
	// HELO name's for the null sender.
	SPFDomain string
	MailFrom  string
	Helo      string

	DKIM []Signature

	// FromDomains are the domains of the From header's addresses.
	FromDomains []string
	DMARC       Value
	DMARCReason string
	DMARCDomain string // the From domain the DMARC result is for
	// Policy is what the failing domain's record asks, after its pct=;
	// PolicyNone unless DMARC is Fail.
	Policy Policy
}

// OurSignature reports whether the message carries a valid DKIM
// signature made with one of our own keys.
func (r Result) OurSignature() bool {
	for _, s := range r.DKIM {
		if s.Ours {
			return true
		}
	}
	return false
}

// Check runs SPF, DKIM and DMARC on m. It never fails: what DNS cannot
// answer is a temperror in the result.
func (c *Checker) Check(ctx context.Context, m Message) Result {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	r := Result{MailFrom: m.MailFrom, Helo: m.Helo}
	r.SPF, r.SPFDomain, r.SPFReason = c.checkSPF(ctx, m)
	r.DKIM = c.checkDKIM(ctx, m.Raw)
	fields, _ := SplitHeader(m.Raw)
	r.FromDomains = FromDomains(fields)
	c.checkDMARC(ctx, &r)
	c.opts.Logger.Debug("sender checks", "ip", m.IP, "mail_from", m.MailFrom, "spf", r.SPF,
		"dkim", dkimValue(r.DKIM), "from", r.FromDomains, "dmarc", r.DMARC, "policy", r.Policy)
	return r
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
}

// isLocal reports whether domain is one of ours.
func (c *Checker) isLocal(domain string) bool { return c.local[strings.ToLower(domain)] }

// Hostname is the authserv-id the Checker writes.
func (c *Checker) Hostname() string { return c.opts.Hostname }

// clean keeps text from the client out of header syntax: control
// characters become '_'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '_'
		}
		return r
	}, s)
}
