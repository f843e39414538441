package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"nanhu/oa/org"
)

func init() {
	register("shared", "manage department shared mailboxes (公共邮箱): add, list", func(args []string) error {
		return runShared(args, stdio())
	})
}

// runShared is `nanhu shared add ADDRESS --dept CODE` and `nanhu shared list`.
func runShared(args []string, sio dirIO) error {
	return runDirCommand("shared", map[string]dirVerb{
		"add": {
			usage: "ADDRESS --dept CODE",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				dept := fs.String("dept", "", "department `code` whose members share the mailbox")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					if *dept == "" {
						return errors.New("give the department with --dept CODE")
					}
					addr, err := d.PrimaryAddress(ctx, pos[0])
					if err != nil {
						return err
					}
					if err := d.AddSharedMailbox(ctx, addr, *dept); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added the shared mailbox %s of department %s.\n", addr, *dept)
					return nil
				}
			},
		},
		"list": {
			usage: "",
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					all, err := d.SharedMailboxes(ctx)
					if err != nil {
						return err
					}
					rows := [][]string{{"ADDRESS", "DEPT", "NAME"}}
					for _, s := range all {
						rows = append(rows, []string{s.Address, s.Dept, s.Name})
					}
					writeTable(sio.out, rows)
					return nil
				}
			},
		},
	}, args, sio)
}
