package store

import (
	"context"
	"time"
)

// Replay job statuses.
const (
	ReplayRunning   = "running"
	ReplayCompleted = "completed"
	ReplayFailed    = "failed"
	ReplayCancelled = "cancelled"
)

// ReplayJob is a replay of a time range's events to one destination: a
// resource of KindReplayJob (Create, Get and List serve it) whose progress
// and claim change through ReplayStore.
type ReplayJob struct {
	Meta
	DestinationID string `json:"destination_id"`
	// SourceID and ConnectionID, when set, narrow the events replayed.
	SourceID     string    `json:"source_id"`
	ConnectionID string    `json:"connection_id"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	RateLimit    int       `json:"rate_limit"`
	MaxEvents    int       `json:"max_events"`
	Status       string    `json:"status"`
	// Total is how many events the job replays; Processed how many it has
	// replayed, of which Succeeded and Failed.
	Total     int `json:"total"`
	Processed int `json:"processed"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Cursor is the walk's position: the ReplayEvents cursor after the last
	// event counted in Processed ("" before the first).
	Cursor      string    `json:"cursor"`
	Error       string    `json:"error"`
	StartedAt   time.Time `json:"started_at"`
	CompletedAt time.Time `json:"completed_at"`
	// LeaseOwner is the process driving the job until LeaseUntil; once
	// that has passed, any process may claim it (ClaimReplays).
	LeaseOwner string    `json:"lease_owner"`
	LeaseUntil time.Time `json:"lease_until"`
}

// Kind returns KindReplayJob.
func (*ReplayJob) Kind() Kind { return KindReplayJob }

// UniqueKeys holds the ID and, while the job runs, ReplayRunningKey(ID):
// the keys of running jobs are how a store finds them to claim.
func (j *ReplayJob) UniqueKeys() []string {
	if j.Status == ReplayRunning {
		return []string{IDKey(j.ID), ReplayRunningKey(j.ID)}
	}
	return []string{IDKey(j.ID)}
}

// Refs is empty: a job keeps no resource from being deleted (a job whose
// destination or connection is deleted fails).
func (*ReplayJob) Refs() []Ref { return nil }

// SaveOver returns the job SaveReplay stores when owner saves j over the
// stored job: j with the stored CreatedAt and, when the job was cancelled
// meanwhile, the stored Status and CompletedAt and no claim. It returns
// ErrLeaseLost when owner does not hold the stored job (or is empty).
// Stores call it on the stored job they locked.
func (j *ReplayJob) SaveOver(stored *ReplayJob, owner string) (*ReplayJob, error) {
	if stored.LeaseOwner != owner || owner == "" {
		return nil, ErrLeaseLost
	}
	next := *j
	next.CreatedAt = stored.CreatedAt
	if stored.Status == ReplayCancelled {
		next.Status, next.CompletedAt = stored.Status, stored.CompletedAt
		next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	}
	return &next, nil
}

// ReplayRunningKey is the unique key a running replay job holds.
func ReplayRunningKey(id string) string { return "running:" + id }

// ReplayStore serves replay jobs: the walk over a time range's events,
// the deliveries a replay adds to them, and the claim that lets one
// process at a time drive a job. Every method is atomic on its own.
type ReplayStore interface {
	// ReplayEvents returns up to q.Limit events of q.Tenant received in
	// [q.From, q.To), oldest first (by ReceivedAt, then in the order they
	// were stored), after q.Cursor, with NextCursor continuing after the
	// last of them (empty when no event follows). Duplicates (DedupStatus
	// duplicate) are left out. It returns ErrInvalidCursor for a cursor it
	// did not hand out.
	ReplayEvents(ctx context.Context, q ReplayQuery) (ReplayPage, error)
	// CountReplayEvents counts the events ReplayEvents walks for q (its
	// Cursor and Limit ignored), stopping at max.
	CountReplayEvents(ctx context.Context, q ReplayQuery, max int) (int, error)
	// AddDelivery stores d as a new pending delivery of an existing event
	// (d.EventID, in d's tenant) and sets the event's status back to
	// processing. With lease > 0 the delivery is leased to the caller
	// until now+lease with a fresh LeaseToken, as Requeue does; otherwise
	// it is due at now. It returns the delivery as stored, ErrNotFound
	// when the event is not in d's tenant, and ErrConflict when d.ID is
	// taken (its delivery is left as it is).
	AddDelivery(ctx context.Context, d *Delivery, now time.Time, lease time.Duration) (*Delivery, error)
	// ClaimReplays claims, for owner until now+ttl (or later, when the
	// owner held the job until later), up to limit running jobs of any
	// tenant, oldest first, whose lease has expired at now or that owner
	// holds already, and returns them. A job is held by one owner at a
	// time; its owner keeps it by saving it (SaveReplay) before LeaseUntil,
	// and gives it up by saving it with a zero LeaseUntil.
	ClaimReplays(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*ReplayJob, error)
	// SaveReplay stores job (its progress, status and lease) over the
	// stored job when owner holds that, and returns the job as stored. A
	// job cancelled meanwhile stays cancelled: its progress is stored, its
	// Status and CompletedAt are kept, and the claim is given up. It
	// returns ErrLeaseLost when another owner (or none) holds the job, and
	// ErrNotFound when there is none in job's tenant.
	SaveReplay(ctx context.Context, job *ReplayJob, owner string) (*ReplayJob, error)
	// CancelReplay sets a running job of tenant t to cancelled, with
	// CompletedAt now, whoever drives it (its driver learns it at its next
	// SaveReplay), and returns the job as stored; a job that has ended is
	// returned unchanged. ErrNotFound when there is none in t.
	CancelReplay(ctx context.Context, t Tenant, id string, now time.Time) (*ReplayJob, error)
	// PruneReplays deletes the jobs of every tenant that ended (completed,
	// failed or cancelled) before cutoff, and returns how many. Running
	// jobs are kept whatever their age.
	PruneReplays(ctx context.Context, cutoff time.Time) (int, error)
}

// ReplayQuery selects the events a replay walks.
type ReplayQuery struct {
	Tenant Tenant
	// SourceID, when set, keeps the events of that source.
	SourceID string
	// ConnectionID, when set, keeps the events that have a delivery of
	// that connection: those it routed.
	ConnectionID string
	// From and To bound ReceivedAt: From ≤ ReceivedAt < To.
	From, To time.Time
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Limit is the page size; values below 1 mean 1.
	Limit int
}

// ReplayPage is one page of a replay's walk, oldest first.
type ReplayPage struct {
	Events     []*Event
	NextCursor string
}
