package main

// `nanhu modemsim` against software nobody here wrote: Debian's gammu and
// smstools' smsd drive the simulator's pty and must see a modem. They are
// skipped on a developer machine without the tools and fail in CI (CI set)
// when a tool is missing, since .ci/run installs them.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"nanhu/hardware/modemsim"
	"nanhu/hardware/serial"
	"nanhu/smsgateway/pdu"
)

// needTool finds an outside program, or skips (fails under CI).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// syncBuffer collects the command's log while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// modemsimRun is `nanhu modemsim` running in the test.
type modemsimRun struct {
	link string
	api  string // http://127.0.0.1:port
	log  *syncBuffer
}

func startModemsim(t *testing.T, extra ...string) *modemsimRun {
	t.Helper()
	link := filepath.Join(t.TempDir(), "ttyUSB-sim")
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	args := append([]string{"--link", link, "--control", "127.0.0.1:0", "--send-latency", "50ms", "--report-delay", "300ms", "-v"}, extra...)
	go func() { done <- runModemsim(ctx, args, log, func(a string) { ready <- a }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("nanhu modemsim: %v\n%s", err, log)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("nanhu modemsim did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("nanhu modemsim: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("nanhu modemsim did not stop")
		}
		if t.Failed() {
			t.Logf("simulator log:\n%s", log)
		}
	})
	return &modemsimRun{link: link, api: "http://" + addr, log: log}
}

func (m *modemsimRun) messages(t *testing.T) []modemsim.Carried {
	t.Helper()
	resp, err := http.Get(m.api + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []modemsim.Carried
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (m *modemsimRun) post(t *testing.T, path, body string) string {
	t.Helper()
	resp, err := http.Post(m.api+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s %s", path, resp.Status, b)
	}
	return string(b)
}

func runTool(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestModemsimGammu(t *testing.T) {
	gammu := needTool(t, "gammu")
	m := startModemsim(t)
	rc := filepath.Join(t.TempDir(), "gammurc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("[gammu]\ndevice = %s\nconnection = at\n", m.link)), 0o600); err != nil {
		t.Fatal(err)
	}

	out := runTool(t, 90*time.Second, gammu, "-c", rc, "--identify")
	for _, want := range []string{"Huawei", "E173", "11.126.85.00.209", "353143040123458", "460001357924680"} {
		if !strings.Contains(out, want) {
			t.Errorf("gammu --identify lacks %q:\n%s", want, out)
		}
	}

	out = runTool(t, 90*time.Second, gammu, "-c", rc, "sendsms", "TEXT", "+8613800000000", "-unicode", "-text", "测试短信")
	if !strings.Contains(out, "message reference=1") {
		t.Errorf("gammu sendsms:\n%s", out)
	}
	msgs := m.messages(t)
	if len(msgs) != 1 || msgs[0].Text != "测试短信" || msgs[0].To != "+8613800000000" || msgs[0].Ref != 1 {
		t.Fatalf("carried: %+v", msgs)
	}

	long := strings.Repeat("请于明天上午九点到区政府三楼会议室参加防汛工作会议。", 4)
	m.post(t, "/inbound", fmt.Sprintf(`{"from":"+8613900000000","text":%q}`, long))
	out = runTool(t, 90*time.Second, gammu, "-c", rc, "getallsms")
	if !strings.Contains(out, "+8613900000000") || !strings.Contains(out, "part 2 of 2") || !strings.Contains(strings.ReplaceAll(out, "\n", ""), long[:60]) {
		t.Fatalf("gammu getallsms does not show the inbound SMS:\n%s", out)
	}
}

// TestModemsimGammuTextMode: gammu against `nanhu modemsim --text-only`
// finds PDU mode refused, turns to text mode (AT+CMGF=1, AT+CSDH=1), sends
// a GSM text with AT+CSMP and AT+CMGS="<number>", and reads back what
// arrived as TS 27.005 shows it: Chinese in hex UCS2, and the two parts of
// a long text with their header. (gammu sends no Unicode text in text
// mode but on Nokia phones, so the send is in GSM.)
func TestModemsimGammuTextMode(t *testing.T) {
	gammu := needTool(t, "gammu")
	m := startModemsim(t, "--text-only")
	rc := filepath.Join(t.TempDir(), "gammurc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("[gammu]\ndevice = %s\nconnection = at\n", m.link)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, 90*time.Second, gammu, "-c", rc, "sendsms", "TEXT", "+8613800000000", "-text", "Flood drill at 9")
	if !strings.Contains(out, "message reference=1") {
		t.Errorf("gammu sendsms:\n%s", out)
	}
	msgs := m.messages(t)
	if len(msgs) != 1 || msgs[0].Text != "Flood drill at 9" || msgs[0].Mode != "text" || msgs[0].To != "+8613800000000" {
		t.Fatalf("carried: %+v", msgs)
	}
	for _, want := range []string{`line="AT+CMGF=0"`, `line="AT+CMGF=1"`, `line="AT+CSDH=1"`, `line="AT+CSMP=`} {
		if !strings.Contains(m.log.String(), want) {
			t.Errorf("gammu did not send %s", want)
		}
	}

	long := strings.Repeat("请于明天上午九点到区政府三楼会议室参加防汛工作会议。", 4)
	m.post(t, "/inbound", `{"from":"+8613900000001","text":"测试短信"}`)
	m.post(t, "/inbound", fmt.Sprintf(`{"from":"+8613900000000","text":%q}`, long))
	out = runTool(t, 90*time.Second, gammu, "-c", rc, "getallsms")
	flat := strings.ReplaceAll(out, "\n", "")
	for _, want := range []string{"+8613900000001", "测试短信", "+8613900000000", "Unicode", "part 2 of 2", long[:60], "+8613800573500"} {
		if !strings.Contains(flat, want) {
			t.Errorf("gammu getallsms in text mode lacks %q:\n%s", want, out)
		}
	}
}

func TestModemsimSmsd(t *testing.T) {
	smsd := needTool(t, "smsd")
	m := startModemsim(t)
	dir := t.TempDir()
	for _, d := range []string{"outgoing", "checked", "incoming", "sent", "failed", "report"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "smsd.conf")
	cfg := fmt.Sprintf(`devices = GSM1
logfile = %[1]s/smsd.log
loglevel = 7
outgoing = %[1]s/outgoing
checked = %[1]s/checked
incoming = %[1]s/incoming
sent = %[1]s/sent
failed = %[1]s/failed
report = %[1]s/report
infofile = %[1]s/smsd.working
pidfile = %[1]s/smsd.pid
delaytime = 1
delaytime_mainprocess = 1

[GSM1]
device = %[2]s
incoming = yes
report = yes
baudrate = 115200
`, dir, m.link)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "outgoing", "notice1")
	if err := os.WriteFile(out, []byte("To: 8613800000000\nAlphabet: UTF-8\n\n区长办公会改至周三下午"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(smsd, "-c", conf, "-t")
	var smsdOut syncBuffer
	cmd.Stdout, cmd.Stderr = &smsdOut, &smsdOut
	// smsd forks a process per modem: run it in a process group of its
	// own and end the group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "smsd.log"))
			t.Logf("smsd output:\n%s\nsmsd.log (end):\n%s", smsdOut.String(), tail(string(b), 4000))
			for _, sub := range []string{"incoming", "report", "failed"} {
				files, _ := os.ReadDir(filepath.Join(dir, sub))
				for _, f := range files {
					b, _ := os.ReadFile(filepath.Join(dir, sub, f.Name()))
					t.Logf("%s/%s:\n%s", sub, f.Name(), b)
				}
			}
		}
	})

	// The outgoing file is sent: smsd moves it to sent/, the network has it.
	waitFor(t, 60*time.Second, "smsd to send", func() bool {
		_, err := os.Stat(filepath.Join(dir, "sent", "notice1"))
		return err == nil
	})
	msgs := m.messages(t)
	if len(msgs) != 1 || msgs[0].Text != "区长办公会改至周三下午" || msgs[0].To != "+8613800000000" || !msgs[0].Report {
		t.Fatalf("carried: %+v", msgs)
	}
	// Its status report reaches smsd's report folder.
	waitFor(t, 60*time.Second, "the status report", func() bool {
		return folderHas(dir, "report", "SMS STATUS REPORT")
	})

	// An SMS arrives and lands in smsd's incoming folder, text intact.
	// smsd keeps a UCS2 text as UTF-16BE (its own conversion to UTF-8
	// stops at characters such as the full-width comma).
	reply := "收到，准时参加。"
	m.post(t, "/inbound", fmt.Sprintf(`{"from":"+8613900000000","text":%q}`, reply))
	waitFor(t, 60*time.Second, "smsd to receive", func() bool {
		return folderHas(dir, "incoming", utf16be(reply)) && folderHas(dir, "incoming", "From: 8613900000000")
	})
	// smsd deletes it from the SIM after writing the file (AT+CMGD just
	// after), so it is read once.
	waitFor(t, 30*time.Second, "smsd to delete the SMS from the SIM", func() bool {
		return statusOf(t, m).Storage["SM"].Used == 0
	})
}

func statusOf(t *testing.T, m *modemsimRun) modemsim.Status {
	t.Helper()
	resp, err := http.Get(m.api + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st modemsim.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func utf16be(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

func folderHas(dir, sub, text string) bool {
	files, _ := os.ReadDir(filepath.Join(dir, sub))
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, sub, f.Name()))
		if err == nil && strings.Contains(string(b), text) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// atClient is a few AT exchanges over hardware/serial.
type atClient struct {
	t   *testing.T
	p   *serial.Port
	got string
}

func (c *atClient) send(s string) {
	c.t.Helper()
	if _, err := c.p.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *atClient) until(want string) string {
	c.t.Helper()
	buf := make([]byte, 512)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.got, want) {
		if time.Now().After(deadline) {
			c.t.Fatalf("no %q in %q", want, c.got)
		}
		n, err := c.p.Read(buf)
		c.got += string(buf[:n])
		if err != nil && !errors.Is(err, serial.ErrTimeout) {
			c.t.Fatal(err)
		}
	}
	i := strings.Index(c.got, want) + len(want)
	out := c.got[:i]
	c.got = c.got[i:]
	return out
}

// The simulator with the real codec: the research capture of gammu's
// send (AT+CMGS=19 and its UCS2 PDU), an inbound long text read back and
// decoded, and a status report that names the message reference.
func TestModemsimRealCodec(t *testing.T) {
	m := startModemsim(t)
	p, err := serial.Open(serial.Config{Path: m.link, ReadTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &atClient{t: t, p: p}
	c.send("ATE0;+CMEE=1;+CNMI=2,1,0,1,0\r")
	c.until("OK\r\n")
	c.send("AT+CMGS=19\r")
	c.until("> ")
	c.send("0891683108100005F011000D91683108000000F00008FF046D4B8BD5\x1a")
	if got := c.until("OK\r\n"); got != "\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("send: %q", got)
	}
	if msgs := m.messages(t); len(msgs) != 1 || msgs[0].Text != "测试" || msgs[0].To != "+8613800000000" {
		t.Fatalf("carried: %+v", msgs)
	}

	// A multipart send with a status report request, encoded by the codec.
	text := strings.Repeat("防汛", 40)
	parts, err := pdu.EncodeSubmit("+8613800000000", text, pdu.SubmitOptions{StatusReport: true})
	if err != nil || len(parts) != 2 {
		t.Fatalf("encode: %d parts, %v", len(parts), err)
	}
	for i, part := range parts {
		c.send(fmt.Sprintf("AT+CMGS=%d\r", part.TPDULen))
		c.until("> ")
		c.send(part.Hex + "\x1a")
		// A status report may come before the answer: look for the line.
		if got := c.until("OK\r\n"); !strings.Contains(got, fmt.Sprintf("\r\n+CMGS: %d\r\n\r\nOK\r\n", i+2)) {
			t.Fatalf("part %d: %q", i+1, got)
		}
	}
	msgs := m.messages(t)
	if len(msgs) != 2 || msgs[1].Text != text || msgs[1].Parts != 2 || !msgs[1].Complete {
		t.Fatalf("multipart carried: %+v", msgs)
	}
	// +CDS: <len> and the report PDU, for each part.
	c.until("+CDS: ")
	c.until("\r\n")
	line := strings.TrimSpace(c.until("\r\n"))
	sr, err := pdu.DecodeStatusReport(line)
	if err != nil || (sr.MessageRef != 2 && sr.MessageRef != 3) || sr.Recipient != "+8613800000000" || !sr.Delivered() {
		t.Fatalf("status report %q: %+v %v", line, sr, err)
	}

	// Inbound Chinese, read back and decoded.
	m.post(t, "/inbound", `{"from":"+8613900000000","text":"你好"}`)
	c.until(`+CMTI: "SM",1`)
	c.send("AT+CMGR=1\r")
	got := c.until("OK\r\n")
	_, after, found := strings.Cut(got, "+CMGR: 0,,")
	lines := strings.Split(after, "\r\n")
	if !found || len(lines) < 2 {
		t.Fatalf("AT+CMGR=1: %q", got)
	}
	d, err := pdu.DecodeDeliver(lines[1])
	if err != nil || d.Text != "你好" || d.From != "+8613900000000" {
		t.Fatalf("delivered %q: %+v %v", lines[1], d, err)
	}
}

func TestModemsimUsage(t *testing.T) {
	err := runModemsim(context.Background(), nil, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "--link PATH") {
		t.Fatalf("without --link: %v", err)
	}
	err = runModemsim(context.Background(), []string{"--link", "x", "--send-latency", "soon"}, io.Discard, nil)
	if err == nil {
		t.Fatal("a bad duration was taken")
	}
}
