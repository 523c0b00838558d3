package hookstream

import (
	"context"
	"fmt"
	"time"
)

// PruneEvents deletes events received more than olderThan ago whose
// deliveries are all finished (succeeded or dead), with their deliveries
// and attempts, and forgets expired dedup keys. Events still being
// delivered are kept whatever their age. It returns how many events it
// deleted; run it periodically to bound the store's size.
func (r *Router) PruneEvents(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		return 0, invalid("older_than", "must be positive")
	}
	n, err := r.store.PruneEvents(ctx, r.now().Add(-olderThan))
	if err != nil {
		return n, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}
