package hookstream

import (
	"context"
	"errors"
	"sync"
	"time"

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
	r        *Router
	jobs     chan job
	results  chan finished
	free     int
	inflight map[string]int
	circuits map[string]store.Circuit
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
func (r *Router) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("hookstream: Run is already running")
	}
	defer r.running.Store(false)
	workers := r.cfg.Workers
	s := &scheduler{
		r:        r,
		jobs:     make(chan job, workers),
		results:  make(chan finished, workers),
		free:     workers,
		inflight: map[string]int{},
		circuits: map[string]store.Circuit{},
	}
	// Attempts outlive ctx: an attempt under way finishes and is recorded.
	workCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range s.jobs {
				s.results <- r.attempt(workCtx, j)
			}
		})
	}
	defer wg.Wait()
	defer close(s.jobs)

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := s.dispatch(ctx)
		wait := r.cfg.PollInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(r.now()), time.Millisecond))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			s.drain(workCtx)
			return nil
		case f := <-s.results:
			s.record(workCtx, f)
		case <-r.wake:
		case <-timer.C:
		}
	}
}

// dispatch leases due deliveries for every destination that has room and
// an admitting circuit, and hands them to workers. It returns when the
// scheduler should look again at the latest (zero: at the poll interval).
func (s *scheduler) dispatch(ctx context.Context) time.Time {
	r := s.r
	if r.resetCircuits.Swap(false) {
		clear(s.circuits)
	}
	now := r.now()
	due, next, err := r.store.DueDestinations(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("hookstream: find due deliveries", "error", err)
		}
		return time.Time{}
	}
	if len(due) == 0 {
		return next
	}
	s.rotate = (s.rotate + 1) % len(due)
	due = append(due[s.rotate:], due[:s.rotate]...)
	for _, destID := range due {
		if s.free == 0 {
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
		room := s.free
		probe := false
		if dst != nil {
			room = min(room, dst.MaxConcurrency-s.inflight[destID])
			var admit bool
			admit, probe, next = s.allow(ctx, dst, now, next)
			if !admit {
				continue
			}
			if probe {
				room = min(room, 1)
			}
		}
		if room <= 0 {
			continue
		}
		ds, err := r.store.Lease(ctx, destID, now, room, r.leaseTTL(dst))
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("hookstream: lease deliveries", "destination_id", destID, "error", err)
			}
			continue
		}
		for i, d := range ds {
			s.free--
			s.inflight[destID]++
			s.jobs <- job{d: d, dst: dst, probe: probe && i == 0}
		}
	}
	return next
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

// record stores a batch of outcomes: f and whatever else workers have
// reported meanwhile, in one store write.
func (s *scheduler) record(ctx context.Context, f finished) {
	batch := []finished{f}
	for more := true; more; {
		select {
		case f := <-s.results:
			batch = append(batch, f)
		default:
			more = false
		}
	}
	outcomes := make([]store.Outcome, len(batch))
	for i, f := range batch {
		outcomes[i] = f.outcome
	}
	errs, err := s.r.store.Complete(ctx, outcomes)
	if err != nil {
		// The leases expire and the deliveries are attempted again.
		s.r.log.Error("hookstream: record delivery outcomes", "error", err)
	}
	for i, f := range batch {
		s.free++
		s.inflight[f.destID]--
		if err == nil && errs[i] != nil && !errors.Is(errs[i], store.ErrLeaseLost) {
			s.r.log.Error("hookstream: record delivery outcome", "delivery_id", f.outcome.DeliveryID, "error", errs[i])
		}
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

// drain waits for every in-flight attempt and records it.
func (s *scheduler) drain(ctx context.Context) {
	for s.free < cap(s.jobs) {
		s.record(ctx, <-s.results)
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
// the transform's, and a margin. A crashed worker's deliveries come back
// after it.
func (r *Router) leaseTTL(dst *store.Destination) time.Duration {
	timeout := time.Duration(DefaultTimeoutMS) * time.Millisecond
	if dst != nil {
		timeout = time.Duration(dst.TimeoutMS) * time.Millisecond
	}
	return timeout + r.cfg.TransformTimeout + r.cfg.LeaseMargin
}

// wakeScheduler tells a running scheduler that deliveries became due.
func (r *Router) wakeScheduler() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
