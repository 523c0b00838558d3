package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/postgres"
	"github.com/hookstream-go/hookstream/store/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run against the database of HOOKSTREAM_POSTGRES_URL (or
// HOOKSTREAM_TEST_POSTGRES_URL), each store in a schema of its own with a
// random name, dropped when its test ends. Without either variable they
// skip.
var urlVars = []string{"HOOKSTREAM_POSTGRES_URL", "HOOKSTREAM_TEST_POSTGRES_URL"}

func databaseURL(t testing.TB) string {
	t.Helper()
	for _, v := range urlVars {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	t.Skipf("no PostgreSQL to test against: set %s to a database URL (postgres://user@host:port/db)", strings.Join(urlVars, " or "))
	return ""
}

var (
	adminOnce sync.Once
	admin     *pgxpool.Pool
	adminErr  error
	run       = strings.ToLower(rand.Text()[:8]) // this run's schema prefix
	schemaN   atomic.Int64
)

// adminPool returns a pool for creating and dropping schemas.
func adminPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := databaseURL(t)
	adminOnce.Do(func() { admin, adminErr = pgxpool.New(context.Background(), url) })
	if adminErr != nil {
		t.Fatalf("connect to %s: %v", url, adminErr)
	}
	return admin
}

// newSchema returns a fresh schema name, dropped (with what it holds) when
// t ends.
func newSchema(t testing.TB) string {
	t.Helper()
	pool := adminPool(t)
	name := fmt.Sprintf("hstest_%s_%d", run, schemaN.Add(1))
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// open opens a store on schema, closed (if still open) when t ends.
func open(t testing.TB, schema string, opts *postgres.Options) *postgres.Store {
	t.Helper()
	var o postgres.Options
	if opts != nil {
		o = *opts
	}
	o.Schema = schema
	s, err := postgres.Open(context.Background(), databaseURL(t), &o)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	databaseURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, newSchema(t), nil) })
}

func TestStore_Reopen(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	storetest.RunReopen(t, func(t *testing.T) store.Store { return open(t, schema, nil) })
}

func TestOpen_ConcurrentMigrations(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), databaseURL(t), &postgres.Options{Schema: schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of %d at once = %v", i, n, err)
		}
	}
	var versions []int
	rows, err := adminPool(t).Query(context.Background(), "SELECT version FROM "+pgx.Identifier{schema}.Sanitize()+".schema_migrations ORDER BY version")
	if err == nil {
		versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) == 0 || versions[0] != 1 || versions[len(versions)-1] != postgres.LatestVersion() {
		t.Fatalf("applied migrations %v, want 1 to %d once each", versions, postgres.LatestVersion())
	}
	// And again, on a schema that is up to date.
	open(t, schema, nil)
}

// fixtures

var (
	t0     = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	tenant = store.Tenant{OrgID: "org_1", EnvID: "env_a"}
)

func event(id string) *store.Event {
	return &store.Event{ID: id, OrgID: tenant.OrgID, EnvID: tenant.EnvID, SourceID: "src_1", Method: "POST",
		Body: []byte(`{"id":"` + id + `"}`), ReceivedAt: t0}
}

func delivery(e *store.Event, id, dest string) *store.Delivery {
	return &store.Delivery{ID: id, OrgID: e.OrgID, EnvID: e.EnvID, EventID: e.ID, ConnectionID: "con_" + dest,
		DestinationID: dest, NextAt: e.ReceivedAt, Trigger: store.TriggerInitial, CreatedAt: e.ReceivedAt}
}

// insert stores n events with one delivery each to dest.
func insert(t testing.TB, s store.Store, prefix string, n int, dest string) {
	t.Helper()
	for i := range n {
		e := event(fmt.Sprintf("%s_%d", prefix, i))
		if err := s.InsertEvent(context.Background(), e, []*store.Delivery{delivery(e, "d"+e.ID, dest)}); err != nil {
			t.Fatalf("InsertEvent = %v", err)
		}
	}
}

// TestLease_ExclusiveAcrossProcesses: two stores on one schema (two
// processes) lease concurrently; no delivery goes to both.
func TestLease_ExclusiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	a, b := open(t, schema, nil), open(t, schema, nil)
	const n = 300
	insert(t, a, "evt", n, "dst_1")
	var (
		mu     sync.Mutex
		leased = map[string]int{}
		wg     sync.WaitGroup
	)
	for w := range 8 {
		s := []*postgres.Store{a, b}[w%2]
		wg.Go(func() {
			for {
				var got []string
				if w%4 < 2 {
					ds, err := s.Lease(context.Background(), "dst_1", t0, 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					for _, d := range ds {
						got = append(got, d.ID)
					}
				} else {
					ls, err := s.LeaseBatch(context.Background(), t0, []store.LeaseRequest{{DestinationID: "dst_1", Limit: 5, TTL: time.Hour}})
					if err != nil {
						t.Error(err)
						return
					}
					for _, l := range ls {
						got = append(got, l.Delivery.ID)
					}
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, id := range got {
					leased[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(leased) != n {
		t.Fatalf("%d deliveries leased, want %d", len(leased), n)
	}
	for id, k := range leased {
		if k != 1 {
			t.Fatalf("%s leased %d times", id, k)
		}
	}
}

// TestLeaseBatch_MaxInFlightAcrossProcesses: however many processes lease
// a destination at once, its unexpired leases never exceed MaxInFlight.
func TestLeaseBatch_MaxInFlightAcrossProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	stores := []*postgres.Store{open(t, schema, nil), open(t, schema, nil), open(t, schema, nil)}
	insert(t, stores[0], "evt", 50, "dst_1")
	const limit = 3
	ctx := context.Background()
	req := []store.LeaseRequest{{DestinationID: "dst_1", Limit: 10, MaxInFlight: limit, TTL: time.Hour}}
	for round := range 5 {
		now := t0.Add(time.Duration(round) * time.Second)
		var (
			mu  sync.Mutex
			got []store.Leased
			wg  sync.WaitGroup
		)
		for i := range 12 {
			wg.Go(func() {
				ls, err := stores[i%len(stores)].LeaseBatch(ctx, now, req)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got = append(got, ls...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(got) != limit {
			t.Fatalf("round %d: %d leases from 12 concurrent LeaseBatch calls, want max_concurrency %d", round, len(got), limit)
		}
		// Completing them frees the slots for the next round.
		var outcomes []store.Outcome
		for _, l := range got {
			outcomes = append(outcomes, store.Outcome{DeliveryID: l.Delivery.ID, LeaseToken: l.Delivery.LeaseToken, Result: store.ResultSuccess, Now: now})
		}
		errs, err := stores[round%len(stores)].Complete(ctx, outcomes)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// recv waits for a value on ch, failing the test after a deadline.
func recv(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no notification within 10s after %s", what)
	}
}

// drain empties ch of a value already waiting.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func TestListen_AcrossProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	a, b := open(t, schema, nil), open(t, schema, nil)
	ctx := context.Background()
	ch, err := b.Listen(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	drain(ch) // the wake-up of the first LISTEN
	e := event("evt_1")
	if err := a.InsertEvent(ctx, e, []*store.Delivery{delivery(e, "dlv_1", "dst_1")}); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, "another process's InsertEvent")

	ds, err := a.Lease(ctx, "dst_1", t0, 1, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Lease = %v, %v", ds, err)
	}
	drain(ch)
	errs, err := a.Complete(ctx, []store.Outcome{{DeliveryID: "dlv_1", LeaseToken: ds[0].LeaseToken, Result: store.ResultRetry,
		RetryAt: t0.Add(time.Minute), Now: t0}})
	if err != nil || errs[0] != nil {
		t.Fatalf("Complete = %v, %v", errs, err)
	}
	recv(t, ch, "a retry")
	drain(ch)
	if _, err := a.Requeue(ctx, tenant, "dlv_1", store.TriggerManual, t0, 0); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, "a Requeue")
}

// TestListen_Reconnects: when the listening connection dies, listeners
// are woken (they poll meanwhile), and notifications arrive again once
// the listener reconnected.
func TestListen_Reconnects(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := open(t, schema, &postgres.Options{ReconnectInterval: 50 * time.Millisecond})
	ctx := context.Background()
	ch, err := s.Listen(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	drain(ch)
	channel := "hookstream_" + schema
	var killed int
	if err := adminPool(t).QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query ILIKE 'LISTEN %' AND query LIKE '%' || $1 || '%'`, channel).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("found no listening connection to terminate")
	}
	recv(t, ch, "the listening connection was terminated")
	// Notifications arrive again once the listener is back.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		drain(ch)
		e := event(fmt.Sprintf("evt_%d", i))
		if err := s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, "d"+e.ID, "dst_1")}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ch:
		case <-time.After(time.Second):
		}
		var listening bool
		if err := adminPool(t).QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query ILIKE 'LISTEN %' AND query LIKE '%' || $1 || '%')`, channel).Scan(&listening); err != nil {
			t.Fatal(err)
		}
		if listening {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener did not reconnect within 10s")
		}
	}
	drain(ch)
	e := event("evt_after")
	if err := s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, "dlv_after", "dst_1")}); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, "an InsertEvent after the reconnection")
}

// TestInsertEventTx: the event commits if and only if the caller's
// transaction does.
func TestInsertEventTx(t *testing.T) {
	t.Parallel()
	s := open(t, newSchema(t), nil)
	ctx := context.Background()
	for _, commit := range []bool{true, false} {
		id := fmt.Sprintf("evt_%v", commit)
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e := event(id)
		if err := s.InsertEventTx(ctx, tx, e, []*store.Delivery{delivery(e, "d"+id, "dst_1")}); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.GetEvent(ctx, tenant, id)
		if commit && err != nil || !commit && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetEvent after commit=%v: %v", commit, err)
		}
	}
	if err := s.InsertEventTx(ctx, nil, event("x"), nil); err == nil {
		t.Fatal("InsertEventTx accepted no transaction")
	}
}
