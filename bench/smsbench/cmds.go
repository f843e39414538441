package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 2000, "messages")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "msgs.jsonl", "output file (JSON lines)")
	fs.Parse(args)
	msgs := generate(*n, *seed)
	if err := writeMsgs(*out, msgs); err != nil {
		return err
	}
	byParts := map[int]int{}
	parts, chars := 0, 0
	for _, m := range msgs {
		byParts[m.Parts]++
		parts += m.Parts
		chars += len([]rune(m.Text))
	}
	fmt.Printf("%d messages, %d parts (1 part: %d, 2 parts: %d, 3 parts: %d), %.1f characters on average\n",
		len(msgs), parts, byParts[1], byParts[2], byParts[3], float64(chars)/float64(len(msgs)))
	return nil
}

// cmdStage writes one smsd spool file per message into dir: UCS2 as
// UTF-16BE, the recipient without "+" (smsd's international form).
func cmdStage(args []string) error {
	fs := flag.NewFlagSet("stage", flag.ExitOnError)
	in := fs.String("in", "msgs.jsonl", "messages")
	dir := fs.String("dir", "", "directory for the spool files")
	fs.Parse(args)
	msgs, err := readMsgs(*in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	for _, m := range msgs {
		var b bytes.Buffer
		fmt.Fprintf(&b, "To: %s\nAlphabet: UCS\n\n", strings.TrimPrefix(m.To, "+"))
		for _, u := range utf16.Encode([]rune(m.Text)) {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		}
		if err := os.WriteFile(filepath.Join(*dir, m.Key), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------- the API

type submitResult struct {
	Codes   map[int]int `json:"codes"`
	Errors  int         `json:"errors"`
	First   string      `json:"first_error,omitempty"`
	Seconds float64     `json:"seconds"`
}

func submitAll(msgs []Msg, url, user, pass string, conns int) submitResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	res := submitResult{Codes: map[int]int{}}
	var mu sync.Mutex
	next := make(chan Msg)
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				body, _ := json.Marshal(map[string]string{"to": m.To, "text": m.Text, "idempotency_key": m.Key})
				req, _ := http.NewRequest("POST", url+"/api/v1/sms", bytes.NewReader(body))
				req.SetBasicAuth(user, pass)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				var msg string
				code := 0
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
					if code != 200 && code != 202 {
						msg = fmt.Sprintf("%s: %s %s", m.Key, resp.Status, bytes.TrimSpace(b))
					}
				} else {
					msg = fmt.Sprintf("%s: %v", m.Key, err)
				}
				mu.Lock()
				if code != 0 {
					res.Codes[code]++
				}
				if msg != "" {
					res.Errors++
					if res.First == "" {
						res.First = msg
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, m := range msgs {
		next <- m
	}
	close(next)
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	return res
}

func cmdSubmit(args []string) error {
	fs := flag.NewFlagSet("submit", flag.ExitOnError)
	in := fs.String("in", "msgs.jsonl", "messages")
	url := fs.String("url", "", "Nanhu's HTTP base URL")
	user := fs.String("user", "", "login")
	pass := fs.String("pass", "", "password")
	conns := fs.Int("conns", 16, "parallel connections")
	fs.Parse(args)
	msgs, err := readMsgs(*in)
	if err != nil {
		return err
	}
	r := submitAll(msgs, *url, *user, *pass, *conns)
	return json.NewEncoder(os.Stdout).Encode(r)
}

// ---------------------------------------------------------------- the simulators

var httpc = &http.Client{Timeout: 30 * time.Second}

func getJSON(url string, v any) error {
	resp, err := httpc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// carriedRecords sums what /status calls carried: messages whose first
// part the network accepted (cheap to ask, unlike /messages).
func carriedRecords(sims []string) (int, error) {
	total := 0
	for _, s := range sims {
		var st struct {
			Carried int `json:"carried"`
		}
		if err := getJSON(s+"/status", &st); err != nil {
			return 0, err
		}
		total += st.Carried
	}
	return total, nil
}

type carried struct {
	To       string    `json:"to"`
	Text     string    `json:"text"`
	Parts    int       `json:"parts"`
	Total    int       `json:"total"`
	Complete bool      `json:"complete"`
	At       time.Time `json:"at"`
	sim      int
}

func allMessages(sims []string) ([]carried, error) {
	var out []carried
	for i, s := range sims {
		var ms []carried
		if err := getJSON(s+"/messages", &ms); err != nil {
			return nil, err
		}
		for _, m := range ms {
			m.sim = i
			out = append(out, m)
		}
	}
	return out, nil
}

func sumParts(ms []carried) int {
	n := 0
	for _, m := range ms {
		n += m.Parts
	}
	return n
}

// ---------------------------------------------------------------- CPU

const clkTck = 100 // USER_HZ on Linux

// procTimes is utime+stime (and cutime+cstime when children is set) of
// one process, in seconds, and its process group.
func procTimes(pid int, children bool) (cpu float64, pgrp int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, cutime 16, cstime 17.
	num := func(field int) int64 { v, _ := strconv.ParseInt(f[field-3], 10, 64); return v }
	ticks := num(14) + num(15)
	if children {
		ticks += num(16) + num(17)
	}
	return float64(ticks) / clkTck, int(num(5)), nil
}

// cpuOf is the CPU seconds of pid, or of every process in group pgid plus
// the children its leader has reaped.
func cpuOf(pid, pgid int) (float64, error) {
	if pid > 0 {
		c, _, err := procTimes(pid, false)
		return c, err
	}
	if pgid <= 0 {
		return 0, nil
	}
	total, _, err := procTimes(pgid, true)
	if err != nil {
		return 0, err
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pgid {
			continue
		}
		c, g, err := procTimes(p, false)
		if err == nil && g == pgid {
			total += c
		}
	}
	return total, nil
}

// ---------------------------------------------------------------- drive

type driveResult struct {
	Messages    int           `json:"messages"`
	PartsWant   int           `json:"parts_expected"`
	PartsGot    int           `json:"parts_carried"`
	Records     int           `json:"records"`
	Complete    bool          `json:"complete"`
	Seconds     float64       `json:"seconds"`
	HandSeconds float64       `json:"handover_seconds"` // API submission or spool renames
	Submit      *submitResult `json:"submit,omitempty"`
	PartsPerS   float64       `json:"parts_per_s"`
	Capacity    float64       `json:"capacity_parts_per_s"`
	Fraction    float64       `json:"fraction"`
	SteadyFrac  float64       `json:"steady_fraction"` // between 10% and 90% of the messages
	// After the handover: the backlog is all in, the pool drains it.
	HandParts    int     `json:"parts_at_handover"`
	DrainS       float64 `json:"drain_seconds"`
	DrainFrac    float64 `json:"drain_fraction"`
	FirstPartS   float64 `json:"first_part_s"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	CPUmsPerSMS  float64 `json:"cpu_ms_per_sms"`
	StoppedAt    int     `json:"stopped_at_records,omitempty"`
	StoppedAfter float64 `json:"stopped_after_s,omitempty"`
}

func cmdDrive(args []string) error {
	fs := flag.NewFlagSet("drive", flag.ExitOnError)
	in := fs.String("in", "msgs.jsonl", "messages")
	simsFlag := fs.String("sims", "", "control API base URLs of the simulated modems, comma-separated")
	url := fs.String("url", "", "Nanhu's HTTP base URL (API mode)")
	user := fs.String("user", "", "login (API mode)")
	pass := fs.String("pass", "", "password (API mode)")
	conns := fs.Int("conns", 16, "parallel API connections")
	stage := fs.String("stage", "", "directory of staged smsd files (spool mode)")
	outgoing := fs.String("outgoing", "", "smsd's outgoing directory (spool mode)")
	cpuPid := fs.Int("cpu-pid", 0, "count the CPU time of this process")
	cpuPgid := fs.Int("cpu-pgid", 0, "count the CPU time of this process group")
	latency := fs.Duration("latency", 200*time.Millisecond, "the simulators' +CMGS latency")
	stopRecords := fs.Int("stop-records", 0, "return as soon as this many messages have their first part carried")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up after this long")
	out := fs.String("out", "", "write the result as JSON here")
	fs.Parse(args)
	msgs, err := readMsgs(*in)
	if err != nil {
		return err
	}
	sims := strings.Split(*simsFlag, ",")
	res := driveResult{Messages: len(msgs), Capacity: float64(len(sims)) / latency.Seconds()}
	for _, m := range msgs {
		res.PartsWant += m.Parts
	}
	if n, err := carriedRecords(sims); err != nil || n != 0 {
		return fmt.Errorf("the simulators must start empty: %d carried, %v", n, err)
	}

	cpu0, err := cpuOf(*cpuPid, *cpuPgid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	handed := make(chan error, 1)
	if *url != "" {
		go func() {
			r := submitAll(msgs, *url, *user, *pass, *conns)
			res.Submit = &r
			res.HandSeconds = r.Seconds
			if r.Errors > 0 {
				handed <- fmt.Errorf("%d submissions failed, first: %s", r.Errors, r.First)
				return
			}
			handed <- nil
		}()
	} else {
		go func() {
			for _, m := range msgs {
				if err := os.Rename(filepath.Join(*stage, m.Key), filepath.Join(*outgoing, m.Key)); err != nil {
					handed <- err
					return
				}
			}
			res.HandSeconds = time.Since(t0).Seconds()
			handed <- nil
		}()
	}

	// Watch: /status every 100 ms until every message has its first part
	// carried, then /messages every 50 ms until every part is.
	var t10, t90 time.Time
	handDone := false
	deadline := t0.Add(*timeout)
	var t1, tAll, tHand time.Time
	for {
		if !handDone {
			select {
			case err := <-handed:
				if err != nil {
					return err
				}
				handDone = true
				tHand = time.Now()
				if *stopRecords == 0 {
					ms, err := allMessages(sims)
					if err != nil {
						return err
					}
					res.HandParts = sumParts(ms)
				}
			default:
			}
		}
		now := time.Now()
		if now.After(deadline) {
			break
		}
		n, err := carriedRecords(sims)
		if err != nil {
			return err
		}
		if n > 0 && res.FirstPartS == 0 {
			res.FirstPartS = now.Sub(t0).Seconds()
		}
		if t10.IsZero() && n*10 >= len(msgs) {
			t10 = now
		}
		if t90.IsZero() && n*10 >= 9*len(msgs) {
			t90 = now
		}
		if *stopRecords > 0 && n >= *stopRecords {
			res.StoppedAt, res.StoppedAfter = n, now.Sub(t0).Seconds()
			if !handDone {
				if err := <-handed; err != nil {
					return err
				}
			}
			return writeResult(*out, res)
		}
		if n >= len(msgs) {
			ms, err := allMessages(sims)
			if err != nil {
				return err
			}
			if sumParts(ms) >= res.PartsWant {
				t1 = time.Now()
				break
			}
			// The last parts of the last messages: look often for a
			// while, then (something is stuck) rarely.
			if tAll.IsZero() {
				tAll = now
			}
			if now.Sub(tAll) < 3*time.Second {
				time.Sleep(50 * time.Millisecond)
			} else {
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		time.Sleep(100 * time.Millisecond)
	}
	if t1.IsZero() {
		t1 = time.Now()
	}
	cpu1, err := cpuOf(*cpuPid, *cpuPgid)
	if err != nil {
		return err
	}
	if !handDone {
		if err := <-handed; err != nil {
			return err
		}
		tHand = t1
	}
	ms, err := allMessages(sims)
	if err != nil {
		return err
	}
	res.Records = len(ms)
	res.PartsGot = sumParts(ms)
	res.Complete = res.PartsGot >= res.PartsWant
	res.Seconds = t1.Sub(t0).Seconds()
	res.PartsPerS = float64(res.PartsGot) / res.Seconds
	res.Fraction = res.PartsPerS / res.Capacity
	if !t10.IsZero() && !t90.IsZero() && t90.After(t10) {
		steady := 0.8 * float64(res.PartsWant) / t90.Sub(t10).Seconds()
		res.SteadyFrac = steady / res.Capacity
	}
	if t1.After(tHand) && res.Complete {
		res.DrainS = t1.Sub(tHand).Seconds()
		res.DrainFrac = float64(res.PartsWant-res.HandParts) / res.DrainS / res.Capacity
	}
	res.CPUSeconds = cpu1 - cpu0
	res.CPUmsPerSMS = 1000 * res.CPUSeconds / float64(len(msgs))
	return writeResult(*out, res)
}

func writeResult(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	_, err = os.Stdout.Write(b)
	return err
}

// ---------------------------------------------------------------- wait and check

// cmdWait returns once every message was carried whole at least once.
func cmdWait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	in := fs.String("in", "msgs.jsonl", "messages")
	simsFlag := fs.String("sims", "", "control API base URLs, comma-separated")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up after this long")
	fs.Parse(args)
	msgs, err := readMsgs(*in)
	if err != nil {
		return err
	}
	sims := strings.Split(*simsFlag, ",")
	deadline := time.Now().Add(*timeout)
	for {
		n, err := carriedRecords(sims)
		if err != nil {
			return err
		}
		if n >= len(msgs) {
			ms, err := allMessages(sims)
			if err != nil {
				return err
			}
			if c := tally(msgs, ms); c.Lost == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("timed out: not every message was carried")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type checkResult struct {
	Messages int `json:"messages"`
	// Lost: no whole copy of the text reached its recipient.
	Lost     int      `json:"lost"`
	LostKeys []string `json:"lost_keys,omitempty"`
	// Twice: messages the network carried more than once (a whole second
	// copy, or some of its parts again); Extra the extra records.
	Twice     int      `json:"twice"`
	TwiceKeys []string `json:"twice_keys,omitempty"`
	Extra     int      `json:"extra_records"`
	// ExtraParts: parts carried beyond one whole copy of each message.
	ExtraParts int `json:"extra_parts"`
	// FirstModem counts, per modem, the duplicated messages whose first
	// copy went through it (where it was in flight at the crash).
	FirstModem  map[int]int `json:"twice_by_first_modem"`
	MaxPerModem int         `json:"max_twice_per_modem"`
	// Wrong: records to a bench recipient whose whole text matches no message.
	Wrong   int `json:"wrong"`
	Unknown int `json:"unknown_recipient"`
	// Rule: nothing lost, nothing wrong, at most one duplicated message per modem.
	Rule bool `json:"within_the_rule"`
}

func tally(msgs []Msg, ms []carried) checkResult {
	byTo := map[string][]carried{}
	for _, c := range ms {
		byTo[c.To] = append(byTo[c.To], c)
	}
	want := map[string]Msg{}
	for _, m := range msgs {
		want[m.To] = m
	}
	r := checkResult{Messages: len(msgs), FirstModem: map[int]int{}}
	for to, cs := range byTo {
		if _, ok := want[to]; !ok {
			r.Unknown += len(cs)
		}
	}
	for _, m := range msgs {
		cs := byTo[m.To]
		sort.Slice(cs, func(i, j int) bool { return cs[i].At.Before(cs[j].At) })
		whole, parts := 0, 0
		for _, c := range cs {
			parts += c.Parts
			if c.Complete {
				if c.Text == m.Text {
					whole++
				} else {
					r.Wrong++
				}
			}
		}
		if whole == 0 {
			r.Lost++
			r.LostKeys = append(r.LostKeys, m.Key)
		}
		if len(cs) > 1 {
			r.Twice++
			r.TwiceKeys = append(r.TwiceKeys, m.Key)
			r.Extra += len(cs) - 1
			r.FirstModem[cs[0].sim+1]++
		}
		if parts > m.Parts {
			r.ExtraParts += parts - m.Parts
		}
	}
	for _, n := range r.FirstModem {
		r.MaxPerModem = max(r.MaxPerModem, n)
	}
	sort.Strings(r.TwiceKeys)
	r.Rule = r.Lost == 0 && r.Wrong == 0 && r.Unknown == 0 && r.MaxPerModem <= 1
	return r
}

func cmdCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	in := fs.String("in", "msgs.jsonl", "messages")
	simsFlag := fs.String("sims", "", "control API base URLs, comma-separated")
	out := fs.String("out", "", "write the result as JSON here")
	fs.Parse(args)
	msgs, err := readMsgs(*in)
	if err != nil {
		return err
	}
	ms, err := allMessages(strings.Split(*simsFlag, ","))
	if err != nil {
		return err
	}
	return writeResult(*out, tally(msgs, ms))
}

func cmdPorts(args []string) error {
	n := 1
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		n = v
	}
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	return nil
}

// cmdAuthCost times n authenticated GETs of a cheap API page and prints the
// CPU the server spent on each: what HTTP Basic costs a request.
func cmdAuthCost(args []string) error {
	fs := flag.NewFlagSet("authcost", flag.ExitOnError)
	url := fs.String("url", "", "Nanhu's HTTP base URL")
	user := fs.String("user", "", "login")
	pass := fs.String("pass", "", "password")
	n := fs.Int("n", 200, "requests")
	pid := fs.Int("cpu-pid", 0, "the server's process")
	fs.Parse(args)
	c0, err := cpuOf(*pid, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	for range *n {
		req, _ := http.NewRequest("GET", *url+"/api/v1/modems", nil)
		req.SetBasicAuth(*user, *pass)
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET /api/v1/modems: %s", resp.Status)
		}
	}
	d := time.Since(start)
	c1, err := cpuOf(*pid, 0)
	if err != nil {
		return err
	}
	return writeResult("", map[string]float64{"requests": float64(*n), "seconds": d.Seconds(), "cpu_ms_per_request": 1000 * (c1 - c0) / float64(*n)})
}
