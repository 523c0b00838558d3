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

// oneOffLease is how long an attempt made outside the scheduler (a
// replay's, a manual retry's) leases its delivery for: at most LeaseTerm
// when the store renews leases, as keepLease then renews it while the
// attempt is under way, so that a process that dies mid-attempt gives it
// back within LeaseTerm; the attempt's whole lease otherwise.
func (r *Router) oneOffLease(dst *store.Destination) time.Duration {
	ttl := r.leaseTTL(dst)
	if _, ok := r.store.(store.LeaseRenewer); ok {
		ttl = min(ttl, LeaseTerm)
	}
	return ttl
}

// keepLease renews d's lease every leaseRenewInterval, when the store
// renews leases, until stop is called: once the attempt's outcome is
// recorded (or failed to be, and the lease is left to expire).
func (r *Router) keepLease(d *store.Delivery) (stop func()) {
	renewer, ok := r.store.(store.LeaseRenewer)
	if !ok {
		return func() {}
	}
	rn := newRenewals()
	rn.add(d)
	ctx, cancel := context.WithCancel(context.Background())
	var renewing sync.WaitGroup
	renewing.Go(func() { r.renewLeases(ctx, renewer, rn) })
	return func() {
		cancel()
		renewing.Wait()
	}
}
