package main

// `nanhu flow` manages the OA flows (list, show, validate, publish) and
// `nanhu oa verify` checks the hash chain of the documents' trail. Both
// open DATA/oa.db directly, beside a running server if there is one.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"nanhu/oa/docflow"
	"nanhu/oa/flow"
	"nanhu/oa/org"
)

func init() {
	register("flow", "manage OA flows: list, show, validate, publish", func(args []string) error {
		return runFlow(args, stdio())
	})
	register("oa", "OA documents: verify (check the trail's hash chain)", func(args []string) error {
		return runOA(args, stdio())
	})
}

func openDocs(ctx context.Context, d *org.Directory, sio dirIO) (*docflow.Store, error) {
	o := docflow.DefaultOptions(sio.data)
	o.Org = d
	return docflow.Open(ctx, o)
}

type docsVerb func(ctx context.Context, s *docflow.Store, pos []string, sio dirIO) error

func withDocs(fn docsVerb) func(context.Context, *org.Directory, []string, dirIO) error {
	return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
		s, err := openDocs(ctx, d, sio)
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(ctx, s, pos, sio)
	}
}

// readFlowFile reads and validates a flow definition file.
func readFlowFile(path string) (*flow.Def, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	def, err := flow.Parse(b)
	if err != nil {
		return nil, err
	}
	var ps flow.Problems
	if err := def.Validate(); errors.As(err, &ps) {
		msg := fmt.Sprintf("%s has %d problem(s):", path, len(ps))
		for _, p := range ps {
			msg += "\n  " + p.String()
		}
		return nil, errors.New(msg)
	}
	return def, nil
}

func runFlow(args []string, sio dirIO) error {
	return runDirCommand("flow", map[string]dirVerb{
		"list": {
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return withDocs(func(ctx context.Context, s *docflow.Store, _ []string, sio dirIO) error {
					fs, err := s.Flows(ctx)
					if err != nil {
						return err
					}
					rows := [][]string{{"KEY", "NAME", "KIND", "VERSION", "PUBLISHED", "BY"}}
					for _, f := range fs {
						rows = append(rows, []string{f.Key, f.Name, f.Kind, strconv.Itoa(f.Version), f.Published.Format("2006-01-02 15:04"), f.PublishedBy})
					}
					writeTable(sio.out, rows)
					return nil
				})
			},
		},
		"show": {
			usage: "KEY [--version N]",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				v := fs.Int("version", 0, "the version (default: the latest)")
				return withDocs(func(ctx context.Context, s *docflow.Store, pos []string, sio dirIO) error {
					def, err := s.Flow(ctx, pos[0], *v)
					if err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "%s\n", def.JSON())
					return nil
				})
			},
		},
		"validate": {
			usage: "FILE.json",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return func(_ context.Context, _ *org.Directory, pos []string, sio dirIO) error {
					def, err := readFlowFile(pos[0])
					if err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "%s: flow %s (%s) is valid: %d nodes, %d edges.\n", pos[0], def.Key, def.Name, len(def.Nodes), len(def.Edges))
					return nil
				}
			},
		},
		"publish": {
			usage: "FILE.json",
			npos:  1,
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return withDocs(func(ctx context.Context, s *docflow.Store, pos []string, sio dirIO) error {
					def, err := readFlowFile(pos[0])
					if err != nil {
						return err
					}
					v, err := s.Publish(ctx, def, "admin (nanhu flow publish)")
					if err != nil {
						return err
					}
					fmt.Fprintf(sio.out, "Published flow %s (%s) as version %d; documents already running keep their version.\n", def.Key, def.Name, v)
					return nil
				})
			},
		},
	}, args, sio)
}

func runOA(args []string, sio dirIO) error {
	return runDirCommand("oa", map[string]dirVerb{
		"verify": {
			flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
				return withDocs(func(ctx context.Context, s *docflow.Store, _ []string, sio dirIO) error {
					rep, err := s.Verify(ctx)
					if err != nil {
						return err
					}
					if rep.Broken != 0 {
						return fmt.Errorf("the trail is broken at record %d of %d: %s", rep.Broken, rep.Records, rep.Reason)
					}
					fmt.Fprintf(sio.out, "The trail's hash chain holds: %d records, none changed or missing.\n", rep.Records)
					return nil
				})
			},
		},
	}, args, sio)
}
