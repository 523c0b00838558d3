package hookstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hookstream-go/hookstream/internal/circuit"
	"github.com/hookstream-go/hookstream/internal/netguard"
	"github.com/hookstream-go/hookstream/store"
)

// Defaults of the delivery engine.
const (
	// DefaultWorkers is how many deliveries are attempted at once.
	DefaultWorkers = 64
	// DefaultPollInterval is how often the scheduler looks for due
	// deliveries when nothing wakes it.
	DefaultPollInterval = time.Second
	// maxStoreBackoff bounds the wait between lease attempts while the
	// store fails.
	maxStoreBackoff = 30 * time.Second
	// DefaultLeaseMargin is added to a destination's timeout to make the
	// lease of an attempt.
	DefaultLeaseMargin = 30 * time.Second
	// DefaultDrainTimeout bounds how long a stopping Run waits for the
	// attempts under way.
	DefaultDrainTimeout = 30 * time.Second
)

// Errors of Run.
var (
	// ErrRunning is returned by Run while another Run of the same Router
	// is running.
	ErrRunning = errors.New("hookstream: Run is already running")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("hookstream: the Router is closed")
)

// runState is a running Run, for Close to stop.
type runState struct {
	stop context.CancelFunc
	done chan struct{}
}

// startRun registers a Run, returning its context and its end.
func (r *Router) startRun(ctx context.Context) (context.Context, func(), error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	switch {
	case r.closed:
		return nil, nil, ErrClosed
	case r.run != nil:
		return nil, nil, ErrRunning
	}
	ctx, stop := context.WithCancel(ctx)
	run := &runState{stop: stop, done: make(chan struct{})}
	r.run = run
	return ctx, func() {
		stop()
		r.runMu.Lock()
		r.run = nil
		r.runMu.Unlock()
		close(run.done)
	}, nil
}

// finished is a worker's report of one leased delivery.
type finished struct {
	outcome store.Outcome
	destID  string
	// epoch is the circuit's reset epoch when the attempt began.
	epoch uint64
	// verdict is what the attempt says of the receiver, for its circuit.
	verdict verdict
	probe   bool
}

type verdict int

const (
	verdictNone verdict = iota // no attempt reached the receiver
	verdictSuccess
	verdictFailure
)

type job struct {
	d     *store.Delivery
	ev    *store.Event // the event, when in hand; nil: attempt reads it
	dst   *store.Destination
	probe bool
	epoch uint64 // the circuit's reset epoch at dispatch
}

// scheduler is the state of one Run: owned by Run's goroutine alone.
type scheduler struct {
	r    *Router
	jobs chan job
	// done receives each attempt's report as it ends, to free its slots.
	done     chan finished
	workers  int
	free     int
	inflight map[string]int
	circuits map[string]store.Circuit
	// rotate makes leasing fair across destinations.
	rotate int
	// local: leases live in memory (the store is a claimed
	// store.LocalQueue); ready holds deliveries leased in memory that wait
	// for a slot, by destination.
	local  bool
	ready  map[string][]job
	queued int // jobs in ready
	// more: the last read of the store filled the room it was given, so
	// more deliveries may be due.
	more bool
}

// Run runs the delivery scheduler until ctx is cancelled: it takes due
// deliveries, attempts them on a bounded pool of workers, and records
// each outcome. On cancellation it stops taking work, lets in-flight
// attempts finish (each within its destination's timeout), records their
// outcomes, and returns nil. Every stored event is delivered at least
// once: deliveries whose attempts a crash interrupted are attempted again.
//
// Three kinds of goroutine share the work: this one decides what to
// attempt (and owns all scheduling state), Config.Workers attempt
// deliveries, and a recorder writes their outcomes in batches behind them:
// a worker is free for the next delivery as soon as its attempt ends.
//
// With a store only this process can use (store.LocalQueue: bolt,
// memory), leases live in memory: deliveries this Router's ingest and
// publish create are handed to the scheduler with their event, without
// a lease write or a read back, and after a crash every pending delivery
// is simply due. Other stores lease durably (Queue.Lease), and a crashed
// process's deliveries come back when their leases expire.
func (r *Router) Run(ctx context.Context) error {
	ctx, end, err := r.startRun(ctx)
	if err != nil {
		return err
	}
	defer end()
	workers := r.cfg.Workers
	s := &scheduler{
		r:        r,
		jobs:     make(chan job, workers),
		done:     make(chan finished, workers),
		workers:  workers,
		free:     workers,
		inflight: map[string]int{},
		circuits: map[string]store.Circuit{},
		ready:    map[string][]job{},
	}
	if lq, ok := r.store.(store.LocalQueue); ok {
		if release, ok := lq.ClaimLocal(); ok {
			s.local = true
			defer release()
			r.handoff.start(handoffLimit * workers)
			defer r.handoff.stop()
		}
	}
	// Attempts and their records outlive ctx: an attempt under way
	// finishes and is recorded, within Config.DrainTimeout.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	results := make(chan finished, workers)
	var workersDone, recorderDone sync.WaitGroup
	for range workers {
		workersDone.Go(func() {
			for j := range s.jobs {
				f := r.attempt(workCtx, j)
				results <- f
				s.done <- f
			}
		})
	}
	recorderDone.Go(func() { r.recordOutcomes(workCtx, results, s.local) })
	defer func() {
		close(s.jobs)
		workersDone.Wait()
		close(results)
		recorderDone.Wait()
	}()

	// Other processes' new work: the store's notifications, if it has them.
	var notified <-chan struct{}
	if n, ok := r.store.(store.Notifier); ok && !s.local {
		if notified, err = n.Listen(ctx); err != nil {
			r.log.Error("hookstream: listen for new deliveries; polling instead", "error", err)
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	r.sweepHeld(ctx)
	// While the store fails, look again after growing, jittered delays
	// rather than at every poll.
	storeBackoff := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(r.cfg.PollInterval),
		backoff.WithMaxInterval(maxStoreBackoff),
		backoff.WithMaxElapsedTime(0), // never give up
	)
	// lease: the store should be read for due deliveries. It stays set
	// until a read is made, which waits for a free worker.
	for lease := true; ; {
		if s.local {
			if s.takeHanded(ctx) {
				lease = true
			}
			s.startReady(ctx)
		}
		if lease && s.free > 0 {
			lease = false
			next, err := s.dispatch(ctx)
			wait := r.cfg.PollInterval
			switch {
			case err != nil:
				if ctx.Err() == nil {
					r.log.Error("hookstream: lease due deliveries", "error", err)
				}
				wait = storeBackoff.NextBackOff()
			case !next.IsZero():
				storeBackoff.Reset()
				wait = min(wait, max(next.Sub(r.now()), time.Millisecond))
			default:
				storeBackoff.Reset()
			}
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			s.dropReady()
			drain := time.AfterFunc(r.cfg.DrainTimeout, cancelWork)
			defer drain.Stop()
			for s.free < s.workers { // drain: every attempt in flight ends
				s.release(workCtx, <-s.done)
			}
			return nil
		case f := <-s.done:
			s.release(workCtx, f)
			// Read the store again once a quarter of the workers are free,
			// so each read takes a batch rather than one delivery.
			lease = lease || (s.more || !s.local) && s.free*4 >= s.workers
		case <-r.handoff.signal:
		case <-r.wake:
			lease = true
		case <-notified:
			lease = true
		case <-sweep.C:
			lease = r.sweepHeld(ctx) > 0 || lease
		case <-timer.C:
			lease = true
		}
	}
}

// sweepInterval is how often Run releases held deliveries whose
// connection is no longer paused (stragglers of a crash, or of files
// written by an older version).
const sweepInterval = time.Minute

// sweepHeld releases the held deliveries of connections not stored as
// paused, and returns how many it released.
func (r *Router) sweepHeld(ctx context.Context) int {
	held, err := r.store.HeldConnections(ctx)
	if err != nil {
		r.log.Error("hookstream: find held deliveries", "error", err)
		return 0
	}
	released := 0
	for _, h := range held {
		conn := new(store.Connection)
		conn.ID, conn.OrgID, conn.EnvID = h.ConnectionID, h.Tenant.OrgID, h.Tenant.EnvID
		err := r.store.Get(ctx, conn)
		if err == nil && conn.Status == StatusPaused {
			continue
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			r.log.Error("hookstream: load connection", "connection_id", h.ConnectionID, "error", err)
			continue
		}
		n, err := r.store.ReleaseHeld(ctx, h.ConnectionID, r.now())
		if err != nil {
			r.log.Error("hookstream: release held deliveries", "connection_id", h.ConnectionID, "error", err)
		}
		released += n
	}
	return released
}

// handoffLimit is how many handed-over deliveries per worker may wait in
// memory; beyond it, deliveries wait in the store.
const handoffLimit = 4

// recordOutcomes writes the workers' outcomes to the store, batching all
// that arrive while a write is under way into the next one. With local
// leases, a recorded delivery's in-memory lease is released.
func (r *Router) recordOutcomes(ctx context.Context, results <-chan finished, local bool) {
	for f := range results {
		batch := []finished{f}
		for more := true; more; {
			select {
			case f, ok := <-results:
				if !ok {
					more = false
					break
				}
				batch = append(batch, f)
			default:
				more = false
			}
		}
		outcomes := make([]store.Outcome, len(batch))
		for i, f := range batch {
			outcomes[i] = f.outcome
		}
		errs, err := r.store.Complete(ctx, outcomes)
		if err != nil {
			// The deliveries stay pending and are attempted again.
			r.log.Error("hookstream: record delivery outcomes", "error", err)
		}
		for i, f := range batch {
			if err == nil && errs[i] != nil && !errors.Is(errs[i], store.ErrLeaseLost) {
				r.log.Error("hookstream: record delivery outcome", "delivery_id", f.outcome.DeliveryID, "error", errs[i])
			}
		}
		if local {
			ids := make([]string, len(batch))
			for i, f := range batch {
				ids[i] = f.outcome.DeliveryID
			}
			r.handoff.release(ids...)
		}
	}
}

// takeHanded moves the deliveries ingest and publish handed over into the
// ready lists. It reports whether a hand-over was refused for want of
// room, so the store must be read.
func (s *scheduler) takeHanded(ctx context.Context) bool {
	queued, overflow := s.r.handoff.take()
	for _, h := range queued {
		dst, err := s.r.routes().destination(ctx, h.d.DestinationID)
		if err != nil {
			s.r.log.Error("hookstream: load destination", "destination_id", h.d.DestinationID, "error", err)
			s.drop(h.d)
			continue
		}
		s.ready[h.d.DestinationID] = append(s.ready[h.d.DestinationID], job{d: h.d, ev: h.ev, dst: dst})
		s.queued++
	}
	return overflow
}

// startReady starts the ready deliveries that have a worker, room at
// their destination and an admitting circuit. A destination that admits
// none (paused, circuit open) gives its ready deliveries back to the
// store, where they wait without taking memory.
func (s *scheduler) startReady(ctx context.Context) {
	if s.queued == 0 {
		return
	}
	now := s.r.now()
	for destID, jobs := range s.ready {
		if s.free == 0 {
			return
		}
		dst := jobs[0].dst
		room, probe, _ := s.room(ctx, destID, dst, now, time.Time{})
		if room < 0 {
			for _, j := range jobs {
				s.drop(j.d)
			}
			s.queued -= len(jobs)
			delete(s.ready, destID)
			continue
		}
		n := min(room, s.free, len(jobs))
		for i, j := range jobs[:n] {
			j.probe = probe && i == 0
			s.start(j)
		}
		s.queued -= n
		s.r.handoff.dispatched(n)
		if n == len(jobs) {
			delete(s.ready, destID)
		} else {
			s.ready[destID] = jobs[n:]
		}
	}
}

// drop gives an in-memory lease back: the delivery waits in the store.
func (s *scheduler) drop(d *store.Delivery) {
	s.r.handoff.release(d.ID)
	s.r.handoff.dispatched(1)
}

// dropReady gives every ready delivery back to the store.
func (s *scheduler) dropReady() {
	for destID, jobs := range s.ready {
		for _, j := range jobs {
			s.drop(j.d)
		}
		delete(s.ready, destID)
	}
	s.queued = 0
}

// room is how many more deliveries a destination admits now (-1: none
// until something changes: paused, or its circuit is open), whether the
// first is the circuit's probe, and next lowered to when an open circuit
// probes.
func (s *scheduler) room(ctx context.Context, destID string, dst *store.Destination, now, next time.Time) (int, bool, time.Time) {
	if dst == nil {
		return s.free, false, next // attempted, to dead-letter them
	}
	if dst.Status != StatusActive {
		return -1, false, next // a paused or disabled destination holds its deliveries
	}
	room := dst.MaxConcurrency - s.inflight[destID]
	if room <= 0 {
		return 0, false, next
	}
	admit, probe, next := s.allow(ctx, dst, now, next)
	if !admit {
		return -1, false, next
	}
	if probe {
		room = 1
	}
	return room, probe, next
}

func (s *scheduler) start(j job) {
	j.epoch = s.circuits[j.d.DestinationID].Epoch
	s.free--
	s.inflight[j.d.DestinationID]++
	s.jobs <- j
}

// leaseRequest is one destination's share of a dispatch.
type leaseRequest struct {
	dst    *store.Destination
	destID string
	room   int
	probe  bool
	leased []*store.Delivery
	events []*store.Event // with a local queue, leased's events
	err    error
}

// dispatch reads due deliveries from the store for every destination that
// has room and an admitting circuit, and hands them to workers: leased
// durably, or in memory with a local queue. The destinations are read
// concurrently, so the store commits their leases together. It returns
// when the scheduler should look again at the latest (zero: at the poll
// interval), and the store's error if it failed.
func (s *scheduler) dispatch(ctx context.Context) (time.Time, error) {
	r := s.r
	if r.resetCircuits.Swap(false) {
		clear(s.circuits)
	}
	now := r.now()
	due, next, err := r.store.DueDestinations(ctx, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("find due deliveries: %w", err)
	}
	s.more = false
	if len(due) == 0 {
		return next, nil
	}
	s.rotate = (s.rotate + 1) % len(due)
	due = append(due[s.rotate:], due[:s.rotate]...)
	var reqs []*leaseRequest
	free := s.free
	for _, destID := range due {
		if free == 0 {
			s.more = true
			break
		}
		dst, err := r.routes().destination(ctx, destID)
		if err != nil {
			r.log.Error("hookstream: load destination", "destination_id", destID, "error", err)
			continue
		}
		req := &leaseRequest{dst: dst, destID: destID}
		var probe bool
		req.room, probe, next = s.room(ctx, destID, dst, now, next)
		req.room -= len(s.ready[destID])
		if req.room <= 0 {
			continue
		}
		req.room = min(req.room, free)
		req.probe = probe
		free -= req.room
		reqs = append(reqs, req)
	}
	events := map[string]*store.Event{} // events the store returned with their deliveries
	if bl, ok := r.store.(store.BatchLeaser); ok && !s.local && len(reqs) > 0 {
		if err := s.leaseBatch(ctx, bl, now, reqs, events); err != nil {
			return next, err
		}
	} else {
		if s.local {
			r.handoff.beginRead()
		}
		var wg sync.WaitGroup
		for _, req := range reqs {
			wg.Go(func() {
				if s.local {
					lq := r.store.(store.LocalQueue)
					var due []store.Leased
					due, req.err = lq.PeekDue(ctx, req.destID, now, req.room, r.handoff.isHeld)
					for _, l := range due {
						req.leased = append(req.leased, l.Delivery)
						req.events = append(req.events, l.Event)
					}
				} else {
					req.leased, req.err = r.store.Lease(ctx, req.destID, now, req.room, r.leaseTTL(req.dst))
				}
			})
		}
		wg.Wait()
		if s.local {
			stale := r.handoff.endRead()
			for _, req := range reqs {
				for i, d := range req.leased {
					if _, ok := stale[d.ID]; !ok {
						events[d.ID] = req.events[i]
					}
				}
				req.leased = slices.DeleteFunc(req.leased, func(d *store.Delivery) bool {
					_, ok := stale[d.ID]
					return ok
				})
			}
		}
	}
	var leaseErr error
	for _, req := range reqs {
		if req.err != nil {
			leaseErr = fmt.Errorf("lease deliveries of %s: %w", req.destID, req.err)
		}
		if req.probe && len(req.leased) == 0 {
			c, _ := s.circuit(ctx, req.destID)
			s.saveCircuit(ctx, req.destID, circuit.Abandon(c, now)) // nothing to probe with after all
		}
		if len(req.leased) == req.room {
			s.more = true
		}
		first := true
		for _, d := range req.leased {
			if s.local && !r.handoff.hold(d.ID) {
				continue // handed over meanwhile
			}
			s.start(job{d: d, ev: events[d.ID], dst: req.dst, probe: req.probe && first})
			first = false
		}
	}
	return next, leaseErr
}

// leaseBatch leases every request's deliveries in one call, with their
// events, capping each destination's leases across processes at its
// max_concurrency.
func (s *scheduler) leaseBatch(ctx context.Context, bl store.BatchLeaser, now time.Time, reqs []*leaseRequest, events map[string]*store.Event) error {
	batch := make([]store.LeaseRequest, len(reqs))
	byDest := make(map[string]*leaseRequest, len(reqs))
	for i, req := range reqs {
		batch[i] = store.LeaseRequest{DestinationID: req.destID, Limit: req.room, TTL: s.r.leaseTTL(req.dst)}
		if req.dst != nil {
			batch[i].MaxInFlight = req.dst.MaxConcurrency
		}
		byDest[req.destID] = req
	}
	leased, err := bl.LeaseBatch(ctx, now, batch)
	if err != nil {
		return fmt.Errorf("lease deliveries: %w", err)
	}
	for _, l := range leased {
		req := byDest[l.Delivery.DestinationID]
		req.leased = append(req.leased, l.Delivery)
		events[l.Delivery.ID] = l.Event
	}
	return nil
}

// allow asks the destination's circuit whether to admit deliveries, keeping
// the earliest time to look again in next.
func (s *scheduler) allow(ctx context.Context, dst *store.Destination, now, next time.Time) (admit, probe bool, _ time.Time) {
	c, err := s.circuit(ctx, dst.ID)
	if err != nil {
		s.r.log.Error("hookstream: load circuit", "destination_id", dst.ID, "error", err)
		return false, false, next
	}
	admit, probe, c2 := circuit.Allow(c, s.r.circuitConfig(dst), now)
	if c2 != c {
		s.saveCircuit(ctx, dst.ID, c2)
	}
	if !admit && !c2.NextProbeAt.IsZero() && (next.IsZero() || c2.NextProbeAt.Before(next)) {
		next = c2.NextProbeAt
	}
	return admit, probe, next
}

func (s *scheduler) circuit(ctx context.Context, destID string) (store.Circuit, error) {
	if c, ok := s.circuits[destID]; ok {
		return c, nil
	}
	c, err := s.r.store.GetCircuit(ctx, destID)
	if err == nil {
		s.circuits[destID] = c
	}
	return c, err
}

// saveCircuit stores a transition of the cached state to c unless the
// stored state changed meanwhile (a reset, another process): then the
// stored state wins and is cached instead.
func (s *scheduler) saveCircuit(ctx context.Context, destID string, c store.Circuit) {
	old := s.circuits[destID]
	swapped, err := s.r.store.SwapCircuit(ctx, destID, old, c)
	if err != nil {
		s.r.log.Error("hookstream: save circuit", "destination_id", destID, "error", err)
		delete(s.circuits, destID) // read it again
		return
	}
	if !swapped {
		delete(s.circuits, destID)
		return
	}
	c.Version = old.Version + 1
	s.circuits[destID] = c
}

// release returns an ended attempt's worker and destination slot, and
// feeds its verdict to the destination's circuit.
func (s *scheduler) release(ctx context.Context, f finished) {
	s.free++
	s.inflight[f.destID]--
	s.judge(ctx, f)
}

// judge feeds an attempt's verdict to its destination's circuit.
func (s *scheduler) judge(ctx context.Context, f finished) {
	dst, err := s.r.routes().destination(ctx, f.destID)
	if err != nil || dst == nil {
		return
	}
	c, err := s.circuit(ctx, f.destID)
	if err != nil || c.Epoch != f.epoch {
		return // or reset since the attempt began: its verdict is stale
	}
	now := s.r.now()
	cfg := s.r.circuitConfig(dst)
	next := c
	switch f.verdict {
	case verdictSuccess:
		next = circuit.OnSuccess(c, cfg, now)
	case verdictFailure:
		next = circuit.OnFailure(c, cfg, now)
	default:
		if f.probe {
			next = circuit.Abandon(c, now)
		}
	}
	if next != c {
		s.saveCircuit(ctx, f.destID, next)
	}
}

// circuitConfig is the destination's breaker. A probe is presumed lost only
// after its lease could have expired, so a slow probe never gets a twin.
func (r *Router) circuitConfig(dst *store.Destination) circuit.Config {
	reset := time.Duration(dst.CircuitBreakerResetMS) * time.Millisecond
	return circuit.Config{
		Enabled:      dst.CircuitBreakerEnabled,
		Threshold:    dst.CircuitBreakerThreshold,
		Reset:        reset,
		ProbeTimeout: max(reset, r.leaseTTL(dst)),
	}
}

// isRefused reports whether a delivery error is the SSRF guard's refusal:
// the receiver was never contacted.
func isRefused(err error) bool { return errors.Is(err, netguard.ErrBlocked) }

// leaseTTL is how long a worker may hold a delivery of dst: its timeout,
// an allowance for the transform, and a margin. A crashed worker's
// deliveries come back after it.
func (r *Router) leaseTTL(dst *store.Destination) time.Duration {
	timeout := time.Duration(DefaultTimeoutMS) * time.Millisecond
	if dst != nil {
		timeout = time.Duration(dst.TimeoutMS) * time.Millisecond
	}
	return timeout + transformLeaseAllowance + r.cfg.LeaseMargin
}

// wakeScheduler tells a running scheduler that deliveries became due.
func (r *Router) wakeScheduler() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
