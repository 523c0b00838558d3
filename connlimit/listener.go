package connlimit

import (
	"io"
	"net"
	"sync/atomic"
)

// Listener returns ln with every accepted connection counted against the
// cap. Accept never waits for room: at the cap it closes a connection to
// make room, or closes the new connection and accepts the next one. When
// the inner Accept fails for lack of file descriptors, it closes one
// connection for room before returning the error (the http.Server retries
// after a short back-off).
//
// The Limiter needs its ConnState hook on the server that serves the
// returned listener; without it no connection is ever closed for room.
func (l *Limiter) Listener(ln net.Listener) net.Listener {
	return &listener{Listener: ln, l: l}
}

// listener is the Limiter's net.Listener.
type listener struct {
	net.Listener
	l *Limiter
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		nc, err := ln.Listener.Accept()
		if err != nil {
			if isFileLimit(err) {
				if victim := ln.l.makeRoom(); victim != nil {
					victim.close()
				}
			}
			return nil, err
		}
		c, victim := ln.l.admit(nc)
		if victim != nil {
			victim.close()
		}
		if c != nil {
			return c, nil
		}
		nc.Close() // no room: the client sees EOF or a reset
	}
}

// conn is a connection accepted through a Limiter's listener.
type conn struct {
	net.Conn
	l *Limiter
	// idle mirrors st == stateIdle && !h2, for Read's fast path.
	idle atomic.Bool

	// Guarded by l.mu.
	st         state
	h2         bool // serves HTTP/2 (over TLS)
	prev, next *conn
}

// Read notes the first bytes an idle connection receives: its next request.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.idle.Load() {
		c.l.received(c)
	}
	return n, err
}

// close closes a connection the Limiter has forgotten, without waiting: a
// net.Conn's Close waits until the goroutine blocked reading it has woken
// and let go of the descriptor, which under load would hold up the accept
// loop behind the scheduler.
func (c *conn) close() { go c.Conn.Close() }

// Close forgets the connection and closes it.
func (c *conn) Close() error {
	c.l.release(c)
	return c.Conn.Close()
}

// CloseWrite shuts down the writing side when the connection supports it,
// as net/http does before closing a connection with unread input (so the
// client receives the response rather than a reset).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the connection's own ReadFrom (sendfile, splice) for
// net/http's responses.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}
