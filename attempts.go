package hookstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	d, err = r.store.Requeue(ctx, t, deliveryID, store.TriggerManual, r.now(), r.leaseTTL(dst))
	if err != nil {
		return nil, storeError(err, "Delivery")
	}
	f := r.attempt(ctx, job{d: d, dst: dst})
	errs, err := r.store.Complete(context.WithoutCancel(ctx), []store.Outcome{f.outcome})
	if err == nil {
		err = errs[0]
	}
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
	c := circuit.Reset(r.now())
	if err := r.store.PutCircuit(ctx, dst.ID, c); err != nil {
		return Circuit{}, fmt.Errorf("reset circuit: %w", err)
	}
	r.resetCircuits.Store(true)
	r.wakeScheduler()
	return newCircuit(c), nil
}

type wireCircuit struct {
	State            string  `json:"state"`
	FailureCount     int     `json:"failure_count"`
	OpenedAt         *string `json:"opened_at"`
	NextProbeAt      *string `json:"next_probe_at"`
	LastTransitionAt *string `json:"last_transition_at"`
}

func toWireCircuit(c Circuit) wireCircuit {
	return wireCircuit{State: string(c.State), FailureCount: c.FailureCount, OpenedAt: wireTime(c.OpenedAt),
		NextProbeAt: wireTime(c.NextProbeAt), LastTransitionAt: wireTime(c.LastTransitionAt)}
}

// wireAttempt is a delivery attempt (spec §2).
type wireAttempt struct {
	ID              string  `json:"id"`
	OrgID           string  `json:"org_id"`
	EnvID           string  `json:"env_id"`
	EventID         string  `json:"event_id"`
	ConnectionID    *string `json:"connection_id"`
	SubscriptionID  *string `json:"subscription_id"`
	DestinationID   string  `json:"destination_id"`
	RequestURL      *string `json:"request_url"`
	RequestMethod   *string `json:"request_method"`
	RequestHeaders  *string `json:"request_headers"`
	RequestBodySize int     `json:"request_body_size"`
	ResponseStatus  *int    `json:"response_status"`
	ResponseHeaders *string `json:"response_headers"`
	ResponseBody    *string `json:"response_body"`
	// ResponseBodyTruncated marks a response_body cut at 4 KiB.
	ResponseBodyTruncated int     `json:"response_body_truncated"`
	DurationMS            int64   `json:"duration_ms"`
	Status                string  `json:"status"`
	Error                 *string `json:"error"`
	CreatedAt             string  `json:"created_at"`
	AttemptNumber         int     `json:"attempt_number"`
	NextRetryAt           *string `json:"next_retry_at"`
	IsDLQ                 int     `json:"is_dlq"`
	DLQAt                 *string `json:"dlq_at"`
	TriggerType           string  `json:"trigger_type"`
	ConnectionName        *string `json:"connection_name"`
	DestinationName       *string `json:"destination_name"`
}

func toWireAttempt(a *Attempt) wireAttempt {
	w := wireAttempt{
		ID: a.ID, OrgID: a.OrgID, EnvID: a.EnvID, EventID: a.EventID,
		ConnectionID: wireString(a.ConnectionID), SubscriptionID: wireString(a.SubscriptionID),
		DestinationID: a.DestinationID, RequestURL: wireString(a.RequestURL),
		RequestMethod: wireString(a.RequestMethod), RequestHeaders: wireJSON(a.RequestHeaders),
		RequestBodySize: a.RequestBodySize, ResponseHeaders: wireJSON(a.ResponseHeaders),
		ResponseBody: wireString(a.ResponseBody), ResponseBodyTruncated: wireBool(a.ResponseBodyTruncated),
		DurationMS: a.DurationMS, Status: string(a.Status), Error: wireString(a.Error),
		CreatedAt: mustTime(a.CreatedAt), AttemptNumber: a.AttemptNumber, NextRetryAt: wireTime(a.NextRetryAt),
		IsDLQ: wireBool(a.IsDLQ), DLQAt: wireTime(a.DLQAt), TriggerType: string(a.Trigger),
		ConnectionName: wireString(a.ConnectionName), DestinationName: wireString(a.DestinationName),
	}
	if a.ResponseStatus != 0 {
		w.ResponseStatus = &a.ResponseStatus
	}
	return w
}

func (r *Router) apiListAttempts(w http.ResponseWriter, req *http.Request) error {
	q := req.URL.Query()
	limit, err := queryInt(req, "limit", 50)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	if err := queryEnums(req, map[string][]string{"status": {store.AttemptPending, store.AttemptSuccess, store.AttemptFailed}}); err != nil {
		return err
	}
	offset, err := queryInt(req, "offset", 0)
	if err != nil {
		return err
	}
	limit = min(limit, MaxPageLimit)
	p := ListAttemptsParams{
		ListParams: ListParams{Cursor: strconv.Itoa(offset), Limit: limit},
		EventID:    q.Get("event_id"), ConnectionID: q.Get("connection_id"), DestinationID: q.Get("destination_id"),
		Status: AttemptStatus(q.Get("status")), DLQOnly: q.Get("is_dlq") == "1" || q.Get("is_dlq") == "true",
	}
	page, err := r.ListAttempts(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireAttempt, len(page.Items))
	for i, a := range page.Items {
		items[i] = toWireAttempt(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"delivery_attempts": items,
		"pagination": map[string]any{
			"total": page.Total, "limit": limit, "offset": offset, "has_more": page.NextCursor != "",
		},
	})
	return nil
}

func (r *Router) apiGetAttempt(w http.ResponseWriter, req *http.Request) error {
	a, err := r.GetAttempt(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivery_attempt": toWireAttempt(a)})
	return nil
}

func (r *Router) apiRetryAttempt(w http.ResponseWriter, req *http.Request) error {
	a, err := r.RetryAttempt(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivery_attempt": toWireAttempt(a)})
	return nil
}

func (r *Router) apiGetCircuit(w http.ResponseWriter, req *http.Request) error {
	c, err := r.GetCircuit(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"circuit": toWireCircuit(c)})
	return nil
}

func (r *Router) apiResetCircuit(w http.ResponseWriter, req *http.Request) error {
	c, err := r.ResetCircuit(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"circuit": toWireCircuit(c)})
	return nil
}
