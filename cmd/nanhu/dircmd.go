package main

// The directory's admin commands (user, dept, alias, list, shared, token)
// open DATA/org.db directly, so they work whether or not `nanhu serve` is
// running on the same folder; SQLite's locking keeps the two apart. This
// file is what they share: the verb dispatcher, flags between arguments,
// and the table writer.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"nanhu/oa/org"
)

// dirIO is where a directory command reads and writes; tests replace it.
type dirIO struct {
	in       io.Reader
	out, err io.Writer
	data     string // the data folder, set by runDirCommand
}

func stdio() dirIO { return dirIO{in: os.Stdin, out: os.Stdout, err: os.Stderr} }

// dirVerb is one subcommand such as `user add`.
type dirVerb struct {
	usage string // arguments and flags, after "nanhu user add"
	npos  int    // number of positional arguments
	// flags defines the verb's own flags on fs; it returns the function
	// that runs the verb once they are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, d *org.Directory, pos []string, io dirIO) error
}

// runDirCommand dispatches `nanhu NAME VERB ARGS...`.
func runDirCommand(name string, verbs map[string]dirVerb, args []string, sio dirIO) error {
	names := make([]string, 0, len(verbs))
	for v := range verbs {
		names = append(names, v)
	}
	slices.Sort(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(sio.err, "usage:\n")
		for _, v := range names {
			fmt.Fprintln(sio.err, strings.TrimRight(fmt.Sprintf("  nanhu %s %s %s", name, v, verbs[v].usage), " "))
		}
		if len(args) == 0 {
			return fmt.Errorf("a subcommand is needed: one of %s", strings.Join(names, ", "))
		}
		return flag.ErrHelp
	}
	verb, ok := verbs[args[0]]
	if !ok {
		return fmt.Errorf("unknown subcommand %q; use one of %s", args[0], strings.Join(names, ", "))
	}
	fs := flag.NewFlagSet(name+" "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	df := addDataFlags(fs, "of the server")
	run := verb.flags(fs)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(sio.err, "usage: nanhu %s %s %s\n\nflags:\n", name, args[0], verb.usage)
		fs.SetOutput(sio.err)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	if len(pos) != verb.npos {
		return fmt.Errorf("wrong number of arguments; usage: %s", strings.TrimRight(fmt.Sprintf("nanhu %s %s %s", name, args[0], verb.usage), " "))
	}
	cfg, err := df.existing()
	if err != nil {
		return err
	}
	ctx := context.Background()
	d, err := org.Open(ctx, org.DefaultOptions(cfg.Data))
	if err != nil {
		return err
	}
	defer d.Close()
	sio.data = cfg.Data
	return run(ctx, d, pos, sio)
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (`user add zhangsan --name 张三`), which the flag
// package alone does not allow. It returns the positional arguments. "--"
// ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // fs.Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, err
	}
	return append(pos, fs.Args()...), nil
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// writeTable writes rows in columns padded to the widest cell, counting a
// Chinese character as two columns as a terminal shows it.
func writeTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	bw := bufio.NewWriter(w)
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	bw.Flush()
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide and full-width characters, one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, // Hangul Jamo
			r >= 0x2E80 && r <= 0xA4CF && r != 0x303F, // CJK radicals … Yi
			r >= 0xAC00 && r <= 0xD7A3,                // Hangul syllables
			r >= 0xF900 && r <= 0xFAFF,                // CJK compatibility ideographs
			r >= 0xFE30 && r <= 0xFE4F,                // CJK compatibility forms
			r >= 0xFF00 && r <= 0xFF60,                // full-width forms
			r >= 0xFFE0 && r <= 0xFFE6,
			r >= 0x20000 && r <= 0x3FFFD: // CJK extensions
			n += 2
		default:
			n++
		}
	}
	return n
}
