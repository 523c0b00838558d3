package hookstream

import (
	"context"
	"fmt"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// ListEventsParams filters a listing of events; empty fields do not filter.
type ListEventsParams struct {
	// Cursor and Limit select the page (Limit defaults to 50 here).
	ListParams
	SourceID           string
	Status             EventStatus
	DedupStatus        DedupStatus
	VerificationStatus VerificationStatus
	Method             string
	Topic              string
	// Search keeps events whose body contains the string.
	Search string
	// After and Before bound the receive time (exclusive).
	After, Before time.Time
}

// DefaultEventPageLimit is the page size of event listings.
const DefaultEventPageLimit = 50

// GetEvent returns the event with the given ID, or ErrNotFound.
func (r *Router) GetEvent(ctx context.Context, id string) (*Event, error) {
	ev, err := r.store.GetEvent(ctx, r.tenant(ctx), id)
	if err != nil {
		return nil, storeError(err, "Event")
	}
	return newEvent(ev), nil
}

// ListEvents lists events newest first, with the total matching the
// filters.
func (r *Router) ListEvents(ctx context.Context, p ListEventsParams) (Page[*Event], error) {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultEventPageLimit
	}
	page, err := r.store.ListEvents(ctx, store.EventQuery{
		Tenant: r.tenant(ctx), SourceID: p.SourceID, Status: string(p.Status), DedupStatus: string(p.DedupStatus),
		VerificationStatus: string(p.VerificationStatus), Method: p.Method, Topic: p.Topic, Search: p.Search,
		After: p.After, Before: p.Before, Cursor: p.Cursor, Limit: min(limit, MaxPageLimit),
	})
	if err != nil {
		return Page[*Event]{}, fmt.Errorf("list events: %w", err)
	}
	out := Page[*Event]{Items: make([]*Event, len(page.Events)), NextCursor: page.NextCursor, Total: page.Total}
	for i, e := range page.Events {
		out.Items[i] = newEvent(e)
	}
	return out, nil
}

// RetryResult reports a retry of every delivery of an event.
type RetryResult struct {
	// Retried holds the new attempts.
	Retried []*Attempt
	// Errors holds what went wrong for deliveries that could not be retried.
	Errors []string
}

// RetryEvent attempts every delivery of an event again at once (trigger
// manual), whatever its state, re-running the current transform of its
// connection or subscription.
func (r *Router) RetryEvent(ctx context.Context, id string) (*RetryResult, error) {
	t := r.tenant(ctx)
	if _, err := r.GetEvent(ctx, id); err != nil {
		return nil, err
	}
	ds, err := r.store.ListDeliveries(ctx, t, id)
	if err != nil {
		return nil, fmt.Errorf("retry event: %w", err)
	}
	res := &RetryResult{Retried: []*Attempt{}, Errors: []string{}}
	for _, d := range ds {
		a, err := r.retryDelivery(ctx, t, d.ID)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", d.ID, err))
			continue
		}
		res.Retried = append(res.Retried, a)
	}
	return res, nil
}
