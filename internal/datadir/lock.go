package datadir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// LockFile is the lock's name in the data folder.
const LockFile = "serve.lock"

// ErrLocked is returned by Lock when another process serves the folder.
var ErrLocked = errors.New("another Nanhu process is using the data folder")

// Create makes the data folder (and its parents) when missing, private to
// its owner (0700); a folder others may read is tightened.
func Create(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the data folder %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("create the data folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the data folder %s is not a folder", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("make the data folder %s private: %w", dir, err)
		}
	}
	return nil
}

// Lock is the exclusive hold of one process on a data folder.
type Lock struct {
	f *os.File
}

// TakeLock creates the folder when missing and takes its lock, without
// waiting: a folder another process holds gives an error wrapping ErrLocked
// that names the holder's pid. The lock ends with Close or with the
// process (the kernel drops it, so a killed server leaves none behind).
func TakeLock(dir string) (*Lock, error) {
	if err := Create(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data folder %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		holder := ""
		if b, rerr := os.ReadFile(filepath.Join(dir, LockFile)); rerr == nil {
			if pid, perr := strconv.Atoi(string(bytes.TrimSpace(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		return nil, fmt.Errorf("%w%s: %s", ErrLocked, holder, dir)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, fsyncs it and renames it into place (then fsyncs the folder), so
// a crash leaves the old file or the new one, never half of one.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
