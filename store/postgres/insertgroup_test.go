package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

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
