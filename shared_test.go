package hookstream

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// sharedStore is a memory store as a store several processes share would
// look: it offers no LocalQueue, so schedulers lease durably, and it
// notifies listeners of new work and of configuration writes.
type sharedStore struct {
	store.Store
	mu        sync.Mutex
	listeners []chan struct{} // Listen's
	config    []chan struct{} // ListenConfig's
}

func (s *sharedStore) Listen(ctx context.Context) (<-chan struct{}, error) {
	return s.listen(&s.listeners), nil
}

func (s *sharedStore) ListenConfig(ctx context.Context) (<-chan struct{}, error) {
	return s.listen(&s.config), nil
}

func (s *sharedStore) listen(list *[]chan struct{}) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	*list = append(*list, ch)
	s.mu.Unlock()
	return ch
}

// broadcast wakes every channel of list, after a write that succeeded.
func (s *sharedStore) broadcast(list *[]chan struct{}, err error) error {
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range *list {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (s *sharedStore) InsertEvent(ctx context.Context, e *store.Event, ds []*store.Delivery) error {
	return s.broadcast(&s.listeners, s.Store.InsertEvent(ctx, e, ds))
}

func (s *sharedStore) Create(ctx context.Context, r store.Resource) error {
	return s.broadcast(&s.config, s.Store.Create(ctx, r))
}

func (s *sharedStore) Update(ctx context.Context, r store.Resource) error {
	return s.broadcast(&s.config, s.Store.Update(ctx, r))
}

func (s *sharedStore) Delete(ctx context.Context, kind store.Kind, t store.Tenant, id string) error {
	return s.broadcast(&s.config, s.Store.Delete(ctx, kind, t, id))
}

var (
	_ store.Notifier       = (*sharedStore)(nil)
	_ store.ConfigNotifier = (*sharedStore)(nil)
)

// TestRouter_ConfigChangedByAnotherRouter: a connection one Router adds
// routes the other's next ingest at once when the store notifies it, and
// only after Config.ConfigTTL when it does not.
func TestRouter_ConfigChangedByAnotherRouter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		notifies   bool
		deliveries int // of b's ingest right after a's write
	}{
		{"notified", true, 2},
		{"not notified: the cache holds until its TTL", false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
				var s store.Store = &sharedStore{Store: memory.New()}
				if !c.notifies {
					s = memory.New()
				}
				a, b, srcID, dstID := twoRouters(t, s, rc, Config{ConfigTTL: time.Hour})
				ingest(t, b, srcID, `{"n":1}`) // b caches the source's routes
				if _, err := a.CreateConnection(ctx, ConnectionParams{SourceID: srcID, DestinationID: dstID, Name: ptr("second")}); err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // b's watcher has the notification
				res := ingestResult(t, b, srcID, `{"n":2}`)
				if res.Deliveries != c.deliveries {
					t.Errorf("b's ingest after a added a connection: %d deliveries, want %d", res.Deliveries, c.deliveries)
				}
			})
		})
	}
}

// twoRouters returns two Routers on one store, the receiver's
// destination and a source routed to it.
func twoRouters(t *testing.T, s store.Store, rc *receiver, cfg Config) (a, b *Router, srcID, dstID string) {
	t.Helper()
	ctx := context.Background()
	cfg.Providers = map[string]Provider{"test": rc}
	var err error
	if a, err = New(s, &cfg); err != nil {
		t.Fatal(err)
	}
	if b, err = New(s, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Router{a, b} {
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	src, err := a.CreateSource(ctx, SourceParams{Name: ptr("src")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := a.CreateDestination(ctx, DestinationParams{Name: ptr("receiver"), Type: ptr("test")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	return a, b, src.ID, dst.ID
}

func TestRouter_Run_NotifiedAcrossProcesses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		s := &sharedStore{Store: memory.New()}
		a, b, srcID, _ := twoRouters(t, s, rc, Config{PollInterval: time.Hour})
		runRouter(t, a)
		synctest.Wait()
		ingest(t, b, srcID, `{"n":1}`) // another process ingests; a polls only hourly
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 1 {
			t.Errorf("%d deliveries a second after another process ingested, want 1 (notified)", n)
		}
	})
}

func TestRouter_Run_ResumedByAnotherRouter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		ctx := context.Background()
		a, b, srcID, _ := twoRouters(t, memory.New(), rc, Config{})
		conns, _ := a.ListConnections(ctx, ListConnectionsParams{})
		connID := conns.Items[0].ID
		if _, err := a.UpdateConnection(ctx, connID, ConnectionParams{Status: ptr(StatusPaused)}); err != nil {
			t.Fatal(err)
		}
		runRouter(t, a)
		var events []string
		for i := range 5 {
			events = append(events, ingest(t, a, srcID, `{"held":true}`))
			_ = i
		}
		// b resumes the connection; a's routing cache still says paused
		// for up to ConfigTTL, and a goes on ingesting meanwhile.
		if _, err := b.UpdateConnection(ctx, connID, ConnectionParams{Status: ptr(StatusActive)}); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			events = append(events, ingest(t, a, srcID, `{"after":true}`))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		for _, id := range events {
			if st := eventStatus(t, a, id); st != store.EventDelivered {
				t.Errorf("event %s is %q, want delivered (nothing stays held)", id, st)
			}
		}
	})
}

func TestRouter_ResetCircuit_WinsOverAFailureInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		rc := &receiver{answer: func(int, *Message) (*Response, error) { <-release; return status(503) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{
			CircuitBreakerThreshold: ptr(1), CircuitBreakerResetMS: ptr(3_600_000),
		}, ConnectionParams{})
		ctx := context.Background()
		ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		synctest.Wait() // the attempt is under way
		dsts, _ := r.ListDestinations(ctx, ListParams{})
		dstID := dsts.Items[0].ID
		if _, err := r.ResetCircuit(ctx, dstID); err != nil {
			t.Fatal(err)
		}
		close(release) // the attempt fails after the reset was made
		time.Sleep(time.Second)
		synctest.Wait()
		c, err := r.GetCircuit(ctx, dstID)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != store.CircuitClosed {
			t.Errorf("circuit %+v after a reset made while the attempt was failing: want closed (the reset wins)", c)
		}
	})
}

// batchStore is a memory store seen as a store several processes share
// that leases in batches: no LocalQueue, but a BatchLeaser.
type batchStore struct {
	store.Store
	store.BatchLeaser
}

func TestRouter_Run_MaxConcurrencyAcrossProcesses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		inFlight, peak := 0, 0
		release := make(chan struct{})
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			<-release
			mu.Lock()
			inFlight--
			mu.Unlock()
			return status(200)
		}}
		m := memory.New()
		a, b, srcID, dstID := twoRouters(t, batchStore{m, m}, rc, Config{})
		ctx := context.Background()
		if _, err := a.UpdateDestination(ctx, dstID, DestinationParams{MaxConcurrency: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		var events []string
		for range 10 {
			events = append(events, ingest(t, a, srcID, `{"n":1}`))
		}
		runRouter(t, a)
		runRouter(t, b)
		time.Sleep(time.Second)
		synctest.Wait()
		close(release)
		time.Sleep(time.Minute)
		synctest.Wait()
		if peak != 2 {
			t.Errorf("peak %d attempts in flight across two processes, want max_concurrency 2", peak)
		}
		for _, id := range events {
			if st := eventStatus(t, a, id); st != store.EventDelivered {
				t.Errorf("event %s is %q, want delivered", id, st)
			}
		}
	})
}

// cappedBacklog returns a Router (the first of twoRouters on s) whose
// destination has max_concurrency limit and n events to deliver, with
// their IDs; it is not running.
func cappedBacklog(t *testing.T, s store.Store, rc *receiver, limit, n int) (*Router, []string) {
	t.Helper()
	a, _, srcID, dstID := twoRouters(t, s, rc, Config{PollInterval: time.Hour})
	if _, err := a.UpdateDestination(context.Background(), dstID, DestinationParams{MaxConcurrency: ptr(limit)}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		ids = append(ids, ingest(t, a, srcID, `{"n":1}`))
	}
	return a, ids
}

// peak counts the attempts in flight, and the most at once.
type peak struct{ in, most atomic.Int64 }

// enter counts an attempt in; the returned func counts it out.
func (p *peak) enter() (leave func()) {
	in := p.in.Add(1)
	for m := p.most.Load(); in > m && !p.most.CompareAndSwap(m, in); m = p.most.Load() {
	}
	return func() { p.in.Add(-1) }
}

// leaseSpyStore is a batchStore that keeps the lease requests it is
// given, and checks that the leases it returns carry their owner's mark.
type leaseSpyStore struct {
	batchStore
	t    *testing.T
	mu   *sync.Mutex
	reqs *[]store.LeaseRequest
}

func (s leaseSpyStore) keep(reqs []store.LeaseRequest, leased []store.Leased) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.reqs = append(*s.reqs, reqs...)
	for _, l := range leased {
		if !strings.HasPrefix(l.Delivery.LeaseToken, reqs[0].Owner) {
			s.t.Errorf("lease token %q, want it to start with its owner %q", l.Delivery.LeaseToken, reqs[0].Owner)
		}
	}
}

func (s leaseSpyStore) LeaseBatch(ctx context.Context, now time.Time, reqs []store.LeaseRequest) ([]store.Leased, error) {
	leased, err := s.batchStore.LeaseBatch(ctx, now, reqs)
	s.keep(reqs, leased)
	return leased, err
}

func (s leaseSpyStore) CompleteAndLease(ctx context.Context, outcomes []store.Outcome, now time.Time, reqs []store.LeaseRequest) ([]error, []store.Leased, error) {
	errs, leased, err := s.batchStore.CompleteAndLease(ctx, outcomes, now, reqs)
	s.keep(reqs, leased)
	return errs, leased, err
}

// TestRouter_Run_LeasesCountAttemptsInFlight: a scheduler leasing from a
// shared store marks its leases as its own and tells the store how many
// of the destination's attempts it has under way, which the store counts
// against max_concurrency instead of the scheduler's own leases (whose
// outcomes may still be on their way): with one attempt stuck and a cap
// of 2, the other deliveries go on one at a time beside it.
func TestRouter_Run_LeasesCountAttemptsInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		rc := &receiver{answer: func(n int, _ *Message) (*Response, error) {
			if n == 1 {
				<-release
			}
			return status(200)
		}}
		m := memory.New()
		var reqs []store.LeaseRequest
		s := leaseSpyStore{batchStore{m, m}, t, new(sync.Mutex), &reqs}
		a, _ := cappedBacklog(t, s, rc, 2, 4)
		runRouter(t, a)
		synctest.Wait()
		if n := len(rc.received()); n != 4 {
			t.Errorf("%d deliveries while the first is stuck, want all 4", n)
		}
		owner := reqs[0].Owner
		if !strings.HasSuffix(owner, ".") || len(owner) < 16 {
			t.Errorf("owner %q, want a long random mark ending in '.'", owner)
		}
		var beside int
		for _, r := range reqs {
			if r.Owner != owner {
				t.Errorf("a request of owner %q, want every one of %q", r.Owner, owner)
			}
			if r.InFlight > 0 {
				beside++
				if r.InFlight != 1 || r.Limit != 1 {
					t.Errorf("a lease beside the stuck attempt with InFlight %d, Limit %d; want 1 and 1", r.InFlight, r.Limit)
				}
			}
		}
		if beside == 0 {
			t.Errorf("no lease counted the stuck attempt (requests %+v)", reqs)
		}
		close(release)
		synctest.Wait()
	})
}

// TestRouter_Run_OneProbeAcrossProcesses: two schedulers sharing a store
// see an open circuit's reset time pass at the same moment; only the one
// whose half-open transition the store accepted sends the probe, so the
// failing receiver gets one attempt per reset period, not one per process.
func TestRouter_Run_OneProbeAcrossProcesses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(503) }}
		a, b, srcID, dstID := twoRouters(t, memory.New(), rc, Config{})
		ctx := context.Background()
		const reset = time.Minute
		if _, err := a.UpdateDestination(ctx, dstID, DestinationParams{
			CircuitBreakerThreshold: ptr(1), CircuitBreakerResetMS: ptr(int(reset / time.Millisecond)),
			MaxConcurrency: ptr(1), RetryMaxAttempts: ptr(10), RetryBackoffType: ptr(BackoffFixed), RetryIntervals: []int{1},
		}); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			ingest(t, a, srcID, `{"n":1}`)
		}
		start := time.Now()
		runRouter(t, a)
		runRouter(t, b)
		time.Sleep(10*reset + reset/2)
		synctest.Wait()
		// The circuit opens at the first failure; from then on, each reset
		// period admits one probe.
		var probes []time.Duration
		for _, c := range rc.received() {
			if at := c.at.Sub(start); at >= reset/2 {
				probes = append(probes, at)
			}
		}
		if len(probes) != 10 {
			t.Errorf("%d attempts in 10 reset periods after the circuit opened, want 10 (one probe each): at %v", len(probes), probes)
		}
	})
}

// gatedStore is a batchStore whose writes of outcomes (Complete, and
// CompleteAndLease) wait for its gate to open.
type gatedStore struct {
	batchStore
	gate chan struct{}
}

func (s gatedStore) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	<-s.gate
	return s.batchStore.Complete(ctx, outcomes)
}

func (s gatedStore) CompleteAndLease(ctx context.Context, outcomes []store.Outcome, now time.Time, reqs []store.LeaseRequest) ([]error, []store.Leased, error) {
	<-s.gate
	return s.batchStore.CompleteAndLease(ctx, outcomes, now, reqs)
}

// TestRouter_Run_CappedLeaseGoesOnOnceRecorded: with durable leases and
// every write of outcomes held back, a destination's deliveries go on two
// at a time at most (a slot is free when its attempt ends; the scheduler
// waits for its own write of the outcomes queued behind the recorder);
// once the writes go through, the rest of the backlog follows at once,
// not at the next poll.
func TestRouter_Run_CappedLeaseGoesOnOnceRecorded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var inFlight peak
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			defer inFlight.enter()()
			return status(200)
		}}
		m := memory.New()
		s := gatedStore{batchStore{m, m}, make(chan struct{})}
		a, _ := cappedBacklog(t, s, rc, 2, 6)
		runRouter(t, a)
		synctest.Wait() // the outcomes wait at the gate
		if n := len(rc.received()); n < 2 {
			t.Fatalf("%d deliveries before any outcome is recorded, want max_concurrency 2 at least", n)
		}
		close(s.gate)
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 6 {
			t.Errorf("%d deliveries a second after the outcomes were recorded, want all 6 (the poll is hourly)", n)
		}
		if got := inFlight.most.Load(); got > 2 {
			t.Errorf("%d attempts at once, want max_concurrency 2 at most", got)
		}
	})
}

// recorderHeldStore is a batchStore whose Complete, the recorder's write,
// waits for gate; CompleteAndLease is not held, and counts the outcomes
// it records.
type recorderHeldStore struct {
	batchStore
	gate     chan struct{}
	viaLease *atomic.Int64
}

func (s recorderHeldStore) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	<-s.gate
	return s.batchStore.Complete(ctx, outcomes)
}

func (s recorderHeldStore) CompleteAndLease(ctx context.Context, outcomes []store.Outcome, now time.Time, reqs []store.LeaseRequest) ([]error, []store.Leased, error) {
	s.viaLease.Add(int64(len(outcomes)))
	return s.batchStore.CompleteAndLease(ctx, outcomes, now, reqs)
}

// TestRouter_Run_LeaseRecordsQueuedOutcomes: with a shared store that
// leases in batches, a max_concurrency slot is free when its attempt
// ends, not when its outcome is recorded: while the recorder is stuck,
// every delivery goes on, two at a time at most, and the outcomes that
// wait for the recorder are recorded by the scheduler's next lease, in
// the same call (CompleteAndLease). Once the recorder is free, every
// outcome is stored.
func TestRouter_Run_LeaseRecordsQueuedOutcomes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := memory.New()
		s := recorderHeldStore{batchStore{m, m}, make(chan struct{}), new(atomic.Int64)}
		var inFlight peak
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			defer inFlight.enter()()
			return status(200)
		}}
		a, ids := cappedBacklog(t, s, rc, 2, 6)
		runRouter(t, a)
		synctest.Wait()
		if n := len(rc.received()); n != 6 {
			t.Fatalf("%d deliveries while the recorder waits, want all 6", n)
		}
		// The recorder holds its first batch; the outcomes after it ride
		// on the leases of the deliveries that follow them.
		if got := s.viaLease.Load(); got < 1 {
			t.Errorf("%d outcomes recorded by leases, want some", got)
		}
		if got := inFlight.most.Load(); got > 2 {
			t.Errorf("%d attempts at once, want max_concurrency 2 at most", got)
		}
		close(s.gate)
		synctest.Wait()
		for _, id := range ids {
			if st := eventStatus(t, a, id); st != store.EventDelivered {
				t.Errorf("event %s is %s once the recorder is free, want delivered", id, st)
			}
		}
	})
}
