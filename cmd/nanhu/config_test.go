package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeConfig returns the TOML block of the README's Configuration
// section.
func readmeConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Configuration")
	if i < 0 {
		t.Fatal("README has no Configuration section")
	}
	s = s[i:]
	start := strings.Index(s, "```toml\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("README's Configuration section has no TOML block")
	}
	return s[start+8 : start+8+end]
}

// TestREADMEConfigIsTheDefaults: the configuration the README shows, "every
// setting, with its default", parses and is exactly the defaults.
func TestREADMEConfigIsTheDefaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "nanhu.toml")
	if err := os.WriteFile(file, []byte(readmeConfig(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := loadConfig([]string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	want, err := loadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Printed, so that an empty list and no list at all compare equal.
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("the README's configuration is not the defaults:\nREADME   %+v\ndefaults %+v", got, want)
	}
}

// TestNotifyConfig: bad notification settings stop the server at start
// with a message naming the setting.
func TestNotifyConfig(t *testing.T) {
	for _, tt := range []struct {
		toml, want string
	}{
		{"[notify]\nquiet_hours = \"22:00\"\n", "quiet_hours"},
		{"[notify]\nquiet_hours = \"default\"\n", "quiet_hours"},
		{"[notify]\nescalate_after_days = 0\n", "escalate_after_days"},
		{"[notify]\ndigest_window = \"-1m\"\n", "digest_window"},
		{"[calendar]\nholidays = [\"10月1日\"]\n", "holidays"},
		{"[calendar]\nholidays = [\"2026-10-01\"]\nworkdays = [\"2026-10-01\"]\n", "both"},
		{"[notify]\nquiet_hours = \"none\"\n[calendar]\nholidays = [\"2026-10-01..2026-10-07\"]\nworkdays = [\"2026-10-10\"]\n", ""},
		{"[notify]\nholidays = [\"10月1日\"]\n", "holidays"}, // the old place still read
		{"[web]\nsession_idle = \"0s\"\n", "session_idle"},
		{"[web]\nsession_idle = \"2h\"\nsession_max = \"1h\"\n", "session_max"},
		{"[web]\ntrusted_origins = [\"xxj.example.gov.cn\"]\n", "trusted_origins"},
		{"[web]\ntrusted_origins = [\"https://xxj.example.gov.cn\"]\n", ""},
		{"[cases]\nlimits = { complain = 0 }\n", "limits"},
		{"[cases]\nlimits = { petition = 5 }\n", "limits"},
		{"[cases]\nunrated_as = 7\n", "unrated_as"},
		{"[cases]\ncategories = \"/nonexistent/categories.csv\"\n", "categories"},
		{"[cases]\nlimits = { consult = 5, complain = 10 }\ncategory_limits = { szss = 7 }\nrate_days = 15\n", ""},
	} {
		file := filepath.Join(t.TempDir(), "nanhu.toml")
		if err := os.WriteFile(file, []byte(tt.toml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig([]string{"--config", file})
		if err == nil {
			err = cfg.check()
		}
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.toml, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one naming %q", tt.toml, err, tt.want)
		}
	}
}

// TestModemModeConfig: `mode` of an [[sms.modem]] is read, and a mode
// that is neither pdu nor text stops the server naming it.
func TestModemModeConfig(t *testing.T) {
	for _, tt := range []struct {
		mode, want string // want: "" for accepted
	}{
		{"text", ""}, {"pdu", ""}, {"", ""}, {"TXT", "mode"},
	} {
		file := filepath.Join(t.TempDir(), "nanhu.toml")
		body := "[[sms.modem]]\npath = \"/dev/ttyUSB0\"\nmode = \"" + tt.mode + "\"\n"
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig([]string{"--config", file})
		if err == nil {
			err = cfg.check()
		}
		if tt.want != "" {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("mode %q: error %v, want one naming %q", tt.mode, err, tt.want)
			}
			continue
		}
		if err != nil || len(cfg.SMS.Modems) != 1 || cfg.SMS.Modems[0].Mode != tt.mode {
			t.Errorf("mode %q: %+v, %v", tt.mode, cfg.SMS.Modems, err)
		}
	}
}

// TestDeprecatedKeys: the limits under [smtp] and the calendar under
// [notify], where they were before, still work, each with a warning;
// where the new section sets the same key, it wins.
func TestDeprecatedKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "nanhu.toml")
	body := "[smtp]\nmax_recipients = 50\nlockout = \"5m\"\nauth_failures_per_user = 3\n" +
		"[limits]\nauth_failures_per_user = 4\n" +
		"[notify]\nholidays = [\"2026-10-01..2026-10-07\"]\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig([]string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.MaxRecipients != 50 || cfg.Limits.Lockout.Duration != 5*time.Minute || cfg.Limits.AuthFailuresPerUser != 4 {
		t.Errorf("smtp %+v limits %+v", cfg.SMTP, cfg.Limits)
	}
	if len(cfg.Calendar.Holidays) != 1 {
		t.Errorf("calendar %+v", cfg.Calendar)
	}
	all := strings.Join(cfg.warnings, "\n")
	for _, want := range []string{"[smtp] lockout is deprecated", "[smtp] auth_failures_per_user is ignored", "[notify] holidays is deprecated"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "max_recipients") {
		t.Errorf("a key still in [smtp] was warned about:\n%s", all)
	}
	lo, err := cfg.limits()
	if err != nil || lo.Lockout != 5*time.Minute || lo.AuthFailuresPerUser != 4 {
		t.Errorf("limits() = %+v, %v", lo, err)
	}
}

// TestSenderConfig: [smtp] trusted_networks, send_as_shared, send_as_lists
// and [smtp.send_as] are read, and a bad one stops the server naming it.
func TestSenderConfig(t *testing.T) {
	for _, tt := range []struct {
		name, toml, want string // want: "" for accepted
	}{
		{"all set", "[smtp]\ntrusted_networks = [\"10.1.0.0/16\", \"192.0.2.7\"]\nsend_as_shared = \"none\"\nsend_as_lists = \"members\"\n" +
			"[smtp.send_as]\n\"XinFang@nanhu.local\" = [\"LuoGang\"]\n", ""},
		{"bad network", "[smtp]\ntrusted_networks = [\"10.1.0.0/33\"]\n", "trusted_networks"},
		{"bad shared rule", "[smtp]\nsend_as_shared = \"all\"\n", "send_as_shared"},
		{"bad list rule", "[smtp]\nsend_as_lists = \"leaders\"\n", "send_as_lists"},
		{"remote address granted", "[smtp.send_as]\n\"boss@example.org\" = [\"lina\"]\n", "not in a local domain"},
		{"nobody granted", "[smtp.send_as]\n\"xinfang@nanhu.local\" = []\n", "lists nobody"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "nanhu.toml")
			if err := os.WriteFile(file, []byte(tt.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig([]string{"--config", file})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want one naming %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			nets, _ := cfg.trustedNetworks()
			p, _ := cfg.sendAs()
			if fmt.Sprint(nets) != "[10.1.0.0/16 192.0.2.7/32]" || p.SharedMembers || !p.ListMembers ||
				fmt.Sprint(p.Grants) != "map[xinfang@nanhu.local:[luogang]]" {
				t.Errorf("read %v and %+v", nets, p)
			}
		})
	}
}
