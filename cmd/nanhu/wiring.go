package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"nanhu/internal/daemon"
	"nanhu/internal/datadir"
	"nanhu/internal/logring"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
	"nanhu/oa/org"
	oapages "nanhu/oa/pages"
	"nanhu/portal/cases"
	"nanhu/queue"
	"nanhu/smsgateway"
)

// mailAccounts adapts the organisation's directory (oa/org) to what the
// mail server asks of it (accounts.Directory); the mail server never
// imports oa.
type mailAccounts struct{ org *org.Directory }

func (m mailAccounts) Authenticate(ctx context.Context, username, password string) (string, error) {
	u, err := m.org.Authenticate(ctx, username, password)
	switch {
	case errors.Is(err, org.ErrDisabled):
		return "", fmt.Errorf("%w: %v", accounts.ErrDisabled, err)
	case errors.Is(err, org.ErrBadCredentials), errors.Is(err, org.ErrNotFound), errors.Is(err, org.ErrInvalid):
		return "", fmt.Errorf("%w: %v", accounts.ErrBadCredentials, err)
	case err != nil:
		return "", err
	}
	return u.Login, nil
}

func (m mailAccounts) Resolve(ctx context.Context, address string) ([]string, error) {
	logins, err := m.org.Resolve(ctx, address)
	if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) || errors.Is(err, org.ErrDisabled) {
		return nil, fmt.Errorf("%w: %v", accounts.ErrUnknownRecipient, err)
	}
	return logins, err
}

func (m mailAccounts) SenderAddresses(ctx context.Context, login string) ([]string, error) {
	u, err := m.org.User(ctx, login)
	if err != nil {
		return nil, err
	}
	return u.Addresses, nil
}

func (m mailAccounts) IsLocalDomain(ctx context.Context, domain string) bool {
	ok, err := m.org.IsLocalDomain(ctx, domain)
	return err == nil && ok
}

func (m mailAccounts) Quota(ctx context.Context, login string) (int64, error) {
	u, err := m.org.User(ctx, login)
	if err != nil {
		return 0, err
	}
	return u.QuotaBytes, nil
}

func (m mailAccounts) SharedMailboxes(ctx context.Context, login string) ([]accounts.Shared, error) {
	all, err := m.org.SharedMailboxesOf(ctx, login)
	if err != nil {
		return nil, err
	}
	out := make([]accounts.Shared, 0, len(all))
	for _, s := range all {
		out = append(out, accounts.Shared{Owner: s.Owner, Name: strings.ReplaceAll(s.Name, "/", "-"), Address: s.Address})
	}
	return out, nil
}

// DisplayName is the person's name, for the Sender header of mail sent as
// a shared mailbox or a list.
func (m mailAccounts) DisplayName(ctx context.Context, login string) (string, error) {
	u, err := m.org.User(ctx, login)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

// ListMembers is the logins on the list at address (accounts.SenderDirectory).
func (m mailAccounts) ListMembers(ctx context.Context, address string) ([]string, error) {
	logins, err := m.org.ListMembers(ctx, address)
	if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) {
		return nil, fmt.Errorf("%w: %v", accounts.ErrUnknownRecipient, err)
	}
	return logins, err
}

// system is the whole process as the status page sees it (oapages.System).
type system struct {
	d     *daemon.Daemon
	q     *queue.Queue
	store *store.Store
	sms   *smsgateway.Gateway // nil without a gateway
	data  string
	ring  *logring.Ring
}

func (s *system) Parts(ctx context.Context) []daemon.Status { return s.d.Status(ctx) }
func (s *system) Queue() ([]queue.TopicStats, error)        { return s.q.Stats() }
func (s *system) Problems() []logring.Entry                 { return s.ring.Recent() }
func (s *system) Started() time.Time                        { return s.d.Since() }

func (s *system) Disk() (oapages.DiskUse, error) {
	abs, err := filepath.Abs(s.data)
	if err != nil {
		abs = s.data
	}
	du := oapages.DiskUse{Folder: abs}
	sizes := map[string]int64{}
	reg := dataFiles()
	err = filepath.WalkDir(s.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		rel, _ := filepath.Rel(s.data, p)
		key := "（其他）"
		if e, ok := reg.Lookup(filepath.ToSlash(rel)); ok {
			key = e.Path
		}
		sizes[key] += fi.Size()
		du.Total += fi.Size()
		return nil
	})
	if err != nil {
		return du, err
	}
	for _, e := range reg.Sorted() {
		if n, ok := sizes[e.Path]; ok {
			about := e.Title
			if about == "" {
				about = e.About
			}
			du.Files = append(du.Files, oapages.FileUse{Path: e.Path, About: about, Bytes: n})
		}
	}
	if n, ok := sizes["（其他）"]; ok {
		du.Files = append(du.Files, oapages.FileUse{Path: "（其他）", About: "未登记的文件", Bytes: n})
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.data, &st); err == nil {
		du.Free, du.Size = int64(st.Bavail)*int64(st.Bsize), int64(st.Blocks)*int64(st.Bsize)
	}
	return du, nil
}

func (s *system) PerHour(ctx context.Context, since time.Time, hours int) (mail, sent, received []int64, err error) {
	if mail, err = s.store.ReceivedPerHour(ctx, since, hours); err != nil {
		return nil, nil, nil, err
	}
	if s.sms == nil {
		return mail, make([]int64, hours), make([]int64, hours), nil
	}
	sent, received, err = s.sms.Store().PerHour(ctx, since, hours)
	return mail, sent, received, err
}

// Backup writes a backup of the data folder into nanhu-backups/ beside it.
func (s *system) Backup(ctx context.Context, progress func(done, total int64), note func(string)) (string, error) {
	dir := filepath.Join(filepath.Dir(filepath.Clean(s.data)), "nanhu-backups", time.Now().Format("20060102-150405"))
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	rep, err := datadir.Backup(ctx, s.data, dir, datadir.BackupOptions{Registry: dataFiles(), Version: version,
		Progress: progress, Note: func(line string) { note(strings.Replace(line, "backed up ", "已备份 ", 1)) }})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s（%d 个数据库，%d 个其他文件）", dir, rep.Databases, rep.Files), nil
}

// caseFiles gives OA's 来信 pages the attachments the portal keeps with
// the citizens' cases.
type caseFiles struct{ s *server }

var errNoCases = errors.New("the portal keeps no cases")

func (c caseFiles) store() (*cases.Store, error) {
	if c.s.portal == nil || c.s.portal.Cases() == nil {
		return nil, errNoCases
	}
	return c.s.portal.Cases(), nil
}

func (c caseFiles) CaseFiles(ctx context.Context, caseID int64) ([]oapages.CaseFile, error) {
	st, err := c.store()
	if err != nil {
		return nil, nil
	}
	fs, err := st.Files(ctx, caseID)
	var out []oapages.CaseFile
	for _, f := range fs {
		out = append(out, oapages.CaseFile{ID: f.ID, Name: f.Name, Type: f.ContentType, Size: f.Size})
	}
	return out, err
}

func (c caseFiles) CaseFile(ctx context.Context, caseID, n int64) (oapages.CaseFile, error) {
	st, err := c.store()
	if err != nil {
		return oapages.CaseFile{}, err
	}
	f, err := st.FileOf(ctx, caseID, n)
	return oapages.CaseFile{ID: f.ID, Name: f.Name, Type: f.ContentType, Size: f.Size, Data: f.Data}, err
}
