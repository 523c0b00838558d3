package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

// testLeaseBatch runs for stores that implement store.BatchLeaser.
func testLeaseBatch(h *harness) {
	t := h.t
	bl, ok := h.s.(store.BatchLeaser)
	if !ok {
		t.Skip("the store is not a store.BatchLeaser")
	}
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_1"), delivery(e, "dlv_4", "dst_2"))
	leased, err := bl.LeaseBatch(h.ctx, t0, []store.LeaseRequest{
		{DestinationID: "dst_1", Limit: 10, MaxInFlight: 2, TTL: leaseTTL},
		{DestinationID: "dst_2", Limit: 10, TTL: leaseTTL},
	})
	wantErr(t, "LeaseBatch", err, nil)
	var ids []string
	for _, l := range leased {
		ids = append(ids, l.Delivery.ID)
		if l.Event == nil || l.Event.ID != "evt_1" || string(l.Event.Body) != string(e.Body) {
			t.Fatalf("leased %s with event %+v, want evt_1 and its body", l.Delivery.ID, l.Event)
		}
		if l.Delivery.LeaseToken == "" {
			t.Fatalf("leased %s without a token", l.Delivery.ID)
		}
	}
	wantEqual(t, "leased, at most 2 of dst_1", ids, []string{"dlv_1", "dlv_2", "dlv_4"})
	// Two leases of dst_1 are unexpired: its cap allows none more.
	soon := t0.Add(leaseTTL / 2)
	more, err := bl.LeaseBatch(h.ctx, soon, []store.LeaseRequest{{DestinationID: "dst_1", Limit: 10, MaxInFlight: 2, TTL: leaseTTL}})
	wantErr(t, "LeaseBatch at the cap", err, nil)
	wantEqual(t, "leased at the cap", len(more), 0)
	// Completing one frees a slot, leased in the same call.
	errs, next, err := bl.CompleteAndLease(h.ctx, []store.Outcome{outcome(leased[0].Delivery, store.ResultSuccess, nil, soon)}, soon,
		[]store.LeaseRequest{{DestinationID: "dst_1", Limit: 10, MaxInFlight: 2, TTL: leaseTTL}})
	wantErr(t, "CompleteAndLease", err, nil)
	wantErr(t, "the outcome", errs[0], nil)
	wantEqual(t, "leased after completing", len(next), 1)
	wantEqual(t, "the next delivery", next[0].Delivery.ID, "dlv_3")
}

// testLeaseBatchOwners: with an Owner, the cap counts the owner's
// InFlight instead of its own leases (an ended attempt's lease holds no
// slot until its outcome is recorded), and every other owner's unexpired
// leases; the owner's leases carry its mark.
func testLeaseBatchOwners(h *harness) {
	t := h.t
	bl, ok := h.s.(store.BatchLeaser)
	if !ok {
		t.Skip("the store is not a store.BatchLeaser")
	}
	const a, b = "sAAAAAAAAAAAAAAAA.", "sBBBBBBBBBBBBBBBB."
	e := event(tenantA, "evt_1", t0)
	var ds []*store.Delivery
	for i := range 6 {
		ds = append(ds, delivery(e, fmt.Sprintf("dlv_%d", i+1), "dst_1"))
	}
	h.insert(e, ds...)
	lease := func(owner string, inFlight int) []string {
		t.Helper()
		leased, err := bl.LeaseBatch(h.ctx, t0, []store.LeaseRequest{
			{DestinationID: "dst_1", Limit: 10, MaxInFlight: 3, Owner: owner, InFlight: inFlight, TTL: leaseTTL}})
		wantErr(t, "LeaseBatch of "+owner, err, nil)
		var ids []string
		for _, l := range leased {
			if !strings.HasPrefix(l.Delivery.LeaseToken, owner) {
				t.Errorf("lease of %s has token %q, want it to start with %q", l.Delivery.ID, l.Delivery.LeaseToken, owner)
			}
			ids = append(ids, l.Delivery.ID)
		}
		return ids
	}
	wantEqual(t, "a leases up to the cap", lease(a, 0), []string{"dlv_1", "dlv_2", "dlv_3"})
	// a's three attempts ended, their outcomes not yet recorded: its own
	// leases hold no slot, but its one attempt under way does.
	wantEqual(t, "a, one in flight", lease(a, 1), []string{"dlv_4", "dlv_5"})
	// b counts every lease of a's: none of the cap is left.
	wantEqual(t, "b, behind a's leases", len(lease(b, 0)), 0)
	wantEqual(t, "no owner: every lease counts", len(lease("", 0)), 0)
}

func testBatch(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"LeaseBatch":       testLeaseBatch,
		"LeaseBatchOwners": testLeaseBatchOwners,
	})
}
