package enterprise

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestCheckCode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"91350100M000100Y43", nil}, // GB 32100-2015's example
		{"91330411MA2BXY1Q2G", nil},
		{" 9133 0411 ma2b xy1q 2g ", nil},
		{"９１３３０４１１ＭＡ２ＢＸＹ１Ｑ２Ｇ", nil},
		{"91350100M000100Y44", ErrCodeCheck},   // the code's check character
		{"91350100M000100Y53", ErrCodeCheck},   // the 组织机构代码's
		{"91350100M000100I43", ErrCodeChars},   // I is not used
		{"91350100M000100Y4", ErrCodeLength},   // 17
		{"91350100M000100Y433", ErrCodeLength}, // 19
		{"", ErrCodeLength},
		{"91350100M000100Y4\u00e9", ErrCodeLength},
	} {
		if got := CheckCode(NormalCode(c.in)); !errors.Is(got, c.want) {
			t.Errorf("CheckCode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func FuzzCheckCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "９１３３０４１１ＭＡ２ＢＸＹ１Ｑ２Ｇ", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalCode(s)
		if CheckCode(n) == nil {
			if len(n) != 18 || NormalCode(n) != n {
				t.Fatalf("%q accepted as %q", s, n)
			}
		}
	})
}

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "enterprise.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAccountLife(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, bad := range []New{
		{Code: "91350100M000100Y44", Name: "甲公司"},
		{Code: "91350100M000100Y43"},
		{Code: "91350100M000100Y43", Name: "<script>"},
		{Code: "91350100M000100Y43", Name: "甲公司", Mobile: "12345"},
	} {
		if _, _, err := s.Create(ctx, "admin", bad); err == nil {
			t.Errorf("Create(%+v) accepted", bad)
		} else if _, ok := errors.AsType[*Error](err); !ok {
			t.Errorf("Create(%+v): %v is not a refusal to show", bad, err)
		}
	}
	a, pw, err := s.Create(ctx, "admin", New{Code: "9135 0100 m000 100y 43", Name: "嘉兴南湖示范科技有限公司", Contact: "周敏", Mobile: "13957300001"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Code != "91350100M000100Y43" || !a.MustChange || !a.Enabled || len(pw) != 16 {
		t.Fatalf("account %+v, password %q", a, pw)
	}
	if _, _, err := s.Create(ctx, "admin", New{Code: "91350100M000100Y43", Name: "又一家"}); err == nil {
		t.Error("a second account for one code")
	}
	if _, err := s.Authenticate(ctx, "91350100M000100Y43", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "91330411MA2BXY1Q2G", pw); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown code: %v", err)
	}
	got, err := s.Authenticate(ctx, "91350100m000100y43", pw)
	if err != nil || got.ID != a.ID || got.LastLogin.IsZero() {
		t.Fatalf("sign-in: %+v %v", got, err)
	}
	if _, err := s.ChangePassword(ctx, a.ID, "wrong-password", "新的密码abc123"); err == nil {
		t.Error("changed with a wrong old password")
	}
	if _, err := s.ChangePassword(ctx, a.ID, pw, "short"); err == nil {
		t.Error("a short password taken")
	}
	epoch, err := s.ChangePassword(ctx, a.ID, pw, "新的密码abc123")
	if err != nil || epoch <= a.Epoch {
		t.Fatalf("change: %d %v", epoch, err)
	}
	if _, err := s.Authenticate(ctx, a.Code, pw); err == nil {
		t.Error("the one-time password still works")
	}
	if got, err := s.Authenticate(ctx, a.Code, "新的密码abc123"); err != nil || got.MustChange {
		t.Errorf("new password: %+v %v", got, err)
	}
	if err := s.SetEnabled(ctx, a.ID, false, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, a.Code, "新的密码abc123"); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled account: %v", err)
	}
	s.SetEnabled(ctx, a.ID, true, "admin")
	pw2, err := s.ResetPassword(ctx, a.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Authenticate(ctx, a.Code, pw2); err != nil || !got.MustChange || got.Epoch <= epoch {
		t.Errorf("after reset: %+v %v", got, err)
	}
	if err := s.SetPage(ctx, a.ID, 42); err != nil {
		t.Fatal(err)
	}
	list, _ := s.List(ctx)
	if len(list) != 1 || list[0].Page != 42 {
		t.Errorf("list %+v", list)
	}
	if err := s.SetPage(ctx, 999, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("no such account: %v", err)
	}
}
