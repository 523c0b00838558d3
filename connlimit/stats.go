package connlimit

// Stats is a snapshot of a Limiter's connections.
type Stats struct {
	// Max is the cap on open connections.
	Max int
	// Open is how many accepted connections are open now: Pending + Idle +
	// Active.
	Open int
	// Pending is how many open connections have not sent a complete request
	// header: new ones, idle ones part-way through their next request's
	// header, and ones the ConnState hook has not reported on yet.
	Pending int
	// Idle is how many open connections are idle keep-alive connections.
	Idle int
	// Active is how many open connections are serving a request or were
	// hijacked.
	Active int

	// Accepted counts the connections accepted and admitted.
	Accepted uint64
	// ClosedIdle counts the idle connections closed to make room.
	ClosedIdle uint64
	// ClosedPending counts the connections closed to make room before they
	// sent a complete request header.
	ClosedPending uint64
	// Rejected counts the connections closed at once because every open
	// connection was active.
	Rejected uint64
	// FileLimitErrors counts the accepts that failed for lack of file
	// descriptors (EMFILE, ENFILE).
	FileLimitErrors uint64
}

// ClosedForRoom is how many connections were closed to make room:
// ClosedIdle + ClosedPending + Rejected.
func (s Stats) ClosedForRoom() uint64 { return s.ClosedIdle + s.ClosedPending + s.Rejected }

// Stats returns a consistent snapshot of the Limiter's figures.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{
		Max:             l.max,
		Open:            l.open,
		Pending:         l.lists[stateUnhooked].n + l.lists[statePending].n,
		Idle:            l.lists[stateIdle].n,
		Active:          l.lists[stateBusy].n,
		Accepted:        l.stats.accepted,
		ClosedIdle:      l.stats.closedIdle,
		ClosedPending:   l.stats.closedPending,
		Rejected:        l.stats.rejected,
		FileLimitErrors: l.stats.fileLimit,
	}
}
