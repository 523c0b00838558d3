package kv

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

var _ store.QueueStater = (*Store)(nil)

// QueueStats implements store.QueueStater: one walk of BucketDue's keys
// (destination, NextAt, Seq), reading no delivery.
func (s *Store) QueueStats(ctx context.Context, now time.Time) (store.QueueStats, error) {
	var (
		stats  store.QueueStats
		oldest uint64 // timeBits of the earliest due NextAt; 0 when none
	)
	nowBits := timeBits(now)
	err := s.view(ctx, "queue stats", func(tx Tx) error {
		stats, oldest = store.QueueStats{}, 0
		c := tx.Bucket(BucketDue).Cursor()
		for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
			_, rest, ok := readStr(k)
			at, _, ok2 := readU64(rest)
			if !ok || !ok2 {
				return errCorrupt
			}
			stats.Pending++
			if at <= nowBits && (oldest == 0 || at < oldest) {
				oldest = at
			}
		}
		return nil
	})
	stats.OldestDue = bitsTime(oldest)
	return stats, err
}
