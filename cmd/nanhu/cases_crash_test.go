package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"nanhu/portal/cases"
)

// TestCasesKill9 kills `nanhu serve` with SIGKILL during a burst of
// Open311 submissions, restarts it, and counts: every submission that was
// answered with a 查询码 is a case after the restart, exactly once, with
// that 查询码; none is there twice.
func TestCasesKill9(t *testing.T) {
	bin := nanhuBinary(t)
	data := t.TempDir()
	httpAddr, portalAddr := freePort(t), freePort(t)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		return demoProcess(t, bin, data, httpAddr, portalAddr, "http://"+portalAddr+"/open311/v2/services.json")
	}

	cmd, _ := start()
	// A key, issued through the store as the administrator's page does.
	st, err := cases.Open(context.Background(), cases.DefaultOptions(filepath.Join(data, "cases.db")))
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := st.CreateKey(context.Background(), "crash test", "admin")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 20 * time.Second}
	codeRE := regexp.MustCompile(`查询码 ([0-9A-Z]{12})`)
	var mu sync.Mutex
	answered := map[string]string{} // description → 查询码
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
				desc := fmt.Sprintf("南虹路第%d-%d号路灯不亮，请维修。", w, i)
				form := url.Values{"api_key": {key}, "service_code": {"szss"}, "lat": {"30.82"}, "long": {"120.69"}, "description": {desc},
					"attribute[kind]": {"complain"}, "email": {fmt.Sprintf("c%d-%d@example.cn", w, i)}}
				resp, err := client.PostForm("http://"+portalAddr+"/open311/v2/requests.json", form)
				if err != nil {
					continue // the server went away mid-request: not answered
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					continue
				}
				var made []struct {
					Notice string `json:"service_notice"`
				}
				if json.Unmarshal(b, &made) != nil || len(made) != 1 {
					continue
				}
				if m := codeRE.FindStringSubmatch(made[0].Notice); m != nil {
					mu.Lock()
					answered[desc] = m[1]
					mu.Unlock()
				}
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(answered)
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(answered) < 50 {
		t.Fatalf("only %d submissions were answered before the kill", len(answered))
	}

	cmd, _ = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "cases.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for desc, code := range answered {
		var n int
		var got string
		db.QueryRow(`SELECT count(*), coalesce(max(code), '') FROM cases WHERE text = ?`, desc).Scan(&n, &got)
		if n != 1 || got != code {
			t.Errorf("answered %q (%s): %d cases, code %q", desc, code, n, got)
		}
	}
	var total, distinct int
	db.QueryRow(`SELECT count(*), count(DISTINCT text) FROM cases WHERE channel = 'open311'`).Scan(&total, &distinct)
	if total != distinct {
		t.Errorf("%d cases for %d submissions: some are there twice", total, distinct)
	}
	t.Logf("answered before the kill: %d; cases after the restart: %d (the rest were in flight, unanswered)", len(answered), total)
	if total < len(answered) {
		t.Errorf("fewer cases (%d) than answers (%d)", total, len(answered))
	}
}
