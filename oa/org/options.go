package org

import (
	"log/slog"
	"path/filepath"
)

// Options are the settings of a Directory.
type Options struct {
	// Path is the SQLite file of the directory, normally DATA/org.db.
	Path string
	// Logger receives one line per change to the directory. Nil discards.
	Logger *slog.Logger
}

// DefaultOptions returns the options for the directory in data folder
// dataDir.
func DefaultOptions(dataDir string) Options {
	return Options{Path: filepath.Join(dataDir, "org.db")}
}
