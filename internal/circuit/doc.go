// Package circuit is a destination's circuit breaker as a pure state machine
// over store.Circuit (spec §3.3). Its functions take the stored state, the
// destination's Config and the time now, and return the next state; they
// read no clock and keep no state, so the caller persists what they return
// and tests control time.
//
// The states:
//
//   - closed (store.CircuitClosed, or the zero value): every delivery is
//     admitted. Consecutive failures are counted; the Threshold-th opens the
//     circuit, and a success resets the count.
//   - open: deliveries are refused (they wait; they are neither dropped nor
//     counted as attempts) until NextProbeAt = OpenedAt + Reset. The first
//     Allow at or after NextProbeAt moves the circuit to half-open and admits
//     that one delivery as the probe.
//   - half_open: one probe is in flight and everything else is refused until
//     its result: OnSuccess closes the circuit, OnFailure reopens it with a
//     fresh NextProbeAt.
//
// A probe can be lost: the process may crash, or be stopped, after admitting
// it and before recording its result, leaving the stored circuit half-open
// for ever. So in half-open NextProbeAt is the probe's deadline: Allow at or
// after it presumes the probe lost and admits a new one (with a new
// deadline). The deadline is Config.ProbeTimeout after the probe was
// admitted, which defaults to Reset; set it above the delivery timeout so a
// slow probe is not joined by a second one. A probe that ends without saying
// anything about the receiver (its transform failed, say) should be handed
// back with Abandon, which lets the next Allow probe at once.
//
// Results are not matched to the admissions they answer: a delivery
// admitted while closed may finish after the circuit opened. A late failure
// is counted but does not push back NextProbeAt; a late success closes the
// circuit, since the receiver has just answered 2xx.
//
// A disabled breaker admits everything and never opens; OnSuccess and
// OnFailure bring a circuit left open or half-open by an earlier enabled
// config back to closed.
package circuit
