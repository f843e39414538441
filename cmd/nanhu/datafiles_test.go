package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestREADMEDataFolder: the README's list of the data folder is the
// registry's, so a part that adds a file cannot forget to say what it is
// and whether a backup copies it.
func TestREADMEDataFolder(t *testing.T) {
	reg := dataFiles()
	if err := reg.Check(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), reg.Markdown()) {
		t.Errorf("the README's data folder table is not the registry's; it should read:\n%s", reg.Markdown())
	}
}

// TestDataFolderRegistered: every file a running server makes in its data
// folder is in the registry, and every database is private to its owner
// (0600) in a private folder (0700), whatever the umask.
func TestDataFolderRegistered(t *testing.T) {
	old := syscall.Umask(0o022)
	ts := startTestServer(t, nil)
	syscall.Umask(old)
	reg := dataFiles()
	if fi, err := os.Stat(ts.data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the data folder: %v %v", fi.Mode(), err)
	}
	dbs := 0
	err := filepath.WalkDir(ts.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ts.data, p)
		if _, ok := reg.Lookup(filepath.ToSlash(rel)); !ok {
			t.Errorf("%s is in no part's list of data files", rel)
		}
		if strings.HasSuffix(rel, ".db") || strings.HasSuffix(rel, ".db-wal") || strings.HasSuffix(rel, ".db-shm") {
			dbs++
			if fi, _ := d.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", rel, fi.Mode().Perm())
			}
		}
		return nil
	})
	if dbs < 6 {
		t.Errorf("only %d database files found", dbs)
	}
	if err != nil {
		t.Fatal(err)
	}
}
