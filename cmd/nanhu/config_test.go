package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{"[notify]\nholidays = [\"10月1日\"]\n", "holidays"},
		{"[notify]\nholidays = [\"2026-10-01\"]\nworkdays = [\"2026-10-01\"]\n", "both"},
		{"[notify]\nquiet_hours = \"none\"\nholidays = [\"2026-10-01..2026-10-07\"]\nworkdays = [\"2026-10-10\"]\n", ""},
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
