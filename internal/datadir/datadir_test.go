package datadir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nanhu/internal/sqlitedb"
)

func TestLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := TakeLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %v", fi.Mode().Perm())
	}
	_, err = TakeLock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second lock: %v", err)
	}
	l.Close()
	l2, err := TakeLock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Close()
}

func TestCreateTightens(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

var testRegistry = append(Registry{
	{Path: "a.db", Part: "p", About: "a", Policy: Database},
	{Path: "keys/", Part: "p", About: "keys", Policy: Copy},
	{Path: "spool/", Part: "q", About: "spool", Policy: Skip, Reason: "transient"},
	{Path: "link", Part: "q", About: "a pty link", Policy: Skip, Reason: "made at start"},
}, Own...)

func TestRegistryCheck(t *testing.T) {
	if err := testRegistry.Check(); err != nil {
		t.Fatal(err)
	}
	bad := []Registry{
		{{Path: "x.db", Part: "p", About: "x"}},
		{{Path: "x", Part: "p", About: "x", Policy: Skip}},
		{{Path: "../x", Part: "p", About: "x", Policy: Copy}},
		{{Path: "x", Part: "p", About: "x", Policy: Copy}, {Path: "x", Part: "p", About: "x", Policy: Copy}},
		{{Path: "d/", Part: "p", About: "x", Policy: Database}},
		{{Path: "x", Policy: Copy}},
	}
	for _, r := range bad {
		if r.Check() == nil {
			t.Errorf("Check(%v) passed", r)
		}
	}
}

func TestLookup(t *testing.T) {
	for rel, want := range map[string]string{
		"a.db": "a.db", "a.db-wal": "a.db", "a.db-shm": "a.db", "keys/k.pem": "keys/",
		"spool/x/y.dat": "spool/", "serve.lock": "serve.lock", "b.db": "", "keysx": "", "a.dbx": "",
	} {
		e, ok := testRegistry.Lookup(rel)
		if e.Path != want || ok != (want != "") {
			t.Errorf("Lookup(%q) = %q %v, want %q", rel, e.Path, ok, want)
		}
	}
	md := testRegistry.Markdown()
	if !strings.Contains(md, "| `spool/` | q | spool | not backed up: transient |") {
		t.Errorf("Markdown:\n%s", md)
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := Backup(ctx, dir, filepath.Join(t.TempDir(), "b"), BackupOptions{Registry: testRegistry}); err == nil {
		t.Fatal("backup of a folder without data succeeded")
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(dir, "a.db"), Synchronous: sqlitedb.Full,
		Migrations: []string{`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('南湖');`}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, body := range map[string]string{"keys/k.pem": "key", "spool/q.dat": "queued", "stray.txt": "?"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600)
	}
	os.Symlink("/dev/null", filepath.Join(dir, "link"))
	lock, _ := TakeLock(dir)
	defer lock.Close()

	out := filepath.Join(t.TempDir(), "backup")
	var notes []string
	var last [2]int64
	rep, err := Backup(ctx, dir, out, BackupOptions{Registry: testRegistry, Version: "test",
		Note: func(s string) { notes = append(notes, s) }, Progress: func(d, n int64) { last = [2]int64{d, n} }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Databases != 1 || rep.Files != 2 || !slices.Equal(rep.Unknown, []string{"stray.txt"}) {
		t.Errorf("report %+v", rep)
	}
	if !slices.Contains(rep.Skipped, "spool/") || !slices.Contains(rep.Skipped, "serve.lock") {
		t.Errorf("skipped %v", rep.Skipped)
	}
	if last[0] != last[1] || last[1] == 0 {
		t.Errorf("last progress %v", last)
	}
	if !slices.Contains(notes, "backed up a.db") {
		t.Errorf("notes %v", notes)
	}
	for _, f := range []string{"spool/q.dat", "serve.lock", "a.db-wal", "link"} {
		if _, err := os.Lstat(filepath.Join(out, f)); err == nil {
			t.Errorf("backup holds %s", f)
		}
	}
	if _, err := Backup(ctx, dir, out, BackupOptions{Registry: testRegistry}); err == nil {
		t.Error("backup into a non-empty folder succeeded")
	}

	// Restore: refused while locked, refused over data, then done.
	if _, err := Restore(out, dir, true, testRegistry); err == nil || !strings.Contains(err.Error(), "stop it") {
		t.Errorf("restore into a locked folder: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	m, err := Restore(out, dst, false, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "test" {
		t.Errorf("manifest %+v", m)
	}
	if _, err := Restore(out, dst, false, testRegistry); err == nil {
		t.Error("restore over data without force succeeded")
	}
	// Over the folder, with force: what a backup leaves out goes too.
	os.MkdirAll(filepath.Join(dst, "spool"), 0o700)
	os.WriteFile(filepath.Join(dst, "spool", "later.dat"), []byte("after the backup"), 0o600)
	if _, err := Restore(out, dst, true, testRegistry); err != nil {
		t.Errorf("restore with force: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "spool")); err == nil {
		t.Error("the spool of after the backup survived the restore")
	}
	r, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(dst, "a.db"), Synchronous: sqlitedb.Full,
		Migrations: []string{`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('南湖');`}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var v string
	if err := r.Reader().QueryRow(`SELECT v FROM t`).Scan(&v); err != nil || v != "南湖" {
		t.Errorf("restored row %q %v", v, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "keys/k.pem")); string(b) != "key" {
		t.Errorf("restored key %q", b)
	}

	// A damaged backup is refused before anything is touched.
	os.WriteFile(filepath.Join(out, "keys/k.pem"), []byte("tampered"), 0o600)
	if _, err := Restore(out, filepath.Join(t.TempDir(), "x"), false, testRegistry); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("restore of a damaged backup: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, s := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(s), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != 0o640 {
		t.Errorf("%q %v", b, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
