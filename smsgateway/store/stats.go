package store

import (
	"context"
	"fmt"
	"time"
)

// PerHour counts, in each of the hours hours from since on, the SMS asked
// to be sent and the SMS received: out[0] is [since, since+1h).
func (s *Store) PerHour(ctx context.Context, since time.Time, hours int) (sent, received []int64, err error) {
	count := func(table, col string) ([]int64, error) {
		out := make([]int64, hours)
		from := since.UnixMilli()
		rows, err := s.rdb.QueryContext(ctx, `SELECT (`+col+` - ?) / 3600000, count(*) FROM `+table+` WHERE `+col+` >= ? AND `+col+` < ? GROUP BY 1`,
			from, from, from+int64(hours)*3600000)
		if err != nil {
			return nil, fmt.Errorf("count SMS per hour: %w", err)
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
	if sent, err = count("message", "created_at"); err != nil {
		return nil, nil, err
	}
	if received, err = count("inbound", "stored_at"); err != nil {
		return nil, nil, err
	}
	return sent, received, nil
}
