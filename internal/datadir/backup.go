package datadir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"nanhu/internal/sqlitedb"
)

// Manifest describes a backup folder; Restore checks it before it touches
// anything.
type Manifest struct {
	Version string            `json:"version"` // of the Nanhu that made it
	Created time.Time         `json:"created"`
	Files   map[string]string `json:"files"` // path in the backup → sha256
}

// ManifestName is the manifest's name in a backup folder.
const ManifestName = "MANIFEST.json"

// BackupOptions say how to back up a data folder.
type BackupOptions struct {
	// Registry is every part's entries (required).
	Registry Registry
	// Version is the Nanhu version, recorded in the manifest.
	Version string
	// Progress, when set, is told the work done and the whole, in database
	// pages, as the copy goes on.
	Progress func(done, total int64)
	// Note, when set, receives a line per file backed up and per file the
	// registry does not know.
	Note func(line string)
}

// BackupReport says what a backup holds.
type BackupReport struct {
	Databases int      // copied with the online backup
	Files     int      // copied as they are
	Skipped   []string // present, and not backed up by their entry's policy
	Unknown   []string // present and in no entry: copied, and worth a look
}

// Backup copies the data folder dir into the new folder out: every
// database with SQLite's online backup (each a consistent snapshot taken
// while the server keeps writing), every other file the registry says to
// copy, and a manifest of checksums last. Files the registry does not know
// are copied too, and reported, so that nothing is silently left behind.
func Backup(ctx context.Context, dir, out string, o BackupOptions) (BackupReport, error) {
	var rep BackupReport
	if err := o.Registry.Check(); err != nil {
		return rep, err
	}
	if !HoldsData(dir, o.Registry) {
		return rep, fmt.Errorf("%s is not a Nanhu data folder (it holds none of its databases)", dir)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return rep, fmt.Errorf("the backup folder %s exists and is not empty", out)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return rep, fmt.Errorf("create %s: %w", out, err)
	}
	note := o.Note
	if note == nil {
		note = func(string) {}
	}
	var dbs, files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if e, ok := o.Registry.Lookup(rel); ok && e.Policy == Skip && rel != "." {
				rep.Skipped = append(rep.Skipped, rel+"/")
				return filepath.SkipDir
			}
			return nil
		}
		e, known := o.Registry.Lookup(rel)
		switch {
		case !d.Type().IsRegular():
			// Links and devices (the simulated modem's pty) are not data.
		case !known:
			rep.Unknown = append(rep.Unknown, rel)
			files = append(files, rel)
		case e.Policy == Skip:
			rep.Skipped = append(rep.Skipped, rel)
		case e.Policy == Database && rel == e.Path:
			dbs = append(dbs, rel)
		case e.Policy == Database:
			// its -wal or -shm: inside the online copy
		default:
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(dbs)
	m := Manifest{Version: o.Version, Created: time.Now().UTC(), Files: map[string]string{}}
	var total, done int64
	for _, rel := range dbs {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			return rep, err
		}
		total += fi.Size()/4096 + 1
	}
	for _, rel := range dbs {
		dst := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return rep, err
		}
		err := sqlitedb.Backup(ctx, filepath.Join(dir, filepath.FromSlash(rel)), dst, func(pages int) {
			done += int64(pages)
			if o.Progress != nil {
				o.Progress(min(done, total), total)
			}
		})
		if err != nil {
			return rep, err
		}
		if m.Files[rel], err = fileSHA256(dst); err != nil {
			return rep, err
		}
		rep.Databases++
		note("backed up " + rel)
	}
	for _, rel := range files {
		dst := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return rep, err
		}
		if err := copyFile(filepath.Join(dir, filepath.FromSlash(rel)), dst); err != nil {
			return rep, err
		}
		var err error
		if m.Files[rel], err = fileSHA256(dst); err != nil {
			return rep, err
		}
		rep.Files++
	}
	for _, rel := range rep.Unknown {
		note("copied " + rel + ", which no part of Nanhu declares")
	}
	if o.Progress != nil {
		o.Progress(total, total)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := WriteFileAtomic(filepath.Join(out, ManifestName), b, 0o600); err != nil {
		return rep, err
	}
	return rep, nil
}

// HoldsData reports whether dir holds any database of the registry.
func HoldsData(dir string, r Registry) bool {
	for _, e := range r {
		if e.Policy == Database {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(e.Path))); err == nil {
				return true
			}
		}
	}
	return false
}

// Restore puts the backup in backupDir into the data folder dir. It
// verifies every checksum first, takes the folder's lock (so it refuses
// while a server runs), and refuses a folder that already holds data
// unless force. The registry's entries that a backup leaves out (Skip) are
// removed from the folder. It returns the manifest it restored.
func Restore(backupDir, dir string, force bool, r Registry) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(backupDir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("%s is not a Nanhu backup (no %s)", backupDir, ManifestName)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("the backup's %s is damaged: %w", ManifestName, err)
	}
	for rel, want := range m.Files {
		if !fs.ValidPath(rel) {
			return m, fmt.Errorf("the backup names an unsafe path %q", rel)
		}
		got, err := fileSHA256(filepath.Join(backupDir, filepath.FromSlash(rel)))
		if err != nil {
			return m, fmt.Errorf("the backup is incomplete: %w", err)
		}
		if got != want {
			return m, fmt.Errorf("the backup's %s is damaged (checksum mismatch)", rel)
		}
	}
	lock, err := TakeLock(dir)
	if errors.Is(err, ErrLocked) {
		return m, fmt.Errorf("nanhu serve is running on %s: stop it before restoring", dir)
	}
	if err != nil {
		return m, err
	}
	defer lock.Close()
	if HoldsData(dir, r) && !force {
		return m, fmt.Errorf("%s already holds data: restore into an empty folder or give --force", dir)
	}
	// What a backup leaves out belongs to the state being replaced: the
	// sessions, the queue's spool. It goes, so that the folder holds the
	// backup's instant and nothing of what came after (the lock stays: it
	// is held now).
	for _, e := range r {
		if e.Policy != Skip || e.Path == LockFile {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(e.Path, "/")))
		if err := os.RemoveAll(p); err != nil {
			return m, fmt.Errorf("clear %s before the restore: %w", e.Path, err)
		}
		if !e.IsFolder() {
			os.Remove(p + "-wal")
			os.Remove(p + "-shm")
		}
	}
	rels := make([]string, 0, len(m.Files))
	for rel := range m.Files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return m, err
		}
		if e, ok := r.Lookup(rel); ok && e.Policy == Database {
			// Stale WAL and shared-memory files belong to the old database.
			os.Remove(dst + "-wal")
			os.Remove(dst + "-shm")
		}
		if err := copyFile(filepath.Join(backupDir, filepath.FromSlash(rel)), dst); err != nil {
			return m, fmt.Errorf("restore %s: %w", rel, err)
		}
	}
	return m, nil
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
	return WriteFileAtomic(dst, b, fi.Mode().Perm()&0o700)
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

// Describe is a one-line summary of a report.
func (r BackupReport) Describe() string {
	s := fmt.Sprintf("%d databases, %d other files", r.Databases, r.Files)
	if len(r.Skipped) > 0 {
		s += "; not backed up by design: " + strings.Join(r.Skipped, ", ")
	}
	return s
}
