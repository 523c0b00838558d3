package connlimit

import (
	"crypto/tls"
	"net"
	"net/http"
)

// state is what the Limiter knows of a connection.
type state uint8

const (
	// stateUnhooked: accepted, not yet reported by the ConnState hook. Never
	// closed for room: without the hook the Limiter cannot tell an active
	// connection from an idle one.
	stateUnhooked state = iota
	// statePending: no complete request header yet (http.StateNew), or idle
	// and part-way through the next one. Closed for room, oldest first, when
	// no connection is idle.
	statePending
	// stateIdle: an idle keep-alive connection. Closed for room first,
	// longest idle first.
	stateIdle
	// stateBusy: serving a request (http.StateActive) or hijacked. Never
	// closed.
	stateBusy
	// stateGone: closed, or closed for room; in no list.
	stateGone
	numListed = stateGone
)

// ConnState records a connection's state. Install it as the ConnState hook
// of the http.Server that serves the Limiter's Listener (calling any hook
// of your own from it), or let [Limiter.Serve] do so. Connections that did
// not come from the Limiter's Listener are ignored.
func (l *Limiter) ConnState(nc net.Conn, cs http.ConnState) {
	c := unwrap(nc)
	if c == nil || c.l != l {
		return
	}
	switch cs {
	case http.StateNew:
		l.move(c, statePending, false)
	case http.StateIdle:
		l.move(c, stateIdle, multiplexed(nc))
	case http.StateActive, http.StateHijacked:
		l.move(c, stateBusy, false)
	case http.StateClosed:
		l.release(c)
	}
}

// received is called when an idle HTTP/1 connection reads bytes: the start
// of its next request. It stops counting as idle, so it is not closed as
// idle while its request's header arrives, but a header that never completes
// leaves it among the pending connections, closed for room like a
// slowloris.
func (l *Limiter) received(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.st == stateIdle {
		l.setLocked(c, statePending)
	}
}

// move puts c in state st unless it is gone. h2 says c serves HTTP/2, whose
// idle connections read frames (pings, settings) that start no request.
func (l *Limiter) move(c *conn, st state, h2 bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.st != stateGone {
		c.h2 = c.h2 || h2
		l.setLocked(c, st)
	}
}

// setLocked moves c, which is not gone, to the back of st's list (or out of
// every list for stateGone). l.mu must be held.
func (l *Limiter) setLocked(c *conn, st state) {
	l.lists[c.st].remove(c)
	c.st = st
	c.idle.Store(st == stateIdle && !c.h2)
	if st == stateGone {
		l.open--
		return
	}
	l.lists[st].pushBack(c)
}

// release forgets c when it closes.
func (l *Limiter) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.st != stateGone {
		l.setLocked(c, stateGone)
	}
}

// multiplexed reports whether nc serves HTTP/2 over TLS.
func multiplexed(nc net.Conn) bool {
	tc, ok := nc.(*tls.Conn)
	return ok && tc.ConnectionState().NegotiatedProtocol == "h2"
}

// unwrap finds the Limiter's connection under nc: nc itself, or the one a
// wrapper such as *tls.Conn holds (its NetConn method).
func unwrap(nc net.Conn) *conn {
	for range 8 { // wrappers rarely nest; a cycle must not loop forever
		if c, ok := nc.(*conn); ok {
			return c
		}
		w, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		nc = w.NetConn()
	}
	return nil
}
