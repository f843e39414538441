package main

// `nanhu dept`: departments.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"nanhu/oa/org"
)

func init() {
	register("dept", "manage departments: add, list", func(args []string) error {
		return runDept(args, stdio())
	})
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
