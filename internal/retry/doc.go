// Package retry holds the retry math of webhook delivery as pure functions:
// given a destination's Policy, the number of the attempt that just failed,
// the time now and what the receiver answered, Policy.Next says whether and
// when to try again, or that the delivery is dead (spec §3.3).
//
// Nothing here reads the clock, sleeps or keeps state; time is an argument,
// so callers and tests control it.
//
// The rules:
//
//   - Policy.MaxAttempts counts retries after the first attempt: a delivery
//     is attempted at most 1 + MaxAttempts times. A disabled policy means one
//     attempt.
//   - The delay before retry N (1-based) is, for the exponential backoff,
//     Intervals[min(N-1, len-1)] seconds; for linear, Intervals[0] × N
//     seconds; for fixed, Intervals[0] seconds. There is no jitter: the
//     intervals are the user's, and are used as given.
//   - A Retry-After header on a 429 or 503 answer is honoured when it asks for
//     a longer wait than the computed delay; it is capped at MaxRetryAfter
//     (24 hours) and ignored when it cannot be parsed.
//   - A 410 Gone answer dead-letters the delivery at once.
//
// Other reasons to dead-letter at once (a transform that fails is
// deterministic, so retrying it is pointless) are the caller's to apply.
package retry
