package retry

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter parses the value of a Retry-After header (RFC 9110
// §10.2.3), either delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT", and the obsolete RFC 850 and asctime forms), into the wait
// it asks for from now. A date in the past asks for no wait (0). The result
// is capped at MaxRetryAfter. ok is false for an empty or malformed value:
// a sign, a fraction, a unit, trailing text or an unknown date form.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		const maxSec = int64(MaxRetryAfter / time.Second)
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > maxSec { // err: only overflow, as v is all digits
			return MaxRetryAfter, true
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now) // saturates rather than overflowing
	return min(max(d, 0), MaxRetryAfter), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
