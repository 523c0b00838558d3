package connlimit_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookstream-go/hookstream/connlimit"
)

func TestLimiter_Serve(t *testing.T) {
	t.Parallel()

	t.Run("ClosesIdleOldestFirst", func(t *testing.T) {
		t.Parallel()
		const max, crowd = 50, 200
		lim, addr := setup(t, max, nil)
		clients := make([]*client, crowd)
		for i := range clients {
			clients[i] = dial(t, addr)
			clients[i].get(t)
			waitStats(t, lim, "the response's connection to be idle", noneActive)
		}
		got := lim.Stats()
		want := connlimit.Stats{Max: max, Open: max, Idle: max, Accepted: crowd, ClosedIdle: crowd - max}
		if got != want {
			t.Fatalf("after %d idle clients: stats %+v, want %+v", crowd, got, want)
		}

		dial(t, addr).get(t) // a fresh client at the cap is served
		if got := lim.Stats(); got.ClosedIdle != crowd-max+1 || got.Open != max {
			t.Fatalf("after a fresh client: stats %+v, want ClosedIdle %d, Open %d", got, crowd-max+1, max)
		}
		for i, c := range clients[:crowd-max+1] {
			c.requireClosed(t, fmt.Sprintf("idle client %d", i))
		}
		for _, c := range clients[crowd-max+1:] {
			c.get(t) // the newer idle clients are still connected
		}
	})

	t.Run("ClosesSlowlorisWhenNoneIdle", func(t *testing.T) {
		t.Parallel()
		const max = 10
		lim, addr := setup(t, max, nil)
		slow := make([]*client, max)
		for i := range slow {
			slow[i] = dial(t, addr)
			slow[i].send(t, halfHeader)
		}
		waitStats(t, lim, "the slowloris clients to be accepted", func(s connlimit.Stats) bool { return s.Pending == max })

		fresh := dial(t, addr)
		fresh.get(t)
		if got := lim.Stats(); got.ClosedPending != 1 || got.ClosedIdle != 0 || got.Open != max {
			t.Fatalf("after a fresh client: stats %+v, want ClosedPending 1, ClosedIdle 0, Open %d", got, max)
		}
		slow[0].requireClosed(t, "oldest slowloris client")
		waitStats(t, lim, "the fresh client to be idle", noneActive)

		dial(t, addr).get(t) // room is made from the idle fresh client, before any slowloris
		if got := lim.Stats(); got.ClosedPending != 1 || got.ClosedIdle != 1 {
			t.Fatalf("after a second fresh client: stats %+v, want ClosedPending 1, ClosedIdle 1", got)
		}
		fresh.requireClosed(t, "idle fresh client")
		slow[1].send(t, "1\r\n\r\n") // still connected: its request completes
		if status, body, err := slow[1].response(); err != nil || status != http.StatusOK || body != "ok" {
			t.Fatalf("completed slowloris request: %d %q %v, want 200 \"ok\"", status, body, err)
		}
	})

	t.Run("ClosesIdleWithPartialRequestAsPending", func(t *testing.T) {
		t.Parallel()
		lim, addr := setup(t, 2, nil)
		keepAlive := dial(t, addr)
		keepAlive.get(t)
		waitStats(t, lim, "the keep-alive client to be idle", noneActive)
		keepAlive.send(t, halfHeader) // its next request never ends
		waitStats(t, lim, "the partial request to be seen", func(s connlimit.Stats) bool { return s.Idle == 0 && s.Pending == 1 })
		slow := dial(t, addr)
		slow.send(t, halfHeader)
		waitStats(t, lim, "the slowloris client to be accepted", func(s connlimit.Stats) bool { return s.Pending == 2 })

		dial(t, addr).get(t)
		if got := lim.Stats(); got.ClosedPending != 1 || got.ClosedIdle != 0 {
			t.Fatalf("stats %+v, want ClosedPending 1, ClosedIdle 0", got)
		}
		keepAlive.requireClosed(t, "keep-alive client with a partial request")
	})

	t.Run("NeverCutsActive", func(t *testing.T) {
		t.Parallel()
		const max = 3
		lim, addr := setup(t, max, nil)
		uploads := make([]*client, max)
		for i := range uploads {
			uploads[i] = dial(t, addr)
			uploads[i].send(t, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n12345")
		}
		waitStats(t, lim, "the uploads to be active", func(s connlimit.Stats) bool { return s.Active == max })

		dial(t, addr).requireRefused(t)
		if got := lim.Stats(); got.Rejected != 1 || got.ClosedForRoom() != 1 || got.Open != max {
			t.Fatalf("after a client beyond the cap: stats %+v, want Rejected 1 and nothing else closed", got)
		}
		for i, c := range uploads {
			c.send(t, "67890")
			if status, body, err := c.response(); err != nil || status != http.StatusOK || body != "10" {
				t.Fatalf("upload %d: %d %q %v, want 200 \"10\"", i, status, body, err)
			}
		}
		waitStats(t, lim, "the uploads to be idle", noneActive)
		dial(t, addr).get(t)
		if got := lim.Stats(); got.ClosedIdle != 1 {
			t.Fatalf("after the uploads: stats %+v, want ClosedIdle 1", got)
		}
	})

	t.Run("ChainsConnState", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var seen []http.ConnState
		lim, addr := setup(t, 5, func(_ net.Conn, cs http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, cs)
		})
		c := dial(t, addr)
		c.get(t)
		waitStats(t, lim, "the client to be idle", noneActive)
		c.Close()
		waitStats(t, lim, "the client to be gone", func(s connlimit.Stats) bool { return s.Open == 0 })
		mu.Lock()
		defer mu.Unlock()
		want := []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateClosed}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("the server's own hook saw %v, want %v", seen, want)
		}
	})
}

func TestLimiter_Listener(t *testing.T) {
	t.Parallel()

	t.Run("WithoutHookOnlyRejects", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lim := connlimit.New(2)
		srv := &http.Server{Handler: testHandler}
		go srv.Serve(lim.Listener(ln))
		t.Cleanup(func() { srv.Close() })
		addr := ln.Addr().String()

		a, b := dial(t, addr), dial(t, addr)
		a.get(t)
		b.get(t)
		dial(t, addr).requireRefused(t)
		got := lim.Stats()
		want := connlimit.Stats{Max: 2, Open: 2, Pending: 2, Accepted: 2, Rejected: 1}
		if got != want {
			t.Fatalf("stats %+v, want %+v", got, want)
		}
		a.get(t) // not known to be idle: never closed
		b.get(t)
	})
}

func TestLimiter_Stats(t *testing.T) {
	t.Parallel()

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		const max, workers, rounds = 8, 32, 20
		var over atomic.Int64
		var lim *connlimit.Limiter
		var ready sync.WaitGroup
		ready.Add(1)
		lim, addr := setup(t, max, func(net.Conn, http.ConnState) {
			ready.Wait()
			if s := lim.Stats(); s.Open > s.Max || s.Open != s.Pending+s.Idle+s.Active {
				over.Add(1)
			}
		})
		ready.Done()

		var dials atomic.Uint64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				var c *client
				defer func() {
					if c != nil {
						c.Close()
					}
				}()
				for r := range rounds {
					if c == nil || (w+r)%3 == 0 { // a mix of keep-alive and fresh connections
						if c != nil {
							c.Close()
						}
						nc, err := net.Dial("tcp", addr)
						if err != nil {
							t.Error(err)
							return
						}
						dials.Add(1)
						c = &client{Conn: nc, r: bufio.NewReader(nc)}
					}
					if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
						c.Close()
						c = nil
						continue
					}
					if _, _, err := c.response(); err != nil { // closed for room
						c.Close()
						c = nil
					}
				}
			})
		}
		wg.Wait()
		s := waitStats(t, lim, "every connection to be accounted for and closed", func(s connlimit.Stats) bool {
			return s.Accepted+s.Rejected == dials.Load() && s.Open == 0
		})
		if n := over.Load(); n > 0 {
			t.Errorf("%d hook calls saw Open over Max or not the sum of its parts", n)
		}
		if s.ClosedIdle+s.ClosedPending > s.Accepted {
			t.Errorf("stats %+v: more closed for room than accepted", s)
		}
		t.Logf("stats %+v", s)
	})
}

func TestMaxForFileLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit   uint64
		reserve int
		want    int
	}{
		{20000, connlimit.DefaultReserve, 14900},
		{1 << 20, connlimit.DefaultReserve, 837760},
		{4096, connlimit.DefaultReserve, 2176},
		{1024, connlimit.DefaultReserve, 256}, // a quarter, not less
		{1024, 0, 819},
		{1024, -5, 819},
		{3, 100, 1},
		{0, 0, 1},
		{1 << 62, 0, 1717986917}, // limit clamped to MaxInt32
	}
	for _, tt := range tests {
		if got := connlimit.MaxForFileLimit(tt.limit, tt.reserve); got != tt.want {
			t.Errorf("MaxForFileLimit(%d, %d) = %d, want %d", tt.limit, tt.reserve, got, tt.want)
		}
	}
}

func TestDefaultMax(t *testing.T) {
	t.Parallel()
	limit, ok := connlimit.FileLimit()
	want := connlimit.FallbackMax
	if ok {
		want = connlimit.MaxForFileLimit(limit, connlimit.DefaultReserve)
	}
	if got := connlimit.DefaultMax(); got != want {
		t.Fatalf("DefaultMax() = %d, want %d (file limit %d, %v)", got, want, limit, ok)
	}
	if got := connlimit.New(0).Max(); got != want {
		t.Fatalf("New(0).Max() = %d, want %d", got, want)
	}
}
