package connlimit

import "math"

// Defaults of DefaultMax.
const (
	// DefaultReserve is how many file descriptors DefaultMax keeps, on top
	// of a fifth of the limit, for everything but served connections: a
	// database, outgoing requests (hookstream's 64 delivery workers and its
	// delivery client's pool of up to 1,000 idle connections), logs.
	DefaultReserve = 1100
	// FallbackMax is DefaultMax where the process has no limit on open
	// files that it can read (Windows, for one).
	FallbackMax = 10000
)

// FileLimit returns the process's soft limit on open files (RLIMIT_NOFILE),
// and false where it has none or cannot read it. Go programs raise the
// soft limit to the hard one at start-up on Unix systems, so this is
// usually the hard limit.
func FileLimit() (uint64, bool) { return fileLimit() }

// MaxForFileLimit returns the cap that leaves room below a limit of open
// files: 80% of limit minus reserve, but at least a quarter of limit (a
// small limit keeps some room for connections rather than none), and at
// least 1.
func MaxForFileLimit(limit uint64, reserve int) int {
	limit = min(limit, math.MaxInt32)
	n := int64(limit)*8/10 - int64(max(reserve, 0))
	n = max(n, int64(limit)/4, 1)
	return int(n)
}

// DefaultMax returns the default cap: MaxForFileLimit(FileLimit(),
// DefaultReserve), or FallbackMax where there is no readable limit. With a
// limit of 20,000 open files it is 14,900.
func DefaultMax() int {
	limit, ok := FileLimit()
	if !ok {
		return FallbackMax
	}
	return MaxForFileLimit(limit, DefaultReserve)
}
