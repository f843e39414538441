package org

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func openTest(t testing.TB) *Directory {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "org.db"))
}

func openAt(t testing.TB, path string) *Directory {
	t.Helper()
	d, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustAddUser(t testing.TB, d *Directory, nu NewUser) User {
	t.Helper()
	if nu.Password == "" {
		nu.Password = "secret-pass"
	}
	if nu.Name == "" {
		nu.Name = "测试 " + nu.Login
	}
	u, err := d.AddUser(context.Background(), nu)
	if err != nil {
		t.Fatalf("AddUser(%s): %v", nu.Login, err)
	}
	return u
}

func mustDept(t testing.TB, d *Directory, dep Department) {
	t.Helper()
	if err := d.AddDepartment(context.Background(), dep); err != nil {
		t.Fatalf("AddDepartment(%s): %v", dep.Code, err)
	}
}

func TestOpenSettingsAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "org.db")
	d := openAt(t, path)
	pragmas := []struct {
		name string
		want int64
	}{
		{"synchronous", 2}, // FULL
		{"foreign_keys", 1},
		{"user_version", int64(len(migrations))},
	}
	for _, p := range pragmas {
		var got int64
		if err := d.rw.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %d, want %d", p.name, got, p.want)
		}
	}
	var mode string
	if err := d.ro.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	mustAddUser(t, d, NewUser{Login: "keep"})
	d.Close()

	// Reopening runs no migration twice and keeps the data.
	for range 2 {
		d2 := openAt(t, path)
		var v int
		d2.rw.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
		if v != len(migrations) {
			t.Errorf("user_version after reopen = %d", v)
		}
		if _, err := d2.User(ctx, "keep"); err != nil {
			t.Errorf("user lost on reopen: %v", err)
		}
		d2.Close()
	}
}

func TestOpenNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.db")
	d := openAt(t, path)
	d.rw.Exec("PRAGMA user_version = 999")
	d.Close()
	if _, err := Open(context.Background(), Options{Path: path}); err == nil {
		t.Fatal("Open accepted a schema from the future")
	}
}

func TestConcurrentFirstOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			d, err := Open(context.Background(), Options{Path: path})
			if err == nil {
				err = d.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func TestTwoHandlesOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "org.db")
	server, cli := openAt(t, path), openAt(t, path)

	// The server reads first, so it has connections open when the other
	// handle writes.
	if _, err := server.Users(ctx); err != nil {
		t.Fatal(err)
	}
	if err := server.SetDomains(ctx, []string{"Xiucheng.GOV.cn", "nanhu.local"}); err != nil {
		t.Fatal(err)
	}
	doms, err := cli.Domains(ctx)
	if err != nil || !slices.Equal(doms, []string{"xiucheng.gov.cn", "nanhu.local"}) {
		t.Fatalf("cli sees domains %v, %v", doms, err)
	}
	mustAddUser(t, cli, NewUser{Login: "zhangsan", Name: "张三", Password: "pass-word-1"})
	u, err := server.Authenticate(ctx, "zhangsan@xiucheng.gov.cn", "pass-word-1")
	if err != nil {
		t.Fatalf("server does not see the new user: %v", err)
	}
	if u.Name != "张三" || u.Addresses[0] != "zhangsan@xiucheng.gov.cn" {
		t.Errorf("user = %+v", u)
	}
	if err := cli.SetDisabled(ctx, "zhangsan", true); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(ctx, "zhangsan", "pass-word-1"); !errors.Is(err, ErrDisabled) {
		t.Errorf("after disable from the other handle: %v", err)
	}
}

func TestDomains(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	doms, err := d.Domains(ctx)
	if err != nil || !slices.Equal(doms, []string{DefaultDomain}) {
		t.Fatalf("default domains = %v, %v", doms, err)
	}
	for _, bad := range [][]string{nil, {""}, {"bad domain"}, {"例子.中国"}} {
		if err := d.SetDomains(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetDomains(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := d.SetDomains(ctx, []string{"A.example", "b.example.", "a.example"}); err != nil {
		t.Fatal(err)
	}
	doms, _ = d.Domains(ctx)
	if !slices.Equal(doms, []string{"a.example", "b.example"}) {
		t.Errorf("domains = %v", doms)
	}
	for dom, want := range map[string]bool{"a.example": true, "B.EXAMPLE": true, "c.example": false, "": false} {
		if got, err := d.IsLocalDomain(ctx, dom); err != nil || got != want {
			t.Errorf("IsLocalDomain(%q) = %v, %v; want %v", dom, got, err, want)
		}
	}
}
