package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// dataFlags are the --config and --data flags of the administration
// commands. They find a deployment's data folder as `nanhu serve` does:
// the default, then the configuration file's, then --data.
type dataFlags struct {
	config *string
	data   *string
}

func addDataFlags(fs *flag.FlagSet, what string) *dataFlags {
	return &dataFlags{
		config: fs.String("config", "", "the server's TOML configuration `FILE` (for its data folder and settings)"),
		data:   fs.String("data", "", "the data `folder` "+what+" (default: the configuration's, else ./nanhu-data)"),
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
// server, where the command may write first). Otherwise the command is
// refused and nothing is created: a command run from the wrong directory
// would else make a new, empty directory and report success.
func (d *dataFlags) existing() (Config, error) {
	cfg, err := d.load()
	if err != nil {
		return cfg, err
	}
	return cfg, checkDataFolder(cfg.Data)
}

func checkDataFolder(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	hint := "give --data DIR or --config FILE of the server, or start `nanhu serve` first"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("there is no data folder %s: %s", abs, hint)
	case err != nil:
		return fmt.Errorf("data folder %s: %w", abs, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder: %s", abs, hint)
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
