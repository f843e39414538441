package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"nanhu/mailserver/store"
)

// buildBinary compiles nanhu once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func nanhuBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nanhu-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "nanhu")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveProcess starts `nanhu serve` as its own process.
func serveProcess(t *testing.T, bin, data, smtpAddr, httpAddr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--smtp", smtpAddr, "--http", httpAddr,
		"--submission", "", "--submissions", "", "--imap", "", "--imaps", "", "--https", "", "--portal", "", "--portal-tls", "", "--nsqd-tcp", "127.0.0.1:0", "--nsqd-http", "127.0.0.1:0", "--log-level", "warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("nanhu serve did not come up:\n%s", logs.String())
	return nil
}

// TestCrashLosesNothingAcknowledged sends mail from several clients, kills
// the server with SIGKILL in the middle, restarts it, and checks that every
// message that got a 250 is in the store exactly once and that every stored
// message is whole.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin := nanhuBinary(t)
	data := t.TempDir()
	add := exec.Command(bin, "user", "add", "lina", "--name", "李娜", "--password-stdin", "--data", data)
	add.Stdin = strings.NewReader("Secret-2004\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	smtpAddr, httpAddr := freePort(t), freePort(t)

	var mu sync.Mutex
	acked := map[string]int{}
	const rounds = 3
	for round := 0; round < rounds; round++ {
		cmd := serveProcess(t, bin, data, smtpAddr, httpAddr)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				cl, err := smtp.Dial(smtpAddr)
				if err != nil {
					return
				}
				defer cl.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("r%d-c%d-m%d@crash.test", round, c, i)
					body := fmt.Sprintf("From: citizen@example.test\r\nTo: lina@nanhu.local\r\nSubject: 崩溃测试 %s\r\nMessage-ID: <%s>\r\n\r\n%s\r\nEND %s\r\n",
						id, id, strings.Repeat("秀洲区电子政务 ", 200), id)
					if err := cl.SendMail("citizen@example.test", []string{"lina@nanhu.local"}, strings.NewReader(body)); err != nil {
						if i == 0 && round == 0 && c == 0 {
							t.Logf("client %d: %v", c, err)
						}
						return // the server died under us: this message was not acknowledged
					}
					mu.Lock()
					acked[id]++
					mu.Unlock()
				}
			}(c)
		}
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		close(stop)
		cmd.Wait()
		wg.Wait()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d messages acknowledged before the kills; the load did not run", len(acked))
	}

	// Restart once more: recovery must work and the server must come up.
	cmd := serveProcess(t, bin, data, smtpAddr, httpAddr)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("graceful stop after recovery: %v", err)
	}

	st, err := store.Open(context.Background(), store.DefaultOptions(data))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(context.Background(), "lina", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, m := range msgs {
		raw, err := st.Raw(context.Background(), "lina", "INBOX", m.UID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(raw, []byte("END "+m.MessageID+"\r\n")) {
			t.Errorf("message UID %d (%s) is not whole: %d bytes", m.UID, m.MessageID, len(raw))
		}
		stored[m.MessageID]++
	}
	lost, dup := 0, 0
	for id := range acked {
		switch stored[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	t.Logf("%d acknowledged over %d kills, %d stored (the rest were in flight at a kill), %d lost, %d duplicated", len(acked), rounds, len(msgs), lost, dup)
	if lost > 0 || dup > 0 {
		t.Errorf("%d acknowledged messages lost and %d stored twice", lost, dup)
	}
}

// demoProcess starts `nanhu serve --demo` as its own process on data,
// with the staff web on httpAddr and the portal on portalAddr ("" for
// none), and waits until ready (a URL) answers 200.
func demoProcess(t *testing.T, bin, data, httpAddr, portalAddr, ready string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--demo", "--data", data, "--http", httpAddr, "--https", "", "--smtp", "", "--submission", "",
		"--submissions", "", "--imap", "", "--imaps", "", "--portal", portalAddr, "--portal-tls", "", "--nsqd-tcp", "127.0.0.1:0",
		"--nsqd-http", "127.0.0.1:0", "--log-level", "warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, &logs
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("nanhu serve did not come up:\n%s", logs.String())
	return nil, nil
}
