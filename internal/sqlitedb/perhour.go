package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PerHour counts the rows of table whose time column col (in units
// per second: 1 for Unix seconds, 1000 for milliseconds) falls in each of
// the hours hours from since on: out[0] is [since, since+1h). col should be
// indexed. table and col are the caller's own names, never input.
func PerHour(ctx context.Context, db *sql.DB, table, col string, unitsPerSecond int64, since time.Time, hours int) ([]int64, error) {
	out := make([]int64, hours)
	step := 3600 * unitsPerSecond
	from := since.UnixMilli() * unitsPerSecond / 1000
	rows, err := db.QueryContext(ctx, `SELECT (`+col+` - ?) / ?, count(*) FROM `+table+` WHERE `+col+` >= ? AND `+col+` < ? GROUP BY 1`,
		from, step, from, from+int64(hours)*step)
	if err != nil {
		return nil, fmt.Errorf("count %s per hour: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			return nil, err
		}
		if h >= 0 && h < int64(hours) {
			out[h] = n
		}
	}
	return out, rows.Err()
}
