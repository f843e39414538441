// Package certs gives every TLS listener of Nanhu its certificate: the one
// the configuration names, or a self-signed one made in the data folder on
// first start, so that TLS is on from the first minute.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"nanhu/internal/datadir"
)

// DataFiles is what this package keeps in the data folder.
var DataFiles = datadir.Registry{{
	Path: "tls/", Part: "nanhu", About: "the self-signed TLS certificate and key made on first start (when none is configured)",
	Title: "首次启动时生成的自签名 TLS 证书与密钥", Policy: datadir.Copy,
}}

// Options name the certificate.
type Options struct {
	// CertFile and KeyFile are a PEM certificate (chain) and key; both
	// empty means a self-signed pair in DataDir/tls.
	CertFile, KeyFile string
	// DataDir is the data folder, for the self-signed pair.
	DataDir string
	// Names are the host names a self-signed certificate is made for, the
	// first as its subject (the server's host name).
	Names []string
	// Domains are the mail domains: a self-signed certificate names each,
	// and the names clients guess or are given for it (MailHosts). Then
	// localhost and the loopback addresses are added.
	Domains []string
}

// mailHostPrefixes are the names of a mail domain that clients guess
// (Foxmail, Thunderbird: mail., imap., smtp.) or look up for their
// settings (Thunderbird's autoconfig., Outlook's autodiscover.).
var mailHostPrefixes = []string{"mail.", "imap.", "smtp.", "autoconfig.", "autodiscover."}

// SelfSignedNames are the DNS names of a self-signed certificate: names
// first, then each domain followed by its mail., imap., smtp.,
// autoconfig. and autodiscover. names, then localhost; each once, in
// that order, compared without case.
func SelfSignedNames(names, domains []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		add(n)
	}
	for _, d := range domains {
		d = strings.TrimSuffix(strings.TrimSpace(d), ".")
		if d == "" {
			continue
		}
		add(d)
		for _, p := range mailHostPrefixes {
			add(p + d)
		}
	}
	add("localhost")
	return out
}

// Loaded is the result of Load.
type Loaded struct {
	Config *tls.Config
	// CertFile is the file the certificate came from.
	CertFile string
	// Made says a self-signed pair was made just now.
	Made bool
	// SelfSigned says the certificate is the self-signed one in the data
	// folder (clients must be told to trust it).
	SelfSigned bool

	reloader *reloader
}

// Load returns the TLS configuration of every listener.
func Load(o Options) (Loaded, error) {
	var l Loaded
	certFile, keyFile := o.CertFile, o.KeyFile
	if (certFile == "") != (keyFile == "") {
		return l, errors.New("give both a TLS certificate and its key, or neither")
	}
	if certFile == "" {
		dir := filepath.Join(o.DataDir, "tls")
		certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		l.SelfSigned = true
		if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
			if err := makeSelfSigned(dir, certFile, keyFile, SelfSignedNames(o.Names, o.Domains)); err != nil {
				return l, err
			}
			l.Made = true
		}
	}
	r := &reloader{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return l, err
	}
	l.CertFile, l.reloader = certFile, r
	l.Config = &tls.Config{GetCertificate: r.get, MinVersion: tls.VersionTLS12}
	return l, nil
}

// reloadEvery is how often the files are looked at for a renewed
// certificate.
const reloadEvery = 10 * time.Second

// reloader serves the certificate of two files and loads them again when
// they change, so that a renewed certificate (the district CA's, or one
// from ACME written by certbot or lego) is used without a restart. A pair
// that does not load (a renewal half written) leaves the old one in use.
type reloader struct {
	certFile, keyFile string

	mu      sync.Mutex
	pair    *tls.Certificate
	stamp   string // the files' sizes and times when pair was loaded
	checked time.Time
}

func (r *reloader) filesStamp() string {
	var b strings.Builder
	for _, f := range []string{r.certFile, r.keyFile} {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

func (r *reloader) load() error {
	stamp := r.filesStamp()
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s: %w", r.certFile, err)
	}
	r.pair, r.stamp = &pair, stamp
	return nil
}

func (r *reloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= reloadEvery {
		r.checked = now
		if r.filesStamp() != r.stamp {
			r.load() // on an error the old pair stays
		}
	}
	return r.pair, nil
}

// Certificate is the certificate the listeners present now.
func (l Loaded) Certificate() *tls.Certificate {
	c, _ := l.reloader.get(nil)
	return c
}

// Note is a log line about what was loaded.
func (l Loaded) Note() string {
	if l.Made {
		return "made a self-signed TLS certificate " + l.CertFile
	}
	return "TLS certificate " + l.CertFile
}

func makeSelfSigned(dir, certFile, keyFile string, names []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("make TLS key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"Nanhu (self-signed)"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("make TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode TLS key: %w", err)
	}
	if err := datadir.WriteFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return datadir.WriteFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
