package main

// `nanhu token`: API tokens for tools and scripts (Authorization: Bearer).

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"nanhu/oa/org"
)

func init() {
	register("token", "manage API tokens: add, list, revoke", func(args []string) error {
		return runToken(args, stdio())
	})
}

func runToken(args []string, sio dirIO) error {
	return runDirCommand("token", map[string]dirVerb{
		"add": {
			usage: "LOGIN --name NAME",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				name := fs.String("name", "", "what the token is for, e.g. 值班脚本 (required)")
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					tok, t, err := d.CreateToken(ctx, pos[0], *name)
					if err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Added API token %s (%s) for %s.\nToken (shown only this once): %s\n", t.ID, t.Name, t.Login, tok)
					return nil
				}
			},
		},
		"list": {
			usage: "LOGIN",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					all, err := d.Tokens(ctx, pos[0])
					if err != nil {
						return err
					}
					rows := [][]string{{"ID", "NAME", "CREATED", "LAST USED"}}
					for _, t := range all {
						last := "never"
						if !t.LastUsed.IsZero() {
							last = t.LastUsed.Local().Format("2006-01-02 15:04")
						}
						rows = append(rows, []string{t.ID, t.Name, t.Created.Local().Format("2006-01-02 15:04"), last})
					}
					writeTable(sio.out, rows)
					return nil
				}
			},
		},
		"revoke": {
			usage: "LOGIN ID",
			npos:  2,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
					if err := d.RevokeToken(ctx, pos[0], pos[1]); err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Revoked API token %s of %s.\n", pos[1], strings.ToLower(pos[0]))
					return nil
				}
			},
		},
	}, args, sio)
}
