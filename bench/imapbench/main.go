// Command imapbench is the load program of bench/imap.sh: it generates a
// deterministic mailbox of realistic Chinese mail, delivers it over SMTP or
// LMTP, times IMAP operations from parallel clients against one or more
// servers, and measures the memory a server needs per IDLE connection.
//
//	imapbench gen   [-n 10000 -hits 239 -seed 1] [-out DIR]
//	imapbench load  -smtp ADDR | -lmtp ADDR  [-rcpt bench@bench.test -conns 8]
//	imapbench run   -server NAME=ADDR ... [-clients 4 -reps 5 -bodies 200]
//	imapbench idle  -addr ADDR -pid PID [-conns 10000 -tree]
//
// The corpus flags (-n, -hits, -seed) must be the same for load and run:
// run regenerates the corpus to know which messages contain the word.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = cmdGen(os.Args[2:])
	case "load":
		err = cmdLoad(os.Args[2:])
	case "run":
		err = cmdRun(os.Args[2:])
	case "idle":
		err = cmdIdle(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imapbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: imapbench gen|load|run|idle [flags]; see the package comment")
	os.Exit(2)
}

func corpusFlags(fs *flag.FlagSet) *corpusSpec {
	s := &corpusSpec{}
	fs.IntVar(&s.N, "n", 10000, "messages in the mailbox")
	fs.IntVar(&s.Hits, "hits", 239, "messages that contain the search word")
	fs.Uint64Var(&s.Seed, "seed", 1, "corpus seed")
	return s
}

// generateChecked generates the corpus and checks the generator's hit list
// against the benchmark's own decoding of every message.
func generateChecked(s corpusSpec) ([]Message, error) {
	msgs := s.Generate()
	for _, m := range msgs {
		has, err := containsWord(m.Raw)
		if err != nil {
			return nil, fmt.Errorf("message %s: decoding: %w", m.ID, err)
		}
		if has != (m.Hit != "") {
			return nil, fmt.Errorf("message %s (%s, %s, hit %q): decoded text contains %s: %v; the generator is wrong",
				m.ID, m.Charset, m.Encoding, m.Hit, Word, has)
		}
	}
	return msgs, nil
}

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	spec := corpusFlags(fs)
	out := fs.String("out", "", "write each message as DIR/NNNNNN.eml")
	fs.Parse(args)
	msgs, err := generateChecked(*spec)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		for i, m := range msgs {
			if err := os.WriteFile(filepath.Join(*out, fmt.Sprintf("%06d.eml", i+1)), m.Raw, 0o644); err != nil {
				return err
			}
		}
	}
	describeCorpus(os.Stdout, msgs)
	return nil
}

// describeCorpus prints what the corpus holds.
func describeCorpus(w *os.File, msgs []Message) {
	var bytes, attach, hits int
	byCharset := map[string][2]int{}
	byEncoding := map[string][2]int{}
	byHit := map[string]int{}
	for _, m := range msgs {
		bytes += len(m.Raw)
		if m.Attach > 0 {
			attach++
		}
		c, e := byCharset[m.Charset], byEncoding[m.Encoding]
		c[0]++
		e[0]++
		if m.Hit != "" {
			hits++
			c[1]++
			e[1]++
			byHit[m.Hit]++
		}
		byCharset[m.Charset], byEncoding[m.Encoding] = c, e
	}
	fmt.Fprintf(w, "corpus: %d messages, %.1f MiB, %d (%.0f%%) with attachments; %d contain %s\n",
		len(msgs), float64(bytes)/(1<<20), attach, 100*float64(attach)/float64(max(len(msgs), 1)), hits, Word)
	fmt.Fprintf(w, "  charsets (messages/hits): %s\n", joinCounts(byCharset))
	fmt.Fprintf(w, "  transfer encodings (messages/hits): %s\n", joinCounts(byEncoding))
	var kinds []string
	for k, n := range byHit {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "  where %s is: %s\n", Word, strings.Join(kinds, ", "))
}

func joinCounts(m map[string][2]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, m[k][0], m[k][1]))
	}
	return strings.Join(parts, ", ")
}
