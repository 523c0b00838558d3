package retry

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		v      string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"leading zeros", "007", 7 * time.Second, true},
		{"spaces", "  15 ", 15 * time.Second, true},
		{"exactly the cap", "86400", 24 * time.Hour, true},
		{"above the cap", "86401", 24 * time.Hour, true},
		{"overflowing int64", "99999999999999999999999999", 24 * time.Hour, true},
		{"imf-fixdate", "Sun, 01 Mar 2026 15:30:00 GMT", time.Hour, true},
		{"rfc 850", "Sunday, 01-Mar-26 14:31:00 GMT", time.Minute, true},
		{"asctime", "Sun Mar  1 14:30:30 2026", 30 * time.Second, true},
		{"date in the past", "Sat, 28 Feb 2026 14:30:00 GMT", 0, true},
		{"date now", "Sun, 01 Mar 2026 14:30:00 GMT", 0, true},
		{"date beyond the cap", "Tue, 03 Mar 2026 14:30:00 GMT", 24 * time.Hour, true},
		{"date far future", "Fri, 31 Dec 9999 23:59:59 GMT", 24 * time.Hour, true},
		{"empty", "", 0, false},
		{"blank", "   ", 0, false},
		{"negative", "-5", 0, false},
		{"plus sign", "+5", 0, false},
		{"fraction", "1.5", 0, false},
		{"unit", "5s", 0, false},
		{"trailing text", "120 seconds", 0, false},
		{"hex", "0x10", 0, false},
		{"underscore", "1_000", 0, false},
		{"word", "soon", 0, false},
		{"rfc 3339", "2026-03-01T15:30:00Z", 0, false},
		{"bad date", "Sun, 32 Mar 2026 15:30:00 GMT", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseRetryAfter(tt.v, t0)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v, want %v, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "1.5", "Sun, 01 Mar 2026 15:30:00 GMT",
		"Sunday, 01-Mar-26 14:31:00 GMT", "Sun Mar  1 14:30:30 2026", "99999999999999999999", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, t0)
		if d < 0 || d > MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %v, out of [0, %v]", v, d, MaxRetryAfter)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, false: want 0 when not ok", v, d)
		}
		// Next must agree: a 429 never waits less than the computed delay
		// nor more than the cap (or the computed delay, if longer).
		p := DefaultPolicy()
		dec := p.Next(1, t0, Response{Status: 429, RetryAfter: v})
		if !dec.Retry || dec.Delay < p.Delay(1) || dec.Delay > max(MaxRetryAfter, p.Delay(1)) {
			t.Fatalf("Next with Retry-After %q = %+v", v, dec)
		}
	})
}
