package smsgateway

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
)

// TestKill9 runs a gateway in a child process, has it queue SMS and send
// them through the simulator, and kills it with SIGKILL mid-backlog. A
// gateway started again on the same sms.db must send every SMS the child
// acknowledged, and send at most one twice (one modem: one message in
// flight).
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	const total = 40
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", func(o *modemsim.Options) { o.SendLatency = 40 * time.Millisecond })

	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
	cmd.Env = append(os.Environ(), "SMS_KILL_CHILD=1", "SMS_DIR="+dir, "SMS_LINK="+sim.Link(), fmt.Sprintf("SMS_TOTAL=%d", total))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	acked := map[string]int64{}
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for len(acked) < total/2 || len(sim.Messages()) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("child acknowledged %d, simulator carried %d", len(acked), len(sim.Messages()))
		}
		if !lines.Scan() {
			t.Fatalf("child ended: %v", lines.Err())
		}
		f := strings.Fields(lines.Text())
		if len(f) == 3 && f[0] == "queued" {
			id, _ := strconv.ParseInt(f[2], 10, 64)
			acked[f[1]] = id
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	carriedAtKill := len(sim.Messages())
	t.Logf("killed with %d acknowledged and %d carried", len(acked), carriedAtKill)
	if carriedAtKill >= len(acked) {
		t.Logf("the child had sent everything it acknowledged; the test proves less")
	}

	o := testOptions(dir, simModem(sim, "m1"))
	g := startGateway(t, o)
	for text, id := range acked {
		m := waitState(t, g, id, Delivered)
		if m.Text != text {
			t.Errorf("SMS %d has text %q, want %q", id, m.Text, text)
		}
	}
	time.Sleep(300 * time.Millisecond)
	count := map[string]int{}
	for _, c := range sim.Messages() {
		count[c.Text]++
	}
	twice := 0
	for text := range acked {
		switch n := count[text]; {
		case n == 0:
			t.Errorf("%q lost", text)
		case n > 1:
			twice++
		}
	}
	if twice > 1 {
		t.Errorf("%d SMS sent twice; one modem allows at most one", twice)
	}
	t.Logf("%d sent twice", twice)
}

// TestKill9Child is the process TestKill9 kills.
func TestKill9Child(t *testing.T) {
	if os.Getenv("SMS_KILL_CHILD") == "" {
		t.Skip("run by TestKill9")
	}
	total, _ := strconv.Atoi(os.Getenv("SMS_TOTAL"))
	o := testOptions(os.Getenv("SMS_DIR"), ModemConfig{Name: "m1", Path: os.Getenv("SMS_LINK")})
	g, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	go g.Run(context.Background())
	for i := range total {
		text := fmt.Sprintf("第%d条通知", i)
		m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("queued %s %d\n", text, m.ID)
		time.Sleep(10 * time.Millisecond)
	}
	select {} // until killed
}
