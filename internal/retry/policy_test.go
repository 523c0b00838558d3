package retry

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	if !p.Enabled || p.MaxAttempts != 5 || p.Backoff != BackoffExponential ||
		!slices.Equal(p.Intervals, []int{30, 300, 1800, 7200, 86400}) {
		t.Fatalf("DefaultPolicy() = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	if got := p.TotalAttempts(); got != 6 {
		t.Errorf("TotalAttempts() = %d, want 6", got)
	}
	// Each call returns a fresh slice.
	p.Intervals[0] = 1
	if DefaultPolicy().Intervals[0] != 30 {
		t.Error("DefaultPolicy shares its Intervals slice")
	}
}

func TestPolicy_WithDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Policy
		want Policy
	}{
		{"zero enabled", Policy{Enabled: true}, DefaultPolicy()},
		{"zero disabled", Policy{}, Policy{Backoff: BackoffExponential, Intervals: DefaultIntervals()}},
		{"kept", Policy{Enabled: true, MaxAttempts: 2, Backoff: BackoffFixed, Intervals: []int{7}},
			Policy{Enabled: true, MaxAttempts: 2, Backoff: BackoffFixed, Intervals: []int{7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.in.WithDefaults()
			if got.Enabled != tt.want.Enabled || got.MaxAttempts != tt.want.MaxAttempts ||
				got.Backoff != tt.want.Backoff || !slices.Equal(got.Intervals, tt.want.Intervals) {
				t.Errorf("WithDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
	in := Policy{Intervals: []int{1, 2}}
	out := in.WithDefaults()
	out.Intervals[0] = 99
	if in.Intervals[0] != 1 {
		t.Error("WithDefaults aliases Intervals")
	}
}

func TestPolicy_Validate(t *testing.T) {
	t.Parallel()
	ok := DefaultPolicy()
	with := func(f func(*Policy)) Policy {
		p := DefaultPolicy()
		f(&p)
		return p
	}
	tests := []struct {
		name      string
		p         Policy
		wantField string // "" means valid
		wantMsg   string
	}{
		{"default", ok, "", ""},
		{"max attempts 1", with(func(p *Policy) { p.MaxAttempts = 1 }), "", ""},
		{"max attempts 10", with(func(p *Policy) { p.MaxAttempts = 10 }), "", ""},
		{"max attempts 0", with(func(p *Policy) { p.MaxAttempts = 0 }), "retry_max_attempts", "retry_max_attempts must be between 1 and 10"},
		{"max attempts 11", with(func(p *Policy) { p.MaxAttempts = 11 }), "retry_max_attempts", ""},
		{"max attempts negative", with(func(p *Policy) { p.MaxAttempts = -1 }), "retry_max_attempts", ""},
		{"disabled max attempts 0", with(func(p *Policy) { p.Enabled = false; p.MaxAttempts = 0 }), "", ""},
		{"disabled max attempts 11", with(func(p *Policy) { p.Enabled = false; p.MaxAttempts = 11 }), "retry_max_attempts", "retry_max_attempts must be between 0 and 10"},
		{"linear", with(func(p *Policy) { p.Backoff = BackoffLinear }), "", ""},
		{"fixed", with(func(p *Policy) { p.Backoff = BackoffFixed }), "", ""},
		{"unknown backoff", with(func(p *Policy) { p.Backoff = "fibonacci" }), "retry_backoff_type", "retry_backoff_type must be one of exponential, linear, fixed"},
		{"empty backoff", with(func(p *Policy) { p.Backoff = "" }), "retry_backoff_type", ""},
		{"backoff case", with(func(p *Policy) { p.Backoff = "Linear" }), "retry_backoff_type", ""},
		{"disabled unknown backoff", with(func(p *Policy) { p.Enabled = false; p.Backoff = "x" }), "retry_backoff_type", ""},
		{"no intervals", with(func(p *Policy) { p.Intervals = nil }), "retry_intervals", "retry_intervals must be a non-empty array of seconds"},
		{"zero interval", with(func(p *Policy) { p.Intervals = []int{30, 0} }), "retry_intervals", "retry_intervals element 1 must be between 1 and 2592000 seconds"},
		{"negative interval", with(func(p *Policy) { p.Intervals = []int{-5} }), "retry_intervals", ""},
		{"huge interval", with(func(p *Policy) { p.Intervals = []int{MaxIntervalSeconds + 1} }), "retry_intervals", ""},
		{"max interval", with(func(p *Policy) { p.Intervals = []int{MaxIntervalSeconds} }), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want *FieldError", err)
			}
			if fe.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", fe.Field, tt.wantField)
			}
			if !strings.HasPrefix(err.Error(), tt.wantField+" ") {
				t.Errorf("message %q does not start with the field name", err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestPolicy_Next_Backoff(t *testing.T) {
	t.Parallel()
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	const dead = time.Duration(-1)
	tests := []struct {
		name   string
		p      Policy
		delays []time.Duration // delays after attempts 1, 2, ...; dead = dead-letter
	}{
		{"exponential default", DefaultPolicy(),
			[]time.Duration{s(30), s(300), s(1800), s(7200), s(86400), dead, dead}},
		{"exponential reuses last interval", Policy{Enabled: true, MaxAttempts: 4, Backoff: BackoffExponential, Intervals: []int{10, 20}},
			[]time.Duration{s(10), s(20), s(20), s(20), dead}},
		{"exponential more intervals than retries", Policy{Enabled: true, MaxAttempts: 2, Backoff: BackoffExponential, Intervals: []int{1, 2, 3, 4}},
			[]time.Duration{s(1), s(2), dead}},
		{"linear", Policy{Enabled: true, MaxAttempts: 4, Backoff: BackoffLinear, Intervals: []int{30, 999}},
			[]time.Duration{s(30), s(60), s(90), s(120), dead}},
		{"linear ten", Policy{Enabled: true, MaxAttempts: 10, Backoff: BackoffLinear, Intervals: []int{MaxIntervalSeconds}},
			[]time.Duration{s(1 * MaxIntervalSeconds), s(2 * MaxIntervalSeconds), s(3 * MaxIntervalSeconds), s(4 * MaxIntervalSeconds),
				s(5 * MaxIntervalSeconds), s(6 * MaxIntervalSeconds), s(7 * MaxIntervalSeconds), s(8 * MaxIntervalSeconds),
				s(9 * MaxIntervalSeconds), s(10 * MaxIntervalSeconds), dead}},
		{"fixed", Policy{Enabled: true, MaxAttempts: 3, Backoff: BackoffFixed, Intervals: []int{45, 999}},
			[]time.Duration{s(45), s(45), s(45), dead}},
		{"one retry", Policy{Enabled: true, MaxAttempts: 1, Backoff: BackoffFixed, Intervals: []int{5}},
			[]time.Duration{s(5), dead}},
		{"disabled", Policy{Enabled: false, MaxAttempts: 5, Backoff: BackoffExponential, Intervals: []int{30}},
			[]time.Duration{dead, dead}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, want := range tt.delays {
				attempt := i + 1
				got := tt.p.Next(attempt, t0, Response{Status: 500})
				if want == dead {
					wantReason := ReasonExhausted
					if !tt.p.Enabled {
						wantReason = ReasonDisabled
					}
					if got.Retry || got.Reason != wantReason || !got.At.IsZero() || got.Delay != 0 {
						t.Errorf("Next(%d) = %+v, want dead (%s)", attempt, got, wantReason)
					}
					continue
				}
				if !got.Retry || got.Delay != want || !got.At.Equal(t0.Add(want)) || got.Reason != "" || got.FromRetryAfter {
					t.Errorf("Next(%d) = %+v, want retry after %v", attempt, got, want)
				}
				if d := tt.p.Delay(attempt); d != want {
					t.Errorf("Delay(%d) = %v, want %v", attempt, d, want)
				}
			}
		})
	}
}

func TestPolicy_Next_Responses(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy() // first retry after 30 s
	httpDate := func(d time.Duration) string { return t0.Add(d).Format("Mon, 02 Jan 2006 15:04:05 GMT") }
	tests := []struct {
		name      string
		attempt   int
		resp      Response
		wantRetry bool
		wantDelay time.Duration
		wantRA    bool
		wantWhy   string
	}{
		{"transport error", 1, Response{Status: 0}, true, 30 * time.Second, false, ""},
		{"500", 1, Response{Status: 500}, true, 30 * time.Second, false, ""},
		{"404", 1, Response{Status: 404}, true, 30 * time.Second, false, ""},
		{"410 first attempt", 1, Response{Status: 410}, false, 0, false, ReasonGone},
		{"410 with retry-after", 2, Response{Status: 410, RetryAfter: "60"}, false, 0, false, ReasonGone},
		{"429 retry-after seconds longer", 1, Response{Status: 429, RetryAfter: "120"}, true, 120 * time.Second, true, ""},
		{"503 retry-after seconds longer", 1, Response{Status: 503, RetryAfter: "120"}, true, 120 * time.Second, true, ""},
		{"429 retry-after shorter", 1, Response{Status: 429, RetryAfter: "10"}, true, 30 * time.Second, false, ""},
		{"429 retry-after equal", 1, Response{Status: 429, RetryAfter: "30"}, true, 30 * time.Second, false, ""},
		{"429 retry-after shorter than later interval", 3, Response{Status: 429, RetryAfter: "600"}, true, 1800 * time.Second, false, ""},
		{"503 retry-after date", 1, Response{Status: 503, RetryAfter: httpDate(time.Hour)}, true, time.Hour, true, ""},
		{"503 retry-after date past", 1, Response{Status: 503, RetryAfter: httpDate(-time.Hour)}, true, 30 * time.Second, false, ""},
		{"429 retry-after too long", 1, Response{Status: 429, RetryAfter: "999999"}, true, 24 * time.Hour, true, ""},
		{"429 retry-after date too far", 1, Response{Status: 429, RetryAfter: httpDate(72 * time.Hour)}, true, 24 * time.Hour, true, ""},
		{"429 retry-after garbage", 1, Response{Status: 429, RetryAfter: "soon"}, true, 30 * time.Second, false, ""},
		{"429 retry-after empty", 1, Response{Status: 429}, true, 30 * time.Second, false, ""},
		{"500 retry-after ignored", 1, Response{Status: 500, RetryAfter: "120"}, true, 30 * time.Second, false, ""},
		{"502 retry-after ignored", 1, Response{Status: 502, RetryAfter: "120"}, true, 30 * time.Second, false, ""},
		{"429 exhausted despite retry-after", 6, Response{Status: 429, RetryAfter: "120"}, false, 0, false, ReasonExhausted},
		{"attempt zero counts as one", 0, Response{Status: 500}, true, 30 * time.Second, false, ""},
		{"attempt negative counts as one", -3, Response{Status: 500}, true, 30 * time.Second, false, ""},
		{"attempt far past the end", 100, Response{Status: 500}, false, 0, false, ReasonExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Next(tt.attempt, t0, tt.resp)
			want := Decision{Retry: tt.wantRetry, Delay: tt.wantDelay, FromRetryAfter: tt.wantRA, Reason: tt.wantWhy}
			if tt.wantRetry {
				want.At = t0.Add(tt.wantDelay)
			}
			if got != want {
				t.Errorf("Next(%d, %+v) = %+v, want %+v", tt.attempt, tt.resp, got, want)
			}
		})
	}
}

func TestPolicy_Next_Disabled410(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	p.Enabled = false
	if got := p.Next(1, t0, Response{Status: 410}); got.Retry || got.Reason != ReasonGone {
		t.Errorf("Next = %+v, want dead for 410", got)
	}
	if got := p.TotalAttempts(); got != 1 {
		t.Errorf("TotalAttempts() = %d, want 1", got)
	}
}

// TestPolicy_Delay_Invalid checks that Delay never panics or goes negative
// on policies that fail Validate.
func TestPolicy_Delay_Invalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Policy
		n    int
		want time.Duration
	}{
		{"no intervals", Policy{Backoff: BackoffExponential}, 2, 300 * time.Second},
		{"unknown backoff is exponential", Policy{Backoff: "x", Intervals: []int{1, 2}}, 2, 2 * time.Second},
		{"negative interval", Policy{Backoff: BackoffLinear, Intervals: []int{-10}}, 3, 0},
		{"overflow saturates", Policy{Backoff: BackoffLinear, Intervals: []int{1 << 62}}, 1 << 30, time.Duration(1<<63 - 1)},
		{"n zero", Policy{Backoff: BackoffLinear, Intervals: []int{7}}, 0, 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Delay(tt.n); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestIsSuccess(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{0: false, 199: false, 200: true, 204: true, 299: true, 300: false, 301: false, 410: false, 500: false} {
		if got := IsSuccess(status); got != want {
			t.Errorf("IsSuccess(%d) = %v, want %v", status, got, want)
		}
	}
}
