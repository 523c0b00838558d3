package postgres

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

var _ store.QueueStater = (*Store)(nil)

// QueueStats implements store.QueueStater in one statement over the
// deliveries_due index (pending, unheld deliveries).
func (s *Store) QueueStats(ctx context.Context, now time.Time) (store.QueueStats, error) {
	if err := s.begin(ctx, "queue stats"); err != nil {
		return store.QueueStats{}, err
	}
	var (
		stats  store.QueueStats
		oldest *time.Time
	)
	err := s.pool.QueryRow(ctx, s.sql(`SELECT count(*), min(next_at) FILTER (WHERE next_at <= $1)
		FROM {s}.deliveries WHERE state = 'pending' AND NOT held`), now).Scan(&stats.Pending, &oldest)
	if err != nil {
		return store.QueueStats{}, s.wrap("queue stats", err)
	}
	if oldest != nil {
		stats.OldestDue = utc(*oldest)
	}
	return stats, nil
}
