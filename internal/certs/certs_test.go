package certs

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
	cert, err := x509.ParseCertificate(l.Config.Certificates[0].Certificate[0])
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
	if !slices.Equal(l2.Config.Certificates[0].Certificate[0], l.Config.Certificates[0].Certificate[0]) {
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
