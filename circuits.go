package hookstream

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/internal/circuit"
	"github.com/hookstream-go/hookstream/store"
)

// allow asks the destination's circuit whether to admit deliveries, keeping
// the earliest time to look again in next.
func (s *scheduler) allow(ctx context.Context, dst *store.Destination, now, next time.Time) (admit, probe bool, _ time.Time) {
	c, err := s.circuit(ctx, dst.ID)
	if err != nil {
		s.r.logStoreError("hookstream: load circuit", "destination_id", dst.ID, "error", err)
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
		s.r.logStoreError("hookstream: save circuit", "destination_id", destID, "error", err)
		delete(s.circuits, destID) // read it again
		return
	}
	if !swapped {
		delete(s.circuits, destID)
		return
	}
	c.Version = old.Version + 1
	s.circuits[destID] = c
	s.r.circuitChanged(ctx, destID, old, c)
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
