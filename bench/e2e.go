package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookstream-go/hookstream"
)

// e2eResult is one end-to-end run: ingest for the window with Run started,
// then wait for every event to arrive at the receiver.
type e2eResult struct {
	ingested   int64
	completion float64 // deliveries/s from the first ingest to the last arrival
	during     float64 // deliveries/s counted while ingest ran
}

// runE2E is e2e on the bbolt file.
func runE2E(ctx context.Context, b *bench) ([]Row, error) {
	res, err := b.e2eRun(ctx, "bolt", "e2e", b.httpDestination, hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	b.e2e = &res.completion
	return b.e2eRows("e2e", res)
}

// runE2EMemory is e2e on store/memory.
func runE2EMemory(ctx context.Context, b *bench) ([]Row, error) {
	res, err := b.e2eRun(ctx, "memory", "e2e_memory", b.httpDestination, hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	return b.e2eRows("e2e_memory", res)
}

// e2eRows compares an e2e run with the raw HTTP loop.
func (b *bench) e2eRows(name string, res e2eResult) ([]Row, error) {
	raw, err := b.rawHTTPLoop()
	if err != nil {
		return nil, fmt.Errorf("raw_http_loop: %w", err)
	}
	return []Row{
		row(name, res.completion, "deliveries/s", "raw_http_loop", raw, false),
		row(name+"_during_ingest", res.during, "deliveries/s", "raw_http_loop", raw, false),
	}, nil
}

// runFilterTransform is e2e through a connection with five matching filter
// rules and a JSONata reshape, compared with e2e measured right before and
// right after it (their mean): the machine's speed drifts over a run, and
// a baseline on both sides cancels a steady drift instead of charging it
// to the transform.
func runFilterTransform(ctx context.Context, b *bench) ([]Row, error) {
	var rules hookstream.FilterRules
	if err := json.Unmarshal([]byte(filterRulesJSON), &rules); err != nil {
		return nil, fmt.Errorf("filter rules: %w", err)
	}
	baseline := func(when string) (float64, error) {
		progress("filter_transform: measuring e2e %s it, for its baseline", when)
		res, err := b.e2eRun(ctx, "bolt", "e2e", b.httpDestination, hookstream.ConnectionParams{})
		if err != nil {
			return 0, fmt.Errorf("e2e baseline %s: %w", when, err)
		}
		return res.completion, nil
	}
	before, err := baseline("before")
	if err != nil {
		return nil, err
	}
	res, err := b.e2eRun(ctx, "bolt", "filter_transform", b.httpDestination, hookstream.ConnectionParams{
		FilterRules: rules, TransformEnabled: ptr(true), TransformExpression: ptr(transformExpr),
	})
	if err != nil {
		return nil, err
	}
	after, err := baseline("after")
	if err != nil {
		return nil, err
	}
	e2e := (before + after) / 2
	progress("filter_transform: e2e %.0f/s before, %.0f/s after", before, after)
	return []Row{
		row("filter_transform", res.completion, "deliveries/s", "e2e", e2e, false),
		row("filter_transform_during_ingest", res.during, "deliveries/s", "e2e", e2e, false),
	}, nil
}

// e2eRun ingests from -concurrency goroutines for the window with Run
// started, and counts the deliveries at the receiver until all arrived;
// dst makes the destination to the receiver's URL.
func (b *bench) e2eRun(ctx context.Context, kind, name string, dst func(url string) hookstream.DestinationParams, conn hookstream.ConnectionParams) (e2eResult, error) {
	var res e2eResult
	rc, err := startReceiver(nil)
	if err != nil {
		return res, err
	}
	defer rc.close()
	rt, err := b.newRoute(ctx, kind, name, b.config(), dst(rc.url), conn)
	if err != nil {
		return res, err
	}
	defer rt.close()
	stop := runRouter(rt.r)
	defer stop()

	// Warm up: routes compiled, connections to the receiver open.
	warm := b.warmup()
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), warm, func(seq int64) error { return rt.ingest(ctx, seq) }); err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	if !rc.waitUniq(warm, b.opts.drainTimeout) {
		return res, fmt.Errorf("warm-up: %d of %d delivered after %v", rc.uniq.Load(), warm, b.opts.drainTimeout)
	}
	base := rc.uniq.Load()

	start := time.Now()
	n, d, err := closedLoop(b.opts.concurrency, start.Add(b.opts.duration), 0, func(seq int64) error { return rt.ingest(ctx, seq+warm) })
	atEnd := rc.uniq.Load() - base
	if err != nil {
		return res, err
	}
	res.ingested = n
	res.during = perSecond(atEnd, d)
	progress("%s: ingested %d in %v (%.0f/s); %d delivered meanwhile (%.0f/s); waiting for the rest",
		name, n, d.Round(time.Millisecond), perSecond(n, d), atEnd, res.during)
	complete := rc.waitUniq(base+n, b.opts.drainTimeout+d)
	got := rc.uniq.Load() - base
	res.completion = perSecond(got, rc.lastAt().Sub(start))
	if !complete {
		progress("%s: WARNING only %d of %d delivered within %v; completion rate is over what arrived", name, got, n, b.opts.drainTimeout)
	}
	progress("%s: %d delivered in %v: completion %.0f deliveries/s, %.0f/s after ingest ended (%d duplicate deliveries in all)",
		name, got, rc.lastAt().Sub(start).Round(time.Millisecond), res.completion, perSecond(got-atEnd, rc.lastAt().Sub(start.Add(d))), rc.dups())
	return res, nil
}

// rawHTTPLoop is the baseline of the delivery scenarios, measured once per
// run: -concurrency goroutines POSTing the payload to a receiver with a
// keep-alive client for the window.
func (b *bench) rawHTTPLoop() (float64, error) {
	if b.rawLoop != nil {
		return *b.rawLoop, nil
	}
	rc, err := startReceiver(nil)
	if err != nil {
		return 0, err
	}
	defer rc.close()
	client := rawClient(b.opts.concurrency)
	defer client.CloseIdleConnections()
	ctx := context.Background()
	send := func(seq int64) error { return post(ctx, client, rc.url, payload(seq)) }
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), send); err != nil {
		return 0, err
	}
	base := rc.count.Load()
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, send)
	if err != nil {
		return 0, err
	}
	if got := rc.count.Load() - base; got != n {
		return 0, fmt.Errorf("receiver counted %d of %d posts", got, n)
	}
	rate := perSecond(n, d)
	progress("raw_http_loop: %d posts in %v: %.0f/s", n, d.Round(time.Millisecond), rate)
	b.rawLoop = &rate
	return rate, nil
}
