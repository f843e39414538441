package org

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"nanhu/internal/passhash"
)

func TestAddUser(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SetDomains(ctx, []string{"nanhu.local", "xiucheng.gov.cn"}); err != nil {
		t.Fatal(err)
	}
	mustDept(t, d, Department{Code: "qzf", Name: "区政府", Kind: KindOrgan})
	mustDept(t, d, Department{Code: "bgs", Name: "区政府办公室", Parent: "qzf"})

	u := mustAddUser(t, d, NewUser{Login: "ZhangWei", Name: "张伟", Password: "nanhu2004",
		Mobile: "+86 138 0000 0001", Depts: []string{"bgs", "qzf"}, Title: "主任", Roles: []string{"staff", "leader", "staff"}})
	want := User{Login: "zhangwei", Name: "张伟", Mobile: "+8613800000001",
		Addresses:   []string{"zhangwei@nanhu.local", "zhangwei@xiucheng.gov.cn"},
		Departments: []Membership{{"bgs", "主任"}, {"qzf", "主任"}},
		Roles:       []string{"leader", "staff"}, QuotaBytes: DefaultQuota}
	if u.Created.IsZero() {
		t.Error("Created not set")
	}
	u.Created = want.Created
	if !userEqual(u, want) {
		t.Errorf("AddUser returned\n %+v, want\n %+v", u, want)
	}

	tests := []struct {
		name string
		nu   NewUser
		want error
	}{
		{"duplicate", NewUser{Login: "zhangwei", Name: "x", Password: "12345678"}, ErrExists},
		{"duplicate other case", NewUser{Login: "ZHANGWEI", Name: "x", Password: "12345678"}, ErrExists},
		{"empty login", NewUser{Login: "", Name: "x", Password: "12345678"}, ErrInvalid},
		{"chinese login", NewUser{Login: "张三", Name: "x", Password: "12345678"}, ErrInvalid},
		{"space in login", NewUser{Login: "zhang san", Name: "x", Password: "12345678"}, ErrInvalid},
		{"leading dot", NewUser{Login: ".x", Name: "x", Password: "12345678"}, ErrInvalid},
		{"login too long", NewUser{Login: strings.Repeat("a", 65), Name: "x", Password: "12345678"}, ErrInvalid},
		{"no name", NewUser{Login: "a", Password: "12345678"}, ErrInvalid},
		{"short password", NewUser{Login: "a", Name: "x", Password: "1234567"}, ErrInvalid},
		{"mobile without plus", NewUser{Login: "a", Name: "x", Password: "12345678", Mobile: "13800000000"}, ErrInvalid},
		{"mobile too short", NewUser{Login: "a", Name: "x", Password: "12345678", Mobile: "+8612345"}, ErrInvalid},
		{"mobile too long", NewUser{Login: "a", Name: "x", Password: "12345678", Mobile: "+8613800000000000"}, ErrInvalid},
		{"unknown dept", NewUser{Login: "a", Name: "x", Password: "12345678", Depts: []string{"nope"}}, ErrNotFound},
		{"bad role", NewUser{Login: "a", Name: "x", Password: "12345678", Roles: []string{"Lead er"}}, ErrInvalid},
		{"negative quota", NewUser{Login: "a", Name: "x", Password: "12345678", QuotaBytes: -1}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.AddUser(ctx, tt.nu)
			if !errors.Is(err, tt.want) {
				t.Fatalf("AddUser = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || err.Error() == tt.want.Error() {
				t.Errorf("error %q should be one specific sentence", err)
			}
		})
	}
	if _, err := d.User(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed AddUser left a user behind: %v", err)
	}
}

func userEqual(a, b User) bool {
	return a.Login == b.Login && a.Name == b.Name && a.Mobile == b.Mobile &&
		slices.Equal(a.Addresses, b.Addresses) && slices.Equal(a.Departments, b.Departments) &&
		slices.Equal(a.Roles, b.Roles) && a.Disabled == b.Disabled && a.QuotaBytes == b.QuotaBytes
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SetDomains(ctx, []string{"nanhu.local", "xiucheng.gov.cn"}); err != nil {
		t.Fatal(err)
	}
	mustAddUser(t, d, NewUser{Login: "lina", Name: "李娜", Password: "Li-Na-2004"})
	mustAddUser(t, d, NewUser{Login: "off", Name: "停用", Password: "off-pass-1"})
	if err := d.AddAddress(ctx, "lina", "Na.Li@Xiucheng.gov.cn"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetDisabled(ctx, "off", true); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, user, pass string
		want             error
	}{
		{"login", "lina", "Li-Na-2004", nil},
		{"login upper case", "LiNa", "Li-Na-2004", nil},
		{"primary address", "lina@nanhu.local", "Li-Na-2004", nil},
		{"secondary domain upper case", "LINA@XIUCHENG.GOV.CN", "Li-Na-2004", nil},
		{"extra address", "na.li@xiucheng.gov.cn", "Li-Na-2004", nil},
		{"wrong password", "lina", "li-na-2004", ErrBadCredentials},
		{"empty password", "lina", "", ErrBadCredentials},
		{"unknown user", "nobody", "Li-Na-2004", ErrBadCredentials},
		{"foreign domain", "lina@example.com", "Li-Na-2004", ErrBadCredentials},
		{"garbage user", "@@ \x00", "x", ErrBadCredentials},
		{"disabled right password", "off", "off-pass-1", ErrDisabled},
		{"disabled wrong password", "off", "wrong-pass", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Authenticate(ctx, tt.user, tt.pass)
			if tt.want == nil {
				if err != nil || u.Login != "lina" {
					t.Fatalf("Authenticate = %+v, %v", u, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.want)
			}
		})
	}

	if err := d.SetPassword(ctx, "lina", "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, "lina", "Li-Na-2004"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := d.Authenticate(ctx, "lina", "new-password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := d.SetPassword(ctx, "ghost", "new-password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword(ghost) = %v", err)
	}
	if err := d.SetDisabled(ctx, "ghost", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetDisabled(ghost) = %v", err)
	}
	if err := d.SetDisabled(ctx, "off", false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, "off", "off-pass-1"); err != nil {
		t.Errorf("re-enabled user: %v", err)
	}
}

func TestAuthenticateRehashesOldParameters(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "old", Password: "old-params"})
	// A hash made with cheaper parameters, as an older version might have.
	oldParams := passhash.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32}
	salt := []byte("0123456789abcdef")
	old := passhash.Format(oldParams, salt, passhash.Key("old-params", salt, oldParams))
	if _, err := d.rw.Exec(`UPDATE users SET password_hash = ? WHERE login = 'old'`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, "old", "old-params"); err != nil {
		t.Fatalf("old hash rejected: %v", err)
	}
	var now string
	d.ro.QueryRow(`SELECT password_hash FROM users WHERE login = 'old'`).Scan(&now)
	if now == old || needsRehash(now) {
		t.Errorf("hash not upgraded: %s", now)
	}
	if _, err := d.Authenticate(ctx, "old", "old-params"); err != nil {
		t.Errorf("upgraded hash rejected: %v", err)
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	pw, created, err := d.EnsureAdmin(ctx)
	if err != nil || !created || len(pw) < 16 {
		t.Fatalf("EnsureAdmin = %q, %v, %v", pw, created, err)
	}
	u, err := d.Authenticate(ctx, "admin@nanhu.local", pw)
	if err != nil {
		t.Fatalf("admin cannot log in: %v", err)
	}
	if u.Name != "系统管理员" || !u.HasRole("admin") {
		t.Errorf("admin = %+v", u)
	}
	pw2, created, err := d.EnsureAdmin(ctx)
	if err != nil || created || pw2 != "" {
		t.Errorf("second EnsureAdmin = %q, %v, %v", pw2, created, err)
	}
}

func TestAddAddressAndMembership(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustDept(t, d, Department{Code: "xfj", Name: "信访局"})
	mustAddUser(t, d, NewUser{Login: "a"})
	mustAddUser(t, d, NewUser{Login: "b"})
	if err := d.AddAlias(ctx, "boss@nanhu.local", "a"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		login, addr string
		want        error
	}{
		{"a", "A.Extra@Nanhu.Local", nil},
		{"b", "a.extra@nanhu.local", ErrExists},
		{"b", "a@nanhu.local", ErrExists},
		{"b", "boss@nanhu.local", ErrExists},
		{"b", "b@example.com", ErrInvalid},
		{"b", "not an address", ErrInvalid},
		{"ghost", "ghost2@nanhu.local", ErrNotFound},
	}
	for _, tt := range tests {
		if err := d.AddAddress(ctx, tt.login, tt.addr); !errors.Is(err, tt.want) {
			t.Errorf("AddAddress(%s, %s) = %v, want %v", tt.login, tt.addr, err, tt.want)
		}
	}
	u, _ := d.User(ctx, "a")
	if !slices.Equal(u.Addresses, []string{"a@nanhu.local", "a.extra@nanhu.local"}) {
		t.Errorf("addresses = %v", u.Addresses)
	}
	if err := d.AddMembership(ctx, "b", Membership{Dept: "xfj", Title: "科员"}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddMembership(ctx, "b", Membership{Dept: "xfj", Title: "副局长"}); err != nil {
		t.Fatal(err)
	}
	u, _ = d.User(ctx, "b")
	if !slices.Equal(u.Departments, []Membership{{"xfj", "副局长"}}) {
		t.Errorf("departments = %v", u.Departments)
	}
	if err := d.AddMembership(ctx, "b", Membership{Dept: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddMembership(unknown dept) = %v", err)
	}
	// A new user may not take a login whose address is an alias.
	if _, err := d.AddUser(ctx, NewUser{Login: "boss", Name: "x", Password: "12345678"}); !errors.Is(err, ErrExists) {
		t.Errorf("AddUser(boss) = %v, want ErrExists", err)
	}
}

func TestUsersSorted(t *testing.T) {
	d := openTest(t)
	for _, l := range []string{"zz", "aa", "mm"} {
		mustAddUser(t, d, NewUser{Login: l, Roles: []string{"staff"}})
	}
	users, err := d.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, u := range users {
		logins = append(logins, u.Login)
		if !slices.Equal(u.Roles, []string{"staff"}) {
			t.Errorf("%s roles = %v", u.Login, u.Roles)
		}
	}
	if !slices.Equal(logins, []string{"aa", "mm", "zz"}) {
		t.Errorf("Users order = %v", logins)
	}
}

// TestPrincipal: the one-query read agrees with User.
func TestPrincipal(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.AddMembership(ctx, "yangjing", Membership{Dept: "bgs", Title: "副主任"}); err != nil {
		t.Fatal(err)
	}
	users, err := d.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		p, err := d.Principal(ctx, u.Login)
		if err != nil {
			t.Fatal(err)
		}
		if p.Login != u.Login || p.Name != u.Name || p.Mobile != u.Mobile || p.Disabled != u.Disabled || p.AuthEpoch != u.AuthEpoch ||
			fmt.Sprint(p.Roles) != fmt.Sprint(u.Roles) || fmt.Sprint(p.Departments) != fmt.Sprint(u.Departments) {
			t.Errorf("Principal(%s) = %+v, User has %+v", u.Login, p, u)
		}
	}
	if _, err := d.Principal(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no such user: %v", err)
	}
	if _, err := d.Principal(ctx, "Bad Login"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a bad login: %v", err)
	}
}

// An unlock, and a new password, are recorded for every name the account
// signs in with; Owner finds the account from any of them.
func TestUnlockedAt(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SetDomains(ctx, []string{"nanhu.local"}); err != nil {
		t.Fatal(err)
	}
	mustAddUser(t, d, NewUser{Login: "lina", Name: "李娜"})
	if at, err := d.UnlockedAt(ctx, "lina"); err != nil || !at.IsZero() {
		t.Fatalf("never unlocked: %v %v", at, err)
	}
	before := time.Now()
	if err := d.Unlock(ctx, "LiNa"); err != nil {
		t.Fatal(err)
	}
	at, err := d.UnlockedAt(ctx, "lina@nanhu.local")
	if err != nil || at.Before(before) {
		t.Fatalf("unlocked at %v (%v), want after %v", at, err, before)
	}
	if err := d.SetPassword(ctx, "lina", "another-pass-1"); err != nil {
		t.Fatal(err)
	}
	if at2, _ := d.UnlockedAt(ctx, "lina"); !at2.After(at) {
		t.Errorf("a new password left the unlock time at %v", at2)
	}
	if u, err := d.Owner(ctx, "LINA@nanhu.local"); err != nil || u.Login != "lina" {
		t.Errorf("Owner = %v, %v", u.Login, err)
	}
	if _, err := d.Owner(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Owner of nobody: %v", err)
	}
	if err := d.Unlock(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unlock of nobody: %v", err)
	}
	if at, err := d.UnlockedAt(ctx, "nobody"); err != nil || !at.IsZero() {
		t.Errorf("UnlockedAt of nobody: %v %v", at, err)
	}
}
