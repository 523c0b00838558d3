package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
	bbolt "go.etcd.io/bbolt"
)

// BenchmarkInsertEvent measures durable InsertEvent throughput (a 1 KB body
// and two deliveries per event) by number of concurrent writers:
//
//   - group: this package's Store, whose writers share commits;
//   - serial: the same logic committing each write on its own (one fsync
//     per event), the baseline group commit improves on;
//   - raw: the same bytes put straight into bbolt by group commit, without
//     the store's logic and indexes: the ceiling.
//
// Each reports events/s.
func BenchmarkInsertEvent(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("group/writers=%d", writers), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchInserts(b, writers, s)
		})
		b.Run(fmt.Sprintf("serial/writers=%d", writers), func(b *testing.B) {
			s := kv.New("bolt", serialEngine{openBench(b)})
			defer s.Close()
			benchInserts(b, writers, s)
		})
		b.Run(fmt.Sprintf("raw/writers=%d", writers), func(b *testing.B) {
			e := openBench(b)
			defer e.Close()
			e0, ds := benchEvent(0)
			sizes := []int{len(mustJSON(b, e0)), len(mustJSON(b, ds[0])), len(mustJSON(b, ds[1]))}
			var n atomic.Int64
			run(b, writers, func() error {
				id := n.Add(1)
				return e.Update(func(tx kv.Tx) error {
					for i, size := range sizes {
						k := fmt.Appendf(nil, "%020d-%d", id, i)
						if err := tx.Bucket(kv.BucketEvents).Put(k, make([]byte, size)); err != nil {
							return err
						}
					}
					return nil
				})
			})
		})
	}
}

// serialEngine commits every Update on its own, like bbolt's DB.Update.
type serialEngine struct{ *engine }

func (e serialEngine) Update(fn func(kv.Tx) error) error {
	return e.db.Update(func(tx *bbolt.Tx) error {
		return fn(&boltTx{tx: tx, names: &e.names})
	})
}

// openBench returns a new database with the store's buckets.
func openBench(b *testing.B) *engine {
	b.Helper()
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "bench.db"), DefaultMode, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	e := newEngine(db)
	if err := e.createBuckets(); err != nil {
		b.Fatal(err)
	}
	return e
}

func mustJSON(b *testing.B, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func benchInserts(b *testing.B, writers int, s store.Store) {
	var n atomic.Int64
	run(b, writers, func() error {
		e, ds := benchEvent(n.Add(1))
		return s.InsertEvent(context.Background(), e, ds)
	})
}

// run times op called b.N times from the given number of goroutines and
// reports events/s.
func run(b *testing.B, writers int, op func() error) {
	b.ResetTimer()
	spread(b, b.N, writers, op)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// spread calls op n times from the given number of goroutines; b fails at
// the first error.
func spread(b *testing.B, n, writers int, op func() error) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Value
	)
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := op(); err != nil {
					fail.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := fail.Load().(error); err != nil {
		b.Fatal(err)
	}
}

var benchBody = []byte(`{"type":"order.created","data":{"note":"` + strings.Repeat("x", 960) + `"}}`)

func benchEvent(n int64) (*store.Event, []*store.Delivery) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond)
	e := &store.Event{
		ID: fmt.Sprintf("evt_%020d", n), OrgID: "org_1", EnvID: "env_1", SourceID: "src_1", Method: "POST",
		Headers:     map[string]string{"Content-Type": "application/json", "User-Agent": "bench"},
		ContentType: "application/json", SourceIP: "10.0.0.1", Body: benchBody, ReceivedAt: now,
	}
	var ds []*store.Delivery
	for i := range 2 {
		ds = append(ds, &store.Delivery{
			ID: fmt.Sprintf("dlv_%020d_%d", n, i), OrgID: "org_1", EnvID: "env_1", EventID: e.ID,
			ConnectionID: fmt.Sprintf("con_%d", i), DestinationID: fmt.Sprintf("dst_%d", i),
			NextAt: now, Trigger: store.TriggerInitial, CreatedAt: now,
		})
	}
	return e, ds
}

// BenchmarkLeaseComplete measures the delivery path: workers lease batches
// of 10 due deliveries of one destination and complete each with a stored
// attempt, one Complete per batch. It reports deliveries/s.
func BenchmarkLeaseComplete(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			// The b.N deliveries, stored untimed: the timer runs for
			// leasing and completing them only.
			b.StopTimer()
			var n atomic.Int64
			spread(b, b.N, 64, func() error {
				e, ds := benchEvent(n.Add(1))
				return s.InsertEvent(ctx, e, ds[:1])
			})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			b.ResetTimer()
			b.StartTimer()
			start := time.Now()
			for range workers {
				wg.Go(func() {
					if err := leaseAndComplete(s, now); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
		})
	}
}

// leaseAndComplete leases and completes deliveries of dst_0 until none is
// due.
func leaseAndComplete(s store.Store, now time.Time) error {
	ctx := context.Background()
	for {
		ds, err := s.Lease(ctx, "dst_0", now, 10, time.Minute)
		if err != nil || len(ds) == 0 {
			return err
		}
		outcomes := make([]store.Outcome, len(ds))
		for i, d := range ds {
			outcomes[i] = store.Outcome{
				DeliveryID: d.ID, LeaseToken: d.LeaseToken, Result: store.ResultSuccess, Now: now,
				Attempt: &store.Attempt{
					ID: "att_" + d.ID, OrgID: d.OrgID, EnvID: d.EnvID, EventID: d.EventID, DeliveryID: d.ID,
					DestinationID: d.DestinationID, RequestURL: "https://example.com/hook", RequestMethod: "POST",
					ResponseStatus: 200, ResponseBody: `{"ok":true}`, Status: store.AttemptSuccess, CreatedAt: now,
				},
			}
		}
		if _, err := s.Complete(ctx, outcomes); err != nil {
			return err
		}
	}
}
