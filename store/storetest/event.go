package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

func testEvents(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"InsertWithDeliveries":        testInsertEvent,
		"InsertWithoutDeliveries":     testInsertNoDeliveries,
		"InsertIsAtomic":              testInsertAtomic,
		"ConcurrentInsertsIsolated":   testConcurrentInserts,
		"ReturnsCopies":               testEventCopies,
		"TenancyIsolation":            testEventTenancy,
		"DedupWithinWindow":           testDedupWindow,
		"DedupAfterWindow":            testDedupAfterWindow,
		"Counters":                    testCounters,
		"ListFilters":                 testListEventFilters,
		"ListPagination":              testListEventPages,
		"ListStableWhileRowsAreAdded": testListEventsStable,
		"Prune":                       testPrune,
		"PruneMany":                   testPruneMany,
	})
}

func testInsertEvent(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	d1, d2 := delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_2")
	h.insert(e, d1, d2)
	if e.Status != store.EventProcessing || e.Pending != 2 || e.Dead != 0 {
		t.Fatalf("after InsertEvent: Status %q Pending %d Dead %d; want processing, 2, 0", e.Status, e.Pending, e.Dead)
	}
	if d1.Seq == 0 || d2.Seq <= d1.Seq {
		t.Fatalf("Seq = %d, %d; want increasing, assigned by the store", d1.Seq, d2.Seq)
	}
	if d1.State != store.DeliveryPending {
		t.Fatalf("State = %q, want pending", d1.State)
	}
	wantEqual(t, "GetEvent", h.getEvent(tenantA, "evt_1"), e)
	wantEqual(t, "GetDelivery", h.getDelivery("dlv_2"), d2)
	ds, err := h.s.ListDeliveries(h.ctx, tenantA, "evt_1")
	wantErr(t, "ListDeliveries", err, nil)
	wantEqual(t, "ListDeliveries", ds, []*store.Delivery{d1, d2})
	_, err = h.s.GetEvent(h.ctx, tenantA, "evt_x")
	wantErr(t, "GetEvent missing", err, store.ErrNotFound)
	_, err = h.s.GetDelivery(h.ctx, "dlv_x")
	wantErr(t, "GetDelivery missing", err, store.ErrNotFound)
}

func testInsertNoDeliveries(h *harness) {
	e := event(tenantA, "evt_1", t0)
	h.insert(e)
	got := h.getEvent(tenantA, "evt_1")
	if got.Status != store.EventReceived || got.Pending != 0 {
		h.t.Fatalf("Status %q Pending %d; want received, 0", got.Status, got.Pending)
	}
}

func testInsertAtomic(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))

	again := event(tenantA, "evt_1", at(1))
	err := h.s.InsertEvent(h.ctx, again, []*store.Delivery{delivery(again, "dlv_2", "dst_1")})
	wantErr(t, "InsertEvent with a taken ID", err, store.ErrConflict)
	_, err = h.s.GetDelivery(h.ctx, "dlv_2")
	wantErr(t, "delivery of the refused event", err, store.ErrNotFound)

	other := event(tenantA, "evt_2", at(2))
	other.DedupKey, other.DedupUntil = "k", at(60)
	err = h.s.InsertEvent(h.ctx, other, []*store.Delivery{delivery(other, "dlv_3", "dst_1"), delivery(other, "dlv_1", "dst_2")})
	wantErr(t, "InsertEvent with a taken delivery ID", err, store.ErrConflict)
	_, err = h.s.GetEvent(h.ctx, tenantA, "evt_2")
	wantErr(t, "refused event", err, store.ErrNotFound)
	_, err = h.s.GetDelivery(h.ctx, "dlv_3")
	wantErr(t, "first delivery of the refused event", err, store.ErrNotFound)
	wantEqual(t, "deliveries of evt_1", deliveryIDs(h.listDeliveries("evt_1")), []string{"dlv_1"})
	wantEqual(t, "due deliveries", deliveryIDs(h.lease("dst_1", at(5), 10)), []string{"dlv_1"})
	cs, err := h.s.Counters(h.ctx, []string{"src_1"})
	wantErr(t, "Counters", err, nil)
	wantEqual(t, "source count", cs[0].Count, int64(1))
	// The refused event's dedup key was not remembered.
	retry := event(tenantA, "evt_3", at(3))
	retry.DedupKey, retry.DedupUntil = "k", at(60)
	h.insert(retry)
	wantEqual(t, "DedupStatus", retry.DedupStatus, store.DedupUnique)
}

// testConcurrentInserts races pairs of inserts that share a delivery ID
// (the second delivery of each): one of each pair wins, and the loser
// leaves nothing behind (its event and first delivery were written before
// the conflict), whatever else was written at the same time.
func testConcurrentInserts(h *harness) {
	t := h.t
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := event(tenantA, fmt.Sprintf("evt_%d", i), at(i))
			ds := []*store.Delivery{delivery(e, fmt.Sprintf("dlv_%d", i), "dst_1"), delivery(e, fmt.Sprintf("shared_%d", i/2), "dst_2")}
			errs[i] = h.s.InsertEvent(h.ctx, e, ds)
		})
	}
	wg.Wait()
	for i := 0; i < n; i += 2 {
		winner, loser := i, i+1
		switch {
		case errs[i] == nil && errors.Is(errs[i+1], store.ErrConflict):
		case errs[i+1] == nil && errors.Is(errs[i], store.ErrConflict):
			winner, loser = i+1, i
		default:
			t.Fatalf("inserts %d and %d: %v, %v; want one nil, one ErrConflict", i, i+1, errs[i], errs[i+1])
		}
		wantEqual(t, "deliveries of the winner", deliveryIDs(h.listDeliveries(fmt.Sprintf("evt_%d", winner))),
			[]string{fmt.Sprintf("dlv_%d", winner), fmt.Sprintf("shared_%d", i/2)})
		_, err := h.s.GetEvent(h.ctx, tenantA, fmt.Sprintf("evt_%d", loser))
		wantErr(t, "event of the loser", err, store.ErrNotFound)
		_, err = h.s.GetDelivery(h.ctx, fmt.Sprintf("dlv_%d", loser))
		wantErr(t, "delivery of the loser", err, store.ErrNotFound)
	}
	page, err := h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tenantA, Limit: 1})
	wantErr(t, "ListEvents", err, nil)
	wantEqual(t, "events", page.Total, n/2)
	wantEqual(t, "due deliveries", len(h.lease("dst_1", at(n), 2*n)), n/2)
	cs, err := h.s.Counters(h.ctx, []string{"src_1", "con_dst_1"})
	wantErr(t, "Counters", err, nil)
	wantEqual(t, "counts", []int64{cs[0].Count, cs[1].Count}, []int64{n / 2, n / 2})
}

func testEventCopies(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	d := delivery(e, "dlv_1", "dst_1")
	h.insert(e, d)
	want := *e
	want.Headers = map[string]string{"Content-Type": "application/json"}
	want.Body = []byte(`{"id":"evt_1"}`)
	e.Headers["Content-Type"], e.Body[0] = "changed", 'X'
	got := h.getEvent(tenantA, "evt_1")
	wantEqual(t, "GetEvent after changing the inserted event", got, &want)
	got.Headers["Content-Type"], got.Body[0] = "changed", 'X'
	wantEqual(t, "GetEvent after changing a returned event", h.getEvent(tenantA, "evt_1"), &want)
	d.DestinationID = "changed"
	wantEqual(t, "DestinationID after changing the inserted delivery", h.getDelivery("dlv_1").DestinationID, "dst_1")
}

func testEventTenancy(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	for _, tn := range []store.Tenant{tenantB, tenantC} {
		_, err := h.s.GetEvent(h.ctx, tn, "evt_1")
		wantErr(t, "GetEvent from another tenant", err, store.ErrNotFound)
		_, err = h.s.ListDeliveries(h.ctx, tn, "evt_1")
		wantErr(t, "ListDeliveries from another tenant", err, store.ErrNotFound)
		_, err = h.s.Requeue(h.ctx, tn, "dlv_1", store.TriggerManual, t0, 0)
		wantErr(t, "Requeue from another tenant", err, store.ErrNotFound)
		page, err := h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tn})
		wantErr(t, "ListEvents of another tenant", err, nil)
		if len(page.Events) != 0 || page.Total != 0 {
			t.Fatalf("ListEvents of another tenant: %d events, total %d", len(page.Events), page.Total)
		}
	}
}

func dedupEvent(id, sourceID, key string, received time.Time) *store.Event {
	e := event(tenantA, id, received)
	e.SourceID, e.DedupKey, e.DedupUntil = sourceID, key, received.Add(time.Hour)
	return e
}

func testDedupWindow(h *harness) {
	t := h.t
	first := dedupEvent("evt_1", "src_1", "k", t0)
	h.insert(first, delivery(first, "dlv_1", "dst_1"))
	wantEqual(t, "first DedupStatus", first.DedupStatus, store.DedupUnique)

	dup := dedupEvent("evt_2", "src_1", "k", at(30))
	h.insert(dup, delivery(dup, "dlv_2", "dst_1"))
	got := h.getEvent(tenantA, "evt_2")
	if got.DedupStatus != store.DedupDuplicate || got.Status != store.EventReceived || got.Pending != 0 {
		t.Fatalf("duplicate: DedupStatus %q Status %q Pending %d; want duplicate, received, 0", got.DedupStatus, got.Status, got.Pending)
	}
	wantEqual(t, "deliveries of the duplicate", len(h.listDeliveries("evt_2")), 0)
	_, err := h.s.GetDelivery(h.ctx, "dlv_2")
	wantErr(t, "delivery of the duplicate", err, store.ErrNotFound)

	// Keys are per source.
	other := dedupEvent("evt_3", "src_2", "k", at(30))
	h.insert(other)
	wantEqual(t, "same key, other source", other.DedupStatus, store.DedupUnique)
	// A duplicate does not extend the window.
	late := dedupEvent("evt_4", "src_1", "k", at(61))
	h.insert(late)
	wantEqual(t, "after the first window", late.DedupStatus, store.DedupUnique)
}

func testDedupAfterWindow(h *harness) {
	t := h.t
	h.insert(dedupEvent("evt_1", "src_1", "k", t0))
	atEnd := dedupEvent("evt_2", "src_1", "k", at(60))
	h.insert(atEnd)
	wantEqual(t, "at the expiry", atEnd.DedupStatus, store.DedupUnique)
	// The key is remembered again, for the new window.
	dup := dedupEvent("evt_3", "src_1", "k", at(90))
	h.insert(dup)
	wantEqual(t, "inside the new window", dup.DedupStatus, store.DedupDuplicate)
	plain := event(tenantA, "evt_4", at(91))
	h.insert(plain)
	wantEqual(t, "without a key", plain.DedupStatus, "")
}

func testCounters(h *harness) {
	t := h.t
	e1 := event(tenantA, "evt_1", at(2))
	h.insert(e1, delivery(e1, "dlv_1", "dst_1"), delivery(e1, "dlv_2", "dst_2"))
	e2 := event(tenantA, "evt_2", at(1)) // older, arriving later
	h.insert(e2, delivery(e2, "dlv_3", "dst_1"))
	e3 := event(tenantA, "evt_3", at(3))
	e3.SourceID = ""
	h.insert(e3)

	leased := h.lease("dst_1", at(5), 10)
	h.completeOK(
		outcome(leased[0], store.ResultRetry, attempt(leased[0], "att_1", store.AttemptFailed, at(6)), at(6)),
		outcome(leased[1], store.ResultRelease, attempt(leased[1], "att_2", store.AttemptFailed, at(7)), at(7)),
	)
	cs, err := h.s.Counters(h.ctx, []string{"src_1", "con_dst_1", "con_dst_2", "dst_1", "unknown", ""})
	wantErr(t, "Counters", err, nil)
	wantEqual(t, "count", []int64{cs[0].Count, cs[1].Count, cs[2].Count, cs[3].Count, cs[4].Count, cs[5].Count},
		[]int64{2, 2, 1, 1, 0, 0})
	for i, want := range []time.Time{at(2), at(2), at(2), at(6), {}, {}} {
		if !cs[i].Last.Equal(want) {
			t.Fatalf("counter %d: Last = %v, want %v", i, cs[i].Last, want)
		}
	}
}

// insertListEvents inserts events evt_00..evt_09 received one minute apart
// with varied fields, and one event in tenantB.
func insertListEvents(h *harness) {
	h.t.Helper()
	for i := range 10 {
		e := event(tenantA, fmt.Sprintf("evt_%02d", i), at(i))
		e.SourceID = []string{"src_1", "src_2"}[i%2]
		e.Method = []string{"POST", "PUT", "POST", "POST", "DELETE"}[i%5]
		if i%3 == 0 {
			e.VerificationStatus, e.Topic = "failed", "orders"
			e.Body = []byte(`{"needle":true}`)
		}
		var ds []*store.Delivery
		if i < 4 {
			ds = append(ds, delivery(e, fmt.Sprintf("dlv_%02d", i), "dst_1"))
		}
		if i == 9 {
			e.DedupKey, e.DedupUntil, e.SourceID = "k", at(60), "src_1"
			dup := event(tenantA, "evt_99", at(1))
			dup.DedupKey, dup.DedupUntil, dup.SourceID = "k", at(60), "src_1"
			h.insert(e)
			h.insert(dup)
			continue
		}
		h.insert(e, ds...)
	}
	h.insert(event(tenantB, "evt_b", at(5)))
}

func testListEventFilters(h *harness) {
	insertListEvents(h)
	for _, tc := range []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"all", store.EventQuery{}, []string{"evt_09", "evt_08", "evt_07", "evt_06", "evt_05", "evt_04", "evt_03", "evt_02", "evt_99", "evt_01", "evt_00"}},
		{"source", store.EventQuery{SourceID: "src_2"}, []string{"evt_07", "evt_05", "evt_03", "evt_01"}},
		{"status", store.EventQuery{Status: store.EventProcessing}, []string{"evt_03", "evt_02", "evt_01", "evt_00"}},
		{"dedup", store.EventQuery{DedupStatus: store.DedupDuplicate}, []string{"evt_99"}},
		{"verification", store.EventQuery{VerificationStatus: "failed"}, []string{"evt_09", "evt_06", "evt_03", "evt_00"}},
		{"method", store.EventQuery{Method: "PUT"}, []string{"evt_06", "evt_01"}},
		{"topic", store.EventQuery{Topic: "orders", SourceID: "src_1"}, []string{"evt_09", "evt_06", "evt_00"}},
		{"search", store.EventQuery{Search: "needle"}, []string{"evt_09", "evt_06", "evt_03", "evt_00"}},
		{"search and method", store.EventQuery{Search: "needle", Method: "POST"}, []string{"evt_03", "evt_00"}},
		{"after", store.EventQuery{After: at(7)}, []string{"evt_09", "evt_08"}},
		{"before", store.EventQuery{Before: at(2)}, []string{"evt_99", "evt_01", "evt_00"}},
		{"between", store.EventQuery{After: at(2), Before: at(5), Method: "POST"}, []string{"evt_03"}},
		{"none", store.EventQuery{Method: "PATCH"}, nil},
	} {
		tc.q.Tenant = tenantA
		page, err := h.s.ListEvents(h.ctx, tc.q)
		wantErr(h.t, tc.name, err, nil)
		if got := eventIDs(page.Events); !equalIDs(got, tc.want) || page.Total != len(tc.want) || (page.NextCursor != "") {
			h.t.Fatalf("%s: got %v total %d more %v, want %v total %d", tc.name, got, page.Total, (page.NextCursor != ""), tc.want, len(tc.want))
		}
	}
}

func equalIDs(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func testListEventPages(h *harness) {
	insertListEvents(h)
	for _, q := range []store.EventQuery{
		{Tenant: tenantA, Limit: 3},
		{Tenant: tenantA, Limit: 2, SourceID: "src_1"},
		{Tenant: tenantA, Limit: 2, Before: at(8), After: at(1)},
		{Tenant: tenantA, Limit: 1, Search: "needle"},
	} {
		all := q
		all.Limit = 100
		want, err := h.s.ListEvents(h.ctx, all)
		wantErr(h.t, "ListEvents", err, nil)
		var got []string
		for {
			page, err := h.s.ListEvents(h.ctx, q)
			wantErr(h.t, "ListEvents page", err, nil)
			if page.Total != want.Total {
				h.t.Fatalf("%+v: page Total %d, want %d", q, page.Total, want.Total)
			}
			if len(page.Events) > q.Limit {
				h.t.Fatalf("%+v: %d events in a page", q, len(page.Events))
			}
			got = append(got, eventIDs(page.Events)...)
			if !(page.NextCursor != "") {
				break
			}
			q.Cursor = page.NextCursor
		}
		if !equalIDs(got, eventIDs(want.Events)) {
			h.t.Fatalf("%+v: pages give %v, want %v", q, got, eventIDs(want.Events))
		}
	}
	page, err := h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tenantA})
	wantErr(h.t, "ListEvents default limit", err, nil)
	wantEqual(h.t, "default limit holds all 11", len(page.Events), 11)
}

func testListEventsStable(h *harness) {
	t := h.t
	for i := range 6 {
		h.insert(event(tenantA, fmt.Sprintf("evt_%d", i), t0))
	}
	q := store.EventQuery{Tenant: tenantA, Limit: 2}
	var got []string
	for n := 0; ; n++ {
		page, err := h.s.ListEvents(h.ctx, q)
		wantErr(t, "ListEvents", err, nil)
		got = append(got, eventIDs(page.Events)...)
		h.insert(event(tenantA, fmt.Sprintf("new_%d", n), at(n+1)))
		h.insert(event(tenantA, fmt.Sprintf("same_%d", n), t0))
		if !(page.NextCursor != "") {
			break
		}
		q.Cursor = page.NextCursor
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("listing %v: %s twice", got, id)
		}
		seen[id] = true
	}
	for i := range 6 {
		if !seen[fmt.Sprintf("evt_%d", i)] {
			t.Fatalf("listing %v: evt_%d missing", got, i)
		}
	}
}

func testPrune(h *harness) {
	t := h.t
	done := event(tenantA, "evt_done", t0)
	pending := event(tenantA, "evt_pending", at(1))
	quiet := event(tenantA, "evt_quiet", at(2))
	quiet.DedupKey, quiet.DedupUntil = "old", at(3)
	recent := event(tenantA, "evt_recent", at(30))
	recent.DedupKey, recent.DedupUntil = "new", at(90)
	h.insert(done, delivery(done, "dlv_done", "dst_1"))
	h.insert(pending, delivery(pending, "dlv_pending", "dst_2"))
	h.insert(quiet)
	h.insert(recent, delivery(recent, "dlv_recent", "dst_3"))
	d := h.lease("dst_1", at(5), 1)[0]
	h.completeOK(outcome(d, store.ResultDead, attempt(d, "att_1", store.AttemptFailed, at(5)), at(5)))
	d = h.lease("dst_3", at(31), 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_2", store.AttemptSuccess, at(31)), at(31)))

	n, err := h.s.PruneEvents(h.ctx, at(20))
	wantErr(t, "PruneEvents", err, nil)
	wantEqual(t, "pruned", n, 2)
	for id, want := range map[string]error{"evt_done": store.ErrNotFound, "evt_quiet": store.ErrNotFound, "evt_pending": nil, "evt_recent": nil} {
		_, err := h.s.GetEvent(h.ctx, tenantA, id)
		wantErr(t, "GetEvent "+id+" after PruneEvents", err, want)
	}
	_, err = h.s.GetDelivery(h.ctx, "dlv_done")
	wantErr(t, "delivery of a pruned event", err, store.ErrNotFound)
	_, err = h.s.GetAttempt(h.ctx, tenantA, "att_1")
	wantErr(t, "attempt of a pruned event", err, store.ErrNotFound)
	atts, total, err := h.s.ListAttempts(h.ctx, store.AttemptQuery{Tenant: tenantA})
	wantErr(t, "ListAttempts", err, nil)
	if total != 1 || !equalIDs(attemptIDs(atts), []string{"att_2"}) {
		t.Fatalf("ListAttempts after PruneEvents: %v total %d, want [att_2] 1", attemptIDs(atts), total)
	}
	page, err := h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tenantA})
	wantErr(t, "ListEvents", err, nil)
	if page.Total != 2 || !equalIDs(eventIDs(page.Events), []string{"evt_recent", "evt_pending"}) {
		t.Fatalf("ListEvents after PruneEvents: %v total %d", eventIDs(page.Events), page.Total)
	}
	wantEqual(t, "pending delivery still due", deliveryIDs(h.lease("dst_2", at(40), 1)), []string{"dlv_pending"})

	// A key that expires after the cutoff still deduplicates.
	dup := event(tenantA, "evt_dup", at(40))
	dup.DedupKey, dup.DedupUntil = "new", at(100)
	h.insert(dup)
	wantEqual(t, "DedupStatus of a kept key", dup.DedupStatus, store.DedupDuplicate)
	n, err = h.s.PruneEvents(h.ctx, at(20))
	wantErr(t, "PruneEvents again", err, nil)
	wantEqual(t, "pruned again", n, 0)
}

// testPruneMany prunes more events than a store is likely to delete in one
// go, some of them still pending.
func testPruneMany(h *harness) {
	const n, writers = 1200, 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				e := event(tenantA, fmt.Sprintf("evt_%04d", i), t0.Add(time.Duration(i)*time.Second))
				var ds []*store.Delivery
				if i%7 == 0 {
					ds = append(ds, delivery(e, fmt.Sprintf("dlv_%04d", i), "dst_1"))
				}
				if err := h.s.InsertEvent(h.ctx, e, ds); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Fatalf("InsertEvent = %v", err)
	}
	pending := (n + 6) / 7
	got, err := h.s.PruneEvents(h.ctx, at(n))
	wantErr(h.t, "PruneEvents", err, nil)
	wantEqual(h.t, "pruned", got, n-pending)
	page, err := h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tenantA, Limit: 1})
	wantErr(h.t, "ListEvents", err, nil)
	wantEqual(h.t, "events left", page.Total, pending)
	page, err = h.s.ListEvents(h.ctx, store.EventQuery{Tenant: tenantA, Limit: 1, Status: store.EventProcessing})
	wantErr(h.t, "ListEvents", err, nil)
	wantEqual(h.t, "pending events left", page.Total, pending)
}
