package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
// folder is in the registry.
func TestDataFolderRegistered(t *testing.T) {
	ts := startTestServer(t, nil)
	reg := dataFiles()
	err := filepath.WalkDir(ts.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ts.data, p)
		if _, ok := reg.Lookup(filepath.ToSlash(rel)); !ok {
			t.Errorf("%s is in no part's list of data files", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
