package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/postgres"
)

// BenchmarkInsertEvent ingests events of one source, each with one
// delivery, from 16 goroutines: the counters of the source and the
// connection are the rows every insert writes, spread over CounterShards.
func BenchmarkInsertEvent(b *testing.B) {
	for _, shards := range []int{1, 16} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			s := open(b, newSchema(b), &postgres.Options{CounterShards: shards, MaxConns: 16})
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := event(fmt.Sprintf("evt_%d", n.Add(1)))
					e.Body = make([]byte, 1024)
					if err := s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, "d"+e.ID, "dst_1")}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkCompleteAndLease runs 4 schedulers over a fixed queue of 4000
// deliveries of 4 destinations: each call completes the previous batch
// (as retries due at once, so the queue never drains, each storing an
// attempt) and leases the next, 50 per call.
func BenchmarkCompleteAndLease(b *testing.B) {
	s := open(b, newSchema(b), &postgres.Options{MaxConns: 8})
	ctx := context.Background()
	dests := []string{"dst_0", "dst_1", "dst_2", "dst_3"}
	for i := range 4000 / 4 {
		e := event(fmt.Sprintf("evt_%d", i))
		e.Body = make([]byte, 1024)
		var ds []*store.Delivery
		for _, d := range dests {
			ds = append(ds, delivery(e, fmt.Sprintf("dlv_%d_%s", i, d), d))
		}
		if err := s.InsertEvent(ctx, e, ds); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	var (
		leased   atomic.Int64
		attempts atomic.Int64
	)
	b.SetParallelism(2) // 4 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var last []store.Leased
		for pb.Next() {
			outcomes := make([]store.Outcome, len(last))
			for i, l := range last {
				a := &store.Attempt{ID: fmt.Sprintf("att_%d", attempts.Add(1)), Status: store.AttemptFailed,
					ResponseStatus: 503, CreatedAt: now}
				outcomes[i] = store.Outcome{DeliveryID: l.Delivery.ID, LeaseToken: l.Delivery.LeaseToken, Attempt: a,
					Result: store.ResultRetry, RetryAt: now, Now: now}
			}
			reqs := make([]store.LeaseRequest, len(dests))
			for i, d := range dests {
				reqs[i] = store.LeaseRequest{DestinationID: d, Limit: 50 / len(dests), MaxInFlight: 200, TTL: time.Minute}
			}
			errs, next, err := s.CompleteAndLease(ctx, outcomes, now, reqs)
			if err != nil {
				b.Error(err)
				return
			}
			for _, err := range errs {
				if err != nil {
					b.Error(err)
					return
				}
			}
			leased.Add(int64(len(next)))
			last = next
		}
	})
	b.ReportMetric(float64(leased.Load())/b.Elapsed().Seconds(), "leases/s")
}
