package hookstream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

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

// wireEventSummary is an event in a listing: without headers and payload.
type wireEventSummary struct {
	ID                 string  `json:"id"`
	SourceID           *string `json:"source_id"`
	OrgID              string  `json:"org_id"`
	EnvID              string  `json:"env_id"`
	Method             string  `json:"method"`
	ContentType        *string `json:"content_type"`
	SourceIP           *string `json:"source_ip"`
	PayloadSize        int     `json:"payload_size"`
	VerificationStatus string  `json:"verification_status"`
	VerificationError  *string `json:"verification_error"`
	DedupStatus        string  `json:"dedup_status"`
	DedupHash          *string `json:"dedup_hash"`
	Status             string  `json:"status"`
	ReceivedAt         string  `json:"received_at"`
	Topic              *string `json:"topic"`
	SourceName         *string `json:"source_name"`
	SourceSlug         *string `json:"source_slug"`
}

// wireEvent is a whole event (spec §2).
type wireEvent struct {
	ID                 string          `json:"id"`
	SourceID           *string         `json:"source_id"`
	OrgID              string          `json:"org_id"`
	EnvID              string          `json:"env_id"`
	Method             string          `json:"method"`
	Headers            *string         `json:"headers"`
	QueryParams        *string         `json:"query_params"`
	ContentType        *string         `json:"content_type"`
	SourceIP           *string         `json:"source_ip"`
	Payload            json.RawMessage `json:"payload"`
	PayloadEncoding    string          `json:"payload_encoding,omitempty"`
	PayloadSize        int             `json:"payload_size"`
	VerificationStatus string          `json:"verification_status"`
	VerificationError  *string         `json:"verification_error"`
	DedupStatus        string          `json:"dedup_status"`
	DedupHash          *string         `json:"dedup_hash"`
	Status             string          `json:"status"`
	ReceivedAt         string          `json:"received_at"`
	Topic              *string         `json:"topic"`
	SourceName         *string         `json:"source_name"`
	SourceSlug         *string         `json:"source_slug"`
}

func toWireEventSummary(e *Event) wireEventSummary {
	return wireEventSummary{
		ID: e.ID, SourceID: wireString(e.SourceID), OrgID: e.OrgID, EnvID: e.EnvID, Method: e.Method,
		ContentType: wireString(e.ContentType), SourceIP: wireString(e.SourceIP), PayloadSize: len(e.Body),
		VerificationStatus: string(e.VerificationStatus), VerificationError: wireString(e.VerificationError),
		DedupStatus: string(e.DedupStatus), DedupHash: wireString(e.DedupHash), Status: string(e.Status),
		ReceivedAt: mustTime(e.ReceivedAt), Topic: wireString(e.Topic),
		SourceName: wireString(e.SourceName), SourceSlug: wireString(e.SourceSlug),
	}
}

func toWireEvent(e *Event) wireEvent {
	s := toWireEventSummary(e)
	w := wireEvent{
		ID: s.ID, SourceID: s.SourceID, OrgID: s.OrgID, EnvID: s.EnvID, Method: s.Method,
		Headers: wireJSON(e.Headers), QueryParams: wireJSON(e.QueryParams),
		ContentType: s.ContentType, SourceIP: s.SourceIP, PayloadSize: s.PayloadSize,
		VerificationStatus: s.VerificationStatus, VerificationError: s.VerificationError,
		DedupStatus: s.DedupStatus, DedupHash: s.DedupHash, Status: s.Status, ReceivedAt: s.ReceivedAt,
		Topic: s.Topic, SourceName: s.SourceName, SourceSlug: s.SourceSlug,
	}
	w.Payload, w.PayloadEncoding = wirePayload(e.Body)
	return w
}

// wirePayload is the body as a JSON value when it is JSON, else a string
// (base64 when it is not UTF-8).
func wirePayload(body []byte) (json.RawMessage, string) {
	if len(body) == 0 {
		return json.RawMessage("null"), ""
	}
	// UTF-8 first: json.Valid accepts invalid UTF-8 inside strings, which
	// a client would decode as U+FFFD, losing the original bytes.
	if !utf8.Valid(body) {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(body))
		return b, "base64"
	}
	if json.Valid(body) {
		return compactJSON(body), ""
	}
	b, _ := json.Marshal(string(body))
	return b, ""
}

func (r *Router) apiListEvents(w http.ResponseWriter, req *http.Request) error {
	q := req.URL.Query()
	limit, err := queryInt(req, "limit", 50)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50 // as ListEvents does, so pagination.limit is the real one
	}
	if err := queryEnums(req, map[string][]string{
		"status":              {store.EventReceived, store.EventProcessing, store.EventDelivered, store.EventFailed},
		"dedup_status":        {store.DedupUnique, store.DedupDuplicate},
		"verification_status": {string(VerificationUnverified), string(VerificationVerified), string(VerificationSchemaInvalid)},
	}); err != nil {
		return err
	}
	p := ListEventsParams{
		ListParams: ListParams{Cursor: q.Get("cursor"), Limit: min(limit, MaxPageLimit)},
		SourceID:   q.Get("source_id"), Status: EventStatus(q.Get("status")), DedupStatus: DedupStatus(q.Get("dedup_status")),
		VerificationStatus: VerificationStatus(q.Get("verification_status")), Method: q.Get("method"), Topic: q.Get("topic"),
		Search: q.Get("search"),
	}
	if p.After, err = queryTime(req, "after"); err != nil {
		return err
	}
	if p.Before, err = queryTime(req, "before"); err != nil {
		return err
	}
	page, err := r.ListEvents(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireEventSummary, len(page.Items))
	for i, e := range page.Items {
		items[i] = toWireEventSummary(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"events": items,
		"pagination": map[string]any{
			"total": page.Total, "limit": p.Limit, "has_more": page.NextCursor != "", "next_cursor": wireString(page.NextCursor),
		},
	})
	return nil
}

func (r *Router) apiGetEvent(w http.ResponseWriter, req *http.Request) error {
	e, err := r.GetEvent(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"event": toWireEvent(e)})
	return nil
}

func (r *Router) apiRetryEvent(w http.ResponseWriter, req *http.Request) error {
	res, err := r.RetryEvent(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	items := make([]wireAttempt, len(res.Retried))
	for i, a := range res.Retried {
		items[i] = toWireAttempt(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"retried": items, "errors": res.Errors,
		"message": fmt.Sprintf("Retried %d of %d deliveries", len(res.Retried), len(res.Retried)+len(res.Errors)),
	})
	return nil
}

// queryTime reads an RFC 3339 query parameter (zero when absent).
func queryTime(req *http.Request, name string) (time.Time, error) {
	v := req.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be an RFC 3339 time", name))
	}
	return t, nil
}
