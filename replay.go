package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Bounds of replay jobs (spec §4.7).
const (
	// DefaultReplayRateLimit is how many events a second a replay sends
	// when its params name no rate.
	DefaultReplayRateLimit = 10
	// MaxReplayRateLimit is the fastest rate a replay may ask for.
	MaxReplayRateLimit = 100
	// DefaultReplayMaxEvents is how many events a replay sends at most
	// when its params name no maximum.
	DefaultReplayMaxEvents = 1000
	// MaxReplayMaxEvents is the largest maximum a replay may ask for.
	MaxReplayMaxEvents = 10000
)

// ReplayStatus is the state of a replay job.
type ReplayStatus string

// Replay job statuses.
const (
	// ReplayRunning: the job is replaying (or waits for a Run to drive it).
	ReplayRunning ReplayStatus = store.ReplayRunning
	// ReplayCompleted: every event of the job was replayed.
	ReplayCompleted ReplayStatus = store.ReplayCompleted
	// ReplayFailed: the job stopped on an error it cannot get past (its
	// destination or connection was deleted); Error says which.
	ReplayFailed ReplayStatus = store.ReplayFailed
	// ReplayCancelled: CancelReplay stopped it.
	ReplayCancelled ReplayStatus = store.ReplayCancelled
)

// ReplayParams starts a replay job: the events received in [From, To)
// (optionally only one source's, or those one connection routed), sent
// again to one destination, oldest first.
type ReplayParams struct {
	// DestinationID is where the events go; required.
	DestinationID string `json:"destination_id" limit:"id=dst"`
	// SourceID, when set, replays only that source's events.
	SourceID string `json:"source_id" limit:"id=src"`
	// ConnectionID, when set, replays only the events the connection
	// routed, through its transform.
	ConnectionID string `json:"connection_id" limit:"id=conn"`
	// From and To bound the events' received_at: From ≤ received_at < To;
	// both required.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// RateLimit is how many events a second are sent at most: 1 to
	// MaxReplayRateLimit. Defaults to DefaultReplayRateLimit.
	RateLimit int `json:"rate_limit"`
	// MaxEvents is how many events are sent at most: 1 to
	// MaxReplayMaxEvents. Defaults to DefaultReplayMaxEvents.
	MaxEvents int `json:"max_events"`
}

// UnmarshalJSON reads params as the REST API sends them, naming a field
// that is no RFC 3339 time in the error.
func (p *ReplayParams) UnmarshalJSON(data []byte) error {
	type plain ReplayParams
	var wire struct {
		plain
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			te.Field = strings.TrimPrefix(te.Field, "plain.") // named as the API spells it
		}
		return err
	}
	*p = ReplayParams(wire.plain)
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *time.Time
	}{{"from", wire.From, &p.From}, {"to", wire.To, &p.To}} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(f.raw, &s) != nil {
			return invalid(f.name, "must be an RFC 3339 time")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return invalid(f.name, "must be an RFC 3339 time")
		}
		*f.dst = t
	}
	return nil
}

// ReplayJob is a replay: what it replays, and how far it got.
type ReplayJob struct {
	// ID is "rpl_" followed by 32 lowercase hex digits.
	ID           string
	OrgID, EnvID string
	// DestinationID, SourceID, ConnectionID, From, To, RateLimit and
	// MaxEvents are the job's params, defaults filled in.
	DestinationID, SourceID, ConnectionID string
	From, To                              time.Time
	RateLimit, MaxEvents                  int
	Status                                ReplayStatus
	// Total is how many events the job replays: those of the range when it
	// started, at most MaxEvents. Processed counts those replayed so far,
	// Succeeded and Failed their attempts' outcomes.
	Total, Processed, Succeeded, Failed int
	// Error says why a failed job stopped.
	Error string
	// StartedAt is when the job was made; CompletedAt when it ended (zero
	// while it runs).
	StartedAt, CompletedAt time.Time
}

func newReplayJob(j *store.ReplayJob) *ReplayJob {
	return &ReplayJob{
		ID: j.ID, OrgID: j.OrgID, EnvID: j.EnvID,
		DestinationID: j.DestinationID, SourceID: j.SourceID, ConnectionID: j.ConnectionID,
		From: j.From, To: j.To, RateLimit: j.RateLimit, MaxEvents: j.MaxEvents, Status: ReplayStatus(j.Status),
		Total: j.Total, Processed: j.Processed, Succeeded: j.Succeeded, Failed: j.Failed, Error: j.Error,
		StartedAt: j.StartedAt, CompletedAt: j.CompletedAt,
	}
}

// errReplayNotFound is the spec's answer for a replay whose destination
// is unknown or whose range holds no event.
var errReplayNotFound = withMessage(ErrNotFound, "Destination or events not found")

// StartReplay starts a replay job and returns it, running: a running Run
// (this Router's, or another sharing the store) replays its events, each
// through the normal delivery path (the destination's method, headers,
// auth and signing; the connection's transform when ConnectionID is set)
// as one attempt with trigger replay, never retried. An unknown
// destination, source or connection, or a range without events, is
// ErrNotFound ("Destination or events not found"); invalid params a
// *ValidationError.
func (r *Router) StartReplay(ctx context.Context, p ReplayParams) (_ *ReplayJob, err error) {
	defer func() { err = forResource(err, "replay") }()
	if err := p.check(); err != nil {
		return nil, err
	}
	t := r.tenant(ctx)
	dst := &store.Destination{}
	if err := r.getResource(ctx, dst, p.DestinationID); err != nil {
		return nil, notFoundAs(err, errReplayNotFound)
	}
	if p.SourceID != "" {
		if err := r.getResource(ctx, &store.Source{}, p.SourceID); err != nil {
			return nil, notFoundAs(err, errReplayNotFound)
		}
	}
	if p.ConnectionID != "" {
		conn := &store.Connection{}
		if err := r.getResource(ctx, conn, p.ConnectionID); err != nil {
			return nil, notFoundAs(err, errReplayNotFound)
		}
		if p.SourceID != "" && p.SourceID != conn.SourceID {
			return nil, invalid("source_id", "must be the source of connection_id")
		}
	}
	now := r.now()
	job := &store.ReplayJob{
		DestinationID: dst.ID, SourceID: p.SourceID, ConnectionID: p.ConnectionID,
		From: p.From.UTC(), To: p.To.UTC(), RateLimit: p.RateLimit, MaxEvents: p.MaxEvents,
		Status: store.ReplayRunning, StartedAt: now,
	}
	total, err := r.store.CountReplayEvents(ctx, replayQuery(job, t), job.MaxEvents)
	if err != nil {
		return nil, fmt.Errorf("start replay: %w", err)
	}
	if total == 0 {
		return nil, errReplayNotFound
	}
	job.Total = total
	if err := r.createResource(ctx, job, prefixReplay); err != nil {
		return nil, fmt.Errorf("start replay: %w", err)
	}
	r.replays.wake()
	return newReplayJob(job), nil
}

// check validates params and fills in their defaults.
func (p *ReplayParams) check() error {
	if err := checkLimits(p); err != nil {
		return err
	}
	if err := required("destination_id", p.DestinationID); err != nil {
		return err
	}
	switch {
	case p.From.IsZero():
		return invalid("from", "is required")
	case p.To.IsZero():
		return invalid("to", "is required")
	case !p.To.After(p.From):
		return invalid("to", "must be after from")
	}
	if p.RateLimit == 0 {
		p.RateLimit = DefaultReplayRateLimit
	}
	if p.RateLimit < 1 || p.RateLimit > MaxReplayRateLimit {
		return invalid("rate_limit", "must be between 1 and %d", MaxReplayRateLimit)
	}
	if p.MaxEvents == 0 {
		p.MaxEvents = DefaultReplayMaxEvents
	}
	if p.MaxEvents < 1 || p.MaxEvents > MaxReplayMaxEvents {
		return invalid("max_events", "must be between 1 and %d", MaxReplayMaxEvents)
	}
	return nil
}

// replayQuery selects the events job replays: those of its range received
// before it started (events that arrive later are not replayed).
func replayQuery(job *store.ReplayJob, t Tenant) store.ReplayQuery {
	from, to := job.From, job.To
	if job.StartedAt.Before(to) {
		to = job.StartedAt
	}
	if epoch := time.Unix(0, 0).UTC(); from.Before(epoch) {
		from = epoch // no event is older, and earlier times do not fit the stores' keys
	}
	return store.ReplayQuery{Tenant: t, SourceID: job.SourceID, ConnectionID: job.ConnectionID, From: from, To: to}
}

// notFoundAs is err, or notFound when err is store.ErrNotFound.
func notFoundAs(err, notFound error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	return err
}

// GetReplay returns the replay job with the given ID, or ErrNotFound.
func (r *Router) GetReplay(ctx context.Context, id string) (*ReplayJob, error) {
	job := new(store.ReplayJob)
	if err := r.getResource(ctx, job, id); err != nil {
		return nil, storeError(err, "Replay job")
	}
	return newReplayJob(job), nil
}

// ListReplays lists replay jobs, newest first.
func (r *Router) ListReplays(ctx context.Context, p ListParams) (Page[*ReplayJob], error) {
	page, err := listResources[*store.ReplayJob](ctx, r, store.KindReplayJob, p)
	if err != nil {
		return Page[*ReplayJob]{}, fmt.Errorf("list replays: %w", err)
	}
	return mapPage(page, newReplayJob), nil
}

// CancelReplay cancels a running replay job and returns it: no further
// event is sent (attempts under way end and are counted). A job that has
// ended is returned as it is; an unknown one is ErrNotFound.
func (r *Router) CancelReplay(ctx context.Context, id string) (*ReplayJob, error) {
	job, err := r.store.CancelReplay(ctx, r.tenant(ctx), id, r.now())
	if err != nil {
		return nil, storeError(err, "Replay job")
	}
	r.replays.interrupt(job.ID)
	return newReplayJob(job), nil
}
