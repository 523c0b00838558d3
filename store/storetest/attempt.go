package storetest

import (
	"fmt"
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

func testAttempts(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"ListFiltersAndOffset": testListAttempts,
		"TenancyIsolation":     testAttemptTenancy,
	})
}

// recordAttempts makes attempts att_0..att_5, created at minutes 1..6, for
// the deliveries of two events, some of them dead letters.
func recordAttempts(h *harness) {
	h.t.Helper()
	for i := 1; i <= 2; i++ {
		e := event(tenantA, fmt.Sprintf("evt_%d", i), t0)
		h.insert(e, delivery(e, fmt.Sprintf("dlv_%d_1", i), "dst_1"), delivery(e, fmt.Sprintf("dlv_%d_2", i), "dst_2"))
	}
	leased := map[string]*store.Delivery{}
	lease := func(dest string, now int) {
		for _, d := range h.lease(dest, at(now), 10) {
			leased[d.ID] = d
		}
	}
	record := func(n int, deliveryID string, r store.Result, status string) {
		d := leased[deliveryID]
		o := outcome(d, r, attempt(d, fmt.Sprintf("att_%d", n), status, at(n+1)), at(n+1))
		o.RetryAt = at(n + 2)
		h.completeOK(o)
	}
	lease("dst_1", 1)
	lease("dst_2", 1)
	record(0, "dlv_1_1", store.ResultSuccess, store.AttemptSuccess)
	record(1, "dlv_1_2", store.ResultRetry, store.AttemptFailed)
	record(2, "dlv_2_1", store.ResultDead, store.AttemptFailed)
	record(3, "dlv_2_2", store.ResultSuccess, store.AttemptSuccess)
	lease("dst_2", 4)
	record(4, "dlv_1_2", store.ResultRetry, store.AttemptFailed)
	lease("dst_2", 6)
	record(5, "dlv_1_2", store.ResultDead, store.AttemptFailed)
}

func testListAttempts(h *harness) {
	recordAttempts(h)
	all, total, err := h.s.ListAttempts(h.ctx, store.AttemptQuery{Tenant: tenantA})
	wantErr(h.t, "ListAttempts", err, nil)
	if total != 6 || !equalIDs(attemptIDs(all), []string{"att_5", "att_4", "att_3", "att_2", "att_1", "att_0"}) {
		h.t.Fatalf("ListAttempts = %v total %d", attemptIDs(all), total)
	}
	byID := map[string]*store.Attempt{}
	for _, a := range all {
		byID[a.ID] = a
	}
	match := func(q store.AttemptQuery, a *store.Attempt) bool {
		return (q.EventID == "" || a.EventID == q.EventID) &&
			(q.ConnectionID == "" || a.ConnectionID == q.ConnectionID) &&
			(q.DestinationID == "" || a.DestinationID == q.DestinationID) &&
			(q.Status == "" || a.Status == q.Status) && (!q.DLQOnly || a.IsDLQ)
	}
	for _, q := range []store.AttemptQuery{
		{EventID: all[0].EventID},
		{EventID: all[5].EventID, Limit: 1, Offset: 1},
		{DestinationID: "dst_1"},
		{ConnectionID: "con_dst_2", Limit: 2},
		{Status: store.AttemptSuccess},
		{DLQOnly: true},
		{DLQOnly: true, DestinationID: all[0].DestinationID, EventID: all[0].EventID},
		{Limit: 2, Offset: 2},
		{Limit: 2, Offset: 5},
		{Offset: 6},
		{EventID: "evt_x"},
	} {
		q.Tenant = tenantA
		var want []string
		for _, a := range all {
			if match(q, a) {
				want = append(want, a.ID)
			}
		}
		wantTotal := len(want)
		limit := q.Limit
		if limit < 1 {
			limit = 50
		}
		want = want[min(q.Offset, len(want)):]
		want = want[:min(limit, len(want))]
		got, total, err := h.s.ListAttempts(h.ctx, q)
		wantErr(h.t, "ListAttempts", err, nil)
		if !equalIDs(attemptIDs(got), want) || total != wantTotal {
			h.t.Fatalf("ListAttempts(%+v) = %v total %d, want %v total %d", q, attemptIDs(got), total, want, wantTotal)
		}
		for _, a := range got {
			wantEqual(h.t, "listed attempt", a, byID[a.ID])
		}
	}
	for q, want := range map[*store.AttemptQuery][]string{
		{Tenant: tenantA, DLQOnly: true}:                        {"att_5", "att_2"},
		{Tenant: tenantA, EventID: "evt_1", Limit: 2}:           {"att_5", "att_4"},
		{Tenant: tenantA, DestinationID: "dst_1", Offset: 1}:    {"att_0"},
		{Tenant: tenantA, Status: store.AttemptSuccess}:         {"att_3", "att_0"},
		{Tenant: tenantA, ConnectionID: "con_dst_2", Offset: 3}: {"att_1"},
	} {
		got, _, err := h.s.ListAttempts(h.ctx, *q)
		wantErr(h.t, "ListAttempts", err, nil)
		wantEqual(h.t, fmt.Sprintf("ListAttempts(%+v)", *q), attemptIDs(got), want)
	}
}

func testAttemptTenancy(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	d := h.lease("dst_1", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_1", store.AttemptSuccess, t0), t0))
	for _, tn := range []store.Tenant{tenantB, tenantC} {
		_, err := h.s.GetAttempt(h.ctx, tn, "att_1")
		wantErr(t, "GetAttempt from another tenant", err, store.ErrNotFound)
		for _, q := range []store.AttemptQuery{{Tenant: tn}, {Tenant: tn, EventID: "evt_1"}, {Tenant: tn, DestinationID: "dst_1"}} {
			as, total, err := h.s.ListAttempts(h.ctx, q)
			wantErr(t, "ListAttempts of another tenant", err, nil)
			if len(as) != 0 || total != 0 {
				t.Fatalf("ListAttempts(%+v) = %d attempts, total %d", q, len(as), total)
			}
		}
	}
}
