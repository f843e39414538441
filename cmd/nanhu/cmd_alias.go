package main

// `nanhu alias`: mail aliases.

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"nanhu/oa/org"
)

func init() {
	register("alias", "manage mail aliases: add, list", func(args []string) error {
		return runAlias(args, stdio())
	})
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
