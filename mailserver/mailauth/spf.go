package mailauth

import (
	"context"
	"net"

	"blitiri.com.ar/go/spf"
)

// checkSPF evaluates the sender's SPF record (RFC 7208 §4) with
// blitiri.com.ar/go/spf, a maintained implementation of the whole RFC
// (macros, the ten-lookup and two-void-lookup limits), through our
// Resolver. For the null sender the HELO name is checked (§2.3).
func (c *Checker) checkSPF(ctx context.Context, m Message) (Value, string, string) {
	domain := domainOf(m.MailFrom)
	if m.MailFrom == "" {
		domain = m.Helo
	}
	if !m.IP.IsValid() {
		return None, domain, "no client address"
	}
	if domain == "" {
		return None, domain, "no domain to check"
	}
	ip := net.IP(m.IP.Unmap().AsSlice())
	res, err := spf.CheckHostWithSender(ip, m.Helo, m.MailFrom, spf.WithContext(ctx), spf.WithResolver(c.opts.Resolver))
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	switch res {
	case spf.Pass:
		return Pass, domain, reason
	case spf.Fail:
		return Fail, domain, reason
	case spf.SoftFail:
		return SoftFail, domain, reason
	case spf.Neutral:
		return Neutral, domain, reason
	case spf.TempError:
		return TempError, domain, reason
	case spf.PermError:
		return PermError, domain, reason
	}
	return None, domain, reason
}
