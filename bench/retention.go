package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream"
)

// Defaults of the retention soak (flags -soak, -soak-retention, -soak-rate).
const (
	defaultSoak          = 2 * time.Minute
	defaultSoakRetention = 20 * time.Second
	defaultSoakRate      = 2000
)

// runRetention is a soak of -soak at -soak-rate events/s with
// Config.Retention = -soak-retention and Run started, delivering to a
// loopback receiver: the background pruning should keep the bbolt file's
// size flat once the first retention window has passed (freed pages are
// reused), and never stall ingest. Rows: the file at the end against the
// file at half time (flat: a ratio near 1), and the p99 of Router.Ingest
// calls while pruning against the p99 of the first retention window,
// before anything could be pruned.
func runRetention(ctx context.Context, b *bench) ([]Row, error) {
	rc, err := startReceiver(nil)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	cfg := b.config()
	cfg.Retention = b.opts.soakRetention
	rt, err := b.newRoute(ctx, "bolt", "retention", cfg, b.httpDestination(rc.url), hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	stop := runRouter(rt.r)
	defer stop()

	var (
		mu                sync.Mutex
		before, during    []float64 // ingest call latencies, ms
		sizeHalf, sizeEnd int64
	)
	interval := time.Second / time.Duration(b.opts.soakRate)
	start := time.Now()
	end := start.Add(b.opts.soak)
	sampler := time.NewTicker(10 * time.Second)
	defer sampler.Stop()
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		for now := range sampler.C {
			size := fileSize(rt.path)
			elapsed := now.Sub(start)
			progress("retention: %v: file %.1f MiB, %d delivered", elapsed.Round(time.Second), float64(size)/mib, rc.uniq.Load())
			if sizeHalf == 0 && elapsed >= b.opts.soak/2 {
				sizeHalf = size
			}
			if !now.Before(end) {
				return
			}
		}
	}()
	sent, _, err := closedLoop(b.opts.concurrency, end, 0, func(seq int64) error {
		at := start.Add(time.Duration(seq) * interval)
		time.Sleep(time.Until(at))
		t0 := time.Now()
		if err := rt.ingest(ctx, seq); err != nil {
			return err
		}
		ms := float64(time.Since(t0)) / float64(time.Millisecond)
		mu.Lock()
		if at.Sub(start) < b.opts.soakRetention {
			before = append(before, ms)
		} else {
			during = append(during, ms)
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	<-samplerDone
	sizeEnd = fileSize(rt.path)
	progress("retention: %d events in %v, file %.1f MiB at half time, %.1f MiB at the end", sent, b.opts.soak, float64(sizeHalf)/mib, float64(sizeEnd)/mib)
	if len(before) == 0 || len(during) == 0 || sizeHalf == 0 {
		return nil, fmt.Errorf("soak too short for its retention: -soak must be well over 2 × -soak-retention")
	}
	slices.Sort(before)
	slices.Sort(during)
	return []Row{
		row("retention_file_end", float64(sizeEnd)/mib, "MiB", "file_at_half_time", float64(sizeHalf)/mib, true),
		row("retention_ingest_p99", pct(during, 0.99), "ms", "before_pruning", pct(before, 0.99), true),
	}, nil
}
