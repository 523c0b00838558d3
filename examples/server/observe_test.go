package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/memory"
)

// observedServer is the server's handler on a memory store, with metrics
// when withMetrics is set, and a source to ingest to.
func observedServer(t *testing.T, withMetrics bool, accessLog *slog.Logger) (h http.Handler, sourceID string) {
	t.Helper()
	cfg := &hookstream.Config{Logger: slog.New(slog.DiscardHandler)}
	var metrics http.Handler
	if withMetrics {
		mp, mh, err := newMetrics()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mp.Shutdown(context.Background()) })
		cfg.MeterProvider, metrics = mp, mh
	}
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	router, err := hookstream.New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { router.Close() })
	src, err := router.CreateSource(context.Background(), hookstream.SourceParams{Name: new("github")})
	if err != nil {
		t.Fatal(err)
	}
	return serverHandler(router.Handler(), metrics, accessLog), src.ID
}

func serve(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

func TestServer_Metrics(t *testing.T) {
	t.Parallel()
	h, srcID := observedServer(t, true, nil)
	if rec := serve(h, "POST", "/v1/ingest/"+srcID, `{"ref":"main"}`); rec.Code != http.StatusOK {
		t.Fatalf("ingest = %d %s", rec.Code, rec.Body)
	}
	rec := serve(h, "GET", "/metrics", "")
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`# TYPE hookstream_ingest_events_total counter`,
		`hookstream_ingest_events_total{hookstream_outcome="accepted",hookstream_source_id="` + srcID + `"`,
		`# TYPE hookstream_ingest_duration_seconds histogram`,
		`# TYPE hookstream_queue_depth gauge`,
		`go_goroutines `,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

func TestServer_MetricsOff(t *testing.T) {
	t.Parallel()
	h, _ := observedServer(t, false, nil)
	if rec := serve(h, "GET", "/metrics", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /metrics with -metrics=false = %d, want 404", rec.Code)
	}
}

func TestServer_AccessLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h, srcID := observedServer(t, false, slog.New(slog.NewTextHandler(&buf, nil)))
	serve(h, "POST", "/v1/ingest/"+srcID+"?token=secret", `{}`)
	line := buf.String()
	for _, want := range []string{`msg=access`, `method=POST`, `path=/v1/ingest/` + srcID + ` `, `status=200`, `request_id=`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "secret") {
		t.Errorf("access log %q shows the query", line)
	}
}
