// Command oabench measures OA's 公文 engine through the staff listener of a
// running `nanhu serve`, on a data folder it fills first: 2,000 people,
// 100,000 documents and 1,000,000 tasks of history, plus live documents
// waiting for approval and one person with 300 open tasks.
//
//	oabench -nanhu ./nanhu -dir /var/tmp/oabench
//
// It prints, for the approve action through the API (oa.db is
// synchronous=FULL: every answered action is on disk):
//   - the sustained rate with -workers workers in a closed loop;
//   - the latency percentiles at a fixed 200 actions/s (open loop);
//
// and for the 待办 page (GET /oa as the person with 300 open tasks, with
// a session cookie): requests/s and percentiles at 50 concurrent users.
// It records the size of oa.db on disk.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"nanhu/oa/docflow"
	"nanhu/oa/flow"
	"nanhu/oa/org"
)

var (
	nanhuBin = flag.String("nanhu", "./nanhu", "the nanhu binary")
	dir      = flag.String("data", "/var/tmp/oabench", "the data folder to fill (emptied first; not -dir, which a dependency of searchtext defines globally)")
	people   = flag.Int("people", 2000, "people")
	docs     = flag.Int("docs", 100000, "documents of history")
	tasks    = flag.Int("tasks", 1000000, "tasks of history")
	live     = flag.Int("live", 80000, "documents waiting for an approval")
	workers  = flag.Int("workers", 32, "concurrent clients of the sustained phase")
	duration = flag.Duration("duration", 20*time.Second, "length of each phase")
	rate     = flag.Int("rate", 200, "actions/s of the fixed-rate phase")
	users    = flag.Int("users", 50, "concurrent users of the 待办 page")
	port     = flag.Int("port", 23080, "HTTP port of the server")
)

const benchFlow = `{"key":"基准","name":"基准审批","kind":"签报","nodes":[
 {"id":"draft","type":"start","name":"起草"},
 {"id":"review","type":"task","name":"审核","opinion":"审核意见","assignees":[{"kind":"previous","ref":"draft"}],"actions":["return","transfer"],"return_to":["draft"]},
 {"id":"end","type":"end","name":"已办结"}],
 "edges":[{"from":"draft","to":"review"},{"from":"review","to":"end"}]}`

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	os.RemoveAll(*dir)
	tokens, liveTasks := prepare()
	size := fileSize(filepath.Join(*dir, docflow.FileName))
	log.Printf("data folder ready: oa.db %.1f MB", float64(size)/(1<<20))

	cmd := exec.Command(*nanhuBin, "serve", "--data", *dir, "--http", fmt.Sprintf("127.0.0.1:%d", *port), "--https", "",
		"--smtp", "", "--submission", "", "--submissions", "", "--imap", "", "--imaps", "", "--portal", "", "--portal-tls", "",
		"--nsqd-tcp", "127.0.0.1:23150", "--nsqd-http", "127.0.0.1:23151", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", *port)
	for i := 0; ; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if i > 300 {
			log.Fatal("nanhu did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	next := make(chan liveTask, len(liveTasks))
	for _, t := range liveTasks {
		next <- t
	}
	approve := func(t liveTask) (time.Duration, error) {
		body := `{"action":"approve","opinion":"同意。"}`
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/oa/tasks/%d/actions", base, t.id), bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+tokens[t.login])
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("%s: %s", resp.Status, b)
		}
		return time.Since(start), nil
	}

	// closedLoop approves with -workers clients, each sending the next
	// as soon as the last is answered, for d.
	var mu sync.Mutex
	closedLoop := func(d time.Duration) (n, fails int64, lat []time.Duration) {
		var nn, ff atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var wg sync.WaitGroup
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					t, ok := <-next
					if !ok {
						return
					}
					d, err := approve(t)
					if err != nil {
						if ff.Add(1) < 5 {
							log.Print(err)
						}
						continue
					}
					nn.Add(1)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return nn.Load(), ff.Load(), lat
	}

	// 0. A warm-up of 3 s, not counted: the server's caches and the
	// file's pages in memory, as on a server that has been running.
	closedLoop(3 * time.Second)

	// 1. Sustained: closed loop.
	start := time.Now()
	n, failed, lat := closedLoop(*duration)
	el := time.Since(start)
	fmt.Printf("approve, sustained (%d workers, %s): %d actions, %.0f actions/s, p50 %s, p99 %s, %d failed\n",
		*workers, el.Round(time.Second), n, float64(n)/el.Seconds(), pct(lat, 50), pct(lat, 99), failed)

	// 1b. Sustained again, the load from wrk (one thread, 32
	// connections), which takes far less of the two cores than this
	// program's client does; every answer must be a 200.
	if wrkPath, err := exec.LookPath("wrk"); err == nil {
		wrkApprove(wrkPath, base, tokens, next)
	} else {
		fmt.Println("approve, sustained through wrk: skipped (no wrk on PATH)")
	}

	// 2. Fixed rate, open loop.
	lat = nil
	var fails atomic.Int64
	var wg sync.WaitGroup
	total := int(duration.Seconds()) * *rate
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	for i := 0; i < total; i++ {
		<-tick.C
		var t liveTask
		select {
		case t = <-next:
		default:
			log.Fatal("out of live tasks: raise -live")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := approve(t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails.Add(1)
				return
			}
			lat = append(lat, d)
		}()
	}
	tick.Stop()
	wg.Wait()
	fmt.Printf("approve at %d actions/s (%d actions): p50 %s, p90 %s, p99 %s, max %s, %d failed\n",
		*rate, total, pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100), fails.Load())

	// 3. The 待办 page of the person with 300 open tasks: alone, then
	// while approvals go on at -rate a second (each commit makes the
	// server read the page again).
	jar, _ := cookiejar.New(nil)
	page := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	signIn(page, base, "u0001")
	pagePhase := func(label string, approvals bool) {
		var lat []time.Duration
		var fails, pages, acted atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), *duration)
		defer cancel()
		var wg sync.WaitGroup
		if approvals {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(time.Second / time.Duration(*rate))
				defer tick.Stop()
				for ctx.Err() == nil {
					<-tick.C
					select {
					case t := <-next:
						wg.Add(1)
						go func() {
							defer wg.Done()
							if _, err := approve(t); err == nil {
								acted.Add(1)
							}
						}()
					default:
						log.Fatal("out of live tasks: raise -live")
					}
				}
			}()
		}
		start := time.Now()
		for range *users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					t0 := time.Now()
					resp, err := page.Get(base + "/oa")
					if err != nil {
						fails.Add(1)
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !bytes.Contains(b, []byte("待办（300）")) {
						if fails.Add(1) < 3 {
							log.Printf("待办 page: %s %.200s", resp.Status, b)
						}
						continue
					}
					d := time.Since(t0)
					pages.Add(1)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		extra := ""
		if approvals {
			extra = fmt.Sprintf(", %d approvals done meanwhile (%.0f/s)", acted.Load(), float64(acted.Load())/el.Seconds())
		}
		fmt.Printf("待办 page, 300 open tasks, %d users%s (%s): %.0f pages/s, p50 %s, p99 %s, %d failed%s\n",
			*users, label, el.Round(time.Second), float64(pages.Load())/el.Seconds(), pct(lat, 50), pct(lat, 99), fails.Load(), extra)
	}
	pagePhase("", false)
	if wrkPath, err := exec.LookPath("wrk"); err == nil {
		u, _ := url.Parse(base)
		var cookie []string
		for _, c := range jar.Cookies(u) {
			cookie = append(cookie, c.Name+"="+c.Value)
		}
		out, err := exec.Command(wrkPath, "-t1", "-c", fmt.Sprint(*users), "-d", duration.String(), "--latency",
			"-H", "Cookie: "+strings.Join(cookie, "; "), base+"/oa").CombinedOutput()
		if err != nil {
			log.Fatalf("wrk: %v\n%s", err, out)
		}
		field := func(re string) string { return wrkField(string(out), re, "0") }
		fmt.Printf("待办 page through wrk, %d connections (%s): %s pages/s, p50 %s, p99 %s, %s failed\n", *users, duration,
			field(`Requests/sec:\s+([\d.]+)`), field(`(?m)^\s+50%\s+(\S+)`), field(`(?m)^\s+99%\s+(\S+)`), field(`Non-2xx or 3xx responses: (\d+)`))
	}
	pagePhase(fmt.Sprintf(" with approvals at %d/s", *rate), true)
	fmt.Printf("oa.db on disk: %.1f MB before the run, %.1f MB after (%d documents, %d tasks of history, %d people)\n",
		float64(size)/(1<<20), float64(fileSize(filepath.Join(*dir, docflow.FileName))+fileSize(filepath.Join(*dir, docflow.FileName+"-wal")))/(1<<20),
		*docs, *tasks, *people)
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return s[i].Round(100 * time.Microsecond)
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func signIn(c *http.Client, base, login string) {
	resp, err := c.Get(base + "/login")
	if err != nil {
		log.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(b)
	if m == nil {
		log.Fatal("no form token on the sign-in page")
	}
	resp, err = c.PostForm(base+"/login", url.Values{"csrf_token": {string(m[1])}, "username": {login}, "password": {org.DemoPassword}})
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/login" {
		log.Fatalf("sign-in as %s failed", login)
	}
}

type liveTask struct {
	id    int64
	login string
}

// prepare fills the data folder: the demo organisation and -people bench
// people (password nanhu2004), API tokens, the bench flow, the history
// and the live tasks, written straight into the tables in the shape the
// engine writes them.
func prepare() (map[string]string, []liveTask) {
	ctx := context.Background()
	d, err := org.Open(ctx, org.DefaultOptions(*dir))
	check(err)
	check(d.SetDomains(ctx, []string{"nanhu.local"}))
	check(d.SeedDemo(ctx))
	odb, err := sql.Open("sqlite3", filepath.Join(*dir, "org.db")+"?_txlock=immediate&_busy_timeout=10000")
	check(err)
	var hash string
	check(odb.QueryRow(`SELECT password_hash FROM users WHERE login = 'zhangwei'`).Scan(&hash))
	tx, err := odb.Begin()
	check(err)
	depts := []string{"czj", "fgj", "jyj", "wsj", "gaj", "cgj", "nyj", "hbj", "xfj", "msk"}
	logins := make([]string, *people)
	for i := range logins {
		l := fmt.Sprintf("u%04d", i+1)
		logins[i] = l
		_, err := tx.Exec(`INSERT INTO users (login, name, password_hash, quota_bytes, created) VALUES (?, ?, ?, 1073741824, ?)`,
			l, fmt.Sprintf("测试%04d", i+1), hash, time.Now().UTC().Format(time.RFC3339))
		check(err)
		_, err = tx.Exec(`INSERT INTO memberships (login, dept, title) VALUES (?, ?, '科员')`, l, depts[i%len(depts)])
		check(err)
		_, err = tx.Exec(`INSERT INTO user_roles (login, role) VALUES (?, 'staff')`, l)
		check(err)
	}
	check(tx.Commit())
	odb.Close()
	tokens := map[string]string{}
	const tokenUsers = 64
	for _, l := range logins[:tokenUsers] {
		tok, _, err := d.CreateToken(ctx, l, "基准测试")
		check(err)
		tokens[l] = tok
	}
	o := docflow.DefaultOptions(*dir)
	o.Org = d
	s, err := docflow.Open(ctx, o)
	check(err)
	def, err := flow.Parse([]byte(benchFlow))
	check(err)
	ver, err := s.Publish(ctx, def, "oabench")
	check(err)
	s.Close()
	d.Close()

	db, err := sql.Open("sqlite3", filepath.Join(*dir, docflow.FileName)+"?_txlock=immediate&_journal_mode=WAL&_synchronous=OFF")
	check(err)
	db.SetMaxOpenConns(1)
	tx, err = db.Begin()
	check(err)
	insDoc, _ := tx.Prepare(`INSERT INTO documents (id, kind, type, title, organ, starter, starter_dept, state, urgency, secrecy, number, year, created, updated, data)
		VALUES (?, '签报', '请示', ?, 'qzf', ?, ?, ?, ?, '', ?, 2026, ?, ?, ?)`)
	insFTS, _ := tx.Prepare(`INSERT INTO documents_fts (docid, tokens) VALUES (?, ?)`)
	insInst, _ := tx.Prepare(`INSERT INTO instances (id, doc, flow, flow_version, status, started, ended) VALUES (?, ?, '基准', ?, ?, ?, ?)`)
	insTok, _ := tx.Prepare(`INSERT INTO tokens (instance, node, state) VALUES (?, ?, ?)`)
	insTask, _ := tx.Prepare(`INSERT INTO tasks (instance, doc, token, node, kind, assignee, state, created, done, done_by, action, sender, origin, urg)
		VALUES (?, ?, ?, ?, 'task', ?, ?, ?, ?, ?, ?, ?, 0, ?)`)
	insAcc, _ := tx.Prepare(`INSERT OR IGNORE INTO access (doc, login) VALUES (?, ?)`)
	now := time.Now().UTC()
	urg := []string{"", "", "", "加急", "特急"}
	rank := func(id int) int { return [...]int{2, 2, 2, 1, 0}[id%len(urg)] } // the engine's urg of a task of document id
	perDoc := *tasks / *docs
	addDoc := func(id int, starter string, running bool) int64 {
		title := fmt.Sprintf("关于第%d项工作的请示", id)
		at := now.Add(-time.Duration(*docs-id) * time.Minute).Format(time.RFC3339Nano)
		state, status, ended := "已办结", "completed", at
		if running {
			state, status, ended = "审核", "running", ""
		}
		doc := docflow.Document{ID: int64(id), Kind: "签报", Flow: "基准", Type: "请示", Direction: "上行", Title: title, Organ: "qzf",
			Starter: starter, StarterDept: "msk", State: state, Urgency: urg[id%len(urg)], Retention: "30年"}
		js, _ := json.Marshal(doc)
		_, err := insDoc.Exec(id, title, starter, "msk", state, doc.Urgency, "", at, at, string(js))
		check(err)
		_, err = insFTS.Exec(id, "关于 于第 第"+fmt.Sprint(id)+" 工作 作的 的请 请示")
		check(err)
		_, err = insInst.Exec(id, id, ver, status, at, ended)
		check(err)
		_, err = insAcc.Exec(id, starter)
		check(err)
		return int64(id)
	}
	for i := 1; i <= *docs; i++ {
		starter := logins[i%len(logins)]
		addDoc(i, starter, false)
		res, err := insTok.Exec(i, "end", "done")
		check(err)
		tok, _ := res.LastInsertId()
		at := now.Add(-time.Duration(*docs-i) * time.Minute).Format(time.RFC3339Nano)
		for k := range perDoc {
			who := logins[(i*7+k)%len(logins)]
			_, err := insTask.Exec(i, i, tok, "review", who, "done", at, at, who, "approve", starter, rank(i))
			check(err)
			_, err = insAcc.Exec(i, who)
			check(err)
		}
		if i%20000 == 0 {
			log.Printf("history: %d documents", i)
		}
	}
	var out []liveTask
	addLive := func(id int, who string) {
		addDoc(id, who, true)
		res, err := insTok.Exec(id, "review", "active")
		check(err)
		tok, _ := res.LastInsertId()
		at := now.Format(time.RFC3339Nano)
		_, err = insTask.Exec(id, id, tok, "draft", who, "done", at, at, who, "approve", who, rank(id))
		check(err)
		res, err = insTask.Exec(id, id, tok+0, "review", who, "open", at, "", "", "", who, rank(id))
		check(err)
		tid, _ := res.LastInsertId()
		out = append(out, liveTask{tid, who})
	}
	id := *docs
	for i := range *live {
		id++
		addLive(id, logins[1+i%(tokenUsers-1)]) // not u0001: the page phase's person
	}
	// u0001's 300 open tasks are among the live ones (every 64th); add the
	// rest so that the 待办 page lists exactly 300.
	mine := 0
	for _, t := range out {
		if t.login == "u0001" {
			mine++
		}
	}
	for ; mine < 300; mine++ {
		id++
		addLive(id, "u0001")
	}
	check(tx.Commit())
	db.Close()
	// u0001's open tasks must stay at 300 during the page phase: take
	// them out of the approval phases.
	var rest []liveTask
	for _, t := range out {
		if t.login != "u0001" {
			rest = append(rest, t)
		}
	}
	if mine > 300 {
		log.Fatalf("u0001 has %d live tasks; lower -live", mine)
	}
	return tokens, rest
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// wrkLua approves one task a request, in the order of the file its
// argument names (a task id and its assignee's token a line).
const wrkLua = `
local tasks, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local id, tok = line:match("(%d+) (%S+)")
    tasks[#tasks + 1] = {id, tok}
  end
end
function request()
  i = i + 1
  local t = tasks[math.min(i, #tasks)]
  return wrk.format("POST", "/api/v1/oa/tasks/" .. t[1] .. "/actions",
    {["Authorization"] = "Bearer " .. t[2], ["Content-Type"] = "application/json"},
    '{"action":"approve","opinion":"同意。"}')
end
`

// wrkApprove runs the sustained approvals through wrk, on tasks taken
// from next (leaving enough for the phases after it).
func wrkApprove(wrkPath, base string, tokens map[string]string, next chan liveTask) {
	dir, err := os.MkdirTemp("", "oabench-wrk")
	check(err)
	defer os.RemoveAll(dir)
	var list strings.Builder
	n := len(next) - 3**rate*int(duration.Seconds()) - 1000
	for range max(n, 0) {
		t := <-next
		fmt.Fprintf(&list, "%d %s\n", t.id, tokens[t.login])
	}
	check(os.WriteFile(filepath.Join(dir, "tasks"), []byte(list.String()), 0o600))
	check(os.WriteFile(filepath.Join(dir, "approve.lua"), []byte(wrkLua), 0o600))
	out, err := exec.Command(wrkPath, "-t1", "-c", fmt.Sprint(*workers), "-d", duration.String(), "--latency",
		"-s", filepath.Join(dir, "approve.lua"), base, "--", filepath.Join(dir, "tasks")).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk: %v\n%s", err, out)
	}
	text := string(out)
	field := func(re string) string { return wrkField(text, re, "?") }
	done, _ := strconv.Atoi(field(`(\d+) requests in`))
	if done > max(n, 0) {
		log.Fatalf("wrk sent %d approvals for %d tasks: raise -live", done, n)
	}
	bad := field(`Non-2xx or 3xx responses: (\d+)`)
	if bad == "?" {
		bad = "0"
	}
	fmt.Printf("approve, sustained through wrk (%d connections, %s): %d actions, %s actions/s, p50 %s, p99 %s, %s failed\n",
		*workers, duration, done, field(`Requests/sec:\s+([\d.]+)`), field(`(?m)^\s+50%\s+(\S+)`), field(`(?m)^\s+99%\s+(\S+)`), bad)
}

// wrkField is the first group of re in wrk's output, or none.
func wrkField(out, re, none string) string {
	if m := regexp.MustCompile(re).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return none
}
