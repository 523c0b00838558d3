// Package kv implements the store.Store contract once, over a small ordered
// key-value engine. The engines (store/bolt, store/memory) provide only
// transactions over named buckets of sorted keys; every index, every
// invariant and every error of the contract lives here.
//
// The buckets and their keys are listed with the BucketID constants. Keys
// are built so that byte order is the natural order (keys.go); the event
// index is ascending and listed backwards (eventindex.go), other
// newest-first indexes invert times and sequence numbers; a listing cursor
// is the base64 of the last key it returned, so pages stay stable while
// rows are added. Events, deliveries, attempts and event states are compact binary
// records (codec.go, records.go), resources and circuits JSON; records of
// the JSON era are still read. Everything is copied in and out.
//
// The queue is one index, BucketDue: every pending delivery that is not
// held, keyed by destination, NextAt and Seq. Leasing moves a delivery's
// NextAt to the lease expiry and draws a new random LeaseToken, so an
// expired lease is due again with no sweeper, and its old token no longer
// matches. DueDestinations seeks from one destination to the next instead
// of reading the backlog.
package kv

// Engine is an ordered key-value database with serializable transactions.
// Every bucket of Buckets exists.
type Engine interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a write transaction and makes its writes durable
	// before returning nil. When fn returns an error, none of its writes
	// remain and Update returns that error. An engine may commit several
	// concurrent Updates together, as long as each stays atomic on its own,
	// and may run fn more than once, each time from the same state, keeping
	// the writes of the last run only: fn must assign its results, not
	// accumulate them.
	Update(fn func(Tx) error) error
	// Close releases the engine. It is called once, after every View and
	// Update returned.
	Close() error
}

// Tx is a transaction: read-only in Engine.View, writable in Engine.Update.
type Tx interface {
	// Bucket returns one of the Buckets.
	Bucket(id BucketID) Bucket
}

// Bucket is a sorted set of keys and values. Slices it returns are valid
// only until the transaction ends and must not be modified. Values given
// to Put must not be modified until the transaction ends.
type Bucket interface {
	// Get returns the value of the key, or nil when there is none.
	Get(key []byte) []byte
	// Put sets the value of the key; the value is never empty.
	Put(key, value []byte) error
	// Delete removes the key; removing a missing key is not an error.
	Delete(key []byte) error
	// Cursor returns a new cursor over the bucket. Writes to the bucket
	// while a cursor is in use make it undefined: collect, then write.
	Cursor() Cursor
	// Sequence returns the bucket's sequence number.
	Sequence() uint64
	// SetSequence sets the bucket's sequence number.
	SetSequence(v uint64) error
	// NextSequence increments the sequence number and returns it.
	NextSequence() (uint64, error)
}

// Cursor walks a bucket in key order, either way. Its methods return a
// nil key past the last one (before the first one for Prev).
type Cursor interface {
	// Seek moves to the first key not before seek.
	Seek(seek []byte) (key, value []byte)
	// Next moves to the following key.
	Next() (key, value []byte)
	// Prev moves to the preceding key (a nil key before the first).
	Prev() (key, value []byte)
	// Last moves to the last key.
	Last() (key, value []byte)
}

// BucketID names a bucket.
type BucketID int

// The buckets. Keys are built with the key type (see keys.go); the layout of
// each bucket is described next to its ID.
const (
	// BucketResources: kind|id → seq+JSON.
	BucketResources BucketID = iota
	// BucketResourceList: kind|org|env|inv(created)|inv(seq) → id.
	BucketResourceList
	// BucketResourceOrg: kind|org|inv(created)|inv(seq) → id.
	BucketResourceOrg
	// BucketResourceKeys: kind|unique key → id.
	BucketResourceKeys
	// BucketResourceRefs: target kind|target id|kind|id → mark.
	BucketResourceRefs
	// BucketEvents: id → seq+JSON, the events of the JSON era, as inserted
	// (see eventrecord.go); its sequence numbers the events. New events are
	// in BucketEventRecords.
	BucketEvents
	// BucketEventState: id → binary seq, received, pending, dead, status
	// (or, JSON era, seq|time(received)|pending|dead|status).
	BucketEventState
	// BucketEventList: org|env|time(received)|seq → event attributes
	// (compact, eventindex.go); listings walk it backwards, newest first.
	BucketEventList
	// BucketEventTime: time(received)|seq → id, oldest first for pruning.
	BucketEventTime
	// BucketTotals: "e" or "a"|org|env → number of events or attempts.
	BucketTotals
	// BucketDedup: source id|dedup key → time(expiry).
	BucketDedup
	// BucketDedupTime: time(expiry)|source id|dedup key → mark.
	BucketDedupTime
	// BucketDeliveries: id → delivery record (binary, or seq+JSON).
	BucketDeliveries
	// BucketEventDeliveries: event id|seq → delivery id.
	BucketEventDeliveries
	// BucketDue: destination id|time(next)|seq → delivery id, for pending
	// deliveries that are not held (leased ones included).
	BucketDue
	// BucketHeld: connection id|seq → delivery id, for held deliveries.
	BucketHeld
	// BucketAttempts: id → attempt record (binary, or seq+JSON).
	BucketAttempts
	// BucketAttemptList: org|env|inv(created)|inv(seq) → attempt attributes.
	BucketAttemptList
	// BucketEventAttempts: event id|inv(created)|inv(seq) → attempt
	// attributes.
	BucketEventAttempts
	// BucketCounters: id → count+time(last).
	BucketCounters
	// BucketCircuits: destination id → JSON.
	BucketCircuits
	// BucketEventRecords: seq → event record (binary, with the raw body),
	// as inserted. Keyed by seq, which BucketEventState maps IDs to, so
	// that its keys always append.
	BucketEventRecords
	// BucketEventRollups: org|env|source id|time(hour) → rollup (see
	// rollup.go).
	BucketEventRollups
	// BucketDeliveryRollups: org|env|destination id|time(hour) → rollup.
	BucketDeliveryRollups
	// BucketEventListInverted: org|env|inv(received)|inv(seq) → event
	// attributes, the event index of earlier versions, newest first. Its
	// pages stayed half empty (every key went before the others), so
	// Upgrade moves its entries to BucketEventList; new files keep it
	// empty.
	BucketEventListInverted

	// NumBuckets is the number of buckets.
	NumBuckets int = iota
)

// Appended reports whether new keys of the bucket mostly come after all
// the others: it is keyed by the time-ordered IDs of events, deliveries or
// attempts (prefix and 48-bit milliseconds first), or by times (BucketDue:
// new NextAt values are now or later, within each destination;
// BucketEventList: events are received now, within each environment). An engine
// with B+trees may fill the pages of such a bucket fuller when they split,
// since few keys will ever be inserted between them.
func Appended(id BucketID) bool {
	switch id {
	case BucketEventRecords, BucketEventState, BucketEventList, BucketEventTime, BucketDeliveries,
		BucketEventDeliveries, BucketDue, BucketAttempts:
		return true
	}
	return false
}

// Buckets holds the name of every bucket, indexed by BucketID. Engines that
// name their buckets use these.
var Buckets = [NumBuckets]string{
	"resources", "resource_list", "resource_org", "resource_keys", "resource_refs",
	"events", "event_state", "event_index", "event_time", "totals", "dedup", "dedup_time",
	"deliveries", "event_deliveries", "due", "held",
	"attempts", "attempt_list", "event_attempts", "counters", "circuits",
	"event_records", "event_rollups", "delivery_rollups", "event_list",
}
