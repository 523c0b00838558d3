package connlimit

import (
	"net"
	"sync"
)

// Limiter caps the connections open through its [Limiter.Listener], closing
// idle and header-less connections to make room for new ones (see the
// package documentation for the order). One Limiter may serve several
// listeners: the cap is shared. Its methods are safe for concurrent use.
type Limiter struct {
	max int

	mu    sync.Mutex
	open  int
	lists [numListed]connList
	stats counters
}

// counters are the Limiter's running totals, guarded by Limiter.mu.
type counters struct {
	accepted, closedIdle, closedPending, rejected, fileLimit uint64
}

// New returns a Limiter that keeps at most max connections open. A max of
// zero or less means [DefaultMax].
func New(max int) *Limiter {
	if max <= 0 {
		max = DefaultMax()
	}
	return &Limiter{max: max}
}

// Max returns the cap on open connections.
func (l *Limiter) Max() int { return l.max }

// admit tracks a freshly accepted connection. At the cap it picks a victim
// to close for room (which the caller closes, outside the lock); with none
// to pick it returns a nil conn: the caller closes nc.
func (l *Limiter) admit(nc net.Conn) (c *conn, victim *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		if victim = l.evictLocked(); victim == nil {
			l.stats.rejected++
			return nil, nil
		}
	}
	c = &conn{Conn: nc, l: l}
	l.open++
	l.stats.accepted++
	l.lists[stateUnhooked].pushBack(c)
	return c, victim
}

// makeRoom picks a connection to close after an accept failed for lack of
// file descriptors; the caller closes it.
func (l *Limiter) makeRoom() *conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.fileLimit++
	return l.evictLocked()
}

// evictLocked forgets and returns the connection to close for room: the one
// idle longest, else the oldest pending one, else nil. l.mu must be held.
func (l *Limiter) evictLocked() *conn {
	if c := l.lists[stateIdle].head; c != nil {
		l.stats.closedIdle++
		l.setLocked(c, stateGone)
		return c
	}
	if c := l.lists[statePending].head; c != nil {
		l.stats.closedPending++
		l.setLocked(c, stateGone)
		return c
	}
	return nil
}
