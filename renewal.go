package hookstream

import (
	"context"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// LeaseTerm is how long the scheduler's leases last with a store that
// renews leases (store.LeaseRenewer: PostgreSQL): it leases for LeaseTerm
// (or the attempt's whole lease, timeout + 1 s + Config.LeaseMargin, when
// that is shorter) and renews the leases of the attempts under way every
// LeaseTerm/3, from the attempt's start until its outcome is recorded. A
// process that dies stops renewing, and its deliveries are due again
// within LeaseTerm, whatever the destination's timeout.
const LeaseTerm = 15 * time.Second

// leaseRenewInterval is how often the leases under way are renewed: a
// third of the term, so that two renewals can fail before one expires.
const leaseRenewInterval = LeaseTerm / 3

// renewals holds the leases of the attempts under way, by delivery ID.
// Its methods do nothing on a nil *renewals (a store that does not renew).
type renewals struct {
	mu     sync.Mutex
	leases map[string]*store.Delivery
}

func newRenewals() *renewals { return &renewals{leases: map[string]*store.Delivery{}} }

// add holds d's lease (its ID and LeaseToken) for renewal.
func (rn *renewals) add(d *store.Delivery) {
	if rn == nil {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.leases[d.ID] = d
}

// ended stops renewing the leases of outcomes that are recorded (or
// failed to be: the lease then expires within LeaseTerm and the delivery
// is attempted again). A lease is dropped only if it is the outcome's
// (its token): the scheduler may already have leased the delivery again.
func (rn *renewals) ended(outcomes []store.Outcome) {
	if rn == nil {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	for _, o := range outcomes {
		if d, ok := rn.leases[o.DeliveryID]; ok && d.LeaseToken == o.LeaseToken {
			delete(rn.leases, o.DeliveryID)
		}
	}
}

// held returns the leases to renew.
func (rn *renewals) held() []*store.Delivery {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	ds := make([]*store.Delivery, 0, len(rn.leases))
	for _, d := range rn.leases {
		ds = append(ds, d)
	}
	return ds
}

// renewLeases renews the leases of rn every leaseRenewInterval until ctx
// ends.
func (r *Router) renewLeases(ctx context.Context, renewer store.LeaseRenewer, rn *renewals) {
	tick := time.NewTicker(leaseRenewInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ds := rn.held()
		if len(ds) == 0 {
			continue
		}
		if err := renewer.RenewLeases(ctx, ds, r.now().Add(LeaseTerm)); err != nil && ctx.Err() == nil {
			r.logStoreError("hookstream: renew leases", "error", err)
		}
	}
}
