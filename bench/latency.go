package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream"
)

// runLatency measures delivery latency under an open-loop ingest at rate
// events/s for the window: every send has a scheduled time and never waits
// for an earlier one (each runs in its own goroutine), and an event's
// latency runs from its scheduled time to its arrival at the receiver, so
// a stall shows in every send it delays. The baseline posts the same
// schedule straight to the receiver.
func runLatency(ctx context.Context, b *bench, name string, rate int) ([]Row, error) {
	got, err := b.latencyRouter(ctx, name, rate)
	if err != nil {
		return nil, err
	}
	raw, err := b.latencyRaw(name, rate)
	if err != nil {
		return nil, fmt.Errorf("raw_open_loop: %w", err)
	}
	var rows []Row
	for i, p := range percentileNames {
		rows = append(rows, row(name+"_"+p, got[i], "ms", "raw_open_loop", raw[i], true))
	}
	return rows, nil
}

var percentileNames = []string{"p50", "p95", "p99", "max"}

// latencyRouter runs the open loop through Router.Ingest with Run started.
func (b *bench) latencyRouter(ctx context.Context, name string, rate int) ([]float64, error) {
	ol := newOpenLoop(rate, b.opts.duration)
	rc, err := startReceiver(ol.arrived)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	rt, err := b.newRoute(ctx, "bolt", name, b.config(), b.httpDestination(rc.url), hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	stop := runRouter(rt.r)
	defer stop()
	// Warm-up events carry sequence numbers past the schedule's: the
	// measurement ignores them.
	warm := b.warmup()
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), warm, func(seq int64) error {
		return rt.ingest(ctx, int64(ol.total)+seq)
	}); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if !rc.waitUniq(warm, b.opts.drainTimeout) {
		return nil, fmt.Errorf("warm-up: %d of %d delivered", rc.uniq.Load(), warm)
	}
	return ol.run(name, b.opts.drainTimeout, func(seq int64) error { return rt.ingest(ctx, seq) })
}

// latencyRaw runs the open loop posting straight to a receiver.
func (b *bench) latencyRaw(name string, rate int) ([]float64, error) {
	ol := newOpenLoop(rate, b.opts.duration)
	rc, err := startReceiver(ol.arrived)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	client := rawClient(max(b.opts.concurrency, 256))
	defer client.CloseIdleConnections()
	ctx := context.Background()
	warm := b.warmup()
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), warm, func(seq int64) error {
		return post(ctx, client, rc.url, payload(int64(ol.total)+seq))
	}); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	return ol.run(name+" raw_open_loop", b.opts.drainTimeout, func(seq int64) error { return post(ctx, client, rc.url, payload(seq)) })
}

// openLoop is one open-loop schedule and the arrivals of its events.
type openLoop struct {
	total    int
	interval time.Duration
	start    time.Time
	arrival  []atomic.Int64 // UnixNano of the first arrival of seq; 0 while none
	arrivals atomic.Int64
}

func newOpenLoop(rate int, window time.Duration) *openLoop {
	total := max(1, int(float64(rate)*window.Seconds()))
	return &openLoop{total: total, interval: time.Second / time.Duration(rate), arrival: make([]atomic.Int64, total)}
}

// arrived is the receiver's callback.
func (ol *openLoop) arrived(seq int64, at time.Time) {
	if seq < 0 || seq >= int64(ol.total) {
		return // a warm-up event
	}
	if ol.arrival[seq].CompareAndSwap(0, at.UnixNano()) {
		ol.arrivals.Add(1)
	}
}

// scheduled is the time event seq is due to be sent.
func (ol *openLoop) scheduled(seq int) time.Time {
	return ol.start.Add(time.Duration(seq) * ol.interval)
}

// run sends the schedule with send, waits up to timeout after it for the
// last arrivals, and returns p50, p95, p99 and max in milliseconds. An
// event that never arrived counts with its wait so far (a lower bound).
func (ol *openLoop) run(name string, timeout time.Duration, send func(seq int64) error) ([]float64, error) {
	var (
		wg     sync.WaitGroup
		errs   atomic.Int64
		errMu  sync.Mutex
		errOne error
	)
	ol.start = time.Now().Add(20 * time.Millisecond)
	for i := 0; i < ol.total; {
		if wait := time.Until(ol.scheduled(i)); wait > 0 {
			time.Sleep(wait)
		}
		// Send every event that is due now, each without waiting for any.
		for now := time.Now(); i < ol.total && !ol.scheduled(i).After(now); i++ {
			seq := int64(i)
			wg.Go(func() {
				if err := send(seq); err != nil {
					if errs.Add(1) == 1 {
						errMu.Lock()
						errOne = err
						errMu.Unlock()
					}
				}
			})
		}
	}
	sentAt := time.Now()
	wg.Wait()
	if n := errs.Load(); n > 0 {
		return nil, fmt.Errorf("%d of %d sends failed, the first: %v", n, ol.total, errOne)
	}
	deadline := time.Now().Add(timeout)
	for ol.arrivals.Load() < int64(ol.total) && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	end := time.Now()
	lat := make([]float64, ol.total)
	missing := 0
	for i := range lat {
		at := ol.arrival[i].Load()
		if at == 0 {
			missing++
			lat[i] = float64(end.Sub(ol.scheduled(i))) / 1e6
			continue
		}
		lat[i] = float64(at-ol.scheduled(i).UnixNano()) / 1e6
	}
	slices.Sort(lat)
	out := []float64{pct(lat, 0.50), pct(lat, 0.95), pct(lat, 0.99), lat[len(lat)-1]}
	progress("%s: %d events at %v intervals over %v; p50 %.2f p95 %.2f p99 %.2f max %.2f ms",
		name, ol.total, ol.interval, sentAt.Sub(ol.start).Round(time.Millisecond), out[0], out[1], out[2], out[3])
	if missing > 0 {
		progress("%s: WARNING %d of %d events never arrived within %v (counted with their wait so far)", name, missing, ol.total, timeout)
	}
	return out, nil
}

// pct is the nearest-rank percentile of sorted values.
func pct(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
