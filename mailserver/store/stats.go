package store

import (
	"context"
	"time"

	"nanhu/internal/sqlitedb"
)

// ReceivedPerHour counts the messages stored (each once, however many
// mailboxes it went to) in each of the hours hours from since on:
// out[0] is [since, since+1h).
func (s *Store) ReceivedPerHour(ctx context.Context, since time.Time, hours int) ([]int64, error) {
	return sqlitedb.PerHour(ctx, s.rdb, "contents", "created", 1, since, hours)
}
