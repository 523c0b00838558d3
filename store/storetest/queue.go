package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

func testQueue(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"DueDestinations":             testDueDestinations,
		"QueueStats":                  testQueueStats,
		"LeaseOrder":                  testLeaseOrder,
		"LeasesExclusive":             testLeasesExclusive,
		"ExpiredLeaseReturns":         testExpiredLease,
		"StaleCompletionRefused":      testStaleCompletion,
		"TakenAttemptIDRefused":       testTakenAttemptID,
		"CompleteSuccess":             testCompleteSuccess,
		"CompleteRetry":               testCompleteRetry,
		"CompleteDead":                testCompleteDead,
		"CompleteRelease":             testCompleteRelease,
		"CompleteManyAtOnce":          testCompleteMany,
		"Requeue":                     testRequeue,
		"HeldUntilReleased":           testHeld,
		"CircuitRoundTrip":            testCircuits,
		"ReturnedDeliveriesAreCopies": testDeliveryCopies,
	})
}

func testDueDestinations(h *harness) {
	t := h.t
	check := func(now time.Time, wantDests []string, wantNext time.Time) {
		t.Helper()
		dests, next, err := h.s.DueDestinations(h.ctx, now)
		wantErr(t, "DueDestinations", err, nil)
		if !equalIDs(dests, wantDests) || !next.Equal(wantNext) {
			t.Fatalf("DueDestinations(%v) = %v, %v; want %v, %v", now, dests, next, wantDests, wantNext)
		}
	}
	check(t0, nil, time.Time{})
	e := event(tenantA, "evt_1", t0)
	ds := []*store.Delivery{
		delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_2"),
		delivery(e, "dlv_4", "dst_3"), delivery(e, "dlv_5", "dst_4"), delivery(e, "dlv_6", "dst_1"),
	}
	ds[1].NextAt = at(10) // dst_1 has one due and one later
	ds[2].NextAt = at(20)
	ds[3].Held = true
	ds[4].NextAt = at(-5)
	ds[5].NextAt = at(15)
	h.insert(e, ds...)
	check(t0, []string{"dst_1", "dst_4"}, at(10))
	check(at(10), []string{"dst_1", "dst_4"}, at(15))
	// A lease moves NextAt to its expiry.
	h.lease("dst_4", t0, 10)
	check(t0, []string{"dst_1"}, leaseExpiry(t0))
	check(at(30), []string{"dst_1", "dst_2", "dst_4"}, time.Time{})
}

// testQueueStats checks store.QueueStater, for stores that have it.
func testQueueStats(h *harness) {
	t := h.t
	qs, ok := h.s.(store.QueueStater)
	if !ok {
		t.Skip("the store is no store.QueueStater")
	}
	check := func(now time.Time, want store.QueueStats) {
		t.Helper()
		got, err := qs.QueueStats(h.ctx, now)
		wantErr(t, "QueueStats", err, nil)
		if got.Pending != want.Pending || !got.OldestDue.Equal(want.OldestDue) {
			t.Fatalf("QueueStats(%v) = %+v; want %+v", now, got, want)
		}
	}
	check(t0, store.QueueStats{})
	e := event(tenantA, "evt_1", t0)
	ds := []*store.Delivery{
		delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_2"), delivery(e, "dlv_3", "dst_3"), delivery(e, "dlv_4", "dst_2"),
	}
	ds[0].NextAt = at(-5)
	ds[1].NextAt = at(10)
	ds[2].Held = true // not counted: it waits for its connection
	ds[3].NextAt = at(-2)
	h.insert(e, ds...)
	check(t0, store.QueueStats{Pending: 3, OldestDue: at(-5)})
	check(at(-10), store.QueueStats{Pending: 3})
	// A finished delivery leaves the queue.
	leased := h.lease("dst_1", t0, 10)
	_, err := h.s.Complete(h.ctx, []store.Outcome{outcome(leased[0], store.ResultSuccess, nil, t0)})
	wantErr(t, "Complete", err, nil)
	check(t0, store.QueueStats{Pending: 2, OldestDue: at(-2)})
}

func leaseExpiry(now time.Time) time.Time { return now.Add(leaseTTL) }

func testLeaseOrder(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	var ds []*store.Delivery
	for i, next := range []int{3, 1, 2, 1, 9, 0} {
		d := delivery(e, fmt.Sprintf("dlv_%d", i), "dst_1")
		d.NextAt = at(next)
		ds = append(ds, d)
	}
	ds = append(ds, delivery(e, "dlv_other", "dst_2"))
	h.insert(e, ds...)

	got := h.lease("dst_1", at(3), 3)
	wantEqual(t, "first lease", deliveryIDs(got), []string{"dlv_5", "dlv_1", "dlv_3"})
	for _, d := range got {
		if d.LeaseToken == "" || !d.NextAt.Equal(leaseExpiry(at(3))) || d.State != store.DeliveryPending {
			t.Fatalf("leased delivery: token %q NextAt %v State %q", d.LeaseToken, d.NextAt, d.State)
		}
		wantEqual(t, "stored leased delivery", h.getDelivery(d.ID), d)
	}
	if got[0].LeaseToken == got[1].LeaseToken {
		t.Fatalf("two leases share token %q", got[0].LeaseToken)
	}
	wantEqual(t, "second lease", deliveryIDs(h.lease("dst_1", at(3), 10)), []string{"dlv_2", "dlv_0"})
	wantEqual(t, "nothing left due", len(h.lease("dst_1", at(3), 10)), 0)
	wantEqual(t, "limit 0", len(h.lease("dst_2", at(3), 0)), 0)
}

func testLeasesExclusive(h *harness) {
	t := h.t
	const events, perEvent, workers = 20, 10, 8
	for i := range events {
		e := event(tenantA, fmt.Sprintf("evt_%d", i), t0)
		var ds []*store.Delivery
		for j := range perEvent {
			ds = append(ds, delivery(e, fmt.Sprintf("dlv_%d_%d", i, j), "dst_1"))
		}
		h.insert(e, ds...)
	}
	var (
		mu     sync.Mutex
		leased = map[string]int{}
		wg     sync.WaitGroup
	)
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				ds, err := h.s.Lease(h.ctx, "dst_1", at(1), 7, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					leased[d.ID]++
				}
				total := len(leased)
				mu.Unlock()
				if total > events*perEvent {
					errs <- fmt.Errorf("more deliveries leased than inserted")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Lease = %v", err)
	}
	if len(leased) != events*perEvent {
		t.Fatalf("%d deliveries leased, want %d", len(leased), events*perEvent)
	}
	for id, n := range leased {
		if n != 1 {
			t.Fatalf("%s leased %d times", id, n)
		}
	}
}

func testExpiredLease(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	first := h.lease("dst_1", t0, 1)[0]
	wantEqual(t, "lease while leased", len(h.lease("dst_1", at(1).Add(-time.Second), 1)), 0)
	again := h.lease("dst_1", at(1), 1)
	if len(again) != 1 || again[0].ID != "dlv_1" || again[0].LeaseToken == first.LeaseToken {
		t.Fatalf("lease after expiry = %v, want dlv_1 with a new token", show(again))
	}
	errs := h.complete(outcome(first, store.ResultSuccess, attempt(first, "att_1", store.AttemptSuccess, at(2)), at(2)))
	wantErr(t, "complete with the expired token", errs[0], store.ErrLeaseLost)
	h.completeOK(outcome(again[0], store.ResultSuccess, attempt(again[0], "att_1", store.AttemptSuccess, at(2)), at(2)))
}

func testStaleCompletion(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"))
	ds := h.lease("dst_1", t0, 2)
	ok := outcome(ds[0], store.ResultSuccess, attempt(ds[0], "att_1", store.AttemptSuccess, t0), t0)
	forged := outcome(ds[1], store.ResultSuccess, attempt(ds[1], "att_2", store.AttemptSuccess, t0), t0)
	forged.LeaseToken = "forged"
	missing := store.Outcome{DeliveryID: "dlv_x", LeaseToken: "x", Result: store.ResultSuccess, Now: t0}
	errs := h.complete(ok, forged, missing)
	wantErr(t, "valid outcome", errs[0], nil)
	wantErr(t, "forged token", errs[1], store.ErrLeaseLost)
	wantErr(t, "missing delivery", errs[2], store.ErrNotFound)
	_, err := h.s.GetAttempt(h.ctx, tenantA, "att_2")
	wantErr(t, "attempt of the refused outcome", err, store.ErrNotFound)
	wantEqual(t, "refused delivery keeps its lease", h.getDelivery("dlv_2").LeaseToken, ds[1].LeaseToken)
	again := h.complete(ok)
	wantErr(t, "completing twice", again[0], store.ErrLeaseLost)
	unleased := event(tenantA, "evt_2", t0)
	h.insert(unleased, delivery(unleased, "dlv_3", "dst_2"))
	errs = h.complete(store.Outcome{DeliveryID: "dlv_3", Result: store.ResultSuccess, Now: t0})
	wantErr(t, "completing an unleased delivery", errs[0], store.ErrLeaseLost)
}

// testTakenAttemptID: an outcome whose attempt ID is stored already, or is
// an earlier outcome's of the same call, is refused with ErrConflict and
// changes nothing; the others of the call are applied.
func testTakenAttemptID(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_1"))
	ds := h.lease("dst_1", t0, 3)
	h.completeOK(outcome(ds[0], store.ResultSuccess, attempt(ds[0], "att_1", store.AttemptSuccess, at(1)), at(1)))
	errs := h.complete(
		outcome(ds[1], store.ResultSuccess, attempt(ds[1], "att_1", store.AttemptSuccess, at(2)), at(2)),
		outcome(ds[2], store.ResultSuccess, attempt(ds[2], "att_3", store.AttemptSuccess, at(2)), at(2)),
	)
	wantErr(t, "attempt ID stored before", errs[0], store.ErrConflict)
	wantErr(t, "the other outcome", errs[1], nil)
	got := h.getDelivery("dlv_2")
	if got.State != store.DeliveryPending || got.LeaseToken != ds[1].LeaseToken || got.Attempts != 0 {
		t.Fatalf("refused delivery: State %q token %q Attempts %d; want it pending, leased, unattempted", got.State, got.LeaseToken, got.Attempts)
	}
	a, err := h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "GetAttempt", err, nil)
	wantEqual(t, "the stored attempt's delivery", a.DeliveryID, "dlv_1")
	wantEqual(t, "event status", h.getEvent(tenantA, "evt_1").Status, store.EventProcessing)
	// Within one call, the second use of an ID is refused.
	errs = h.complete(
		outcome(ds[1], store.ResultSuccess, attempt(ds[1], "att_2", store.AttemptSuccess, at(3)), at(3)),
		outcome(ds[1], store.ResultSuccess, attempt(ds[1], "att_2", store.AttemptSuccess, at(3)), at(3)),
	)
	wantErr(t, "first use", errs[0], nil)
	if errs[1] == nil {
		t.Fatal("a second outcome of one delivery in one call was applied")
	}
	wantEqual(t, "event status", h.getEvent(tenantA, "evt_1").Status, store.EventDelivered)
}

func testCompleteSuccess(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_2"))
	d := h.lease("dst_1", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_1", store.AttemptSuccess, at(1)), at(1)))
	got := h.getDelivery("dlv_1")
	if got.State != store.DeliverySucceeded || got.Attempts != 1 || got.LeaseToken != "" {
		t.Fatalf("after success: State %q Attempts %d token %q", got.State, got.Attempts, got.LeaseToken)
	}
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventProcessing || ev.Pending != 1 {
		t.Fatalf("event with one delivery left: Status %q Pending %d", ev.Status, ev.Pending)
	}
	a, err := h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "GetAttempt", err, nil)
	wantEqual(t, "GetAttempt", a, attempt(d, "att_1", store.AttemptSuccess, at(1)))
	d = h.lease("dst_2", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_2", store.AttemptSuccess, at(2)), at(2)))
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventDelivered || ev.Pending != 0 || ev.Dead != 0 {
		t.Fatalf("event with all delivered: Status %q Pending %d Dead %d", ev.Status, ev.Pending, ev.Dead)
	}
	wantEqual(t, "finished deliveries are not due", len(h.lease("dst_1", at(60), 10)), 0)
}

func testCompleteRetry(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	d := h.lease("dst_1", t0, 1)[0]
	o := outcome(d, store.ResultRetry, attempt(d, "att_1", store.AttemptFailed, at(1)), at(1))
	o.RetryAt = at(10)
	h.completeOK(o)
	got := h.getDelivery("dlv_1")
	if got.State != store.DeliveryPending || got.Attempts != 1 || !got.NextAt.Equal(at(10)) || got.LeaseToken != "" || got.Trigger != store.TriggerRetry {
		t.Fatalf("after retry: %s", show(got))
	}
	wantEqual(t, "event status", h.getEvent(tenantA, "evt_1").Status, store.EventProcessing)
	wantEqual(t, "lease before RetryAt", len(h.lease("dst_1", at(9), 1)), 0)
	wantEqual(t, "lease at RetryAt", deliveryIDs(h.lease("dst_1", at(10), 1)), []string{"dlv_1"})
}

func testCompleteDead(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_2"))
	d := h.lease("dst_1", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultDead, attempt(d, "att_1", store.AttemptFailed, at(1)), at(1)))
	got := h.getDelivery("dlv_1")
	if got.State != store.DeliveryDead || got.Attempts != 1 || got.LeaseToken != "" {
		t.Fatalf("after dead: %s", show(got))
	}
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventProcessing || ev.Pending != 1 || ev.Dead != 1 {
		t.Fatalf("event with one dead, one pending: Status %q Pending %d Dead %d", ev.Status, ev.Pending, ev.Dead)
	}
	a, err := h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "GetAttempt", err, nil)
	if !a.IsDLQ || !a.DLQAt.Equal(at(1)) {
		t.Fatalf("dead attempt: IsDLQ %v DLQAt %v", a.IsDLQ, a.DLQAt)
	}
	d = h.lease("dst_2", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_2", store.AttemptSuccess, at(2)), at(2)))
	wantEqual(t, "event with one dead, none pending", h.getEvent(tenantA, "evt_1").Status, store.EventFailed)
	wantEqual(t, "dead deliveries are not due", len(h.lease("dst_1", at(60), 10)), 0)
}

func testCompleteRelease(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	d := h.lease("dst_1", t0, 1)[0]
	o := outcome(d, store.ResultRelease, attempt(d, "att_1", store.AttemptFailed, at(1)), at(1))
	o.RetryAt = at(5)
	h.completeOK(o)
	got := h.getDelivery("dlv_1")
	if got.State != store.DeliveryPending || got.Attempts != 0 || !got.NextAt.Equal(at(5)) || got.LeaseToken != "" || got.Trigger != store.TriggerInitial {
		t.Fatalf("after release: %s", show(got))
	}
	_, err := h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "attempt of a release", err, store.ErrNotFound)
	wantEqual(t, "lease at RetryAt", deliveryIDs(h.lease("dst_1", at(5), 1)), []string{"dlv_1"})
}

func testCompleteMany(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_1"))
	ds := h.lease("dst_1", t0, 3)
	h.completeOK(
		outcome(ds[0], store.ResultSuccess, attempt(ds[0], "att_1", store.AttemptSuccess, at(1)), at(1)),
		outcome(ds[1], store.ResultDead, attempt(ds[1], "att_2", store.AttemptFailed, at(1)), at(1)),
		outcome(ds[2], store.ResultSuccess, nil, at(1)),
	)
	ev := h.getEvent(tenantA, "evt_1")
	if ev.Status != store.EventFailed || ev.Pending != 0 || ev.Dead != 1 {
		t.Fatalf("event: Status %q Pending %d Dead %d; want failed, 0, 1", ev.Status, ev.Pending, ev.Dead)
	}
	wantEqual(t, "Attempts without an attempt record", h.getDelivery("dlv_3").Attempts, 0)
}

func testRequeue(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_2"))
	d := h.lease("dst_1", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultDead, attempt(d, "att_1", store.AttemptFailed, at(1)), at(1)))
	d = h.lease("dst_2", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_2", store.AttemptSuccess, at(1)), at(1)))
	wantEqual(t, "status before Requeue", h.getEvent(tenantA, "evt_1").Status, store.EventFailed)

	got, err := h.s.Requeue(h.ctx, tenantA, "dlv_1", store.TriggerManual, at(5), 0)
	wantErr(t, "Requeue", err, nil)
	if got.State != store.DeliveryPending || !got.NextAt.Equal(at(5)) || got.Trigger != store.TriggerManual || got.Attempts != 1 {
		t.Fatalf("requeued delivery: %s", show(got))
	}
	wantEqual(t, "stored requeued delivery", h.getDelivery("dlv_1"), got)
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventProcessing || ev.Pending != 1 || ev.Dead != 0 {
		t.Fatalf("event after Requeue: Status %q Pending %d Dead %d", ev.Status, ev.Pending, ev.Dead)
	}
	wantEqual(t, "not due before now", len(h.lease("dst_1", at(4), 1)), 0)

	// Requeuing a leased delivery takes its lease away.
	leased := h.lease("dst_1", at(5), 1)[0]
	_, err = h.s.Requeue(h.ctx, tenantA, "dlv_1", store.TriggerReplay, at(6), 0)
	wantErr(t, "Requeue leased", err, nil)
	errs := h.complete(outcome(leased, store.ResultSuccess, nil, at(6)))
	wantErr(t, "complete after Requeue", errs[0], store.ErrLeaseLost)
	d = h.lease("dst_1", at(6), 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_3", store.AttemptSuccess, at(7)), at(7)))
	wantEqual(t, "status after all succeeded", h.getEvent(tenantA, "evt_1").Status, store.EventDelivered)

	// Requeuing with a lease hands the delivery to the caller: it is not
	// due for others until the lease expires, and the caller's token
	// completes it.
	mine, err := h.s.Requeue(h.ctx, tenantA, "dlv_1", store.TriggerManual, at(8), 10*time.Minute)
	wantErr(t, "Requeue with a lease", err, nil)
	if mine.LeaseToken == "" || !mine.NextAt.Equal(at(18)) {
		t.Fatalf("requeued with a lease: %s", show(mine))
	}
	wantEqual(t, "leased requeue not due for others", len(h.lease("dst_1", at(9), 1)), 0)
	h.completeOK(outcome(mine, store.ResultSuccess, attempt(mine, "att_4", store.AttemptSuccess, at(9)), at(9)))
	wantEqual(t, "status after the leased retry", h.getEvent(tenantA, "evt_1").Status, store.EventDelivered)

	_, err = h.s.Requeue(h.ctx, tenantA, "dlv_x", store.TriggerManual, at(8), 0)
	wantErr(t, "Requeue missing", err, store.ErrNotFound)
}

func testHeld(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	d1, d2, d3 := delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_1")
	d1.Held, d2.Held, d3.ConnectionID = true, true, "con_other"
	d3.Held = true
	h.insert(e, d1, d2, d3)
	if dests, next, _ := h.s.DueDestinations(h.ctx, at(60)); len(dests) != 0 || !next.IsZero() {
		t.Fatalf("DueDestinations with held deliveries only = %v, %v", dests, next)
	}
	wantEqual(t, "lease held", len(h.lease("dst_1", at(60), 10)), 0)
	n, err := h.s.ReleaseHeld(h.ctx, "con_dst_1", at(2))
	wantErr(t, "ReleaseHeld", err, nil)
	wantEqual(t, "released", n, 2)
	if got := h.getDelivery("dlv_1"); got.Held || !got.NextAt.Equal(at(2)) {
		t.Fatalf("released delivery: Held %v NextAt %v", got.Held, got.NextAt)
	}
	wantEqual(t, "lease before now", len(h.lease("dst_1", at(1), 10)), 0)
	wantEqual(t, "lease released", deliveryIDs(h.lease("dst_1", at(2), 10)), []string{"dlv_1", "dlv_2"})
	n, err = h.s.ReleaseHeld(h.ctx, "con_dst_1", at(3))
	wantErr(t, "ReleaseHeld again", err, nil)
	wantEqual(t, "released again", n, 0)
	wantEqual(t, "other connection still held", h.getDelivery("dlv_3").Held, true)
}

func testCircuits(h *harness) {
	t := h.t
	c, err := h.s.GetCircuit(h.ctx, "dst_1")
	wantErr(t, "GetCircuit", err, nil)
	wantEqual(t, "default circuit", c, store.Circuit{State: store.CircuitClosed})
	open := store.Circuit{State: store.CircuitOpen, FailureCount: 5, OpenedAt: at(1), NextProbeAt: at(2), LastTransitionAt: at(1)}
	wantErr(t, "PutCircuit", h.s.PutCircuit(h.ctx, "dst_1", open), nil)
	c, err = h.s.GetCircuit(h.ctx, "dst_1")
	wantErr(t, "GetCircuit", err, nil)
	open.Version, open.Epoch = 1, 1 // a PutCircuit is a reset: the next version and epoch
	wantEqual(t, "stored circuit", c, open)
	c, err = h.s.GetCircuit(h.ctx, "dst_2")
	wantErr(t, "GetCircuit other", err, nil)
	wantEqual(t, "other circuit", c.State, store.CircuitClosed)

	// Transitions are compare-and-swap on the version, within the epoch.
	closed := store.Circuit{State: store.CircuitClosed, LastTransitionAt: at(3)}
	swapped, err := h.s.SwapCircuit(h.ctx, "dst_1", open, closed)
	wantErr(t, "SwapCircuit", err, nil)
	wantEqual(t, "swap from the stored version", swapped, true)
	swapped, err = h.s.SwapCircuit(h.ctx, "dst_1", open, store.Circuit{State: store.CircuitOpen})
	wantErr(t, "stale SwapCircuit", err, nil)
	wantEqual(t, "swap from a stale version", swapped, false)
	c, err = h.s.GetCircuit(h.ctx, "dst_1")
	wantErr(t, "GetCircuit", err, nil)
	closed.Version, closed.Epoch = 2, 1
	wantEqual(t, "circuit after the swaps", c, closed)
	// A reset wins over a writer that read before it.
	wantErr(t, "PutCircuit (reset)", h.s.PutCircuit(h.ctx, "dst_1", store.Circuit{State: store.CircuitClosed}), nil)
	swapped, err = h.s.SwapCircuit(h.ctx, "dst_1", closed, open)
	wantErr(t, "SwapCircuit after a reset", err, nil)
	wantEqual(t, "swap across a reset", swapped, false)
	c, _ = h.s.GetCircuit(h.ctx, "dst_1")
	wantEqual(t, "circuit after the reset", [3]any{c.State, c.Version, c.Epoch}, [3]any{store.CircuitClosed, uint64(3), uint64(2)})
}

func testDeliveryCopies(h *harness) {
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	d := h.lease("dst_1", t0, 1)[0]
	d.State, d.LeaseToken = "changed", "changed"
	got := h.getDelivery("dlv_1")
	if got.State != store.DeliveryPending || got.LeaseToken == "changed" {
		h.t.Fatalf("stored delivery changed through a leased one: %s", show(got))
	}
}
