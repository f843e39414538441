// Command nanhu is the one binary of Nanhu, the messaging core of a district
// government: `nanhu serve` runs every part on one data folder, and the other
// subcommands administer that folder, also while the server runs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

func init() {
	register("version", "print the version", func(args []string) error {
		fmt.Println("nanhu", version)
		return nil
	})
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: nanhu COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `nanhu COMMAND -h` for the flags of one command.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "nanhu: unknown command %q; run `nanhu help` for the list.\n", os.Args[1])
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "nanhu %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
