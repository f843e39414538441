package main

// The directory's admin commands: user, dept, alias and list. They open
// DATA/org.db directly, so they work whether or not `nanhu serve` is
// running on the same folder; SQLite's locking keeps the two apart.

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

	"golang.org/x/term"

	"nanhu/oa/org"
)

func init() {
	register("user", "manage accounts: add, passwd, disable, enable, list, notify", func(args []string) error {
		return runUser(args, stdio())
	})
	register("dept", "manage departments: add, list", func(args []string) error {
		return runDept(args, stdio())
	})
	register("alias", "manage mail aliases: add, list", func(args []string) error {
		return runAlias(args, stdio())
	})
	register("list", "manage distribution lists: add, members", func(args []string) error {
		return runList(args, stdio())
	})
}

// dirIO is where a directory command reads and writes; tests replace it.
type dirIO struct {
	in       io.Reader
	out, err io.Writer
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
	data := fs.String("data", "nanhu-data", "the data `folder`")
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
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("cannot create the data folder %s: %w", *data, err)
	}
	ctx := context.Background()
	d, err := org.Open(ctx, org.DefaultOptions(*data))
	if err != nil {
		return err
	}
	defer d.Close()
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

func runUser(args []string, sio dirIO) error {
	return runDirCommand("user", map[string]dirVerb{
		"add": {
			usage: "LOGIN --name NAME [--password-stdin] [--mobile +8613...] [--dept CODE]... [--title TITLE] [--role ROLE]... [--quota 2GiB]",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				name := fs.String("name", "", "display `name`, e.g. 张三 (required)")
				pwStdin := fs.Bool("password-stdin", false, "read the password from standard input; without it a random one is printed")
				mobile := fs.String("mobile", "", "mobile `number` in international form, e.g. +8613800000000")
				var depts, roles repeated
				fs.Var(&depts, "dept", "department `code` (repeatable)")
				title := fs.String("title", "", "`title` in the department, e.g. 科员")
				fs.Var(&roles, "role", "`role`: leader, clerk, staff, admin … (repeatable)")
				quota := fs.String("quota", "", "mailbox `size`, e.g. 2GiB or 500MiB (default 2GiB)")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					if strings.TrimSpace(*name) == "" {
						return errors.New("the display name is required: add --name NAME")
					}
					var q int64
					if *quota != "" {
						var err error
						if q, err = org.ParseQuota(*quota); err != nil {
							return err
						}
					}
					password, generated, err := newPassword(*pwStdin, sio)
					if err != nil {
						return err
					}
					u, err := d.AddUser(ctx, org.NewUser{Login: pos[0], Name: *name, Password: password, Mobile: *mobile,
						Depts: depts, Title: *title, Roles: roles, QuotaBytes: q})
					if err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added user %s (%s) <%s>.\n", u.Login, u.Name, strings.Join(u.Addresses, ", "))
					if generated {
						fmt.Fprintf(sio.out, "Password (shown only this once): %s\n", password)
					}
					return nil
				}
			},
		},
		"passwd": {
			usage: "LOGIN [--password-stdin]",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				pwStdin := fs.Bool("password-stdin", false, "read the password from standard input; without it a random one is printed")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					password, generated, err := newPassword(*pwStdin, sio)
					if err != nil {
						return err
					}
					if err := d.SetPassword(ctx, pos[0], password); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Changed the password of %s.\n", strings.ToLower(pos[0]))
					if generated {
						fmt.Fprintf(sio.out, "Password (shown only this once): %s\n", password)
					}
					return nil
				}
			},
		},
		"disable": setDisabledVerb(true),
		"enable":  setDisabledVerb(false),
		"notify":  notifyVerb(),
		"list": {
			usage: "",
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, _ []string, sio dirIO) error {
					users, err := d.Users(ctx)
					if err != nil {
						return err
					}
					rows := [][]string{{"LOGIN", "NAME", "ADDRESSES", "MOBILE", "DEPARTMENTS", "ROLES", "DISABLED"}}
					for _, u := range users {
						var depts []string
						for _, m := range u.Departments {
							if m.Title != "" {
								depts = append(depts, m.Dept+"("+m.Title+")")
							} else {
								depts = append(depts, m.Dept)
							}
						}
						disabled := ""
						if u.Disabled {
							disabled = "yes"
						}
						rows = append(rows, []string{u.Login, u.Name, strings.Join(u.Addresses, ","), u.Mobile,
							strings.Join(depts, ","), strings.Join(u.Roles, ","), disabled})
					}
					writeTable(sio.out, rows)
					return nil
				}
			},
		},
	}, args, sio)
}

func setDisabledVerb(disabled bool) dirVerb {
	return dirVerb{
		usage: "LOGIN",
		npos:  1,
		flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
			return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
				if err := d.SetDisabled(ctx, pos[0], disabled); err != nil {
					return err
				}
				state := "Enabled"
				if disabled {
					state = "Disabled"
				}
				fmt.Fprintf(sio.out, "%s the account %s.\n", state, strings.ToLower(pos[0]))
				return nil
			}
		},
	}
}

// newPassword reads the password from standard input (fromStdin) or makes a
// random one (generated).
func newPassword(fromStdin bool, sio dirIO) (password string, generated bool, err error) {
	if !fromStdin {
		return org.RandomPassword(), true, nil
	}
	if f, ok := sio.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(sio.err, "New password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(sio.err)
		if err != nil {
			return "", false, fmt.Errorf("cannot read the password: %w", err)
		}
		fmt.Fprint(sio.err, "Repeat it: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(sio.err)
		if err != nil {
			return "", false, fmt.Errorf("cannot read the password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", false, errors.New("the two passwords differ")
		}
		return string(p1), false, nil
	}
	line, err := bufio.NewReader(io.LimitReader(sio.in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("cannot read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, errors.New("no password on standard input (give it as the first line)")
	}
	return line, false, nil
}

func runDept(args []string, sio dirIO) error {
	return runDirCommand("dept", map[string]dirVerb{
		"add": {
			usage: "CODE --name NAME [--parent CODE] [--kind organ|department|section|township|street] [--leader LOGIN]",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				name := fs.String("name", "", "department `name`, e.g. 区财政局 (required)")
				parent := fs.String("parent", "", "`code` of the parent department")
				kind := fs.String("kind", org.KindDepartment, "`kind`: organ, department, section, township or street")
				leader := fs.String("leader", "", "`login` of the leader")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					if strings.TrimSpace(*name) == "" {
						return errors.New("the department name is required: add --name NAME")
					}
					dep := org.Department{Code: pos[0], Name: *name, Parent: *parent, Kind: *kind, Leader: *leader}
					if err := d.AddDepartment(ctx, dep); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added department %s (%s).\n", strings.ToLower(pos[0]), strings.TrimSpace(*name))
					return nil
				}
			},
		},
		"list": {
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, _ []string, sio dirIO) error {
					deps, err := d.Departments(ctx)
					if err != nil {
						return err
					}
					depth := map[string]int{}
					for _, dep := range deps {
						if dep.Parent != "" {
							depth[dep.Code] = depth[dep.Parent] + 1
						}
						line := strings.Repeat("  ", depth[dep.Code]) + dep.Code + "  " + dep.Name + "  [" + dep.Kind + "]"
						if dep.Leader != "" {
							line += "  leader: " + dep.Leader
						}
						fmt.Fprintln(sio.out, line)
					}
					return nil
				}
			},
		},
	}, args, sio)
}

func runAlias(args []string, sio dirIO) error {
	return runDirCommand("alias", map[string]dirVerb{
		"add": {
			usage: "ALIAS TARGET   (TARGET: a login, or a local address, alias or list)",
			npos:  2,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					alias, err := d.PrimaryAddress(ctx, pos[0])
					if err != nil {
						return err
					}
					target := pos[1]
					if !strings.Contains(target, "@") {
						// A login stays a login, so the alias survives a
						// change of domain; anything else is a local part.
						if _, err := d.User(ctx, target); err != nil {
							if target, err = d.PrimaryAddress(ctx, target); err != nil {
								return err
							}
						}
					}
					if err := d.AddAlias(ctx, alias, target); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added alias %s → %s.\n", alias, strings.ToLower(target))
					return nil
				}
			},
		},
		"list": {
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, _ []string, sio dirIO) error {
					aliases, err := d.Aliases(ctx)
					if err != nil {
						return err
					}
					names := make([]string, 0, len(aliases))
					for a := range aliases {
						names = append(names, a)
					}
					slices.Sort(names)
					rows := [][]string{{"ALIAS", "TARGET"}}
					for _, a := range names {
						rows = append(rows, []string{a, aliases[a]})
					}
					writeTable(sio.out, rows)
					return nil
				}
			},
		},
	}, args, sio)
}

func runList(args []string, sio dirIO) error {
	return runDirCommand("list", map[string]dirVerb{
		"add": {
			usage: "ADDRESS [--dept CODE] [--member LOGIN]...",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				dept := fs.String("dept", "", "department `code`: its members and its sub-departments' are on the list")
				var members repeated
				fs.Var(&members, "member", "`login` of an extra member (repeatable)")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					addr, err := d.PrimaryAddress(ctx, pos[0])
					if err != nil {
						return err
					}
					if err := d.AddList(ctx, addr, *dept, members); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added list %s.\n", addr)
					return nil
				}
			},
		},
		"members": {
			usage: "ADDRESS",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					addr, err := d.PrimaryAddress(ctx, pos[0])
					if err != nil {
						return err
					}
					members, err := d.ListMembers(ctx, addr)
					if err != nil {
						return err
					}
					for _, m := range members {
						fmt.Fprintln(sio.out, m)
					}
					return nil
				}
			},
		},
	}, args, sio)
}

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
