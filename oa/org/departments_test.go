package org

import (
	"context"
	"errors"
	"testing"
)

func TestDepartments(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "zhangwei"})
	steps := []struct {
		dep  Department
		want error
	}{
		{Department{Code: "qzf", Name: "区政府", Kind: KindOrgan, Leader: "zhangwei"}, nil},
		{Department{Code: "qw", Name: "区委", Kind: KindOrgan}, nil},
		{Department{Code: "bgs", Name: "区政府办公室", Parent: "qzf"}, nil},
		{Department{Code: "czj", Name: "财政局", Parent: "qzf"}, nil},
		{Department{Code: "msk", Name: "秘书科", Parent: "bgs", Kind: KindSection}, nil},
		{Department{Code: "xcz", Name: "新塍镇", Kind: KindTownship}, nil},
		{Department{Code: "BGS", Name: "again", Parent: "qzf"}, ErrExists},
		{Department{Code: "x", Name: "x", Parent: "nope"}, ErrNotFound},
		{Department{Code: "x", Name: "x", Leader: "ghost"}, ErrNotFound},
		{Department{Code: "x", Name: "x", Kind: "bureau"}, ErrInvalid},
		{Department{Code: "x y", Name: "x"}, ErrInvalid},
		{Department{Code: "x", Name: ""}, ErrInvalid},
	}
	for _, s := range steps {
		if err := d.AddDepartment(ctx, s.dep); !errors.Is(err, s.want) {
			t.Errorf("AddDepartment(%+v) = %v, want %v", s.dep, err, s.want)
		}
	}
	deps, err := d.Departments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, dep := range deps {
		order = append(order, dep.Code)
	}
	want := "qzf bgs msk czj qw xcz"
	if got := join(order); got != want {
		t.Errorf("tree order = %s, want %s", got, want)
	}
	if deps[0].Leader != "zhangwei" || deps[1].Kind != KindDepartment || deps[1].Name != "区政府办公室" {
		t.Errorf("departments = %+v", deps)
	}
	if err := d.SetLeader(ctx, "czj", "zhangwei"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetLeader(ctx, "nope", "zhangwei"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetLeader(nope) = %v", err)
	}
	if err := d.SetLeader(ctx, "czj", "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetLeader(ghost) = %v", err)
	}
}

func TestTreeOrderOrphan(t *testing.T) {
	got := treeOrder([]Department{{Code: "b", Parent: "a"}, {Code: "c", Parent: "gone"}, {Code: "a"}})
	var codes []string
	for _, d := range got {
		codes = append(codes, d.Code)
	}
	if join(codes) != "c a b" {
		t.Errorf("treeOrder = %v", codes)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
