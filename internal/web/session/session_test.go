package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "web.db")
	s, err := Open(context.Background(), Options{Path: path, Idle: 30 * time.Minute, Max: 12 * time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	s, c, path := open(t)
	a, tokA, err := s.Create(ctx, "zhangwei", 3, "127.0.0.1", "Chromium")
	if err != nil {
		t.Fatal(err)
	}
	b, tokB, _ := s.Create(ctx, "zhangwei", 3, "10.0.0.2", "Firefox")
	if a.ID == b.ID || tokA == tokB || len(tokA) < 43 || a.CSRF == b.CSRF {
		t.Fatalf("sessions not distinct: %+v %+v", a, b)
	}
	got, err := s.Lookup(ctx, tokA)
	if err != nil || got.ID != a.ID || got.Epoch != 3 || !got.CheckCSRF(a.CSRF) || got.CheckCSRF(b.CSRF) || got.CheckCSRF("") {
		t.Fatalf("Lookup: %+v %v", got, err)
	}
	for _, bad := range []string{"", "x", tokA + "x", a.ID} {
		if _, err := s.Lookup(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q): %v", bad, err)
		}
	}
	// The token is not in the file, only its hash.
	s.db.Writer().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(tokA)) {
		t.Error("web.db holds a session token in clear")
	}
	// Used within the idle time, it lives on; unused, it ends.
	c.t = c.t.Add(29 * time.Minute)
	if _, err := s.Lookup(ctx, tokA); err != nil {
		t.Fatalf("after 29 minutes: %v", err)
	}
	c.t = c.t.Add(29 * time.Minute)
	if _, err := s.Lookup(ctx, tokA); err != nil {
		t.Fatalf("29 minutes after the last use: %v", err)
	}
	if _, err := s.Lookup(ctx, tokB); !errors.Is(err, ErrNotFound) {
		t.Fatalf("58 minutes idle: %v", err)
	}
	// However busy, it ends 12 hours after sign-in.
	for i := 0; i < 40; i++ {
		c.t = c.t.Add(25 * time.Minute)
		if _, err := s.Lookup(ctx, tokA); err != nil {
			if c.t.Sub(a.Created) < 12*time.Hour {
				t.Fatalf("ended early, %v after sign-in: %v", c.t.Sub(a.Created), err)
			}
			return
		}
	}
	t.Fatal("a session outlived 12 hours")
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	s, _, _ := open(t)
	a, tokA, _ := s.Create(ctx, "lina", 1, "", "")
	b, tokB, _ := s.Create(ctx, "lina", 1, "", "")
	_, tokC, _ := s.Create(ctx, "lina", 1, "", "")
	z, tokZ, _ := s.Create(ctx, "zhangwei", 1, "", "")
	if err := s.DeleteOf(ctx, "zhangwei", b.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's session revoked: %v", err)
	}
	if err := s.DeleteOf(ctx, "lina", b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, tokB); !errors.Is(err, ErrNotFound) {
		t.Error("revoked session still works")
	}
	list, _ := s.List(ctx, "lina")
	if len(list) != 2 {
		t.Errorf("List: %d sessions", len(list))
	}
	if n, err := s.DeleteLogin(ctx, "lina", a.ID); err != nil || n != 1 {
		t.Errorf("DeleteLogin: %d %v", n, err)
	}
	if _, err := s.Lookup(ctx, tokC); !errors.Is(err, ErrNotFound) {
		t.Error("the other session lives on")
	}
	if _, err := s.Lookup(ctx, tokA); err != nil {
		t.Error("the kept session ended")
	}
	if _, err := s.Lookup(ctx, tokZ); err != nil {
		t.Errorf("another user's session ended: %v (%s)", err, z.ID)
	}
	if err := s.SetEpoch(ctx, a.ID, 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Lookup(ctx, tokA); got.Epoch != 2 {
		t.Errorf("epoch %d", got.Epoch)
	}
}

func TestFlashAndSweep(t *testing.T) {
	ctx := context.Background()
	s, c, _ := open(t)
	a, tok, _ := s.Create(ctx, "lina", 1, "", "")
	s.SetFlash(ctx, a.ID, "已保存")
	if got, _ := s.Lookup(ctx, tok); got.Flash != "已保存" {
		t.Errorf("flash %q", got.Flash)
	}
	s.ClearFlash(ctx, a.ID)
	if got, _ := s.Lookup(ctx, tok); got.Flash != "" {
		t.Errorf("flash after clear %q", got.Flash)
	}
	s.Create(ctx, "zhangwei", 1, "", "")
	c.t = c.t.Add(time.Hour)
	if n, err := s.Sweep(ctx); err != nil || n != 2 {
		t.Errorf("Sweep: %d %v", n, err)
	}
	if list, _ := s.List(ctx, "lina"); len(list) != 0 {
		t.Errorf("lina's sessions after the sweep: %d", len(list))
	}
}

// TestReopen: a session made before a restart is found in the file, and
// its revocation reaches both file and memory.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	s, c, path := open(t)
	a, tok, _ := s.Create(ctx, "lina", 4, "", "")
	s.SetFlash(ctx, a.ID, "欢迎")
	s.Close()
	s2, err := Open(ctx, Options{Path: path, Idle: 30 * time.Minute, Max: 12 * time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Lookup(ctx, tok)
	if err != nil || got.ID != a.ID || got.Epoch != 4 || got.Flash != "欢迎" || !got.CheckCSRF(a.CSRF) {
		t.Fatalf("after a restart: %+v %v", got, err)
	}
	if err := s2.DeleteOf(ctx, "lina", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Lookup(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked session found: %v", err)
	}
}
