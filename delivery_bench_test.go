package hookstream

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	"github.com/hookstream-go/hookstream/store/memory"
)

// deliveryLoadEnv opts in to the heavy load tests of this file (a large
// backlog, throughput ratios):
//
//	HOOKSTREAM_LOAD=1 go test -run 'TestLoad_' -v -timeout 30m .
const deliveryLoadEnv = "HOOKSTREAM_LOAD"

func needDeliveryLoad(t *testing.T) {
	t.Helper()
	if os.Getenv(deliveryLoadEnv) == "" {
		t.Skipf("load test: set %s=1 to run it (it takes a minute or more)", deliveryLoadEnv)
	}
	if testing.Short() {
		t.Skip("load test skipped under -short")
	}
}

// deliveryMaxConcurrency is the destination's max_concurrency in the
// throughput benchmarks; with DefaultWorkers workers, deliveryConcurrency
// attempts are in flight at most, and the raw net/http baseline runs that
// many senders.
const (
	deliveryMaxConcurrency = 100
	deliveryConcurrency    = min(DefaultWorkers, deliveryMaxConcurrency)
)

// deliveryBenchBody is the webhook delivered by the benchmarks: about 500
// bytes of JSON.
var deliveryBenchBody = []byte(`{"id":"evt_bench","type":"order.created","created":1718000000,"data":{"object":{"id":"ord_1234567890",` +
	`"amount":4200,"currency":"eur","customer":{"id":"cus_0987654321","email":"someone@example.com","name":"Some One"},` +
	`"items":[{"sku":"SKU-1","qty":2,"price":1200},{"sku":"SKU-2","qty":1,"price":1800}],"shipping":{"line1":"1 Main St",` +
	`"city":"Paris","postal_code":"75001","country":"FR"},"metadata":{"order_ref":"A-1","channel":"web","note":"` +
	strings.Repeat("x", 80) + `"}}}}`)

// deliveryCounter counts deliveries and closes done when it reaches want.
type deliveryCounter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func newDeliveryCounter(want int) *deliveryCounter {
	return &deliveryCounter{want: int64(want), done: make(chan struct{})}
}

func (c *deliveryCounter) hit() {
	if c.n.Add(1) == c.want {
		close(c.done)
	}
}

// ServeHTTP is a receiver that answers 200 at once.
func (c *deliveryCounter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body)
	c.hit()
	w.WriteHeader(http.StatusOK)
}

// wait waits until want deliveries were counted, or fails after d.
func (c *deliveryCounter) wait(tb testing.TB, d time.Duration) {
	tb.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		tb.Fatalf("%d of %d delivered after %v", c.n.Load(), c.want, d)
	}
}

// deliveryRoute is a router with one source routed to one destination.
type deliveryRoute struct {
	r                    *Router
	store                *meteredStore
	srcID, connID, dstID string
}

// newDeliveryRoute opens a router on a new bbolt file (storeKind "bolt",
// path "" for one in a temporary directory) or a memory store ("memory"),
// and creates a source, dst and a connection between them.
func newDeliveryRoute(tb testing.TB, storeKind, path string, cfg *Config, dst DestinationParams) *deliveryRoute {
	tb.Helper()
	var (
		s   store.Store
		err error
	)
	switch storeKind {
	case "bolt":
		if path == "" {
			path = filepath.Join(tb.TempDir(), "bench.db")
		}
		s, err = bolt.Open(path, nil) // as Open does
	case "memory":
		s = memory.New()
	default:
		tb.Fatalf("unknown store %q", storeKind)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	ms := &meteredStore{Store: s}
	r, err := New(ms, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("bench")})
	if err != nil {
		tb.Fatal(err)
	}
	dst.Name = ptr("bench")
	d, err := r.CreateDestination(ctx, dst)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: d.ID, Name: ptr("bench")})
	if err != nil {
		tb.Fatal(err)
	}
	return &deliveryRoute{r: r, store: ms, srcID: src.ID, connID: conn.ID, dstID: d.ID}
}

// reopen closes the route's bbolt file and opens it again in a new Router,
// as a restarted process would.
func (br *deliveryRoute) reopen(tb testing.TB, path string, cfg *Config) *deliveryRoute {
	tb.Helper()
	if err := br.store.Close(); err != nil {
		tb.Fatal(err)
	}
	s, err := bolt.Open(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	ms := &meteredStore{Store: s}
	r, err := New(ms, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &deliveryRoute{r: r, store: ms, srcID: br.srcID, connID: br.connID, dstID: br.dstID}
}

// meteredStore counts the queue writes of the scheduler: how many Lease and
// Complete calls, and how many deliveries they carried.
type meteredStore struct {
	store.Store
	leases, leased      atomic.Int64
	completes, outcomes atomic.Int64
	tLease, tComplete   atomic.Int64 // nanoseconds spent in them
}

func (s *meteredStore) Lease(ctx context.Context, destinationID string, now time.Time, limit int, ttl time.Duration) ([]*store.Delivery, error) {
	t0 := time.Now()
	defer func() { s.tLease.Add(int64(time.Since(t0))) }()
	ds, err := s.Store.Lease(ctx, destinationID, now, limit, ttl)
	s.leases.Add(1)
	s.leased.Add(int64(len(ds)))
	return ds, err
}

func (s *meteredStore) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	t0 := time.Now()
	defer func() { s.tComplete.Add(int64(time.Since(t0))) }()
	s.completes.Add(1)
	s.outcomes.Add(int64(len(outcomes)))
	return s.Store.Complete(ctx, outcomes)
}

// reportBatches reports the mean number of deliveries per Lease and per
// Complete call, and their mean duration.
func (s *meteredStore) reportBatches(b *testing.B) {
	if n := float64(s.leases.Load()); n > 0 {
		b.ReportMetric(float64(s.leased.Load())/n, "leased/Lease")
		b.ReportMetric(float64(s.tLease.Load())/n/1e6, "ms/Lease")
	}
	if n := float64(s.completes.Load()); n > 0 {
		b.ReportMetric(float64(s.outcomes.Load())/n, "outcomes/Complete")
		b.ReportMetric(float64(s.tComplete.Load())/n/1e6, "ms/Complete")
	}
}

// fill stores n events, each with one pending delivery, straight through
// the store's InsertEvent from the given number of goroutines (their
// writes share commits), and wakes the scheduler.
func (br *deliveryRoute) fill(tb testing.TB, n, writers int) {
	tb.Helper()
	r, t := br.r, br.r.cfg.DefaultTenant
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		err     error
	)
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				now := r.now()
				ev := &store.Event{
					ID: newID(prefixEvent), OrgID: t.OrgID, EnvID: t.EnvID, SourceID: br.srcID, Method: http.MethodPost,
					Headers: map[string]string{"Content-Type": "application/json"}, ContentType: "application/json",
					SourceIP: "127.0.0.1", Body: deliveryBenchBody, VerificationStatus: "unverified", DedupStatus: store.DedupUnique,
					ReceivedAt: now, SourceName: "bench", SourceSlug: "bench",
				}
				d := &store.Delivery{
					ID: newID(prefixDelivery), OrgID: t.OrgID, EnvID: t.EnvID, EventID: ev.ID,
					ConnectionID: br.connID, DestinationID: br.dstID, State: store.DeliveryPending,
					NextAt: now, Trigger: store.TriggerInitial, CreatedAt: now, UpdatedAt: now,
				}
				if e := r.store.InsertEvent(context.Background(), ev, []*store.Delivery{d}); e != nil {
					errOnce.Do(func() { err = e })
					return
				}
			}
		})
	}
	wg.Wait()
	if err != nil {
		tb.Fatalf("fill backlog: %v", err)
	}
	r.wakeScheduler()
}

// pending reports whether any delivery is still pending.
func (br *deliveryRoute) pending(tb testing.TB) bool {
	tb.Helper()
	dests, next, err := br.r.store.DueDestinations(context.Background(), time.Now().Add(365*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	return len(dests) > 0 || !next.IsZero()
}

// runUntilDelivered runs the scheduler until c counted every delivery,
// then stops it and waits for it (the last outcomes are recorded as Run
// returns).
func runUntilDelivered(tb testing.TB, r *Router, c *deliveryCounter) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	c.wait(tb, 5*time.Minute)
}

// benchDeliveries measures b.N deliveries of a pre-stored backlog, from the
// start of Run until Run returns with every outcome recorded. newRoute
// returns the route to deliver on, whose destination reports to c.
func benchDeliveries(b *testing.B, newRoute func(b *testing.B, c *deliveryCounter) *deliveryRoute) {
	b.StopTimer()
	b.ReportAllocs()
	c := newDeliveryCounter(b.N)
	br := newRoute(b, c)
	br.fill(b, b.N, 256)
	runtime.GC()
	b.ResetTimer()
	b.StartTimer()
	runUntilDelivered(b, br.r, c)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	br.store.reportBatches(b)
	if br.pending(b) {
		b.Fatal("deliveries still pending after every event was delivered")
	}
}

// httpDeliveryRoute delivers from a bbolt file over loopback HTTP to a
// receiver answering 200.
func httpDeliveryRoute(b *testing.B, c *deliveryCounter) *deliveryRoute {
	srv := httptest.NewServer(c)
	b.Cleanup(srv.Close)
	return newDeliveryRoute(b, "bolt", "", &Config{AllowPrivateNetworks: true}, DestinationParams{
		URL: ptr(srv.URL + "/hook"), MaxConcurrency: ptr(deliveryMaxConcurrency),
	})
}

// funcDeliveryRoute delivers to an in-process FuncProvider: no network.
func funcDeliveryRoute(storeKind string) func(b *testing.B, c *deliveryCounter) *deliveryRoute {
	return func(b *testing.B, c *deliveryCounter) *deliveryRoute {
		fn := FuncProvider(func(context.Context, *Message) error { c.hit(); return nil })
		return newDeliveryRoute(b, storeKind, "", &Config{Providers: map[string]Provider{"func": fn}}, DestinationParams{
			Type: ptr("func"), MaxConcurrency: ptr(deliveryMaxConcurrency),
		})
	}
}

// BenchmarkDelivery measures end-to-end delivery of a backlog stored in a
// bbolt file to an http destination on a loopback receiver that answers
// 200 at once: Run with DefaultWorkers workers and max_concurrency 100.
// Compare with BenchmarkDelivery_RawHTTP (the network's ceiling) and
// BenchmarkDelivery_FuncProvider (the engine's).
func BenchmarkDelivery(b *testing.B) {
	benchDeliveries(b, httpDeliveryRoute)
}

// BenchmarkDelivery_FuncProvider is BenchmarkDelivery to an in-process
// FuncProvider: the engine's own ceiling (leases and outcomes on bbolt,
// or on the memory store).
func BenchmarkDelivery_FuncProvider(b *testing.B) {
	for _, kind := range []string{"bolt", "memory"} {
		b.Run(kind, func(b *testing.B) { benchDeliveries(b, funcDeliveryRoute(kind)) })
	}
}

// BenchmarkDelivery_RawHTTP is the baseline of BenchmarkDelivery: the same
// number of POSTs of the same body and headers to the same kind of
// receiver, from a plain net/http client loop at the engine's concurrency.
func BenchmarkDelivery_RawHTTP(b *testing.B) {
	b.StopTimer()
	b.ReportAllocs()
	c := newDeliveryCounter(b.N)
	srv := httptest.NewServer(c)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConns: deliveryConcurrency, MaxIdleConnsPerHost: deliveryConcurrency}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	url := srv.URL + "/hook"
	runtime.GC()
	b.ResetTimer()
	b.StartTimer()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Value
	)
	for range deliveryConcurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(deliveryBenchBody)))
				if err != nil {
					fail.Store(err)
					return
				}
				h := req.Header
				h.Set("Content-Type", "application/json")
				h.Set("User-Agent", "hookstream/"+Version)
				h.Set("X-hookstream-Event-Id", "evt_bench")
				h.Set("X-hookstream-Delivery-Attempt", "1")
				h.Set("X-hookstream-Timestamp", time.Now().UTC().Format(time.RFC3339))
				res, err := client.Do(req)
				if err != nil {
					fail.Store(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					fail.Store(fmt.Errorf("status %d", res.StatusCode))
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := fail.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestLoad_DeliveryThroughput runs the delivery benchmarks in one process
// and reports the engine's throughput against raw net/http on the same
// loopback receiver.
func TestLoad_DeliveryThroughput(t *testing.T) {
	needDeliveryLoad(t)
	rate := func(r testing.BenchmarkResult) float64 { return float64(r.N) / r.T.Seconds() }
	raw := testing.Benchmark(BenchmarkDelivery_RawHTTP)
	engine := testing.Benchmark(BenchmarkDelivery)
	fnBolt := testing.Benchmark(func(b *testing.B) { benchDeliveries(b, funcDeliveryRoute("bolt")) })
	fnMem := testing.Benchmark(func(b *testing.B) { benchDeliveries(b, funcDeliveryRoute("memory")) })
	for _, r := range []testing.BenchmarkResult{raw, engine, fnBolt, fnMem} {
		if r.N == 0 {
			t.Fatal("a benchmark failed (run it with go test -bench to see why)")
		}
	}
	t.Logf("raw net/http POST loop (%d senders):   %8.0f events/s (N=%d)", deliveryConcurrency, rate(raw), raw.N)
	t.Logf("engine, http destination, bbolt:       %8.0f events/s (N=%d)", rate(engine), engine.N)
	t.Logf("engine, FuncProvider, bbolt:           %8.0f events/s (N=%d)", rate(fnBolt), fnBolt.N)
	t.Logf("engine, FuncProvider, memory store:    %8.0f events/s (N=%d)", rate(fnMem), fnMem.N)
	t.Logf("engine / raw net/http = %.2f; http engine / FuncProvider on bbolt = %.2f", rate(engine)/rate(raw), rate(engine)/rate(fnBolt))
}

// TestLoad_BacklogMemory builds backlogs of 10,000 to 200,000 pending
// deliveries to a dead receiver (connection refused; circuit breaker off
// and retries every second, so the scheduler never runs out of due work)
// in a bbolt file, and at each size runs the scheduler of a freshly opened
// Router for a while, sampling the heap and the goroutines: neither may
// grow with the backlog.
//
// A fresh Router per size isolates the engine from bbolt's own
// bookkeeping: bbolt's freelist keeps an entry per page a process has
// allocated, which grows with the writes of a long-lived process (about 25
// bytes per event stored here), whatever the scheduler does.
func TestLoad_BacklogMemory(t *testing.T) {
	needDeliveryLoad(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now: every attempt is refused
	path := filepath.Join(t.TempDir(), "backlog.db")
	cfg := &Config{AllowPrivateNetworks: true}
	br := newDeliveryRoute(t, "bolt", path, cfg, DestinationParams{
		URL: ptr("http://" + dead + "/hook"), MaxConcurrency: ptr(deliveryMaxConcurrency), TimeoutMS: ptr(2000),
		CircuitBreakerEnabled: ptr(false),
		RetryBackoffType:      ptr(BackoffType("fixed")), RetryIntervals: []int{1}, RetryMaxAttempts: ptr(10),
	})

	type sample struct {
		backlog                 int
		liveHeap, peakHeapInuse uint64
		goroutines              int // peak, above those before Run
		attempts                int64
		attemptRate             float64
	}
	const observe = 5 * time.Second
	var samples []sample
	stored := 0
	for _, backlog := range []int{10_000, 50_000, 100_000, 200_000} {
		start := time.Now()
		br.fill(t, backlog-stored, 256)
		stored = backlog
		t.Logf("backlog of %d stored (%v)", backlog, time.Since(start).Round(time.Millisecond))
		br = br.reopen(t, path, cfg)
		runtime.GC()
		before := runtime.NumGoroutine()

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- br.r.Run(ctx) }()
		s := sample{backlog: backlog}
		var ms runtime.MemStats
		tick := time.NewTicker(100 * time.Millisecond)
		end := time.After(observe)
	observing:
		for {
			select {
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				s.peakHeapInuse = max(s.peakHeapInuse, ms.HeapInuse)
				s.goroutines = max(s.goroutines, runtime.NumGoroutine()-before)
			case <-end:
				break observing
			}
		}
		tick.Stop()
		runtime.GC()
		runtime.ReadMemStats(&ms) // while Run runs: its working set is live
		s.liveHeap = ms.HeapAlloc
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		s.attempts = br.store.outcomes.Load()
		s.attemptRate = float64(s.attempts) / observe.Seconds()
		samples = append(samples, s)
	}
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	t.Logf("%8s %10s %14s %15s %10s %11s", "backlog", "live heap", "peak HeapInuse", "Run goroutines", "attempts", "attempts/s")
	for _, s := range samples {
		t.Logf("%8d %8.1fMiB %12.1fMiB %15d %10d %11.0f", s.backlog, mib(s.liveHeap), mib(s.peakHeapInuse), s.goroutines, s.attempts, s.attemptRate)
	}
	// 190,000 more pending deliveries: a goroutine (2 KiB of stack at
	// least), a timer or an in-memory record (hundreds of bytes) per
	// pending delivery would exceed these bounds many times over.
	first, last := samples[0], samples[len(samples)-1]
	const perDelivery = 32 // bytes
	if grown := int64(last.liveHeap) - int64(first.liveHeap); grown > perDelivery*int64(last.backlog-first.backlog) {
		t.Errorf("live heap grew from %.1f MiB to %.1f MiB with the backlog: %d bytes per delivery",
			mib(first.liveHeap), mib(last.liveHeap), grown/int64(last.backlog-first.backlog))
	}
	if last.peakHeapInuse > 2*first.peakHeapInuse+16<<20 {
		t.Errorf("peak HeapInuse grew from %.1f MiB to %.1f MiB with the backlog", mib(first.peakHeapInuse), mib(last.peakHeapInuse))
	}
	for _, s := range samples {
		// The workers, and a transport goroutine per attempt in flight.
		if limit := 3 * br.r.cfg.Workers; s.goroutines > limit {
			t.Errorf("backlog %d: Run had %d goroutines, want at most %d whatever the backlog", s.backlog, s.goroutines, limit)
		}
	}
	for _, s := range samples {
		if s.attempts == 0 {
			t.Errorf("backlog %d: the scheduler made no attempt", s.backlog)
		}
	}
}
