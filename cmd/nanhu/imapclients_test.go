package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

func (ts *testServer) sendLocal(t *testing.T, to string, subjects ...string) {
	t.Helper()
	c, err := smtp.Dial(ts.addr("smtp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, s := range subjects {
		body := fmt.Sprintf("From: zhangwei@nanhu.local\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\nMessage-ID: <c%d-%s@test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s的正文\r\n", to, b64(s), i, strings.Split(to, "@")[0], s)
		if err := c.SendMail("zhangwei@nanhu.local", []string{to}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCurlIMAP lists, fetches and searches with curl's imap:// and imaps://.
func TestCurlIMAP(t *testing.T) {
	curl := requireTool(t, "curl")
	ts := startTestServer(t, nil)
	ts.sendLocal(t, "lina@nanhu.local", "关于召开全区安全生产会议的通知", "周报")
	ca := filepath.Join(ts.data, "tls", "cert.pem")
	imapPort, imapsPort := port(ts.addr("imap")), port(ts.addr("imaps"))
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--cacert", ca, "--user", "lina:Secret-2004"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	list := run("--ssl-reqd", "imap://localhost:"+imapPort+"/")
	for _, want := range []string{"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive", `\Sent`} {
		if !strings.Contains(list, want) {
			t.Errorf("LIST lacks %s:\n%s", want, list)
		}
	}
	msg := run("imaps://localhost:" + imapsPort + "/INBOX;UID=1")
	if !strings.Contains(msg, "Message-ID: <c0-lina@test>") || !strings.Contains(msg, "安全生产会议的通知的正文") {
		t.Errorf("UID=1 fetched:\n%s", msg)
	}
	found := run("imaps://localhost:"+imapsPort+"/INBOX", "-X", "UID SEARCH SUBJECT zhoubao")
	if strings.TrimSpace(found) != "* SEARCH" {
		t.Errorf("search for an absent word: %q", found)
	}
	found = run("imaps://localhost:"+imapsPort+"/INBOX", "-X", "UID SEARCH FROM zhangwei")
	if strings.TrimSpace(found) != "* SEARCH 1 2" {
		t.Errorf("UID SEARCH FROM zhangwei: %q", found)
	}
	if out, err := exec.Command(curl, "-sS", "--user", "lina:Secret-2004", "imap://127.0.0.1:"+imapPort+"/").CombinedOutput(); err == nil {
		t.Errorf("curl logged in without TLS:\n%s", out)
	}
}

// TestMbsync syncs a mailbox both ways with isync's mbsync: the server's
// mail comes down to a Maildir, a message made locally goes up, and a
// message deleted locally is expunged on the server.
func TestMbsync(t *testing.T) {
	mbsync := requireTool(t, "mbsync")
	ts := startTestServer(t, nil)
	ts.sendLocal(t, "lina@nanhu.local", "第一封", "第二封", "第三封")
	dir := t.TempDir()
	local := filepath.Join(dir, "mail")
	os.MkdirAll(local, 0o700)
	_, p, _ := net.SplitHostPort(ts.addr("imaps"))
	host := "localhost" // the certificate names localhost; mbsync checks it
	conf := filepath.Join(dir, "mbsyncrc")
	os.WriteFile(conf, []byte(fmt.Sprintf(`IMAPAccount nanhu
Host %s
Port %s
User lina@nanhu.local
Pass Secret-2004
SSLType IMAPS
CertificateFile %s

IMAPStore nanhu-remote
Account nanhu

MaildirStore nanhu-local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel nanhu
Far :nanhu-remote:
Near :nanhu-local:
Patterns *
Create Both
Expunge Both
SyncState *
`, host, p, filepath.Join(ts.data, "tls", "cert.pem"), local, local)), 0o600)
	sync := func() {
		t.Helper()
		out, err := exec.Command(mbsync, "-c", conf, "-a").CombinedOutput()
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	sync()
	files := func(box string) []string {
		var out []string
		for _, sub := range []string{"cur", "new"} {
			m, _ := filepath.Glob(filepath.Join(local, box, sub, "*"))
			out = append(out, m...)
		}
		return out
	}
	if n := len(files("INBOX")); n != 3 {
		t.Fatalf("mbsync brought %d messages down, want 3", n)
	}
	for _, box := range []string{"Sent", "Drafts", "Trash", "Junk", "Archive"} {
		if _, err := os.Stat(filepath.Join(local, box)); err != nil {
			t.Errorf("mbsync did not create the local %s", box)
		}
	}
	// Up: a draft written locally.
	draft := "From: lina@nanhu.local\r\nTo: zhangwei@nanhu.local\r\nSubject: =?UTF-8?B?" + b64("草稿：年度总结") + "?=\r\nMessage-ID: <draft@test>\r\n\r\n草稿正文\r\n"
	os.WriteFile(filepath.Join(local, "Drafts", "new", "1700000000.draft.host"), []byte(draft), 0o600)
	// Down then delete: mark the first INBOX message trashed.
	first := files("INBOX")[0]
	os.Rename(first, first+"T")
	if !strings.Contains(first, ":2,") {
		os.Rename(first+"T", first+":2,T")
	}
	sync()
	msgs, err := ts.store.Messages(context.Background(), "lina", "Drafts")
	if err != nil || len(msgs) != 1 || msgs[0].MessageID != "draft@test" {
		t.Errorf("the local draft did not reach the server's Drafts: %v %v", msgs, err)
	}
	inbox, _ := ts.store.Messages(context.Background(), "lina", "INBOX")
	if len(inbox) != 2 {
		t.Errorf("server INBOX has %d messages after a local delete, want 2", len(inbox))
	}
	// A message that arrives later comes down on the next sync.
	ts.sendLocal(t, "lina@nanhu.local", "第四封")
	sync()
	if n := len(files("INBOX")); n != 3 {
		t.Errorf("local INBOX has %d messages, want 3", n)
	}
	// mbsync ignores the IP entries of a certificate: by address it fails,
	// which is why the README and COMPATIBILITY.md say "localhost".
	b, _ := os.ReadFile(conf)
	os.WriteFile(conf, []byte(strings.Replace(string(b), "Host localhost", "Host 127.0.0.1", 1)), 0o600)
	out, err := exec.Command(mbsync, "-c", conf, "-a").CombinedOutput()
	if err == nil {
		t.Log("this mbsync accepts the certificate's IP entries: COMPATIBILITY.md can drop its note")
	} else if !strings.Contains(string(out), "does not match") {
		t.Errorf("mbsync by address failed otherwise than on the host name: %s", out)
	}
}

// TestFetchmail collects mail over IMAPS with fetchmail, hands each message
// to an MDA, and leaves nothing behind on the server (fetchmail's default
// is to delete what it fetched).
func TestFetchmail(t *testing.T) {
	fetchmail := requireTool(t, "fetchmail")
	ts := startTestServer(t, nil)
	ts.sendLocal(t, "lina@nanhu.local", "收文登记", "会议通知")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o700)
	rc := filepath.Join(dir, "fetchmailrc")
	os.WriteFile(rc, []byte(fmt.Sprintf(`set no syslog
poll localhost protocol IMAP port %s
  user "lina@nanhu.local" password "Secret-2004" is "lina" here
  ssl sslcertck sslcertfile "%s"
  mda "/bin/sh -c 'cat > %s/msg.$$'"
`, port(ts.addr("imaps")), filepath.Join(ts.data, "tls", "cert.pem"), out)), 0o600)
	cmd := exec.Command(fetchmail, "-f", rc, "--idfile", filepath.Join(dir, "ids"), "--pidfile", filepath.Join(dir, "pid"), "-v")
	cmd.Env = append(os.Environ(), "HOME="+dir, "FETCHMAILHOME="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fetchmail: %v\n%s", err, b)
	}
	got, _ := filepath.Glob(filepath.Join(out, "msg.*"))
	if len(got) != 2 {
		t.Fatalf("fetchmail delivered %d messages, want 2", len(got))
	}
	for _, f := range got {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), "Message-ID: <c") {
			t.Errorf("fetched message lacks its header:\n%s", b)
		}
	}
	if msgs, _ := ts.store.Messages(context.Background(), "lina", "INBOX"); len(msgs) != 0 {
		t.Errorf("%d messages left on the server after fetchmail", len(msgs))
	}
}
