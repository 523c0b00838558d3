package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// replaySetup makes a router whose "test" destination is rc, and a source
// without connections holding n events received a millisecond apart (body
// {"n": i}); it returns the source, the destination and the event IDs.
func replaySetup(t *testing.T, r *Router, n int) (srcID, dstID string, events []string) {
	t.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("archive")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("replica"), Type: ptr("test")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		events = append(events, ingest(t, r, src.ID, fmt.Sprintf(`{"n":%d}`, i)))
		time.Sleep(time.Millisecond)
	}
	return src.ID, dst.ID, events
}

// replayRouter is a Router on a memory store delivering to rc.
func replayRouter(t *testing.T, rc *receiver) *Router {
	t.Helper()
	return setup(t, &Config{Providers: map[string]Provider{"test": rc}})
}

func getReplay(t *testing.T, r *Router, id string) *ReplayJob {
	t.Helper()
	job, err := r.GetReplay(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// TestRouter_Replay_RateOnceNoRetry replays 500 events at 50/s: it takes
// 10 s, sends each event once, in order, 20 ms apart, and records the
// failures (every fifth event) as single attempts, never retried.
func TestRouter_Replay_RateOnceNoRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(_ int, msg *Message) (*Response, error) {
			var body struct{ N int }
			json.Unmarshal(msg.Body, &body)
			if body.N%5 == 0 {
				return status(503)
			}
			return status(200)
		}}
		r := replayRouter(t, rc)
		_, dstID, events := replaySetup(t, r, 500)
		runRouter(t, r)
		start := time.Now()
		job, err := r.StartReplay(context.Background(), ReplayParams{
			DestinationID: dstID, From: start.Add(-time.Hour), To: start.Add(time.Hour), RateLimit: 50,
		})
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != ReplayRunning || job.Total != 500 || job.MaxEvents != DefaultReplayMaxEvents || job.Processed != 0 {
			t.Fatalf("started job %+v", job)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if mid := getReplay(t, r, job.ID); mid.Status != ReplayRunning || mid.Processed < 240 || mid.Processed > 250 {
			t.Errorf("after 5 s: %s, %d processed; want running, about 250", mid.Status, mid.Processed)
		}
		time.Sleep(time.Hour) // long past any retry the destination's policy would make
		synctest.Wait()

		calls := rc.received()
		if len(calls) != 500 {
			t.Fatalf("receiver got %d calls, want 500", len(calls))
		}
		for i, c := range calls {
			if c.eventID != events[i] || c.attempt != 1 {
				t.Fatalf("call %d: event %s attempt %d, want event %s attempt 1", i, c.eventID, c.attempt, events[i])
			}
			if want := time.Duration(i) * 20 * time.Millisecond; c.at.Sub(start) != want {
				t.Fatalf("call %d at +%v, want +%v", i, c.at.Sub(start), want)
			}
		}
		done := getReplay(t, r, job.ID)
		if done.Status != ReplayCompleted || done.Processed != 500 || done.Succeeded != 400 || done.Failed != 100 || done.Error != "" {
			t.Errorf("finished job %+v", done)
		}
		if took := done.CompletedAt.Sub(done.StartedAt); took < 9900*time.Millisecond || took > 10100*time.Millisecond {
			t.Errorf("the replay took %v, want about 10 s", took)
		}
		page, err := r.ListAttempts(context.Background(), ListAttemptsParams{DestinationID: dstID, ListParams: ListParams{Limit: 100}})
		if err != nil || page.Total != 500 {
			t.Fatalf("attempts: %d, %v", page.Total, err)
		}
		for _, a := range page.Items {
			if a.Trigger != TriggerReplay || a.AttemptNumber != 1 || a.IsDLQ != (a.Status == AttemptFailed) || a.NextRetryAt != (time.Time{}) {
				t.Fatalf("replay attempt %+v", a)
			}
		}
		if s := eventStatus(t, r, events[5]); s != store.EventFailed {
			t.Errorf("a failed replay leaves its event %q, want failed", s)
		}
		if s := eventStatus(t, r, events[1]); s != store.EventDelivered {
			t.Errorf("a replayed event is %q, want delivered", s)
		}
	})
}

// TestRouter_Replay_Cancel cancels a job: nothing is sent after, and its
// counters hold what was sent.
func TestRouter_Replay_Cancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r := replayRouter(t, rc)
		_, dstID, _ := replaySetup(t, r, 100)
		runRouter(t, r)
		now := time.Now()
		job, err := r.StartReplay(context.Background(), ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2450 * time.Millisecond) // 10/s: 25 sent
		synctest.Wait()
		cancelled, err := r.CancelReplay(context.Background(), job.ID)
		if err != nil || cancelled.Status != ReplayCancelled || cancelled.CompletedAt.IsZero() {
			t.Fatalf("CancelReplay = %+v, %v", cancelled, err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(rc.received()); n != 25 {
			t.Errorf("receiver got %d calls, want the 25 sent before the cancel", n)
		}
		got := getReplay(t, r, job.ID)
		if got.Status != ReplayCancelled || got.Processed != 25 || got.Succeeded != 25 || !got.CompletedAt.Equal(cancelled.CompletedAt) {
			t.Errorf("cancelled job %+v", got)
		}
		// Cancelling again answers the job as it is.
		if again, err := r.CancelReplay(context.Background(), job.ID); err != nil || again.Processed != 25 || again.Status != ReplayCancelled {
			t.Errorf("second cancel = %+v, %v", again, err)
		}
	})
}

// TestRouter_Replay_ResumesAfterRestart closes a Router mid-job and opens
// another on the same bolt file: the job goes on where it stopped, and
// every event is sent once.
func TestRouter_Replay_ResumesAfterRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		path := filepath.Join(t.TempDir(), "hooks.db")
		cfg := &Config{Providers: map[string]Provider{"test": rc}}
		open := func() *Router {
			r, err := Open(path, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r1 := open()
		if _, err := r1.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
			t.Fatal(err)
		}
		_, dstID, events := replaySetup(t, r1, 50)
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r1.Run(ctx) }()
		now := time.Now()
		job, err := r1.StartReplay(ctx, ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now, RateLimit: 10})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2250 * time.Millisecond) // 23 sent, 20 of them in whole pages
		synctest.Wait()
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := r1.Close(); err != nil {
			t.Fatal(err)
		}
		sent := len(rc.received())

		r2 := open()
		defer r2.Close()
		if mid := getReplay(t, r2, job.ID); mid.Status != ReplayRunning || mid.Processed != 20 {
			t.Fatalf("stored after the stop: %s with %d processed (%d sent); want running, 20", mid.Status, mid.Processed, sent)
		}
		runRouter(t, r2)
		time.Sleep(time.Minute)
		synctest.Wait()
		calls := rc.received()
		if sent != 23 || len(calls) != 50 {
			t.Fatalf("receiver got %d calls before the restart and %d in all, want 23 and 50", sent, len(calls))
		}
		for i, c := range calls {
			if c.eventID != events[i] {
				t.Fatalf("call %d is event %s, want %s (each once, in order)", i, c.eventID, events[i])
			}
		}
		if got := getReplay(t, r2, job.ID); got.Status != ReplayCompleted || got.Processed != 50 || got.Succeeded != 50 {
			t.Errorf("resumed job %+v", got)
		}
	})
}

// TestRouter_Replay_ResumeAfterCrash resumes a job whose driver died
// between making an event's delivery and recording its attempt. With a
// local store (one process), the next Run holds the crashed Run's claims
// and attempts that delivery again at once; with a shared store, the
// delivery is the queue's, which attempts it once its lease expires, and
// the job counts it. Either way every event is sent once.
func TestRouter_Replay_ResumeAfterCrash(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		shared bool
	}{{"local", false}, {"shared", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { testReplayAfterCrash(t, c.shared) })
		})
	}
}

func testReplayAfterCrash(t *testing.T, shared bool) {
	rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(500) }}
	var st store.Store = memory.New()
	owner := localReplayOwner
	if shared {
		st, owner = &sharedStore{Store: st}, "rtr_crashed"
	}
	r, err := New(st, &Config{Providers: map[string]Provider{"test": rc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	_, dstID, events := replaySetup(t, r, 3)
	ctx := context.Background()
	now := time.Now()
	job, err := r.StartReplay(ctx, ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now})
	if err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: the job claimed, and the first event's delivery
	// leased, by a process that is gone.
	stored := &store.ReplayJob{Meta: store.Meta{ID: job.ID, OrgID: job.OrgID, EnvID: job.EnvID}}
	if err := st.Get(ctx, stored); err != nil {
		t.Fatal(err)
	}
	dst, _ := r.routes().destination(ctx, dstID)
	stored.LeaseOwner, stored.LeaseUntil = owner, r.now().Add(r.replayLease(dst, stored.RateLimit))
	if err := st.Update(ctx, stored); err != nil {
		t.Fatal(err)
	}
	leftover := &store.Delivery{
		ID: replayDeliveryID(stored, events[0]), OrgID: job.OrgID, EnvID: job.EnvID, EventID: events[0], DestinationID: dstID,
		Trigger: store.TriggerReplay, NoRetry: true, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := st.AddDelivery(ctx, leftover, r.now(), r.leaseTTL(dst)); err != nil {
		t.Fatal(err)
	}
	runRouter(t, r)
	time.Sleep(time.Hour)
	synctest.Wait()
	calls := rc.received()
	if len(calls) != 3 {
		t.Fatalf("receiver got %d calls, want 3 (the leftover once)", len(calls))
	}
	seen := map[string]int{}
	for _, c := range calls {
		seen[c.eventID]++
	}
	for _, ev := range events {
		if seen[ev] != 1 {
			t.Errorf("event %s sent %d times", ev, seen[ev])
		}
	}
	// Local: the job goes on at once, the leftover first. Shared: the job
	// waits for the crashed claim, and the scheduler attempts the leftover
	// after its lease.
	first, wantFirst := calls[0], events[0]
	if shared {
		if at := first.at.Sub(now); at < r.leaseTTL(dst) {
			t.Errorf("first call at +%v, before the crashed process's leases expired", at)
		}
		wantFirst = first.eventID // which of the two the queue or the job sends first is theirs
	} else if first.at != now {
		t.Errorf("first call at +%v, want at once", first.at.Sub(now))
	}
	if first.eventID != wantFirst {
		t.Errorf("first call is event %s, want the leftover %s", first.eventID, wantFirst)
	}
	page, err := r.ListAttempts(ctx, ListAttemptsParams{EventID: events[0]})
	if err != nil || page.Total != 1 || page.Items[0].Trigger != TriggerReplay || !page.Items[0].IsDLQ {
		t.Fatalf("the leftover's attempts: %+v, %v", page.Items, err)
	}
	if got := getReplay(t, r, job.ID); got.Status != ReplayCompleted || got.Processed != 3 || got.Failed != 3 {
		t.Errorf("job %+v", got)
	}
}

// TestRouter_Replay_Connection replays what a connection routed, through
// its transform, to another destination.
func TestRouter_Replay_Connection(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{
			FilterRules:      FilterRules{{Field: "payload.type", Op: OpEq, Value: "a"}},
			TransformEnabled: ptr(true), TransformExpression: ptr(`{"replayed": n}`),
		})
		ctx := context.Background()
		for i, typ := range []string{"a", "b", "a"} {
			ingest(t, r, srcID, fmt.Sprintf(`{"type":%q,"n":%d}`, typ, i))
		}
		runRouter(t, r)
		time.Sleep(time.Second)
		synctest.Wait()
		conns, _ := r.ListConnections(ctx, ListConnectionsParams{})
		other, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("staging"), Type: ptr("test")})
		if err != nil {
			t.Fatal(err)
		}
		initial := len(rc.received())
		now := time.Now()
		job, err := r.StartReplay(ctx, ReplayParams{DestinationID: other.ID, ConnectionID: conns.Items[0].ID, From: now.Add(-time.Hour), To: now})
		if err != nil || job.Total != 2 {
			t.Fatalf("StartReplay = %+v, %v; want 2 events", job, err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		calls := rc.received()[initial:]
		if len(calls) != 2 || calls[0].body != `{"replayed":0}` || calls[1].body != `{"replayed":2}` {
			t.Fatalf("replayed calls %+v", calls)
		}
		page, _ := r.ListAttempts(ctx, ListAttemptsParams{DestinationID: other.ID})
		if page.Total != 2 || page.Items[0].ConnectionID != conns.Items[0].ID || page.Items[0].ConnectionName != "route" {
			t.Errorf("replay attempts %+v", page.Items)
		}
		// Deleting the connection fails a job that replays through it.
		job, err = r.StartReplay(ctx, ReplayParams{DestinationID: other.ID, ConnectionID: conns.Items[0].ID, From: now.Add(-time.Hour), To: now, RateLimit: 1})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if err := r.DeleteConnection(ctx, conns.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := getReplay(t, r, job.ID); got.Status != ReplayFailed || got.Error != "connection no longer exists" || got.Processed != 1 {
			t.Errorf("job after its connection was deleted %+v", got)
		}
	})
}

// TestRouter_Replay_OneDriverAcrossRouters runs two Routers on one store:
// one drives the job, the other never sends a thing.
func TestRouter_Replay_OneDriverAcrossRouters(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		a := replayRouter(t, rc)
		b, err := New(a.Store(), &Config{Providers: map[string]Provider{"test": rc}})
		if err != nil {
			t.Fatal(err)
		}
		_, dstID, events := replaySetup(t, a, 30)
		runRouter(t, a)
		runRouter(t, b)
		now := time.Now()
		if _, err := b.StartReplay(context.Background(), ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now, RateLimit: 20}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		calls := rc.received()
		if len(calls) != len(events) {
			t.Fatalf("receiver got %d calls, want %d", len(calls), len(events))
		}
		for i, c := range calls {
			if c.eventID != events[i] {
				t.Fatalf("call %d is event %s, want %s", i, c.eventID, events[i])
			}
		}
	})
}

// TestHandler_Replay checks the REST endpoints: validation, 404s, the
// envelopes, listing and tenancy.
func TestHandler_Replay(t *testing.T) {
	t.Parallel()
	rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
	r := replayRouter(t, rc)
	srcID, dstID, _ := replaySetup(t, r, 3)
	window := map[string]any{"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
	with := func(extra map[string]any) map[string]any {
		b := map[string]any{"destination_id": dstID}
		for k, v := range window {
			b[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		msg    string
	}{
		{with(map[string]any{"destination_id": nil}), 400, "Invalid body: 'destination_id' is required"},
		{with(map[string]any{"from": nil}), 400, "Invalid body: 'from' is required"},
		{with(map[string]any{"to": "yesterday"}), 400, "Invalid body: 'to' must be an RFC 3339 time"},
		{with(map[string]any{"from": 7}), 400, "Invalid body: 'from' must be an RFC 3339 time"},
		{with(map[string]any{"to": "1999-01-01T00:00:00Z"}), 400, "Invalid body: 'to' must be after from"},
		{with(map[string]any{"rate_limit": 101}), 400, "Invalid body: 'rate_limit' must be between 1 and 100"},
		{with(map[string]any{"rate_limit": -1}), 400, "Invalid body: 'rate_limit' must be between 1 and 100"},
		{with(map[string]any{"rate_limit": "fast"}), 400, "Invalid body: 'rate_limit' must be an integer"},
		{with(map[string]any{"max_events": 10001}), 400, "Invalid body: 'max_events' must be between 1 and 10000"},
		{with(map[string]any{"destination_id": "dst_nope"}), 400, "Invalid body: 'destination_id' must be a destination ID (dst_ followed by 32 lowercase hex digits)"},
		{with(map[string]any{"connection_id": "x"}), 400, "Invalid body: 'connection_id' must be a connection ID (conn_ followed by 32 lowercase hex digits)"},
		{with(map[string]any{"destination_id": "dst_" + strings.Repeat("0", 32)}), 404, "Destination or events not found"},
		{with(map[string]any{"source_id": "src_" + strings.Repeat("0", 32)}), 404, "Destination or events not found"},
		{with(map[string]any{"connection_id": "conn_" + strings.Repeat("0", 32)}), 404, "Destination or events not found"},
		{with(map[string]any{"from": "2099-01-01T00:00:00Z"}), 404, "Destination or events not found"},
	} {
		checkError(t, call(t, r, "POST", "/v1/replay", testKey, c.body), c.status, c.msg)
	}

	created := mustCall(t, r, "POST", "/v1/replay", with(map[string]any{"source_id": srcID, "max_events": 2, "rate_limit": 100}), 201)["job"].(map[string]any)
	want := map[string]any{"destination_id": dstID, "source_id": srcID, "connection_id": nil, "status": "running", "total": 2.0,
		"processed": 0.0, "rate_limit": 100.0, "max_events": 2.0, "from": "2000-01-01T00:00:00.000Z", "completed_at": nil, "error": nil}
	for k, v := range want {
		if created[k] != v {
			t.Errorf("created job %s = %v, want %v", k, created[k], v)
		}
	}
	id := created["id"].(string)
	if !strings.HasPrefix(id, prefixReplay) || len(id) != len(prefixReplay)+32 {
		t.Errorf("job id %q", id)
	}
	second := mustCall(t, r, "POST", "/v1/replay", with(nil), 201)["job"].(map[string]any)
	if second["total"] != 3.0 || second["rate_limit"] != 10.0 || second["max_events"] != 1000.0 {
		t.Errorf("defaults: %v", second)
	}
	got := mustCall(t, r, "GET", "/v1/replay/"+id[len(prefixReplay):], nil, 200)["job"].(map[string]any)
	if got["id"] != id {
		t.Errorf("GET by bare id: %v", got)
	}
	page := mustCall(t, r, "GET", "/v1/replay?limit=1", nil, 200)
	if jobs := page["jobs"].([]any); len(jobs) != 1 || jobs[0].(map[string]any)["id"] != second["id"] || page["has_more"] != true {
		t.Fatalf("first page %v", page)
	}
	rest := mustCall(t, r, "GET", "/v1/replay?cursor="+page["cursor"].(string), nil, 200)
	if jobs := rest["jobs"].([]any); len(jobs) != 1 || jobs[0].(map[string]any)["id"] != id || rest["has_more"] != false {
		t.Fatalf("second page %v", rest)
	}
	cancelled := mustCall(t, r, "POST", "/v1/replay/"+id+"/cancel", nil, 200)["job"].(map[string]any)
	if cancelled["status"] != "cancelled" || cancelled["completed_at"] == nil {
		t.Errorf("cancelled %v", cancelled)
	}
	checkError(t, call(t, r, "GET", "/v1/replay/rpl_"+strings.Repeat("0", 32), testKey, nil), 404, "Replay job not found")
	checkError(t, call(t, r, "POST", "/v1/replay/rpl_"+strings.Repeat("0", 32)+"/cancel", testKey, nil), 404, "Replay job not found")

	// Another environment's key sees none of it, and cannot replay to this
	// environment's destination.
	envB := mustCall(t, r, "POST", "/v1/environments", map[string]any{"name": "Staging"}, 201)["environment"].(map[string]any)["id"].(string)
	keyB := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "b", "env_id": envB}, 201)["key"].(string)
	checkError(t, call(t, r, "GET", "/v1/replay/"+id, keyB, nil), 404, "Replay job not found")
	checkError(t, call(t, r, "POST", "/v1/replay/"+id+"/cancel", keyB, nil), 404, "Replay job not found")
	checkError(t, call(t, r, "POST", "/v1/replay", keyB, with(nil)), 404, "Destination or events not found")
	if jobs := call(t, r, "GET", "/v1/replay", keyB, nil).json(t)["jobs"].([]any); len(jobs) != 0 {
		t.Errorf("B lists A's jobs: %v", jobs)
	}
}

// TestRouter_Replay_PausedDestinationAndRunAgain holds a job while its
// destination is paused, and resumes it in a second Run of the same
// Router.
func TestRouter_Replay_PausedDestinationAndRunAgain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r := replayRouter(t, rc)
		ctx := context.Background()
		_, dstID, _ := replaySetup(t, r, 20)
		if _, err := r.UpdateDestination(ctx, dstID, DestinationParams{Status: ptr(StatusPaused)}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		job, err := r.StartReplay(ctx, ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- r.Run(runCtx) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 0 {
			t.Fatalf("%d events sent to a paused destination", n)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := r.UpdateDestination(ctx, dstID, DestinationParams{Status: ptr(StatusActive)}); err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := getReplay(t, r, job.ID); got.Status != ReplayCompleted || got.Processed != 20 || len(rc.received()) != 20 {
			t.Errorf("job %+v after %d calls", got, len(rc.received()))
		}
	})
}
