// Package store defines the storage contract of hookstream: the Store
// interface and the records it keeps. It imports nothing of the root package,
// so a storage engine can be written against it alone.
//
// A Store keeps five kinds of data:
//
//   - configuration resources (sources, destinations, connections, topics,
//     subscriptions, environments, API keys), all behind the small generic
//     Resource API: Create, Get, Lookup, Update, Delete and List;
//   - events, written together with their deliveries in one atomic operation;
//   - the delivery queue: deliveries are leased with an expiry, and every
//     completion must present the lease token it was given, so a lease that
//     expired and was handed to another worker can no longer be completed;
//   - hourly rollups of events and attempts, kept in the same writes, that
//     metrics are read from (RollupStore);
//   - replay jobs (ReplayStore): resources whose progress and claim change
//     atomically, with the walk over a time range's events they replay.
//
// Every method takes a context first and is atomic on its own. Time is always
// an argument, never read from the clock, so callers (and tests) control it.
// Implementations must pass the conformance suite in package storetest.
package store

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Errors every Store returns (wrapped or not) so callers can branch with
// errors.Is.
var (
	// ErrNotFound: the record does not exist, or exists in another tenant.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique key (slug, subscription pair, ID) is taken, or a
	// record is still referenced by others and cannot be deleted.
	ErrConflict = errors.New("store: conflict")
	// ErrLeaseLost: a delivery was completed with a lease token that is no
	// longer current (the lease expired and was given to someone else, or the
	// delivery was completed already).
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrInvalidCursor: a listing was given a cursor it did not hand out.
	ErrInvalidCursor = errors.New("store: invalid cursor")
)

// Store is the storage engine behind a Router. Every method is safe for
// concurrent use and atomic on its own.
type Store interface {
	ResourceStore
	EventStore
	Queue
	RollupStore
	ReplayStore
	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// Tenant names the organization and environment that own a record. Every
// read and write is scoped to one: a record of another tenant is reported as
// ErrNotFound, exactly as if it did not exist.
type Tenant struct {
	OrgID string
	EnvID string
}

// ResourceStore keeps configuration resources. Each resource kind has its own
// ID space, unique keys and newest-first ordering.
type ResourceStore interface {
	// Create stores a new resource. It returns ErrConflict when the ID or one
	// of r.UniqueKeys() is taken, and ErrNotFound when one of r.Refs() does
	// not exist in r's tenant. The store keeps a copy: later changes to r do
	// not reach it.
	Create(ctx context.Context, r Resource) error
	// Get fills r with the stored resource of r's kind, tenant and ID (read
	// from r.Base()). It returns ErrNotFound when there is none in that tenant.
	Get(ctx context.Context, r Resource) error
	// Lookup fills r with the resource of r's kind that holds the unique key,
	// whatever its tenant (API keys are found by their hash this way). It
	// returns ErrNotFound when no resource holds the key.
	Lookup(ctx context.Context, r Resource, uniqueKey string) error
	// Update replaces the stored resource that has r's kind, tenant and ID.
	// It returns ErrNotFound when there is none, ErrConflict when a new
	// unique key of r is held by another resource, and ErrNotFound when a ref
	// does not exist. CreatedAt is kept from the stored record.
	Update(ctx context.Context, r Resource) error
	// Delete removes the resource of the given kind, tenant and ID. It
	// returns ErrNotFound when there is none, and ErrConflict when other
	// resources still reference it (see Resource.Refs).
	Delete(ctx context.Context, kind Kind, t Tenant, id string) error
	// List returns one page of the tenant's resources of q.Kind, newest
	// first (ErrInvalidCursor for a cursor it did not hand out). Pages are stable: resources created after the first page was
	// read never shift later pages. When q.Tenant.EnvID is empty, every
	// environment of the org is listed (used for environments themselves).
	List(ctx context.Context, q ListQuery) (Page[Resource], error)
	// GetMany returns the resources of kind with the given IDs in tenant t,
	// in the order of ids (once each), leaving out those that do not exist
	// there: the lookups of a listing's page in one call.
	GetMany(ctx context.Context, kind Kind, t Tenant, ids []string) ([]Resource, error)
}

// ListQuery selects a page of resources.
type ListQuery struct {
	Kind   Kind
	Tenant Tenant
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Limit is the page size; values below 1 mean 20.
	Limit int
	// RefersTo, when set, keeps only the resources that point to every one
	// of these (each is among their Refs): the connections of a source, the
	// subscriptions of a topic. The page still holds up to Limit of them.
	// SQL stores serve it from the indexes of their reference columns.
	RefersTo []Ref
}

// Matches reports whether r passes q's filter: it points to every
// resource of q.RefersTo.
func (q ListQuery) Matches(r Resource) bool {
	refs := r.Refs()
	for _, want := range q.RefersTo {
		if !slices.Contains(refs, want) {
			return false
		}
	}
	return true
}

// Page is one page of a newest-first listing.
type Page[T any] struct {
	Items []T
	// NextCursor continues the listing; empty when there is no more.
	NextCursor string
}

// HasMore reports whether another page follows.
func (p Page[T]) HasMore() bool { return p.NextCursor != "" }

// ListAll returns every resource of q's kind and tenant (ignoring q.Cursor
// and q.Limit), converted to T. It is meant for loading configuration
// snapshots, not for API listings.
func ListAll[T Resource](ctx context.Context, s ResourceStore, q ListQuery) ([]T, error) {
	var all []T
	q.Cursor, q.Limit = "", 100
	for {
		page, err := s.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Items {
			all = append(all, r.(T))
		}
		if !page.HasMore() {
			return all, nil
		}
		q.Cursor = page.NextCursor
	}
}

// EventStore keeps events and delivery attempts.
type EventStore interface {
	// InsertEvent stores e together with one pending delivery per element
	// of ds, in a single atomic and durable operation: when it returns nil,
	// both survive a crash. IDs, EventID, tenant and Seq of the deliveries are
	// filled in by the caller except Seq, which the store assigns.
	//
	// Deduplication: when e.DedupKey is set and another event of the same
	// source stored that key with an expiry after e.ReceivedAt, e is stored
	// with DedupStatus "duplicate" and ds are dropped. Otherwise the key is
	// remembered until e.DedupUntil. The caller reads e.DedupStatus after.
	//
	// Counters: the source's (e.SourceID) event count and last event time,
	// and each delivery's connection's, are advanced. So is the event's hourly
	// rollup (see RollupStore).
	//
	// Deliveries with Held set wait (not due) until ReleaseHeld.
	// It returns ErrConflict when e.ID is taken.
	InsertEvent(ctx context.Context, e *Event, ds []*Delivery) error
	// GetEvent returns the event with the given ID in tenant t, or ErrNotFound.
	GetEvent(ctx context.Context, t Tenant, id string) (*Event, error)
	// ListEvents returns events newest first, filtered by q, with the number
	// of events matching q's filters in Total (ErrInvalidCursor for a cursor
	// it did not hand out).
	ListEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// GetAttempt returns the delivery attempt with the given ID in tenant t,
	// or ErrNotFound.
	GetAttempt(ctx context.Context, t Tenant, id string) (*Attempt, error)
	// ListAttempts returns attempts newest first filtered by q, with offset
	// pagination and the total number matching.
	ListAttempts(ctx context.Context, q AttemptQuery) ([]*Attempt, int, error)
	// Counters returns the activity counters recorded for source,
	// connection or destination IDs, one per ID in order (zero values for an
	// ID with none).
	Counters(ctx context.Context, ids []string) ([]Counter, error)
	// PruneEvents deletes events received before cutoff whose deliveries are
	// all finished (succeeded or dead), with their deliveries and attempts,
	// and dedup keys that expired before cutoff. It returns how many events
	// it deleted.
	PruneEvents(ctx context.Context, cutoff time.Time) (int, error)
}

// Counter is an activity counter kept by the store.
type Counter struct {
	Count int64
	Last  time.Time
}

// Queue is the durable delivery queue.
//
// A delivery is due when it is pending, not held, and its NextAt is not after
// now. Leasing a delivery moves its NextAt to the lease expiry and gives it a
// new LeaseToken; so when a process dies holding a lease, the delivery simply
// becomes due again when the lease expires, and the dead process's token is
// refused from then on.
type Queue interface {
	// DueDestinations returns the IDs of destinations that have due
	// deliveries at now, and the earliest NextAt after now of any pending,
	// unheld delivery (zero when there is none).
	DueDestinations(ctx context.Context, now time.Time) ([]string, time.Time, error)
	// Lease leases up to limit due deliveries of one destination, oldest
	// (lowest NextAt, then Seq) first, until now+ttl, and returns them with
	// their new LeaseToken.
	Lease(ctx context.Context, destinationID string, now time.Time, limit int, ttl time.Duration) ([]*Delivery, error)
	// Complete records the outcomes of leased deliveries in one atomic
	// write. For each outcome it stores the attempt (if any) and then either
	// finishes the delivery (success or dead letter) or makes it due again at
	// Outcome.RetryAt. The event's status follows its deliveries: delivered
	// when all succeeded, failed when any is dead and none is pending,
	// processing otherwise. Destination counters and hourly rollups (see
	// RollupStore) advance with each attempt.
	// It returns one error per outcome (nil, or ErrLeaseLost when the token
	// is stale, or ErrNotFound); the returned error is for the write itself.
	Complete(ctx context.Context, outcomes []Outcome) ([]error, error)
	// GetDelivery returns the delivery with the given ID, or ErrNotFound.
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries returns the deliveries of an event, in Seq order.
	ListDeliveries(ctx context.Context, t Tenant, eventID string) ([]*Delivery, error)
	// Requeue makes a finished or pending delivery due at now again with the
	// given trigger (a manual retry or a replay), replacing any lease, and
	// sets its event's status back to processing. With lease > 0 the
	// delivery is instead returned leased to the caller until now+lease, with
	// a fresh LeaseToken, so the caller can attempt it at once (a crash
	// hands it back when the lease expires). ErrNotFound when absent.
	Requeue(ctx context.Context, t Tenant, deliveryID string, trigger Trigger, now time.Time, lease time.Duration) (*Delivery, error)
	// ReleaseHeld makes every held delivery of the connection due at now and
	// returns how many it released. (Update of a Connection that is not
	// paused releases its held deliveries in the same write, and
	// InsertEvent does not hold a delivery of a connection it stores as
	// not paused, so deliveries are held only while their connection is.)
	ReleaseHeld(ctx context.Context, connectionID string, now time.Time) (int, error)
	// HeldConnections returns the connections that have held deliveries,
	// with their tenant, for a sweep of stragglers.
	HeldConnections(ctx context.Context) ([]HeldConnection, error)
	// GetCircuit returns the stored circuit state of a destination (a closed
	// circuit when none was stored).
	GetCircuit(ctx context.Context, destinationID string) (Circuit, error)
	// PutCircuit stores the circuit state of a destination whatever is
	// stored (a reset), as the next Version and the next Epoch.
	PutCircuit(ctx context.Context, destinationID string, c Circuit) error
	// SwapCircuit stores next as a destination's circuit state only if the
	// stored state's Version is old.Version (next becomes the following
	// version, in the same Epoch), and reports whether it did: a scheduler's transition never
	// overwrites one made meanwhile by another process or a reset.
	SwapCircuit(ctx context.Context, destinationID string, old, next Circuit) (bool, error)
}

// BatchLeaser is implemented by stores several processes share, to serve
// a scheduler's work in few round trips: one call leases across
// destinations and returns each delivery with its event, and completing a
// batch of outcomes leases the next batch in the same call.
type BatchLeaser interface {
	// LeaseBatch leases, for each request, up to Limit due deliveries of
	// its destination (oldest first), never letting more than MaxInFlight
	// of that destination be in flight (see LeaseRequest), until now+TTL;
	// it returns them with their events.
	LeaseBatch(ctx context.Context, now time.Time, reqs []LeaseRequest) ([]Leased, error)
	// CompleteAndLease is Complete then LeaseBatch, atomically where the
	// store can: the slots the outcomes free can be leased again at once.
	CompleteAndLease(ctx context.Context, outcomes []Outcome, now time.Time, reqs []LeaseRequest) ([]error, []Leased, error)
}

// LeaseRequest is one destination's share of a LeaseBatch.
type LeaseRequest struct {
	DestinationID string
	Limit         int
	// MaxInFlight caps the destination's deliveries in flight across every
	// process (its max_concurrency); 0 means no cap. In flight are the
	// caller's InFlight and the unexpired leases of every other owner: a
	// lease of the caller's own whose attempt has ended (InFlight no longer
	// counts it) holds no slot while its outcome is on its way to the
	// store. With no Owner, every unexpired lease counts.
	MaxInFlight int
	// Owner identifies the caller, one scheduler: the store marks the
	// leases it makes for the request as the owner's (their tokens start
	// with Owner), to tell them from other owners' when it counts. An
	// owner is fixed-length and ends in a byte no token has, such as '.',
	// so that no owner's tokens start with another's.
	Owner string
	// InFlight is how many of the destination's deliveries the owner is
	// attempting now, by its own count.
	InFlight int
	TTL      time.Duration
}

// Leased is a leased delivery with its event.
type Leased struct {
	Delivery *Delivery
	Event    *Event
}

// HeldConnection is a connection with held deliveries.
type HeldConnection struct {
	ConnectionID string
	Tenant       Tenant
}

// LocalQueue is implemented by stores that one process alone can use (a
// bbolt file is locked by its process; a memory store is private to it).
// A scheduler that claims such a store keeps its leases in memory: it
// writes no lease, reads due deliveries with PeekDue, and completes them
// with an empty LeaseToken. A crash loses only those in-memory leases, so
// on the next start every pending delivery is simply due.
type LocalQueue interface {
	Queue
	// ClaimLocal claims the queue for one scheduler. It returns false when
	// a scheduler already holds it (that other scheduler then leases
	// durably through Queue.Lease); release gives the claim back.
	ClaimLocal() (release func(), ok bool)
	// PeekDue returns up to limit due deliveries of a destination with
	// their events, oldest first, skipping those for which skip returns
	// true, without leasing them.
	PeekDue(ctx context.Context, destinationID string, now time.Time, limit int, skip func(deliveryID string) bool) ([]Leased, error)
}

// LeaseRenewer is implemented by stores several processes share whose
// leases a live process can extend. A scheduler then leases for a short
// term and renews the leases of the attempts under way until their
// outcomes are recorded, so the deliveries of a process that died come
// back within that term rather than after an attempt's whole timeout.
type LeaseRenewer interface {
	// RenewLeases moves the expiry of each lease of ds (by ID and
	// LeaseToken) that is still current, its delivery pending with that
	// token, to until; it leaves the others as they are.
	RenewLeases(ctx context.Context, ds []*Delivery, until time.Time) error
}

// Notifier is implemented by stores several processes share that can tell
// a scheduler when another process made deliveries due (PostgreSQL's
// LISTEN/NOTIFY): InsertEvent, Requeue, ReleaseHeld and Complete with a
// retry notify. Notifications may be lost; schedulers still poll.
type Notifier interface {
	// Listen returns a channel that receives a value whenever deliveries
	// may have become due, until ctx is done.
	Listen(ctx context.Context) (<-chan struct{}, error)
}

// ConfigNotifier is implemented by stores several processes share that can
// tell a Router when any process wrote configuration (sources,
// destinations, connections, topics, subscriptions, environments, API
// keys), so that routing caches are dropped at once rather than when
// their TTL runs out. Notifications may be lost (a crash between the write
// and its notification, a lost connection): the TTL still bounds how long
// a cache is stale.
type ConfigNotifier interface {
	// ListenConfig returns a channel that receives a value whenever
	// configuration may have changed, until ctx is done.
	ListenConfig(ctx context.Context) (<-chan struct{}, error)
}

// QueueStater is implemented by stores that can describe their delivery
// queue in one read, for the queue gauges a Router reports to
// OpenTelemetry (read at most every few seconds, and only while a meter
// reader collects). Its cost grows with the number of pending deliveries
// (an index scan), not with events.
type QueueStater interface {
	// QueueStats returns the queue at now.
	QueueStats(ctx context.Context, now time.Time) (QueueStats, error)
}

// QueueStats describes the delivery queue.
type QueueStats struct {
	// Pending counts the pending deliveries that are not held: due, leased
	// or waiting for a retry.
	Pending int
	// OldestDue is the earliest NextAt not after now of those deliveries
	// (zero when none is due): how late the queue runs.
	OldestDue time.Time
}

// TxEventInserter is implemented by stores that can write an event inside a
// transaction of type TTx that the caller owns, so that the event is stored
// if and only if the caller's own writes commit (a transactional outbox).
// store/bolt implements TxEventInserter[*bbolt.Tx], store/postgres
// TxEventInserter[pgx.Tx].
type TxEventInserter[TTx any] interface {
	// InsertEventTx is InsertEvent inside tx, a writable transaction of the
	// store's own database (another database's is refused with an error).
	// Nothing is durable until the caller commits tx; rolling it back
	// leaves no trace.
	InsertEventTx(ctx context.Context, tx TTx, e *Event, ds []*Delivery) error
}

// Outcome is the result of one leased delivery, reported to Queue.Complete.
type Outcome struct {
	DeliveryID string
	LeaseToken string
	// Attempt is the attempt record to store, or nil when no attempt was made
	// (a lease given back, for example when the circuit opened meanwhile).
	Attempt *Attempt
	// Result says what happens to the delivery next.
	Result Result
	// RetryAt is when the delivery is due again, for ResultRetry and
	// ResultRelease.
	RetryAt time.Time
	// Now is the time of the outcome (for DLQ and event timestamps).
	Now time.Time
}

// Result is what happens to a delivery after an attempt.
type Result string

// Results.
const (
	// ResultSuccess finishes the delivery as succeeded.
	ResultSuccess Result = "success"
	// ResultRetry counts the attempt and makes the delivery due at RetryAt.
	ResultRetry Result = "retry"
	// ResultDead finishes the delivery in the dead-letter state.
	ResultDead Result = "dead"
	// ResultRelease gives the lease back without counting an attempt; the
	// delivery is due again at RetryAt.
	ResultRelease Result = "release"
)
