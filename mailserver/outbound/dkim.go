package outbound

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// LoadOrCreateDKIMKey reads the private key at path, or on first use makes
// an RSA 2048 key and stores it there as PKCS#8 PEM, mode 0600. The file is
// written beside and linked into place, so two processes starting at once
// end up with the same key.
func LoadOrCreateDKIMKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return parseDKIMKey(path, b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read DKIM key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate DKIM key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode DKIM key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create DKIM key folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".dkim-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create DKIM key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create DKIM key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write DKIM key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write DKIM key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write DKIM key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateDKIMKey(path) // another process won the race
		}
		return nil, fmt.Errorf("store DKIM key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return key, nil
}

func parseDKIMKey(path string, b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("DKIM key %s: no PEM block", path)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("DKIM key %s: unexpected PEM type %q", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("DKIM key %s: %w", path, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("DKIM key %s: %T cannot sign", path, key)
	}
	return s, nil
}

// DKIMRecord returns the TXT record value that publishes key's public half
// at <selector>._domainkey.<domain>. It is "" for key types DKIM lacks.
func DKIMRecord(key crypto.Signer) string {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return ""
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	return ""
}

// dkimHeaders are the fields signed when present (RFC 6376 5.4.1). From is
// listed twice so that a second From added in transit breaks the signature.
var dkimHeaders = []string{
	"From", "Reply-To", "Sender", "Subject", "Date", "To", "Cc",
	"Message-ID", "In-Reply-To", "References", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// dkimKeyFor picks the key of the From domain, else the envelope domain.
func (q *Queue) dkimKeyFor(domains ...string) *DKIMKey {
	for _, d := range domains {
		if d == "" {
			continue
		}
		for i := range q.opts.DKIM {
			if strings.EqualFold(q.opts.DKIM[i].Domain, d) {
				return &q.opts.DKIM[i]
			}
		}
	}
	return nil
}

// dkimSign returns raw with a DKIM-Signature field in front when a key
// matches the sender, else raw unchanged.
func (q *Queue) dkimSign(envelopeFrom string, raw []byte) ([]byte, error) {
	h := readHeader(raw)
	key := q.dkimKeyFor(fromDomain(h.Get("From")), domainOf(envelopeFrom))
	if key == nil {
		return raw, nil
	}
	keys := []string{"From"}
	for _, k := range dkimHeaders {
		if h.Has(k) {
			keys = append(keys, k)
		}
	}
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 key.Domain,
		Selector:               key.Selector,
		Signer:                 key.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             keys,
	})
	if err != nil {
		return nil, fmt.Errorf("DKIM sign for %s: %w", key.Domain, err)
	}
	if _, err := s.Write(raw); err != nil {
		s.Close()
		return nil, fmt.Errorf("DKIM sign for %s: %w", key.Domain, err)
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("DKIM sign for %s: %w", key.Domain, err)
	}
	sig := s.Signature()
	out := make([]byte, 0, len(sig)+len(raw))
	return append(append(out, sig...), raw...), nil
}
