package mailauth

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// OrgDomain is the organizational domain of domain (RFC 7489 §3.2): the
// public suffix and one label more, by the public suffix list compiled
// into golang.org/x/net. A name that is itself a suffix is its own.
func OrgDomain(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// aligned reports whether a and b are aligned in mode (RFC 7489 §3.1):
// the same name (strict), or the same organizational domain (relaxed).
func aligned(a, b string, mode dmarc.AlignmentMode) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	return mode != dmarc.AlignmentStrict && OrgDomain(a) == OrgDomain(b)
}

// errNoRecord says a domain publishes no DMARC record.
var errNoRecord = errors.New("no DMARC record")

// lookupDMARC finds the record for domain: at _dmarc.domain, else at
// _dmarc.<organizational domain> (RFC 7489 §6.6.3). sub says the record
// came from the organizational domain, so that its sp= applies.
func (c *Checker) lookupDMARC(ctx context.Context, domain string) (rec *dmarc.Record, sub bool, err error) {
	rec, err = c.dmarcAt(ctx, domain)
	if !errors.Is(err, errNoRecord) {
		return rec, false, err
	}
	org := OrgDomain(domain)
	if org == domain {
		return nil, false, err
	}
	rec, err = c.dmarcAt(ctx, org)
	return rec, true, err
}

// errTemp wraps a DNS failure that may pass.
type errTemp struct{ err error }

func (e errTemp) Error() string { return "DNS: " + e.err.Error() }
func (e errTemp) Unwrap() error { return e.err }

func (c *Checker) dmarcAt(ctx context.Context, domain string) (*dmarc.Record, error) {
	txts, err := c.opts.Resolver.LookupTXT(ctx, "_dmarc."+domain)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, errNoRecord
		}
		return nil, errTemp{err}
	}
	var found []string
	for _, t := range txts {
		// "v=DMARC1" must come first (§6.4); records of other kinds at
		// the name are ignored.
		if v, _, _ := strings.Cut(t, ";"); strings.EqualFold(strings.ReplaceAll(v, " ", ""), "v=DMARC1") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, errNoRecord
	case 1:
	default:
		// §6.6.3: more than one record means none applies.
		return nil, errNoRecord
	}
	rec, err := dmarc.Parse(found[0])
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// checkDMARC sets r's DMARC result from its SPF and DKIM results and the
// From domains. With several From domains each is checked, and the
// message fails if one of them fails; the strictest policy applies.
func (c *Checker) checkDMARC(ctx context.Context, r *Result) {
	r.DMARC, r.Policy = None, PolicyNone
	if len(r.FromDomains) == 0 {
		r.DMARCReason = "no From domain"
		return
	}
	rank := map[Value]int{None: 0, Pass: 1, TempError: 2, PermError: 3, Fail: 4}
	prank := map[Policy]int{PolicyNone: 0, PolicyQuarantine: 1, PolicyReject: 2}
	seen := map[string]bool{}
	for _, d := range r.FromDomains {
		if seen[d] {
			continue
		}
		seen[d] = true
		v, p, reason := c.dmarcFor(ctx, r, d)
		if rank[v] > rank[r.DMARC] || (v == Fail && prank[p] > prank[r.Policy]) {
			r.DMARC, r.DMARCReason, r.DMARCDomain = v, reason, d
			if v == Fail {
				r.Policy = p
			}
		}
	}
	if r.DMARCDomain == "" {
		r.DMARCDomain = r.FromDomains[0]
	}
}

// dmarcFor evaluates DMARC for one From domain (RFC 7489 §6.6).
func (c *Checker) dmarcFor(ctx context.Context, r *Result, domain string) (Value, Policy, string) {
	rec, sub, err := c.lookupDMARC(ctx, domain)
	switch {
	case errors.Is(err, errNoRecord):
		return None, PolicyNone, "no DMARC record"
	case err != nil && errors.As(err, new(errTemp)):
		return TempError, PolicyNone, err.Error()
	case err != nil:
		return PermError, PolicyNone, err.Error()
	}
	if r.SPF == Pass && aligned(r.SPFDomain, domain, rec.SPFAlignment) {
		return Pass, PolicyNone, "SPF aligned"
	}
	for _, s := range r.DKIM {
		if s.Value == Pass && aligned(s.Domain, domain, rec.DKIMAlignment) {
			return Pass, PolicyNone, "DKIM aligned"
		}
	}
	p := Policy(rec.Policy)
	if sub && rec.SubdomainPolicy != "" {
		p = Policy(rec.SubdomainPolicy)
	}
	if rec.Percent != nil && *rec.Percent < 100 && rand.IntN(100) >= *rec.Percent {
		// §6.6.4: outside the sampled share, the next policy down.
		switch p {
		case PolicyReject:
			p = PolicyQuarantine
		case PolicyQuarantine:
			p = PolicyNone
		}
	}
	return Fail, p, "neither SPF nor DKIM aligned with the From domain"
}
