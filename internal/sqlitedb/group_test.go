package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestGroup: concurrent calls commit together, a failing one is rolled
// back alone, and a closed store refuses more.
func TestGroup(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "g.db"), Synchronous: Full, Migrations: []string{`CREATE TABLE t (n INTEGER PRIMARY KEY)`}})
	if err != nil {
		t.Fatal(err)
	}
	bad := errors.New("refused")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Group(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO t (n) VALUES (?)`, i); err != nil {
					return err
				}
				if i%10 == 3 {
					return fmt.Errorf("call %d: %w", i, bad) // its insert must not stay
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%10 == 3) != errors.Is(err, bad) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	var n, odd int
	db.Writer().QueryRow(`SELECT count(*), coalesce(sum(n % 10 = 3), 0) FROM t`).Scan(&n, &odd)
	if n != 180 || odd != 0 {
		t.Fatalf("%d rows, %d of the refused calls", n, odd)
	}
	db.Close()
	db.Close()
	if err := db.Group(ctx, func(*sql.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
