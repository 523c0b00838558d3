package hookstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// lines returns the records with message msg, each as its attributes.
func (h *logRecorder) lines(msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records {
		if r.Message != msg {
			continue
		}
		attrs := map[string]string{"level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// wantFields checks that a line has the fields (and maybe more).
func wantFields(t *testing.T, line, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %q, want %q (line %v)", k, line[k], v, line)
		}
	}
}

func TestLogs_CircuitChanges(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(503) }}
		r, srcID := deliverySetupConfig(t, rc, &Config{Logger: slog.New(logs)}, DestinationParams{
			RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{1}, RetryMaxAttempts: ptr(10),
			CircuitBreakerResetMS: ptr(60000),
		}, ConnectionParams{})
		for i := range 5 {
			ingest(t, r, srcID, fmt.Sprintf(`{"n":%d}`, i))
		}
		runRouter(t, r)
		time.Sleep(30 * time.Second) // five failures open the circuit
		synctest.Wait()
		dsts, _ := r.ListDestinations(context.Background(), ListParams{})
		dstID := dsts.Items[0].ID
		lines := logs.lines("hookstream: circuit changed")
		if len(lines) != 1 {
			t.Fatalf("circuit lines = %v, want one", lines)
		}
		wantFields(t, lines[0], map[string]string{
			"level": "INFO", "destination_id": dstID, "from": store.CircuitClosed, "to": store.CircuitOpen, "failures": "5",
		})
		if lines[0]["next_probe_at"] == "" {
			t.Errorf("an opened circuit's line says not when it probes: %v", lines[0])
		}
		if _, err := r.ResetCircuit(context.Background(), dstID); err != nil {
			t.Fatal(err)
		}
		if lines = logs.lines("hookstream: circuit changed"); len(lines) != 2 {
			t.Fatalf("circuit lines after a reset = %v, want two", lines)
		}
		wantFields(t, lines[1], map[string]string{"from": store.CircuitOpen, "to": store.CircuitClosed, "failures": "0"})
	})
}

func TestLogs_DeadLetter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(500) }}
		r, srcID := deliverySetupConfig(t, rc, &Config{Logger: slog.New(logs)}, DestinationParams{
			RetryEnabled: ptr(false),
		}, ConnectionParams{})
		evID := ingest(t, r, srcID, `{}`)
		runRouter(t, r)
		time.Sleep(time.Second)
		synctest.Wait()
		lines := logs.lines("hookstream: delivery dead-lettered")
		if len(lines) != 1 {
			t.Fatalf("dead-letter lines = %v, want one", lines)
		}
		ds := deliveriesOf(t, r, evID)
		wantFields(t, lines[0], map[string]string{
			"level": "WARN", "event_id": evID, "delivery_id": ds[0].ID, "destination_id": ds[0].DestinationID,
			"attempt": "1", "reason": "receiver answered 500",
		})
	})
}

func TestErrorLog_RateLimited(t *testing.T) {
	t.Parallel()
	logs := &logRecorder{}
	now := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	l := newErrorLog(slog.New(logs), func() time.Time { return now })
	step := func(d time.Duration, msgs ...string) {
		for _, m := range msgs {
			l.error(m, "error", "disk on fire")
		}
		now = now.Add(d)
	}
	step(time.Second, "lease", "lease", "save circuit") // lease logged, once suppressed; save circuit logged
	step(8*time.Second, "lease")                        // suppressed (1 s after)
	step(time.Second, "lease")                          // suppressed (9 s after)
	step(time.Second, "lease")                          // 10 s after: logged, with 3 suppressed
	step(0, "save circuit")                             // 11 s after its first: logged, none suppressed
	lease, save := logs.lines("lease"), logs.lines("save circuit")
	if len(lease) != 2 || len(save) != 2 {
		t.Fatalf("lines: lease %v, save circuit %v; want two of each", lease, save)
	}
	wantFields(t, lease[0], map[string]string{"level": "ERROR", "error": "disk on fire", "suppressed": ""})
	wantFields(t, lease[1], map[string]string{"suppressed": "3"})
	wantFields(t, save[1], map[string]string{"suppressed": ""})
}

// TestLogs_StoreFailuresRateLimited runs the scheduler on a store whose
// DueDestinations fails for two minutes: one line per 10 s at most, the
// later ones counting what they left out.
func TestLogs_StoreFailuresRateLimited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		fs := &failingStore{Store: memory.New(), failing: true}
		t.Cleanup(func() { fs.Close() })
		r, err := New(fs, &Config{Logger: slog.New(logs), PollInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		fs.mu.Lock()
		calls := len(fs.calls)
		fs.mu.Unlock()
		lines := logs.lines("hookstream: lease due deliveries")
		if len(lines) == 0 || len(lines) > 13 || len(lines) >= calls {
			t.Fatalf("%d lines for %d failures in 2 minutes, want at most one per 10 s", len(lines), calls)
		}
		suppressed := 0
		for _, l := range lines {
			var n int
			fmt.Sscan(l["suppressed"], &n)
			suppressed += n
		}
		if suppressed == 0 || len(lines)+suppressed > calls {
			t.Errorf("%d lines + %d suppressed for %d failures, want some suppressed, none counted twice", len(lines), suppressed, calls)
		}
	})
}

// listFailingStore fails every listing of events and of attempts.
type listFailingStore struct{ store.Store }

func (listFailingStore) ListEvents(context.Context, store.EventQuery) (store.EventPage, error) {
	return store.EventPage{}, errors.New("disk on fire")
}

func (listFailingStore) ListAttempts(context.Context, store.AttemptQuery) ([]*store.Attempt, int, error) {
	return nil, 0, errors.New("disk on fire")
}

// TestLogs_InternalErrorsRateLimitedPerRoute fails two endpoints again and
// again: each route's failures are logged on their own (one does not hide
// the other), each at most once per StoreErrorLogInterval.
func TestLogs_InternalErrorsRateLimitedPerRoute(t *testing.T) {
	t.Parallel()
	logs := &logRecorder{}
	s := listFailingStore{memory.New()}
	t.Cleanup(func() { s.Close() })
	r, err := New(s, &Config{Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, path := range []string{"/v1/events", "/v1/delivery-attempts"} {
			if c := call(t, r, http.MethodGet, path, testKey, nil); c.status != http.StatusInternalServerError {
				t.Fatalf("GET %s: status %d, want 500\n%s", path, c.status, c.body)
			}
		}
	}
	lines := logs.lines("hookstream: internal error")
	if len(lines) != 2 {
		t.Fatalf("%d lines for 3 failures of each of 2 routes, want one per route: %v", len(lines), lines)
	}
	routes := map[string]bool{}
	for _, l := range lines {
		wantFields(t, l, map[string]string{"level": "ERROR"})
		if !strings.HasSuffix(l["error"], "disk on fire") {
			t.Errorf("error = %q, want the store's", l["error"])
		}
		routes[l["route"]] = true
	}
	if !routes["GET /v1/events"] || !routes["GET /v1/delivery-attempts"] {
		t.Errorf("routes logged: %v, want GET /v1/events and GET /v1/delivery-attempts", routes)
	}
}
