package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestPythonImaplib drives the IMAP listener with python3's imaplib: login
// over STARTTLS, the standard folders with their SPECIAL-USE attributes,
// Chinese search over GB2312 mail, flags and keywords, MOVE, EXPUNGE, a
// Chinese mailbox name, and IDLE on a raw socket seeing new mail arrive.
func TestPythonImaplib(t *testing.T) {
	py := requireTool(t, "python3")
	ts := startTestServer(t, nil)
	// Two messages by SMTP: one GB2312, one UTF-8.
	c, err := smtp.Dial(ts.addr("smtp"))
	if err != nil {
		t.Fatal(err)
	}
	gb := "From: =?GB2312?B?" + b64(mustGBK("张伟")) + "?= <zhangwei@nanhu.local>\r\nTo: lina@nanhu.local\r\nSubject: =?GB2312?B?" + b64(mustGBK("关于加强电子政务建设的通知")) +
		"?=\r\nMessage-ID: <gb@test>\r\nContent-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(mustGBK("请各单位减少城区噪音。")) + "\r\n"
	utf := "From: lina@nanhu.local\r\nTo: lina@nanhu.local\r\nSubject: =?UTF-8?B?" + b64("会议通知") + "?=\r\nMessage-ID: <utf@test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n明天上午九点开会。\r\n"
	for _, m := range []string{gb, utf} {
		if err := c.SendMail("zhangwei@nanhu.local", []string{"lina@nanhu.local"}, strings.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	_, imapPort, _ := net.SplitHostPort(ts.addr("imap"))
	_, smtpPort, _ := net.SplitHostPort(ts.addr("smtp"))
	script := `
import imaplib, smtplib, socket, ssl, sys, time
port, smtp_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca); ctx.check_hostname = False
def ok(r, what):
    typ, data = r
    assert typ == "OK", (what, typ, data)
    return data

M = imaplib.IMAP4("127.0.0.1", port)
try:
    M.login("lina", "Secret-2004")
    sys.exit("LOGIN without TLS accepted")
except imaplib.IMAP4.error:
    pass
M.starttls(ssl_context=ctx)
ok(M.login("lina@nanhu.local", "Secret-2004"), "login")
caps = ok(M.capability(), "capability")[0].decode().upper().split()
M.capabilities = tuple(caps)
for c in ("IDLE", "MOVE", "UIDPLUS", "SPECIAL-USE", "NAMESPACE", "ESEARCH", "LIST-STATUS"):
    assert c in caps, (c, caps)
lst = b"\n".join(ok(M.list(), "list"))
for name, use in ((b"Sent", b"\\Sent"), (b"Drafts", b"\\Drafts"), (b"Trash", b"\\Trash"), (b"Junk", b"\\Junk"), (b"Archive", b"\\Archive")):
    assert name in lst and use in lst, (name, lst)
n = int(ok(M.select("INBOX"), "select")[0])
assert n == 2, n

def search(key, word):
    M.literal = word.encode()
    return ok(M.uid("SEARCH", "CHARSET", "UTF-8", key), "search " + word)[0].split()

assert search("TEXT", "电子政务") == [b"1"], search("TEXT", "电子政务")
assert search("BODY", "噪音") == [b"1"]
assert search("SUBJECT", "会议") == [b"2"]
assert search("FROM", "张伟") == [b"1"]
assert search("TEXT", "开会") == [b"2"]
assert search("TEXT", "政府") == []
assert ok(M.uid("SEARCH", "UNSEEN"), "unseen")[0].split() == [b"1", b"2"]

env = ok(M.uid("FETCH", "1", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)"), "fetch")
s = repr(env)
assert "gb@test" in s and "GB2312" in s.upper(), s
body = ok(M.uid("FETCH", "1", "(BODY.PEEK[])"), "fetch body")[0][1]
assert b"Message-ID: <gb@test>" in body
assert ok(M.uid("SEARCH", "SEEN"), "seen")[0] == b""
ok(M.uid("FETCH", "2", "(BODY[TEXT])"), "fetch sets seen")
assert ok(M.uid("SEARCH", "SEEN"), "seen")[0].split() == [b"2"]

r = ok(M.uid("STORE", "1", "+FLAGS", "(\\Flagged $Important)"), "store")
assert b"$Important" in b" ".join(x if isinstance(x, bytes) else b"" for x in r), r
assert ok(M.uid("SEARCH", "KEYWORD", "$Important"), "kw")[0].split() == [b"1"]

typ, data = M.uid("MOVE", "2", "Archive")
assert typ == "OK", data
assert int(ok(M.select("Archive", readonly=True), "examine")[0]) == 1
ok(M.select("INBOX"), "select")
ok(M.uid("STORE", "1", "+FLAGS.SILENT", "(\\Deleted)"), "delete")
ok(M.expunge(), "expunge")
assert int(ok(M.select("INBOX"), "reselect")[0]) == 0

ok(M.unselect(), "unselect")
ok(M.enable("UTF8=ACCEPT"), "enable")
ok(M.create('"公文/收文"'), "create chinese")
lst = b"\n".join(ok(M.list(), "list"))
assert "公文/收文".encode() in lst, lst
ok(M.select('"公文/收文"'), "select chinese")
M.logout()

# IDLE on a raw TLS socket: a new message shows up at once.
raw = socket.create_connection(("127.0.0.1", port))
f = raw.makefile("rwb")
def line():
    return f.readline()
def cmd(s):
    f.write(s + b"\r\n"); f.flush()
line()
cmd(b"a STARTTLS"); line()
f.close()
raw = ctx.wrap_socket(raw, server_hostname="localhost")
f = raw.makefile("rwb")
cmd(b"b LOGIN lina Secret-2004"); 
while not line().startswith(b"b OK"): pass
cmd(b"c SELECT INBOX")
while not line().startswith(b"c OK"): pass
cmd(b"d IDLE")
assert line().startswith(b"+"), "no continuation"
with smtplib.SMTP("127.0.0.1", smtp_port) as s:
    s.sendmail("a@example.org", ["lina@nanhu.local"], "Subject: idle\r\n\r\nnew\r\n")
raw.settimeout(5)
t0 = time.time()
got = line()
assert b"EXISTS" in got, got
print("idle-latency %.3f" % (time.time() - t0))
cmd(b"DONE")
while not line().startswith(b"d OK"): pass
print("ok")
`
	out, err := exec.Command(py, "-c", script, imapPort, smtpPort, filepath.Join(ts.data, "tls", "cert.pem")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nok") {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}
