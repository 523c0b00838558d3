package hookstream

import (
	"context"
	"errors"
	"fmt"
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
)

// finished is a worker's report of one leased delivery.
type finished struct {
	outcome store.Outcome
	destID  string
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
	dst   *store.Destination
	probe bool
}

// scheduler is the state of one Run: owned by Run's goroutine alone.
type scheduler struct {
	r    *Router
	jobs chan job
	// completed receives batches of outcomes once they are recorded.
	completed chan []finished
	workers   int
	free      int
	inflight  map[string]int
	circuits  map[string]store.Circuit
	// rotate makes leasing fair across destinations.
	rotate int
}

// Run runs the delivery scheduler until ctx is cancelled: it leases due
// deliveries from the store, attempts them on a bounded pool of workers,
// and records each outcome. On cancellation it stops leasing, lets
// in-flight attempts finish (each within its destination's timeout),
// records their outcomes, and returns nil. Deliveries whose leases a crash
// abandoned are attempted again when the lease expires, so every stored
// event is delivered at least once.
//
// Three kinds of goroutine share the work: this one decides what to lease
// (and owns all scheduling state), Config.Workers attempt deliveries, and
// a recorder writes their outcomes in batches while leasing goes on.
func (r *Router) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("hookstream: Run is already running")
	}
	defer r.running.Store(false)
	workers := r.cfg.Workers
	s := &scheduler{
		r:         r,
		jobs:      make(chan job, workers),
		completed: make(chan []finished, workers),
		workers:   workers,
		free:      workers,
		inflight:  map[string]int{},
		circuits:  map[string]store.Circuit{},
	}
	// Attempts and their records outlive ctx: an attempt under way
	// finishes and is recorded.
	workCtx := context.WithoutCancel(ctx)
	results := make(chan finished, workers)
	var workersDone, recorderDone sync.WaitGroup
	for range workers {
		workersDone.Go(func() {
			for j := range s.jobs {
				results <- r.attempt(workCtx, j)
			}
		})
	}
	recorderDone.Go(func() { r.recordOutcomes(workCtx, results, s.completed) })
	defer func() {
		close(s.jobs)
		workersDone.Wait()
		close(results)
		recorderDone.Wait()
	}()

	timer := time.NewTimer(0)
	defer timer.Stop()
	// While the store fails, look again after growing, jittered delays
	// rather than at every poll.
	storeBackoff := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(r.cfg.PollInterval),
		backoff.WithMaxInterval(maxStoreBackoff),
		backoff.WithMaxElapsedTime(0), // never give up
	)
	for lease := true; ; {
		if lease {
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
			for s.free < s.workers { // drain: every attempt in flight is recorded
				s.release(workCtx, <-s.completed)
			}
			return nil
		case batch := <-s.completed:
			s.release(workCtx, batch)
			// Lease again once a quarter of the workers are free, so each
			// lease takes a batch rather than one delivery at a time.
			lease = s.free*4 >= s.workers
		case <-r.wake:
			lease = true
		case <-timer.C:
			lease = true
		}
	}
}

// recordOutcomes writes the workers' outcomes to the store, batching all
// that arrive while a write is under way into the next one, and passes
// each recorded batch on to the scheduler.
func (r *Router) recordOutcomes(ctx context.Context, results <-chan finished, completed chan<- []finished) {
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
			// The leases expire and the deliveries are attempted again.
			r.log.Error("hookstream: record delivery outcomes", "error", err)
		}
		for i, f := range batch {
			if err == nil && errs[i] != nil && !errors.Is(errs[i], store.ErrLeaseLost) {
				r.log.Error("hookstream: record delivery outcome", "delivery_id", f.outcome.DeliveryID, "error", errs[i])
			}
		}
		completed <- batch
	}
}

// leaseRequest is one destination's share of a dispatch.
type leaseRequest struct {
	dst    *store.Destination
	destID string
	room   int
	probe  bool
	leased []*store.Delivery
	err    error
}

// dispatch leases due deliveries for every destination that has room and
// an admitting circuit, and hands them to workers. The leases of all
// destinations are taken concurrently, so the store commits them together.
// It returns when the scheduler should look again at the latest (zero: at
// the poll interval), and the store's error if it failed.
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
	if len(due) == 0 {
		return next, nil
	}
	s.rotate = (s.rotate + 1) % len(due)
	due = append(due[s.rotate:], due[:s.rotate]...)
	var reqs []*leaseRequest
	free := s.free
	for _, destID := range due {
		if free == 0 {
			break
		}
		dst, err := r.routes().destination(ctx, destID)
		if err != nil {
			r.log.Error("hookstream: load destination", "destination_id", destID, "error", err)
			continue
		}
		if dst != nil && dst.Status != StatusActive {
			continue // a paused or disabled destination holds its deliveries
		}
		req := &leaseRequest{dst: dst, destID: destID, room: free}
		if dst != nil {
			req.room = min(req.room, dst.MaxConcurrency-s.inflight[destID])
			if req.room <= 0 {
				continue
			}
			var admit bool
			admit, req.probe, next = s.allow(ctx, dst, now, next)
			if !admit {
				continue
			}
			if req.probe {
				req.room = 1
			}
		}
		free -= req.room
		reqs = append(reqs, req)
	}
	var wg sync.WaitGroup
	for _, req := range reqs {
		wg.Go(func() {
			req.leased, req.err = r.store.Lease(ctx, req.destID, now, req.room, r.leaseTTL(req.dst))
		})
	}
	wg.Wait()
	var leaseErr error
	for _, req := range reqs {
		if req.err != nil {
			leaseErr = fmt.Errorf("lease deliveries of %s: %w", req.destID, req.err)
		}
		if req.probe && len(req.leased) == 0 {
			c, _ := s.circuit(ctx, req.destID)
			s.saveCircuit(ctx, req.destID, circuit.Abandon(c, now)) // nothing to probe with after all
		}
		for i, d := range req.leased {
			s.free--
			s.inflight[req.destID]++
			s.jobs <- job{d: d, dst: req.dst, probe: req.probe && i == 0}
		}
	}
	return next, leaseErr
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

func (s *scheduler) saveCircuit(ctx context.Context, destID string, c store.Circuit) {
	s.circuits[destID] = c
	if err := s.r.store.PutCircuit(ctx, destID, c); err != nil {
		s.r.log.Error("hookstream: save circuit", "destination_id", destID, "error", err)
	}
}

// release returns a recorded batch's workers and destination slots, and
// feeds each verdict to its destination's circuit.
func (s *scheduler) release(ctx context.Context, batch []finished) {
	for _, f := range batch {
		s.free++
		s.inflight[f.destID]--
		s.judge(ctx, f)
	}
}

// judge feeds an attempt's verdict to its destination's circuit.
func (s *scheduler) judge(ctx context.Context, f finished) {
	dst, err := s.r.routes().destination(ctx, f.destID)
	if err != nil || dst == nil {
		return
	}
	c, err := s.circuit(ctx, f.destID)
	if err != nil {
		return
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
