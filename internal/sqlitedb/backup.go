package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/mattn/go-sqlite3"
)

// Backup copies the live database at src into a new file dst with SQLite's
// online backup API, a batch of pages at a time: the copy is the database
// as of one instant, whatever writers do meanwhile, and writers are never
// held up for long. progress, when not nil, is told how many pages each
// batch copied. dst is created 0600 and must not exist yet.
func Backup(ctx context.Context, src, dst string, progress func(pages int)) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	f, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	f.Close()
	busy := fmt.Sprintf("_busy_timeout=%d", DefaultBusyTimeout.Milliseconds())
	srcDB, err := sql.Open("sqlite3", uri(src)+"?mode=ro&"+busy)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", uri(dst)+"?"+busy)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer dstConn.Close()
	err = dstConn.Raw(func(dc any) error {
		return srcConn.Raw(func(sc any) error {
			d, ok1 := dc.(*sqlite3.SQLiteConn)
			s, ok2 := sc.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("not a SQLite connection")
			}
			b, err := d.Backup("main", s, "main")
			if err != nil {
				return err
			}
			last := 0
			for {
				if err := ctx.Err(); err != nil {
					b.Finish()
					return err
				}
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return err
				}
				if copied := b.PageCount() - b.Remaining(); copied > last {
					if progress != nil {
						progress(copied - last)
					}
					last = copied
				}
				if done {
					break
				}
			}
			return b.Finish()
		})
	})
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	return nil
}
