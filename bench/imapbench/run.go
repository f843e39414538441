package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// operation is one timed step of a client's sequence.
type operation struct {
	name string
	run  func(c *imapConn, st *clientState) error
}

type clientState struct {
	uids   []int // every UID of INBOX, from the setup
	rnd    *rand.Rand
	search []int // the UIDs the last SEARCH returned
}

var operations = []operation{
	{"SELECT INBOX", func(c *imapConn, st *clientState) error {
		return c.do("SELECT INBOX", func([]byte) {})
	}},
	{"UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)", func(c *imapConn, st *clientState) error {
		return c.do("UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)", nil)
	}},
	{"UID SEARCH CHARSET UTF-8 TEXT " + Word, func(c *imapConn, st *clientState) error {
		st.search = st.search[:0]
		return c.do("UID SEARCH CHARSET UTF-8 TEXT "+literal(Word), func(line []byte) {
			if f := bytes.Fields(line); len(f) >= 2 && string(f[1]) == "SEARCH" {
				for _, x := range f[2:] {
					if n, err := strconv.Atoi(string(x)); err == nil {
						st.search = append(st.search, n)
					}
				}
			}
		})
	}},
	{"200 x UID FETCH n BODY.PEEK[]", func(c *imapConn, st *clientState) error {
		for i := 0; i < bodies; i++ {
			uid := st.uids[st.rnd.IntN(len(st.uids))]
			if err := c.do(fmt.Sprintf("UID FETCH %d BODY.PEEK[]", uid), nil); err != nil {
				return err
			}
		}
		return nil
	}},
	{`UID STORE 1:* +FLAGS.SILENT (\Flagged)`, func(c *imapConn, st *clientState) error {
		return c.do(`UID STORE 1:* +FLAGS.SILENT (\Flagged)`, nil)
	}},
	{`UID STORE 1:* -FLAGS.SILENT (\Flagged)`, func(c *imapConn, st *clientState) error {
		return c.do(`UID STORE 1:* -FLAGS.SILENT (\Flagged)`, nil)
	}},
}

var bodies = 200

type server struct{ name, addr string }

type serverList []server

func (l *serverList) String() string { return fmt.Sprint(*l) }
func (l *serverList) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want NAME=ADDR, got %q", v)
	}
	*l = append(*l, server{name, addr})
	return nil
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	spec := corpusFlags(fs)
	var servers serverList
	fs.Var(&servers, "server", "NAME=ADDR of an IMAP server (repeat)")
	user := fs.String("user", "bench", "login")
	pass := fs.String("pass", "bench-secret", "password")
	clients := fs.Int("clients", 4, "parallel clients")
	reps := fs.Int("reps", 5, "timed repetitions")
	warmup := fs.Int("warmup", 1, "untimed repetitions first")
	fs.IntVar(&bodies, "bodies", 200, "full bodies each client fetches")
	fs.Parse(args)
	if len(servers) == 0 {
		return fmt.Errorf("run: no -server")
	}
	msgs, err := generateChecked(*spec)
	if err != nil {
		return err
	}
	truth := map[string]Message{}
	for _, m := range msgs {
		if m.Hit != "" {
			truth[m.ID] = m
		}
	}

	// Setup: each server holds the whole corpus; map its UIDs to Message-IDs.
	uids := map[string][]int{}
	ids := map[string]map[int]string{}
	for _, s := range servers {
		u, idOf, err := inventory(s.addr, *user, *pass)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if len(u) != len(msgs) {
			return fmt.Errorf("%s: INBOX holds %d messages, the corpus %d", s.name, len(u), len(msgs))
		}
		uids[s.name], ids[s.name] = u, idOf
	}

	// Repetitions, alternating the servers so that both see the same
	// machine; each repetition runs the clients in parallel, each client
	// the whole sequence.
	times := map[string]map[string][]time.Duration{} // server → op → samples
	searchHits := map[string][]int{}
	for _, s := range servers {
		times[s.name] = map[string][]time.Duration{}
	}
	for rep := 0; rep < *warmup+*reps; rep++ {
		for _, s := range servers {
			res, hits, err := repetition(s.addr, *user, *pass, *clients, uids[s.name], rep)
			if err != nil {
				return fmt.Errorf("%s, repetition %d: %w", s.name, rep+1, err)
			}
			label := "timed"
			if rep < *warmup {
				label = "warm-up"
			} else {
				for op, d := range res {
					times[s.name][op] = append(times[s.name][op], d...)
				}
			}
			searchHits[s.name] = hits
			fmt.Fprintf(os.Stderr, "[imapbench] %s repetition %d (%s) done\n", s.name, rep+1, label)
		}
	}

	// Report.
	fmt.Printf("\nIMAP operations: %d clients in parallel, %d timed repetitions (after %d warm-up), medians in ms (min-max)\n\n", *clients, *reps, *warmup)
	fmt.Printf("%-58s", "operation")
	for _, s := range servers {
		fmt.Printf(" %22s", s.name)
	}
	if len(servers) == 2 {
		fmt.Printf(" %9s", "ratio")
	}
	fmt.Println()
	for _, op := range operations {
		fmt.Printf("%-58s", op.name)
		var meds []float64
		for _, s := range servers {
			d := times[s.name][op.name]
			med, lo, hi := stats(d)
			meds = append(meds, med)
			fmt.Printf(" %22s", fmt.Sprintf("%s (%s-%s)", ms(med), ms(lo), ms(hi)))
		}
		if len(servers) == 2 {
			fmt.Printf(" %9s", ratio(meds[0], meds[1]))
		}
		fmt.Println()
	}
	if len(servers) == 2 {
		fmt.Printf("(ratio: %s median / %s median; below 1 means %s is faster)\n", servers[0].name, servers[1].name, servers[0].name)
	}
	fmt.Printf("\nUID SEARCH CHARSET UTF-8 TEXT %s: %d messages contain it (the generator's list, checked by decoding each message)\n", Word, len(truth))
	for _, s := range servers {
		found, missed, extra := 0, map[string]int{}, 0
		var missedIDs []string
		seen := map[string]bool{}
		for _, uid := range searchHits[s.name] {
			id := ids[s.name][uid]
			seen[id] = true
			if _, ok := truth[id]; ok {
				found++
			} else {
				extra++
			}
		}
		for id, m := range truth {
			if !seen[id] {
				where := m.Hit
				if m.NameForm != "" {
					where += " in " + m.NameForm
				}
				missed[m.Charset+"/"+m.Encoding+"/"+where]++
				missedIDs = append(missedIDs, id)
			}
		}
		fmt.Printf("  %-10s %4d hits: %d of %d true hits, %d false", s.name, len(searchHits[s.name]), found, len(truth), extra)
		if len(missed) > 0 {
			var parts []string
			for k, n := range missed {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
			sort.Strings(parts)
			fmt.Printf("; missed (charset/encoding/where): %s", strings.Join(parts, ", "))
			sort.Strings(missedIDs)
			if len(missedIDs) > 5 {
				missedIDs = missedIDs[:5]
			}
			fmt.Printf("; e.g. %s", strings.Join(missedIDs, " "))
		}
		fmt.Println()
	}
	return nil
}

var (
	uidRe = regexp.MustCompile(`UID (\d+)`)
	midRe = regexp.MustCompile(`(?i)Message-ID:\s*<([^>]+)>`)
)

// inventory lists INBOX's UIDs and the Message-ID of each.
func inventory(addr, user, pass string) ([]int, map[int]string, error) {
	c, err := dialIMAP(addr, false)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	if err := c.login(user, pass); err != nil {
		return nil, nil, err
	}
	if err := c.do("SELECT INBOX", func([]byte) {}); err != nil {
		return nil, nil, err
	}
	idOf := map[int]string{}
	var uids []int
	err = c.do("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", func(line []byte) {
		u := uidRe.FindSubmatch(line)
		m := midRe.FindSubmatch(line)
		if u == nil {
			return
		}
		uid, _ := strconv.Atoi(string(u[1]))
		uids = append(uids, uid)
		if m != nil {
			idOf[uid] = string(m[1])
		}
	})
	c.do("LOGOUT", nil)
	sort.Ints(uids)
	return uids, idOf, err
}

// repetition runs the sequence in n clients at once and returns each
// operation's durations, and the UIDs the SEARCH found.
func repetition(addr, user, pass string, n int, uids []int, rep int) (map[string][]time.Duration, []int, error) {
	conns := make([]*imapConn, n)
	for i := range conns {
		c, err := dialIMAP(addr, false)
		if err != nil {
			return nil, nil, err
		}
		defer c.Close()
		if err := c.login(user, pass); err != nil {
			return nil, nil, err
		}
		conns[i] = c
	}
	var mu sync.Mutex
	res := map[string][]time.Duration{}
	var hits []int
	var firstErr error
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &clientState{uids: uids, rnd: rand.New(rand.NewPCG(uint64(rep), uint64(i)))}
			for _, op := range operations {
				start := time.Now()
				err := op.run(c, st)
				d := time.Since(start)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("client %d: %w", i+1, err)
				}
				res[op.name] = append(res[op.name], d)
				mu.Unlock()
			}
			mu.Lock()
			if hits == nil {
				hits = append([]int(nil), st.search...)
			}
			mu.Unlock()
			c.do("LOGOUT", nil)
		}()
	}
	wg.Wait()
	return res, hits, firstErr
}

func stats(d []time.Duration) (med, lo, hi float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := make([]float64, len(d))
	for i, x := range d {
		s[i] = float64(x) / float64(time.Millisecond)
	}
	sort.Float64s(s)
	med = s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, s[0], s[len(s)-1]
}

func ms(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(a/b, 'f', 3, 64)
}
