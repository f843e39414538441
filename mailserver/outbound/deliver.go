package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// outcome is what one attempt did for one recipient.
type outcome int

const (
	delivered outcome = iota + 1
	deferred          // temporary failure: retry per schedule
	failed            // permanent failure: DSN
	aborted           // cut off by shutdown: retry soon, not counted
)

// result is the outcome for one recipient with what the DSN reports.
type result struct {
	outcome outcome
	status  string // RFC 3463 x.y.z
	diag    string // Diagnostic-Code value: "smtp; 550 5.1.1 no such user"
	remote  string // host that gave the reply, if any
}

// localError is a failure found on our side rather than replied by a peer.
type localError struct {
	permanent bool
	status    string
	text      string
}

func (e *localError) Error() string { return e.status + " " + e.text }

func permError(status, format string, args ...any) error {
	return &localError{permanent: true, status: status, text: fmt.Sprintf(format, args...)}
}

func tempError(status, format string, args ...any) error {
	return &localError{status: status, text: fmt.Sprintf(format, args...)}
}

// resultOf turns an error of an attempt into the recipient's result.
func resultOf(err error, remote string) result {
	var re *replyError
	var le *localError
	switch {
	case err == nil:
		return result{outcome: delivered, status: "2.0.0", remote: remote}
	case errors.As(err, &re):
		st := re.enhanced
		if st == "" {
			st = fmt.Sprintf("%d.0.0", re.code/100)
		}
		o := deferred
		if re.permanent() {
			o = failed
		}
		return result{outcome: o, status: st, diag: "smtp; " + re.Error(), remote: remote}
	case errors.As(err, &le):
		o := deferred
		if le.permanent {
			o = failed
		}
		return result{outcome: o, status: le.status, diag: "x-nanhu; " + le.text, remote: remote}
	case errors.Is(err, context.Canceled):
		return result{outcome: aborted, status: "4.4.2", diag: "x-nanhu; delivery interrupted by shutdown", remote: remote}
	default:
		var he *tlsHandshakeError
		st := "4.4.2" // bad connection
		var ne net.Error
		var oe *net.OpError
		switch {
		case errors.As(err, &he):
			st = "4.7.5" // cryptographic failure
		case errors.As(err, &oe) && oe.Op == "dial":
			st = "4.4.1" // no answer from host
		case errors.As(err, &ne) && ne.Timeout():
			st = "4.4.2"
		}
		return result{outcome: deferred, status: st, diag: "x-nanhu; " + oneLine(err.Error()), remote: remote}
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// target is one address to try for a domain.
type target struct {
	name        string // host name: TLS server name, Remote-MTA
	addr        string // host:port to dial
	implicitTLS bool
	smarthost   bool
}

// targets lists where mail for domain goes, in order of preference.
func (q *Queue) targets(ctx context.Context, domain string) ([]target, error) {
	o := &q.opts
	if o.Smarthost != "" {
		host, _, err := net.SplitHostPort(o.Smarthost)
		if err != nil {
			return nil, permError("5.3.5", "smarthost %q is not host:port", o.Smarthost)
		}
		return []target{{name: host, addr: o.Smarthost, implicitTLS: o.SmarthostTLS == "tls", smarthost: true}}, nil
	}
	port := strconv.Itoa(o.Port)
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		lit := strings.TrimPrefix(strings.TrimSuffix(domain, "]"), "[")
		lit = strings.TrimPrefix(strings.TrimPrefix(lit, "IPv6:"), "ipv6:")
		if net.ParseIP(lit) == nil {
			return nil, permError("5.1.2", "bad address literal %s", domain)
		}
		return []target{{name: lit, addr: net.JoinHostPort(lit, port)}}, nil
	}
	mxs, err := o.Resolver.LookupMX(ctx, domain)
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) && len(mxs) == 0 {
		return nil, tempError("4.4.3", "MX lookup for %s: %v", domain, err)
	}
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, permError("5.1.10", "%s publishes a null MX: it accepts no mail (RFC 7505)", domain)
	}
	hosts := make([]string, 0, len(mxs))
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
	for _, mx := range mxs {
		if h := strings.TrimSuffix(mx.Host, "."); h != "" {
			hosts = append(hosts, h)
		}
	}
	implicit := len(hosts) == 0
	if implicit {
		hosts = []string{domain} // RFC 5321 5.1: the domain is its own MX
	}
	var out []target
	var lastErr error
	for _, h := range hosts {
		addrs, err := o.Resolver.LookupHost(ctx, h)
		if err != nil {
			lastErr = err
			continue
		}
		for _, a := range addrs {
			out = append(out, target{name: h, addr: net.JoinHostPort(a, port)})
		}
	}
	if len(out) == 0 {
		if implicit && errors.As(lastErr, &dnsErr) && dnsErr.IsNotFound {
			return nil, permError("5.1.2", "domain %s has neither MX nor address records", domain)
		}
		return nil, tempError("4.4.3", "no address for the mail hosts of %s: %v", domain, lastErr)
	}
	return out, nil
}

// deliverDomain tries the recipients of one domain, host after host, and
// returns a result for every one of them.
func (q *Queue) deliverDomain(ctx context.Context, m *message, domain string, rcpts []recipient) []result {
	all := func(r result) []result {
		out := make([]result, len(rcpts))
		for i := range out {
			out[i] = r
		}
		return out
	}
	targets, err := q.targets(ctx, domain)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Canceled
		}
		return all(resultOf(err, ""))
	}
	var last result
	for _, t := range targets {
		if ctx.Err() != nil {
			return all(resultOf(context.Canceled, ""))
		}
		res, next, err := q.deliverTarget(ctx, t, m, rcpts)
		if !next {
			return res
		}
		q.log.Info("outbound: mail host failed, trying the next", "msg", m.id, "domain", domain, "host", t.name, "addr", t.addr, "err", err)
		last = resultOf(err, t.name)
	}
	if ctx.Err() != nil {
		return all(resultOf(context.Canceled, ""))
	}
	return all(last)
}

// tlsLevel is how hard a connection insists on TLS.
type tlsLevel int

const (
	tlsVerified   tlsLevel = iota // TLS with the certificate checked
	tlsUnverified                 // TLS, any certificate
	tlsPlain                      // no TLS
)

// deliverTarget runs one SMTP transaction with one host. next is true when
// the failure happened before MAIL FROM, so that another host may do
// better; the error is then the reason.
func (q *Queue) deliverTarget(ctx context.Context, t target, m *message, rcpts []recipient) (res []result, next bool, err error) {
	o := &q.opts
	creds := t.smarthost && o.SmarthostUser != ""
	level, floor := tlsVerified, tlsPlain
	switch {
	case t.smarthost && o.SmarthostTLS == "none":
		level = tlsPlain
	case creds:
		floor = tlsVerified // a password goes only to a peer we checked
	case t.implicitTLS:
		floor = tlsUnverified
	}
	var c *conn
	for {
		c, err = q.connect(ctx, t, level)
		var he *tlsHandshakeError
		if errors.As(err, &he) && level < floor {
			level++
			q.log.Warn("outbound: TLS failed, retrying with a weaker policy", "host", t.name, "addr", t.addr,
				"policy", map[tlsLevel]string{tlsUnverified: "unverified TLS", tlsPlain: "plaintext"}[level], "err", err)
			continue
		}
		if err != nil {
			return nil, true, err
		}
		break
	}
	defer c.close()
	stop := c.watch(ctx)
	defer stop()
	q.log.Debug("outbound: connected", "msg", m.id, "host", t.name, "addr", t.addr, "tls", c.tls, "verified", c.verified)

	if creds {
		if !c.tls {
			return nil, true, tempError("4.7.10", "no TLS to smarthost %s (SmarthostTLS %s); not sending the password in clear", t.name, o.SmarthostTLS)
		}
		if err := c.authPlain(o.SmarthostUser, o.SmarthostPassword); err != nil {
			// A wrong password is our configuration, not the recipient's
			// fault: keep the mail queued until an admin fixes it.
			return nil, true, tempError("4.7.8", "authentication to %s failed: %v", t.name, err)
		}
	}

	res = make([]result, len(rcpts))
	setAll := func(r result) []result {
		for i := range res {
			if res[i].outcome == 0 {
				res[i] = r
			}
		}
		return res
	}
	fail := func(err error) ([]result, bool, error) {
		if c.wasAborted() {
			err = context.Canceled
		}
		return setAll(resultOf(err, t.name)), false, nil
	}

	if m.smtputf8 && !c.has("SMTPUTF8") {
		return fail(permError("5.6.7", "the message has UTF-8 addresses or header fields and %s does not support SMTPUTF8", t.name))
	}
	if limit, err := strconv.ParseInt(c.ext["SIZE"], 10, 64); err == nil && limit > 0 && int64(len(m.raw)) > limit {
		return fail(permError("5.3.4", "the message (%d bytes) is larger than %s accepts (%d bytes)", len(m.raw), t.name, limit))
	}

	mail := "MAIL FROM:<" + m.sender + ">"
	if m.eightbit {
		if c.has("8BITMIME") {
			mail += " BODY=8BITMIME"
		} else {
			q.log.Warn("outbound: peer lacks 8BITMIME, sending 8-bit message as is", "msg", m.id, "host", t.name)
		}
	}
	if m.smtputf8 {
		mail += " SMTPUTF8"
	}
	if c.has("SIZE") {
		mail += " SIZE=" + strconv.Itoa(len(m.raw))
	}
	if _, err := c.cmd(2, mail); err != nil {
		return fail(err)
	}

	accepted := 0
	for i, r := range rcpts {
		_, err := c.cmd(2, "RCPT TO:<"+r.addr+">")
		var re *replyError
		if errors.As(err, &re) {
			res[i] = resultOf(err, t.name)
			continue
		}
		if err != nil {
			return fail(err)
		}
		accepted++
	}
	if accepted == 0 {
		c.quit()
		return res, false, nil
	}
	if err := c.data(m.raw); err != nil {
		return fail(err)
	}
	setAll(result{outcome: delivered, status: "2.0.0", remote: t.name})
	c.quit()
	return res, false, nil
}

// connect dials t and gets as far as a greeted, EHLO'd connection, over TLS
// when level asks for it and the peer offers it.
func (q *Queue) connect(ctx context.Context, t target, level tlsLevel) (*conn, error) {
	o := &q.opts
	d := net.Dialer{Timeout: o.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	c := newConn(nc, t.name, o.CommandTimeout)
	stop := c.watch(ctx)
	defer stop()
	if err := q.open(c, t, level); err != nil {
		c.close()
		if c.wasAborted() {
			return nil, context.Canceled
		}
		return nil, err
	}
	return c, nil
}

// open runs the greeting, EHLO and TLS on a fresh connection.
func (q *Queue) open(c *conn, t target, level tlsLevel) error {
	o := &q.opts
	if t.implicitTLS {
		if err := c.handshake(q.tlsConfig(t.name, level), level == tlsVerified); err != nil {
			return err
		}
	}
	if err := c.greet(); err != nil {
		return err
	}
	if err := c.hello(o.Hostname); err != nil {
		return err
	}
	if !c.tls && level != tlsPlain && c.has("STARTTLS") {
		if err := c.startTLS(q.tlsConfig(t.name, level), level == tlsVerified); err != nil {
			return err
		}
		if err := c.hello(o.Hostname); err != nil {
			return err
		}
	}
	if c.wasAborted() {
		return context.Canceled
	}
	return nil
}

func (q *Queue) tlsConfig(serverName string, level tlsLevel) *tls.Config {
	var cfg *tls.Config
	if q.opts.TLSConfig != nil {
		cfg = q.opts.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	if level == tlsUnverified {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}
