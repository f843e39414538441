package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// unitFile reads a systemd unit into key → values, per section.
func unitFile(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: a line without '=': %q", path, line)
				continue
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// TestDeployFiles: the systemd unit and the server configuration in
// cmd/nanhu/deploy fit together (the unit's config file, the data folder
// as its StateDirectory), listen on the standard ports as an unprivileged
// user with CAP_NET_BIND_SERVICE, and carry the hardening; systemd itself
// checks the unit where it is installed.
func TestDeployFiles(t *testing.T) {
	u := unitFile(t, "deploy/nanhu.service")
	want := map[string]string{
		"Service.ProtectSystem":       "strict",
		"Service.NoNewPrivileges":     "yes",
		"Service.StateDirectory":      "nanhu",
		"Service.StateDirectoryMode":  "0700",
		"Service.AmbientCapabilities": "CAP_NET_BIND_SERVICE",
		"Service.User":                "nanhu",
		"Service.KillSignal":          "SIGTERM",
		"Service.ExecStart":           "/usr/local/bin/nanhu serve --config /etc/nanhu/nanhu.toml",
		"Install.WantedBy":            "multi-user.target",
	}
	for k, v := range want {
		if !slices.Contains(u[k], v) {
			t.Errorf("the unit's %s is %q, want %q", k, u[k], v)
		}
	}
	cfg, err := loadConfig([]string{"--config", "deploy/nanhu.toml"})
	if err != nil {
		t.Fatalf("deploy/nanhu.toml: %v", err)
	}
	if cfg.Data != "/var/lib/nanhu" {
		t.Errorf("the config's data folder %q is not the unit's StateDirectory /var/lib/nanhu", cfg.Data)
	}
	ports := map[string]string{cfg.Listen.SMTP: "smtp", cfg.Listen.Submission: "submission", cfg.Listen.Submissions: "submissions",
		cfg.Listen.IMAP: "imap", cfg.Listen.IMAPS: "imaps", cfg.Listen.HTTP: "http", cfg.Listen.HTTPS: "https"}
	for addr, name := range map[string]string{":25": "smtp", ":587": "submission", ":465": "submissions", ":143": "imap", ":993": "imaps", ":80": "http", ":443": "https"} {
		if ports[addr] != name {
			t.Errorf("the deploy config does not put %s on %s", name, addr)
		}
	}
	if cfg.TLS.Cert == "" || cfg.TLS.Key == "" {
		t.Error("the deploy config names no certificate")
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing")
		}
		t.Skip("no systemd-analyze here")
	}
	// systemd-analyze checks the unit with the binary where ExecStart says.
	dir := t.TempDir()
	b, _ := os.ReadFile("deploy/nanhu.service")
	unit := filepath.Join(dir, "nanhu.service")
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/nanhu", nanhuBinary(t))), 0o644)
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Its exposure score: 0 is locked down, 10 is none; 3 or less is "OK".
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=30", unit).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	}
	if i := strings.Index(string(out), "Overall exposure level"); i >= 0 {
		t.Log(strings.TrimSpace(string(out[i:])))
	}
}
