package hookstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// receiver is a scripted in-process destination: a Provider that records
// every call and answers what its script says.
type receiver struct {
	mu     sync.Mutex
	calls  []receivedCall
	answer func(n int, msg *Message) (*Response, error) // n counts calls from 1
}

type receivedCall struct {
	at      time.Time
	attempt int
	eventID string
	body    string
}

func (rc *receiver) Validate(*store.Destination) error { return nil }

func (rc *receiver) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	rc.mu.Lock()
	rc.calls = append(rc.calls, receivedCall{at: time.Now(), attempt: msg.Attempt, eventID: msg.EventID, body: string(msg.Body)})
	n := len(rc.calls)
	rc.mu.Unlock()
	return rc.answer(n, msg)
}

func (rc *receiver) received() []receivedCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedCall(nil), rc.calls...)
}

func status(code int) (*Response, error) { return &Response{Status: code, Header: http.Header{}}, nil }

// runRouter starts the scheduler and stops it (waiting for it) at cleanup.
func runRouter(t *testing.T, r *Router) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// deliverySetup makes a router whose destination of type "test" is rc,
// connected to a source, and returns the source ID.
func deliverySetup(t *testing.T, rc *receiver, dst DestinationParams, conn ConnectionParams) (*Router, string) {
	t.Helper()
	return deliverySetupConfig(t, rc, &Config{}, dst, conn)
}

// deliverySetupConfig is deliverySetup with a Config (its Providers are
// replaced by the receiver).
func deliverySetupConfig(t *testing.T, rc *receiver, cfg *Config, dst DestinationParams, conn ConnectionParams) (*Router, string) {
	t.Helper()
	ctx := context.Background()
	cfg.Providers = map[string]Provider{"test": rc}
	r := setup(t, cfg)
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("src")})
	if err != nil {
		t.Fatal(err)
	}
	dst.Name, dst.Type = ptr("receiver"), ptr("test")
	d, err := r.CreateDestination(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	conn.SourceID, conn.DestinationID, conn.Name = src.ID, d.ID, ptr("route")
	if _, err := r.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return r, src.ID
}

// ingest posts body to the source and returns the event ID.
func ingest(t *testing.T, r *Router, sourceID, body string) string {
	t.Helper()
	return ingestResult(t, r, sourceID, body).EventID
}

// ingestResult posts body to the source and returns Ingest's result.
func ingestResult(t *testing.T, r *Router, sourceID, body string) *IngestResult {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/ingest/"+sourceID, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := r.Ingest(context.Background(), sourceID, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func eventStatus(t *testing.T, r *Router, id string) string {
	t.Helper()
	ev, err := r.GetEvent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return string(ev.Status)
}

func TestRouter_Run_RetrySchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(n int, _ *Message) (*Response, error) {
			if n <= 3 {
				return status(500)
			}
			return status(200)
		}}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{})
		start := time.Now()
		evID := ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		time.Sleep(3 * time.Hour) // fake time: the schedule plays out
		synctest.Wait()

		calls := rc.received()
		// Spec §3.3 exponential: retry N waits retry_intervals[N-1].
		wantOffsets := []time.Duration{0, 30 * time.Second, 330 * time.Second, 2130 * time.Second}
		if len(calls) != len(wantOffsets) {
			t.Fatalf("receiver got %d calls, want %d", len(calls), len(wantOffsets))
		}
		for i, c := range calls {
			if got := c.at.Sub(start); got != wantOffsets[i] {
				t.Errorf("attempt %d at +%v, want +%v", i+1, got, wantOffsets[i])
			}
			if c.attempt != i+1 {
				t.Errorf("call %d carried attempt %d", i+1, c.attempt)
			}
		}
		if s := eventStatus(t, r, evID); s != store.EventDelivered {
			t.Errorf("event status %q, want delivered", s)
		}
		page, err := r.ListAttempts(context.Background(), ListAttemptsParams{EventID: evID})
		if err != nil || page.Total != 4 {
			t.Fatalf("attempts: %d, %v", page.Total, err)
		}
		// Newest first: success, then three failures with their next retry.
		triggers := []store.Trigger{store.TriggerRetry, store.TriggerRetry, store.TriggerRetry, store.TriggerInitial}
		for i, a := range page.Items {
			if a.Trigger != triggers[i] || a.AttemptNumber != 4-i {
				t.Errorf("attempt %d: trigger %s number %d", i, a.Trigger, a.AttemptNumber)
			}
		}
		if a := page.Items[1]; a.Status != store.AttemptFailed || a.ResponseStatus != 500 || a.NextRetryAt.Sub(start) != 2130*time.Second {
			t.Errorf("third attempt: %+v", a)
		}
	})
}

func TestRouter_Run_DeadLetterAndManualRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		healthy := false
		var mu sync.Mutex
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			mu.Lock()
			defer mu.Unlock()
			if healthy {
				return status(204)
			}
			return nil, errors.New("connection refused")
		}}
		r, srcID := deliverySetup(t, rc, DestinationParams{
			RetryMaxAttempts: ptr(2), RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{10}, CircuitBreakerEnabled: ptr(false),
		}, ConnectionParams{})
		evID := ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		time.Sleep(time.Hour)
		synctest.Wait()

		if n := len(rc.received()); n != 3 {
			t.Fatalf("receiver got %d calls, want 1 + 2 retries", n)
		}
		if s := eventStatus(t, r, evID); s != store.EventFailed {
			t.Errorf("event status %q, want failed", s)
		}
		dlq, err := r.ListAttempts(context.Background(), ListAttemptsParams{DLQOnly: true})
		if err != nil || dlq.Total != 1 {
			t.Fatalf("DLQ attempts: %d, %v", dlq.Total, err)
		}
		last := dlq.Items[0]
		if !last.IsDLQ || last.DLQAt.IsZero() || last.AttemptNumber != 3 || last.Error != "connection refused" {
			t.Errorf("dead-lettered attempt: %+v", last)
		}

		mu.Lock()
		healthy = true
		mu.Unlock()
		retried, err := r.RetryAttempt(context.Background(), last.ID)
		if err != nil {
			t.Fatal(err)
		}
		if retried.Status != store.AttemptSuccess || retried.Trigger != store.TriggerManual || retried.AttemptNumber != 4 {
			t.Errorf("manual retry: %+v", retried)
		}
		if s := eventStatus(t, r, evID); s != store.EventDelivered {
			t.Errorf("event status after manual retry %q, want delivered", s)
		}
	})
}

func TestRouter_Run_GoneAndRetryAfter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(n int, msg *Message) (*Response, error) {
			switch {
			case strings.Contains(string(msg.Body), "gone"):
				return status(410)
			case n == 1:
				res, _ := status(429)
				res.Header.Set("Retry-After", "120")
				return res, nil
			}
			return status(200)
		}}
		r, srcID := deliverySetup(t, rc, DestinationParams{MaxConcurrency: ptr(1)}, ConnectionParams{})
		start := time.Now()
		slow := ingest(t, r, srcID, `{"kind":"slow"}`)
		runRouter(t, r)
		time.Sleep(time.Hour)
		synctest.Wait()
		gone := ingest(t, r, srcID, `{"kind":"gone"}`)
		time.Sleep(time.Hour)
		synctest.Wait()

		calls := rc.received()
		if len(calls) != 3 {
			t.Fatalf("calls = %d, want 3", len(calls))
		}
		// Retry-After 120 s beats the first interval (30 s).
		if got := calls[1].at.Sub(start); got != 120*time.Second {
			t.Errorf("retry after 429 at +%v, want +120s", got)
		}
		if s := eventStatus(t, r, slow); s != store.EventDelivered {
			t.Errorf("slow event %q", s)
		}
		if s := eventStatus(t, r, gone); s != store.EventFailed {
			t.Errorf("410 event %q, want failed at once", s)
		}
	})
}

func TestRouter_Run_CircuitBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		up := false
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			mu.Lock()
			defer mu.Unlock()
			if up {
				return status(200)
			}
			return status(503)
		}}
		r, srcID := deliverySetup(t, rc, DestinationParams{
			MaxConcurrency: ptr(1), RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{1}, RetryMaxAttempts: ptr(10),
			CircuitBreakerResetMS: ptr(60000),
		}, ConnectionParams{})
		ctx := context.Background()
		var events []string
		for i := range 20 {
			events = append(events, ingest(t, r, srcID, fmt.Sprintf(`{"n":%d}`, i)))
		}
		runRouter(t, r)
		time.Sleep(30 * time.Second) // five failures open the circuit
		synctest.Wait()

		dst, _ := r.ListDestinations(ctx, ListParams{})
		c, err := r.GetCircuit(ctx, dst.Items[0].ID)
		if err != nil || c.State != store.CircuitOpen || c.FailureCount != 5 {
			t.Fatalf("circuit = %+v, %v; want open after 5 failures", c, err)
		}
		opened := len(rc.received())
		if opened != 5 {
			t.Errorf("calls before opening = %d, want 5", opened)
		}
		time.Sleep(29 * time.Second) // still open at +59s: nothing is attempted
		synctest.Wait()
		if n := len(rc.received()); n != opened {
			t.Errorf("calls while open = %d, want none", n-opened)
		}
		time.Sleep(2 * time.Second) // the probe fails: open again
		synctest.Wait()
		if n := len(rc.received()); n != opened+1 {
			t.Errorf("probe calls = %d, want 1", n-opened)
		}
		mu.Lock()
		up = true
		mu.Unlock()
		time.Sleep(2 * time.Minute) // the next probe succeeds and the queue drains
		synctest.Wait()

		for _, id := range events {
			if s := eventStatus(t, r, id); s != store.EventDelivered {
				t.Errorf("event %s %q, want delivered", id, s)
			}
		}
		// Every call is an attempt, and nothing was attempted while open.
		page, _ := r.ListAttempts(ctx, ListAttemptsParams{ListParams: ListParams{Limit: 100}})
		if page.Total != len(rc.received()) {
			t.Errorf("attempts %d, receiver calls %d: want equal", page.Total, len(rc.received()))
		}
		if c, _ := r.GetCircuit(ctx, dst.Items[0].ID); c.State != store.CircuitClosed {
			t.Errorf("circuit after recovery = %s", c.State)
		}
	})
}

func TestRouter_Run_PausedConnectionHolds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{Status: ptr(StatusPaused)})
		ctx := context.Background()
		evID := ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(rc.received()); n != 0 {
			t.Fatalf("paused connection delivered %d", n)
		}
		conns, _ := r.ListConnections(ctx, ListConnectionsParams{})
		if _, err := r.UpdateConnection(ctx, conns.Items[0].ID, ConnectionParams{Status: ptr(StatusActive)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 1 || eventStatus(t, r, evID) != store.EventDelivered {
			t.Errorf("after resume: %d calls, status %s", n, eventStatus(t, r, evID))
		}
	})
}

func TestRouter_Run_TransformFailureDeadLetters(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{
			TransformEnabled: ptr(true), TransformExpression: ptr(`$number("n/a")`), // D3030
		})
		evID := ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := len(rc.received()); n != 0 {
			t.Errorf("a failed transform was delivered %d times", n)
		}
		page, _ := r.ListAttempts(context.Background(), ListAttemptsParams{EventID: evID})
		if page.Total != 1 || !page.Items[0].IsDLQ || !strings.Contains(page.Items[0].Error, "transform") {
			t.Fatalf("attempts = %+v", page.Items)
		}
		// Fixing the expression and retrying re-runs the current transform.
		conns, _ := r.ListConnections(context.Background(), ListConnectionsParams{})
		if _, err := r.UpdateConnection(context.Background(), conns.Items[0].ID, ConnectionParams{TransformExpression: ptr(`{"v": n}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RetryEvent(context.Background(), evID); err != nil {
			t.Fatal(err)
		}
		if calls := rc.received(); len(calls) != 1 || calls[0].body != `{"v":1}` {
			t.Errorf("after fix: %+v", calls)
		}
	})
}

func TestRouter_Run_MaxConcurrency(t *testing.T) {
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
		r, srcID := deliverySetup(t, rc, DestinationParams{MaxConcurrency: ptr(3)}, ConnectionParams{})
		for i := range 10 {
			ingest(t, r, srcID, fmt.Sprintf(`{"n":%d}`, i))
		}
		runRouter(t, r)
		synctest.Wait()
		mu.Lock()
		if inFlight != 3 {
			t.Errorf("in flight = %d, want max_concurrency 3", inFlight)
		}
		mu.Unlock()
		close(release)
		time.Sleep(time.Second)
		synctest.Wait()
		if peak != 3 || len(rc.received()) != 10 {
			t.Errorf("peak %d calls %d, want 3 and 10", peak, len(rc.received()))
		}
	})
}

func TestRouter_Run_TransformsFormBodies(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{
			TransformEnabled: ptr(true), TransformExpression: ptr(`{"from": From, "body": Body}`),
		})
		req := httptest.NewRequest("POST", "/v1/ingest/"+srcID, strings.NewReader("From=%2B15550001&Body=hello+there"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := r.Ingest(context.Background(), srcID, req); err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)
		time.Sleep(time.Second)
		synctest.Wait()
		if calls := rc.received(); len(calls) != 1 || calls[0].body != `{"from":"+15550001","body":"hello there"}` {
			t.Errorf("calls = %+v", calls)
		}
	})
}

func TestRouter_DeleteConnection_ReleasesHeld(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{Status: ptr(StatusPaused)})
		evID := ingest(t, r, srcID, `{"n":1}`)
		runRouter(t, r)
		conns, _ := r.ListConnections(context.Background(), ListConnectionsParams{})
		if err := r.DeleteConnection(context.Background(), conns.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 1 || eventStatus(t, r, evID) != store.EventDelivered {
			t.Errorf("after delete: %d calls, status %s", n, eventStatus(t, r, evID))
		}
	})
}

// failingStore fails DueDestinations while failing is set, counting calls.
type failingStore struct {
	store.Store
	mu      sync.Mutex
	failing bool
	calls   []time.Time
}

func (s *failingStore) DueDestinations(ctx context.Context, now time.Time) ([]string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		s.calls = append(s.calls, time.Now())
		return nil, time.Time{}, errors.New("disk on fire")
	}
	return s.Store.DueDestinations(ctx, now)
}

func TestRouter_Run_BacksOffWhileTheStoreFails(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		fs := &failingStore{Store: memory.New(), failing: true}
		t.Cleanup(func() { fs.Close() })
		r, err := New(fs, &Config{Providers: map[string]Provider{"test": rc}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		src, _ := r.CreateSource(ctx, SourceParams{Name: ptr("s")})
		dst, _ := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), Type: ptr("test")})
		r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")})
		evID := ingest(t, r, src.ID, `{}`)
		runRouter(t, r)
		time.Sleep(2 * time.Minute)
		synctest.Wait()

		fs.mu.Lock()
		calls := len(fs.calls)
		fs.failing = false
		fs.mu.Unlock()
		// Polling every second would have made ~120 calls; backing off
		// (1 s growing to 30 s) makes far fewer.
		if calls < 5 || calls > 20 {
			t.Errorf("store calls while failing = %d, want a backed-off handful", calls)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if s := eventStatus(t, r, evID); s != store.EventDelivered {
			t.Errorf("after the store recovered: %s", s)
		}
	})
}

// slowRecorderStore is a memory store (a local queue) whose Complete waits
// for its gate to open.
type slowRecorderStore struct {
	*memory.Store
	gate  chan struct{}
	first *atomic.Int64 // how many outcomes the first Complete was given
}

func (s slowRecorderStore) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	s.first.CompareAndSwap(0, int64(len(outcomes)))
	<-s.gate
	return s.Store.Complete(ctx, outcomes)
}

// TestRouter_Run_WorkersDoNotWaitForTheRecorder: while the store takes
// its time to record outcomes, a worker goes on attempting deliveries, up
// to recorderBacklog outcomes per worker waiting, and then waits; nothing
// is lost once the store catches up.
func TestRouter_Run_WorkersDoNotWaitForTheRecorder(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		s := slowRecorderStore{memory.New(), make(chan struct{}), new(atomic.Int64)}
		t.Cleanup(func() { s.Close() })
		r, err := New(s, &Config{Workers: 1, Providers: map[string]Provider{"test": rc}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		src, _ := r.CreateSource(ctx, SourceParams{Name: ptr("s")})
		dst, _ := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), Type: ptr("test")})
		if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
			t.Fatal(err)
		}
		const events = 10
		for range events {
			ingest(t, r, src.ID, `{}`)
		}
		runRouter(t, r)
		synctest.Wait() // the recorder's first batch waits at the gate; the worker goes on
		// The outcomes in the store's Complete (the recorder takes every
		// one queued when it starts), recorderBacklog waiting for the
		// recorder, and at most the worker's own, which it holds.
		held := int(s.first.Load())
		lo, hi := min(events, held+recorderBacklog), min(events, held+recorderBacklog+1)
		if n := len(rc.received()); held == 0 || n < lo || n > hi {
			t.Errorf("one worker made %d attempts while the store recorded none (its first write holds %d), want %d to %d", n, held, lo, hi)
		}
		close(s.gate)
		synctest.Wait()
		if n := len(rc.received()); n != events {
			t.Errorf("%d deliveries once the store recorded, want %d", n, events)
		}
	})
}
