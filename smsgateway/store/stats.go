package store

import (
	"context"
	"time"

	"nanhu/internal/sqlitedb"
)

// PerHour counts, in each of the hours hours from since on, the SMS asked
// to be sent and the SMS received: out[0] is [since, since+1h).
func (s *Store) PerHour(ctx context.Context, since time.Time, hours int) (sent, received []int64, err error) {
	if sent, err = sqlitedb.PerHour(ctx, s.rdb, "message", "created_at", 1000, since, hours); err != nil {
		return nil, nil, err
	}
	if received, err = sqlitedb.PerHour(ctx, s.rdb, "inbound", "stored_at", 1000, since, hours); err != nil {
		return nil, nil, err
	}
	return sent, received, nil
}
