package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestOAKill9 kills `nanhu serve` with SIGKILL while people draft and send
// documents through the API, restarts it, and counts: every action that
// was answered is there, and every task change reached notification
// routing (oa.todo from the outbox) with the state the task has now.
func TestOAKill9(t *testing.T) {
	bin := nanhuBinary(t)
	data := t.TempDir()
	httpAddr := freePort(t)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		return demoProcess(t, bin, data, httpAddr, "", "http://"+httpAddr+"/healthz")
	}

	cmd, _ := start()
	tokenOf := func(login string) string {
		out, err := exec.Command(bin, "token", "add", login, "--name", "crash", "--data", data).CombinedOutput()
		if err != nil {
			t.Fatalf("token add: %v %s", err, out)
		}
		m := regexp.MustCompile(`once\): (\S+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no token in %s", out)
		}
		return string(m[1])
	}
	tok := tokenOf("huanglei")
	client := &http.Client{Timeout: 20 * time.Second}
	post := func(path, body string) (int, []byte, error) {
		req, _ := http.NewRequest("POST", "http://"+httpAddr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	var mu sync.Mutex
	var docs []int64 // answered creates
	var sent []int64 // answered approvals of 拟稿: task ids
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code, b, err := post("/api/v1/oa/documents", fmt.Sprintf(`{"flow":"发文","type":"通知","title":"关于第%d-%d项工作的通知","organ":"qzf","body":"正文"}`, w, i))
				if err != nil || code != 201 {
					continue // the server went away mid-request: not answered
				}
				var c struct{ ID, Task int64 }
				json.Unmarshal(b, &c)
				mu.Lock()
				docs = append(docs, c.ID)
				mu.Unlock()
				code, _, err = post(fmt.Sprintf("/api/v1/oa/tasks/%d/actions", c.Task), `{"action":"approve"}`)
				if err == nil && code == 200 {
					mu.Lock()
					sent = append(sent, c.Task)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once enough has been answered.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n >= 30 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(sent) < 30 {
		t.Fatalf("only %d actions were answered before the kill", len(sent))
	}
	t.Logf("answered before the kill: %d drafts, %d approvals", len(docs), len(sent))

	cmd, logs := start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	oa, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "oa.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer oa.Close()
	for _, id := range docs {
		var n int
		oa.QueryRow(`SELECT count(*) FROM documents WHERE id = ?`, id).Scan(&n)
		if n != 1 {
			t.Errorf("answered draft %d is gone", id)
		}
	}
	for _, id := range sent {
		var state string
		oa.QueryRow(`SELECT state FROM tasks WHERE id = ?`, id).Scan(&state)
		if state != "done" {
			t.Errorf("answered approval of task %d: the task is %q", id, state)
		}
		var next int
		oa.QueryRow(`SELECT count(*) FROM tasks WHERE origin = ? AND assignee = 'yangjing'`, id).Scan(&next)
		if next != 1 {
			t.Errorf("answered approval of task %d made %d 核稿 tasks", id, next)
		}
	}
	// The outbox drains, and routing knows every task as it is.
	notify, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "notify.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	var mismatch []string
	deadline = time.Now().Add(60 * time.Second)
	for {
		var left int
		oa.QueryRow(`SELECT count(*) FROM outbox WHERE published = ''`).Scan(&left)
		mismatch = mismatch[:0]
		rows, err := oa.Query(`SELECT id, assignee, state FROM tasks WHERE kind = 'task'`)
		if err != nil {
			t.Fatal(err)
		}
		var all int
		for rows.Next() {
			var id int64
			var who, state string
			rows.Scan(&id, &who, &state)
			all++
			var open int
			var assignee string
			err := notify.QueryRow(`SELECT open, assignee FROM todos WHERE id = ?`, fmt.Sprintf("oa-%d", id)).Scan(&open, &assignee)
			switch {
			case err != nil:
				mismatch = append(mismatch, fmt.Sprintf("task %d (%s) unknown to routing", id, state))
			case (state == "open") != (open == 1) || assignee != who:
				mismatch = append(mismatch, fmt.Sprintf("task %d is %s for %s, routing has open=%d for %s", id, state, who, open, assignee))
			}
		}
		rows.Close()
		if left == 0 && len(mismatch) == 0 {
			t.Logf("after the restart: %d tasks, all known to routing as they are", all)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still in the outbox; %d tasks differ, e.g. %v\n%s", left, len(mismatch), mismatch[:min(5, len(mismatch))], logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Routing handled each event once: processed ids are unique by
	// construction, and no to-do was announced twice as new.
	var dups int
	notify.QueryRow(`SELECT count(*) FROM (SELECT event_id FROM processed WHERE kind = 'todo' GROUP BY event_id HAVING count(*) > 1)`).Scan(&dups)
	if dups != 0 {
		t.Errorf("%d events handled twice", dups)
	}
	if out, err := exec.Command(bin, "oa", "verify", "--data", data).CombinedOutput(); err != nil {
		t.Errorf("oa verify after the kill: %v %s", err, out)
	}
}
