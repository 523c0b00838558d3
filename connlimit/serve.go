package connlimit

import (
	"net"
	"net/http"
)

// Serve serves srv on ln through the Limiter: it installs l.ConnState as
// srv's ConnState hook, ahead of the hook srv already has (which is still
// called), and calls srv.Serve on l.Listener(ln). Call it once per server.
//
// For TLS, wire the two yourself: set srv.ConnState to call l.ConnState,
// then call srv.ServeTLS(l.Listener(ln), certFile, keyFile), or srv.Serve
// on tls.NewListener(l.Listener(ln), config).
func (l *Limiter) Serve(srv *http.Server, ln net.Listener) error {
	if prev := srv.ConnState; prev != nil {
		srv.ConnState = func(c net.Conn, cs http.ConnState) {
			l.ConnState(c, cs)
			prev(c, cs)
		}
	} else {
		srv.ConnState = l.ConnState
	}
	return srv.Serve(l.Listener(ln))
}
