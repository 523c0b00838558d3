package hookstream

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
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
	circuits map[string]cachedCircuit
	// rotate makes leasing fair across destinations.
	rotate int
	// local: leases live in memory (the store is a claimed
	// store.LocalQueue); ready holds deliveries leased in memory that wait
	// for a slot, by destination.
	local bool
	ready map[string][]job
	// renewals holds the leases under way while the store renews leases
	// (renewal.go); nil otherwise.
	renewals *renewals
	queued   int // jobs in ready
	// outcomes, with a store.BatchLeaser shared store, are the reports
	// waiting for the recorder: a lease takes them along and records them
	// in its own round trip (CompleteAndLease), under recordCtx.
	outcomes  <-chan finished
	recordCtx context.Context
	// more: the last read of the store filled the room it was given, so
	// more deliveries may be due.
	more bool
	// owner marks this run's leases in a shared store, which counts them
	// against max_concurrency only while inflight does (store.LeaseRequest).
	owner string
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
// With a shared store that leases in batches (store.BatchLeaser), the
// scheduler's next lease takes along the outcomes still waiting for the
// recorder (CompleteAndLease): one round trip records them and fills the
// slots they free.
//
// With a store only this process can use (store.LocalQueue: bolt,
// memory), leases live in memory: deliveries this Router's ingest and
// publish create are handed to the scheduler with their event, without
// a lease write or a read back, and after a crash every pending delivery
// is simply due. Other stores lease durably (Queue.Lease), and a crashed
// process's deliveries come back when their leases expire: within
// LeaseTerm when the store renews leases (store.LeaseRenewer), as the
// leases of attempts under way are renewed until their outcomes are
// recorded.
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
		circuits: map[string]cachedCircuit{},
		ready:    map[string][]job{},
		owner:    "s" + rand.Text() + ".",
	}
	if lq, ok := r.store.(store.LocalQueue); ok {
		if release, ok := lq.ClaimLocal(); ok {
			s.local = true
			defer release()
			r.handoff.start(handoffLimit * workers)
			defer r.handoff.stop()
		}
	}
	renewer, renews := r.store.(store.LeaseRenewer)
	if renews && !s.local {
		s.renewals = newRenewals()
	}
	// Background work: pruning by Config.Retention, and the replay drivers
	// (replay_driver.go), which need to know whether leases are local.
	// Deferred after the claim, it has stopped before the claim is released.
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer background.Wait()
	defer stopBackground()
	background.Go(func() { r.retain(bgCtx) })
	background.Go(func() { r.driveReplays(bgCtx, s.local) })
	// Attempts and their records outlive ctx: an attempt under way
	// finishes and is recorded, within Config.DrainTimeout.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	results := make(chan finished, recorderBacklog*workers)
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
	recorderDone.Go(func() { r.recordOutcomes(workCtx, results, s.local, s.renewals) })
	if _, ok := r.store.(store.BatchLeaser); ok && !s.local {
		s.outcomes, s.recordCtx = results, workCtx
	}
	// Leases are renewed until the last outcome is recorded.
	var renewerDone sync.WaitGroup
	if s.renewals != nil {
		renewCtx, stopRenewing := context.WithCancel(workCtx)
		renewerDone.Go(func() { r.renewLeases(renewCtx, renewer, s.renewals) })
		defer func() {
			stopRenewing()
			renewerDone.Wait()
		}()
	}
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
			r.logStoreError("hookstream: listen for new deliveries; polling instead", "error", err)
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
		if lease && s.canRead() {
			lease = false
			next, err := s.dispatch(ctx)
			wait := r.cfg.PollInterval
			switch {
			case err != nil:
				if ctx.Err() == nil {
					r.logStoreError("hookstream: lease due deliveries", "error", err)
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
			s.releaseEnded(workCtx)
			// Read the store again once a quarter of the workers are free,
			// so each read takes a batch rather than one delivery.
			lease = lease || (s.more || !s.local) && s.quarterFree()
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

// recorderBacklog is how many outcomes per worker may wait for the
// recorder before a worker that ends an attempt waits for it: room for
// the outcomes of a few commits, so that a worker is free when its
// attempt ends (with a buffer of one per worker, workers waited 0.5–0.9 ms
// per attempt for the recorder in bench's e2e). Each outcome holds at
// most MaxResponseBody of response.
const recorderBacklog = 4

// canRead reports whether the scheduler has the workers free to read the
// store for due deliveries. With leases in memory, any free worker will
// do: the read is local. A durable lease is a store round trip, so it
// waits for a quarter of the workers to be free and
// leases a batch: under steady ingest, every new event wakes the
// scheduler, and leasing one delivery per wake queued each lease behind
// the ingest's own writes, until delivery starved (PostgreSQL delivered
// 26–41 events/s while ingesting 2,500/s; 240–309/s with this rule).
func (s *scheduler) canRead() bool {
	if s.local {
		return s.free > 0
	}
	return s.quarterFree()
}

// quarterFree reports whether a quarter of the workers are free: enough
// for a read of the store to lease a batch rather than one delivery.
func (s *scheduler) quarterFree() bool { return s.free*4 >= s.workers }

// recordOutcomes writes the workers' outcomes to the store, batching all
// that arrive while a write is under way into the next one.
func (r *Router) recordOutcomes(ctx context.Context, results <-chan finished, local bool, rn *renewals) {
	for f := range results {
		batch := takeQueued(results, []finished{f})
		outcomes := outcomesOf(batch)
		errs, err := r.store.Complete(ctx, outcomes)
		r.outcomesWritten(ctx, batch, outcomes, errs, err, local, rn)
	}
}

// takeQueued appends the outcomes waiting in results to batch, without
// waiting, growing batch once for what is queued.
func takeQueued(results <-chan finished, batch []finished) []finished {
	batch = slices.Grow(batch, len(results))
	for {
		select {
		case f, ok := <-results:
			if !ok {
				return batch
			}
			batch = append(batch, f)
		default:
			return batch
		}
	}
}

// outcomesOf returns the outcomes of a batch of reports.
func outcomesOf(batch []finished) []store.Outcome {
	outcomes := make([]store.Outcome, len(batch))
	for i, f := range batch {
		outcomes[i] = f.outcome
	}
	return outcomes
}

// outcomesWritten follows a write of a batch's outcomes (outcomesOf(batch);
// errs and err as Complete returned them): it reports each outcome and
// frees what the recorded deliveries held. With local leases, their
// in-memory leases are released; with renewed ones (rn), their leases are
// no longer renewed.
func (r *Router) outcomesWritten(ctx context.Context, batch []finished, outcomes []store.Outcome, errs []error, err error, local bool, rn *renewals) {
	if err != nil {
		// The deliveries stay pending and are attempted again.
		r.logStoreError("hookstream: record delivery outcomes", "error", err)
	}
	for i, f := range batch {
		if err == nil && errs[i] != nil && !errors.Is(errs[i], store.ErrLeaseLost) {
			r.logStoreError("hookstream: record delivery outcome", "delivery_id", f.outcome.DeliveryID, "error", errs[i])
		}
		r.recorded(ctx, f, err == nil && errs[i] == nil)
	}
	rn.ended(outcomes)
	if local {
		ids := make([]string, len(batch))
		for i, f := range batch {
			ids[i] = f.outcome.DeliveryID
		}
		r.handoff.release(ids...)
	} else {
		// Recorded outcomes may have made deliveries due again (a
		// retry whose delay is over, a release): look again.
		r.wakeScheduler()
	}
}

// completeOne records one attempt's outcome and reports it (recorded).
func (r *Router) completeOne(ctx context.Context, f finished) error {
	errs, err := r.store.Complete(ctx, []store.Outcome{f.outcome})
	if err == nil {
		err = errs[0]
	}
	r.recorded(ctx, f, err == nil)
	return err
}

// recorded reports an outcome once the store recorded it (ok) or failed
// to: to the live feed when it was, to telemetry and the logs either way.
func (r *Router) recorded(ctx context.Context, f finished, ok bool) {
	if ok {
		r.feed.publishAttempt(f.outcome.Attempt)
	}
	r.outcomeReported(ctx, f, ok)
}

// release returns an ended attempt's worker and destination slot, and
// feeds its verdict to the destination's circuit.
func (s *scheduler) release(ctx context.Context, f finished) {
	s.free++
	s.inflight[f.destID]--
	s.judge(ctx, f)
}

// releaseEnded releases every attempt that has ended and not yet been
// released, without waiting: the next read of the store then has all
// their slots to fill. (Released one per read, a destination at the
// default max_concurrency of 10 on PostgreSQL was leased one delivery
// per round trip, 360–390 deliveries/s, its attempts waiting to be
// released behind each read.)
func (s *scheduler) releaseEnded(ctx context.Context) {
	for {
		select {
		case f := <-s.done:
			s.release(ctx, f)
		default:
			return
		}
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
func (r *Router) wakeScheduler() { signal(r.wake) }
