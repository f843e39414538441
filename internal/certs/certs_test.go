package certs

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	l, err := Load(Options{DataDir: dir, Names: []string{"mail.nanhu.local", "nanhu.local"}})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Made || !l.SelfSigned {
		t.Errorf("%+v", l)
	}
	cert, err := x509.ParseCertificate(l.Certificate().Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "mail.nanhu.local" || !slices.Contains(cert.DNSNames, "localhost") || cert.VerifyHostname("127.0.0.1") != nil {
		t.Errorf("names %v %v", cert.Subject.CommonName, cert.DNSNames)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "tls", "key.pem")); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode().Perm())
	}
	// The second start loads the same pair.
	l2, err := Load(Options{DataDir: dir, Names: []string{"other"}})
	if err != nil || l2.Made {
		t.Fatalf("%+v %v", l2, err)
	}
	if !slices.Equal(l2.Certificate().Certificate[0], l.Certificate().Certificate[0]) {
		t.Error("a new certificate was made on the second start")
	}
	// Given files are loaded; one without the other is refused.
	l3, err := Load(Options{CertFile: filepath.Join(dir, "tls", "cert.pem"), KeyFile: filepath.Join(dir, "tls", "key.pem")})
	if err != nil || l3.SelfSigned {
		t.Fatalf("%+v %v", l3, err)
	}
	if _, err := Load(Options{CertFile: "x.pem"}); err == nil {
		t.Error("a certificate without its key was accepted")
	}
	if _, err := Load(Options{CertFile: filepath.Join(dir, "none.pem"), KeyFile: filepath.Join(dir, "none.pem")}); err == nil {
		t.Error("a missing certificate was accepted")
	}
}

func TestSelfSignedNames(t *testing.T) {
	tests := []struct {
		name           string
		names, domains []string
		want           []string
	}{
		{"host is mail of the domain", []string{"mail.nanhu.local"}, []string{"nanhu.local"},
			[]string{"mail.nanhu.local", "nanhu.local", "imap.nanhu.local", "smtp.nanhu.local", "autoconfig.nanhu.local", "autodiscover.nanhu.local", "localhost"}},
		{"two domains, another host", []string{"mx1.xiuzhou.gov.cn"}, []string{"xiuzhou.gov.cn", "nanhu.local"},
			[]string{"mx1.xiuzhou.gov.cn",
				"xiuzhou.gov.cn", "mail.xiuzhou.gov.cn", "imap.xiuzhou.gov.cn", "smtp.xiuzhou.gov.cn", "autoconfig.xiuzhou.gov.cn", "autodiscover.xiuzhou.gov.cn",
				"nanhu.local", "mail.nanhu.local", "imap.nanhu.local", "smtp.nanhu.local", "autoconfig.nanhu.local", "autodiscover.nanhu.local",
				"localhost"}},
		{"case, trailing dot and repeats", []string{"Mail.Nanhu.Local.", "localhost"}, []string{"nanhu.local", "NANHU.local", ""},
			[]string{"mail.nanhu.local", "localhost", "nanhu.local", "imap.nanhu.local", "smtp.nanhu.local", "autoconfig.nanhu.local", "autodiscover.nanhu.local"}},
		{"nothing", nil, nil, []string{"localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SelfSignedNames(tt.names, tt.domains); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestSelfSignedMailHosts checks the certificate made on first start names
// the mail hosts of every domain and the loopback addresses.
func TestSelfSignedMailHosts(t *testing.T) {
	l, err := Load(Options{DataDir: t.TempDir(), Names: []string{"mail.xiuzhou.gov.cn"}, Domains: []string{"xiuzhou.gov.cn", "nanhu.local"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(l.Certificate().Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := SelfSignedNames([]string{"mail.xiuzhou.gov.cn"}, []string{"xiuzhou.gov.cn", "nanhu.local"}); !slices.Equal(cert.DNSNames, want) {
		t.Errorf("DNS names %q, want %q", cert.DNSNames, want)
	}
	if cert.Subject.CommonName != "mail.xiuzhou.gov.cn" {
		t.Errorf("subject %q", cert.Subject.CommonName)
	}
	for _, h := range []string{"autoconfig.nanhu.local", "autodiscover.xiuzhou.gov.cn", "imap.nanhu.local", "smtp.xiuzhou.gov.cn", "localhost", "127.0.0.1", "::1"} {
		if err := cert.VerifyHostname(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if len(cert.IPAddresses) != 2 {
		t.Errorf("IP addresses %v", cert.IPAddresses)
	}
}

// TestRenewedCertificate: a certificate replaced on disk (a renewal) is
// served without a restart; a broken replacement leaves the old one.
func TestRenewedCertificate(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(t.TempDir(), "a")
	second := filepath.Join(t.TempDir(), "b")
	for _, d := range []string{first, second} {
		if err := makeSelfSigned(d, filepath.Join(d, "cert.pem"), filepath.Join(d, "key.pem"), []string{"mail.nanhu.local"}); err != nil {
			t.Fatal(err)
		}
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	put := func(from string) {
		for _, n := range []string{"cert.pem", "key.pem"} {
			b, err := os.ReadFile(filepath.Join(from, n))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(first)
	l, err := Load(Options{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	was := l.Certificate().Certificate[0]
	r := l.reloader

	put(second)
	r.checked = time.Time{} // as if reloadEvery had passed
	now := l.Certificate().Certificate[0]
	if slices.Equal(now, was) {
		t.Fatal("the renewed certificate is not served")
	}
	os.WriteFile(certFile, []byte("half written"), 0o600)
	r.checked = time.Time{}
	if got := l.Certificate(); got == nil || !slices.Equal(got.Certificate[0], now) {
		t.Error("a broken renewal replaced the working certificate")
	}
}
