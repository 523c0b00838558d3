package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream"
)

// fanoutSubscriptions is the number of subscriptions of the topic.
const fanoutSubscriptions = 100

// runFanout publishes to a topic with 100 subscriptions (100 http
// destinations on the same receiver) from -concurrency goroutines for the
// window, Run started, and reports the deliveries counted at the receiver
// per second, until every published delivery arrived (fanout_100) and
// while publishing ran (fanout_100_during_publish), against the raw HTTP
// loop. Publishers wait while more than 25 x -concurrency deliveries are
// queued, so the window measures delivery with a steady queue rather than
// how fast the file grows.
func runFanout(ctx context.Context, b *bench) ([]Row, error) {
	rc, err := startReceiver(nil)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	r, path, err := b.openRouter("bolt", "fanout", b.config())
	if err != nil {
		return nil, err
	}
	rt := &route{r: r, path: path}
	defer rt.close()
	top, err := r.CreateTopic(ctx, hookstream.TopicParams{Name: ptr("orders")})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	for i := range fanoutSubscriptions {
		dst := b.httpDestination(fmt.Sprintf("%s?subscriber=%d", rc.url, i))
		dst.Name = ptr(fmt.Sprintf("subscriber %d", i))
		d, err := r.CreateDestination(ctx, dst)
		if err != nil {
			return nil, fmt.Errorf("create destination: %w", err)
		}
		if _, err := r.Subscribe(ctx, top.ID, hookstream.SubscribeParams{DestinationID: d.ID}); err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	stop := runRouter(r)
	defer stop()

	maxPending := int64(fanoutSubscriptions * b.opts.concurrency / 4)
	var published atomic.Int64
	until := time.Now().Add(time.Hour) // the window's end once it starts
	publish := func(seq int64) error {
		for published.Load()*fanoutSubscriptions-rc.count.Load() > maxPending && time.Now().Before(until) {
			time.Sleep(time.Millisecond)
		}
		res, err := r.Publish(ctx, top.Slug, payload(seq))
		if err != nil {
			return err
		}
		if res.Deliveries != fanoutSubscriptions {
			return fmt.Errorf("publish queued %d deliveries, want %d", res.Deliveries, fanoutSubscriptions)
		}
		published.Add(1)
		return nil
	}
	// Warm-up: one event to every subscriber.
	if err := publish(0); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if !rc.waitCount(fanoutSubscriptions, b.opts.drainTimeout) {
		return nil, fmt.Errorf("warm-up: %d of %d delivered", rc.count.Load(), fanoutSubscriptions)
	}
	base := rc.count.Load()
	start := time.Now()
	until = start.Add(b.opts.duration)
	n, d, err := closedLoop(b.opts.concurrency, until, 0, func(seq int64) error { return publish(seq) })
	delivered := rc.count.Load() - base
	if err != nil {
		return nil, err
	}
	during := perSecond(delivered, d)
	want := n * fanoutSubscriptions
	progress("fanout_100: %d publishes (%.0f/s, %d deliveries) in %v; %d delivered meanwhile: %.0f deliveries/s; waiting for the rest",
		n, perSecond(n, d), want, d.Round(time.Millisecond), delivered, during)
	if !rc.waitCount(base+want, b.opts.drainTimeout) {
		progress("fanout_100: WARNING only %d of %d delivered within %v", rc.count.Load()-base, want, b.opts.drainTimeout)
	}
	all := rc.count.Load() - base
	elapsed := time.Since(start)
	if all >= want {
		elapsed = time.Duration(rc.lastAny.Load() - start.UnixNano())
	}
	completion := perSecond(all, elapsed)
	progress("fanout_100: %d delivered in %v: completion %.0f deliveries/s", all, elapsed.Round(time.Millisecond), completion)
	raw, err := b.rawHTTPLoop()
	if err != nil {
		return nil, fmt.Errorf("raw_http_loop: %w", err)
	}
	return []Row{
		row("fanout_100", completion, "deliveries/s", "raw_http_loop", raw, false),
		row("fanout_100_during_publish", during, "deliveries/s", "raw_http_loop", raw, false),
	}, nil
}
