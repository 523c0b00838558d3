package hookstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// The fault tests deliver over real loopback sockets to receivers that
// misbehave the way real ones do — answering after the destination's
// timeout, resetting connections, bursting 5xx, asking for Retry-After,
// answering 410 Gone, sending 50 MiB bodies, presenting a certificate the
// engine does not trust — and check the engine against spec §3.3: what is
// retried, what is dead-lettered at once, when retries come, what each
// attempt records, and that every event ends delivered or dead-lettered,
// nothing lost and nothing left pending. Real sockets rule out
// testing/synctest: retry intervals are the shortest allowed (1 s) and the
// tests poll the store with a deadline.
//
// HOOKSTREAM_FAULTS=full runs every scenario with 20 times the events.

// faultSettle bounds how long a scenario may take to settle.
const faultSettle = 30 * time.Second

// faultScale multiplies the events of every scenario: 1, or 20 with
// HOOKSTREAM_FAULTS=full.
func faultScale() int {
	if os.Getenv("HOOKSTREAM_FAULTS") == "full" {
		return 20
	}
	return 1
}

// faultRequest is one request a fault receiver got.
type faultRequest struct {
	n       int // over all requests of the receiver, from 1
	eventID string
	attempt int // X-hookstream-Delivery-Attempt
	body    string
}

// faultReceiver is a loopback HTTP receiver whose handler misbehaves as
// its scenario says. It records every request, and how many it was
// handling at once.
type faultReceiver struct {
	srv    *httptest.Server
	handle func(rq faultRequest, w http.ResponseWriter, req *http.Request)

	mu        sync.Mutex
	requests  []faultRequest
	inFlight  int
	peak      int
	processed map[string]int // events the handler finished with a 2xx (even too late)
}

func newFaultReceiver(t *testing.T, handle func(rq faultRequest, w http.ResponseWriter, req *http.Request)) *faultReceiver {
	fr := &faultReceiver{handle: handle, processed: map[string]int{}}
	fr.srv = httptest.NewServer(fr)
	t.Cleanup(fr.srv.Close)
	return fr
}

func (fr *faultReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	attempt, _ := strconv.Atoi(req.Header.Get("X-hookstream-Delivery-Attempt"))
	fr.mu.Lock()
	rq := faultRequest{n: len(fr.requests) + 1, eventID: req.Header.Get("X-hookstream-Event-Id"), attempt: attempt, body: string(body)}
	fr.requests = append(fr.requests, rq)
	fr.inFlight++
	fr.peak = max(fr.peak, fr.inFlight)
	fr.mu.Unlock()
	defer func() {
		fr.mu.Lock()
		fr.inFlight--
		fr.mu.Unlock()
	}()
	fr.handle(rq, w, req)
}

// ok answers 200 and counts the event as processed.
func (fr *faultReceiver) ok(rq faultRequest, w http.ResponseWriter) {
	fr.mu.Lock()
	fr.processed[rq.eventID]++
	fr.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (fr *faultReceiver) got() []faultRequest {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return slices.Clone(fr.requests)
}

// faultRouter makes a Router on a memory store that may deliver to
// loopback, with one source connected to an http destination at url, and
// returns it with the source's ID. dst's URL and name are set here; its
// circuit breaker is off unless dst enables it, so that a scenario's
// failures are not held by an open circuit.
func faultRouter(t *testing.T, cfg *Config, url string, dst DestinationParams) (*Router, string) {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	cfg.AllowPrivateNetworks = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	r := setup(t, cfg)
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("faults")})
	if err != nil {
		t.Fatal(err)
	}
	dst.Name, dst.URL = ptr("faulty receiver"), ptr(url)
	if dst.CircuitBreakerEnabled == nil {
		dst.CircuitBreakerEnabled = ptr(false)
	}
	if dst.RetryBackoffType == nil {
		dst.RetryBackoffType, dst.RetryIntervals = ptr(BackoffType("fixed")), []int{1}
	}
	d, err := r.CreateDestination(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: d.ID, Name: ptr("faults")}); err != nil {
		t.Fatal(err)
	}
	return r, src.ID
}

// ingestN ingests n events {"n": i} and returns their IDs in order.
func ingestN(t *testing.T, r *Router, sourceID string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ingest(t, r, sourceID, fmt.Sprintf(`{"n":%d}`, i))
	}
	return ids
}

// settled is an event once nothing more can happen to it.
type settled struct {
	ev       *Event
	attempts []*Attempt // oldest first
}

// settle waits until every event is delivered or failed with none of its
// deliveries pending, and returns each with its attempts. It fails the
// test when one is still pending after faultSettle: an event stuck.
func settle(t *testing.T, r *Router, ids []string) map[string]settled {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(faultSettle)
	out := map[string]settled{}
	for {
		pending := ""
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			ev, err := r.GetEvent(ctx, id)
			if err != nil {
				t.Fatalf("event %s: %v", id, err)
			}
			ds, err := r.Store().ListDeliveries(ctx, Tenant{OrgID: ev.OrgID, EnvID: ev.EnvID}, id)
			if err != nil {
				t.Fatal(err)
			}
			done := ev.Status == store.EventDelivered || ev.Status == store.EventFailed
			for _, d := range ds {
				done = done && d.State != store.DeliveryPending
			}
			if !done {
				pending = fmt.Sprintf("event %s is %s, deliveries %+v", id, ev.Status, ds)
				continue
			}
			page, err := r.ListAttempts(ctx, ListAttemptsParams{EventID: id, ListParams: ListParams{Limit: MaxPageLimit}})
			if err != nil {
				t.Fatal(err)
			}
			as := page.Items
			slices.Reverse(as)
			out[id] = settled{ev: ev, attempts: as}
		}
		if pending == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled within %v (stuck pending): %s", faultSettle, pending)
		}
		time.Sleep(10 * time.Millisecond) // polling the store
	}
	for id, s := range out {
		checkSettled(t, id, s)
	}
	return out
}

// checkSettled checks what every settled event must satisfy: attempts
// numbered 1, 2, …; a delivered event's last attempt succeeded and no
// other did; a failed event's last attempt is its only dead letter, and
// every attempt but the last says when it is retried.
func checkSettled(t *testing.T, id string, s settled) {
	t.Helper()
	as := s.attempts
	if len(as) == 0 {
		t.Errorf("event %s is %s without an attempt", id, s.ev.Status)
		return
	}
	for i, a := range as {
		if a.AttemptNumber != i+1 {
			t.Errorf("event %s: attempt %d numbered %d", id, i+1, a.AttemptNumber)
		}
		last := i == len(as)-1
		if !last && (a.Status != store.AttemptFailed || a.IsDLQ || a.NextRetryAt.IsZero() || a.Error == "") {
			t.Errorf("event %s: attempt %d is %s (dlq %v, next retry %v, error %q), want failed with a retry and an error",
				id, i+1, a.Status, a.IsDLQ, a.NextRetryAt, a.Error)
		}
	}
	last := as[len(as)-1]
	switch s.ev.Status {
	case store.EventDelivered:
		if last.Status != store.AttemptSuccess || last.IsDLQ {
			t.Errorf("event %s delivered, but its last attempt is %+v", id, last)
		}
	case store.EventFailed:
		if last.Status != store.AttemptFailed || !last.IsDLQ || last.DLQAt.IsZero() || last.Error == "" {
			t.Errorf("event %s failed, but its last attempt is not a dead letter with an error: %+v", id, last)
		}
	}
}

// faultTable collects one row per scenario for the log (go test -v).
type faultTable struct {
	mu   sync.Mutex
	rows []string
}

func (ft *faultTable) add(scenario, spec string, events int, res map[string]settled, note string) {
	attempts, delivered, dead := 0, 0, 0
	var errs []string
	for _, s := range res {
		attempts += len(s.attempts)
		if s.ev.Status == store.EventDelivered {
			delivered++
		} else {
			dead++
		}
		for _, a := range s.attempts {
			if e := plainError(a.Error); e != "" && !slices.Contains(errs, e) {
				errs = append(errs, e)
			}
		}
	}
	slices.Sort(errs)
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.rows = append(ft.rows, fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %s | %s |",
		scenario, spec, events, attempts, delivered, dead, strings.Join(errs, "; "), note))
}

func (ft *faultTable) String() string {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	slices.Sort(ft.rows)
	return "| scenario | spec §3.3 | events | attempts | delivered | dead-lettered | recorded errors | notes |\n" +
		"|---|---|---|---|---|---|---|---|\n" + strings.Join(ft.rows, "\n")
}

var loopbackAddr = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// plainError is an attempt's error without its URL and ports, for the
// table: `Post "http://127.0.0.1:41234": context deadline exceeded` →
// `context deadline exceeded`.
func plainError(s string) string {
	if rest, ok := strings.CutPrefix(s, `Post "`); ok {
		if _, after, ok := strings.Cut(rest, `": `); ok {
			s = after
		}
	}
	return loopbackAddr.ReplaceAllString(s, "127.0.0.1:port")
}

// TestRouter_Run_Faults runs each fault scenario against its own Router
// and receiver, in parallel; with -v it logs the outcomes as a table.
func TestRouter_Run_Faults(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers over loopback sockets with real retry intervals (~4 s)")
	}
	t.Parallel()
	scale := faultScale()
	table := &faultTable{}
	t.Cleanup(func() { t.Logf("fault outcomes:\n%s", table) })

	// An answer after the timeout is a failure with an error, retried; the
	// receiver that did the work anyway gets the event again.
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		const timeoutMS = 250
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			if rq.attempt == 1 {
				time.Sleep(2 * timeoutMS * time.Millisecond) // the receiver's slow work
			}
			fr.ok(rq, w)
		})
		n := 3 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{TimeoutMS: ptr(timeoutMS), RetryMaxAttempts: ptr(2)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventDelivered || len(s.attempts) != 2 {
				t.Errorf("event %s: %s after %d attempts, want delivered after 2", id, s.ev.Status, len(s.attempts))
				continue
			}
			a := s.attempts[0]
			if a.ResponseStatus != 0 || !strings.Contains(a.Error, "deadline exceeded") || a.DurationMS < timeoutMS || a.DurationMS > 5000 {
				t.Errorf("event %s: timed-out attempt status %d, error %q, %d ms; want no status, a deadline error, about %d ms",
					id, a.ResponseStatus, a.Error, a.DurationMS, timeoutMS)
			}
		}
		// Wait for the late handlers to finish before counting.
		waitUntil(t, func() bool {
			fr.mu.Lock()
			defer fr.mu.Unlock()
			return fr.inFlight == 0 && len(fr.processed) == n
		})
		fr.mu.Lock()
		dups := 0
		for id, c := range fr.processed {
			if c != 2 {
				t.Errorf("event %s processed %d times by the receiver, want 2 (late 2xx, then the retry)", id, c)
			}
			dups += c - 1
		}
		fr.mu.Unlock()
		table.add("timeout", "failure, retried", n, res, fmt.Sprintf("timeout_ms %d, receiver answers 200 after %d ms on attempt 1: %d duplicates at the receiver", timeoutMS, 2*timeoutMS, dups))
	})

	// A connection reset (RST, SO_LINGER 0) is a failure without a
	// response, retried.
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			if rq.attempt <= 2 {
				resetConn(t, w)
				return
			}
			fr.ok(rq, w)
		})
		n := 3 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(3)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventDelivered || len(s.attempts) != 3 {
				t.Errorf("event %s: %s after %d attempts, want delivered after 3", id, s.ev.Status, len(s.attempts))
				continue
			}
			for _, a := range s.attempts[:2] {
				if a.ResponseStatus != 0 || !(strings.Contains(a.Error, "reset") || strings.Contains(a.Error, "EOF")) {
					t.Errorf("event %s: reset attempt status %d, error %q; want no status, a reset error", id, a.ResponseStatus, a.Error)
				}
			}
		}
		table.add("connection reset", "failure, retried", n, res, "RST (SO_LINGER 0) on attempts 1 and 2, 200 on 3")
	})

	// A reset after a 200 status line, the body cut short: the receiver's
	// verdict (2xx) arrived, so the attempt is a success, with the part of
	// the body that came.
	t.Run("reset after 200", func(t *testing.T) {
		t.Parallel()
		fr := newFaultReceiver(t, func(_ faultRequest, w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
			buf.Flush()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		})
		n := 2 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(3)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventDelivered || len(s.attempts) != 1 || s.attempts[0].ResponseStatus != 200 || s.attempts[0].ResponseBody != "partial" {
				t.Errorf("event %s: %s after %d attempts (%+v), want delivered after 1", id, s.ev.Status, len(s.attempts), s.attempts)
			}
		}
		table.add("reset after a 200 status line", "success: the 2xx arrived", n, res, "Content-Length 1000, 7 bytes, then RST: delivered at once, the 7 bytes recorded")
	})

	// A burst of 5xx: failures, retried; the burst opens the circuit,
	// whose probe closes it again once the receiver recovers. Every
	// request is an attempt, and nothing is attempted while it is open.
	t.Run("5xx burst", func(t *testing.T) {
		t.Parallel()
		const burst = 7
		codes := []int{500, 502, 503, 504}
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			if rq.n <= burst {
				w.WriteHeader(codes[rq.n%len(codes)])
				return
			}
			fr.ok(rq, w)
		})
		n := 6 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{
			RetryMaxAttempts: ptr(10), CircuitBreakerEnabled: ptr(true), CircuitBreakerThreshold: ptr(5), CircuitBreakerResetMS: ptr(1000),
		})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		attempts := 0
		for id, s := range res {
			attempts += len(s.attempts)
			if s.ev.Status != store.EventDelivered {
				t.Errorf("event %s: %s, want delivered", id, s.ev.Status)
			}
			for _, a := range s.attempts[:len(s.attempts)-1] {
				if a.ResponseStatus < 500 || a.Error != fmt.Sprintf("receiver answered %d", a.ResponseStatus) {
					t.Errorf("event %s: failed attempt status %d, error %q", id, a.ResponseStatus, a.Error)
				}
			}
		}
		if got := len(fr.got()); attempts != got || attempts != n+burst {
			t.Errorf("%d attempts recorded, %d requests received; want both %d (%d failures, one success per event)", attempts, got, n+burst, burst)
		}
		dsts, err := r.ListDestinations(context.Background(), ListParams{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.GetCircuit(context.Background(), dsts.Items[0].ID)
		if err != nil || c.State != store.CircuitClosed {
			t.Errorf("circuit after recovery: %+v, %v; want closed", c, err)
		}
		table.add("5xx burst", "failure, retried; circuit opens and recovers", n, res, fmt.Sprintf("first %d requests answer 500/502/503/504; circuit threshold 5, reset 1 s", burst))
	})

	// Retry-After on 429 and 503 is honoured when longer than the
	// destination's interval (2 s here), not when shorter, and not on other
	// statuses.
	t.Run("retry-after", func(t *testing.T) {
		t.Parallel()
		type answer struct {
			status     int
			retryAfter string
			wait       time.Duration // the expected delay before retry 1
		}
		answers := []answer{
			{http.StatusTooManyRequests, "3", 3 * time.Second},
			{http.StatusServiceUnavailable, "3", 3 * time.Second},
			{http.StatusTooManyRequests, "1", 2 * time.Second}, // shorter: the interval wins
			{http.StatusInternalServerError, "3", 2 * time.Second},
		}
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			var body struct{ N int }
			fmt.Sscanf(rq.body, `{"n":%d}`, &body.N)
			if a := answers[body.N%len(answers)]; rq.attempt == 1 {
				w.Header().Set("Retry-After", a.retryAfter)
				w.WriteHeader(a.status)
				return
			}
			fr.ok(rq, w)
		})
		n := len(answers) * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(2), RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{2}})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for i, id := range ids {
			s, want := res[id], answers[i%len(answers)]
			if s.ev.Status != store.EventDelivered || len(s.attempts) != 2 {
				t.Errorf("event %d (%d, Retry-After %s): %s after %d attempts, want delivered after 2", i, want.status, want.retryAfter, s.ev.Status, len(s.attempts))
				continue
			}
			first, second := s.attempts[0], s.attempts[1]
			// NextRetryAt is the end of the attempt plus the delay.
			delay := first.NextRetryAt.Sub(first.CreatedAt)
			if delay < want.wait || delay > want.wait+time.Duration(first.DurationMS+50)*time.Millisecond {
				t.Errorf("event %d (%d, Retry-After %s): retry scheduled %v after the attempt, want %v", i, want.status, want.retryAfter, delay, want.wait)
			}
			if second.CreatedAt.Before(first.NextRetryAt) {
				t.Errorf("event %d: retried at %v, before its next_retry_at %v", i, second.CreatedAt, first.NextRetryAt)
			}
		}
		table.add("429/503 Retry-After", "honoured when longer, else the interval", n, res,
			"interval 2 s; 429 RA 3 → 3 s, 503 RA 3 → 3 s, 429 RA 1 → 2 s, 500 RA 3 → 2 s (checked on next_retry_at and the retry's time)")
	})

	// A Retry-After beyond 24 h (delay-seconds or an HTTP-date) waits 24 h:
	// the Router's clock is moved past it to see the retry come.
	t.Run("retry-after cap", func(t *testing.T) {
		t.Parallel()
		var offset atomic.Int64 // added to the Router's clock
		now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			if rq.attempt == 1 {
				if strings.Contains(rq.body, `"n":0`) {
					w.Header().Set("Retry-After", "999999999")
				} else {
					w.Header().Set("Retry-After", now().Add(72*time.Hour).UTC().Format(http.TimeFormat))
				}
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			fr.ok(rq, w)
		})
		r, srcID := faultRouter(t, &Config{Now: now, PollInterval: 20 * time.Millisecond}, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(2)})
		ids := ingestN(t, r, srcID, 2)
		runRouter(t, r)
		ctx := context.Background()
		var firsts []*Attempt
		waitUntil(t, func() bool {
			page, err := r.ListAttempts(ctx, ListAttemptsParams{})
			firsts = page.Items
			return err == nil && page.Total == 2
		})
		for _, a := range firsts {
			if d := a.NextRetryAt.Sub(a.CreatedAt); d < 24*time.Hour || d > 24*time.Hour+5*time.Second {
				t.Errorf("Retry-After beyond 24 h: retry scheduled %v after the attempt, want 24h (capped)", d)
			}
		}
		time.Sleep(200 * time.Millisecond) // nothing comes early (polls at 20 ms)
		if got := len(fr.got()); got != 2 {
			t.Errorf("%d requests before the capped wait ended, want 2", got)
		}
		offset.Store(int64(24*time.Hour + time.Second))
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventDelivered || len(s.attempts) != 2 {
				t.Errorf("event %s: %s after %d attempts, want delivered after 2", id, s.ev.Status, len(s.attempts))
			}
		}
		table.add("429 Retry-After > 24 h", "capped at 24 h", 2, res, `RA "999999999" and an HTTP-date 72 h ahead → next_retry_at +24 h; the clock moved 24 h → delivered`)
	})

	// 410 Gone dead-letters at once, though retries are enabled.
	t.Run("410 gone", func(t *testing.T) {
		t.Parallel()
		fr := newFaultReceiver(t, func(_ faultRequest, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusGone)
		})
		n := 3 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(10)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventFailed || len(s.attempts) != 1 || s.attempts[0].ResponseStatus != 410 || s.attempts[0].Error != "receiver answered 410" {
				t.Errorf("event %s: %s after %d attempts (%+v), want failed after 1", id, s.ev.Status, len(s.attempts), s.attempts)
			}
		}
		if got := len(fr.got()); got != n {
			t.Errorf("receiver got %d requests, want %d (one per event)", got, n)
		}
		table.add("410 Gone", "dead-lettered at once", n, res, "retry_max_attempts 10, yet one attempt each")
	})

	// A certificate the engine does not trust fails the TLS handshake: a
	// failure with a clear error, retried, then dead-lettered. The
	// receiver's handler is never reached.
	t.Run("tls", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			t.Error("a request reached the receiver through an untrusted certificate")
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors
		srv.StartTLS()
		t.Cleanup(srv.Close)
		n := 2 * scale
		r, srcID := faultRouter(t, nil, srv.URL, DestinationParams{RetryMaxAttempts: ptr(2)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventFailed || len(s.attempts) != 3 {
				t.Errorf("event %s: %s after %d attempts, want failed after 3", id, s.ev.Status, len(s.attempts))
			}
			for _, a := range s.attempts {
				if a.ResponseStatus != 0 || !strings.Contains(a.Error, "x509: certificate signed by unknown authority") {
					t.Errorf("event %s: attempt status %d, error %q; want a certificate error", id, a.ResponseStatus, a.Error)
				}
			}
		}
		table.add("TLS: untrusted certificate", "failure, retried, then dead letter", n, res, "httptest.NewTLSServer, retry_max_attempts 2")
	})

	// A refused connection (nothing listens) is a failure, retried, then
	// dead-lettered.
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		n := 2 * scale
		r, srcID := faultRouter(t, nil, url, DestinationParams{RetryMaxAttempts: ptr(1)})
		ids := ingestN(t, r, srcID, n)
		runRouter(t, r)
		res := settle(t, r, ids)
		for id, s := range res {
			if s.ev.Status != store.EventFailed || len(s.attempts) != 2 || !strings.Contains(s.attempts[1].Error, "connection refused") {
				t.Errorf("event %s: %s after %d attempts (%+v), want failed after 2 refusals", id, s.ev.Status, len(s.attempts), s.attempts)
			}
		}
		table.add("connection refused", "failure, retried, then dead letter", n, res, "retry_max_attempts 1")
	})

	// The SSRF guard's refusal at dial time is permanent (spec §3.3): the
	// delivery is dead-lettered at once, with an error naming the setting
	// that allows it. The destination is created through a Router that
	// allows private networks; another Router on the same store, which
	// does not, delivers.
	t.Run("ssrf refusal", func(t *testing.T) {
		t.Parallel()
		fr := newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			t.Errorf("the guard let a request for event %s through", rq.eventID)
		})
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		quiet := slog.New(slog.DiscardHandler)
		admin, err := New(s, &Config{AllowPrivateNetworks: true, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		src, err := admin.CreateSource(ctx, SourceParams{Name: ptr("s")})
		if err != nil {
			t.Fatal(err)
		}
		dst, err := admin.CreateDestination(ctx, DestinationParams{
			Name: ptr("loopback"), URL: ptr(fr.srv.URL), RetryMaxAttempts: ptr(3), RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{1},
			CircuitBreakerEnabled: ptr(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
			t.Fatal(err)
		}
		ids := ingestN(t, admin, src.ID, 2*scale)
		guarded, err := New(s, &Config{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		runRouter(t, guarded)
		res := settle(t, guarded, ids)
		for id, s := range res {
			if s.ev.Status != store.EventFailed || len(s.attempts) != 1 || !strings.Contains(s.attempts[0].Error, "AllowPrivateNetworks") {
				t.Errorf("event %s: %s after %d attempts (errors %q), want dead-lettered after 1 with an error naming AllowPrivateNetworks",
					id, s.ev.Status, len(s.attempts), attemptErrors(s.attempts))
			}
		}
		table.add("SSRF guard refusal at dial", "permanent: dead-lettered at once", len(ids), res, "")
	})

	// Spec §3.3: a destination URL whose host is a loopback, private,
	// link-local or metadata literal, or localhost, is refused when it is
	// written (unless the Router allows private networks), naming the
	// setting.
	t.Run("ssrf literal at create", func(t *testing.T) {
		t.Parallel()
		r := setup(t, &Config{Logger: slog.New(slog.DiscardHandler)})
		for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://169.254.169.254/latest", "http://[::1]:8080/"} {
			_, err := r.CreateDestination(context.Background(), DestinationParams{Name: ptr("d " + u), URL: ptr(u)})
			var verr *ValidationError
			if !errors.As(err, &verr) || verr.Field != "url" || !strings.Contains(verr.Reason, "AllowPrivateNetworks") {
				t.Errorf("CreateDestination(%s) = %v, want a ValidationError on url naming AllowPrivateNetworks", u, err)
			}
		}
	})

	// max_concurrency 1: one attempt at a time, first attempts in order;
	// a failed event does not hold the ones after it (its retry comes
	// after them).
	t.Run("max_concurrency 1", func(t *testing.T) {
		t.Parallel()
		var fr *faultReceiver
		fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
			if rq.n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			time.Sleep(2 * time.Millisecond) // the receiver's work, so overlaps would show
			fr.ok(rq, w)
		})
		n := 5 * scale
		r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{MaxConcurrency: ptr(1)})
		ids := ingestN(t, r, srcID, n) // in the store before Run: read oldest first
		runRouter(t, r)
		res := settle(t, r, ids)
		var order []string
		for _, rq := range fr.got() {
			order = append(order, rq.eventID)
		}
		want := append(slices.Clone(ids), ids[0])
		if !slices.Equal(order, want) {
			t.Errorf("requests in the order of events %v, want %v", indexes(order, ids), indexes(want, ids))
		}
		if fr.peak != 1 {
			t.Errorf("%d requests at once, want 1", fr.peak)
		}
		table.add("max_concurrency 1", "one attempt at a time", n, res, "event 0 answered 503 first: events 1… go before its retry (no head-of-line blocking)")
	})
}

// attemptErrors lists the errors of attempts.
func attemptErrors(as []*Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Error
	}
	return out
}

// indexes maps event IDs to their index in ids.
func indexes(got, ids []string) []int {
	out := make([]int, len(got))
	for i, id := range got {
		out[i] = slices.Index(ids, id)
	}
	return out
}

// resetConn ends the request's connection with a TCP reset.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close sends RST
	}
	conn.Close()
}

// waitUntil polls cond until it holds, failing the test after faultSettle.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(faultSettle)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", faultSettle)
		}
		time.Sleep(10 * time.Millisecond) // polling
	}
}

// hugeBody is the size of the huge responses.
const hugeBody = 50 << 20

// TestRouter_Run_HugeResponses delivers to a receiver that answers every
// request with a 50 MiB body (a 500 on the first attempt of one event,
// 200 otherwise): the engine reads a bounded prefix and hangs up, records
// 4 KiB marked truncated, and its memory stays far below the bodies'
// size. It does not run in parallel, so the heap it measures is its own.
func TestRouter_Run_HugeResponses(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 50 MiB responses over loopback")
	}
	chunk := []byte(strings.Repeat("0123456789abcdef", 4<<10)) // 64 KiB
	var sent atomic.Int64                                      // bytes the receiver managed to write
	var maxSent atomic.Int64                                   // the most of one response
	var fr *faultReceiver
	fr = newFaultReceiver(t, func(rq faultRequest, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(hugeBody))
		status := http.StatusOK
		if rq.attempt == 1 && strings.Contains(rq.body, `"n":0`) {
			status = http.StatusInternalServerError
		} else {
			fr.mu.Lock()
			fr.processed[rq.eventID]++
			fr.mu.Unlock()
		}
		w.WriteHeader(status)
		var n int64
		for n < hugeBody {
			k, err := w.Write(chunk)
			n += int64(k)
			if err != nil {
				break // the engine hung up
			}
		}
		sent.Add(n)
		for m := maxSent.Load(); n > m && !maxSent.CompareAndSwap(m, n); m = maxSent.Load() {
		}
	})
	events := 4 * faultScale()
	r, srcID := faultRouter(t, nil, fr.srv.URL, DestinationParams{RetryMaxAttempts: ptr(2)})

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapInuse))
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	ids := ingestN(t, r, srcID, events)
	runRouter(t, r)
	res := settle(t, r, ids)
	close(stopSampling)
	<-sampled
	var end runtime.MemStats
	runtime.ReadMemStats(&end)

	for i, id := range ids {
		s := res[id]
		want := 1
		if i == 0 {
			want = 2
		}
		if s.ev.Status != store.EventDelivered || len(s.attempts) != want {
			t.Errorf("event %d: %s after %d attempts, want delivered after %d", i, s.ev.Status, len(s.attempts), want)
		}
		for _, a := range s.attempts {
			if len(a.ResponseBody) != MaxResponseBody || !a.ResponseBodyTruncated || a.ResponseBody != string(chunk[:MaxResponseBody]) {
				t.Errorf("event %d attempt %d: response_body of %d bytes, truncated %v; want the first %d bytes, marked truncated",
					i, a.AttemptNumber, len(a.ResponseBody), a.ResponseBodyTruncated, MaxResponseBody)
			}
		}
	}
	responses := len(fr.got())
	const limit = 16 << 20 // a third of one response
	heap := int64(peak.Load()) - int64(base.HeapInuse)
	allocated := end.TotalAlloc - base.TotalAlloc
	if heap > limit {
		t.Errorf("heap in use grew by %d MiB during %d responses of %d MiB, want under %d MiB", heap>>20, responses, hugeBody>>20, limit>>20)
	}
	// Allocations grow with the requests made, never with the bodies.
	if perResponse := allocated / uint64(max(responses, 1)); perResponse > 2<<20 {
		t.Errorf("%d KiB allocated per response of %d MiB, want under 2 MiB", perResponse>>10, hugeBody>>20)
	}
	if m := maxSent.Load(); m > hugeBody/2 {
		t.Errorf("the receiver wrote %d MiB of one response before the engine hung up, want a bounded prefix", m>>20)
	}
	t.Logf("%d responses of %d MiB (%d MiB offered): the receiver got %.1f MiB onto the wire in all (at most %.1f MiB of one) before the engine hung up; "+
		"heap in use grew by at most %.1f MiB, %.1f MiB allocated in all",
		responses, hugeBody>>20, responses*hugeBody>>20, float64(sent.Load())/(1<<20), float64(maxSent.Load())/(1<<20),
		float64(max(heap, 0))/(1<<20), float64(allocated)/(1<<20))
}
