package hookstream

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookstream-go/hookstream/store"
)

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
		"method":              ingestMethods,
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

func (r *Router) apiListAttempts(w http.ResponseWriter, req *http.Request) error {
	q := req.URL.Query()
	limit, err := queryInt(req, "limit", 50)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	if err := queryEnums(req, map[string][]string{
		"status": {store.AttemptPending, store.AttemptSuccess, store.AttemptFailed},
		"is_dlq": {"0", "1", "false", "true"},
	}); err != nil {
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

// apiIngest serves ANY /v1/ingest/{source_id}.
func (r *Router) apiIngest(w http.ResponseWriter, req *http.Request) error {
	switch req.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		w.Header().Set("Allow", "DELETE, GET, PATCH, POST, PUT")
		return withMessage(errMethodNotAllowed, "Method not allowed")
	}
	res, err := r.Ingest(req.Context(), req.PathValue("source_id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
