package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// metricsPath is where the server serves Prometheus metrics.
const metricsPath = "/metrics"

// newMetrics returns a meter provider for the Router and the handler that
// serves what it measures, with the Go runtime's and the process's
// metrics, as Prometheus text: OpenTelemetry's Prometheus exporter over a
// registry of its own.
func newMetrics() (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter),
		sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "hookstream"))))
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// serverHandler routes metricsPath to metrics, when it is not nil, and
// everything else to api: the REST API and the dashboard (which answer
// unknown paths with a 404, /metrics too when metrics are off). With accessLog set, each
// request is logged once answered.
func serverHandler(api, metrics http.Handler, accessLog *slog.Logger) http.Handler {
	h := api
	if metrics != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == metricsPath {
				metrics.ServeHTTP(w, req)
				return
			}
			api.ServeHTTP(w, req)
		})
	}
	if accessLog == nil {
		return h
	}
	return logRequests(h, accessLog)
}

// logRequests logs each request to h at INFO once it is answered: method,
// path (not the query, which may carry a token), status, bytes written,
// duration, client address and request ID.
func logRequests(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rw := &recordingWriter{ResponseWriter: w}
		h.ServeHTTP(rw, req)
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		log.Info("access", "method", req.Method, "path", req.URL.Path, "status", rw.status, "bytes", rw.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", req.RemoteAddr,
			"request_id", w.Header().Get("X-Request-Id"))
	})
}

// recordingWriter notes the status and size of a response. Unwrap lets
// http.ResponseController reach the connection's writer (to flush, or to
// hijack it for a WebSocket).
type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
