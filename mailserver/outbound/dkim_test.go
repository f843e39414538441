package outbound

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateDKIMKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "dkim.pem")
	k1, err := LoadOrCreateDKIMKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("key file is not PKCS#8 PEM:\n%s", b)
	}
	if n := k1.(*rsa.PrivateKey).N.BitLen(); n != 2048 {
		t.Errorf("key has %d bits", n)
	}
	k2, err := LoadOrCreateDKIMKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.(*rsa.PrivateKey).Equal(k2) {
		t.Error("second load gave a different key")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("key folder holds %d files, want 1", len(entries))
	}

	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateDKIMKey(path); err == nil {
		t.Error("garbage key accepted")
	}
}

func TestDKIMRecord(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name   string
		rec    string
		prefix string
	}{
		{"rsa", DKIMRecord(rk), "v=DKIM1; k=rsa; p=MI"},
		{"ed25519", DKIMRecord(ek), "v=DKIM1; k=ed25519; p="},
	}
	for _, tc := range tests {
		if !strings.HasPrefix(tc.rec, tc.prefix) {
			t.Errorf("%s: record %q", tc.name, tc.rec)
		}
	}
}
