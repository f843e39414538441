package mailauth

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// Static is a Resolver that answers from tables: TXT records by name and
// addresses by host name; every other question gets "no such host". Tests
// use it, and so can a network without DNS.
type Static struct {
	TXT map[string][]string
	IP  map[string][]string // host → addresses
	MX  map[string][]*net.MX
	// Fail, when set, answers every question with a temporary failure,
	// as a DNS server that cannot be reached does.
	Fail bool
}

func (s Static) err(name string) error {
	if s.Fail {
		return &net.DNSError{Err: "server unreachable", Name: name, IsTemporary: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// LookupTXT answers from TXT.
func (s Static) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := s.TXT[key(name)]; ok && !s.Fail {
		return v, nil
	}
	return nil, s.err(name)
}

// LookupMX answers from MX.
func (s Static) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if v, ok := s.MX[key(name)]; ok && !s.Fail {
		return v, nil
	}
	return nil, s.err(name)
}

// LookupIPAddr answers from IP.
func (s Static) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	v, ok := s.IP[key(host)]
	if !ok || s.Fail {
		return nil, s.err(host)
	}
	var out []net.IPAddr
	for _, a := range v {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, net.IPAddr{IP: ip.AsSlice()})
		}
	}
	return out, nil
}

// LookupAddr knows no reverse names.
func (s Static) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, s.err(addr)
}
