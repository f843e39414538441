package datadir

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Policy is what a backup does with an entry.
type Policy int

const (
	// Database: a SQLite database, copied with SQLite's online backup (a
	// consistent instant while the server writes); its -wal and -shm
	// files belong to it and are not copied apart.
	Database Policy = iota + 1
	// Copy: a file, or every file of a folder, copied as it is. For keys
	// and certificates, which change rarely and atomically.
	Copy
	// Skip: not backed up; the entry's Reason says why nothing is lost.
	Skip
)

func (p Policy) String() string {
	switch p {
	case Database:
		return "backed up (a consistent online copy)"
	case Copy:
		return "backed up (copied)"
	case Skip:
		return "not backed up"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Entry is one file or folder that a part keeps in the data folder.
type Entry struct {
	// Path is relative to the data folder, with slashes; a folder ends in
	// "/" and covers everything under it.
	Path string
	// Part names the owner: "mailserver", "oa", "smsgateway", "queue",
	// "web", "nanhu".
	Part string
	// About says what it holds, for the README and the backup's report.
	About string
	// Title says it in Chinese, for the administration's pages.
	Title string
	// Policy is what a backup does with it.
	Policy Policy
	// Reason is, for Skip, why it needs no backup.
	Reason string
}

// IsFolder reports whether the entry is a folder.
func (e Entry) IsFolder() bool { return strings.HasSuffix(e.Path, "/") }

// Registry is every entry of a data folder. Each part declares its own;
// the binary joins them.
type Registry []Entry

// Check reports a registry with an entry that is unnamed, duplicated,
// without a policy, or skipped without a reason.
func (r Registry) Check() error {
	seen := map[string]bool{}
	for _, e := range r {
		switch {
		case e.Path == "" || strings.HasPrefix(e.Path, "/") || strings.Contains(e.Path, ".."):
			return fmt.Errorf("data folder registry: bad path %q", e.Path)
		case seen[e.Path]:
			return fmt.Errorf("data folder registry: %s is declared twice", e.Path)
		case e.Policy < Database || e.Policy > Skip:
			return fmt.Errorf("data folder registry: %s has no backup policy", e.Path)
		case e.Policy == Skip && e.Reason == "":
			return fmt.Errorf("data folder registry: %s is not backed up and says not why", e.Path)
		case e.Policy == Database && e.IsFolder():
			return fmt.Errorf("data folder registry: the database %s is a folder", e.Path)
		case e.Part == "" || e.About == "":
			return fmt.Errorf("data folder registry: %s needs its part and what it holds", e.Path)
		}
		seen[e.Path] = true
	}
	return nil
}

// Lookup finds the entry that covers rel (a slash-separated path relative
// to the folder): the file itself, its -wal, -shm or -journal file (a
// SQLite database's), or a file under a folder entry.
func (r Registry) Lookup(rel string) (Entry, bool) {
	rel = path.Clean(rel)
	for _, e := range r {
		switch {
		case e.IsFolder() && strings.HasPrefix(rel+"/", e.Path):
			return e, true
		case rel == e.Path:
			return e, true
		case !e.IsFolder() && (rel == e.Path+"-wal" || rel == e.Path+"-shm" || rel == e.Path+"-journal"):
			return e, true
		}
	}
	return Entry{}, false
}

// Sorted returns the entries in path order.
func (r Registry) Sorted() Registry {
	out := slices.Clone(r)
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Markdown is the registry as the README's table of the data folder.
func (r Registry) Markdown() string {
	var b strings.Builder
	b.WriteString("| file | part | what it holds | backup |\n|---|---|---|---|\n")
	for _, e := range r.Sorted() {
		backup := e.Policy.String()
		if e.Policy == Skip {
			backup += ": " + e.Reason
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.Path, e.Part, e.About, backup)
	}
	return b.String()
}

// Own is the data folder's own entry: its lock.
var Own = Registry{{
	Path:   LockFile,
	Part:   "nanhu",
	About:  "the lock of the one process serving the folder, with its pid",
	Title:  "数据目录锁（正在运行的进程号）",
	Policy: Skip,
	Reason: "held only while a server runs",
}}
