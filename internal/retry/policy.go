package retry

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Backoff types, the values of Policy.Backoff (the API's retry_backoff_type).
const (
	BackoffExponential = "exponential"
	BackoffLinear      = "linear"
	BackoffFixed       = "fixed"
)

// Defaults and limits of a Policy (spec §2, Destination).
const (
	// DefaultMaxAttempts is the default number of retries after the first
	// attempt.
	DefaultMaxAttempts = 5
	// MaxAttemptsLimit is the largest MaxAttempts a Policy may have.
	MaxAttemptsLimit = 10
	// DefaultBackoff is the default backoff type.
	DefaultBackoff = BackoffExponential
	// MaxIntervalSeconds is the longest interval a Policy may hold: 30 days.
	// hookstream names no limit; this one keeps every computed delay (at
	// most MaxAttemptsLimit × MaxIntervalSeconds, for linear backoff) far
	// from overflow and within any event retention a user would configure.
	MaxIntervalSeconds = 30 * 24 * 60 * 60
	// MaxRetryAfter caps the wait a Retry-After header can impose.
	MaxRetryAfter = 24 * time.Hour
)

// Reasons a Decision gives for a dead delivery.
const (
	ReasonExhausted = "retries exhausted"
	ReasonDisabled  = "retries disabled"
	ReasonGone      = "destination answered 410 Gone"
)

// DefaultIntervals returns the default retry intervals in seconds:
// 30 s, 5 min, 30 min, 2 h and 24 h. Each call returns a new slice.
func DefaultIntervals() []int { return []int{30, 300, 1800, 7200, 86400} }

// Policy is a destination's retry policy: the API's retry_enabled,
// retry_max_attempts, retry_backoff_type and retry_intervals.
type Policy struct {
	// Enabled allows retries; false means one attempt only.
	Enabled bool
	// MaxAttempts is the number of retries after the first attempt (1–10
	// when Enabled), so a delivery is attempted at most 1 + MaxAttempts
	// times.
	MaxAttempts int
	// Backoff is one of BackoffExponential, BackoffLinear and BackoffFixed.
	Backoff string
	// Intervals are the retry delays in seconds; see the package doc for how
	// each backoff type uses them.
	Intervals []int
}

// DefaultPolicy returns the policy of a destination that sets none of the
// retry fields: enabled, 5 retries, exponential, DefaultIntervals.
func DefaultPolicy() Policy {
	return Policy{
		Enabled:     true,
		MaxAttempts: DefaultMaxAttempts,
		Backoff:     DefaultBackoff,
		Intervals:   DefaultIntervals(),
	}
}

// WithDefaults returns a copy of p with the zero fields filled in: an empty
// Backoff becomes DefaultBackoff, empty Intervals become DefaultIntervals,
// and a zero MaxAttempts of an enabled policy becomes DefaultMaxAttempts.
// Enabled cannot be defaulted (its zero value is meaningful), so callers
// decoding an absent retry_enabled must set it themselves. Intervals are
// copied, so the result does not alias p.
func (p Policy) WithDefaults() Policy {
	if p.Backoff == "" {
		p.Backoff = DefaultBackoff
	}
	if len(p.Intervals) == 0 {
		p.Intervals = DefaultIntervals()
	} else {
		p.Intervals = append([]int(nil), p.Intervals...)
	}
	if p.Enabled && p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	return p
}

// FieldError reports an invalid Policy field. Field is the API's name for it
// (retry_max_attempts, retry_backoff_type, retry_intervals), so a caller can
// turn the error into a 400 that names the field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns the field and the reason, e.g. "retry_backoff_type must be
// one of exponential, linear, fixed".
func (e *FieldError) Error() string { return e.Field + " " + e.Reason }

// Validate reports the first invalid field of p as a *FieldError, or nil.
// Backoff must be a known type and Intervals a non-empty list of seconds
// between 1 and MaxIntervalSeconds, whether or not the policy is enabled.
// MaxAttempts must be between 1 and MaxAttemptsLimit when the policy is
// enabled, and between 0 and MaxAttemptsLimit when it is not.
func (p Policy) Validate() error {
	switch p.Backoff {
	case BackoffExponential, BackoffLinear, BackoffFixed:
	default:
		return &FieldError{Field: "retry_backoff_type", Reason: "must be one of exponential, linear, fixed"}
	}
	lo := 1
	if !p.Enabled {
		lo = 0
	}
	if p.MaxAttempts < lo || p.MaxAttempts > MaxAttemptsLimit {
		return &FieldError{
			Field:  "retry_max_attempts",
			Reason: "must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(MaxAttemptsLimit),
		}
	}
	if len(p.Intervals) == 0 {
		return &FieldError{Field: "retry_intervals", Reason: "must be a non-empty array of seconds"}
	}
	for i, s := range p.Intervals {
		if s < 1 || s > MaxIntervalSeconds {
			return &FieldError{
				Field:  "retry_intervals",
				Reason: "element " + strconv.Itoa(i) + " must be between 1 and " + strconv.Itoa(MaxIntervalSeconds) + " seconds",
			}
		}
	}
	return nil
}

// TotalAttempts returns how many attempts p allows in all: 1 when retries
// are disabled, else 1 + MaxAttempts.
func (p Policy) TotalAttempts() int {
	if !p.Enabled || p.MaxAttempts < 0 {
		return 1
	}
	return 1 + p.MaxAttempts
}

// Delay returns the wait before retry n (1-based; retry n is attempt n+1)
// computed from the backoff type and intervals alone, without Retry-After.
// It does not check n against MaxAttempts. For a policy that fails
// Validate it still returns something sane and never panics: empty
// Intervals mean DefaultIntervals, an unknown Backoff means exponential,
// negative values count as zero and overflow saturates.
func (p Policy) Delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	iv := p.Intervals
	if len(iv) == 0 {
		iv = DefaultIntervals()
	}
	switch p.Backoff {
	case BackoffLinear:
		return seconds(int64(max(iv[0], 0)), int64(n))
	case BackoffFixed:
		return seconds(int64(max(iv[0], 0)), 1)
	default:
		return seconds(int64(max(iv[min(n-1, len(iv)-1)], 0)), 1)
	}
}

// seconds returns a×b seconds for non-negative a and b, saturating at the
// largest Duration instead of overflowing.
func seconds(a, b int64) time.Duration {
	const maxSec = math.MaxInt64 / int64(time.Second)
	if a != 0 && b > maxSec/a {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(a*b) * time.Second
}

// Response is what a failed attempt got back.
type Response struct {
	// Status is the HTTP status code, or 0 when no response arrived
	// (connect error, timeout, TLS error).
	Status int
	// RetryAfter is the value of the Retry-After response header, if any.
	RetryAfter string
}

// Decision is what to do after a failed attempt: retry at At, or, when
// Retry is false, dead-letter the delivery now for Reason.
type Decision struct {
	// Retry is true when the delivery should be attempted again.
	Retry bool
	// At is when to retry: now + Delay. Zero when Retry is false.
	At time.Time
	// Delay is the wait before the retry. Zero when Retry is false.
	Delay time.Duration
	// FromRetryAfter is true when a Retry-After header set Delay.
	FromRetryAfter bool
	// Reason says why the delivery is dead (one of the Reason constants);
	// empty when Retry is true.
	Reason string
}

// Next decides what follows the failure of attempt number attempt
// (1-based: 1 is the first attempt) that ended at now with resp. It assumes
// the attempt failed; whether it did is the caller's to judge (see
// IsSuccess). The decision, in order:
//
//   - a 410 Gone answer: dead (ReasonGone);
//   - retries disabled: dead (ReasonDisabled);
//   - attempt ≥ TotalAttempts: dead (ReasonExhausted);
//   - otherwise retry number attempt after Delay(attempt), or after the
//     Retry-After of a 429 or 503 answer when that is longer (capped at
//     MaxRetryAfter; unparsable values are ignored).
//
// An attempt below 1 counts as 1.
func (p Policy) Next(attempt int, now time.Time, resp Response) Decision {
	if resp.Status == http.StatusGone {
		return Decision{Reason: ReasonGone}
	}
	if !p.Enabled {
		return Decision{Reason: ReasonDisabled}
	}
	attempt = max(attempt, 1)
	if attempt >= p.TotalAttempts() {
		return Decision{Reason: ReasonExhausted}
	}
	d := Decision{Retry: true, Delay: p.Delay(attempt)}
	if resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable {
		if ra, ok := ParseRetryAfter(resp.RetryAfter, now); ok && ra > d.Delay {
			d.Delay, d.FromRetryAfter = ra, true
		}
	}
	d.At = now.Add(d.Delay)
	return d
}

// IsSuccess reports whether an HTTP status counts as a successful delivery:
// any 2xx (spec §3.3).
func IsSuccess(status int) bool { return status >= 200 && status <= 299 }
