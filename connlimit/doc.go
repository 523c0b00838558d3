// Package connlimit caps the connections an [http.Server] keeps open without
// ever blocking its accept loop.
//
// A blocking limit, such as golang.org/x/net/netutil.LimitListener, stops
// accepting at the cap: a health prober or a real client then waits behind
// a crowd of idle keep-alive clients until one of them leaves. A [Limiter]
// accepts every connection at once and makes room instead. When a
// connection arrives at the cap, the Limiter closes, in this order:
//
//  1. the idle keep-alive connection that has been idle longest;
//  2. otherwise the oldest connection that has not sent a complete request
//     header yet (a new connection, slowloris-style, or an idle one part-way
//     through its next request);
//  3. otherwise the connection just accepted: its client sees EOF or a
//     reset, and the server carries on.
//
// A connection serving a request, or hijacked, is never closed.
//
// The Limiter learns the state of each connection from the server's
// ConnState hook, so it needs both its [Limiter.Listener] and its
// [Limiter.ConnState] hook; [Limiter.Serve] installs both:
//
//	lim := connlimit.New(connlimit.DefaultMax())
//	srv := &http.Server{Handler: h, IdleTimeout: 30 * time.Second, ReadHeaderTimeout: 10 * time.Second}
//	err := lim.Serve(srv, ln)
//
// A connection the hook has not reported on is never closed for room, so a
// Listener used without the hook only rejects connections beyond the cap.
//
// Keep the cap well below the process's limit on open files: a server that
// runs out of descriptors cannot accept its prober's connection, and the
// database and outgoing requests need descriptors too. [DefaultMax] derives
// such a cap from RLIMIT_NOFILE. Should an accept still fail for lack of
// descriptors (EMFILE, ENFILE), the Listener closes one connection as above
// before returning the error, so the server's retry, after its short
// back-off, finds a descriptor free.
//
// Closing an idle connection races with its client sending a new request at
// that moment, as with any idle timeout: the client sees the connection
// closed before a response, and HTTP clients retry idempotent requests in
// that case.
package connlimit
