package hookstream

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPublish_FanOut measures publishing one event to a topic with 10
// and 100 subscriptions on a bbolt file: the publish latency (the durable
// write of the event and all its deliveries), then the rate at which the
// scheduler delivers them to an in-process destination.
func BenchmarkPublish_FanOut(b *testing.B) {
	for _, subs := range []int{10, 100} {
		b.Run(fmt.Sprintf("subscriptions=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			var delivered atomic.Int64
			allDone := make(chan struct{})
			want := int64(b.N * subs)
			r, err := Open(filepath.Join(b.TempDir(), "hooks.db"), &Config{
				Workers: 64,
				Providers: map[string]Provider{"inbox": FuncProvider(func(context.Context, *Message) error {
					if delivered.Add(1) == want {
						close(allDone)
					}
					return nil
				})},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			top, err := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")})
			if err != nil {
				b.Fatal(err)
			}
			for i := range subs {
				dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr(fmt.Sprintf("d%d", i)), Type: ptr("inbox"), MaxConcurrency: ptr(100)})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID, TransformExpression: ptr(`{"id": id, "sub": ` + fmt.Sprint(i) + `}`)}); err != nil {
					b.Fatal(err)
				}
			}
			body := []byte(`{"id": "ord_1", "total": 250, "items": [{"sku": "a"}, {"sku": "b"}]}`)

			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := r.Publish(ctx, "orders", body); err != nil {
					b.Fatal(err)
				}
			}
			publishTime := time.Since(start)
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			deliverStart := time.Now()
			go func() { done <- r.Run(runCtx) }()
			select {
			case <-allDone:
			case <-time.After(5 * time.Minute):
				b.Fatalf("delivered %d of %d", delivered.Load(), want)
			}
			deliverTime := time.Since(deliverStart)
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(publishTime.Microseconds())/float64(b.N), "µs/publish")
			b.ReportMetric(float64(want)/deliverTime.Seconds(), "deliveries/s")
		})
	}
}
