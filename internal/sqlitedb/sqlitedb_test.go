package sqlitedb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var testMigrations = []string{
	`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);`,
	`ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 0; CREATE INDEX t_w ON t(w);`,
}

func open(t *testing.T, path string, migrations []string) *DB {
	t.Helper()
	db, err := Open(context.Background(), Options{Path: path, Synchronous: Full, Migrations: migrations, Readers: 2, ForeignKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func version(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.Reader().QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenFileModes(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "x.db")
	db := open(t, path, testMigrations)
	if _, err := db.Writer().Exec(`INSERT INTO t (v) VALUES ('a')`); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode().Perm(), want)
		}
	}
}

func TestOpenTightensOldFiles(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "old.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	open(t, path, testMigrations)
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := open(t, path, testMigrations[:1])
	if v := version(t, db); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
	db.Close()
	db = open(t, path, testMigrations)
	if v := version(t, db); v != 2 {
		t.Fatalf("version %d, want 2", v)
	}
	if _, err := db.Writer().Exec(`INSERT INTO t (v, w) VALUES ('a', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A newer file is refused with the one clear error.
	_, err := Open(context.Background(), Options{Path: path, Synchronous: Full, Migrations: testMigrations[:1]})
	if !errors.Is(err, ErrNewer) {
		t.Fatalf("open with fewer migrations: %v, want ErrNewer", err)
	}
}

// A failing migration applies none of the pending ones.
func TestMigrationsAllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	bad := append(append([]string{}, testMigrations...), `CREATE TABLE broken (`)
	if _, err := Open(context.Background(), Options{Path: path, Synchronous: Normal, Migrations: bad}); err == nil {
		t.Fatal("a broken migration should fail Open")
	}
	db := open(t, path, testMigrations[:1])
	if v := version(t, db); v != 1 {
		t.Fatalf("version %d after a failed update from 0, want 1 (nothing applied, then migration 1)", v)
	}
	var n int
	db.Reader().QueryRow(`SELECT COUNT(*) FROM pragma_table_info('t') WHERE name = 'w'`).Scan(&n)
	if n != 0 {
		t.Fatal("migration 2 was applied although the update failed")
	}
}

// Several openers of a fresh file at once: each migration runs once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	migrations := []string{
		`CREATE TABLE t (id INTEGER PRIMARY KEY);`,
		`CREATE TABLE applied (n INTEGER); INSERT INTO applied VALUES (1);`,
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), Options{Path: path, Synchronous: Full, Migrations: migrations})
			if err != nil {
				errs <- err
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db := open(t, path, migrations)
	var n int
	db.Reader().QueryRow(`SELECT COUNT(*) FROM applied`).Scan(&n)
	if n != 1 {
		t.Fatalf("migration 2 ran %d times", n)
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "r.db"), testMigrations)
	if _, err := db.Reader().Exec(`INSERT INTO t (v) VALUES ('x')`); err == nil {
		t.Fatal("the reader pool accepted a write")
	}
}

func TestOptionsChecked(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Options{
		{Synchronous: Full},
		{Path: filepath.Join(dir, "a.db")},
	} {
		if db, err := Open(context.Background(), o); err == nil {
			db.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

// A backup taken while a writer keeps inserting is one consistent instant:
// every batch is wholly in it or wholly out.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	db := open(t, filepath.Join(dir, "src.db"), testMigrations)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			tx, err := db.Writer().Begin()
			if err != nil {
				return
			}
			for j := range 10 {
				tx.Exec(`INSERT INTO t (v, w) VALUES (?, ?)`, fmt.Sprintf("%d-%d %0500d", i, j, 0), i)
			}
			tx.Commit()
		}
	}()
	for i := range 3 {
		dst := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		pages := 0
		if err := Backup(context.Background(), db.Path(), dst, func(n int) { pages += n }); err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			t.Error("progress was never told of a page")
		}
		c := open(t, dst, testMigrations)
		var bad int
		if err := c.Reader().QueryRow(`SELECT COUNT(*) FROM (SELECT w FROM t GROUP BY w HAVING COUNT(*) != 10)`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("backup %d holds %d half batches", i, bad)
		}
		fi, _ := os.Stat(dst)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("backup file mode %v", fi.Mode().Perm())
		}
	}
	cancel()
	<-done
	if err := Backup(context.Background(), db.Path(), filepath.Join(dir, "copy0.db"), nil); err == nil {
		t.Error("Backup overwrote an existing file")
	}
}

// A folder name with the characters of a URI works, and names one file.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#b?c%20d")
	db := open(t, filepath.Join(dir, "x.db"), testMigrations)
	if _, err := db.Writer().Exec(`INSERT INTO t (v) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err != nil {
		t.Fatalf("the database is not where it was asked to be: %v", err)
	}
	if err := Backup(context.Background(), db.Path(), filepath.Join(dir, "copy#1.db"), nil); err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundCheckpoint: with Checkpoint, the writer leaves the WAL
// alone at commit well past SQLite's 1000 pages, the checkpointer copies
// it all back, and every row written is read back after a reopen.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: path, Synchronous: Full, Migrations: testMigrations, Readers: 1, Checkpoint: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := db.Writer().QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != writerCheckpoint {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want %d", auto, err, writerCheckpoint)
	}
	big := strings.Repeat("南湖", 2000) // 12 KB: three pages a row
	for i := range 500 {
		if _, err := db.Writer().Exec(`INSERT INTO t (v) VALUES (?)`, fmt.Sprint(i, big)); err != nil {
			t.Fatal(err)
		}
	}
	walFrames := func() (frames, done int) {
		t.Helper()
		var busy int
		if err := db.ckpt.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
			t.Fatal(err)
		}
		return frames, done
	}
	db.checkpoint(slog.New(slog.DiscardHandler))
	if frames, done := walFrames(); frames <= 1000 || done != frames {
		t.Fatalf("WAL frames %d, checkpointed %d: want more than 1000 left by the writer, all copied by the checkpointer", frames, done)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, path, testMigrations)
	var n int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 500 {
		t.Fatalf("%d rows after reopening (%v), want 500", n, err)
	}
}
