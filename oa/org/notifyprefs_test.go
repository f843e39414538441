package org

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestNotifyPrefs(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "zhangwei", Mobile: "+8613800000102"})

	got, err := d.NotifyPrefs(ctx, "ZhangWei")
	if err != nil || !reflect.DeepEqual(got, DefaultNotifyPrefs()) {
		t.Fatalf("prefs of a user who set none = %+v, %v; want the defaults", got, err)
	}
	tests := []struct {
		name string
		set  NotifyPrefs
		want error
	}{
		{"mail too", NotifyPrefs{SMS: true, Mail: true}, nil},
		{"own quiet hours", NotifyPrefs{SMS: true, Quiet: &QuietHours{Start: 21 * time.Hour, End: 8*time.Hour + 30*time.Minute}}, nil},
		{"no quiet hours", NotifyPrefs{Mail: true, Quiet: &QuietHours{}}, nil},
		{"back to defaults", DefaultNotifyPrefs(), nil},
		{"24:00", NotifyPrefs{Quiet: &QuietHours{Start: 24 * time.Hour}}, ErrInvalid},
		{"seconds", NotifyPrefs{Quiet: &QuietHours{End: 30 * time.Second}}, ErrInvalid},
		{"negative", NotifyPrefs{Quiet: &QuietHours{Start: -time.Minute}}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := d.NotifyPrefs(ctx, "zhangwei")
			err := d.SetNotifyPrefs(ctx, "zhangwei", tt.set)
			if !errors.Is(err, tt.want) {
				t.Fatalf("SetNotifyPrefs = %v, want %v", err, tt.want)
			}
			want := tt.set
			if err != nil {
				want = before // a refused change leaves the stored one
			}
			got, err := d.NotifyPrefs(ctx, "zhangwei")
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("NotifyPrefs = %+v (quiet %+v), %v; want %+v", got, got.Quiet, err, want)
			}
		})
	}
	if _, err := d.NotifyPrefs(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("prefs of an unknown user: %v, want ErrNotFound", err)
	}
	if err := d.SetNotifyPrefs(ctx, "nobody", DefaultNotifyPrefs()); !errors.Is(err, ErrNotFound) {
		t.Errorf("setting prefs of an unknown user: %v, want ErrNotFound", err)
	}
}

func TestUsersByMobile(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustAddUser(t, d, NewUser{Login: "zhangwei", Mobile: "+8613800000102"})
	mustAddUser(t, d, NewUser{Login: "lina", Mobile: "+8613800000103"})
	mustAddUser(t, d, NewUser{Login: "lina2", Mobile: "+8613800000103"})
	mustAddUser(t, d, NewUser{Login: "nomobile"})

	tests := []struct {
		mobile string
		want   []string
	}{
		{"+8613800000102", []string{"zhangwei"}},
		{"+86 138-0000-0102", []string{"zhangwei"}},
		{"+8613800000103", []string{"lina", "lina2"}},
		{"+8613800000999", nil},
		{"10086", nil},
		{"", nil},
	}
	for _, tt := range tests {
		users, err := d.UsersByMobile(ctx, tt.mobile)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Login)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("UsersByMobile(%q) = %v, want %v", tt.mobile, got, tt.want)
		}
	}
}

func TestLeaderOf(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mustDept(t, d, Department{Code: "qzf", Name: "区政府", Kind: KindOrgan})
	mustDept(t, d, Department{Code: "bgs", Name: "区政府办公室", Parent: "qzf"})
	mustDept(t, d, Department{Code: "msk", Name: "秘书科", Parent: "bgs", Kind: KindSection})
	mustDept(t, d, Department{Code: "wsk", Name: "文书科", Parent: "bgs", Kind: KindSection})
	for _, nu := range []NewUser{
		{Login: "zhangwei", Depts: []string{"qzf"}},
		{Login: "liuyang", Depts: []string{"bgs"}},
		{Login: "yangjing", Depts: []string{"msk"}},
		{Login: "huanglei", Depts: []string{"msk", "wsk"}},
		{Login: "zhaoli", Depts: []string{"wsk"}},
		{Login: "loner"},
	} {
		mustAddUser(t, d, nu)
	}
	for dept, leader := range map[string]string{"qzf": "zhangwei", "bgs": "liuyang", "msk": "yangjing"} {
		if err := d.SetLeader(ctx, dept, leader); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ login, want string }{
		{"huanglei", "yangjing"}, // first department's leader
		{"yangjing", "liuyang"},  // leads msk herself: the parent's leader
		{"zhaoli", "liuyang"},    // wsk has no leader: the parent's
		{"liuyang", "zhangwei"},
		{"zhangwei", ""}, // heads the top organ
		{"loner", ""},    // in no department
	}
	for _, tt := range tests {
		got, err := d.LeaderOf(ctx, tt.login)
		if err != nil || got != tt.want {
			t.Errorf("LeaderOf(%s) = %q, %v; want %q", tt.login, got, err, tt.want)
		}
	}
	if _, err := d.LeaderOf(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LeaderOf(nobody) = %v, want ErrNotFound", err)
	}
}

func TestParseQuietHours(t *testing.T) {
	h := func(hh, mm int) time.Duration { return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute }
	tests := []struct {
		in      string
		want    *QuietHours
		str     string
		wantErr bool
	}{
		{"22:00-07:00", &QuietHours{h(22, 0), h(7, 0)}, "22:00-07:00", false},
		{" 21:30 – 06:45 ", &QuietHours{h(21, 30), h(6, 45)}, "21:30-06:45", false},
		{"12:00-13:30", &QuietHours{h(12, 0), h(13, 30)}, "12:00-13:30", false},
		{"none", &QuietHours{}, "none", false},
		{"OFF", &QuietHours{}, "none", false},
		{"default", nil, "", false},
		{"", nil, "", false},
		{"22:00", nil, "", true},
		{"25:00-07:00", nil, "", true},
		{"22:00-7", nil, "", true},
		{"晚上十点-早上七点", nil, "", true},
	}
	for _, tt := range tests {
		got, err := ParseQuietHours(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseQuietHours(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseQuietHours(%q): %v is not ErrInvalid", tt.in, err)
			}
			continue
		}
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("ParseQuietHours(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		if got != nil && got.String() != tt.str {
			t.Errorf("ParseQuietHours(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
		}
	}
}
