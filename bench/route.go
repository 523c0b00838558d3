package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/memory"
)

func ptr[T any](v T) *T { return &v }

// route is a Router with one source routed to one destination.
type route struct {
	r                    *hookstream.Router
	srcID, dstID, connID string
	path                 string // the bbolt file; "" on the other stores
	schema               string // the PostgreSQL schema; "" on the other stores
	// cleanup, when set, runs after the Router is closed (a PostgreSQL
	// store closed and its schema dropped).
	cleanup func()
}

// config is the Router configuration of every scenario: loopback
// receivers allowed, and one delivery worker per sender so the engine
// works at the raw baselines' concurrency.
func (b *bench) config() *hookstream.Config {
	return &hookstream.Config{AllowPrivateNetworks: true, Workers: b.opts.concurrency}
}

// newFile returns the path of a new bbolt file in the temporary directory.
func (b *bench) newFile(name string) string {
	b.nth++
	return filepath.Join(b.dir, fmt.Sprintf("%02d-%s.db", b.nth, name))
}

// openRouter opens a Router on a new bbolt file (kind "bolt") or on
// store/memory (kind "memory").
func (b *bench) openRouter(kind, name string, cfg *hookstream.Config) (*hookstream.Router, string, error) {
	switch kind {
	case "bolt":
		path := b.newFile(name)
		r, err := hookstream.Open(path, cfg)
		return r, path, err
	case "memory":
		r, err := hookstream.New(memory.New(), cfg)
		return r, "", err
	}
	return nil, "", fmt.Errorf("unknown store %q", kind)
}

// newRoute opens a Router and creates a source, a destination (dst, its
// name set here) and a connection between them (conn, its ends set here).
// Kind "postgres" opens it on a fresh schema of the -postgres database,
// dropped by close.
func (b *bench) newRoute(ctx context.Context, kind, name string, cfg *hookstream.Config, dst hookstream.DestinationParams, conn hookstream.ConnectionParams) (*route, error) {
	var rt *route
	if kind == "postgres" {
		var err error
		if rt, err = b.openPostgresRoute(ctx, name, cfg); err != nil {
			return nil, err
		}
	} else {
		r, path, err := b.openRouter(kind, name, cfg)
		if err != nil {
			return nil, err
		}
		rt = &route{r: r, path: path}
	}
	r := rt.r
	src, err := r.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Shop orders")})
	if err != nil {
		rt.close()
		return nil, fmt.Errorf("create source: %w", err)
	}
	dst.Name = ptr("Fulfilment")
	d, err := r.CreateDestination(ctx, dst)
	if err != nil {
		rt.close()
		return nil, fmt.Errorf("create destination: %w", err)
	}
	conn.SourceID, conn.DestinationID, conn.Name = src.ID, d.ID, ptr("orders to fulfilment")
	c, err := r.CreateConnection(ctx, conn)
	if err != nil {
		rt.close()
		return nil, fmt.Errorf("create connection: %w", err)
	}
	rt.srcID, rt.dstID, rt.connID = src.ID, d.ID, c.ID
	return rt, nil
}

// httpDestination is an http destination to url that may have as many
// deliveries in flight as there are senders.
func (b *bench) httpDestination(url string) hookstream.DestinationParams {
	return hookstream.DestinationParams{URL: ptr(url), MaxConcurrency: ptr(b.opts.concurrency)}
}

// close closes the Router and removes its file (or its store and schema).
func (rt *route) close() {
	if err := rt.r.Close(); err != nil {
		progress("close router: %v", err)
	}
	if rt.path != "" {
		os.Remove(rt.path)
	}
	if rt.cleanup != nil {
		rt.cleanup()
	}
}

// ingest hands payload(seq) to Router.Ingest as a webhook from loopback.
func (rt *route) ingest(ctx context.Context, seq int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost/v1/ingest/"+rt.srcID, bytes.NewReader(payload(seq)))
	if err != nil {
		return err
	}
	req.RemoteAddr = "127.0.0.1:45000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	res, err := rt.r.Ingest(ctx, rt.srcID, req)
	if err != nil {
		return err
	}
	if res.Deliveries != 1 {
		return fmt.Errorf("ingest queued %d deliveries, want 1", res.Deliveries)
	}
	return nil
}

// runRouter starts Run; the returned stop cancels it and waits for it.
func runRouter(r *hookstream.Router) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				progress("Run: %v", err)
			}
		case <-time.After(time.Minute):
			progress("Run did not return within a minute of its cancellation")
		}
	}
}

// closedLoop calls fn with increasing sequence numbers from n goroutines
// until the deadline passes or limit calls were made (limit 0: no limit),
// and returns how many calls succeeded and how long the loop ran. The
// first error stops every goroutine.
func closedLoop(n int, deadline time.Time, limit int64, fn func(seq int64) error) (int64, time.Duration, error) {
	var (
		next, ok atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	start := time.Now()
	for range n {
		wg.Go(func() {
			for !stop.Load() && time.Now().Before(deadline) {
				seq := next.Add(1)
				if limit > 0 && seq > limit {
					return
				}
				if err := fn(seq); err != nil {
					errOnce.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return ok.Load(), time.Since(start), firstErr
}

// perSecond is n over d in events per second.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
