package hookstream

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/internal/circuit"
	"github.com/hookstream-go/hookstream/store"
)

// handoffLimit is how many handed-over deliveries per worker may wait in
// memory; beyond it, deliveries wait in the store.
const handoffLimit = 4

// takeHanded moves the deliveries ingest and publish handed over into the
// ready lists. It reports whether a hand-over was refused for want of
// room, so the store must be read.
func (s *scheduler) takeHanded(ctx context.Context) bool {
	queued, overflow := s.r.handoff.take()
	for _, h := range queued {
		dst, err := s.r.routes().destination(ctx, h.d.DestinationID)
		if err != nil {
			s.r.logStoreError("hookstream: load destination", "destination_id", h.d.DestinationID, "error", err)
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
	if Status(dst.Status) != StatusActive {
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
	s.renewals.add(j.d)
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
			r.logStoreError("hookstream: load destination", "destination_id", destID, "error", err)
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
					req.leased, req.err = r.store.Lease(ctx, req.destID, now, req.room, s.leaseTTL(req.dst))
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
				read := len(req.leased)
				req.leased = slices.DeleteFunc(req.leased, func(d *store.Delivery) bool {
					_, ok := stale[d.ID]
					return ok
				})
				if len(req.leased) < read {
					// Recorded while the store was read: the read came back
					// short of room for them alone, so more may be due.
					s.more = true
				}
			}
		}
	}
	var leaseErr error
	for _, req := range reqs {
		if req.err != nil {
			leaseErr = fmt.Errorf("lease deliveries of %s: %w", req.destID, req.err)
		}
		if req.probe && len(req.leased) == 0 {
			if c, err := s.circuit(ctx, req.destID, now); err == nil {
				s.saveCircuit(ctx, req.destID, circuit.Abandon(c, now), now) // nothing to probe with after all
			}
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

// leaseTTL is how long the scheduler leases a delivery of dst for: the
// attempt's whole lease (Router.leaseTTL), or at most LeaseTerm when the
// store renews leases.
func (s *scheduler) leaseTTL(dst *store.Destination) time.Duration {
	ttl := s.r.leaseTTL(dst)
	if s.renewals != nil {
		ttl = min(ttl, LeaseTerm)
	}
	return ttl
}

// leaseBatch leases every request's deliveries in one call, with their
// events, capping each destination's deliveries in flight across
// processes at its max_concurrency: this run's attempts under way, by its
// own count, and the other runs' unexpired leases. A slot of this run's
// is free when its attempt ends, not when the outcome is recorded (with
// the default max_concurrency of 10, counting its own leases until then
// held a destination on PostgreSQL under 400 deliveries/s). Outcomes
// waiting for the recorder are recorded in the same call.
func (s *scheduler) leaseBatch(ctx context.Context, bl store.BatchLeaser, now time.Time, reqs []*leaseRequest, events map[string]*store.Event) error {
	batch := make([]store.LeaseRequest, len(reqs))
	byDest := make(map[string]*leaseRequest, len(reqs))
	for i, req := range reqs {
		batch[i] = store.LeaseRequest{DestinationID: req.destID, Limit: req.room, TTL: s.leaseTTL(req.dst),
			Owner: s.owner, InFlight: s.inflight[req.destID]}
		if req.dst != nil {
			batch[i].MaxInFlight = req.dst.MaxConcurrency
		}
		byDest[req.destID] = req
	}
	var (
		leased []store.Leased
		err    error
	)
	if reports := takeQueued(s.outcomes, nil); len(reports) > 0 {
		outcomes := outcomesOf(reports)
		var errs []error
		errs, leased, err = bl.CompleteAndLease(s.recordCtx, outcomes, now, batch)
		s.r.outcomesWritten(s.recordCtx, reports, outcomes, errs, err, false, s.renewals)
	} else {
		leased, err = bl.LeaseBatch(ctx, now, batch)
	}
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
