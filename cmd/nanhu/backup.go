package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func init() {
	register("backup", "make a consistent online backup of the data folder", runBackup)
	register("restore", "restore a backup into a data folder (server stopped)", runRestore)
}

// manifest describes a backup folder; restore checks it before it touches
// anything.
type manifest struct {
	Version string            `json:"version"`
	Created time.Time         `json:"created"`
	Files   map[string]string `json:"files"` // path in the backup → sha256
}

const manifestName = "MANIFEST.json"

// runBackup copies every database of the data folder with SQLite's online
// backup API (each one a consistent snapshot, taken while the server keeps
// writing) and every other file (TLS and DKIM keys), into OUT.
func runBackup(args []string) error {
	fset := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := fset.String("data", "./nanhu-data", "data folder to back up")
	pos, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: nanhu backup [--data DIR] OUT")
	}
	return backup(context.Background(), *data, pos[0], os.Stderr)
}

func backup(ctx context.Context, data, out string, progress io.Writer) error {
	if _, err := os.Stat(filepath.Join(data, "org.db")); err != nil {
		return fmt.Errorf("%s is not a Nanhu data folder (no org.db)", data)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("the backup folder %s exists and is not empty", out)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	var dbs, files []string
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(data, path)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			// Links and devices (the simulated modem's pty link) are
			// not data.
		case strings.HasSuffix(rel, ".db"):
			dbs = append(dbs, rel)
		case strings.HasSuffix(rel, "-wal"), strings.HasSuffix(rel, "-shm"), strings.HasSuffix(rel, "-journal"), rel == "serve.lock":
			// part of a database, or the server's lock
		case strings.HasPrefix(rel, "nsqd"+string(filepath.Separator)):
			// queue spool: transient
		default:
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", data, err)
	}
	sort.Strings(dbs)
	m := manifest{Version: version, Created: time.Now().UTC(), Files: map[string]string{}}

	// Size the progress bar by the pages of every database.
	type src struct {
		rel   string
		pages int
	}
	var total int64
	srcs := make([]src, 0, len(dbs))
	for _, rel := range dbs {
		fi, err := os.Stat(filepath.Join(data, rel))
		if err != nil {
			return err
		}
		srcs = append(srcs, src{rel, int(fi.Size()/4096) + 1})
		total += fi.Size()/4096 + 1
	}
	var bar *progressbar.ProgressBar
	if f, ok := progress.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("backup"),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
	}
	for _, s := range srcs {
		dst := filepath.Join(out, s.rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if err := backupDB(ctx, filepath.Join(data, s.rel), dst, func(done int) {
			if bar != nil {
				bar.Add(done)
			}
		}); err != nil {
			return fmt.Errorf("back up %s: %w", s.rel, err)
		}
		sum, err := fileSHA256(dst)
		if err != nil {
			return err
		}
		m.Files[s.rel] = sum
		if bar == nil {
			fmt.Fprintf(progress, "backed up %s\n", s.rel)
		}
	}
	for _, rel := range files {
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(data, rel), dst); err != nil {
			return err
		}
		sum, err := fileSHA256(dst)
		if err != nil {
			return err
		}
		m.Files[rel] = sum
	}
	if bar != nil {
		bar.Finish()
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(filepath.Join(out, manifestName), b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(progress, "backup of %s written to %s: %d databases, %d other files\n", data, out, len(dbs), len(files))
	return nil
}

// backupDB copies one live database page by page with SQLite's backup API;
// the copy is the database as of one instant, whatever writers do meanwhile.
func backupDB(ctx context.Context, srcPath, dstPath string, progress func(pages int)) error {
	srcDB, err := sql.Open("sqlite3", "file:"+srcPath+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", "file:"+dstPath+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer dstConn.Close()
	return dstConn.Raw(func(dc any) error {
		return srcConn.Raw(func(sc any) error {
			b, err := dc.(*sqlite3.SQLiteConn).Backup("main", sc.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			last := 0
			for {
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return err
				}
				copied := b.PageCount() - b.Remaining()
				if copied > last {
					progress(copied - last)
					last = copied
				}
				if done {
					break
				}
			}
			return b.Finish()
		})
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, b, fi.Mode().Perm())
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runRestore puts a backup into a data folder. The server must be stopped
// (restore takes the same lock as `nanhu serve`), and a folder that already
// holds data is only overwritten with --force.
func runRestore(args []string) error {
	fset := flag.NewFlagSet("restore", flag.ContinueOnError)
	data := fset.String("data", "./nanhu-data", "data folder to restore into")
	force := fset.Bool("force", false, "overwrite a data folder that already holds data")
	pos, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: nanhu restore [--data DIR] [--force] BACKUP")
	}
	return restore(pos[0], *data, *force, os.Stderr)
}

func restore(backupDir, data string, force bool, w io.Writer) error {
	b, err := os.ReadFile(filepath.Join(backupDir, manifestName))
	if err != nil {
		return fmt.Errorf("%s is not a Nanhu backup (no %s)", backupDir, manifestName)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("the backup's %s is damaged: %w", manifestName, err)
	}
	for rel, want := range m.Files {
		if strings.Contains(rel, "..") || filepath.IsAbs(rel) {
			return fmt.Errorf("the backup names an unsafe path %q", rel)
		}
		got, err := fileSHA256(filepath.Join(backupDir, rel))
		if err != nil {
			return fmt.Errorf("the backup is incomplete: %w", err)
		}
		if got != want {
			return fmt.Errorf("the backup's %s is damaged (checksum mismatch)", rel)
		}
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", data, err)
	}
	lock, err := os.OpenFile(filepath.Join(data, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock the data folder: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("nanhu serve is running on %s: stop it before restoring", data)
	}
	if _, err := os.Stat(filepath.Join(data, "org.db")); err == nil && !force {
		return fmt.Errorf("%s already holds data: restore into an empty folder or give --force", data)
	}
	rels := make([]string, 0, len(m.Files))
	for rel := range m.Files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		dst := filepath.Join(data, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if strings.HasSuffix(rel, ".db") {
			// Stale WAL and shared-memory files belong to the old database.
			os.Remove(dst + "-wal")
			os.Remove(dst + "-shm")
		}
		if err := copyFile(filepath.Join(backupDir, rel), dst); err != nil {
			return fmt.Errorf("restore %s: %w", rel, err)
		}
	}
	fmt.Fprintf(w, "restored %d files from %s (made %s by nanhu %s) into %s\n", len(rels), backupDir, m.Created.Format(time.RFC3339), m.Version, data)
	return nil
}
