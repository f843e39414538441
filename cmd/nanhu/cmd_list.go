package main

// `nanhu list`: distribution lists.

import (
	"context"
	"flag"
	"fmt"

	"nanhu/oa/org"
)

func init() {
	register("list", "manage distribution lists: add, members", func(args []string) error {
		return runList(args, stdio())
	})
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
