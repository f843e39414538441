package org

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestSharedMailboxes(t *testing.T) {
	ctx := context.Background()
	d := routingFixture(t)
	if err := d.AddSharedMailbox(ctx, "bangongshi@nanhu.local", "bgs"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr, dept string
		want       error
	}{
		{"bgs@nanhu.local", "xfj", ErrExists},   // a list has the address
		{"other@nanhu.local", "bgs", ErrExists}, // bgs has one already
		{"x@nanhu.local", "nope", ErrNotFound},  // no such department
		{"x@example.com", "xfj", ErrInvalid},    // not a local domain
		{"xinfangju@nanhu.local", "xfj", nil},
	} {
		if err := d.AddSharedMailbox(ctx, tt.addr, tt.dept); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("AddSharedMailbox(%s, %s) = %v, want %v", tt.addr, tt.dept, err, tt.want)
		}
	}
	got, err := d.Resolve(ctx, "BanGongShi@xiucheng.gov.cn")
	if err != nil || fmt.Sprint(got) != "[#bgs]" {
		t.Errorf("Resolve of the shared address = %v, %v; want [#bgs]", got, err)
	}
	for _, tt := range []struct {
		login string
		want  string
	}{
		{"liuyang", "[#bgs]"},  // a member of the department
		{"huanglei", "[#bgs]"}, // a member of one of its sections
		{"luogang", "[#xfj]"},  // on bgs's list, but not in bgs
		{"zhangwei", "[]"},     // in the parent organ: not a member of bgs
		{"off", "[]"},          // disabled
		{"admin", "[]"},
	} {
		sh, err := d.SharedMailboxesOf(ctx, tt.login)
		if err != nil {
			t.Fatal(err)
		}
		var owners []string
		for _, s := range sh {
			owners = append(owners, s.Owner)
		}
		if fmt.Sprint(owners) != tt.want && !(tt.want == "[]" && len(owners) == 0) {
			t.Errorf("SharedMailboxesOf(%s) = %v, want %s", tt.login, owners, tt.want)
		}
	}
}
