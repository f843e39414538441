package org

import (
	"context"
	"slices"
	"testing"
)

func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.SetDomains(ctx, []string{"xiucheng.gov.cn", "nanhu.local"}); err != nil {
		t.Fatal(err)
	}
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	count := func() (users, depts, aliases int) {
		u, _ := d.Users(ctx)
		dep, _ := d.Departments(ctx)
		a, _ := d.Aliases(ctx)
		return len(u), len(dep), len(a)
	}
	u1, d1, a1 := count()
	if u1 != len(DemoPeople) || d1 != len(demoDepartments) || a1 != 3 {
		t.Fatalf("after seeding: %d users, %d departments, %d aliases", u1, d1, a1)
	}
	// A change made after seeding survives a second seeding.
	if err := d.SetPassword(ctx, "zhangwei", "changed-pw"); err != nil {
		t.Fatal(err)
	}
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatalf("second SeedDemo: %v", err)
	}
	if u2, d2, a2 := count(); u2 != u1 || d2 != d1 || a2 != a1 {
		t.Errorf("second seeding changed counts: %d/%d/%d -> %d/%d/%d", u1, d1, a1, u2, d2, a2)
	}
	if _, err := d.Authenticate(ctx, "zhangwei", "changed-pw"); err != nil {
		t.Errorf("second seeding reset a password: %v", err)
	}

	for _, p := range DemoPeople {
		if p.Login == "zhangwei" {
			continue
		}
		u, err := d.Authenticate(ctx, p.Login+"@xiucheng.gov.cn", p.Password)
		if err != nil {
			t.Errorf("%s: %v", p.Login, err)
			continue
		}
		if u.Name != p.Name || u.Mobile != p.Mobile || len(u.Departments) != 1 || u.Departments[0] != (Membership{p.Dept, p.Title}) {
			t.Errorf("%s = %+v", p.Login, u)
		}
	}
	if _, err := d.Authenticate(ctx, "admin", "admin2004"); err != nil {
		t.Errorf("admin: %v", err)
	}

	resolveTests := []struct {
		addr string
		want []string
	}{
		{"postmaster@xiucheng.gov.cn", []string{"admin"}},
		{"abuse@nanhu.local", []string{"admin"}},
		{"xinfang@xiucheng.gov.cn", []string{"liangxiaoyan", "luogang"}},
		{"bgs@xiucheng.gov.cn", []string{"admin", "chenxiao", "huanglei", "liuyang", "wangli", "wufang", "yangjing", "zhaoli"}},
		{"qrd@xiucheng.gov.cn", []string{"chenzhiqiang"}},
	}
	for _, tt := range resolveTests {
		got, err := d.Resolve(ctx, tt.addr)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Resolve(%s) = %v, %v; want %v", tt.addr, got, err, tt.want)
		}
	}
	qzf, _ := d.Resolve(ctx, "qzf")
	if len(qzf) < 15 || slices.Contains(qzf, "wangjianguo") || slices.Contains(qzf, "songbo") {
		t.Errorf("qzf list = %v", qzf)
	}

	deps, _ := d.Departments(ctx)
	seen := map[string]bool{}
	leaders := 0
	for _, dep := range deps {
		if dep.Parent != "" && !seen[dep.Parent] {
			t.Errorf("%s listed before its parent %s", dep.Code, dep.Parent)
		}
		seen[dep.Code] = true
		if dep.Leader != "" {
			leaders++
		}
	}
	if leaders != len(demoLeaders) {
		t.Errorf("%d departments have leaders, want %d", leaders, len(demoLeaders))
	}
}

func TestSeedDemoAfterEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	pw, _, err := d.EnsureAdmin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, "admin", pw); err != nil {
		t.Errorf("SeedDemo replaced the admin password: %v", err)
	}
}
