package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/postgres"
	"github.com/jackc/pgx/v5"
)

// insertMany stores n events with one delivery each to dest, from the
// given number of goroutines (several: the store groups them, as under
// load).
func insertMany(t *testing.T, s store.Store, prefix string, n int, dest string, writers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				e := event(fmt.Sprintf("%s_%d", prefix, i))
				if err := s.InsertEvent(context.Background(), e, []*store.Delivery{delivery(e, "d"+e.ID, dest)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("InsertEvent = %v", err)
	}
}

// seqScan matches a plan's sequential scan of the deliveries or events.
var seqScan = regexp.MustCompile(`Seq Scan on (deliveries|events)\b`)

// TestLease_PlanProbesKeys: the lease statement's plans, custom and
// generic, capped and not, read the deliveries and events through their
// indexes, never by a sequential scan, over a backlog of due deliveries
// with up-to-date statistics. (The planner cannot see a lease's LIMIT,
// estimates it at a tenth of the due deliveries, and once chose to
// hash-join a scan of each table, at every size.)
func TestLease_PlanProbesKeys(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := open(t, schema, &postgres.Options{AnalyzeInterval: -1})
	insertMany(t, s, "evt", 3000, "dst_1", 8)
	ctx := context.Background()
	conn, err := adminPool(t).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	q := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "ANALYZE "+q+".deliveries, "+q+".events"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "PREPARE lease_plan(timestamptz, text[], integer[], integer[], bigint[], text[], integer[]) AS "+s.LeaseStatement()); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DEALLOCATE lease_plan")
	defer conn.Exec(ctx, "RESET plan_cache_mode")
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		for _, limitCap := range []string{"'{10}', '{0}'", "'{10}', '{48}'"} {
			if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "EXPLAIN EXECUTE lease_plan('2030-01-01', '{dst_1}', "+limitCap+", '{60000000}', '{sch_0123456789abcdef.}', '{3}')")
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if plan := strings.Join(lines, "\n"); seqScan.MatchString(plan) {
				t.Errorf("%s, limit and cap %s: the lease plan scans a table:\n%s", mode, limitCap, plan)
			}
		}
	}
}

// TestAnalyzeGrowing: a table is analyzed once it reaches 16 pages, then
// each time its size reaches twice the size its last analysis recorded,
// and not in between. (Sizes are measured, not derived from row counts:
// concurrent inserts extend a table by several empty pages at once.)
func TestAnalyzeGrowing(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := open(t, schema, &postgres.Options{AnalyzeInterval: -1})
	ctx := context.Background()
	// Autovacuum, whose vacuum also records the table's size, would
	// move the mark the table doubles from.
	if _, err := adminPool(t).Exec(ctx, "ALTER TABLE "+pgx.Identifier{schema, "events"}.Sanitize()+" SET (autovacuum_enabled = false)"); err != nil {
		t.Fatal(err)
	}
	// table is what the events table looks like to AnalyzeGrowing.
	type table struct {
		analyses        int64
		pages, recorded int64 // its size now, and at its last analysis
		tuples          float32
	}
	stat := func() (tb table) {
		t.Helper()
		err := adminPool(t).QueryRow(ctx, `SELECT s.analyze_count, pg_relation_size(c.oid) / current_setting('block_size')::bigint,
			c.relpages, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
			WHERE s.schemaname = $1 AND s.relname = 'events'`, schema).Scan(&tb.analyses, &tb.pages, &tb.recorded, &tb.tuples)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	rows := 0
	grow := func(n, writers int) table {
		t.Helper()
		insertMany(t, s, fmt.Sprintf("evt%d", rows), n, "dst_1", writers)
		rows += n
		return stat()
	}
	analyze := func() table {
		t.Helper()
		if err := s.AnalyzeGrowing(ctx); err != nil {
			t.Fatalf("AnalyzeGrowing = %v", err)
		}
		return stat()
	}

	// Under 16 pages: left alone. One writer, so that PostgreSQL extends
	// the table a page at a time (contended inserts extend it by many).
	if before := grow(20, 1); before.pages >= 16 {
		t.Fatalf("20 events take %d pages, want fewer than 16", before.pages)
	}
	if after := analyze(); after.analyses != 0 {
		t.Errorf("events of 20 rows: analyzed %d times, want none (under 16 pages)", after.analyses)
	}
	// Then at 16 pages, and at each doubling, not before.
	for analyses := int64(1); analyses <= 2; analyses++ {
		for {
			before := grow(100, 8)
			after := analyze()
			if before.pages < max(16, 2*before.recorded) {
				if after.analyses != analyses-1 {
					t.Fatalf("events of %d pages, %d recorded: analyzed %d times, want %d", before.pages, before.recorded, after.analyses, analyses-1)
				}
				continue
			}
			if after.analyses != analyses || after.tuples != float32(rows) {
				t.Fatalf("events of %d pages, %d recorded: analyzed %d times (%v rows counted), want %d (counting %d)",
					before.pages, before.recorded, after.analyses, after.tuples, analyses, rows)
			}
			break
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.AnalyzeGrowing(ctx); err == nil {
		t.Error("AnalyzeGrowing after Close = nil, want store.ErrClosed")
	}
}

// TestLeaseBatch_AsyncCommitStaysInItsTransaction: LeaseBatch's
// asynchronous commit is its transaction's alone: the connection it ran
// on keeps its own synchronous_commit afterwards, so an ingest on it stays
// as durable as before.
func TestLeaseBatch_AsyncCommitStaysInItsTransaction(t *testing.T) {
	t.Parallel()
	s := open(t, newSchema(t), &postgres.Options{MaxConns: 1, AnalyzeInterval: -1})
	insert(t, s, "evt", 3, "dst_1")
	ctx := context.Background()
	// The pool's one connection gets a setting of its own, neither the
	// server's default (which may be off, as on CI's throwaway cluster)
	// nor the lease's.
	if _, err := s.Pool().Exec(ctx, "SET synchronous_commit = local"); err != nil {
		t.Fatal(err)
	}
	leased, err := s.LeaseBatch(ctx, t0.Add(time.Hour), []store.LeaseRequest{{DestinationID: "dst_1", Limit: 10, MaxInFlight: 2, TTL: time.Minute}})
	if err != nil || len(leased) != 2 {
		t.Fatalf("LeaseBatch = %d leased, %v; want 2 (the cap)", len(leased), err)
	}
	var mode string
	if err := s.Pool().QueryRow(ctx, "SHOW synchronous_commit").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "local" {
		t.Errorf("synchronous_commit after LeaseBatch, on its connection: %q, want the connection's own, local", mode)
	}
}

// TestRenewLeases: a renewal moves the expiry of current leases only (the
// delivery pending with that token), and never shortens one.
func TestRenewLeases(t *testing.T) {
	t.Parallel()
	s := open(t, newSchema(t), &postgres.Options{AnalyzeInterval: -1})
	insert(t, s, "evt", 3, "dst_1")
	ctx := context.Background()
	now := t0.Add(time.Hour)
	leased, err := s.LeaseBatch(ctx, now, []store.LeaseRequest{{DestinationID: "dst_1", Limit: 3, TTL: time.Minute}})
	if err != nil || len(leased) != 3 {
		t.Fatalf("LeaseBatch = %d leased, %v; want 3", len(leased), err)
	}
	current, stale, done := leased[0].Delivery, *leased[1].Delivery, leased[2].Delivery
	stale.LeaseToken = "not-its-token"
	if errs, err := s.Complete(ctx, []store.Outcome{{DeliveryID: done.ID, LeaseToken: done.LeaseToken, Result: store.ResultSuccess, Now: now}}); err != nil || errs[0] != nil {
		t.Fatalf("Complete = %v, %v", errs, err)
	}
	until := now.Add(10 * time.Minute)
	if err := s.RenewLeases(ctx, []*store.Delivery{current, &stale, done}, until); err != nil {
		t.Fatalf("RenewLeases = %v", err)
	}
	expiry := func(id string) time.Time {
		t.Helper()
		d, err := s.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.NextAt
	}
	if got := expiry(current.ID); !got.Equal(until) {
		t.Errorf("renewed lease expires %v, want %v", got, until)
	}
	if got := expiry(stale.ID); !got.Equal(now.Add(time.Minute)) {
		t.Errorf("a lease renewed with another token expires %v, want its own %v", got, now.Add(time.Minute))
	}
	if got := expiry(done.ID); !got.Equal(done.NextAt) {
		t.Errorf("a finished delivery's next_at %v after a renewal, want %v unchanged", got, done.NextAt)
	}
	if err := s.RenewLeases(ctx, []*store.Delivery{current}, now.Add(time.Second)); err != nil {
		t.Fatalf("RenewLeases = %v", err)
	}
	if got := expiry(current.ID); !got.Equal(until) {
		t.Errorf("a renewal to an earlier time moved the expiry to %v, want %v kept", got, until)
	}

	// A lease whose row another transaction holds (an outcome being
	// recorded) is skipped, not waited for.
	tx, err := adminPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT FROM "+pgx.Identifier{s.Schema(), "deliveries"}.Sanitize()+" WHERE id = $1 FOR UPDATE", current.ID); err != nil {
		t.Fatal(err)
	}
	later := until.Add(time.Minute)
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.RenewLeases(bounded, []*store.Delivery{current}, later); err != nil {
		t.Fatalf("RenewLeases of a locked lease = %v, want it skipped at once", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := expiry(current.ID); !got.Equal(until) {
		t.Errorf("a locked lease renewed to %v, want it skipped (%v)", got, until)
	}
	if err := s.RenewLeases(ctx, []*store.Delivery{current}, later); err != nil {
		t.Fatalf("RenewLeases = %v", err)
	}
	if got := expiry(current.ID); !got.Equal(later) {
		t.Errorf("once unlocked, the lease renewed to %v, want %v", got, later)
	}
}
