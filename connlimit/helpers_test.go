package connlimit_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/connlimit"
)

// testHandler answers GET with "ok" and POST with the body's length.
var testHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
		return
	}
	fmt.Fprint(w, "ok")
})

// setup serves testHandler on loopback through a Limiter of the given cap,
// with srv's own ConnState hook (hook, if not nil) chained behind it.
func setup(t *testing.T, max int, hook func(net.Conn, http.ConnState)) (*connlimit.Limiter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := connlimit.New(max)
	srv := &http.Server{Handler: testHandler, ConnState: hook, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan error, 1)
	go func() { done <- lim.Serve(srv, ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return lim, ln.Addr().String()
}

// client is a raw HTTP/1.1 client connection.
type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

// send writes raw request bytes.
func (c *client) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// response reads one response and its body.
func (c *client) response() (status int, body string, err error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// get sends a GET and requires a 200 "ok".
func (c *client) get(t *testing.T) {
	t.Helper()
	c.send(t, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	status, body, err := c.response()
	if err != nil || status != http.StatusOK || body != "ok" {
		t.Fatalf("GET: %d %q %v, want 200 \"ok\"", status, body, err)
	}
}

// requireClosed requires the server to have closed c: a read ends in EOF or
// a reset, not in the deadline.
func (c *client) requireClosed(t *testing.T, name string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.r.ReadByte()
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("%s: read: %v, want EOF or a reset (closed by the server)", name, err)
	}
}

// requireRefused requires a request on c to get no response.
func (c *client) requireRefused(t *testing.T) {
	t.Helper()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n") // may fail: closed already
	if status, _, err := c.response(); err == nil {
		t.Fatalf("GET on a connection beyond the cap: %d, want no response", status)
	} else if os.IsTimeout(err) {
		t.Fatalf("GET on a connection beyond the cap: %v, want EOF or a reset", err)
	}
}

// waitStats polls lim's Stats until ok accepts them, or fails after 10 s.
func waitStats(t *testing.T, lim *connlimit.Limiter, what string, ok func(connlimit.Stats) bool) connlimit.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		s := lim.Stats()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: stats %+v", what, s)
		}
		<-tick.C
	}
}

// noneActive reports whether every open connection is idle or pending.
func noneActive(s connlimit.Stats) bool { return s.Active == 0 }

// halfHeader is the start of a request header that never ends.
const halfHeader = "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: "
