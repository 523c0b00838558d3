// Package storetest is the conformance suite of store.Store: every
// implementation runs it from its own tests, under -race.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := mystore.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite uses fixed times, never the clock, and runs its tests in
// parallel, each on a store of its own.
//
// Where the store contract leaves a choice open, the suite expects:
//
//   - Complete with ResultRetry sets the delivery's Trigger to
//     TriggerRetry; with ResultDead it stores the attempt with IsDLQ set
//     and DLQAt defaulting to Outcome.Now.
//   - Delivery.Attempts grows by one with each outcome that stores an
//     attempt or is ResultRetry; ResultRelease stores no attempt, and
//     Requeue keeps the count.
//   - A counter's Last is the latest time recorded, not the last written.
//   - InsertEvent leaves DedupStatus alone when DedupKey is empty.
//   - ListDeliveries of an event of another tenant is ErrNotFound.
//   - Get and Lookup replace every field of the value they fill, and a
//     nil json.RawMessage comes back nil.
//   - A cursor that no listing returned is an error.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Run runs the conformance suite. newStore returns a new, empty store each
// time it is called; Run closes it when the test that asked for it ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Resources", func(t *testing.T) { testResources(t, newStore) })
	t.Run("Events", func(t *testing.T) { testEvents(t, newStore) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, newStore) })
	t.Run("Local", func(t *testing.T) { testLocal(t, newStore) })
	t.Run("Batch", func(t *testing.T) { testBatch(t, newStore) })
	t.Run("Attempts", func(t *testing.T) { testAttempts(t, newStore) })
	t.Run("Rollups", func(t *testing.T) { testRollups(t, newStore) })
	t.Run("Replay", func(t *testing.T) { testReplay(t, newStore) })
	t.Run("Closed", func(t *testing.T) {
		t.Parallel()
		testClosed(t, newStore(t))
	})
}

// harness is a store under test with helpers that fail the test on
// unexpected errors.
type harness struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
}

// setup returns a harness over a new store, closed when t ends.
func setup(t *testing.T, newStore func(t *testing.T) store.Store) *harness {
	t.Helper()
	s := newStore(t)
	t.Cleanup(func() { _ = s.Close() })
	return &harness{t: t, s: s, ctx: t.Context()}
}

// parallel runs each test as a parallel subtest with a store of its own.
func parallel(t *testing.T, newStore func(t *testing.T) store.Store, tests map[string]func(h *harness)) {
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(setup(t, newStore))
		})
	}
}

func (h *harness) create(rs ...store.Resource) {
	h.t.Helper()
	for _, r := range rs {
		if err := h.s.Create(h.ctx, r); err != nil {
			h.t.Fatalf("Create(%s %s) = %v", r.Kind(), r.GetMeta().ID, err)
		}
	}
}

func (h *harness) insert(e *store.Event, ds ...*store.Delivery) {
	h.t.Helper()
	if err := h.s.InsertEvent(h.ctx, e, ds); err != nil {
		h.t.Fatalf("InsertEvent(%s) = %v", e.ID, err)
	}
}

func (h *harness) getEvent(tn store.Tenant, id string) *store.Event {
	h.t.Helper()
	e, err := h.s.GetEvent(h.ctx, tn, id)
	if err != nil {
		h.t.Fatalf("GetEvent(%s) = %v", id, err)
	}
	return e
}

func (h *harness) getDelivery(id string) *store.Delivery {
	h.t.Helper()
	d, err := h.s.GetDelivery(h.ctx, id)
	if err != nil {
		h.t.Fatalf("GetDelivery(%s) = %v", id, err)
	}
	return d
}

func (h *harness) listDeliveries(eventID string) []*store.Delivery {
	h.t.Helper()
	ds, err := h.s.ListDeliveries(h.ctx, tenantA, eventID)
	if err != nil {
		h.t.Fatalf("ListDeliveries(%s) = %v", eventID, err)
	}
	return ds
}

func (h *harness) lease(dest string, now time.Time, limit int) []*store.Delivery {
	h.t.Helper()
	ds, err := h.s.Lease(h.ctx, dest, now, limit, leaseTTL)
	if err != nil {
		h.t.Fatalf("Lease(%s) = %v", dest, err)
	}
	return ds
}

// complete completes the outcomes and returns their errors.
func (h *harness) complete(outcomes ...store.Outcome) []error {
	h.t.Helper()
	errs, err := h.s.Complete(h.ctx, outcomes)
	if err != nil {
		h.t.Fatalf("Complete = %v", err)
	}
	if len(errs) != len(outcomes) {
		h.t.Fatalf("Complete returned %d errors for %d outcomes", len(errs), len(outcomes))
	}
	return errs
}

// completeOK completes the outcomes and fails on any refusal.
func (h *harness) completeOK(outcomes ...store.Outcome) {
	h.t.Helper()
	for i, err := range h.complete(outcomes...) {
		if err != nil {
			h.t.Fatalf("Complete outcome %d (%s) = %v", i, outcomes[i].DeliveryID, err)
		}
	}
}

// wantErr fails unless err is target (nil included).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// wantEqual fails unless got and want are deeply equal.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, show(got), show(want))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// ids returns the IDs of records, for comparing listings.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func eventIDs(es []*store.Event) []string {
	return ids(es, func(e *store.Event) string { return e.ID })
}
func attemptIDs(as []*store.Attempt) []string {
	return ids(as, func(a *store.Attempt) string { return a.ID })
}
func deliveryIDs(ds []*store.Delivery) []string {
	return ids(ds, func(d *store.Delivery) string { return d.ID })
}
func resourceIDs(rs []store.Resource) []string {
	return ids(rs, func(r store.Resource) string { return r.GetMeta().ID })
}
