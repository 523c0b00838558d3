package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// TestInsertEvent_Grouped: concurrent inserts commit in groups, yet each
// gets its own outcome: those whose ID is taken fail with ErrConflict
// (aborting their group's transaction), and every other one is stored,
// once, with its delivery and counters.
func TestInsertEvent_Grouped(t *testing.T) {
	t.Parallel()
	s := open(t, newSchema(t), nil)
	ctx := context.Background()
	taken := map[string]bool{"evt_7": true, "evt_23": true}
	for id := range taken {
		if err := s.InsertEvent(ctx, event(id), nil); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := event(fmt.Sprintf("evt_%d", i))
			e.SourceID = "src_grouped"
			errs[i] = s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, fmt.Sprintf("dlv_%d", i), "dst_1")})
		})
	}
	wg.Wait()
	for i, err := range errs {
		id := fmt.Sprintf("evt_%d", i)
		switch {
		case taken[id] && !errors.Is(err, store.ErrConflict):
			t.Errorf("insert %s (taken): %v, want ErrConflict", id, err)
		case !taken[id] && err != nil:
			t.Errorf("insert %s: %v", id, err)
		case !taken[id]:
			if ds, err := s.ListDeliveries(ctx, tenant, id); err != nil || len(ds) != 1 {
				t.Errorf("deliveries of %s: %d, %v; want 1", id, len(ds), err)
			}
		}
	}
	cs, err := s.Counters(ctx, []string{"src_grouped"})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n - len(taken)); cs[0].Count != want {
		t.Errorf("source counter %d, want %d (one per stored event)", cs[0].Count, want)
	}
}

// TestInsertEvent_GroupedTally: a group writes its counters and rollups
// once, at its end (tally.go), with the figures one insert at a time
// gives: the source counts every event, duplicates too; a connection
// counts the deliveries stored (none of a duplicate); the rollups count
// every event in its hour.
func TestInsertEvent_GroupedTally(t *testing.T) {
	t.Parallel()
	s := open(t, newSchema(t), nil)
	ctx := context.Background()
	const n = 120 // events 2k and 2k+1 share a dedup key: one of each pair is a duplicate
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := event(fmt.Sprintf("evt_%d", i))
			e.SourceID, e.ReceivedAt = "src_tally", t0.Add(time.Duration(i%2)*time.Hour)
			e.DedupKey, e.DedupUntil = fmt.Sprintf("key_%d", i/2), t0.Add(24*time.Hour)
			errs[i] = s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, fmt.Sprintf("dlv_%d", i), "dst_tally")})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	cs, err := s.Counters(ctx, []string{"src_tally", "con_dst_tally"})
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Count != n || cs[1].Count != n/2 {
		t.Errorf("counters: source %d, connection %d; want %d (every event) and %d (one delivery per pair)", cs[0].Count, cs[1].Count, n, n/2)
	}
	if want := t0.Add(time.Hour); !cs[0].Last.Equal(want) {
		t.Errorf("source counter's last %v, want %v (the latest event)", cs[0].Last, want)
	}
	rollups, err := s.EventRollups(ctx, store.RollupQuery{Tenant: tenant, ID: "src_tally", From: t0, To: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rollups) != 2 || rollups[0].Events != n/2 || rollups[1].Events != n/2 {
		t.Errorf("event rollups %+v; want 2 hours of %d events", rollups, n/2)
	}
}
