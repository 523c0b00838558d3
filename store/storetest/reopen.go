package storetest

import (
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

// RunReopen checks that a store keeps its data when closed and opened
// again: resources, events, deliveries with their leases, attempts,
// counters, rollups, circuits and dedup keys. open is called twice and
// must open the same data each time; RunReopen closes what it opens.
func RunReopen(t *testing.T, open func(t *testing.T) store.Store) {
	h := &harness{t: t, s: open(t), ctx: t.Context()}
	paused := connection(tenantA, "con_dst_1", "src_1", "dst_1")
	paused.Status = "paused" // so its delivery stays held
	h.create(source(tenantA, "src_1", "shop"), destination(tenantA, "dst_1", "hook"), paused, apiKey(tenantA, "key_1", "aaa"))
	e := event(tenantA, "evt_1", t0)
	e.DedupKey, e.DedupUntil = "k", at(60)
	held := delivery(e, "dlv_held", "dst_1")
	held.Held = true
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), held)
	ds := h.lease("dst_1", t0, 2)
	h.completeOK(outcome(ds[0], store.ResultSuccess, attempt(ds[0], "att_1", store.AttemptSuccess, at(1)), at(1)))
	circuit := store.Circuit{State: store.CircuitOpen, FailureCount: 3, OpenedAt: at(1), NextProbeAt: at(2)}
	wantErr(t, "PutCircuit", h.s.PutCircuit(h.ctx, "dst_1", circuit), nil)
	wantEvent, wantLeased := h.getEvent(tenantA, "evt_1"), h.getDelivery(ds[1].ID)
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	h.s = open(t)
	defer h.s.Close()
	got := source(tenantA, "src_1", "")
	wantErr(t, "Get source", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "source", got, source(tenantA, "src_1", "shop"))
	wantErr(t, "Lookup API key", h.s.Lookup(h.ctx, new(store.APIKey), store.APIKeyHashKey("aaa")), nil)
	wantErr(t, "slug still taken", h.s.Create(h.ctx, source(tenantA, "src_2", "shop")), store.ErrConflict)
	wantErr(t, "destination still referenced", h.s.Delete(h.ctx, store.KindDestination, tenantA, "dst_1"), store.ErrConflict)

	wantEqual(t, "event", h.getEvent(tenantA, "evt_1"), wantEvent)
	wantEqual(t, "leased delivery", h.getDelivery(ds[1].ID), wantLeased)
	a, err := h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "GetAttempt", err, nil)
	wantEqual(t, "attempt", a.DeliveryID, ds[0].ID)
	cs, err := h.s.Counters(h.ctx, []string{"src_1", "con_dst_1", "dst_1"})
	wantErr(t, "Counters", err, nil)
	wantEqual(t, "counts", []int64{cs[0].Count, cs[1].Count, cs[2].Count}, []int64{1, 3, 1})
	q := store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(1)}
	wantEqual(t, "event rollups", h.eventRollups(q), []store.EventRollup{er(hour(0), "src_1", 1)})
	wantEqual(t, "delivery rollups", h.deliveryRollups(q), []store.DeliveryRollup{
		{Bucket: hour(0), DestinationID: "dst_1", Attempts: 1, Successes: 1, Latency: histogram(0)},
	})
	c, err := h.s.GetCircuit(h.ctx, "dst_1")
	wantErr(t, "GetCircuit", err, nil)
	circuit.Version, circuit.Epoch = 1, 1
	wantEqual(t, "circuit", c, circuit)
	dup := event(tenantA, "evt_2", at(2))
	dup.DedupKey, dup.DedupUntil = "k", at(62)
	h.insert(dup)
	wantEqual(t, "dedup key", dup.DedupStatus, store.DedupDuplicate)

	// The queue goes on where it was: the lease expires, the held delivery
	// waits, and new deliveries come after the old ones.
	wantErr(t, "stale token", h.complete(outcome(ds[0], store.ResultSuccess, nil, at(2)))[0], store.ErrLeaseLost)
	wantEqual(t, "lease before expiry", len(h.lease("dst_1", at(0), 10)), 0)
	next := event(tenantA, "evt_3", at(3))
	d := delivery(next, "dlv_3", "dst_1")
	h.insert(next, d)
	if d.Seq <= held.Seq {
		t.Fatalf("Seq after reopen = %d, not after %d", d.Seq, held.Seq)
	}
	wantEqual(t, "lease after expiry", deliveryIDs(h.lease("dst_1", at(5), 10)), []string{ds[1].ID, "dlv_3"})
	n, err := h.s.ReleaseHeld(h.ctx, "con_dst_1", at(6))
	wantErr(t, "ReleaseHeld", err, nil)
	wantEqual(t, "released", n, 1)
}
