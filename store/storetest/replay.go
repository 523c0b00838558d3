package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

func testReplay(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"WalkOldestFirst":        testReplayWalk,
		"WalkRoutedByConnection": testReplayWalkConnection,
		"AddDelivery":            testAddDelivery,
		"ClaimExclusive":         testClaimReplays,
		"SaveNeedsTheClaim":      testSaveReplay,
		"CancelWinsOverDriver":   testCancelReplay,
		"PruneEnded":             testPruneReplays,
	})
}

// walk returns the IDs of every event q selects, reading pages of limit.
func (h *harness) walk(q store.ReplayQuery, limit int) []string {
	h.t.Helper()
	var out []string
	q.Limit = limit
	for {
		page, err := h.s.ReplayEvents(h.ctx, q)
		if err != nil {
			h.t.Fatalf("ReplayEvents(cursor %q) = %v", q.Cursor, err)
		}
		if len(page.Events) > limit {
			h.t.Fatalf("ReplayEvents returned %d events, limit %d", len(page.Events), limit)
		}
		out = append(out, eventIDs(page.Events)...)
		if page.NextCursor == "" {
			return out
		}
		if len(page.Events) == 0 {
			h.t.Fatalf("ReplayEvents: an empty page with a cursor")
		}
		q.Cursor = page.NextCursor
	}
}

func testReplayWalk(h *harness) {
	t := h.t
	// Stored out of time order; evt_3 and evt_4 share a time (stored in
	// that order); evt_dup is a duplicate; evt_other another source's.
	for _, e := range []struct {
		id   string
		at   int
		src  string
		dup  bool
		tn   store.Tenant
		body string
	}{
		{id: "evt_5", at: 40, src: "src_1"}, {id: "evt_1", at: 0, src: "src_1"}, {id: "evt_2", at: 10, src: "src_1"},
		{id: "evt_3", at: 20, src: "src_1"}, {id: "evt_4", at: 20, src: "src_1"}, {id: "evt_before", at: -1, src: "src_1"},
		{id: "evt_end", at: 50, src: "src_1"}, {id: "evt_dup", at: 30, src: "src_1", dup: true},
		{id: "evt_other", at: 30, src: "src_2"}, {id: "evt_b", at: 10, src: "src_1", tn: tenantB},
	} {
		tn := e.tn
		if tn == (store.Tenant{}) {
			tn = tenantA
		}
		ev := event(tn, e.id, at(e.at))
		ev.SourceID = e.src
		if e.dup {
			first := event(tn, e.id+"_first", at(e.at))
			first.DedupKey, first.DedupUntil, first.SourceID = "k", at(100), e.src
			h.insert(first)
			ev.DedupKey, ev.DedupUntil = "k", at(100)
		}
		h.insert(ev)
	}
	q := store.ReplayQuery{Tenant: tenantA, From: t0, To: at(50)}
	want := []string{"evt_1", "evt_2", "evt_3", "evt_4", "evt_dup_first", "evt_other", "evt_5"}
	for _, limit := range []int{1, 2, 3, 7, 100} {
		wantEqual(t, "walk in pages of "+strconv.Itoa(limit), h.walk(q, limit), want)
	}
	q.SourceID = "src_1"
	wantEqual(t, "walk of src_1", h.walk(q, 2), []string{"evt_1", "evt_2", "evt_3", "evt_4", "evt_dup_first", "evt_5"})
	for max, wantN := range map[int]int{1: 1, 4: 4, 6: 6, 100: 6} {
		n, err := h.s.CountReplayEvents(h.ctx, q, max)
		wantErr(t, "CountReplayEvents", err, nil)
		wantEqual(t, "CountReplayEvents max "+strconv.Itoa(max), n, wantN)
	}
	// The first page's cursor continues after its last event.
	page, err := h.s.ReplayEvents(h.ctx, store.ReplayQuery{Tenant: tenantA, From: t0, To: at(50), Limit: 2})
	wantErr(t, "ReplayEvents", err, nil)
	wantEqual(t, "first page", eventIDs(page.Events), []string{"evt_1", "evt_2"})
	if got := page.Events[0]; string(got.Body) != `{"id":"evt_1"}` || got.SourceID != "src_1" {
		t.Fatalf("ReplayEvents returned %s", show(got))
	}
	wantEqual(t, "after the first page", h.walk(store.ReplayQuery{Tenant: tenantA, From: t0, To: at(50), Cursor: page.NextCursor}, 10),
		[]string{"evt_3", "evt_4", "evt_dup_first", "evt_other", "evt_5"})
	// An empty range, another tenant's range, a bad cursor.
	wantEqual(t, "empty range", len(h.walk(store.ReplayQuery{Tenant: tenantA, From: at(41), To: at(50)}, 5)), 0)
	wantEqual(t, "tenant B", h.walk(store.ReplayQuery{Tenant: tenantB, From: t0, To: at(50)}, 5), []string{"evt_b"})
	_, err = h.s.ReplayEvents(h.ctx, store.ReplayQuery{Tenant: tenantA, From: t0, To: at(50), Cursor: "bogus"})
	wantErr(t, "ReplayEvents with a bad cursor", err, store.ErrInvalidCursor)
}

func testReplayWalkConnection(h *harness) {
	t := h.t
	for i, conn := range []string{"con_a", "con_b", "con_a", ""} {
		e := event(tenantA, "evt_"+strconv.Itoa(i), at(i))
		var ds []*store.Delivery
		if conn != "" {
			d := delivery(e, "dlv_"+strconv.Itoa(i), "dst_1")
			d.ConnectionID = conn
			ds = append(ds, d)
		}
		h.insert(e, ds...)
	}
	q := store.ReplayQuery{Tenant: tenantA, ConnectionID: "con_a", From: t0, To: at(10)}
	wantEqual(t, "events routed by con_a", h.walk(q, 1), []string{"evt_0", "evt_2"})
	n, err := h.s.CountReplayEvents(h.ctx, q, 10)
	wantErr(t, "CountReplayEvents", err, nil)
	wantEqual(t, "CountReplayEvents", n, 2)
	// A delivery added later counts as routed too.
	d := delivery(&store.Event{ID: "evt_3", OrgID: tenantA.OrgID, EnvID: tenantA.EnvID}, "dlv_added", "dst_2")
	d.ConnectionID = "con_a"
	if _, err := h.s.AddDelivery(h.ctx, d, at(20), 0); err != nil {
		t.Fatalf("AddDelivery = %v", err)
	}
	wantEqual(t, "after AddDelivery", h.walk(q, 5), []string{"evt_0", "evt_2", "evt_3"})
}

func testAddDelivery(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	first := delivery(e, "dlv_1", "dst_1")
	h.insert(e, first)
	h.completeOK(outcome(h.lease("dst_1", t0, 1)[0], store.ResultSuccess, attempt(first, "att_1", store.AttemptSuccess, t0), t0))
	if got := h.getEvent(tenantA, "evt_1").Status; got != store.EventDelivered {
		t.Fatalf("event status %q before the replay", got)
	}

	d := delivery(e, "dlv_replay", "dst_2")
	d.Trigger, d.NoRetry = store.TriggerReplay, true
	added, err := h.s.AddDelivery(h.ctx, d, at(5), leaseTTL)
	wantErr(t, "AddDelivery", err, nil)
	if added.State != store.DeliveryPending || added.LeaseToken == "" || !added.NextAt.Equal(at(5).Add(leaseTTL)) || added.ID != "dlv_replay" {
		t.Fatalf("added delivery %s", show(added))
	}
	stored := h.getDelivery("dlv_replay")
	if stored.LeaseToken != added.LeaseToken || !stored.NoRetry || stored.Trigger != store.TriggerReplay || stored.Seq == 0 {
		t.Fatalf("stored delivery %s", show(stored))
	}
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventProcessing || ev.Pending != 1 {
		t.Fatalf("event after AddDelivery: status %q pending %d", ev.Status, ev.Pending)
	}
	wantEqual(t, "the event's deliveries", deliveryIDs(h.listDeliveries("evt_1")), []string{"dlv_1", "dlv_replay"})
	// Leased: not due until the lease expires; its outcome needs the token.
	dests, _, err := h.s.DueDestinations(h.ctx, at(5))
	wantErr(t, "DueDestinations", err, nil)
	wantEqual(t, "due while leased", len(dests), 0)
	errs := h.complete(store.Outcome{DeliveryID: "dlv_replay", LeaseToken: "stale", Result: store.ResultSuccess, Now: at(6)})
	wantErr(t, "a stale completion", errs[0], store.ErrLeaseLost)
	h.completeOK(outcome(added, store.ResultDead, attempt(added, "att_2", store.AttemptFailed, at(6)), at(6)))
	if ev := h.getEvent(tenantA, "evt_1"); ev.Status != store.EventFailed || ev.Pending != 0 || ev.Dead != 1 {
		t.Fatalf("event after the replay failed: status %q pending %d dead %d", ev.Status, ev.Pending, ev.Dead)
	}

	// A taken ID keeps its delivery; an unknown or another tenant's event
	// is not found.
	_, err = h.s.AddDelivery(h.ctx, d, at(7), leaseTTL)
	wantErr(t, "AddDelivery of a taken ID", err, store.ErrConflict)
	if got := h.getDelivery("dlv_replay"); got.State != store.DeliveryDead {
		t.Fatalf("the taken ID's delivery became %s", show(got))
	}
	if ev := h.getEvent(tenantA, "evt_1"); ev.Pending != 0 {
		t.Fatalf("a refused AddDelivery counted a pending delivery: %d", ev.Pending)
	}
	missing := delivery(&store.Event{ID: "evt_missing", OrgID: tenantA.OrgID, EnvID: tenantA.EnvID}, "dlv_x", "dst_1")
	_, err = h.s.AddDelivery(h.ctx, missing, at(7), 0)
	wantErr(t, "AddDelivery to a missing event", err, store.ErrNotFound)
	elsewhere := delivery(&store.Event{ID: "evt_1", OrgID: tenantB.OrgID, EnvID: tenantB.EnvID}, "dlv_y", "dst_1")
	_, err = h.s.AddDelivery(h.ctx, elsewhere, at(7), 0)
	wantErr(t, "AddDelivery to another tenant's event", err, store.ErrNotFound)

	// Without a lease, it is due at once.
	due, err := h.s.AddDelivery(h.ctx, delivery(e, "dlv_due", "dst_3"), at(8), 0)
	wantErr(t, "AddDelivery without a lease", err, nil)
	if due.LeaseToken != "" || !due.NextAt.Equal(at(8)) {
		t.Fatalf("unleased delivery %s", show(due))
	}
	wantEqual(t, "leased at once", deliveryIDs(h.lease("dst_3", at(8), 5)), []string{"dlv_due"})
}

// claim claims jobs for owner at now.
func (h *harness) claim(owner string, now time.Time, limit int) []string {
	h.t.Helper()
	jobs, err := h.s.ClaimReplays(h.ctx, owner, now, leaseTTL, limit)
	if err != nil {
		h.t.Fatalf("ClaimReplays(%s) = %v", owner, err)
	}
	for _, j := range jobs {
		if j.LeaseOwner != owner || !j.LeaseUntil.Equal(now.Add(leaseTTL)) || j.Status != store.ReplayRunning {
			h.t.Fatalf("claimed job %s", show(j))
		}
	}
	return ids(jobs, func(j *store.ReplayJob) string { return j.ID })
}

func testClaimReplays(h *harness) {
	t := h.t
	done := replayJob(tenantA, "rpl_done", at(-3))
	done.Status = store.ReplayCompleted
	h.create(replayJob(tenantA, "rpl_2", at(-1)), replayJob(tenantB, "rpl_1", at(-2)), done)
	// A running job is found by its running key; an ended one is not.
	wantErr(t, "Lookup of a running job", h.s.Lookup(h.ctx, new(store.ReplayJob), store.ReplayRunningKey("rpl_2")), nil)
	wantErr(t, "Lookup of an ended job", h.s.Lookup(h.ctx, new(store.ReplayJob), store.ReplayRunningKey("rpl_done")), store.ErrNotFound)

	wantEqual(t, "first claim", h.claim("p1", t0, 1), []string{"rpl_1"}) // oldest first, any tenant
	wantEqual(t, "second owner", h.claim("p2", t0, 5), []string{"rpl_2"})
	wantEqual(t, "nothing left", len(h.claim("p3", t0, 5)), 0)
	// An owner claims its own jobs again (a restart under the same name),
	// not the other's, and never shortens its lease.
	wantEqual(t, "p1 again", h.claim("p1", t0, 5), []string{"rpl_1"})
	// p1 keeps its job by saving it; once p2's lease has expired, anyone
	// may claim p2's.
	jobs, err := h.s.ClaimReplays(h.ctx, "p0", at(-10), leaseTTL, 0)
	wantErr(t, "ClaimReplays of none", err, nil)
	wantEqual(t, "a claim of none", len(jobs), 0)
	kept := replayJob(tenantB, "rpl_1", at(-2))
	kept.LeaseOwner, kept.LeaseUntil = "p1", leaseExpiry(at(1))
	if _, err := h.s.SaveReplay(h.ctx, kept, "p1"); err != nil {
		t.Fatalf("SaveReplay = %v", err)
	}
	wantEqual(t, "after p2's lease", h.claim("p3", leaseExpiry(t0), 5), []string{"rpl_2"})
	jobs, err = h.s.ClaimReplays(h.ctx, "p1", t0, leaseTTL, 5)
	wantErr(t, "ClaimReplays", err, nil)
	if len(jobs) != 1 || jobs[0].ID != "rpl_1" || !jobs[0].LeaseUntil.Equal(leaseExpiry(at(1))) {
		t.Fatalf("p1's claim of its job shortened its lease: %s", show(jobs))
	}
	got := &store.ReplayJob{Meta: store.Meta{ID: "rpl_2", OrgID: tenantA.OrgID, EnvID: tenantA.EnvID}}
	wantErr(t, "Get", h.s.Get(h.ctx, got), nil)
	if got.LeaseOwner != "p3" || got.Status != store.ReplayRunning || got.Total != 3 {
		t.Fatalf("stored job after the claims %s", show(got))
	}
}

func testSaveReplay(h *harness) {
	t := h.t
	h.create(replayJob(tenantA, "rpl_1", t0))
	claimed, err := h.s.ClaimReplays(h.ctx, "p1", t0, leaseTTL, 1)
	wantErr(t, "ClaimReplays", err, nil)
	job := claimed[0]
	job.Processed, job.Succeeded, job.Cursor, job.UpdatedAt = 2, 2, "c2", at(1)
	saved, err := h.s.SaveReplay(h.ctx, job, "p1")
	wantErr(t, "SaveReplay by its owner", err, nil)
	wantEqual(t, "saved", saved, job)

	other := *job
	other.Processed = 99
	_, err = h.s.SaveReplay(h.ctx, &other, "p2")
	wantErr(t, "SaveReplay by another owner", err, store.ErrLeaseLost)
	elsewhere := *job
	elsewhere.EnvID = tenantB.EnvID
	_, err = h.s.SaveReplay(h.ctx, &elsewhere, "p1")
	wantErr(t, "SaveReplay in another tenant", err, store.ErrNotFound)

	// Completing it gives the claim up: nobody claims it again.
	job.Processed, job.Succeeded, job.Status, job.CompletedAt = 3, 3, store.ReplayCompleted, at(2)
	job.LeaseOwner, job.LeaseUntil = "", time.Time{}
	_, err = h.s.SaveReplay(h.ctx, job, "p1")
	wantErr(t, "SaveReplay completing it", err, nil)
	wantEqual(t, "claims after completion", len(h.claim("p1", at(3), 5)), 0)
	_, err = h.s.SaveReplay(h.ctx, job, "p1")
	wantErr(t, "SaveReplay after giving the claim up", err, store.ErrLeaseLost)
	got := &store.ReplayJob{Meta: job.Meta}
	wantErr(t, "Get", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "stored", got, job)
}

func testCancelReplay(h *harness) {
	t := h.t
	h.create(replayJob(tenantA, "rpl_1", t0))
	claimed, err := h.s.ClaimReplays(h.ctx, "p1", t0, leaseTTL, 1)
	wantErr(t, "ClaimReplays", err, nil)
	_, err = h.s.CancelReplay(h.ctx, tenantB, "rpl_1", at(1))
	wantErr(t, "CancelReplay from another tenant", err, store.ErrNotFound)
	cancelled, err := h.s.CancelReplay(h.ctx, tenantA, "rpl_1", at(1))
	wantErr(t, "CancelReplay", err, nil)
	if cancelled.Status != store.ReplayCancelled || !cancelled.CompletedAt.Equal(at(1)) {
		t.Fatalf("cancelled job %s", show(cancelled))
	}
	wantEqual(t, "claims of a cancelled job", len(h.claim("p2", leaseExpiry(at(1)), 5)), 0)

	// Its driver stores its last progress, and learns of the cancel.
	job := claimed[0]
	job.Processed, job.Failed, job.UpdatedAt = 1, 1, at(2)
	saved, err := h.s.SaveReplay(h.ctx, job, "p1")
	wantErr(t, "SaveReplay of a cancelled job", err, nil)
	if saved.Status != store.ReplayCancelled || !saved.CompletedAt.Equal(at(1)) || saved.Processed != 1 || saved.LeaseOwner != "" {
		t.Fatalf("saved after the cancel %s", show(saved))
	}
	_, err = h.s.SaveReplay(h.ctx, job, "p1")
	wantErr(t, "SaveReplay again", err, store.ErrLeaseLost)
	again, err := h.s.CancelReplay(h.ctx, tenantA, "rpl_1", at(5))
	wantErr(t, "CancelReplay of an ended job", err, nil)
	wantEqual(t, "an ended job is unchanged", again, saved)
}

func testPruneReplays(h *harness) {
	t := h.t
	ended := func(tn store.Tenant, id string, status string, completed time.Time) *store.ReplayJob {
		j := replayJob(tn, id, at(-10))
		j.Status, j.CompletedAt = status, completed
		return j
	}
	h.create(
		ended(tenantA, "rpl_old_done", store.ReplayCompleted, at(1)),
		ended(tenantB, "rpl_old_failed", store.ReplayFailed, at(2)),
		ended(tenantA, "rpl_old_cancelled", store.ReplayCancelled, at(3)),
		ended(tenantA, "rpl_recent", store.ReplayCompleted, at(20)),
		replayJob(tenantA, "rpl_running", at(-20)), // running, however old
	)
	n, err := h.s.PruneReplays(h.ctx, at(10))
	wantErr(t, "PruneReplays", err, nil)
	wantEqual(t, "pruned", n, 3)
	for _, c := range []struct {
		tn   store.Tenant
		id   string
		want error
	}{
		{tenantA, "rpl_old_done", store.ErrNotFound},
		{tenantB, "rpl_old_failed", store.ErrNotFound},
		{tenantA, "rpl_old_cancelled", store.ErrNotFound},
		{tenantA, "rpl_recent", nil},
		{tenantA, "rpl_running", nil},
	} {
		got := &store.ReplayJob{Meta: store.Meta{ID: c.id, OrgID: c.tn.OrgID, EnvID: c.tn.EnvID}}
		wantErr(t, "Get "+c.id+" after PruneReplays", h.s.Get(h.ctx, got), c.want)
	}
	// A pruned job's ID is free again, and the running one is still claimed.
	h.create(ended(tenantA, "rpl_old_done", store.ReplayCompleted, at(1)))
	wantEqual(t, "claim after the prune", h.claim("p1", t0, 5), []string{"rpl_running"})
	n, err = h.s.PruneReplays(h.ctx, at(10))
	wantErr(t, "PruneReplays again", err, nil)
	wantEqual(t, "pruned again", n, 1)
}
