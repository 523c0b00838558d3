//go:build !plan9

package connlimit_test

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/hookstream-go/hookstream/connlimit"
)

// failingListener returns the errors sent on errs from Accept, between the
// connections of the listener it wraps.
type failingListener struct {
	net.Listener
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
}

func newFailingListener(t *testing.T) *failingListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(fl.done)
				return
			}
			fl.conns <- c
		}
	}()
	t.Cleanup(func() { ln.Close(); <-fl.done })
	return fl
}

func (fl *failingListener) Accept() (net.Conn, error) {
	select {
	case c := <-fl.conns:
		return c, nil
	case err := <-fl.errs:
		return nil, err
	case <-fl.done:
		return nil, net.ErrClosed
	}
}

func TestLimiter_Listener_fileLimit(t *testing.T) {
	t.Parallel()
	fl := newFailingListener(t)
	lim := connlimit.New(10)
	srv := &http.Server{Handler: testHandler, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan error, 1)
	go func() { done <- lim.Serve(srv, fl) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := fl.Addr().String()

	idle := dial(t, addr)
	idle.get(t)
	waitStats(t, lim, "the client to be idle", noneActive)
	fl.errs <- &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", syscall.EMFILE)}
	got := waitStats(t, lim, "the accept error to be counted", func(s connlimit.Stats) bool { return s.FileLimitErrors == 1 })
	if got.ClosedIdle != 1 || got.Open != 0 {
		t.Fatalf("after EMFILE: stats %+v, want ClosedIdle 1, Open 0", got)
	}
	idle.requireClosed(t, "idle client")
	dial(t, addr).get(t) // the server retried and still accepts
}
