package hookstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hookstream-go/hookstream/internal/circuit"
	"github.com/hookstream-go/hookstream/store"
)

// ListAttemptsParams filters a listing of delivery attempts; empty fields
// do not filter.
type ListAttemptsParams struct {
	// Cursor and Limit select the page (Limit defaults to 50 here).
	ListParams
	EventID       string
	ConnectionID  string
	DestinationID string
	Status        AttemptStatus
	// DLQOnly keeps dead-lettered attempts only.
	DLQOnly bool
}

// DefaultAttemptPageLimit is the page size of attempt listings.
const DefaultAttemptPageLimit = 50

// ListAttempts lists delivery attempts newest first, with their total.
func (r *Router) ListAttempts(ctx context.Context, p ListAttemptsParams) (Page[*Attempt], error) {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultAttemptPageLimit
	}
	limit = min(limit, MaxPageLimit)
	offset, err := offsetCursor(p.Cursor)
	if err != nil {
		return Page[*Attempt]{}, err
	}
	as, total, err := r.store.ListAttempts(ctx, store.AttemptQuery{
		Tenant: r.tenant(ctx), EventID: p.EventID, ConnectionID: p.ConnectionID,
		DestinationID: p.DestinationID, Status: string(p.Status), DLQOnly: p.DLQOnly,
		Limit: limit, Offset: offset,
	})
	if err != nil {
		return Page[*Attempt]{}, fmt.Errorf("list attempts: %w", err)
	}
	out := Page[*Attempt]{Items: make([]*Attempt, len(as)), Total: total}
	for i, a := range as {
		out.Items[i] = newAttempt(a)
	}
	if offset+len(as) < total {
		out.NextCursor = strconv.Itoa(offset + len(as))
	}
	return out, nil
}

// offsetCursor reads the cursor of an offset-paginated listing: the
// offset of its next page, in decimal.
func offsetCursor(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(cursor)
	if err != nil || n < 0 {
		return 0, store.ErrInvalidCursor
	}
	return n, nil
}

// GetAttempt returns the delivery attempt with the given ID, or
// ErrNotFound.
func (r *Router) GetAttempt(ctx context.Context, id string) (*Attempt, error) {
	a, err := r.store.GetAttempt(ctx, r.tenant(ctx), id)
	if err != nil {
		return nil, storeError(err, "Delivery attempt")
	}
	return newAttempt(a), nil
}

// RetryAttempt attempts the delivery of an attempt again at once (trigger
// manual) and returns the new attempt. It re-runs the current transform,
// and it is made even while the destination's circuit is open: it is an
// explicit request. Should it fail, the delivery follows its retry policy
// from the number of attempts it has made.
func (r *Router) RetryAttempt(ctx context.Context, id string) (*Attempt, error) {
	a, err := r.store.GetAttempt(ctx, r.tenant(ctx), id)
	if err != nil {
		return nil, storeError(err, "Delivery attempt")
	}
	return r.retryDelivery(ctx, r.tenant(ctx), a.DeliveryID)
}

// retryDelivery leases one delivery to this call, attempts it, and records
// the outcome.
func (r *Router) retryDelivery(ctx context.Context, t Tenant, deliveryID string) (*Attempt, error) {
	d, err := r.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, storeError(err, "Delivery")
	}
	dst, err := r.routes().destination(ctx, d.DestinationID)
	if err != nil {
		return nil, err
	}
	d, err = r.store.Requeue(ctx, t, deliveryID, store.TriggerManual, r.now(), r.oneOffLease(dst))
	if err != nil {
		return nil, storeError(err, "Delivery")
	}
	stopRenewing := r.keepLease(d)
	f := r.attempt(ctx, job{d: d, dst: dst})
	err = r.completeOne(context.WithoutCancel(ctx), f)
	stopRenewing()
	if err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	if f.outcome.Attempt == nil {
		return nil, errors.New("retry delivery: the store is unavailable; the delivery is queued")
	}
	if f.outcome.Result == store.ResultRetry {
		r.wakeScheduler()
	}
	return newAttempt(f.outcome.Attempt), nil
}

// GetCircuit returns a destination's circuit breaker state.
func (r *Router) GetCircuit(ctx context.Context, destinationID string) (Circuit, error) {
	dst, err := r.GetDestination(ctx, destinationID)
	if err != nil {
		return Circuit{}, err
	}
	c, err := r.store.GetCircuit(ctx, dst.ID)
	if c.State == "" {
		c.State = store.CircuitClosed
	}
	return newCircuit(c), err
}

// ResetCircuit closes a destination's circuit breaker: its held deliveries
// are attempted at once. A running scheduler picks the reset up at its next
// look (Config.PollInterval at the latest).
func (r *Router) ResetCircuit(ctx context.Context, destinationID string) (Circuit, error) {
	dst, err := r.GetDestination(ctx, destinationID)
	if err != nil {
		return Circuit{}, err
	}
	old, err := r.store.GetCircuit(ctx, dst.ID)
	if err != nil {
		return Circuit{}, fmt.Errorf("reset circuit: %w", err)
	}
	c := circuit.Reset(r.now())
	if err := r.store.PutCircuit(ctx, dst.ID, c); err != nil {
		return Circuit{}, fmt.Errorf("reset circuit: %w", err)
	}
	r.circuitChanged(ctx, dst.ID, old, c)
	r.resetCircuits.Store(true)
	r.wakeScheduler()
	return newCircuit(c), nil
}
