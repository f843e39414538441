package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// dataFlags are the --config and --data flags of the administration
// commands. They find a deployment's data folder as `nanhu serve` does:
// the default, then the configuration file's, then --data.
type dataFlags struct {
	config *string
	data   *string
	create *bool
}

func addDataFlags(fs *flag.FlagSet, what string) *dataFlags {
	return &dataFlags{
		config: fs.String("config", "", "the server's TOML configuration `FILE` (for its data folder and settings)"),
		data:   fs.String("data", "", "the data `folder` "+what+" (default: the configuration's, else ./nanhu-data)"),
		create: fs.Bool("create", false, "make the data folder when it does not exist (a new server's)"),
	}
}

// load is the configuration the flags name: defaults, the file, --data.
func (d *dataFlags) load() (Config, error) {
	var args []string
	if *d.config != "" {
		args = append(args, "--config", *d.config)
	}
	if *d.data != "" {
		args = append(args, "--data", *d.data)
	}
	return loadConfig(args)
}

// existing is load for a command that works on a deployment's data. The
// folder must exist and hold org.db, or be empty (a folder made for a new
// server, where the command may write first); with --create a missing one
// is made. Otherwise the command is refused and nothing is created: a
// command run from the wrong directory would else make a new, empty
// folder and report success.
func (d *dataFlags) existing() (Config, error) {
	cfg, err := d.load()
	if err != nil {
		return cfg, err
	}
	if *d.create {
		if _, err := os.Stat(cfg.Data); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
				return cfg, fmt.Errorf("cannot create the data folder: %w", err)
			}
		}
	}
	return cfg, checkDataFolder(cfg.Data)
}

func checkDataFolder(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	hint := "give --data DIR or --config FILE of the server (or --create for a new one)"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("there is no data folder %s: %s", abs, hint)
	case err != nil:
		return fmt.Errorf("data folder %s: %w", abs, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder: %s", abs, hint)
	}
	// Files a command writes (SQLite's -wal and -shm among them) belong to
	// who runs it: run as another user, root included, it would leave
	// files the server cannot open.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		who := strconv.Itoa(int(st.Uid))
		if u, err := user.LookupId(who); err == nil {
			who = u.Username
		}
		return fmt.Errorf("the data folder %s belongs to user %s: run the command as that user (sudo -u %s nanhu ...)", abs, who, who)
	}
	if _, err := os.Stat(filepath.Join(dir, "org.db")); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("data folder %s: %w", abs, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not a Nanhu data folder (it has no org.db): %s", abs, hint)
	}
	return nil
}
