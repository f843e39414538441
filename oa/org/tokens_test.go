package org

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "zhangwei", Name: "张伟", Password: "Secret-2004"})
	tok, info, err := d.CreateToken(ctx, "zhangwei", "值班脚本")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) < 40 || info.Name != "值班脚本" {
		t.Fatalf("token %q %+v", tok, info)
	}
	u, err := d.AuthenticateToken(ctx, tok)
	if err != nil || u.Login != "zhangwei" {
		t.Fatalf("AuthenticateToken: %+v %v", u, err)
	}
	for _, bad := range []string{"", tok + "x", TokenPrefix + "aaaa", strings.TrimPrefix(tok, TokenPrefix)} {
		if _, err := d.AuthenticateToken(ctx, bad); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("AuthenticateToken(%q): %v", bad, err)
		}
	}
	list, err := d.Tokens(ctx, "zhangwei")
	if err != nil || len(list) != 1 || list[0].ID != info.ID || list[0].LastUsed.IsZero() {
		t.Fatalf("Tokens: %+v %v", list, err)
	}
	// A disabled owner's token stops working.
	if err := d.SetDisabled(ctx, "zhangwei", true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AuthenticateToken(ctx, tok); !errors.Is(err, ErrDisabled) {
		t.Errorf("token of a disabled account: %v", err)
	}
	d.SetDisabled(ctx, "zhangwei", false)
	if err := d.RevokeToken(ctx, "lina", info.ID); err == nil {
		t.Error("another user revoked the token")
	}
	if err := d.RevokeToken(ctx, "zhangwei", info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AuthenticateToken(ctx, tok); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked token: %v", err)
	}
}

func TestAuthEpoch(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "lina", Name: "李娜", Password: "Secret-2004"})
	epoch := func() int64 {
		u, err := d.User(ctx, "lina")
		if err != nil {
			t.Fatal(err)
		}
		return u.AuthEpoch
	}
	e0 := epoch()
	if err := d.SetPassword(ctx, "lina", "Another-2004"); err != nil {
		t.Fatal(err)
	}
	e1 := epoch()
	if e1 == e0 {
		t.Error("a new password left the epoch")
	}
	d.SetDisabled(ctx, "lina", true)
	e2 := epoch()
	if e2 == e1 {
		t.Error("disabling left the epoch")
	}
	d.SetDisabled(ctx, "lina", false)
	if epoch() != e2 {
		t.Error("enabling changed the epoch")
	}
}

func TestChangeNotifyPrefs(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "lina", Name: "李娜", Password: "Secret-2004"})
	f, q := false, "21:30-06:45"
	p, err := d.ChangeNotifyPrefs(ctx, "lina", PrefsChange{SMS: &f, Quiet: &q})
	if err != nil || p.SMS || p.Quiet == nil || p.Quiet.String() != q {
		t.Fatalf("%+v %v", p, err)
	}
	bad := "25:00-07:00"
	if _, err := d.ChangeNotifyPrefs(ctx, "lina", PrefsChange{Quiet: &bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad quiet hours: %v", err)
	}
	p, _ = d.NotifyPrefs(ctx, "lina")
	if p.SMS || p.Quiet.String() != q {
		t.Errorf("a refused change changed %+v", p)
	}
}
