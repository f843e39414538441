package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"nanhu/mailserver/mailauth"
	"nanhu/mailserver/outbound"
	"nanhu/oa/org"
)

// senderDNS is what DNS says about the remote domains of the sender tests.
var senderDNS = mailauth.Static{TXT: map[string][]string{
	"reject.example":            {"v=spf1 -all"},
	"_dmarc.reject.example":     {"v=DMARC1; p=reject"},
	"quarantine.example":        {"v=spf1 -all"},
	"_dmarc.quarantine.example": {"v=DMARC1; p=quarantine"},
	"pass.example":              {"v=spf1 ip4:127.0.0.0/8 -all"},
	"_dmarc.pass.example":       {"v=DMARC1; p=reject"},
}}

// startSenderServer is a server where lina is in 区政府办公室, which has a
// shared mailbox (bangongshi@) and a list (bgs@); members may send as
// both, and lina may send as xinfang@ by grant. 127.0.0.1 is trusted as
// one of the extranet's mail systems; 127.0.0.2 is any outsider.
func startSenderServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	ts := startTestServer(t, func(c *Config) {
		c.resolver = senderDNS
		c.SMTP.SendAsLists = "members"
		c.SMTP.SendAs = map[string][]string{"xinfang@nanhu.local": {"lina"}}
		if mutate != nil {
			mutate(c)
		}
	})
	ctx := context.Background()
	if err := ts.org.AddDepartment(ctx, org.Department{Code: "bgs", Name: "区政府办公室", Kind: "department"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.org.AddMembership(ctx, "lina", org.Membership{Dept: "bgs", Title: "科员"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.org.AddSharedMailbox(ctx, "bangongshi@nanhu.local", "bgs"); err != nil {
		t.Fatal(err)
	}
	if err := ts.org.AddList(ctx, "bgs@nanhu.local", "bgs", nil); err != nil {
		t.Fatal(err)
	}
	return ts
}

// mailbox returns the messages in owner's mailbox.
func (ts *testServer) mailbox(t *testing.T, owner, name string) [][]byte {
	t.Helper()
	ctx := context.Background()
	msgs, _ := ts.store.Messages(ctx, owner, name)
	var out [][]byte
	for _, m := range msgs {
		raw, err := ts.store.Raw(ctx, owner, name, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// withSubject finds the message with subject in msgs.
func withSubject(t *testing.T, msgs [][]byte, subject string) []byte {
	for _, raw := range msgs {
		if subjectOf(t, raw) == subject {
			return raw
		}
	}
	return nil
}

// TestForgedSenders tries each way of forging a sender with swaks: each
// is refused, and the allowed ways still deliver.
func TestForgedSenders(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ts := startSenderServer(t, nil)
	host := func(name string) []string {
		h, p, _ := net.SplitHostPort(ts.addr(name))
		return []string{"--server", h, "--port", p}
	}
	outside := append(host("smtp"), "--local-interface", "127.0.0.2")
	sub := func(user string) []string {
		return append(host("submission"), "--tls", "--auth", "LOGIN", "--auth-user", user, "--auth-password", "Secret-2004",
			"--tls-verify", "--tls-ca-path", filepath.Join(ts.data, "tls", "cert.pem"), "--tls-sni", "localhost")
	}
	tests := []struct {
		name   string
		args   []string
		expect string // in swaks' output
		// where an accepted message lands, by its subject: owner/mailbox
		lands string
		// what the stored message must contain
		contains []string
	}{
		// MX: forbidden
		{"MX local envelope sender from outside", append(outside, "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local"), "550 5.7.1", "", nil},
		{"MX local From header from outside", append(outside, "--from", "citizen@example.org", "--to", "lina@nanhu.local",
			"--header", "From: =?UTF-8?B?5Yy66ZW/?= <zhangwei@nanhu.local>"), "550 5.7.1", "", nil},
		{"MX DMARC p=reject", append(outside, "--from", "a@reject.example", "--to", "lina@nanhu.local", "--header", "From: a@reject.example"), "550 5.7.1", "", nil},
		{"MX control character in MAIL FROM", append(outside, "--from", "a\x01b@example.org", "--to", "lina@nanhu.local"), "501 5.1.3", "", nil},
		{"MX control character in RCPT TO", append(outside, "--from", "a@example.org", "--to", "li\x1bna@nanhu.local"), "501 5.1.3", "", nil},
		// MX: allowed
		{"MX from a trusted network", append(host("smtp"), "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local",
			"--header", "Subject: trusted"), "250 2.0.0", "lina/INBOX", nil},
		{"MX another domain, SPF and DMARC pass", append(outside, "--from", "a@pass.example", "--to", "lina@nanhu.local",
			"--header", "From: a@pass.example", "--header", "Subject: pass",
			"--add-header", "Authentication-Results: mail.nanhu.local; dkim=pass header.d=nanhu.local"), "250 2.0.0", "lina/INBOX",
			[]string{"Authentication-Results: mail.nanhu.local;\r\n\tspf=pass smtp.mailfrom=a@pass.example;\r\n\tdkim=none;\r\n\tdmarc=pass header.from=pass.example\r\n"}},
		{"MX DMARC p=quarantine goes to Junk", append(outside, "--from", "a@quarantine.example", "--to", "lina@nanhu.local",
			"--header", "From: a@quarantine.example", "--header", "Subject: quarantine"), "250 2.0.0", "lina/Junk",
			[]string{"dmarc=fail header.from=quarantine.example"}},
		{"MX no DNS answer: delivered", append(outside, "--from", "a@example.org", "--to", "lina@nanhu.local",
			"--header", "From: a@example.org", "--header", "Subject: offline"), "250 2.0.0", "lina/INBOX",
			[]string{"spf=none smtp.mailfrom=a@example.org", "dmarc=none"}},
		// Submission: forbidden
		{"submission From of another person", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--header", "From: =?UTF-8?B?5Yy66ZW/?= <zhangwei@nanhu.local>"), "553 5.7.1 You (lina) may not send as zhangwei@nanhu.local", "", nil},
		{"submission shared mailbox of another department", append(sub("zhangwei"), "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local",
			"--header", "From: bangongshi@nanhu.local"), "553 5.7.1", "", nil},
		{"submission list one is not on", append(sub("zhangwei"), "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local",
			"--header", "From: bgs@nanhu.local"), "553 5.7.1", "", nil},
		{"submission forged Sender", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--add-header", "Sender: zhangwei@nanhu.local"), "553 5.7.1", "", nil},
		{"submission control character in RCPT TO", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhang\x7fwei@nanhu.local"), "501 5.1.3", "", nil},
		// Submission: allowed
		{"submission own address", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--header", "From: =?UTF-8?B?5p2O5aic?= <lina@nanhu.local>", "--header", "Subject: own"), "250 2.0.0", "zhangwei/INBOX", nil},
		{"submission as the shared mailbox", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--header", "From: bangongshi@nanhu.local", "--header", "Subject: shared"), "250 2.0.0", "zhangwei/INBOX",
			[]string{"Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"}},
		{"submission as the department list", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--header", "From: bgs@nanhu.local", "--header", "Subject: list"), "250 2.0.0", "zhangwei/INBOX",
			[]string{"Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"}},
		{"submission as a granted address", append(sub("lina"), "--from", "lina@nanhu.local", "--to", "zhangwei@nanhu.local",
			"--header", "From: xinfang@nanhu.local", "--header", "Subject: granted"), "250 2.0.0", "zhangwei/INBOX",
			[]string{"Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(swaks, tt.args...).CombinedOutput()
			if (err == nil) != (tt.lands != "") {
				t.Fatalf("swaks ok=%v, want %v:\n%s", err == nil, tt.lands != "", out)
			}
			if !strings.Contains(string(out), tt.expect) {
				t.Fatalf("swaks output lacks %q:\n%s", tt.expect, out)
			}
			if tt.lands == "" {
				return
			}
			var subject string
			for i, a := range tt.args {
				if a == "--header" && strings.HasPrefix(tt.args[i+1], "Subject: ") {
					subject = strings.TrimPrefix(tt.args[i+1], "Subject: ")
				}
			}
			owner, box, _ := strings.Cut(tt.lands, "/")
			raw := withSubject(t, ts.mailbox(t, owner, box), subject)
			if raw == nil {
				t.Fatalf("no message %q in %s", subject, tt.lands)
			}
			for _, c := range tt.contains {
				if !bytes.Contains(raw, []byte(c)) {
					t.Errorf("stored message lacks %q:\n%s", c, raw)
				}
			}
			if n := bytes.Count(raw, []byte("Authentication-Results: mail.nanhu.local")); strings.HasPrefix(tt.name, "MX another") && n != 1 {
				t.Errorf("%d Authentication-Results of ours, want 1 (the forged one removed):\n%s", n, raw)
			}
		})
	}
}

// TestLoopbackNotTrustedByDefault is the finding as reported: with
// the default configuration, swaks on the same machine cannot send as the
// 区长 through the MX.
func TestLoopbackNotTrustedByDefault(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ts := startTestServer(t, func(c *Config) { c.SMTP.TrustedNetworks = nil })
	h, p, _ := net.SplitHostPort(ts.addr("smtp"))
	out, err := exec.Command(swaks, "--server", h, "--port", p, "--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local",
		"--header", "From: =?UTF-8?B?5Yy66ZW/?= <zhangwei@nanhu.local>").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "550 5.7.1") {
		t.Fatalf("forged local sender on the MX: ok=%v, want 550 5.7.1:\n%s", err == nil, out)
	}
	if n := len(ts.inbox(t, "lina")); n != 0 {
		t.Errorf("lina has %d messages, want none", n)
	}
}

// TestForgedSendersSmtplib tries the same with Python's smtplib, NUL bytes
// included (no command line can carry one).
func TestForgedSendersSmtplib(t *testing.T) {
	py := requireTool(t, "python3")
	ts := startSenderServer(t, nil)
	_, mx, _ := net.SplitHostPort(ts.addr("smtp"))
	_, sub, _ := net.SplitHostPort(ts.addr("submission"))
	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
mx, sub, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
def msg(frm, subject):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "李娜 <lina@nanhu.local>"
    m["Subject"] = subject
    m.set_content("请于今天下午三点前转账。")
    return m
def outside():
    return smtplib.SMTP("127.0.0.1", mx, source_address=("127.0.0.2", 0))
def expect(code, enh, fn):
    try:
        fn()
    except smtplib.SMTPRecipientsRefused as e:
        got = list(e.recipients.values())[0]
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        got = (e.smtp_code, e.smtp_error)
    else:
        sys.exit("accepted, want %d" % code)
    assert got[0] == code and got[1].startswith(enh.encode()), got
# MX from outside: a local sender, in the envelope or in From
with outside() as s:
    expect(550, "5.7.1", lambda: s.send_message(msg("张伟 <zhangwei@nanhu.local>", "forged-envelope"), from_addr="zhangwei@nanhu.local"))
with outside() as s:
    expect(550, "5.7.1", lambda: s.send_message(msg("区长 <zhangwei@nanhu.local>", "forged-from"), from_addr="citizen@example.org"))
# NUL and other control characters
with outside() as s:
    expect(501, "5.1.3", lambda: s.sendmail("a\x00b@example.com", ["lina@nanhu.local"], "Subject: nul\r\n\r\nx\r\n"))
with outside() as s:
    expect(501, "5.1.3", lambda: s.sendmail("a@example.com", ["li\x00na@nanhu.local"], "Subject: nul\r\n\r\nx\r\n"))
# DMARC p=reject
with outside() as s:
    expect(550, "5.7.1", lambda: s.send_message(msg("a@reject.example", "dmarc"), from_addr="a@reject.example"))
# Submission: another person's From; a NUL in the envelope
with smtplib.SMTP("127.0.0.1", sub) as s:
    s.starttls(context=ctx)
    s.login("lina", "Secret-2004")
    expect(553, "5.7.1", lambda: s.send_message(msg("张伟 <zhangwei@nanhu.local>", "forged-submission"), from_addr="lina@nanhu.local"))
    expect(501, "5.1.3", lambda: s.sendmail("lina\x00@nanhu.local", ["zhangwei@nanhu.local"], "Subject: nul\r\n\r\nx\r\n"))
    # allowed: own, and the shared mailbox
    s.send_message(msg("李娜 <lina@nanhu.local>", "smtplib-own"), from_addr="lina@nanhu.local")
    s.send_message(msg("区政府办公室 <bangongshi@nanhu.local>", "smtplib-shared"), from_addr="lina@nanhu.local")
# allowed on the MX: another domain from outside
with outside() as s:
    s.send_message(msg("a@example.org", "smtplib-mx"), from_addr="a@example.org")
print("ok")
`
	out, err := exec.Command(py, "-c", script, mx, sub, filepath.Join(ts.data, "tls", "cert.pem")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	lina := ts.inbox(t, "lina")
	for _, forged := range []string{"forged-envelope", "forged-from", "dmarc", "forged-submission"} {
		if withSubject(t, lina, forged) != nil {
			t.Errorf("the refused message %q reached lina", forged)
		}
	}
	if withSubject(t, lina, "smtplib-own") == nil || withSubject(t, lina, "smtplib-mx") == nil {
		t.Errorf("an allowed message is missing from lina's INBOX")
	}
	shared := withSubject(t, lina, "smtplib-shared")
	if shared == nil || !bytes.Contains(shared, []byte("Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n")) {
		t.Errorf("the message sent as the shared mailbox lacks a Sender naming lina:\n%s", shared)
	}
}

// TestOwnSignatureOnMX: mail that this server signed (with the key in the
// data folder that outbound mail is signed with) is accepted on the MX
// from outside although its sender is local, as when it comes back
// through another system; changed on the way, it is refused.
func TestOwnSignatureOnMX(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ts := startSenderServer(t, nil)
	key, err := outbound.LoadOrCreateDKIMKey(filepath.Join(ts.data, "dkim", "nanhu.pem"))
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: =?UTF-8?B?5byg5Lyf?= <zhangwei@nanhu.local>\r\nTo: lina@nanhu.local\r\nSubject: signed\r\n" +
		"Message-ID: <signed@nanhu.local>\r\n\r\n今天下午三点开会。\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "nanhu.local", Selector: "nanhu", Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}); err != nil {
		t.Fatal(err)
	}
	h, p, _ := net.SplitHostPort(ts.addr("smtp"))
	for _, tt := range []struct {
		name, data, expect string
	}{
		{"signed by us", signed.String(), "250 2.0.0"},
		{"signed by us, then changed", strings.Replace(signed.String(), "三点", "四点", 1), "550 5.7.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m.eml")
			if err := os.WriteFile(file, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command(swaks, "--server", h, "--port", p, "--local-interface", "127.0.0.2",
				"--from", "zhangwei@nanhu.local", "--to", "lina@nanhu.local", "--data", file).CombinedOutput()
			if !strings.Contains(string(out), tt.expect) {
				t.Fatalf("swaks output lacks %q:\n%s", tt.expect, out)
			}
		})
	}
	raw := withSubject(t, ts.inbox(t, "lina"), "signed")
	if raw == nil || !bytes.Contains(raw, []byte("dkim=pass header.d=nanhu.local")) {
		t.Errorf("the signed message is not in lina's INBOX with dkim=pass:\n%s", raw)
	}
}
