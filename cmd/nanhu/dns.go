package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"nanhu/mailserver/outbound"
	"nanhu/oa/org"
)

func init() {
	register("dns", "print the DNS records a deployment needs (MX, SPF, DKIM, DMARC)", runDNS)
}

func runDNS(args []string) error {
	fset := flag.NewFlagSet("dns", flag.ContinueOnError)
	data := fset.String("data", "./nanhu-data", "data folder (for the DKIM key and the domains)")
	domain := fset.String("domain", "", "mail domain (default: the domains the server was started with)")
	hostname := fset.String("hostname", "", "the server's host name (default mail.DOMAIN)")
	selector := fset.String("selector", "nanhu", "DKIM selector")
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
	domains := []string{*domain}
	if *domain == "" {
		if _, err := os.Stat(filepath.Join(*data, "org.db")); err != nil {
			return errors.New("give --domain, or --data with the folder of a server that has run")
		}
		d, err := org.Open(context.Background(), org.DefaultOptions(*data))
		if err != nil {
			return err
		}
		domains, err = d.Domains(context.Background())
		d.Close()
		if err != nil {
			return err
		}
	}
	key, err := outbound.LoadOrCreateDKIMKey(filepath.Join(*data, "dkim", *selector+".pem"))
	if err != nil {
		return err
	}
	printDNS(os.Stdout, domains, *hostname, *selector, outbound.DKIMRecord(key), addr)
	return nil
}

func printDNS(w io.Writer, domains []string, hostname, selector, dkim string, ip netip.Addr) {
	if hostname == "" {
		hostname = "mail." + domains[0]
	}
	fmt.Fprintf(w, "; DNS records for Nanhu on %s. Put them in each domain's zone.\n", hostname)
	if ip.IsValid() {
		rr := "A"
		if ip.Is6() {
			rr = "AAAA"
		}
		fmt.Fprintf(w, "%s.\t3600\tIN\t%s\t%s\n", hostname, rr, ip)
	} else {
		fmt.Fprintf(w, "; %s needs an A (or AAAA) record with the server's address (give --ip to print it).\n", hostname)
	}
	spf := "v=spf1 mx -all"
	if ip.IsValid() {
		mech := "ip4"
		if ip.Is6() {
			mech = "ip6"
		}
		spf = fmt.Sprintf("v=spf1 mx %s:%s -all", mech, ip)
	}
	for _, d := range domains {
		fmt.Fprintf(w, "\n; %s\n", d)
		fmt.Fprintf(w, "%s.\t3600\tIN\tMX\t10 %s.\n", d, hostname)
		fmt.Fprintf(w, "%s.\t3600\tIN\tTXT\t%q\n", d, spf)
		fmt.Fprintf(w, "%s._domainkey.%s.\t3600\tIN\tTXT\t%s\n", selector, d, quoteTXT(dkim))
		fmt.Fprintf(w, "_dmarc.%s.\t3600\tIN\tTXT\t%q\n", d, "v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:postmaster@"+d)
	}
	if ip.IsValid() {
		fmt.Fprintf(w, "\n; Ask the provider of %s for a PTR record: %s -> %s.\n", ip, ip, hostname)
	}
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
