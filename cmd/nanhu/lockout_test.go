package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"nanhu/oa/org"
)

// guessScript is a password guesser written with Python's smtplib: from
// 127.0.0.2, ROUNDS wrong passwords for each of the accounts given, over
// implicit TLS, several accounts at once. It prints how the server
// answered: "535 N" and "454 N".
const guessScript = `
import smtplib, ssl, sys, base64, threading, collections
host, port, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
users = sys.argv[4:]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
codes = collections.Counter(); lock = threading.Lock()
def guess(batch):
    for u in batch:
        s = smtplib.SMTP_SSL(host, port, source_address=("127.0.0.2", 0), context=ctx, timeout=60)
        s.ehlo("guesser.example")
        for i in range(rounds):
            code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(("\0%s\0wrong-%d" % (u, i)).encode()).decode())
            with lock: codes[code] += 1
        s.quit()
threads = [threading.Thread(target=guess, args=(users[i::20],)) for i in range(20)]
for t in threads: t.start()
for t in threads: t.join()
for code, n in sorted(codes.items()): print(code, n)
`

// TestLockoutsPerAddress: 1,000 wrong passwords over 100 accounts from
// 127.0.0.2 lock those accounts out from 127.0.0.2 only: the right
// password still works from 127.0.0.1 (swaks, imaplib), the owner hears of
// it by SMS (carried by the simulated modem) and mail, /metrics counts
// the locks, and `nanhu user unlock` lets 127.0.0.2 back in.
func TestLockoutsPerAddress(t *testing.T) {
	swaks := requireTool(t, "swaks")
	python := requireTool(t, "python3")
	ts := startTestServer(t, nil)
	ctx := context.Background()
	users := []string{"zhangwei", "lina"}
	for i := range 98 {
		login := fmt.Sprintf("keyuan%02d", i)
		if _, err := ts.org.AddUser(ctx, org.NewUser{Login: login, Name: "科员" + strconv.Itoa(i), Password: "Secret-2004"}); err != nil {
			t.Fatal(err)
		}
		users = append(users, login)
	}
	host, port, _ := net.SplitHostPort(ts.addr("submissions"))
	out, err := exec.Command(python, append([]string{"-c", guessScript, host, port, "10"}, users...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("guesser: %v\n%s", err, out)
	}
	// Each account: five refusals of the password, then five of the lock.
	if got := strings.TrimSpace(string(out)); got != "454 500\n535 500" {
		t.Fatalf("the guesser's answers:\n%s", out)
	}

	cert := filepath.Join(ts.data, "tls", "cert.pem")
	subHost, subPort, _ := net.SplitHostPort(ts.addr("submission"))
	send := func(from, user string) ([]byte, error) {
		return exec.Command(swaks, "--server", subHost, "--port", subPort, "--local-interface", from, "--tls",
			"--tls-verify", "--tls-ca-path", cert, "--tls-sni", "localhost",
			"--auth", "LOGIN", "--auth-user", user, "--auth-password", "Secret-2004",
			"--from", user+"@nanhu.local", "--to", "lina@nanhu.local", "--header", "Subject: from "+from).CombinedOutput()
	}
	for _, u := range []string{"zhangwei", "keyuan00", "keyuan97"} {
		if out, err := send("127.0.0.1", u); err != nil {
			t.Fatalf("%s with the right password from 127.0.0.1: %v\n%s", u, err, out)
		}
	}
	if out, err := send("127.0.0.2", "zhangwei"); err == nil || !strings.Contains(string(out), "454 4.7.0") {
		t.Fatalf("the right password from the locked address: %v\n%s", err, out)
	}
	imapHost, imapPort, _ := net.SplitHostPort(ts.addr("imaps"))
	login := `
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = imaplib.IMAP4_SSL(sys.argv[1], int(sys.argv[2]), ssl_context=ctx)
print(c.login(sys.argv[3], "Secret-2004")[0])
`
	if out, err := exec.Command(python, "-c", login, imapHost, imapPort, "keyuan42").CombinedOutput(); err != nil || !bytes.Contains(out, []byte("OK")) {
		t.Fatalf("IMAP login from 127.0.0.1: %v\n%s", err, out)
	}

	// The owner's SMS, through the queue and the simulated modem, and mail.
	waitFor(t, 60*time.Second, "the owner's SMS", func() bool {
		for _, m := range ts.sim.Messages() {
			if m.To == "+8613800000001" && strings.Contains(m.Text, "多次登录失败") && strings.Contains(m.Text, "127.0.0.2") {
				return true
			}
		}
		return false
	})
	waitFor(t, 30*time.Second, "the owner's mail", func() bool {
		return withSubject(t, ts.inbox(t, "keyuan42"), "【安全提醒】您的账号多次登录失败") != nil
	})
	if n := strings.Count(fmt.Sprint(ts.sim.Messages()), "zhangwei从地址127.0.0.2"); n != 1 {
		t.Errorf("%d SMS about the lock, want 1", n)
	}

	// The log's counterpart: /metrics.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get("https://" + ts.addr("https") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := regexp.MustCompile(`nanhu_auth_locks_total\{scope="pair"\} (\d+)`).FindSubmatch(body); m == nil || string(m[1]) != "100" {
		t.Errorf("/metrics: %s", regexp.MustCompile(`(?m)^nanhu_auth.*$`).FindAll(body, -1))
	}

	// An administrator's unlock, from another process's command.
	var cmdOut bytes.Buffer
	if err := runUser([]string{"unlock", "zhangwei", "--data", ts.data}, dirIO{in: strings.NewReader(""), out: &cmdOut, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if out, err := send("127.0.0.2", "zhangwei"); err != nil {
		t.Fatalf("after `nanhu user unlock`, from 127.0.0.2: %v\n%s\n%s", err, out, cmdOut.String())
	}
	// A new password lifts a lock too.
	if out, err := send("127.0.0.2", "lina"); err == nil {
		t.Fatalf("lina from 127.0.0.2 before her new password: %s", out)
	}
	if err := runUser([]string{"passwd", "lina", "--password-stdin", "--data", ts.data}, dirIO{in: strings.NewReader("Secret-2004\n"), out: io.Discard, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if out, err := send("127.0.0.2", "lina"); err != nil {
		t.Fatalf("after `nanhu user passwd`, from 127.0.0.2: %v\n%s", err, out)
	}
}
