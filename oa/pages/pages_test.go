package pages

import (
	"testing"

	"nanhu/internal/web"
	"nanhu/oa/org"
)

func TestChineseMobile(t *testing.T) {
	for in, want := range map[string]string{
		"13912345678":    "+8613912345678",
		"139-1234-5678":  "+8613912345678",
		"+8613912345678": "+8613912345678",
		"0573-82345678":  "0573-82345678", // a landline: left for the directory to refuse
		"23912345678":    "23912345678",
		"":               "",
	} {
		if got := chineseMobile(in); got != want {
			t.Errorf("chineseMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrefsForm(t *testing.T) {
	for _, tt := range []struct {
		prefs           org.NotifyPrefs
		quiet, from, to string
		sms, mail       bool
	}{
		{org.DefaultNotifyPrefs(), "default", "", "", true, false},
		{org.NotifyPrefs{Mail: true, Quiet: &org.QuietHours{}}, "none", "", "", false, true},
		{org.NotifyPrefs{SMS: true, Quiet: &org.QuietHours{Start: 21*60*60e9 + 30*60e9, End: 6*60*60e9 + 45*60e9}}, "custom", "21:30", "06:45", true, false},
	} {
		v := prefsViewOf(tt.prefs)
		if v.Quiet != tt.quiet || v.From != tt.from || v.To != tt.to || v.SMS != tt.sms || v.Mail != tt.mail || v.Invalid {
			t.Errorf("%+v: form %+v", tt.prefs, v)
		}
	}
	f := web.NewForm(nil)
	f.Fail("quiet_to", "x")
	if v := prefsFormOf(f); !v.Invalid || v.ErrTo != "x" {
		t.Errorf("errors: %+v", v)
	}
}

func TestMatches(t *testing.T) {
	row := personRow{User: org.User{Login: "luogang", Name: "罗刚", Mobile: "+8613900000309", Addresses: []string{"luogang@nanhu.local"}},
		Depts: []string{"区信访局 局长"}}
	for q, want := range map[string]bool{"信访": true, "罗": true, "LUOGANG": true, "0309": true, "nanhu.local": true, "财政": false} {
		if got := matches(row, q); got != want {
			t.Errorf("matches(%q) = %v", q, got)
		}
	}
}
