package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGoRunSIGTERM runs the README's `go run ./cmd/nanhu serve`, sends
// SIGTERM to the go command as a service manager or `kill` would, and
// checks the server itself shuts down: its ports are free again and its
// data folder can be opened by the next server.
func TestGoRunSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server through go run")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	smtpAddr, httpAddr := freePort(t), freePort(t)
	cmd := exec.Command(goBin, "run", "./cmd/nanhu", "serve", "--data", data, "--smtp", smtpAddr, "--http", httpAddr,
		"--submission", "", "--submissions", "", "--imap", "", "--imaps", "", "--https", "", "--portal", "", "--portal-tls", "",
		"--nsqd-tcp", "127.0.0.1:0", "--nsqd-http", "127.0.0.1:0", "--log-level", "warn")
	cmd.Dir = root
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	up := false
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			up = resp.StatusCode == 200
			if up {
				break
			}
		}
	}
	if !up {
		t.Fatalf("go run ./cmd/nanhu serve did not come up:\n%s", logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The server (go run's child) must let the ports go.
	free := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		l1, err1 := net.Listen("tcp", smtpAddr)
		l2, err2 := net.Listen("tcp", httpAddr)
		if l1 != nil {
			l1.Close()
		}
		if l2 != nil {
			l2.Close()
		}
		if err1 == nil && err2 == nil {
			free = true
			break
		}
	}
	if !free {
		out, _ := exec.Command("sh", "-c", "ps -eo pid,ppid,args | grep '[n]anhu serve'").Output()
		t.Fatalf("after SIGTERM to go run the server still holds its ports:\n%s\n%s", out, logs.String())
	}
	if !strings.Contains(logs.String(), "go run that started this server ended") {
		t.Errorf("the server did not say why it stopped:\n%s", logs.String())
	}
	// The data folder's lock is free: the next server starts on it.
	next := serveProcess(t, nanhuBinary(t), data, freePort(t), freePort(t))
	next.Process.Signal(os.Interrupt)
	next.Wait()
}
