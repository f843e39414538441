package store

import (
	"context"
	"fmt"
	"time"
)

// ReceivedPerHour counts the messages stored (each once, however many
// mailboxes it went to) in each of the hours hours from since on:
// out[0] is [since, since+1h).
func (s *Store) ReceivedPerHour(ctx context.Context, since time.Time, hours int) ([]int64, error) {
	out := make([]int64, hours)
	from := since.Unix()
	rows, err := s.rdb.QueryContext(ctx, `SELECT (created - ?) / 3600, count(*) FROM contents WHERE created >= ? AND created < ? GROUP BY 1`,
		from, from, from+int64(hours)*3600)
	if err != nil {
		return nil, fmt.Errorf("count mail per hour: %w", err)
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
