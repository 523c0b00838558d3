package hookstream

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/internal/circuit"
	"github.com/hookstream-go/hookstream/store"
)

// allow asks the destination's circuit whether to admit deliveries, keeping
// the earliest time to look again in next. A transition the decision
// makes (open to half-open, admitting a probe) must be stored first: when
// another process changed the circuit meanwhile, its state is read and
// decided on instead, so that of several schedulers sharing a store only
// the one whose transition was stored sends the probe.
func (s *scheduler) allow(ctx context.Context, dst *store.Destination, now, next time.Time) (admit, probe bool, _ time.Time) {
	for range 2 {
		c, err := s.circuit(ctx, dst.ID, now)
		if err != nil {
			s.r.logStoreError("hookstream: load circuit", "destination_id", dst.ID, "error", err)
			return false, false, next
		}
		admit, probe, c2 := circuit.Allow(c, s.r.circuitConfig(dst), now)
		if c2 != c && !s.saveCircuit(ctx, dst.ID, c2, now) {
			continue // changed meanwhile: decide on the stored state
		}
		if !admit && !c2.NextProbeAt.IsZero() && (next.IsZero() || c2.NextProbeAt.Before(next)) {
			next = c2.NextProbeAt
		}
		return admit, probe, next
	}
	return false, false, next // changing under our feet: look again at the next dispatch
}

// cachedCircuit is a destination's circuit state as a scheduler last read
// or stored it.
type cachedCircuit struct {
	store.Circuit
	at time.Time
}

// circuit returns the destination's circuit state, cached. With a store
// other processes share, the cache is read again after Config.ConfigTTL,
// so that a circuit another process opened (or closed) holds here too
// even when this process has no transition of its own to store (a store
// refuses a stale one: see saveCircuit).
func (s *scheduler) circuit(ctx context.Context, destID string, now time.Time) (store.Circuit, error) {
	if c, ok := s.circuits[destID]; ok && (s.local || now.Sub(c.at) < s.r.cfg.ConfigTTL) {
		return c.Circuit, nil
	}
	c, err := s.r.store.GetCircuit(ctx, destID)
	if err == nil {
		s.circuits[destID] = cachedCircuit{c, now}
	}
	return c, err
}

// saveCircuit stores a transition of the cached state to c unless the
// stored state changed meanwhile (a reset, another process): then the
// stored state wins, is read again at the next look, and saveCircuit
// reports false.
func (s *scheduler) saveCircuit(ctx context.Context, destID string, c store.Circuit, now time.Time) bool {
	old := s.circuits[destID].Circuit
	swapped, err := s.r.store.SwapCircuit(ctx, destID, old, c)
	if err != nil {
		s.r.logStoreError("hookstream: save circuit", "destination_id", destID, "error", err)
	}
	if err != nil || !swapped {
		delete(s.circuits, destID) // read it again
		return false
	}
	c.Version = old.Version + 1
	s.circuits[destID] = cachedCircuit{c, now}
	s.r.circuitChanged(ctx, destID, old, c)
	return true
}

// judge feeds an attempt's verdict to its destination's circuit. When
// another process changed the circuit meanwhile, the verdict is applied
// again to the state it stored, so that failures counted by several
// processes add up.
func (s *scheduler) judge(ctx context.Context, f finished) {
	dst, err := s.r.routes().destination(ctx, f.destID)
	if err != nil || dst == nil {
		return
	}
	now := s.r.now()
	cfg := s.r.circuitConfig(dst)
	for range 3 {
		c, err := s.circuit(ctx, f.destID, now)
		if err != nil || c.Epoch != f.epoch {
			return // or reset since the attempt began: its verdict is stale
		}
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
		if next == c || s.saveCircuit(ctx, f.destID, next, now) {
			return
		}
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
