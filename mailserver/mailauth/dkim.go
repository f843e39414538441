package mailauth

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// checkDKIM verifies every DKIM-Signature (up to MaxSignatures) with
// go-msgauth. Keys of our own domains come from OwnKeys, never from DNS.
func (c *Checker) checkDKIM(ctx context.Context, raw []byte) []Signature {
	lookup := func(name string) ([]string, error) {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if rec, ok := c.own[name]; ok {
			return []string{rec}, nil
		}
		if _, domain, ok := strings.Cut(name, "._domainkey."); ok && c.isLocal(domain) {
			return nil, &net.DNSError{Err: "not one of our DKIM keys", Name: name, IsNotFound: true}
		}
		return c.opts.Resolver.LookupTXT(ctx, name)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: c.opts.MaxSignatures,
	})
	if err != nil && len(vs) == 0 {
		// The header could not be read: no signature to speak of.
		return nil
	}
	out := make([]Signature, 0, len(vs))
	for _, v := range vs {
		s := Signature{Domain: strings.ToLower(v.Domain), Value: Pass}
		switch {
		case v.Err == nil:
			s.Ours = c.isLocal(s.Domain)
		case dkim.IsTempFail(v.Err):
			s.Value, s.Reason = TempError, v.Err.Error()
		case dkim.IsPermFail(v.Err):
			s.Value, s.Reason = PermError, v.Err.Error()
		default:
			s.Value, s.Reason = Fail, v.Err.Error()
		}
		out = append(out, s)
	}
	return out
}

// dkimValue sums the signatures up for a log line.
func dkimValue(sigs []Signature) string {
	if len(sigs) == 0 {
		return string(None)
	}
	var b strings.Builder
	for i, s := range sigs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%s", s.Domain, s.Value)
	}
	return b.String()
}
