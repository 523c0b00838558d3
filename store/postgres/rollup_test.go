package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/postgres"
	"github.com/jackc/pgx/v5"
)

// TestCompactRollups writes rollups from many connections (so many shard
// rows), compacting all the while, and checks that the sums stay exact and
// that a compaction leaves one row per rollup of a past hour.
func TestCompactRollups(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := open(t, schema, &postgres.Options{MaxConns: 8})
	ctx := context.Background()
	const writers, perWriter = 8, 40
	var (
		wg       sync.WaitGroup
		done     atomic.Bool
		compacts atomic.Int64
	)
	wg.Go(func() {
		for !done.Load() {
			if err := s.CompactRollups(ctx); err != nil {
				t.Error(err)
				return
			}
			compacts.Add(1)
		}
	})
	var writes sync.WaitGroup
	for w := range writers {
		writes.Go(func() {
			for i := range perWriter {
				e := event(fmt.Sprintf("evt_%d_%d", w, i))
				e.SourceID = fmt.Sprintf("src_%d", i%2)
				e.ReceivedAt = t0.Add(time.Duration(i%3) * time.Hour)
				d := delivery(e, "d"+e.ID, "dst_1")
				if err := s.InsertEvent(ctx, e, []*store.Delivery{d}); err != nil {
					t.Error(err)
					return
				}
				ls, err := s.Lease(ctx, "dst_1", t0.Add(3*time.Hour), 1, time.Hour)
				if err != nil || len(ls) == 0 {
					t.Errorf("Lease = %v, %v", ls, err)
					return
				}
				// One latency bin per hour: the hour's number of milliseconds.
				at := ls[0].CreatedAt
				a := &store.Attempt{ID: "a" + ls[0].ID, Status: store.AttemptSuccess, DurationMS: int64(at.Sub(t0) / time.Hour), CreatedAt: at}
				if _, err := s.Complete(ctx, []store.Outcome{{DeliveryID: ls[0].ID, LeaseToken: ls[0].LeaseToken, Attempt: a,
					Result: store.ResultSuccess, Now: a.CreatedAt}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writes.Wait()
	done.Store(true)
	wg.Wait()
	if err := s.CompactRollups(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d compactions during the writes", compacts.Load())

	q := store.RollupQuery{Tenant: tenant, From: t0, To: t0.Add(4 * time.Hour)}
	events, err := s.EventRollups(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, r := range events {
		total += r.Events
	}
	if len(events) != 6 || total != writers*perWriter {
		t.Errorf("event rollups %+v: %d rollups, %d events; want 6 rollups (2 sources, 3 hours), %d events", events, len(events), total, writers*perWriter)
	}
	deliveries, err := s.DeliveryRollups(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var attempts, timed int64
	for _, r := range deliveries {
		attempts, timed = attempts+r.Successes, timed+r.Latency.Count()
	}
	if attempts != writers*perWriter || timed != attempts {
		t.Errorf("delivery rollups: %d successes and %d latencies, want %d each", attempts, timed, writers*perWriter)
	}
	for _, table := range []string{"event_rollups", "delivery_rollups"} {
		var rows, shards int
		err := adminPool(t).QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE shard <> 0) FROM "+
			pgx.Identifier{schema, table}.Sanitize()).Scan(&rows, &shards)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"event_rollups": 6, "delivery_rollups": 3}[table]
		if rows != want || shards != 0 {
			t.Errorf("%s after compaction: %d rows (%d of writers' shards), want %d, all in shard 0", table, rows, shards, want)
		}
	}
}

// TestRollupBytes measures what rollups cost in PostgreSQL once compacted:
// sources and destinations active every hour for two days, each
// destination's attempts spread over 8 latency bins an hour. It logs the
// bytes of each rollup table with its indexes (after VACUUM FULL, which
// keeps their fillfactor) per rollup: one source's or destination's hour.
func TestRollupBytes(t *testing.T) {
	t.Parallel()
	const sources, destinations, hours, bins = 40, 20, 48, 8
	schema := newSchema(t)
	s := open(t, schema, &postgres.Options{MaxConns: 4})
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for h := range hours {
		at := start.Add(time.Duration(h) * time.Hour)
		var outcomes []store.Outcome
		for src := range sources {
			e := &store.Event{ID: fmt.Sprintf("evt_%d_%d", h, src), OrgID: "org_0f8e4f1f6c2b4a7d", EnvID: "env_9e3c5b1a2d4f6e8a",
				SourceID: fmt.Sprintf("src_%032d", src), ReceivedAt: at}
			var ds []*store.Delivery
			if src < destinations {
				for i := range bins {
					ds = append(ds, &store.Delivery{ID: fmt.Sprintf("dlv_%d_%d_%d", h, src, i), OrgID: e.OrgID, EnvID: e.EnvID,
						EventID: e.ID, DestinationID: fmt.Sprintf("dst_%032d", src), NextAt: at, CreatedAt: at})
				}
			}
			if err := s.InsertEvent(ctx, e, ds); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range leaseAll(t, s, destinations, at) {
			a := &store.Attempt{ID: "att_" + d.ID, Status: store.AttemptSuccess, DurationMS: int64(20 << (len(outcomes) % bins)), CreatedAt: at}
			outcomes = append(outcomes, store.Outcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken, Attempt: a, Result: store.ResultSuccess, Now: at})
		}
		if _, err := s.Complete(ctx, outcomes); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CompactRollups(ctx); err != nil {
		t.Fatal(err)
	}
	admin := adminPool(t)
	for _, table := range []struct {
		name    string
		rollups int
	}{{"event_rollups", sources * hours}, {"delivery_rollups", destinations * hours}} {
		name := pgx.Identifier{schema, table.name}.Sanitize()
		if _, err := admin.Exec(ctx, "VACUUM FULL "+name); err != nil {
			t.Fatal(err)
		}
		var rows, bytes int
		if err := admin.QueryRow(ctx, "SELECT count(*), pg_total_relation_size($1::regclass) FROM "+name, name).Scan(&rows, &bytes); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d rows, %d bytes with indexes: %d bytes per rollup", table.name, rows, bytes, bytes/table.rollups)
	}
}

// leaseAll leases every due delivery of destinations dst_0… at now.
func leaseAll(t *testing.T, s *postgres.Store, destinations int, now time.Time) []*store.Delivery {
	t.Helper()
	var all []*store.Delivery
	for i := range destinations {
		ds, err := s.Lease(context.Background(), fmt.Sprintf("dst_%032d", i), now, 100, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ds...)
	}
	return all
}
