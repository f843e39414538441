package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"nanhu/internal/datadir"
)

func init() {
	register("backup", "make a consistent online backup of the data folder", runBackup)
	register("restore", "restore a backup into a data folder (server stopped)", runRestore)
}

// runBackup is `nanhu backup [--data DIR] OUT`.
func runBackup(args []string) error {
	fset := flag.NewFlagSet("backup", flag.ContinueOnError)
	df := addDataFlags(fset, "to back up")
	pos, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: nanhu backup [--config FILE] [--data DIR] OUT")
	}
	cfg, err := df.existing()
	if err != nil {
		return err
	}
	return backup(context.Background(), cfg.Data, pos[0], os.Stderr)
}

// backup backs up the data folder data into out, with a progress bar when
// progress is a terminal and a line per database otherwise.
func backup(ctx context.Context, data, out string, progress io.Writer) error {
	opts := datadir.BackupOptions{Registry: dataFiles(), Version: version}
	var bar *progressbar.ProgressBar
	if f, ok := progress.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("backup"),
					progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
			}
			bar.Set64(done)
		}
	} else {
		opts.Note = func(line string) { fmt.Fprintln(progress, line) }
	}
	rep, err := datadir.Backup(ctx, data, out, opts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "backup of %s written to %s: %s\n", data, out, rep.Describe())
	return nil
}

// runRestore puts a backup into a data folder. The server must be stopped
// (restore takes the same lock as `nanhu serve`), and a folder that already
// holds data is only overwritten with --force.
func runRestore(args []string) error {
	fset := flag.NewFlagSet("restore", flag.ContinueOnError)
	df := addDataFlags(fset, "to restore into")
	force := fset.Bool("force", false, "overwrite a data folder that already holds data")
	pos, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: nanhu restore [--config FILE] [--data DIR] [--force] BACKUP")
	}
	cfg, err := df.load()
	if err != nil {
		return err
	}
	return restore(pos[0], cfg.Data, *force, os.Stderr)
}

func restore(backupDir, data string, force bool, w io.Writer) error {
	m, err := datadir.Restore(backupDir, data, force, dataFiles())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "restored %d files from %s (made %s by nanhu %s) into %s\n", len(m.Files), backupDir, m.Created.Format(time.RFC3339), m.Version, data)
	return nil
}
