package hookstream

import (
	"context"
	"errors"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// sweepInterval is how often Run releases held deliveries whose
// connection is no longer paused (stragglers of a crash, or of files
// written by an older version).
const sweepInterval = time.Minute

// sweepHeld releases the held deliveries of connections not stored as
// paused, and returns how many it released.
func (r *Router) sweepHeld(ctx context.Context) int {
	held, err := r.store.HeldConnections(ctx)
	if err != nil {
		r.logStoreError("hookstream: find held deliveries", "error", err)
		return 0
	}
	released := 0
	for _, h := range held {
		conn := new(store.Connection)
		conn.ID, conn.OrgID, conn.EnvID = h.ConnectionID, h.Tenant.OrgID, h.Tenant.EnvID
		err := r.store.Get(ctx, conn)
		if err == nil && Status(conn.Status) == StatusPaused {
			continue
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			r.logStoreError("hookstream: load connection", "connection_id", h.ConnectionID, "error", err)
			continue
		}
		n, err := r.store.ReleaseHeld(ctx, h.ConnectionID, r.now())
		if err != nil {
			r.logStoreError("hookstream: release held deliveries", "connection_id", h.ConnectionID, "error", err)
		}
		released += n
	}
	return released
}
