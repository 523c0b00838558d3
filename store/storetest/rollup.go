package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

func testRollups(t *testing.T, newStore func(t *testing.T) store.Store) {
	parallel(t, newStore, map[string]func(h *harness){
		"CountEvents":         testEventRollups,
		"CountAttempts":       testDeliveryRollups,
		"ConcurrentWrites":    testRollupsConcurrent,
		"Prune":               testPruneRollups,
		"KeptByPruneEvents":   testRollupsOutlivePrunedEvents,
		"HistogramRoundTrips": testRollupHistogram,
	})
}

// hour returns the start of t0's hour plus n hours.
func hour(n int) time.Time { return t0.Truncate(time.Hour).Add(time.Duration(n) * time.Hour) }

func (h *harness) eventRollups(q store.RollupQuery) []store.EventRollup {
	h.t.Helper()
	rs, err := h.s.EventRollups(h.ctx, q)
	if err != nil {
		h.t.Fatalf("EventRollups(%+v) = %v", q, err)
	}
	return rs
}

func (h *harness) deliveryRollups(q store.RollupQuery) []store.DeliveryRollup {
	h.t.Helper()
	rs, err := h.s.DeliveryRollups(h.ctx, q)
	if err != nil {
		h.t.Fatalf("DeliveryRollups(%+v) = %v", q, err)
	}
	for i := range rs {
		rs[i].Latency = trimmed(rs[i].Latency)
	}
	return rs
}

// trimmed is h without its trailing empty bins (nil when empty), so that
// histograms compare by their counts alone.
func trimmed(h store.Histogram) store.Histogram {
	for len(h) > 0 && h[len(h)-1] == 0 {
		h = h[:len(h)-1]
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// er is the rollup of n events of a source in a bucket.
func er(bucket time.Time, sourceID string, n int64) store.EventRollup {
	return store.EventRollup{Bucket: bucket, SourceID: sourceID, Events: n}
}

func histogram(ms ...int64) store.Histogram {
	var h store.Histogram
	for _, v := range ms {
		h.Add(v)
	}
	return trimmed(h)
}

func testEventRollups(h *harness) {
	t := h.t
	insert := func(tn store.Tenant, id, sourceID string, received time.Time) *store.Event {
		e := event(tn, id, received)
		e.SourceID = sourceID
		h.insert(e)
		return e
	}
	insert(tenantA, "evt_1", "src_1", t0)        // 15:09
	insert(tenantA, "evt_2", "src_1", at(30))    // 15:39
	insert(tenantA, "evt_3", "src_1", at(60))    // 16:09
	insert(tenantA, "evt_4", "src_2", at(5))     // 15:14
	insert(tenantA, "evt_5", "", at(6))          // published: no source
	insert(tenantA, "evt_6", "src_1", at(24*60)) // the next day, 15:09
	insert(tenantB, "evt_7", "src_1", t0)
	// A duplicate is stored, so counted; a refused insert is not.
	first := event(tenantA, "evt_8", at(10))
	first.DedupKey, first.DedupUntil = "k", at(100)
	h.insert(first)
	dup := event(tenantA, "evt_9", at(11))
	dup.DedupKey, dup.DedupUntil = "k", at(100)
	h.insert(dup)
	wantEqual(t, "dedup status", dup.DedupStatus, store.DedupDuplicate)
	wantErr(t, "InsertEvent with a taken ID", h.s.InsertEvent(h.ctx, event(tenantA, "evt_1", at(12)), nil), store.ErrConflict)

	day := func(n int) time.Time { return t0.Truncate(24 * time.Hour).Add(time.Duration(n) * 24 * time.Hour) }
	for _, c := range []struct {
		name string
		q    store.RollupQuery
		want []store.EventRollup
	}{
		{"hours", store.RollupQuery{Tenant: tenantA, From: hour(-1), To: hour(3)}, []store.EventRollup{
			er(hour(0), "", 1), er(hour(0), "src_1", 4), er(hour(1), "src_1", 1), er(hour(0), "src_2", 1),
		}},
		{"From within an hour keeps that hour; To is exclusive", store.RollupQuery{Tenant: tenantA, From: at(50), To: hour(1)}, []store.EventRollup{
			er(hour(0), "", 1), er(hour(0), "src_1", 4), er(hour(0), "src_2", 1),
		}},
		{"one source", store.RollupQuery{Tenant: tenantA, ID: "src_1", From: hour(0), To: hour(48)}, []store.EventRollup{
			er(hour(0), "src_1", 4), er(hour(1), "src_1", 1), er(hour(24), "src_1", 1),
		}},
		{"days", store.RollupQuery{Tenant: tenantA, From: t0, To: day(2), Daily: true}, []store.EventRollup{
			er(day(0), "", 1), er(day(0), "src_1", 5), er(day(1), "src_1", 1), er(day(0), "src_2", 1),
		}},
		{"limit", store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(48), Limit: 2}, []store.EventRollup{
			er(hour(0), "", 1), er(hour(0), "src_1", 4),
		}},
		{"another tenant's", store.RollupQuery{Tenant: tenantB, From: hour(0), To: hour(1)}, []store.EventRollup{er(hour(0), "src_1", 1)}},
		{"a tenant without events", store.RollupQuery{Tenant: tenantC, From: hour(0), To: hour(48)}, nil},
		{"an empty range", store.RollupQuery{Tenant: tenantA, From: hour(2), To: hour(24)}, nil},
	} {
		got := h.eventRollups(c.q)
		if len(got) == 0 {
			got = nil
		}
		wantEqual(t, c.name, got, c.want)
	}
}

func testDeliveryRollups(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"), delivery(e, "dlv_2", "dst_1"), delivery(e, "dlv_3", "dst_2"), delivery(e, "dlv_4", "dst_2"))
	other := event(tenantB, "evt_2", t0)
	h.insert(other, delivery(other, "dlv_5", "dst_b"))
	timed := func(d *store.Delivery, id, status string, created time.Time, ms int64) *store.Attempt {
		a := attempt(d, id, status, created)
		a.DurationMS = ms
		return a
	}

	byID := map[string]*store.Delivery{}
	for _, d := range append(h.lease("dst_1", t0, 10), h.lease("dst_2", t0, 10)...) {
		byID[d.ID] = d
	}
	d1, d2, d3, d4 := byID["dlv_1"], byID["dlv_2"], byID["dlv_3"], byID["dlv_4"]
	noTime := timed(d4, "att_6", store.AttemptSuccess, time.Time{}, 7)
	h.completeOK(
		outcome(d1, store.ResultSuccess, timed(d1, "att_1", store.AttemptSuccess, at(1), 120), at(1)),
		outcome(d2, store.ResultRetry, timed(d2, "att_2", store.AttemptFailed, at(2), 2000), at(2)),
		outcome(d3, store.ResultDead, timed(d3, "att_3", store.AttemptFailed, at(3), 30), at(3)),
		// Released: no attempt, nothing counted.
		outcome(d4, store.ResultRelease, timed(d4, "att_4", store.AttemptFailed, at(4), 1), at(4)),
	)
	// A stale lease counts nothing.
	wantErr(t, "stale outcome", h.complete(outcome(d1, store.ResultSuccess, timed(d1, "att_x", store.AttemptSuccess, at(5), 1), at(5)))[0], store.ErrLeaseLost)
	// The retry, an hour later: it dead-letters. The released delivery's
	// attempt has no CreatedAt: it counts at its outcome's time.
	later := at(70)
	byID = map[string]*store.Delivery{}
	for _, d := range append(h.lease("dst_1", later, 10), h.lease("dst_2", later, 10)...) {
		byID[d.ID] = d
	}
	h.completeOK(
		outcome(byID["dlv_2"], store.ResultDead, timed(byID["dlv_2"], "att_5", store.AttemptFailed, later, 45000), later),
		outcome(byID["dlv_4"], store.ResultSuccess, noTime, later),
	)
	ob := h.lease("dst_b", t0, 10)[0]
	h.completeOK(outcome(ob, store.ResultSuccess, timed(ob, "att_7", store.AttemptSuccess, at(1), 5), at(1)))

	for _, c := range []struct {
		name string
		q    store.RollupQuery
		want []store.DeliveryRollup
	}{
		{"hours", store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(2)}, []store.DeliveryRollup{
			{Bucket: hour(0), DestinationID: "dst_1", Attempts: 2, Successes: 1, Failures: 1, Latency: histogram(120, 2000)},
			{Bucket: hour(1), DestinationID: "dst_1", Attempts: 1, Failures: 1, DeadLetters: 1, Latency: histogram(45000)},
			{Bucket: hour(0), DestinationID: "dst_2", Attempts: 1, Failures: 1, DeadLetters: 1, Latency: histogram(30)},
			{Bucket: hour(1), DestinationID: "dst_2", Attempts: 1, Successes: 1, Latency: histogram(7)},
		}},
		{"one destination, a day", store.RollupQuery{Tenant: tenantA, ID: "dst_1", From: t0, To: hour(24), Daily: true}, []store.DeliveryRollup{
			{Bucket: t0.Truncate(24 * time.Hour), DestinationID: "dst_1", Attempts: 3, Successes: 1, Failures: 2, DeadLetters: 1, Latency: histogram(120, 2000, 45000)},
		}},
		{"limit", store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(2), Limit: 1}, []store.DeliveryRollup{
			{Bucket: hour(0), DestinationID: "dst_1", Attempts: 2, Successes: 1, Failures: 1, Latency: histogram(120, 2000)},
		}},
		{"another tenant's", store.RollupQuery{Tenant: tenantB, From: hour(0), To: hour(2)}, []store.DeliveryRollup{
			{Bucket: hour(0), DestinationID: "dst_b", Attempts: 1, Successes: 1, Latency: histogram(5)},
		}},
	} {
		wantEqual(t, c.name, h.deliveryRollups(c.q), c.want)
	}
}

// testRollupsConcurrent checks that rollups count exactly under
// concurrent writes, some of which fail (a store that commits writes
// together must drop what the failed ones added).
func testRollupsConcurrent(h *harness) {
	t := h.t
	const n = 60
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := event(tenantA, fmt.Sprintf("evt_%d", i/2*2), at(i)) // pairs share an ID: one of each pair fails
			e.SourceID = fmt.Sprintf("src_%d", i%3)
			errs[i] = h.s.InsertEvent(h.ctx, e, []*store.Delivery{delivery(e, fmt.Sprintf("dlv_%d", i), "dst_1")})
		})
	}
	wg.Wait()
	want := map[string]int64{}
	for i, err := range errs {
		switch {
		case err == nil:
			want[fmt.Sprint(at(i).Truncate(time.Hour), " src_", i%3)]++
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	got := map[string]int64{}
	for _, r := range h.eventRollups(store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(3)}) {
		got[fmt.Sprint(r.Bucket, " ", r.SourceID)] += r.Events
	}
	wantEqual(t, "event rollups", got, want)

	// Concurrent completions of the stored deliveries, half of them twice
	// (the second is refused: lease lost).
	ds := h.lease("dst_1", at(n), 2*n)
	outcomes := make([][]store.Outcome, len(ds))
	for i, d := range ds {
		o := outcome(d, store.ResultSuccess, attempt(d, "att_"+d.ID, store.AttemptSuccess, at(n+i)), at(n+i))
		outcomes[i] = []store.Outcome{o}
		if i%2 == 0 {
			outcomes[i] = append(outcomes[i], o) // the same delivery again: refused
		}
	}
	for _, os := range outcomes {
		wg.Go(func() {
			if _, err := h.s.Complete(h.ctx, os); err != nil {
				t.Errorf("Complete = %v", err)
			}
		})
	}
	wg.Wait()
	var attempts, successes int64
	for _, r := range h.deliveryRollups(store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(4)}) {
		attempts, successes = attempts+r.Attempts, successes+r.Successes
	}
	wantEqual(t, "attempts counted", []int64{attempts, successes}, []int64{int64(len(ds)), int64(len(ds))})
}

func testPruneRollups(h *harness) {
	t := h.t
	for i, at := range []time.Time{hour(0), hour(1), hour(2)} {
		for _, tn := range []store.Tenant{tenantA, tenantC} {
			e := event(tn, fmt.Sprintf("evt_%s_%d", tn.EnvID, i), at)
			h.insert(e, delivery(e, fmt.Sprintf("dlv_%s_%d", tn.EnvID, i), "dst_1"))
			d := h.lease("dst_1", at, 1)[0]
			h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_"+d.ID, store.AttemptSuccess, at), at))
		}
	}
	// More old rollups than a store may delete at once.
	const many = 250
	for i := range many {
		e := event(tenantA, fmt.Sprintf("evt_many_%d", i), hour(0))
		e.SourceID = fmt.Sprintf("src_many_%03d", i)
		h.insert(e)
	}
	n, err := h.s.PruneRollups(h.ctx, hour(2))
	wantErr(t, "PruneRollups", err, nil)
	if n < 8+many { // two hours, two tenants, events and attempts, and the many
		t.Fatalf("PruneRollups deleted %d records, want at least %d", n, 8+many)
	}
	for _, tn := range []store.Tenant{tenantA, tenantC} {
		q := store.RollupQuery{Tenant: tn, From: hour(-1), To: hour(5)}
		wantEqual(t, "event rollups kept", h.eventRollups(q), []store.EventRollup{er(hour(2), "src_1", 1)})
		wantEqual(t, "delivery rollups kept", h.deliveryRollups(q), []store.DeliveryRollup{
			{Bucket: hour(2), DestinationID: "dst_1", Attempts: 1, Successes: 1, Latency: histogram(0)},
		})
	}
	n, err = h.s.PruneRollups(h.ctx, hour(2))
	wantErr(t, "PruneRollups again", err, nil)
	wantEqual(t, "pruned again", n, 0)
}

// testRollupsOutlivePrunedEvents checks that pruning events leaves the
// rollups that counted them.
func testRollupsOutlivePrunedEvents(h *harness) {
	t := h.t
	e := event(tenantA, "evt_1", t0)
	h.insert(e, delivery(e, "dlv_1", "dst_1"))
	d := h.lease("dst_1", t0, 1)[0]
	h.completeOK(outcome(d, store.ResultSuccess, attempt(d, "att_1", store.AttemptSuccess, t0), t0))
	n, err := h.s.PruneEvents(h.ctx, at(60))
	wantErr(t, "PruneEvents", err, nil)
	wantEqual(t, "pruned", n, 1)
	q := store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(1)}
	wantEqual(t, "event rollups", h.eventRollups(q), []store.EventRollup{er(hour(0), "src_1", 1)})
	wantEqual(t, "attempts", h.deliveryRollups(q)[0].Attempts, int64(1))
}

// testRollupHistogram checks that latencies come back in the bins they
// were counted in, across the whole range of bins.
func testRollupHistogram(h *harness) {
	ms := []int64{-5, 0, 1, 15, 16, 17, 31, 32, 100, 999, 1000, 65535, 1 << 23, 1<<24 - 1, 1 << 24, 1 << 40}
	for i := range ms {
		e := event(tenantA, fmt.Sprintf("evt_%d", i), t0)
		h.insert(e, delivery(e, fmt.Sprintf("dlv_%02d", i), "dst_1"))
	}
	var outs []store.Outcome
	for i, d := range h.lease("dst_1", t0, len(ms)) {
		a := attempt(d, "att_"+d.ID, store.AttemptSuccess, t0)
		a.DurationMS = ms[i]
		outs = append(outs, outcome(d, store.ResultSuccess, a, t0))
	}
	h.completeOK(outs...)
	got := h.deliveryRollups(store.RollupQuery{Tenant: tenantA, From: hour(0), To: hour(1)})
	wantEqual(h.t, "latency histogram", got[0].Latency, histogram(ms...))
}
