package hookstream

import (
	"context"
	"fmt"
	"time"
)

// DefaultRetention is how long Run keeps finished events by default.
const DefaultRetention = 30 * 24 * time.Hour

// KeepForever, as Config.Retention, turns background pruning off: events
// stay until PruneEvents is called.
const KeepForever time.Duration = -1

// Bounds of how often Run prunes: a hundredth of the retention, but at
// most every retentionMinInterval and at least every retentionMaxInterval,
// so that each pass has little to do.
const (
	retentionMinInterval = time.Second
	retentionMaxInterval = time.Minute
)

// PruneEvents deletes events received more than olderThan ago whose
// deliveries are all finished (succeeded or dead), with their deliveries
// and attempts, and forgets dedup keys that expired more than olderThan
// ago. Events still being delivered are kept whatever their age. It
// also deletes the replay jobs that ended more than olderThan ago, and the
// metrics rollups of hours older than olderThan or MetricsRetention,
// whichever is longer. It returns how many events it deleted. Run calls it in the background with Config.Retention; call it
// yourself for a one-off cleanup.
func (r *Router) PruneEvents(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		return 0, invalid("older_than", "must be positive")
	}
	now := r.now()
	n, err := r.store.PruneEvents(ctx, now.Add(-olderThan))
	if err != nil {
		return n, fmt.Errorf("prune events: %w", err)
	}
	if _, err := r.store.PruneReplays(ctx, now.Add(-olderThan)); err != nil {
		return n, fmt.Errorf("prune replay jobs: %w", err)
	}
	if _, err := r.store.PruneRollups(ctx, now.Add(-max(olderThan, MetricsRetention))); err != nil {
		return n, fmt.Errorf("prune rollups: %w", err)
	}
	return n, nil
}

// retentionInterval is how often Run prunes with the configured retention.
func (r *Router) retentionInterval() time.Duration {
	return min(max(r.cfg.Retention/100, retentionMinInterval), retentionMaxInterval)
}

// retain prunes events older than Config.Retention at start and then every
// retentionInterval, until ctx is done. The store prunes in transactions
// of a few hundred events, so ingest and delivery writes interleave with
// a long prune rather than wait for it.
func (r *Router) retain(ctx context.Context) {
	if r.cfg.Retention < 0 {
		return
	}
	tick := time.NewTicker(r.retentionInterval())
	defer tick.Stop()
	for {
		n, err := r.PruneEvents(ctx, r.cfg.Retention)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.log.Error("hookstream: prune old events", "error", err)
		case n > 0:
			r.log.Debug("hookstream: pruned old events", "events", n, "retention", r.cfg.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
