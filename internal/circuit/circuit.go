package circuit

import (
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Defaults of a Config (spec §2, Destination).
const (
	// DefaultThreshold is the default number of consecutive failures that
	// open the circuit.
	DefaultThreshold = 5
	// DefaultReset is the default time an open circuit waits before a probe.
	DefaultReset = 60 * time.Second
)

// Config is a destination's breaker configuration: the API's
// circuit_breaker_enabled, circuit_breaker_threshold and
// circuit_breaker_reset_ms. Zero Threshold, Reset and ProbeTimeout mean
// their defaults (so do negative ones, which Validate rejects).
type Config struct {
	// Enabled turns the breaker on; a disabled breaker admits everything.
	Enabled bool
	// Threshold is the number of consecutive failures that open the
	// circuit. Defaults to DefaultThreshold.
	Threshold int
	// Reset is how long an open circuit refuses deliveries before it admits
	// a probe. Defaults to DefaultReset.
	Reset time.Duration
	// ProbeTimeout is how long a half-open circuit waits for its probe's
	// result before it presumes the probe lost and admits another. Defaults
	// to Reset.
	ProbeTimeout time.Duration
}

// DefaultConfig returns the configuration of a destination that sets none
// of the breaker fields: enabled, DefaultThreshold, DefaultReset.
func DefaultConfig() Config {
	return Config{Enabled: true, Threshold: DefaultThreshold, Reset: DefaultReset}
}

// withDefaults returns cfg with its zero or negative durations and counts
// replaced by their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.Reset <= 0 {
		cfg.Reset = DefaultReset
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = cfg.Reset
	}
	return cfg
}

// FieldError reports an invalid Config field. Field is the API's name for
// it (circuit_breaker_threshold, circuit_breaker_reset_ms), so a caller can
// turn the error into a 400 that names the field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns the field and the reason, e.g. "circuit_breaker_threshold
// must be at least 1".
func (e *FieldError) Error() string { return e.Field + " " + e.Reason }

// Validate reports the first invalid field of cfg as a *FieldError, or nil.
// A negative Threshold or Reset is invalid; zero means the default.
// ProbeTimeout is not an API field and is not checked.
func (cfg Config) Validate() error {
	if cfg.Threshold < 0 {
		return &FieldError{Field: "circuit_breaker_threshold", Reason: "must be at least 1"}
	}
	if cfg.Reset < 0 {
		return &FieldError{Field: "circuit_breaker_reset_ms", Reason: "must be positive"}
	}
	return nil
}

// Allow reports whether a delivery may go to the destination whose circuit
// is c, at now. When admit is true and probe is true the delivery is the
// half-open probe, and its result must be reported with OnSuccess or
// OnFailure (or handed back with Abandon). next is the circuit to store;
// it equals c when nothing changed. When admit is false, nothing will be
// admitted before next.NextProbeAt (unless a result closes the circuit
// first), so that is when to ask again.
//
//   - disabled or closed: admit, c unchanged;
//   - open, before NextProbeAt: refuse;
//   - open, at or after NextProbeAt: half-open, admit as the probe, with
//     NextProbeAt = now + ProbeTimeout as the probe's deadline;
//   - half-open, before NextProbeAt: refuse (a probe is in flight);
//   - half-open, at or after NextProbeAt: the probe is presumed lost; admit
//     a new probe with a new deadline.
func Allow(c store.Circuit, cfg Config, now time.Time) (admit, probe bool, next store.Circuit) {
	if !cfg.Enabled {
		return true, false, c
	}
	cfg = cfg.withDefaults()
	switch c.State {
	case store.CircuitOpen:
		if now.Before(c.NextProbeAt) {
			return false, false, c
		}
		c.State = store.CircuitHalfOpen
		c.LastTransitionAt = now
		c.NextProbeAt = now.Add(cfg.ProbeTimeout)
		return true, true, c
	case store.CircuitHalfOpen:
		if now.Before(c.NextProbeAt) {
			return false, false, c
		}
		c.NextProbeAt = now.Add(cfg.ProbeTimeout)
		return true, true, c
	default: // closed, or the zero value
		return true, false, c
	}
}

// OnSuccess returns the circuit after a successful delivery at now: closed,
// with no failures counted, OpenedAt and NextProbeAt cleared.
// LastTransitionAt moves to now only if c was not closed. A success while open (from a delivery admitted before the circuit
// opened) closes it too.
func OnSuccess(c store.Circuit, cfg Config, now time.Time) store.Circuit {
	return closed(c, now)
}

// OnFailure returns the circuit after a failed delivery at now.
//
//   - disabled: closed, with no failures counted (a disabled breaker never
//     opens);
//   - closed: one more consecutive failure; the Threshold-th opens the
//     circuit (OpenedAt = now, NextProbeAt = now + Reset);
//   - half-open (the probe failed): open again with a fresh NextProbeAt;
//   - open (a delivery admitted before it opened): counted, but
//     NextProbeAt stays where it is.
func OnFailure(c store.Circuit, cfg Config, now time.Time) store.Circuit {
	if !cfg.Enabled {
		return closed(c, now)
	}
	cfg = cfg.withDefaults()
	c.FailureCount++
	switch c.State {
	case store.CircuitOpen:
		return c
	case store.CircuitHalfOpen:
		return opened(c, cfg, now)
	default:
		if c.FailureCount >= cfg.Threshold {
			return opened(c, cfg, now)
		}
		if c.State == "" {
			c.State = store.CircuitClosed
		}
		return c
	}
}

// Abandon returns the circuit after an admitted delivery ended without a
// verdict on the receiver: it was never sent (its transform failed, the
// process is shutting down) or failed for a reason that is not the
// receiver's. If c is half-open, the probe slot is freed: the next Allow
// admits a new probe at once. Otherwise c is returned unchanged.
func Abandon(c store.Circuit, now time.Time) store.Circuit {
	if c.State == store.CircuitHalfOpen && now.Before(c.NextProbeAt) {
		c.NextProbeAt = now
	}
	return c
}

// Reset returns a closed circuit with no failures, transitioned at now: the
// circuit of POST /v1/destinations/{id}/circuit/reset.
func Reset(now time.Time) store.Circuit {
	return store.Circuit{State: store.CircuitClosed, LastTransitionAt: now}
}

// closed returns c closed with no failures; LastTransitionAt moves to now
// only if c was not closed already.
func closed(c store.Circuit, now time.Time) store.Circuit {
	if c.State != store.CircuitClosed && c.State != "" {
		c.LastTransitionAt = now
	}
	c.State = store.CircuitClosed
	c.FailureCount = 0
	c.OpenedAt = time.Time{}
	c.NextProbeAt = time.Time{}
	return c
}

// opened returns c opened at now.
func opened(c store.Circuit, cfg Config, now time.Time) store.Circuit {
	c.State = store.CircuitOpen
	c.OpenedAt = now
	c.NextProbeAt = now.Add(cfg.Reset)
	c.LastTransitionAt = now
	return c
}
