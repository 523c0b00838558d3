package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// telemetryReceiver is a loopback http receiver that hands each request's
// traceparent header over.
func telemetryReceiver(t *testing.T) (url string, traceparents <-chan string) {
	t.Helper()
	ch := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ch <- req.Header.Get("traceparent")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// telemetryRoute makes a source connected to an http destination at url.
func telemetryRoute(t *testing.T, r *Router, url string) (srcID, dstID string) {
	t.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("src")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("dst"), URL: ptr(url + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	return src.ID, dst.ID
}

// ingestWithHeader posts body to the source through the REST handler,
// with header h, and returns the event ID.
func ingestWithHeader(t *testing.T, r *Router, srcID string, h http.Header) string {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/ingest/"+srcID, strings.NewReader(`{"n":1}`))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("ingest = %d %s", rec.Code, rec.Body)
	}
	var out struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out.EventID
}

// runUntilTraced runs the scheduler until the receiver got one request, then
// stops it (so every outcome is recorded), and returns the request's
// traceparent header.
func runUntilTraced(t *testing.T, r *Router, traceparents <-chan string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var got string
	select {
	case got = <-traceparents:
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery within 30 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTelemetry_TraceAndMetricsFromIngestToDelivery(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	r := setup(t, &Config{
		MeterProvider:        sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		TracerProvider:       sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
		AllowPrivateNetworks: true,
	})
	url, traceparents := telemetryReceiver(t)
	srcID, dstID := telemetryRoute(t, r, url)

	const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	evID := ingestWithHeader(t, r, srcID, http.Header{"Traceparent": {incoming}})
	sent := runUntilTraced(t, r, traceparents)

	ingestSpan, attemptSpan := endedSpan(t, spans, "hookstream.ingest"), endedSpan(t, spans, "hookstream.attempt")
	in := ingestSpan.SpanContext()
	if p := ingestSpan.Parent(); !p.IsRemote() || p.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || p.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("ingest span's parent = %v, want the incoming traceparent %s", p, incoming)
	}
	if in.TraceID() != ingestSpan.Parent().TraceID() {
		t.Errorf("ingest span in trace %s, want the incoming one's", in.TraceID())
	}
	ev, err := r.store.GetEvent(context.Background(), r.cfg.DefaultTenant, evID)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("00-%s-%s-01", in.TraceID(), in.SpanID()); ev.Traceparent != want {
		t.Errorf("stored traceparent = %q, want the ingest span's %q", ev.Traceparent, want)
	}
	if p := attemptSpan.Parent(); p.TraceID() != in.TraceID() || p.SpanID() != in.SpanID() {
		t.Errorf("attempt span's parent = %v, want the ingest span %v", p, in)
	}
	at := attemptSpan.SpanContext()
	if want := fmt.Sprintf("00-%s-%s-01", at.TraceID(), at.SpanID()); sent != want {
		t.Errorf("receiver's traceparent = %q, want the attempt span's %q (trace %s of the ingest)", sent, want, in.TraceID())
	}
	if got := spanAttr(attemptSpan, attrHTTPStatus); got != "200" {
		t.Errorf("attempt span's %s = %q, want 200", attrHTTPStatus, got)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	wantSum(t, rm, "hookstream.ingest.events", attribute.NewSet(attrSource.String(srcID), attrOutcome.String(outcomeAccepted)), 1)
	wantSum(t, rm, "hookstream.deliveries", attribute.NewSet(attrDestination.String(dstID), attrOutcome.String(outcomeSuccess)), 1)
	wantHistogramCount(t, rm, "hookstream.ingest.duration", attribute.NewSet(attrSource.String(srcID), attrOutcome.String(outcomeAccepted)), 1)
	wantHistogramCount(t, rm, "hookstream.attempt.duration", attribute.NewSet(attrDestination.String(dstID), attrOutcome.String(outcomeSuccess)), 1)
	if depth, ok := findMetric(rm, "hookstream.queue.depth").Data.(metricdata.Gauge[int64]); !ok || len(depth.DataPoints) != 1 || depth.DataPoints[0].Value != 0 {
		t.Errorf("hookstream.queue.depth = %+v, want one point, 0 (delivered)", findMetric(rm, "hookstream.queue.depth").Data)
	}
	if _, ok := findMetric(rm, "hookstream.queue.age").Data.(metricdata.Gauge[float64]); !ok {
		t.Errorf("hookstream.queue.age is missing")
	}
}

func TestTelemetry_IngestOutcomes(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	r := setup(t, &Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("s"), Status: ptr(StatusDisabled)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{src.ID, "src_00000000000000000000000000000000", "src_attacker_chosen"} {
		req := httptest.NewRequest("POST", "/v1/ingest/"+id, strings.NewReader(`{}`))
		if _, err := r.Ingest(ctx, id, req); err == nil {
			t.Fatalf("ingest to %s succeeded", id)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	wantSum(t, rm, "hookstream.ingest.events", attribute.NewSet(attrSource.String(src.ID),
		attrOutcome.String(outcomeRejected), attrErrorType.String("forbidden")), 1)
	// Unknown sources share one series: their IDs are the sender's.
	wantSum(t, rm, "hookstream.ingest.events", attribute.NewSet(attrOutcome.String(outcomeRejected), attrErrorType.String("not_found")), 2)
}

func TestTelemetry_PublishSpan(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	r := setup(t, &Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))})
	ctx := context.Background()
	if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")}); err != nil {
		t.Fatal(err)
	}
	parent, span := sdktrace.NewTracerProvider().Tracer("test").Start(ctx, "caller")
	res, err := r.Publish(parent, "orders", []byte(`{}`))
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	pub := endedSpan(t, spans, "hookstream.publish")
	if pub.Parent().SpanID() != span.SpanContext().SpanID() {
		t.Errorf("publish span's parent = %v, want the caller's span", pub.Parent())
	}
	ev, err := r.store.GetEvent(ctx, r.cfg.DefaultTenant, res.EventID)
	if err != nil || !strings.Contains(ev.Traceparent, pub.SpanContext().SpanID().String()) {
		t.Errorf("stored traceparent = %q, %v; want the publish span's", ev.Traceparent, err)
	}

	// Through REST, the request's traceparent is the parent.
	req := httptest.NewRequest("POST", "/v1/topics/orders/publish", strings.NewReader(`{}`))
	req.Header.Set("X-API-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("REST publish = %d %s", rec.Code, rec.Body)
	}
	var rest sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "hookstream.publish" && s.Parent().IsRemote() {
			rest = s
		}
	}
	if rest == nil || rest.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("REST publish span = %v, want the child of the request's traceparent", rest)
	}
}

// TestTelemetry_NothingWithoutProviders checks that without providers (the
// test binary installs no global one) no traceparent is stored or sent,
// even for an ingest that came with one.
func TestTelemetry_NothingWithoutProviders(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{AllowPrivateNetworks: true})
	if r.telemetry.tracing() {
		t.Fatal("tracing with no provider installed")
	}
	url, traceparents := telemetryReceiver(t)
	srcID, _ := telemetryRoute(t, r, url)
	evID := ingestWithHeader(t, r, srcID, http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	if sent := runUntilTraced(t, r, traceparents); sent != "" {
		t.Errorf("receiver's traceparent = %q, want none", sent)
	}
	ev, err := r.store.GetEvent(context.Background(), r.cfg.DefaultTenant, evID)
	if err != nil || ev.Traceparent != "" {
		t.Errorf("stored traceparent = %q, %v; want none", ev.Traceparent, err)
	}
}

// TestTelemetry_NoAllocationsWithoutProviders measures the hooks of the
// hot paths with the default (global, uninstalled) providers.
func TestTelemetry_NoAllocationsWithoutProviders(t *testing.T) {
	r := setup(t, nil)
	ctx := context.Background()
	h := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	ev := &store.Event{ID: "evt_1", Traceparent: h.Get("Traceparent")}
	d := &store.Delivery{ID: "dlv_1", EventID: "evt_1", DestinationID: "dst_1"}
	resp := &Response{Status: 200}
	f := finished{destID: "dst_1", outcome: store.Outcome{Result: store.ResultSuccess}}
	allocs := testing.AllocsPerRun(100, func() {
		ictx, op := r.startIngest(ctx, "hookstream.ingest", h)
		r.endIngest(ictx, op, attrSource.String("src_1"), "evt_1", 1, false, nil)
		actx, span := r.startAttempt(ctx, ev, d, 1)
		r.endAttempt(actx, span, "dst_1", time.Millisecond, resp, "")
		r.outcomeReported(ctx, f, true)
	})
	if allocs != 0 {
		t.Errorf("telemetry hooks allocate %v times per event without providers, want 0", allocs)
	}
}

// TestTelemetry_GlobalProvidersInstalledAfterNew runs in a child process
// of the test binary: it installs global providers, which would reach
// every other test's Router.
func TestTelemetry_GlobalProvidersInstalledAfterNew(t *testing.T) {
	if os.Getenv("HOOKSTREAM_TEST_GLOBAL_OTEL") != "1" {
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestTelemetry_GlobalProvidersInstalledAfterNew$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOOKSTREAM_TEST_GLOBAL_OTEL=1")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("child test: %v\n%s", err, out)
		}
		return
	}
	r := setup(t, nil)
	if r.telemetry.tracing() {
		t.Fatal("tracing before a provider is installed")
	}
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("s")})
	if err != nil {
		t.Fatal(err)
	}
	evID := ingestWithHeader(t, r, src.ID, http.Header{})
	endedSpan(t, spans, "hookstream.ingest")
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	wantSum(t, rm, "hookstream.ingest.events", attribute.NewSet(attrSource.String(src.ID), attrOutcome.String(outcomeAccepted)), 1)
	if ev, err := r.store.GetEvent(ctx, r.cfg.DefaultTenant, evID); err != nil || ev.Traceparent == "" {
		t.Errorf("stored traceparent = %q, %v; want the ingest span's", ev.Traceparent, err)
	}
}

// endedSpan returns the one ended span named name.
func endedSpan(t *testing.T, spans *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d ended spans named %s, want 1", len(found), name)
	}
	return found[0]
}

func spanAttr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.String()
		}
	}
	return ""
}

func findMetric(rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	return metricdata.Metrics{}
}

// wantSum checks the value of a counter's point with the attributes.
func wantSum(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs attribute.Set, want int64) {
	t.Helper()
	sum, ok := findMetric(rm, name).Data.(metricdata.Sum[int64])
	if !ok {
		t.Errorf("no counter %s", name)
		return
	}
	for _, p := range sum.DataPoints {
		if p.Attributes.Equals(&attrs) {
			if p.Value != want {
				t.Errorf("%s{%s} = %d, want %d", name, attrs.Encoded(attribute.DefaultEncoder()), p.Value, want)
			}
			return
		}
	}
	t.Errorf("%s has no point {%s}: %+v", name, attrs.Encoded(attribute.DefaultEncoder()), sum.DataPoints)
}

// wantHistogramCount checks the count of a histogram's point with the
// attributes.
func wantHistogramCount(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs attribute.Set, want uint64) {
	t.Helper()
	h, ok := findMetric(rm, name).Data.(metricdata.Histogram[float64])
	if !ok {
		t.Errorf("no histogram %s", name)
		return
	}
	for _, p := range h.DataPoints {
		if p.Attributes.Equals(&attrs) {
			if p.Count != want {
				t.Errorf("%s{%s} count = %d, want %d", name, attrs.Encoded(attribute.DefaultEncoder()), p.Count, want)
			}
			return
		}
	}
	t.Errorf("%s has no point {%s}", name, attrs.Encoded(attribute.DefaultEncoder()))
}
