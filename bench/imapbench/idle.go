package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func cmdIdle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addr := fs.String("addr", "", "IMAP server address")
	name := fs.String("name", "server", "name in the report")
	pid := fs.Int("pid", 0, "process whose memory to measure")
	tree := fs.Bool("tree", false, "measure pid and all its descendants (Dovecot's processes)")
	n := fs.Int("conns", 10000, "IDLE connections to open")
	parallel := fs.Int("parallel", 16, "connections being set up at once")
	early := fs.Duration("early", 10*time.Second, "first measurement, this long after the last connection is idle")
	settle := fs.Duration("settle", 150*time.Second, "second measurement, this long after the last connection is idle "+
		"(more than two minutes: a Go server has run a garbage collection by then even without allocating)")
	metrics := fs.String("metrics", "", "Prometheus /metrics URL of a Go server, for its heap in use")
	mailbox := fs.String("mailbox", "INBOX", "mailbox each connection selects before IDLE")
	maxRSS := fs.Int64("max-rss", 0, "stop opening connections once the server's RSS passes this many MiB (0: no limit), to spare the machine")
	useTLS := fs.Bool("tls", false, "implicit TLS (an imaps address)")
	user := fs.String("user", "bench", "login")
	pass := fs.String("pass", "bench-secret", "password")
	fs.Parse(args)
	if *addr == "" || *pid == 0 {
		return fmt.Errorf("idle: -addr and -pid are required")
	}

	before, err := memoryOf(*pid, *tree)
	if err != nil {
		return err
	}
	heapBefore := goHeapInuse(*metrics)
	conns := make([]*imapConn, *n)
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	var failures atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	stopped := ""
	for i := range conns {
		if *maxRSS > 0 && i%100 == 0 && i > 0 {
			if m, err := memoryOf(*pid, *tree); err == nil && m.rss > *maxRSS*1024 {
				stopped = fmt.Sprintf("stopped opening at %d connections: the server's RSS reached %s, above the limit of %d MiB", i, kib(m.rss), *maxRSS)
				fmt.Fprintf(os.Stderr, "[imapbench] %s: %s\n", *name, stopped)
				break
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := openIdle(*addr, *useTLS, *user, *pass, *mailbox)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			conns[i] = c
		}()
		if (i+1)%1000 == 0 {
			fmt.Fprintf(os.Stderr, "[imapbench] %s: %d IDLE connections opened (%.0f s)\n", *name, i+1, time.Since(start).Seconds())
		}
	}
	wg.Wait()
	setup := time.Since(start)
	open, tried := 0, 0
	for _, c := range conns {
		if c != nil {
			open++
		}
	}
	tried = open + int(failures.Load())
	idleSince := time.Now()
	time.Sleep(*early)
	afterEarly, err := memoryOf(*pid, *tree)
	if err != nil {
		return err
	}
	heapEarly := goHeapInuse(*metrics)
	cpu0, _ := cpuTicks(*pid, *tree)
	t0 := time.Now()
	time.Sleep(time.Until(idleSince.Add(*settle)))
	cpu1, _ := cpuTicks(*pid, *tree)
	cpuWindow := time.Since(t0)
	after, err := memoryOf(*pid, *tree)
	if err != nil {
		return err
	}
	heapAfter := goHeapInuse(*metrics)
	// The connections are still there: check that they are alive.
	alive := 0
	for _, c := range conns {
		if c == nil {
			continue
		}
		c.c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.c.Write([]byte("DONE\r\n")); err == nil {
			if line, err := c.readUntilTagged(); err == nil && bytes.Contains(line, []byte(" OK")) {
				alive++
			}
		}
		c.Close()
	}

	proto := "plain IMAP"
	if *useTLS {
		proto = "IMAP over TLS"
	}
	fmt.Printf("\nIDLE connections to %s (%s, each on %s): %d opened of %d in %.1f s", *name, proto, *mailbox, open, tried, setup.Seconds())
	if f := failures.Load(); f > 0 {
		fmt.Printf(" (%d failed, first: %v)", f, firstErr.Load())
	}
	fmt.Printf("; %d answered DONE with OK afterwards\n", alive)
	if stopped != "" {
		fmt.Printf("  %s (of %d asked for)\n", stopped, *n)
	}
	what := "VmRSS of the process"
	if *tree {
		what = fmt.Sprintf("sum over the master and its children (%d processes before, %d after)", before.procs, after.procs)
	}
	fmt.Printf("  %s:\n", what)
	row := func(label string, m memory, heap int64) {
		fmt.Printf("    %-34s RSS %10s", label, kib(m.rss))
		if open > 0 && m.rss != before.rss {
			fmt.Printf(" (%6.1f KiB/conn)", float64(m.rss-before.rss)/float64(open))
		}
		if *tree {
			fmt.Printf("   PSS %10s", kib(m.pss))
			if open > 0 && m.pss != before.pss {
				fmt.Printf(" (%6.1f KiB/conn)", float64(m.pss-before.pss)/float64(open))
			}
		}
		if heap >= 0 {
			fmt.Printf("   Go heap in use %10s", kib(heap/1024))
			if open > 0 && heap != heapBefore && heapBefore >= 0 {
				fmt.Printf(" (%6.1f KiB/conn)", float64(heap-heapBefore)/1024/float64(open))
			}
		}
		fmt.Println()
	}
	row("before:", before, heapBefore)
	row(fmt.Sprintf("%.0f s after the last IDLE:", early.Seconds()), afterEarly, heapEarly)
	row(fmt.Sprintf("%.0f s after the last IDLE:", settle.Seconds()), after, heapAfter)
	if open > 0 {
		fmt.Printf("  at the last measurement, %d connections would need %.0f MiB of RSS\n", 10000, float64(after.rss-before.rss)/float64(open)*10000/1024+float64(before.rss)/1024)
	}
	fmt.Printf("  CPU while idle: %.1f%% of one core (between the two measurements, %.0f s)\n", max(0, 100*float64(cpu1-cpu0)/100/cpuWindow.Seconds()), cpuWindow.Seconds())
	return nil
}

func openIdle(addr string, useTLS bool, user, pass, mailbox string) (*imapConn, error) {
	c, err := dialIMAP(addr, useTLS)
	if err != nil {
		return nil, err
	}
	if err := c.login(user, pass); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.do("SELECT "+quote(mailbox), func([]byte) {}); err != nil {
		c.Close()
		return nil, err
	}
	c.tag++
	if _, err := fmt.Fprintf(c.c, "b%d IDLE\r\n", c.tag); err != nil {
		c.Close()
		return nil, err
	}
	for {
		line, err := c.readResponse(false)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("IDLE: %w", err)
		}
		if bytes.HasPrefix(line, []byte("+")) {
			break
		}
		if !bytes.HasPrefix(line, []byte("*")) {
			c.Close()
			return nil, fmt.Errorf("IDLE: %q", line)
		}
	}
	c.c.SetDeadline(time.Time{})
	return c, nil
}

// readUntilTagged reads responses up to the tagged one of the last command.
func (ic *imapConn) readUntilTagged() ([]byte, error) {
	prefix := []byte("b" + strconv.Itoa(ic.tag) + " ")
	for {
		line, err := ic.readResponse(false)
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(line, prefix) {
			return line, nil
		}
	}
}

type memory struct {
	rss, pss int64 // KiB
	procs    int
}

// memoryOf reads VmRSS (and Pss) of pid, or of pid and its descendants.
func memoryOf(pid int, tree bool) (memory, error) {
	pids := []int{pid}
	if tree {
		pids = descendants(pid)
	}
	var m memory
	for _, p := range pids {
		rss, err := statusField(p, "VmRSS:")
		if err != nil {
			if p == pid {
				return m, err
			}
			continue // gone meanwhile
		}
		m.rss += rss
		if pss, err := rollupField(p, "Pss:"); err == nil {
			m.pss += pss
		}
		m.procs++
	}
	return m, nil
}

func statusField(pid int, field string) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/status", pid), field)
}

func rollupField(pid int, field string) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), field)
}

func procField(path, field string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), field) {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 {
				return strconv.ParseInt(fs[1], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, field)
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		p, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if pp, err := ppid(p); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return strings.Fields(s[i+1:]), nil
}

func ppid(pid int) (int, error) {
	f, err := statFields(pid)
	if err != nil || len(f) < 2 {
		return 0, fmt.Errorf("no ppid for %d", pid)
	}
	return strconv.Atoi(f[1])
}

// cpuTicks is utime+stime (in clock ticks, 100 a second on Linux) of pid
// or of its tree.
func cpuTicks(pid int, tree bool) (int64, error) {
	pids := []int{pid}
	if tree {
		pids = descendants(pid)
	}
	var total int64
	for _, p := range pids {
		f, err := statFields(p)
		if err != nil || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + s
	}
	return total, nil
}

// goHeapInuse reads go_memstats_heap_inuse_bytes from a /metrics URL; -1
// without one.
func goHeapInuse(url string) int64 {
	if url == "" {
		return -1
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "go_memstats_heap_inuse_bytes" {
			v, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return int64(v)
			}
		}
	}
	return -1
}

func kib(k int64) string {
	if k >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(k)/1024)
	}
	return fmt.Sprintf("%d KiB", k)
}
