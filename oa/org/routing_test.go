package org

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// routingFixture builds a small tree:
//
//	qzf 区政府 (zhangwei)
//	└── bgs 办公室 (liuyang, off [disabled])
//	    └── msk 秘书科 (huanglei)
//	xfj 信访局 (luogang)
func routingFixture(t *testing.T) *Directory {
	t.Helper()
	ctx := context.Background()
	d := openTest(t)
	if err := d.SetDomains(ctx, []string{"nanhu.local", "xiucheng.gov.cn"}); err != nil {
		t.Fatal(err)
	}
	mustDept(t, d, Department{Code: "qzf", Name: "区政府", Kind: KindOrgan})
	mustDept(t, d, Department{Code: "bgs", Name: "区政府办公室", Parent: "qzf"})
	mustDept(t, d, Department{Code: "msk", Name: "秘书科", Parent: "bgs", Kind: KindSection})
	mustDept(t, d, Department{Code: "xfj", Name: "信访局", Parent: "qzf"})
	for _, u := range []NewUser{
		{Login: "zhangwei", Depts: []string{"qzf"}},
		{Login: "liuyang", Depts: []string{"bgs"}},
		{Login: "off", Depts: []string{"bgs"}},
		{Login: "huanglei", Depts: []string{"msk"}},
		{Login: "luogang", Depts: []string{"xfj"}},
		{Login: "admin"},
	} {
		mustAddUser(t, d, u)
	}
	if err := d.SetDisabled(ctx, "off", true); err != nil {
		t.Fatal(err)
	}
	steps := []error{
		d.AddAddress(ctx, "liuyang", "office@nanhu.local"),
		d.AddList(ctx, "bgs@nanhu.local", "bgs", []string{"luogang"}),
		d.AddList(ctx, "xfj@nanhu.local", "xfj", nil),
		d.AddList(ctx, "offonly@nanhu.local", "", []string{"off"}),
		d.AddAlias(ctx, "postmaster@nanhu.local", "admin"),
		d.AddAlias(ctx, "webmaster@nanhu.local", "postmaster@nanhu.local"),
		d.AddAlias(ctx, "Chain@nanhu.local", "WEBMASTER@nanhu.local"),
		d.AddAlias(ctx, "xinfang@nanhu.local", "xfj@nanhu.local"),
		d.AddAlias(ctx, "director@xiucheng.gov.cn", "office@nanhu.local"),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("fixture step %d: %v", i, err)
		}
	}
	// Loops cannot be made through AddAlias (targets must exist first), but
	// an older file or a hand edit can hold one.
	if _, err := d.rw.Exec(`INSERT INTO aliases (address, target) VALUES
		('loop1@nanhu.local', 'loop2@nanhu.local'),
		('loop2@nanhu.local', 'loop3@nanhu.local'),
		('loop3@nanhu.local', 'loop1@xiucheng.gov.cn'),
		('self@nanhu.local', 'self@nanhu.local'),
		('dangling@nanhu.local', 'gone@nanhu.local')`); err != nil {
		t.Fatal(err)
	}
	// A chain longer than maxAliasDepth.
	prev := "admin"
	for i := range maxAliasDepth + 1 {
		a := "deep" + string(rune('a'+i)) + "@nanhu.local"
		if err := d.AddAlias(ctx, a, prev); err != nil {
			t.Fatal(err)
		}
		prev = a
	}
	return d
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	d := routingFixture(t)
	lastDeep := "deep" + string(rune('a'+maxAliasDepth)) + "@nanhu.local"
	tests := []struct {
		addr string
		want []string
		err  error
	}{
		{"zhangwei@nanhu.local", []string{"zhangwei"}, nil},
		{"ZhangWei@Xiucheng.Gov.CN", []string{"zhangwei"}, nil},
		{"zhangwei", []string{"zhangwei"}, nil}, // bare: primary domain
		{"office@nanhu.local", []string{"liuyang"}, nil},
		{"postmaster@nanhu.local", []string{"admin"}, nil},
		{"postmaster@xiucheng.gov.cn", []string{"admin"}, nil}, // alias answers in every local domain
		{"postmaster", []string{"admin"}, nil},
		{"chain@nanhu.local", []string{"admin"}, nil},
		{"director@xiucheng.gov.cn", []string{"liuyang"}, nil},
		{"bgs@nanhu.local", []string{"huanglei", "liuyang", "luogang"}, nil}, // sub-department, extra member, disabled left out
		{"BGS@XIUCHENG.GOV.CN", []string{"huanglei", "liuyang", "luogang"}, nil},
		{"xinfang@nanhu.local", []string{"luogang"}, nil},
		{"deepb@nanhu.local", []string{"admin"}, nil},
		{lastDeep, nil, ErrLoop},
		{"loop1@nanhu.local", nil, ErrLoop},
		{"loop2@xiucheng.gov.cn", nil, ErrLoop},
		{"self@nanhu.local", nil, ErrLoop},
		{"dangling@nanhu.local", nil, ErrNotFound},
		{"off@nanhu.local", nil, ErrDisabled},
		{"offonly@nanhu.local", nil, ErrDisabled},
		{"nobody@nanhu.local", nil, ErrNotFound},
		{"zhangwei@example.com", nil, ErrNotFound},
		{"", nil, ErrNotFound},
		{"not an address@", nil, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := d.Resolve(ctx, tt.addr)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Resolve = %v, %v; want error %v", got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Resolve = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestListMembers(t *testing.T) {
	ctx := context.Background()
	d := routingFixture(t)
	got, err := d.ListMembers(ctx, "bgs@nanhu.local")
	if want := []string{"huanglei", "liuyang", "luogang", "off"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ListMembers(bgs) = %v, %v; want %v (disabled included)", got, err, want)
	}
	// Membership is read at delivery time.
	mustAddUser(t, d, NewUser{Login: "newcomer", Depts: []string{"msk"}})
	got, _ = d.Resolve(ctx, "bgs@nanhu.local")
	if !slices.Contains(got, "newcomer") {
		t.Errorf("new member of a sub-department not on the list: %v", got)
	}
	for _, a := range []string{"postmaster@nanhu.local", "zhangwei@nanhu.local", "nope@nanhu.local", "bad"} {
		if _, err := d.ListMembers(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Errorf("ListMembers(%s) = %v, want ErrNotFound", a, err)
		}
	}
}

func TestAddAliasAndListErrors(t *testing.T) {
	ctx := context.Background()
	d := routingFixture(t)
	aliasTests := []struct {
		alias, target string
		want          error
	}{
		{"zhangwei@nanhu.local", "admin", ErrExists},        // a user's address
		{"Postmaster@nanhu.local", "admin", ErrExists},      // an alias
		{"bgs@nanhu.local", "admin", ErrExists},             // a list
		{"office@nanhu.local", "admin", ErrExists},          // an extra address
		{"x@example.com", "admin", ErrInvalid},              // not local
		{"x@nanhu.local", "ghost", ErrNotFound},             // no such login
		{"x@nanhu.local", "ghost@nanhu.local", ErrNotFound}, // no such address
		{"x@nanhu.local", "someone@example.com", ErrInvalid},
		{"x@nanhu.local", "", ErrInvalid},
		{"x", "admin", ErrInvalid},
		{"ok@nanhu.local", "bgs@xiucheng.gov.cn", nil},
	}
	for _, tt := range aliasTests {
		if err := d.AddAlias(ctx, tt.alias, tt.target); !errors.Is(err, tt.want) {
			t.Errorf("AddAlias(%q, %q) = %v, want %v", tt.alias, tt.target, err, tt.want)
		}
	}
	aliases, err := d.Aliases(ctx)
	if err != nil || aliases["ok@nanhu.local"] != "bgs@xiucheng.gov.cn" || aliases["postmaster@nanhu.local"] != "admin" {
		t.Errorf("Aliases = %v, %v", aliases, err)
	}
	listTests := []struct {
		addr, dept string
		extra      []string
		want       error
	}{
		{"xinfang@nanhu.local", "xfj", nil, ErrExists},
		{"l1@nanhu.local", "nope", nil, ErrNotFound},
		{"l1@nanhu.local", "", []string{"ghost"}, ErrNotFound},
		{"l1@nanhu.local", "", nil, ErrInvalid},
		{"l1@example.com", "xfj", nil, ErrInvalid},
		{"l1@nanhu.local", "", []string{"ADMIN", "admin"}, nil},
	}
	for _, tt := range listTests {
		if err := d.AddList(ctx, tt.addr, tt.dept, tt.extra); !errors.Is(err, tt.want) {
			t.Errorf("AddList(%q, %q, %v) = %v, want %v", tt.addr, tt.dept, tt.extra, err, tt.want)
		}
	}
	if got, _ := d.ListMembers(ctx, "l1@nanhu.local"); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("l1 members = %v", got)
	}
}

func TestLists(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.AddList(ctx, "zhuanban@nanhu.local", "", []string{"zhangwei", "lina"}); err != nil {
		t.Fatal(err)
	}
	all, err := d.Lists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found, bgs bool
	for _, l := range all {
		if l.Address == "zhuanban@nanhu.local" {
			found = true
			if l.Dept != "" || len(l.Extra) != 2 || l.Extra[0] != "lina" {
				t.Errorf("list %+v", l)
			}
		}
		if l.Address == "bgs@nanhu.local" && l.Dept == "bgs" {
			bgs = true
		}
	}
	if !found || !bgs {
		t.Errorf("lists %+v lack zhuanban or the department list bgs", all)
	}
}
