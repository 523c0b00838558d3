package storetest

import (
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

// testHeldFollowsConnection: a delivery is held only while its stored
// connection is paused, and resuming the connection releases them in the
// same write.
func testHeldFollowsConnection(h *harness) {
	t := h.t
	conn := connection(tenantA, "con_dst_1", "src_1", "dst_1")
	conn.Status = "paused"
	h.create(source(tenantA, "src_1", "shop"), destination(tenantA, "dst_1", "hook"), conn)
	e := event(tenantA, "evt_1", t0)
	d := delivery(e, "dlv_1", "dst_1")
	d.Held = true
	h.insert(e, d)
	held, err := h.s.HeldConnections(h.ctx)
	wantErr(t, "HeldConnections", err, nil)
	wantEqual(t, "held connections", held, []store.HeldConnection{{ConnectionID: "con_dst_1", Tenant: tenantA}})

	conn.Status = "active"
	wantErr(t, "resume", h.s.Update(h.ctx, conn), nil)
	wantEqual(t, "held after the resume", h.getDelivery("dlv_1").Held, false)
	held, _ = h.s.HeldConnections(h.ctx)
	wantEqual(t, "held connections after the resume", len(held), 0)

	// A caller that still saw the connection paused inserts a held
	// delivery: the stored status decides.
	late := event(tenantA, "evt_2", at(1))
	d2 := delivery(late, "dlv_2", "dst_1")
	d2.Held = true
	h.insert(late, d2)
	wantEqual(t, "held delivery of an active connection", h.getDelivery("dlv_2").Held, false)
}

// testLocalQueue runs for stores that implement store.LocalQueue.
func testLocalQueue(h *harness) {
	t := h.t
	lq, ok := h.s.(store.LocalQueue)
	if !ok {
		t.Skip("the store is not a store.LocalQueue")
	}
	release, ok := lq.ClaimLocal()
	wantEqual(t, "first claim", ok, true)
	_, again := lq.ClaimLocal()
	wantEqual(t, "second claim", again, false)

	e := event(tenantA, "evt_1", t0)
	ds := []*store.Delivery{delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_1")}
	h.insert(e, ds...)
	skip := func(id string) bool { return id == "dlv_1" }
	due, err := lq.PeekDue(h.ctx, "dst_1", t0, 10, skip)
	wantErr(t, "PeekDue", err, nil)
	wantEqual(t, "due, skipping one", leasedIDs(due), []string{"dlv_2", "dlv_3"})
	if due[0].Event == nil || due[0].Event.ID != "evt_1" || string(due[0].Event.Body) != string(e.Body) {
		t.Fatalf("PeekDue's event = %+v, want evt_1 with its body", due[0].Event)
	}
	due, _ = lq.PeekDue(h.ctx, "dst_1", t0, 1, skip)
	wantEqual(t, "due, limited", leasedIDs(due), []string{"dlv_2"})
	wantEqual(t, "peeking leases nothing", len(h.lease("dst_1", t0, 10)) > 0, true)

	// While claimed, a delivery leased in memory (no token) completes.
	f := delivery(event(tenantA, "evt_2", t0), "dlv_4", "dst_2")
	h.insert(event(tenantA, "evt_2", t0), f)
	errs := h.complete(store.Outcome{DeliveryID: "dlv_4", Result: store.ResultSuccess, Now: at(1)})
	wantErr(t, "complete without a token while claimed", errs[0], nil)
	release()
	g := delivery(event(tenantA, "evt_3", t0), "dlv_5", "dst_3")
	h.insert(event(tenantA, "evt_3", t0), g)
	errs = h.complete(store.Outcome{DeliveryID: "dlv_5", Result: store.ResultSuccess, Now: at(1)})
	wantErr(t, "complete without a token once released", errs[0], store.ErrLeaseLost)
	if _, ok := lq.ClaimLocal(); !ok {
		t.Fatal("no claim after release")
	}
}

func leasedIDs(ls []store.Leased) []string {
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.Delivery.ID)
	}
	return ids
}

func testLocal(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"HeldFollowsConnection": testHeldFollowsConnection,
		"LocalQueue":            testLocalQueue,
	})
}
