package main

// `nanhu user`: accounts.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"nanhu/oa/org"
)

func init() {
	register("user", "manage accounts: add, passwd, unlock, disable, enable, list, notify", func(args []string) error {
		return runUser(args, stdio())
	})
}

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
					fmt.Fprintf(sio.out, "Changed the password of %s; its login locks are lifted.\n", strings.ToLower(pos[0]))
					if generated {
						fmt.Fprintf(sio.out, "Password (shown only this once): %s\n", password)
					}
					return nil
				}
			},
		},
		"unlock": {
			usage: "LOGIN",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					if err := d.Unlock(ctx, pos[0]); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Lifted the login locks of %s: the running server lets it log in again from every address.\n", strings.ToLower(pos[0]))
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

// onOff reads a flag value such as on/off, yes/no, true/false, 开/关.
func onOff(name, v string) (*bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return nil, nil
	case "on", "yes", "true", "1", "开":
		t := true
		return &t, nil
	case "off", "no", "false", "0", "关":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("--%s takes on or off, not %q", name, v)
}

// notifyVerb is `nanhu user notify LOGIN [--sms on|off] [--mail on|off]
// [--quiet 22:00-07:00|none|default]`: without flags it shows the
// preferences, with them it changes them and shows the result.
func notifyVerb() dirVerb {
	return dirVerb{
		usage: "LOGIN [--sms on|off] [--mail on|off] [--quiet 22:00-07:00|none|default]",
		npos:  1,
		flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
			sms := fs.String("sms", "", "to-dos by SMS to the registered mobile: `on|off`")
			mail := fs.String("mail", "", "to-dos also as a mail into the INBOX: `on|off`")
			quiet := fs.String("quiet", "", "own quiet hours `22:00-07:00`, none, or default (the system's)")
			set := func(name string) bool {
				found := false
				fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
				return found
			}
			return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
				var c org.PrefsChange
				var err error
				if c.SMS, err = onOff("sms", *sms); err != nil {
					return err
				}
				if c.Mail, err = onOff("mail", *mail); err != nil {
					return err
				}
				if set("quiet") {
					c.Quiet = quiet
				}
				p, err := d.ChangeNotifyPrefs(ctx, pos[0], c)
				if err != nil {
					return err
				}
				quiet := "default"
				if p.Quiet != nil {
					quiet = p.Quiet.String()
				}
				word := map[bool]string{true: "on", false: "off"}
				writeTable(sio.out, [][]string{{"LOGIN", "SMS", "MAIL", "QUIET HOURS"}, {strings.ToLower(pos[0]), word[p.SMS], word[p.Mail], quiet}})
				return nil
			}
		},
	}
}
