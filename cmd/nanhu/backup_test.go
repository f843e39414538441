package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"nanhu/internal/datadir"
	"nanhu/mailserver/store"
	"nanhu/oa/org"
)

// TestBackupWhileServing backs up a data folder while mail keeps arriving,
// restores it elsewhere, and finds every account and a consistent mail
// store there.
func TestBackupWhileServing(t *testing.T) {
	ts := startTestServer(t, nil)
	send := func(n int) {
		c, err := smtp.Dial(ts.addr("smtp"))
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		for i := 0; i < n; i++ {
			body := fmt.Sprintf("Subject: 备份测试 %d\r\nMessage-ID: <b%d@test>\r\n\r\n内容\r\n", i, i)
			if err := c.SendMail("a@example.org", []string{"lina@nanhu.local"}, strings.NewReader(body)); err != nil {
				t.Error(err)
				return
			}
		}
	}
	send(50)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); send(200) }() // keeps writing during the backup
	out := filepath.Join(t.TempDir(), "backup")
	var progress bytes.Buffer
	if err := backup(context.Background(), ts.data, out, &progress); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if !strings.Contains(progress.String(), "backed up mail.db") {
		t.Errorf("progress output: %q", progress.String())
	}
	for _, f := range []string{"org.db", "mail.db", "outbound.db", "tls/cert.pem", "tls/key.pem", "dkim/nanhu.pem", datadir.ManifestName} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("backup lacks %s", f)
		}
	}
	// Restoring into a folder a server holds is refused.
	if err := restore(out, ts.data, true, &progress); err == nil || !strings.Contains(err.Error(), "stop it") {
		t.Errorf("restore into a served folder: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	if err := restore(out, dst, false, &progress); err != nil {
		t.Fatal(err)
	}
	if err := restore(out, dst, false, &progress); err == nil {
		t.Error("restore over existing data without --force succeeded")
	}
	st, err := store.Open(context.Background(), store.DefaultOptions(dst))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(context.Background(), "lina", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 50 || len(msgs) > 250 {
		t.Errorf("restored INBOX has %d messages, want 50..250", len(msgs))
	}
	for i, m := range msgs {
		if m.UID != uint32(i+1) {
			t.Fatalf("restored UIDs have a gap at %d: %d", i, m.UID)
		}
	}
	d, err := org.Open(context.Background(), org.DefaultOptions(dst))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Authenticate(context.Background(), "lina", "Secret-2004"); err != nil {
		t.Errorf("restored directory: %v", err)
	}
	// A damaged backup is refused before anything is written.
	os.WriteFile(filepath.Join(out, "org.db"), []byte("garbage"), 0o600)
	if err := restore(out, filepath.Join(t.TempDir(), "x"), false, &progress); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("restore of a damaged backup: %v", err)
	}
}

func TestDNSRecords(t *testing.T) {
	var b bytes.Buffer
	p := dnsPlan{Domains: []string{"xiuzhou.gov.cn"}, Selector: "nanhu", DKIM: "v=DKIM1; k=rsa; p=" + strings.Repeat("A", 400),
		IP: netip.MustParseAddr("192.0.2.10"), Listen: defaultConfig().Listen}
	p.Listen.IMAP = "" // not opened
	p.print(&b)
	out := b.String()
	for _, want := range []string{
		"WARNING: the MX listener is on port 2525",
		"_submissions._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 2465 mail.xiuzhou.gov.cn.",
		"_submission._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 2587 mail.xiuzhou.gov.cn.",
		"_imaps._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 1993 mail.xiuzhou.gov.cn.",
		"_imap._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 0 0 .",
		"autoconfig.xiuzhou.gov.cn.\t3600\tIN\tCNAME\tmail.xiuzhou.gov.cn.",
		"autodiscover.xiuzhou.gov.cn.\t3600\tIN\tCNAME\tmail.xiuzhou.gov.cn.",
		"_autodiscover._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 8443 mail.xiuzhou.gov.cn.",
		"NOTE: clients fetch autoconfig",
		"xiuzhou.gov.cn.\t3600\tIN\tMX\t10 mail.xiuzhou.gov.cn.",
		"mail.xiuzhou.gov.cn.\t3600\tIN\tA\t192.0.2.10",
		`"v=spf1 mx ip4:192.0.2.10 -all"`,
		"nanhu._domainkey.xiuzhou.gov.cn.\t3600\tIN\tTXT\t( \"v=DKIM1; k=rsa; p=",
		`_dmarc.xiuzhou.gov.cn.	3600	IN	TXT	"v=DMARC1; p=quarantine`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dns output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		for _, q := range strings.Split(line, `"`) {
			if len(q) > 255 {
				t.Errorf("TXT string over 255 bytes: %d", len(q))
			}
		}
	}

	// On the standard ports: no warnings.
	b.Reset()
	p.Listen = ListenConfig{SMTP: ":25", Submission: ":587", Submissions: ":465", IMAP: ":143", IMAPS: ":993", HTTP: ":80", HTTPS: ":443"}
	p.print(&b)
	out = b.String()
	if strings.Contains(out, "WARNING") || strings.Contains(out, "NOTE") {
		t.Errorf("warnings on the standard ports:\n%s", out)
	}
	for _, want := range []string{"_imap._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 143 mail.xiuzhou.gov.cn.", "_submissions._tcp.xiuzhou.gov.cn.\t3600\tIN\tSRV\t0 1 465 "} {
		if !strings.Contains(out, want) {
			t.Errorf("dns output lacks %q:\n%s", want, out)
		}
	}
}
