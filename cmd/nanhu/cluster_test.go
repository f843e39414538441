package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"nanhu/oa/notifyqueue"
	"nanhu/queue"
	"nanhu/queue/contract"
	smsstore "nanhu/smsgateway/store"
)

var nsqBuild struct {
	sync.Once
	dir string
	err error
}

// nsqTools builds nsqd and nsqlookupd from the module Nanhu embeds (same
// version), to run them as separate processes.
func nsqTools(t *testing.T) string {
	t.Helper()
	nsqBuild.Do(func() {
		nsqBuild.dir, nsqBuild.err = os.MkdirTemp("", "nanhu-nsq-")
		if nsqBuild.err != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", nsqBuild.dir+"/", "github.com/nsqio/nsq/apps/nsqd", "github.com/nsqio/nsq/apps/nsqlookupd").CombinedOutput()
		if err != nil {
			nsqBuild.err = fmt.Errorf("go build nsqd nsqlookupd: %v\n%s", err, out)
		}
	})
	if nsqBuild.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(nsqBuild.err)
		}
		t.Skip(nsqBuild.err)
	}
	return nsqBuild.dir
}

// process is a process of the cluster test.
type process struct {
	t       *testing.T
	name    string
	args    []string
	log     string
	ready   func() bool
	cmd     *exec.Cmd
	logFile *os.File
}

func (d *process) start() {
	d.t.Helper()
	f, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.logFile = f
	d.cmd = exec.Command(d.args[0], d.args[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !d.ready() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(d.log)
			d.t.Fatalf("%s did not come up:\n%s", d.name, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *process) kill() {
	if d.cmd != nil {
		d.cmd.Process.Signal(syscall.SIGKILL)
		d.cmd.Wait()
		d.cmd = nil
		d.logFile.Close()
	}
}

func (d *process) stop() {
	if d.cmd != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
		d.cmd = nil
		d.logFile.Close()
	}
}

func httpOK(url string) func() bool {
	return func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
}

// TestGatewayCluster is the real cluster: nsqlookupd and two nsqd
// as separate processes; a `nanhu serve` joined to them, which routes the
// to-dos and sends no SMS itself; two `nanhu smsgw` processes with a
// simulated modem each, sharing one channel. 1,000 oa.todo events for
// offline officials are published while one gateway is killed with SIGKILL
// and started again, and one nsqd is killed and restarted on its data.
// Every to-do's SMS must be carried; second copies are bounded (see the end).
func TestGatewayCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cluster")
	}
	tools := nsqTools(t)
	bin := nanhuBinary(t)
	dir := t.TempDir()
	defer func() {
		if t.Failed() && os.Getenv("NANHU_KEEP_FAILED") != "" {
			exec.Command("cp", "-a", dir, os.Getenv("NANHU_KEEP_FAILED")).Run()
		}
	}()
	lookupTCP, lookupHTTP := freePort(t), freePort(t)
	lookupd := &process{t: t, name: "nsqlookupd", log: filepath.Join(dir, "lookupd.log"), ready: httpOK("http://" + lookupHTTP + "/ping"),
		args: []string{filepath.Join(tools, "nsqlookupd"), "--tcp-address", lookupTCP, "--http-address", lookupHTTP}}
	lookupd.start()
	defer lookupd.kill()
	var nsqds []*process
	var nsqdTCP []string
	for i := 0; i < 2; i++ {
		tcp, httpAddr := freePort(t), freePort(t)
		data := filepath.Join(dir, fmt.Sprintf("nsqd%d", i))
		os.MkdirAll(data, 0o700)
		d := &process{t: t, name: fmt.Sprintf("nsqd%d", i), log: filepath.Join(dir, fmt.Sprintf("nsqd%d.log", i)), ready: httpOK("http://" + httpAddr + "/ping"),
			args: []string{filepath.Join(tools, "nsqd"), "--tcp-address", tcp, "--http-address", httpAddr, "--data-path", data,
				"--lookupd-tcp-address", lookupTCP, "--broadcast-address", "127.0.0.1",
				// Every message on disk and fsynced: a killed nsqd loses
				// only what it had handed out and not yet seen finished.
				"--mem-queue-size", "0", "--sync-every", "1"}}
		d.start()
		defer d.kill()
		nsqds = append(nsqds, d)
		nsqdTCP = append(nsqdTCP, tcp)
	}
	// The topic and the gateways' channel exist before the first event, as
	// an operator sets up a cluster: nsqd then keeps every event for the
	// channel even before a gateway has found the node.
	for i, d := range nsqds {
		httpAddr := d.args[4]
		for _, u := range []string{"/topic/create?topic=" + contract.TopicNotifySMS, "/channel/create?topic=" + contract.TopicNotifySMS + "&channel=smsgw",
			"/topic/create?topic=" + contract.TopicTodo, "/channel/create?topic=" + contract.TopicTodo + "&channel=" + notifyqueue.Channel} {
			resp, err := http.Post("http://"+httpAddr+u, "", nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("nsqd%d %s: %v %v", i, u, err, resp)
			}
			resp.Body.Close()
		}
	}
	var gws []*process
	var controls []string
	for i := 0; i < 2; i++ {
		control, httpAddr := freePort(t), freePort(t)
		d := &process{t: t, name: fmt.Sprintf("smsgw%d", i), log: filepath.Join(dir, fmt.Sprintf("smsgw%d.log", i)), ready: httpOK("http://" + httpAddr + "/healthz"),
			args: []string{bin, "smsgw", "--data", filepath.Join(dir, fmt.Sprintf("gw%d", i)), "--nsqlookupd", lookupHTTP,
				"--sim-control", control, "--sim-latency", "5ms", "--http", httpAddr, "--log-level", "warn"}}
		d.start()
		defer d.stop()
		gws = append(gws, d)
		controls = append(controls, control)
	}

	// The server: the demo organisation (eight officials with mobiles),
	// routing on the cluster, no SMS gateway of its own.
	serveHTTP := freePort(t)
	serveConf := filepath.Join(dir, "serve.toml")
	if err := os.WriteFile(serveConf, []byte("[queue]\nrepublish_window = \"1s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := &process{t: t, name: "serve", log: filepath.Join(dir, "serve.log"), ready: httpOK("http://" + serveHTTP + "/healthz"),
		args: []string{bin, "serve", "--config", serveConf, "--data", filepath.Join(dir, "serve"), "--demo",
			"--nsqd", nsqdTCP[0] + "," + nsqdTCP[1], "--nsqlookupd", lookupHTTP,
			"--smtp", "", "--submission", "", "--submissions", "", "--imap", "", "--imaps", "", "--https", "", "--portal", "", "--portal-tls", "",
			"--http", serveHTTP, "--log-level", "warn"}}
	serve.start()
	defer serve.stop()
	req, _ := http.NewRequest("GET", "http://"+serveHTTP+"/api/v1/modems", nil)
	req.SetBasicAuth("admin", "admin2004")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the server joined to the cluster should run no SMS gateway: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}

	qo := queue.DefaultOptions(dir)
	qo.NSQDAddrs = nsqdTCP
	// What an nsqd acknowledged in the last moments before it died is
	// published again elsewhere (the events it had handed out unfinished);
	// with its queue on disk, a second covers them.
	qo.RepublishWindow = time.Second
	q, err := queue.New(context.Background(), qo)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// Count what the simulated networks carried; a killed gateway's
	// simulator goes with it, so what it had carried is counted first.
	re := regexp.MustCompile(`#(\d{4})`)
	// A simulator that does not answer is asked again (a busy machine):
	// an empty answer taken for "nothing carried" would lose its count.
	carried := func(control string) []string {
		var msgs []struct{ Text string }
		var err error
		for try := 0; ; try++ {
			var resp *http.Response
			if resp, err = http.Get("http://" + control + "/messages"); err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err = rerr; err == nil && resp.StatusCode != 200 {
					err = fmt.Errorf("%s", resp.Status)
				}
				if err == nil {
					if err = json.Unmarshal(b, &msgs); err == nil {
						break
					}
				}
			}
			if try == 50 {
				t.Fatalf("the simulated network at %s does not answer: %v", control, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		var keys []string
		for _, m := range msgs {
			if k := re.FindStringSubmatch(m.Text); k != nil {
				keys = append(keys, k[1])
			}
		}
		return keys
	}
	officials := []string{"wangjianguo", "zhangwei", "lina", "chenzhiqiang", "zhoumin", "songbo", "xieyong", "zhengjie"}
	var before []string // carried by gateway 0 before its kill
	const n = 1000
	for i := 0; i < n; i++ {
		switch i {
		case 300:
			time.Sleep(time.Second) // let both gateways take some
			before = carried(controls[0])
			gws[0].kill() // mid-stream: a gateway dies with SMS in hand
			gws[0].start()
		case 600:
			nsqds[1].kill()
			nsqds[1].start()
		}
		ev := contract.TodoEvent{V: 1, ID: fmt.Sprintf("ev-%04d", i), Type: "created", Todo: contract.Todo{
			ID: fmt.Sprintf("todo-%04d", i), Assignee: officials[i%len(officials)], Title: fmt.Sprintf("会议通知#%04d", i),
			Urgency: "特急", Actions: []string{"approve", "return"}}}
		if err := queue.Publish(context.Background(), q, ev); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}

	// What gateway 0's network carried between the snapshot and the kill
	// is in no simulator's count; its sms.db (kept across the restart) has
	// those SMS as sent. Only keys no simulator counted come from there.
	sentBy0 := func() []string {
		st, err := smsstore.Open(context.Background(), filepath.Join(dir, "gw0", "sms.db"), nil)
		if err != nil {
			t.Logf("open gateway 0's sms.db: %v", err)
			return nil
		}
		defer st.Close()
		var keys []string
		for _, state := range []smsstore.State{smsstore.Sent, smsstore.Delivered} {
			msgs, err := st.List(context.Background(), smsstore.Filter{State: state, Limit: 1000})
			if err != nil {
				t.Logf("read gateway 0's sms.db: %v", err)
				return nil
			}
			for _, m := range msgs {
				if k := re.FindStringSubmatch(m.Text); k != nil {
					keys = append(keys, k[1])
				}
			}
		}
		return keys
	}
	count := func() (map[string]int, []int) {
		seen := map[string]int{}
		per := make([]int, len(controls))
		for _, k := range before {
			seen[k]++
			per[0]++
		}
		for i, c := range controls {
			for _, k := range carried(c) {
				seen[k]++
				per[i]++
			}
		}
		return seen, per
	}
	deadline := time.Now().Add(3 * time.Minute)
	var seen map[string]int
	var per []int
	for {
		seen, per = count()
		for _, k := range sentBy0() {
			if seen[k] == 0 {
				seen[k] = 1
				per[0]++
			}
		}
		if len(seen) == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	t.Logf("carried %d of %d distinct SMS (gateway 0: %d, gateway 1: %d), %d second copies", len(seen), n, per[0], per[1], dups)
	if len(seen) != n {
		var missing []string
		for i := 0; i < n && len(missing) < 20; i++ {
			if seen[fmt.Sprintf("%04d", i)] == 0 {
				missing = append(missing, fmt.Sprintf("%04d", i))
			}
		}
		t.Fatalf("%d SMS never carried, e.g. %v", n-len(seen), missing)
	}
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("one gateway carried nothing: the channel did not share the load (%v)", per)
	}
	var dupKeys []string
	for k, c := range seen {
		if c > 1 {
			dupKeys = append(dupKeys, k)
		}
	}
	sort.Strings(dupKeys)
	if len(dupKeys) > 0 {
		t.Logf("second copies of %s … %s", dupKeys[0], dupKeys[len(dupKeys)-1])
	}
	// Second copies come from two places: the SMS a gateway had in flight
	// when it was killed (one per modem), and the events the publisher
	// sends again after an nsqd dies, those it had acknowledged in the
	// republish window (a second here), because a killed nsqd loses the
	// messages it had handed out and not seen finished, and which those
	// were nobody can tell. A copy that lands on the other gateway is
	// dropped there when it has heard the first gateway's sms.status for
	// the key (smsqueue.Peers); what is left are the copies that arrive
	// before that status. The SMS a killed gateway had stored but not yet
	// acknowledged are bounded by its MaxInFlight.
	if dups > 250 {
		t.Errorf("%d second copies; more than a republish window's worth", dups)
	}
}
