package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"nanhu/mailserver/outbound"
	"nanhu/oa/org"
)

func init() {
	register("dns", "print the DNS records a deployment needs (MX, SPF, DKIM, DMARC, SRV, autoconfig)", runDNS)
}

func runDNS(args []string) error {
	fset := flag.NewFlagSet("dns", flag.ContinueOnError)
	df := addDataFlags(fset, "of the server (for the DKIM key and the domains)")
	domain := fset.String("domain", "", "mail domain (default: the domains the server was started with)")
	hostname := fset.String("hostname", "", "the server's host name (default: the configuration's, else mail.DOMAIN)")
	selector := fset.String("selector", "", "DKIM selector (default: the configuration's, else nanhu)")
	ip := fset.String("ip", "", "the server's public IPv4 or IPv6 address, for the A/AAAA and SPF records")
	pos, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	var addr netip.Addr
	if *ip != "" {
		if addr, err = netip.ParseAddr(*ip); err != nil {
			return fmt.Errorf("%q is not an IP address", *ip)
		}
	}
	cfg, err := df.existing()
	if err != nil {
		return err
	}
	domains := []string{*domain}
	if *domain == "" {
		if _, err := os.Stat(filepath.Join(cfg.Data, "org.db")); err != nil {
			return errors.New("give --domain, or --data (or --config) of a server that has run")
		}
		d, err := org.Open(context.Background(), org.DefaultOptions(cfg.Data))
		if err != nil {
			return err
		}
		domains, err = d.Domains(context.Background())
		d.Close()
		if err != nil {
			return err
		}
		if len(domains) == 0 {
			return errors.New("the server has no mail domain yet: give --domain")
		}
	}
	p := dnsPlan{Domains: domains, Hostname: *hostname, Selector: *selector, IP: addr, Listen: cfg.Listen}
	if p.Hostname == "" && *df.config != "" {
		p.Hostname = cfg.Hostname
	}
	if p.Selector == "" {
		p.Selector = cfg.Out.DKIMSelector
	}
	if p.Selector == "" {
		p.Selector = "nanhu"
	}
	key, err := outbound.LoadOrCreateDKIMKey(filepath.Join(cfg.Data, "dkim", p.Selector+".pem"))
	if err != nil {
		return err
	}
	p.DKIM = outbound.DKIMRecord(key)
	p.print(os.Stdout)
	return nil
}

// dnsPlan is what `nanhu dns` prints the records of.
type dnsPlan struct {
	Domains  []string
	Hostname string // default mail.FIRST-DOMAIN
	Selector string
	DKIM     string // the DKIM key record's value
	IP       netip.Addr
	Listen   ListenConfig // where the server listens: the SRV records' ports
}

// listenPort is the port of a listen address, 0 when it is not opened.
func listenPort(addr string) int {
	if addr == "" {
		return 0
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (p dnsPlan) print(w io.Writer) {
	hostname := p.Hostname
	if hostname == "" {
		hostname = "mail." + p.Domains[0]
	}
	fmt.Fprintf(w, "; DNS records for Nanhu on %s. Put them in each domain's zone.\n", hostname)
	mx := listenPort(p.Listen.SMTP)
	switch {
	case mx == 0:
		fmt.Fprintf(w, "; WARNING: the server opens no SMTP (MX) listener, yet mail from other servers comes to the MX host on port 25.\n")
	case mx != 25:
		fmt.Fprintf(w, "; WARNING: the MX listener is on port %d, but other mail servers deliver to port 25 only:\n;   listen on :25 ([listen] smtp = \":25\"; README, Deploying) or forward port 25 to %d.\n", mx, mx)
	}
	if p.IP.IsValid() {
		rr := "A"
		if p.IP.Is6() {
			rr = "AAAA"
		}
		fmt.Fprintf(w, "%s.\t3600\tIN\t%s\t%s\n", hostname, rr, p.IP)
	} else {
		fmt.Fprintf(w, "; %s needs an A (or AAAA) record with the server's address (give --ip to print it).\n", hostname)
	}
	spf := "v=spf1 mx -all"
	if p.IP.IsValid() {
		mech := "ip4"
		if p.IP.Is6() {
			mech = "ip6"
		}
		spf = fmt.Sprintf("v=spf1 mx %s:%s -all", mech, p.IP)
	}
	// RFC 6186 and RFC 8314 §5.1: where clients find submission and
	// IMAP; a target of "." with port 0 says the service is not offered.
	srv := []struct{ name, addr string }{
		{"_submissions._tcp", p.Listen.Submissions},
		{"_submission._tcp", p.Listen.Submission},
		{"_imaps._tcp", p.Listen.IMAPS},
		{"_imap._tcp", p.Listen.IMAP},
	}
	for _, d := range p.Domains {
		fmt.Fprintf(w, "\n; %s\n", d)
		fmt.Fprintf(w, "%s.\t3600\tIN\tMX\t10 %s.\n", d, hostname)
		fmt.Fprintf(w, "%s.\t3600\tIN\tTXT\t%q\n", d, spf)
		fmt.Fprintf(w, "%s._domainkey.%s.\t3600\tIN\tTXT\t%s\n", p.Selector, d, quoteTXT(p.DKIM))
		fmt.Fprintf(w, "_dmarc.%s.\t3600\tIN\tTXT\t%q\n", d, "v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:postmaster@"+d)
		for _, s := range srv {
			if port := listenPort(s.addr); port != 0 {
				fmt.Fprintf(w, "%s.%s.\t3600\tIN\tSRV\t0 1 %d %s.\n", s.name, d, port, hostname)
			} else {
				fmt.Fprintf(w, "%s.%s.\t3600\tIN\tSRV\t0 0 0 .\n", s.name, d)
			}
		}
		// Thunderbird asks autoconfig.DOMAIN, Outlook autodiscover.DOMAIN
		// or the _autodiscover SRV record, for the settings Nanhu serves.
		fmt.Fprintf(w, "autoconfig.%s.\t3600\tIN\tCNAME\t%s.\n", d, hostname)
		fmt.Fprintf(w, "autodiscover.%s.\t3600\tIN\tCNAME\t%s.\n", d, hostname)
		if port := listenPort(p.Listen.HTTPS); port != 0 {
			fmt.Fprintf(w, "_autodiscover._tcp.%s.\t3600\tIN\tSRV\t0 1 %d %s.\n", d, port, hostname)
		}
	}
	if h, s := listenPort(p.Listen.HTTP), listenPort(p.Listen.HTTPS); h != 80 && s != 443 {
		fmt.Fprintf(w, "\n; NOTE: clients fetch autoconfig from http://autoconfig.DOMAIN/ (port 80) and https://autoconfig.DOMAIN/ or\n;   https://autodiscover.DOMAIN/ (port 443); the web listeners are on %s and %s. Listen there, or put\n;   a reverse proxy on 80/443 in front of them (README, Deploying).\n", orNone(p.Listen.HTTP), orNone(p.Listen.HTTPS))
	}
	if p.IP.IsValid() {
		fmt.Fprintf(w, "\n; Ask the provider of %s for a PTR record: %s -> %s.\n", p.IP, p.IP, hostname)
	}
}

func orNone(addr string) string {
	if addr == "" {
		return "(none)"
	}
	return addr
}

// quoteTXT splits a long TXT value into the 255-byte strings DNS allows.
func quoteTXT(s string) string {
	out := ""
	for len(s) > 0 {
		n := min(len(s), 255)
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%q", s[:n])
		s = s[n:]
	}
	return "( " + out + " )"
}
