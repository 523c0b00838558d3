package hookstream

import (
	"net/http"
	"reflect"
)

// replayEndpoints are the REST operations on replay jobs (spec §4.7).
func (r *Router) replayEndpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/v1/replay", handle: r.apiListReplays},
		{method: "POST", path: "/v1/replay", handle: r.apiStartReplay},
		{method: "GET", path: "/v1/replay/{id}", handle: r.apiGetReplay},
		{method: "POST", path: "/v1/replay/{id}/cancel", handle: r.apiCancelReplay},
	}
}

// replayDocs documents replayEndpoints for the OpenAPI document.
func replayDocs() map[string]apiDoc {
	job := wireReplayJob{}
	return map[string]apiDoc{
		"GET /v1/replay": {summary: "List replay jobs", status: 200, response: list("jobs", job)},
		"POST /v1/replay": {summary: "Start a replay job", request: ReplayParams{}, required: []string{"destination_id", "from", "to"},
			status: 201, response: one("job", job)},
		"GET /v1/replay/{id}":         {summary: "Get a replay job", status: 200, response: one("job", job)},
		"POST /v1/replay/{id}/cancel": {summary: "Cancel a replay job", status: 200, response: one("job", job)},
	}
}

// replayOperations are the OpenAPI operations of replayEndpoints.
func replayOperations() map[string]openAPIOperation {
	return map[string]openAPIOperation{
		"GET /v1/replay": {id: "listReplayJobs", tag: tagReplay, query: listQuery(DefaultPageLimit), description: "Newest first."},
		"POST /v1/replay": {id: "startReplayJob", tag: tagReplay, body: "ReplayCreate",
			description: "Replays the events received in [from, to) before the job started (only source_id's, or only those connection_id routed), " +
				"oldest first, to the destination: at most max_events, at most rate_limit a second, each as one attempt with trigger_type replay that is not retried. " +
				"An unknown destination, source or connection, or a range without events, is a 404 (Destination or events not found)."},
		"GET /v1/replay/{id}": {id: "getReplayJob", tag: tagReplay},
		"POST /v1/replay/{id}/cancel": {id: "cancelReplayJob", tag: tagReplay,
			description: "Stops a running job: no further event is sent. A job that has ended is answered as it is."},
	}
}

// wireReplayJob is a replay job as the REST API shows it: the fields of
// spec §4.7, and error (this project's addition: why a failed job
// stopped).
type wireReplayJob struct {
	ID            string       `json:"id"`
	DestinationID string       `json:"destination_id"`
	SourceID      *string      `json:"source_id"`
	ConnectionID  *string      `json:"connection_id"`
	From          string       `json:"from"`
	To            string       `json:"to"`
	RateLimit     int          `json:"rate_limit"`
	MaxEvents     int          `json:"max_events"`
	Status        ReplayStatus `json:"status"`
	Total         int          `json:"total"`
	Processed     int          `json:"processed"`
	Succeeded     int          `json:"succeeded"`
	Failed        int          `json:"failed"`
	StartedAt     string       `json:"started_at"`
	CompletedAt   *string      `json:"completed_at"`
	Error         *string      `json:"error"`
}

func toWireReplayJob(j *ReplayJob) wireReplayJob {
	return wireReplayJob{
		ID: j.ID, DestinationID: j.DestinationID, SourceID: wireString(j.SourceID), ConnectionID: wireString(j.ConnectionID),
		From: mustTime(j.From), To: mustTime(j.To), RateLimit: j.RateLimit, MaxEvents: j.MaxEvents, Status: j.Status,
		Total: j.Total, Processed: j.Processed, Succeeded: j.Succeeded, Failed: j.Failed,
		StartedAt: mustTime(j.StartedAt), CompletedAt: wireTime(j.CompletedAt), Error: wireString(j.Error),
	}
}

// replayFieldDocs documents the fields of replay requests and jobs.
func replayFieldDocs() map[reflect.Type]map[string]schema {
	timestamp := schema{"format": "date-time", "pattern": wireTimePattern,
		"description": "RFC 3339 in UTC with exactly three fractional digits, e.g. 2026-12-01T20:57:10.374Z."}
	return map[reflect.Type]map[string]schema{
		reflect.TypeFor[ReplayParams](): {
			"from":       {"description": "The earliest received_at replayed (inclusive). RFC 3339, any precision."},
			"to":         {"description": "The received_at the replay stops before (exclusive); events received after the job started are not replayed. RFC 3339, any precision."},
			"rate_limit": {"minimum": 0, "maximum": MaxReplayRateLimit, "default": DefaultReplayRateLimit, "description": "Events sent a second at most (0: the default)."},
			"max_events": {"minimum": 0, "maximum": MaxReplayMaxEvents, "default": DefaultReplayMaxEvents, "description": "Events sent at most (0: the default)."},
			"source_id":  {"description": "Only this source's events."},
			"connection_id": {"description": "Only the events this connection routed (it has a delivery of them), sent through its transform; " +
				"source_id, when also given, must be the connection's source."},
		},
		reflect.TypeFor[wireReplayJob](): {
			"from": timestamp, "to": timestamp,
			"total":     {"description": "How many events the job replays: those of the range when it started, at most max_events."},
			"processed": {"description": "How many of them it has replayed: succeeded + failed."},
			"error":     {"description": "Why a failed job stopped (its destination or connection was deleted); null otherwise."},
		},
	}
}

func (r *Router) apiStartReplay(w http.ResponseWriter, req *http.Request) error {
	var p ReplayParams
	ctx, err := r.decodeBody(w, req, &p)
	if err != nil {
		return err
	}
	job, err := r.StartReplay(ctx, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"job": toWireReplayJob(job)})
	return nil
}

func (r *Router) apiGetReplay(w http.ResponseWriter, req *http.Request) error {
	job, err := r.GetReplay(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": toWireReplayJob(job)})
	return nil
}

func (r *Router) apiListReplays(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListReplays(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireReplayJob, len(page.Items))
	for i, j := range page.Items {
		items[i] = toWireReplayJob(j)
	}
	writeJSON(w, http.StatusOK, listBody("jobs", items, page.NextCursor))
	return nil
}

func (r *Router) apiCancelReplay(w http.ResponseWriter, req *http.Request) error {
	job, err := r.CancelReplay(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": toWireReplayJob(job)})
	return nil
}
