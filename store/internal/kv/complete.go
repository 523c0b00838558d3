package kv

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookstream-go/hookstream/store"
)

// Complete implements store.Queue. An outcome with an unknown Result, or
// with an Attempt whose ID is taken (store.ErrConflict), is refused on its
// own like a stale one.
func (s *Store) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	var errs []error
	local := s.localClaim.Load()
	err := s.update(ctx, "complete", func(tx Tx) (err error) {
		errs, err = s.completeTx(tx, outcomes, local)
		return err
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// completeTx applies outcomes in tx; it returns one error per outcome, and
// the error that fails the whole write.
func (s *Store) completeTx(tx Tx, outcomes []store.Outcome, local bool) ([]error, error) {
	errs := make([]error, len(outcomes))
	events := make(map[string]*touchedEvent)
	for i := range outcomes {
		err := complete(tx, &outcomes[i], events, local)
		var refused *refusal
		if errors.As(err, &refused) {
			errs[i] = s.wrap("complete "+outcomes[i].DeliveryID, refused.err)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	for id, te := range events {
		te.state.derive()
		if err := putEventState(tx, te.tenant, id, te.state, te.status); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

// refusal is an outcome refused before anything was written for it.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

// touchedEvent is an event whose state Complete changes, written once at
// the end.
type touchedEvent struct {
	tenant store.Tenant
	state  eventState
	status string // as stored
}

// complete applies one outcome; it returns a *refusal, before writing
// anything, when the outcome cannot apply. With local leases (a claimed
// LocalQueue), a delivery leased in memory has no token, and an outcome
// with none applies to it.
func complete(tx Tx, o *store.Outcome, events map[string]*touchedEvent, local bool) error {
	d, err := loadDelivery(tx, o.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return &refusal{err}
	}
	if err != nil {
		return err
	}
	if d.State != store.DeliveryPending || (d.LeaseToken == "" && !local) || d.LeaseToken != o.LeaseToken {
		return &refusal{store.ErrLeaseLost}
	}
	switch o.Result {
	case store.ResultSuccess, store.ResultRetry, store.ResultDead, store.ResultRelease:
	default:
		return &refusal{fmt.Errorf("unknown result %q", o.Result)}
	}
	attempt := o.Attempt
	if o.Result == store.ResultRelease {
		attempt = nil
	}
	if attempt != nil && tx.Bucket(BucketAttempts).Get([]byte(attempt.ID)) != nil {
		return &refusal{store.ErrConflict}
	}
	te := events[d.EventID]
	if te == nil {
		st, err := loadEventState(tx, d.EventID)
		if err != nil {
			return err
		}
		te = &touchedEvent{tenant: d.Tenant(), state: st, status: st.status}
		events[d.EventID] = te
	}

	old := *d
	d.LeaseToken, d.UpdatedAt = "", o.Now
	if o.Result == store.ResultRetry || attempt != nil {
		d.Attempts++
	}
	switch o.Result {
	case store.ResultSuccess:
		d.State = store.DeliverySucceeded
		te.state.pending--
	case store.ResultDead:
		d.State = store.DeliveryDead
		te.state.pending--
		te.state.dead++
	case store.ResultRetry:
		d.NextAt, d.Trigger = o.RetryAt, store.TriggerRetry
	case store.ResultRelease:
		d.NextAt = o.RetryAt
	}
	if err := putDelivery(tx, d, &old); err != nil {
		return err
	}
	if attempt == nil {
		return nil
	}
	a := *attempt
	fillAttempt(&a, d)
	if o.Result == store.ResultDead {
		a.IsDLQ = true
		if a.DLQAt.IsZero() {
			a.DLQAt = o.Now
		}
	}
	if err := insertAttempt(tx, &a, d); err != nil {
		return err
	}
	at := a.CreatedAt
	if at.IsZero() {
		at = o.Now
	}
	if err := bump(tx, d.DestinationID, at); err != nil {
		return err
	}
	return addRollup(tx, BucketDeliveryRollups, rollupKey(store.Tenant{OrgID: a.OrgID, EnvID: a.EnvID}, a.DestinationID, at), attemptDelta(&a))
}

// fillAttempt fills the fields of a that name its delivery, when empty,
// from the delivery.
func fillAttempt(a *store.Attempt, d *store.Delivery) {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&a.OrgID, d.OrgID}, {&a.EnvID, d.EnvID}, {&a.EventID, d.EventID}, {&a.DeliveryID, d.ID},
		{&a.ConnectionID, d.ConnectionID}, {&a.SubscriptionID, d.SubscriptionID}, {&a.DestinationID, d.DestinationID},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
}
