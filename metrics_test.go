package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	"github.com/hookstream-go/hookstream/store/memory"
)

// The wire answers of the metrics endpoints, as a client decodes them.
type (
	volumeAnswer struct {
		Series []struct {
			Bucket     string  `json:"bucket"`
			SourceID   *string `json:"source_id"`
			SourceName *string `json:"source_name"`
			EventCount int64   `json:"event_count"`
		} `json:"series"`
		Granularity string `json:"granularity"`
	}
	deliveriesAnswer struct {
		Series []struct {
			Bucket          string  `json:"bucket"`
			DestinationID   string  `json:"destination_id"`
			DestinationName *string `json:"destination_name"`
			DeliveryCount   int64   `json:"delivery_count"`
			SuccessCount    int64   `json:"success_count"`
			FailedCount     int64   `json:"failed_count"`
			DLQCount        int64   `json:"dlq_count"`
		} `json:"series"`
		Granularity string `json:"granularity"`
	}
	latencyAnswer struct {
		Series []struct {
			Bucket          string  `json:"bucket"`
			DestinationID   string  `json:"destination_id"`
			DestinationName *string `json:"destination_name"`
			P50             int64   `json:"p50_ms"`
			P95             int64   `json:"p95_ms"`
			P99             int64   `json:"p99_ms"`
			Count           int64   `json:"count"`
		} `json:"series"`
	}
	overviewAnswer struct {
		EventsToday        int64    `json:"events_today"`
		EventsThisWeek     int64    `json:"events_this_week"`
		ActiveSources      int      `json:"active_sources"`
		DeliveriesToday    int64    `json:"deliveries_today"`
		SuccessToday       int64    `json:"success_today"`
		FailedToday        int64    `json:"failed_today"`
		SuccessRateToday   *float64 `json:"success_rate_today"`
		DLQCount           int64    `json:"dlq_count"`
		ActiveDestinations int      `json:"active_destinations"`
	}
)

// getMetrics calls a metrics endpoint with the test key and decodes its
// 200 answer into v.
func getMetrics(t *testing.T, r *Router, path string, query url.Values, v any) {
	t.Helper()
	c := call(t, r, "GET", path+"?"+query.Encode(), testKey, nil)
	if c.status != 200 {
		t.Fatalf("GET %s?%s: %d %s", path, query.Encode(), c.status, c.body)
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, c.body)
	}
}

// metricsScript answers deliveries by destination name, taking time as a
// receiver would: "ok" answers 200 after a few to 80 ms; "flaky" fails
// each event's first attempt after 250 ms and then answers 200; "down"
// answers 500 after 1.5 s, always.
type metricsScript struct {
	mu    sync.Mutex
	calls map[string]int // per destination and event
	n     int
}

func (s *metricsScript) Validate(*store.Destination) error { return nil }

func (s *metricsScript) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	key := msg.Destination.ID + msg.EventID
	s.calls[key]++
	first := s.calls[key] == 1
	s.mu.Unlock()
	switch msg.Destination.Name {
	case "ok":
		time.Sleep(time.Duration(3+13*(n%7)) * time.Millisecond)
		return status(200)
	case "flaky":
		time.Sleep(250 * time.Millisecond)
		if first {
			return status(503)
		}
		return status(200)
	}
	time.Sleep(1500 * time.Millisecond)
	return status(500)
}

// metricsTenant is one environment of the mixed load: its context, its
// sources and its destinations.
type metricsTenant struct {
	ctx     context.Context
	envID   string
	sources []*Source
	topic   *Topic
}

// newMetricsTenant creates, in ctx's environment, sources "a" (with dedup)
// and "b", destinations ok, flaky and down (retries every 30 minutes, two
// of them, no circuit breaker), connections from a to all three and from
// b to ok (with a transform that always fails) and flaky, and a topic
// subscribed by ok.
func newMetricsTenant(t *testing.T, r *Router, ctx context.Context, envID string) *metricsTenant {
	t.Helper()
	mt := &metricsTenant{ctx: ctx, envID: envID}
	for _, name := range []string{"a", "b"} {
		src, err := r.CreateSource(ctx, SourceParams{Name: ptr(name), DedupEnabled: ptr(name == "a")})
		if err != nil {
			t.Fatal(err)
		}
		mt.sources = append(mt.sources, src)
	}
	dsts := map[string]*Destination{}
	for _, name := range []string{"ok", "flaky", "down"} {
		d, err := r.CreateDestination(ctx, DestinationParams{
			Name: ptr(name), Type: ptr("script"), RetryMaxAttempts: ptr(2), RetryBackoffType: ptr(BackoffFixed),
			RetryIntervals: []int{1800}, CircuitBreakerEnabled: ptr(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		dsts[name] = d
	}
	connect := func(src *Source, dst, transform string) {
		p := ConnectionParams{SourceID: src.ID, DestinationID: dsts[dst].ID, Name: ptr(src.Name + " to " + dst)}
		if transform != "" {
			p.TransformEnabled, p.TransformExpression = ptr(true), ptr(transform)
		}
		if _, err := r.CreateConnection(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	a, b := mt.sources[0], mt.sources[1]
	connect(a, "ok", "")
	connect(a, "flaky", "")
	connect(a, "down", "")
	connect(b, "ok", `$error("no")`)
	connect(b, "flaky", "")
	topic, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Orders " + envID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Subscribe(ctx, topic.ID, SubscribeParams{DestinationID: dsts["ok"].ID}); err != nil {
		t.Fatal(err)
	}
	mt.topic = topic
	return mt
}

// load ingests n events into each source (a repeats every fourth body, a
// duplicate) and publishes one to the topic.
func (mt *metricsTenant) load(t *testing.T, r *Router, batch, n int) {
	t.Helper()
	for _, src := range mt.sources {
		for i := range n {
			body := fmt.Sprintf(`{"batch":%d,"n":%d}`, batch, i)
			if i%4 == 3 {
				body = fmt.Sprintf(`{"batch":%d,"n":%d}`, batch, i-1)
			}
			ingest(t, r, src.ID, body)
		}
	}
	if _, err := r.Publish(mt.ctx, mt.topic.Slug, []byte(`{"published":true}`)); err != nil {
		t.Fatal(err)
	}
}

// counted are the figures counted from the events and attempts lists, by
// bucket and source or destination ID.
type counted struct {
	events    map[string]int64
	attempts  map[string]*[4]int64 // delivery, success, failed, dlq
	durations map[string][]int64
}

// countLists counts a tenant's events (by received_at) and attempts (by
// created_at) into buckets, walking every page of ListEvents and
// ListAttempts.
func countLists(t *testing.T, r *Router, ctx context.Context, bucket func(time.Time) time.Time) counted {
	t.Helper()
	c := counted{events: map[string]int64{}, attempts: map[string]*[4]int64{}, durations: map[string][]int64{}}
	for cursor := ""; ; {
		page, err := r.ListEvents(ctx, ListEventsParams{ListParams: ListParams{Cursor: cursor, Limit: MaxPageLimit}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			c.events[mustTime(bucket(e.ReceivedAt))+" "+e.SourceID]++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for cursor := ""; ; {
		page, err := r.ListAttempts(ctx, ListAttemptsParams{ListParams: ListParams{Cursor: cursor, Limit: MaxPageLimit}})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			k := mustTime(bucket(a.CreatedAt)) + " " + a.DestinationID
			n := c.attempts[k]
			if n == nil {
				n = new([4]int64)
				c.attempts[k] = n
			}
			n[0]++
			switch a.Status {
			case AttemptSuccess:
				n[1]++
			case AttemptFailed:
				n[2]++
			}
			if a.IsDLQ {
				n[3]++
			}
			c.durations[k] = append(c.durations[k], a.DurationMS)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return c
}

// nearestRank is the exact p-th percentile of durations, by nearest rank.
func nearestRank(durations []int64, p int) int64 {
	sorted := slices.Sorted(slices.Values(durations))
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// TestMetrics_MatchTheLists runs a mixed load in two environments —
// successes, failures, retries half an hour apart, dead letters, a
// transform that fails, a manual retry, duplicates, published events, across
// midnight — and checks every metric against counts made independently
// from the events and attempts lists.
// The load runs on the memory store and on bolt, whose group commits sum
// the rollups of many writes.
func TestMetrics_MatchTheLists(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", "bolt"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { testMetricsMatchTheLists(t, kind) })
		})
	}
}

func testMetricsMatchTheLists(t *testing.T, kind string) {
	script := &metricsScript{calls: map[string]int{}}
	cfg := &Config{Providers: map[string]Provider{"script": script}}
	var r *Router
	if kind == "memory" {
		r = setup(t, cfg)
	} else {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "metrics.db"), &bolt.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if r, err = New(st, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	envB, err := r.CreateEnvironment(ctx, EnvironmentParams{Name: ptr("Staging")})
	if err != nil {
		t.Fatal(err)
	}
	tenants := []*metricsTenant{
		newMetricsTenant(t, r, ctx, DefaultEnvID),
		newMetricsTenant(t, r, WithTenant(ctx, Tenant{OrgID: DefaultOrgID, EnvID: envB.ID}), envB.ID),
	}
	time.Sleep(22*time.Hour + 30*time.Minute) // fake time: Saturday 1 January 2000, 22:30 UTC
	runRouter(t, r)
	for batch, pause := range []time.Duration{40 * time.Minute, time.Hour, 2 * time.Hour} {
		for i, mt := range tenants {
			mt.load(t, r, batch, 6-2*i)
		}
		time.Sleep(pause)
		synctest.Wait()
	}
	// A manual retry of a dead letter (it fails again: a second one).
	dead, err := r.ListAttempts(ctx, ListAttemptsParams{DLQOnly: true, ListParams: ListParams{Limit: 1}})
	if err != nil || len(dead.Items) == 0 {
		t.Fatalf("dead letters: %v, %v", dead.Items, err)
	}
	if _, err := r.RetryAttempt(ctx, dead.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	now := time.Now().UTC() // Sunday 2 January, 02:10
	if now.Day() != 2 {
		t.Fatalf("the load ended at %v, want on Sunday 2 January", now)
	}

	for _, mt := range tenants {
		env := url.Values{"env_id": {mt.envID}}
		with := func(kv ...string) url.Values {
			q := url.Values{"env_id": {mt.envID}}
			for i := 0; i < len(kv); i += 2 {
				q.Set(kv[i], kv[i+1])
			}
			return q
		}
		from, to := mustTime(now.Add(-6*time.Hour)), mustTime(now.Add(time.Hour))
		for _, g := range []string{"hour", "day"} {
			bucket := func(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }
			if g == "day" {
				bucket = func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
			}
			want := countLists(t, r, mt.ctx, bucket)

			var v volumeAnswer
			getMetrics(t, r, "/v1/metrics/volume", with("after", from, "before", to, "granularity", g), &v)
			got := map[string]int64{}
			for _, p := range v.Series {
				id := ""
				if p.SourceID != nil {
					id = *p.SourceID
				}
				got[p.Bucket+" "+id] += p.EventCount
			}
			if !maps.Equal(got, want.events) || v.Granularity != g {
				t.Errorf("%s: volume by %s = %v (%s), counted from the events list %v", mt.envID, g, got, v.Granularity, want.events)
			}

			var d deliveriesAnswer
			getMetrics(t, r, "/v1/metrics/deliveries", with("after", from, "before", to, "granularity", g), &d)
			gotD := map[string][4]int64{}
			for _, p := range d.Series {
				gotD[p.Bucket+" "+p.DestinationID] = [4]int64{p.DeliveryCount, p.SuccessCount, p.FailedCount, p.DLQCount}
			}
			wantD := map[string][4]int64{}
			for k, n := range want.attempts {
				wantD[k] = *n
			}
			if !maps.Equal(gotD, wantD) {
				t.Errorf("%s: deliveries by %s = %v, counted from the attempts list %v", mt.envID, g, gotD, wantD)
			}
			if g != "hour" {
				continue
			}

			var l latencyAnswer
			getMetrics(t, r, "/v1/metrics/latency", with("after", from, "before", to), &l)
			if len(l.Series) != len(want.durations) {
				t.Errorf("%s: %d latency points, %d hours and destinations with attempts", mt.envID, len(l.Series), len(want.durations))
			}
			for _, p := range l.Series {
				ds := want.durations[p.Bucket+" "+p.DestinationID]
				if p.Count != int64(len(ds)) {
					t.Errorf("%s %s %s: latency count %d, %d attempts", mt.envID, p.Bucket, p.DestinationID, p.Count, len(ds))
					continue
				}
				for _, pc := range []struct {
					p   int
					got int64
				}{{50, p.P50}, {95, p.P95}, {99, p.P99}} {
					exact := nearestRank(ds, pc.p)
					if diff := float64(pc.got - exact); diff > float64(exact)*store.HistogramError || -diff > float64(exact)*store.HistogramError {
						t.Errorf("%s %s %s: p%d = %d ms, exact %d ms: more than %.2f%% off", mt.envID, p.Bucket, p.DestinationID, pc.p, pc.got, exact, 100*store.HistogramError)
					}
				}
			}
		}

		// The overview: today is Sunday, this week began on Monday 27
		// December 1999, before the load.
		today := countLists(t, r, mt.ctx, func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) })
		day := mustTime(now.Truncate(24 * time.Hour))
		var o overviewAnswer
		getMetrics(t, r, "/v1/metrics/overview", env, &o)
		var want overviewAnswer
		for k, n := range today.events {
			want.EventsThisWeek += n
			if strings.HasPrefix(k, day) {
				want.EventsToday += n
				if !strings.HasSuffix(k, " ") { // published events have no source
					want.ActiveSources++
				}
			}
		}
		for k, n := range today.attempts {
			if strings.HasPrefix(k, day) {
				want.DeliveriesToday += n[0]
				want.SuccessToday += n[1]
				want.FailedToday += n[2]
				want.DLQCount += n[3]
				want.ActiveDestinations++
			}
		}
		rate := float64(int64(10000*float64(want.SuccessToday)/float64(want.DeliveriesToday)+0.5)) / 100
		want.SuccessRateToday = &rate
		if show := func(o overviewAnswer) string { b, _ := json.Marshal(o); return string(b) }; show(o) != show(want) {
			t.Errorf("%s: overview %s, counted from the lists %s", mt.envID, show(o), show(want))
		}
		if want.EventsToday == 0 || want.EventsToday == want.EventsThisWeek || want.DLQCount == 0 || want.FailedToday == 0 {
			t.Errorf("%s: the load does not exercise the overview: %+v", mt.envID, want)
		}
	}
}

// TestMetrics_BucketBoundaries checks with a fake clock that an event or
// attempt at the last millisecond of an hour or day counts in it, one at
// the next millisecond in the next, and that the overview's day and ISO
// week turn at midnight UTC and on Monday.
func TestMetrics_BucketBoundaries(t *testing.T) {
	t.Parallel()
	clock := newIngestClock()
	r := setup(t, &Config{Now: clock.Now, Providers: map[string]Provider{
		"inproc": FuncProvider(func(context.Context, *Message) error { return nil }),
	}})
	src, err := r.CreateSource(context.Background(), SourceParams{Name: ptr("s")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(context.Background(), DestinationParams{Name: ptr("d"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(context.Background(), ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	sunday := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC) // Sunday 8 March 2026; the next day starts an ISO week
	at := func(t time.Time) { clock.mu.Lock(); clock.now = t; clock.mu.Unlock() }
	// An event and, at once, its attempt (a retry: synchronous, at the
	// clock's time) at each instant.
	for _, instant := range []time.Time{
		sunday.Add(time.Hour - time.Millisecond), sunday.Add(time.Hour),
		sunday.Add(24*time.Hour - time.Millisecond), sunday.Add(24 * time.Hour),
	} {
		at(instant)
		id := ingest(t, r, src.ID, `{}`)
		if _, err := r.RetryEvent(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	hour := func(h int) string { return mustTime(sunday.Add(time.Duration(h) * time.Hour)) }
	range2 := url.Values{"after": {hour(0)}, "before": {hour(48)}}
	for _, c := range []struct {
		granularity string
		want        map[string]int64
	}{
		{"hour", map[string]int64{hour(0): 1, hour(1): 1, hour(23): 1, hour(24): 1}},
		{"day", map[string]int64{hour(0): 2 + 1, hour(24): 1}},
	} {
		q := url.Values{"granularity": {c.granularity}}
		maps.Copy(q, range2)
		var v volumeAnswer
		getMetrics(t, r, "/v1/metrics/volume", q, &v)
		var d deliveriesAnswer
		getMetrics(t, r, "/v1/metrics/deliveries", q, &d)
		events, attempts := map[string]int64{}, map[string]int64{}
		for _, p := range v.Series {
			events[p.Bucket] += p.EventCount
		}
		for _, p := range d.Series {
			attempts[p.Bucket] += p.DeliveryCount
		}
		if !maps.Equal(events, c.want) || !maps.Equal(attempts, c.want) {
			t.Errorf("by %s: events %v, attempts %v; want %v for both", c.granularity, events, attempts, c.want)
		}
	}

	for _, c := range []struct {
		at                   time.Time
		today, week, success int64
	}{
		{sunday.Add(24*time.Hour - time.Millisecond), 3, 3, 3},   // Sunday: the three of Sunday, in the week that began on Monday 2 March
		{sunday.Add(24 * time.Hour), 1, 1, 1},                    // Monday 00:00: a new day and a new week
		{sunday.Add(8*24*time.Hour - time.Millisecond), 0, 1, 0}, // Sunday 15 March, the week's last millisecond
		{sunday.Add(8 * 24 * time.Hour), 0, 0, 0},                // Monday 16 March: the next week
	} {
		// The day and week are UTC's whatever the zone of Config.Now.
		for _, zone := range []*time.Location{time.UTC, time.FixedZone("UTC-5", -5*3600), time.FixedZone("UTC+9", 9*3600)} {
			at(c.at.In(zone))
			var o overviewAnswer
			getMetrics(t, r, "/v1/metrics/overview", nil, &o)
			if o.EventsToday != c.today || o.EventsThisWeek != c.week || o.SuccessToday != c.success || o.DeliveriesToday != c.success {
				t.Errorf("overview at %v: %+v, want %d today, %d this week, %d attempts", c.at.In(zone), o, c.today, c.week, c.success)
			}
			if (o.SuccessRateToday == nil) != (c.success == 0) || o.SuccessRateToday != nil && *o.SuccessRateToday != 100 {
				t.Errorf("overview at %v: success_rate_today %v", c.at.In(zone), o.SuccessRateToday)
			}
		}
	}
}

// TestMetrics_Bounds checks the range rules: defaults, the longest ranges
// (31 days hourly, 366 daily) and the 400s beyond them.
func TestMetrics_Bounds(t *testing.T) {
	t.Parallel()
	clock := newIngestClock()
	r := setup(t, &Config{Now: clock.Now})
	now := clock.Now()
	ago := func(d time.Duration) string { return mustTime(now.Add(-d)) }
	day := 24 * time.Hour
	for _, c := range []struct {
		path, query string
		status      int
		msg         string
	}{
		{"volume", "", 200, ""},
		{"volume", "after=" + ago(31*day), 200, ""},
		{"volume", "after=" + ago(31*day+time.Millisecond), 200, ""}, // before defaults to after + 31 days
		{"volume", "after=" + ago(32*day) + "&before=" + ago(day), 200, ""},
		{"volume", "after=" + ago(32*day) + "&before=" + ago(day-time.Millisecond), 400, "Invalid query: 'after' must be at most 31 days before 'before' with granularity hour"},
		{"volume", "after=" + ago(366*day) + "&granularity=day", 200, ""},
		{"volume", "after=" + ago(400*day) + "&before=" + ago(0) + "&granularity=day", 400, "Invalid query: 'after' must be at most 366 days before 'before' with granularity day"},
		{"volume", "granularity=week", 400, "Invalid query: 'granularity' must be one of hour, day"},
		{"volume", "after=" + ago(0), 400, "Invalid query: 'after' must be in the past when 'before' is not given"},
		{"volume", "after=" + ago(day) + "&before=" + ago(day), 400, "Invalid query: 'before' must be later than 'after'"},
		{"volume", "before=yesterday", 400, "Invalid query: 'before' must be an RFC 3339 time"},
		{"deliveries", "after=" + ago(40*day) + "&before=" + ago(0), 400, "Invalid query: 'after' must be at most 31 days before 'before' with granularity hour"},
		{"deliveries", "after=" + ago(40*day) + "&before=" + ago(0) + "&granularity=day", 200, ""},
		{"latency", "after=" + ago(31*day) + "&before=" + ago(0), 200, ""},
		{"latency", "after=" + ago(40*day) + "&before=" + ago(0) + "&granularity=day", 400, "Invalid query: 'after' must be at most 31 days before 'before' with granularity hour"},
	} {
		res := call(t, r, "GET", "/v1/metrics/"+c.path+"?"+c.query, testKey, nil)
		if c.status == 200 {
			if res.status != 200 {
				t.Errorf("%s?%s: %d %s", c.path, c.query, res.status, res.body)
			}
			continue
		}
		checkError(t, res, c.status, c.msg)
	}
}

// manyRollups is a store whose rollup queries answer one rollup more
// than a series may hold.
type manyRollups struct{ store.Store }

func (s manyRollups) EventRollups(_ context.Context, q store.RollupQuery) ([]store.EventRollup, error) {
	return make([]store.EventRollup, q.Limit), nil
}

func (s manyRollups) DeliveryRollups(_ context.Context, q store.RollupQuery) ([]store.DeliveryRollup, error) {
	return make([]store.DeliveryRollup, q.Limit), nil
}

// TestMetrics_TooManyPoints: a series that would hold more than
// MaxMetricsPoints points is a 400 naming the filter that narrows it, and
// the store is never asked for more than one more.
func TestMetrics_TooManyPoints(t *testing.T) {
	t.Parallel()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	r, err := New(manyRollups{st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
		t.Fatal(err)
	}
	for path, filter := range map[string]string{"volume": "source_id", "deliveries": "destination_id", "latency": "destination_id"} {
		checkError(t, call(t, r, "GET", "/v1/metrics/"+path, testKey, nil), 400,
			fmt.Sprintf("Invalid query: 'after' leaves more than %d points in the series: shorten the range, ask for days or for one '%s'", MaxMetricsPoints, filter))
	}
}

// TestRouter_PruneEvents_Rollups: pruning keeps rollups for
// MetricsRetention (or the retention, when longer), then deletes them.
func TestRouter_PruneEvents_Rollups(t *testing.T) {
	t.Parallel()
	clock := newIngestClock()
	r := setup(t, &Config{Now: clock.Now})
	src, err := r.CreateSource(context.Background(), SourceParams{Name: ptr("s")})
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	ingest(t, r, src.ID, `{}`)
	events := func() int64 {
		v, err := r.GetVolume(context.Background(), VolumeParams{After: start.Add(-time.Hour), Before: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, p := range v.Series {
			n += p.EventCount
		}
		return n
	}
	clock.Advance(MetricsRetention - time.Hour)
	if n, err := r.PruneEvents(context.Background(), time.Hour); err != nil || n != 1 {
		t.Fatalf("PruneEvents = %d, %v; want the event pruned", n, err)
	}
	if n := events(); n != 1 {
		t.Fatalf("%d events in the rollups after the event was pruned, want 1", n)
	}
	clock.Advance(2 * time.Hour)
	if _, err := r.PruneEvents(context.Background(), 2*MetricsRetention); err != nil {
		t.Fatal(err)
	}
	if n := events(); n != 1 {
		t.Fatalf("%d events in the rollups after pruning with a longer retention, want 1", n)
	}
	if _, err := r.PruneEvents(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := events(); n != 0 {
		t.Fatalf("%d events in the rollups %v after the hour, want 0", n, MetricsRetention)
	}
}
