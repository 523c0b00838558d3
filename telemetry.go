package hookstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer and the meter of a Router.
const InstrumentationName = "github.com/hookstream-go/hookstream"

// queueStatsInterval is the least time between two reads of the queue for
// its gauges: collections closer together see the last read.
const queueStatsInterval = 10 * time.Second

// Attribute keys of the spans and the metrics. Metric attributes stay
// bounded: configuration IDs and closed sets, never an event's.
const (
	attrSource      = attribute.Key("hookstream.source.id")
	attrTopic       = attribute.Key("hookstream.topic")
	attrDestination = attribute.Key("hookstream.destination.id")
	attrOutcome     = attribute.Key("hookstream.outcome")
	attrErrorType   = attribute.Key("error.type")
	attrCircuitFrom = attribute.Key("hookstream.circuit.from")
	attrCircuitTo   = attribute.Key("hookstream.circuit.to")
	// Span attributes only.
	attrEvent      = attribute.Key("hookstream.event.id")
	attrDelivery   = attribute.Key("hookstream.delivery.id")
	attrAttempt    = attribute.Key("hookstream.attempt.number")
	attrQueued     = attribute.Key("hookstream.deliveries")
	attrHTTPStatus = attribute.Key("http.response.status_code")
)

// Outcomes of an ingest or publish (hookstream.outcome).
const (
	outcomeAccepted  = "accepted"
	outcomeDuplicate = "duplicate"
	outcomeRejected  = "rejected" // a check of spec §3.1 failed: a 4xx
	outcomeError     = "error"    // the store failed: a 500
)

// Outcomes of an attempt (hookstream.outcome): attempt.duration has
// success and failure; deliveries splits a failure into retry and dead,
// and counts released attempts (not made: the store failed, or the Router
// stopped) apart.
const (
	outcomeSuccess  = "success"
	outcomeFailure  = "failure"
	outcomeRetry    = "retry"
	outcomeDead     = "dead"
	outcomeReleased = "released"
)

// durationBuckets are the advised histogram bounds, in seconds (those of
// OpenTelemetry's HTTP semantic conventions).
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// traceContext is the propagation of stored and sent trace context: W3C
// traceparent, whatever global propagator is installed.
var traceContext propagation.TraceContext

// telemetry is a Router's OpenTelemetry instruments and tracer. With no
// provider installed, each hook costs an atomic load and does no work.
type telemetry struct {
	tracer trace.Tracer
	// unsetGlobal is the global tracer provider's stand-in, when New found
	// no provider installed: tracing starts once otel.SetTracerProvider
	// replaces it. Otherwise tracingOn was decided at New.
	unsetGlobal trace.TracerProvider
	tracingOn   bool

	ingestEvents       metric.Int64Counter
	ingestDuration     metric.Float64Histogram
	deliveries         metric.Int64Counter
	attemptDuration    metric.Float64Histogram
	circuitTransitions metric.Int64Counter
	queueDepth         metric.Int64ObservableGauge
	queueAge           metric.Float64ObservableGauge
	queueCallback      metric.Registration // nil without queue gauges

	queueMu     sync.Mutex
	queueReadAt time.Time // of queueStats; zero before a read
	queueStats  store.QueueStats
}

// newTelemetry makes r's instruments with Config.MeterProvider (else the
// global one) and its tracer with Config.TracerProvider (else the global
// one). Global providers installed after New are used from then on.
func newTelemetry(r *Router) (*telemetry, error) {
	t := &telemetry{}
	tp := r.cfg.TracerProvider
	switch {
	case tp != nil:
		t.tracingOn = !isNoopTracerProvider(tp)
	case isUnsetGlobal(otel.GetTracerProvider()):
		tp = otel.GetTracerProvider()
		t.unsetGlobal = tp
	default:
		tp = otel.GetTracerProvider()
		t.tracingOn = !isNoopTracerProvider(tp)
	}
	t.tracer = tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(Version))

	mp := r.cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(Version))
	var errs [7]error
	t.ingestEvents, errs[0] = m.Int64Counter("hookstream.ingest.events", metric.WithUnit("{event}"),
		metric.WithDescription("Webhooks received and events published, by source or topic and outcome."))
	t.ingestDuration, errs[1] = m.Float64Histogram("hookstream.ingest.duration", metric.WithUnit("s"),
		metric.WithDescription("How long an ingest or publish took, checks and the durable write included."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	t.deliveries, errs[2] = m.Int64Counter("hookstream.deliveries", metric.WithUnit("{attempt}"),
		metric.WithDescription("Delivery attempts by destination and outcome: success, retry, dead, released."))
	t.attemptDuration, errs[3] = m.Float64Histogram("hookstream.attempt.duration", metric.WithUnit("s"),
		metric.WithDescription("How long a destination took to answer a delivery attempt."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	t.circuitTransitions, errs[4] = m.Int64Counter("hookstream.circuit.transitions", metric.WithUnit("{transition}"),
		metric.WithDescription("Circuit breaker state changes, by destination, from and to."))
	if _, ok := r.store.(store.QueueStater); ok {
		t.queueDepth, errs[5] = m.Int64ObservableGauge("hookstream.queue.depth", metric.WithUnit("{delivery}"),
			metric.WithDescription("Pending deliveries that are not held: due, in flight or waiting for a retry."))
		t.queueAge, errs[6] = m.Float64ObservableGauge("hookstream.queue.age", metric.WithUnit("s"),
			metric.WithDescription("How long the oldest due delivery has been due (0 when none is)."))
		if err := errors.Join(errs[5], errs[6]); err == nil {
			t.queueCallback, errs[5] = m.RegisterCallback(r.observeQueue, t.queueDepth, t.queueAge)
		}
	}
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("hookstream: telemetry: %w", err)
	}
	return t, nil
}

// close unregisters the queue gauges.
func (t *telemetry) close() {
	if t.queueCallback != nil {
		t.queueCallback.Unregister()
	}
}

// isUnsetGlobal reports whether tp is the global provider's stand-in that
// otel.GetTracerProvider returns until a provider is installed.
func isUnsetGlobal(tp trace.TracerProvider) bool {
	typ := reflect.TypeOf(tp)
	return typ.Kind() == reflect.Pointer && typ.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global"
}

func isNoopTracerProvider(tp trace.TracerProvider) bool {
	_, ok := tp.(tracenoop.TracerProvider)
	return ok
}

// tracing reports whether spans are to be made: a tracer provider is
// installed.
func (t *telemetry) tracing() bool {
	if t.unsetGlobal != nil {
		return otel.GetTracerProvider() != t.unsetGlobal
	}
	return t.tracingOn
}

// remoteParent returns ctx with the trace context of the request header h
// (nil: none) as its remote parent span, when tracing and ctx has no span
// of its own already (an embedder's HTTP middleware made one).
func (r *Router) remoteParent(ctx context.Context, h http.Header) context.Context {
	if h == nil || !r.telemetry.tracing() || trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	return traceContext.Extract(ctx, propagation.HeaderCarrier(h))
}

// ingestOp is an ingest or publish under way. Its zero value, when
// nothing listens, does nothing.
type ingestOp struct {
	span  trace.Span // nil when not tracing
	start time.Time  // zero when the ingest metrics are off
	// traceparent is the span's W3C context, to store with the event.
	traceparent string
}

// startIngest starts the span of an ingest or publish (name), a child of
// ctx's span or else of the request's traceparent header (h; nil for a
// publish, whose REST handler calls remoteParent itself), and returns its
// context.
func (r *Router) startIngest(ctx context.Context, name string, h http.Header) (context.Context, ingestOp) {
	t := r.telemetry
	var op ingestOp
	if t.ingestEvents.Enabled(ctx) || t.ingestDuration.Enabled(ctx) {
		op.start = r.now()
	}
	if !t.tracing() {
		return ctx, op
	}
	ctx = r.remoteParent(ctx, h)
	ctx, op.span = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindProducer))
	if sc := op.span.SpanContext(); sc.IsValid() {
		carrier := propagation.MapCarrier{}
		traceContext.Inject(ctx, carrier)
		op.traceparent = carrier["traceparent"]
	}
	return ctx, op
}

// endIngest ends an ingest or publish of the source or topic scope (an
// attribute, left out when invalid: an unknown source's ID is the
// sender's, not configuration), which stored eventID with deliveries
// deliveries, or failed with err.
func (r *Router) endIngest(ctx context.Context, op ingestOp, scope attribute.KeyValue, eventID string, deliveries int, duplicate bool, err error) {
	t := r.telemetry
	if op.span == nil && op.start.IsZero() {
		return
	}
	outcome, errType := classifyIngest(duplicate, err)
	attrs := make([]attribute.KeyValue, 0, 3)
	if scope.Valid() && outcome != outcomeError && errType != "not_found" {
		attrs = append(attrs, scope)
	}
	attrs = append(attrs, attrOutcome.String(outcome))
	if errType != "" {
		attrs = append(attrs, attrErrorType.String(errType))
	}
	if !op.start.IsZero() {
		set := metric.WithAttributeSet(attribute.NewSet(attrs...))
		t.ingestEvents.Add(ctx, 1, set)
		t.ingestDuration.Record(ctx, r.now().Sub(op.start).Seconds(), set)
	}
	if op.span != nil {
		op.span.SetAttributes(attrs...)
		if eventID != "" {
			op.span.SetAttributes(attrEvent.String(eventID), attrQueued.Int(deliveries))
		}
		if err != nil {
			op.span.SetStatus(codes.Error, err.Error())
		}
		op.span.End()
	}
}

// classifyIngest is the outcome of an ingest or publish, and the type of
// its error.
func classifyIngest(duplicate bool, err error) (outcome, errType string) {
	var schema *SchemaError
	var invalid *ValidationError
	switch {
	case err == nil && duplicate:
		return outcomeDuplicate, ""
	case err == nil:
		return outcomeAccepted, ""
	case errors.Is(err, ErrNotFound):
		return outcomeRejected, "not_found"
	case errors.Is(err, ErrForbidden):
		return outcomeRejected, "forbidden"
	case errors.Is(err, ErrTooLarge):
		return outcomeRejected, "too_large"
	case errors.Is(err, ErrUnauthorized):
		return outcomeRejected, "unauthorized"
	case errors.As(err, &schema):
		return outcomeRejected, "schema"
	case errors.As(err, &invalid), errors.Is(err, errBadRequest):
		return outcomeRejected, "invalid"
	}
	return outcomeError, "internal"
}

// startAttempt starts the span of a delivery attempt, a child of the span
// that received its event when the event kept one (ev.Traceparent), and
// returns its context: an http destination's request carries it as its
// traceparent header.
func (r *Router) startAttempt(ctx context.Context, ev *store.Event, d *store.Delivery, attempt int) (context.Context, trace.Span) {
	t := r.telemetry
	if !t.tracing() {
		return ctx, nil
	}
	if ev.Traceparent != "" {
		ctx = traceContext.Extract(ctx, propagation.MapCarrier{"traceparent": ev.Traceparent})
	}
	return t.tracer.Start(ctx, "hookstream.attempt", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attrDestination.String(d.DestinationID), attrEvent.String(d.EventID), attrDelivery.String(d.ID), attrAttempt.Int(attempt)))
}

// endAttempt ends an attempt's span (nil when not tracing) and records its
// duration: the destination answered resp (nil if none); failure is the
// attempt's error, empty when it succeeded.
func (r *Router) endAttempt(ctx context.Context, span trace.Span, destID string, took time.Duration, resp *Response, failure string) {
	t := r.telemetry
	outcome := outcomeSuccess
	if failure != "" {
		outcome = outcomeFailure
	}
	if t.attemptDuration.Enabled(ctx) {
		t.attemptDuration.Record(ctx, took.Seconds(), metric.WithAttributes(attrDestination.String(destID), attrOutcome.String(outcome)))
	}
	if span == nil {
		return
	}
	if resp != nil && resp.Status != 0 {
		span.SetAttributes(attrHTTPStatus.Int(resp.Status))
	}
	if failure != "" {
		span.SetStatus(codes.Error, failure)
	}
	span.End()
}

// outcomeReported counts an attempt's outcome and, once it is recorded in
// the store, logs a dead letter.
func (r *Router) outcomeReported(ctx context.Context, f finished, recorded bool) {
	o := f.outcome
	if recorded && o.Result == store.ResultDead && o.Attempt != nil {
		r.logDeadLetter(o.Attempt)
	}
	if !r.telemetry.deliveries.Enabled(ctx) {
		return
	}
	outcome := outcomeReleased
	switch o.Result {
	case store.ResultSuccess:
		outcome = outcomeSuccess
	case store.ResultRetry:
		outcome = outcomeRetry
	case store.ResultDead:
		outcome = outcomeDead
	}
	r.telemetry.deliveries.Add(ctx, 1, metric.WithAttributes(attrDestination.String(f.destID), attrOutcome.String(outcome)))
}

// circuitChanged reports a destination's circuit moving from old to c.
func (r *Router) circuitChanged(ctx context.Context, destID string, old, c store.Circuit) {
	from, to := circuitState(old), circuitState(c)
	if from == to {
		return
	}
	r.logCircuitChange(destID, from, c)
	if t := r.telemetry; t.circuitTransitions.Enabled(ctx) {
		t.circuitTransitions.Add(ctx, 1, metric.WithAttributes(
			attrDestination.String(destID), attrCircuitFrom.String(from), attrCircuitTo.String(to)))
	}
}

// circuitState is c's state; a circuit never stored is closed.
func circuitState(c store.Circuit) string {
	if c.State == "" {
		return store.CircuitClosed
	}
	return c.State
}

// observeQueue reports the queue gauges, from a read of the store at most
// every queueStatsInterval.
func (r *Router) observeQueue(ctx context.Context, o metric.Observer) error {
	t := r.telemetry
	t.queueMu.Lock()
	defer t.queueMu.Unlock()
	now := r.now()
	if t.queueReadAt.IsZero() || now.Sub(t.queueReadAt) >= queueStatsInterval {
		stats, err := r.store.(store.QueueStater).QueueStats(ctx, now)
		if err != nil {
			r.logStoreError("hookstream: read the queue for its gauges", "error", err)
			return nil // no observation rather than a stale one
		}
		t.queueReadAt, t.queueStats = now, stats
	}
	age := 0.0
	if due := t.queueStats.OldestDue; !due.IsZero() {
		age = max(t.queueReadAt.Sub(due).Seconds(), 0)
	}
	o.ObserveInt64(t.queueDepth, int64(t.queueStats.Pending))
	o.ObserveFloat64(t.queueAge, age)
	return nil
}
