package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
	bbolt "go.etcd.io/bbolt"
)

// TestRollupBytes measures what rollups cost in the file: sources and
// destinations active every hour for two days, hour after hour as a
// gateway writes them, each destination's attempts spread over 8 latency
// bins an hour. It logs the bytes of the rollup buckets' pages per
// rollup (one source's or destination's hour), in use and allocated.
func TestRollupBytes(t *testing.T) {
	t.Parallel()
	const sources, destinations, hours, bins = 20, 10, 48, 8
	s, err := Open(filepath.Join(t.TempDir(), "rollups.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for h := range hours {
		at := start.Add(time.Duration(h) * time.Hour)
		for src := range sources {
			n++
			e := &store.Event{ID: fmt.Sprintf("evt_%08d", n), OrgID: "org_0f8e4f1f6c2b4a7d", EnvID: "env_9e3c5b1a2d4f6e8a",
				SourceID: fmt.Sprintf("src_%032d", src), ReceivedAt: at}
			var ds []*store.Delivery
			if src < destinations {
				for i := range bins {
					ds = append(ds, &store.Delivery{ID: fmt.Sprintf("dlv_%08d_%d", n, i), OrgID: e.OrgID, EnvID: e.EnvID,
						EventID: e.ID, DestinationID: fmt.Sprintf("dst_%032d", src), NextAt: at, CreatedAt: at})
				}
			}
			if err := s.InsertEvent(ctx, e, ds); err != nil {
				t.Fatal(err)
			}
			var outcomes []store.Outcome
			for i, d := range ds {
				a := &store.Attempt{ID: "att_" + d.ID, Status: store.AttemptSuccess, DurationMS: int64(20 << i), CreatedAt: at}
				outcomes = append(outcomes, store.Outcome{DeliveryID: d.ID, Attempt: a, Result: store.ResultSuccess, Now: at})
			}
			release, _ := s.ClaimLocal() // complete without leases
			if _, err := s.Complete(ctx, outcomes); err != nil {
				t.Fatal(err)
			}
			release()
		}
	}
	err = s.DB().View(func(tx *bbolt.Tx) error {
		for _, b := range []struct {
			id      kv.BucketID
			rollups int
		}{{kv.BucketEventRollups, sources * hours}, {kv.BucketDeliveryRollups, destinations * hours}} {
			st := tx.Bucket([]byte(kv.Buckets[b.id])).Stats()
			if st.KeyN != b.rollups {
				return fmt.Errorf("%s: %d keys, want %d", kv.Buckets[b.id], st.KeyN, b.rollups)
			}
			inuse, alloc := st.BranchInuse+st.LeafInuse, st.BranchAlloc+st.LeafAlloc
			t.Logf("%s: %d rollups, %d bytes per rollup in use, %d allocated (pages)", kv.Buckets[b.id], st.KeyN, inuse/st.KeyN, alloc/st.KeyN)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
