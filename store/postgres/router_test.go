package postgres_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store"
)

func ptr[T any](v T) *T { return &v }

// TestRouter_TwoProcessesOneDatabase runs two Routers, each with a Store
// of its own (as two processes would), on one schema: events ingested
// through both are all delivered, and the destination's max_concurrency
// holds across the two.
func TestRouter_TwoProcessesOneDatabase(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	var (
		mu       sync.Mutex
		inFlight int
		peak     int
		received = map[string]int{}
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // a receiver that takes its time, so attempts overlap
		mu.Lock()
		inFlight--
		received[req.Header.Get("X-Hookstream-Event-Id")]++
		mu.Unlock()
	}))
	defer rc.Close()

	cfg := &hookstream.Config{AllowPrivateNetworks: true, PollInterval: 200 * time.Millisecond}
	a, err := hookstream.New(open(t, schema, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hookstream.New(open(t, schema, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := a.CreateSource(ctx, hookstream.SourceParams{Name: ptr("shop")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := a.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("rc"), URL: ptr(rc.URL), MaxConcurrency: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateConnection(ctx, hookstream.ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	defer runRouters(t, ctx, a, b)()

	const n = 60
	var ids []string
	for i := range n {
		r := []*hookstream.Router{a, b}[i%2]
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		req.Header.Set("Content-Type", "application/json")
		res, err := r.Ingest(ctx, src.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.EventID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			ev, err := b.GetEvent(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Status == store.EventDelivered {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %s is %q after 30s, want delivered", id, ev.Status)
			}
			time.Sleep(20 * time.Millisecond) // polling the outcome, with a deadline
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 2 {
		t.Errorf("peak %d attempts in flight across two processes, want max_concurrency 2 at most", peak)
	}
	for _, id := range ids {
		if received[id] == 0 {
			t.Errorf("event %s was never received", id)
		}
	}
	t.Logf("%d events delivered by two processes, peak in flight %d", n, peak)
}

// TestRouter_ConfigNotifiedAcrossProcesses: a connection one process adds
// routes the other's ingests as soon as the notification arrives, long
// before the other's routing cache would expire (ConfigTTL an hour).
func TestRouter_ConfigNotifiedAcrossProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	cfg := &hookstream.Config{ConfigTTL: time.Hour}
	a, err := hookstream.New(open(t, schema, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := hookstream.New(open(t, schema, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	src, err := a.CreateSource(ctx, hookstream.SourceParams{Name: ptr("shop")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := a.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("rc"), URL: ptr("https://example.com/hooks")})
	if err != nil {
		t.Fatal(err)
	}
	ingest := func() int {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := b.Ingest(ctx, src.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		return res.Deliveries
	}
	if n := ingest(); n != 0 { // b caches the source with no connection
		t.Fatalf("%d deliveries before any connection", n)
	}
	if _, err := a.CreateConnection(ctx, hookstream.ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for ingest() == 0 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("b still routes to no connection 10 s after a created one: no notification reached its cache")
		}
		time.Sleep(5 * time.Millisecond) // polling the outcome, with a deadline
	}
	t.Logf("b routed to a's new connection %v after it was created", time.Since(start).Round(time.Millisecond))
}

// TestRouter_ReplayTwoProcesses starts a replay with two Routers running
// on one schema (as two processes): one claims the job, and every event
// reaches the receiver exactly once.
func TestRouter_ReplayTwoProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	var (
		mu       sync.Mutex
		received = map[string]int{}
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		received[req.Header.Get("X-Hookstream-Event-Id")]++
		mu.Unlock()
	}))
	defer rc.Close()
	cfg := &hookstream.Config{AllowPrivateNetworks: true, PollInterval: 200 * time.Millisecond}
	var routers []*hookstream.Router
	for range 2 {
		r, err := hookstream.New(open(t, schema, nil), cfg)
		if err != nil {
			t.Fatal(err)
		}
		routers = append(routers, r)
	}
	a, b := routers[0], routers[1]
	ctx := context.Background()
	src, err := a.CreateSource(ctx, hookstream.SourceParams{Name: ptr("archive")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := a.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("rc"), URL: ptr(rc.URL)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var ids []string
	for i := range n {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		req.Header.Set("Content-Type", "application/json")
		res, err := a.Ingest(ctx, src.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.EventID)
	}
	defer runRouters(t, ctx, routers...)()
	now := time.Now()
	job, err := b.StartReplay(ctx, hookstream.ReplayParams{DestinationID: dst.ID, From: now.Add(-time.Hour), To: now.Add(time.Second), RateLimit: 100})
	if err != nil || job.Total != n {
		t.Fatalf("StartReplay = %+v, %v", job, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := a.GetReplay(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != hookstream.ReplayRunning {
			if got.Status != hookstream.ReplayCompleted || got.Processed != n || got.Succeeded != n {
				t.Fatalf("job %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still running after 30s: %+v", got)
		}
		time.Sleep(50 * time.Millisecond) // polling the outcome, with a deadline
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if received[id] != 1 {
			t.Errorf("event %s received %d times, want once", id, received[id])
		}
	}
}

// runRouters runs the routers until the returned stop is called; stop
// waits for every Run to return.
func runRouters(t *testing.T, ctx context.Context, routers ...*hookstream.Router) (stop func()) {
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range routers {
		wg.Go(func() {
			if err := r.Run(runCtx); err != nil {
				t.Error(err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
