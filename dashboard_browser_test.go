package hookstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDashboard_Browser walks through the dashboard in headless Chromium
// (dashboard/e2e/walk.mjs, driven by playwright-core): sign in, create a
// source, a destination and a connection, ingest webhooks, watch them in
// the live tail (when the server serves /v1/ws), open an event's attempts,
// break the destination, retry the dead letter, shape the connection in
// the playground and save it; then it checks here, through the Go API,
// what the browser did. Opt-in: HOOKSTREAM_BROWSER=1, with Debian's
// chromium (or HOOKSTREAM_CHROMIUM) and `npm ci` run in dashboard/e2e.
// HOOKSTREAM_BROWSER_SCREENSHOTS=dir keeps the screenshots there (the
// README's are made with docs/screenshots); HOOKSTREAM_BROWSER_EVENTS=N
// stores N events first and checks that the events view's first page
// still renders within a second.
func TestDashboard_Browser(t *testing.T) {
	if os.Getenv("HOOKSTREAM_BROWSER") != "1" {
		t.Skip("the dashboard's browser test runs with HOOKSTREAM_BROWSER=1 (needs node, chromium and npm ci in dashboard/e2e)")
	}
	chromium := os.Getenv("HOOKSTREAM_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install chromium, or set HOOKSTREAM_CHROMIUM): %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	e2e, err := filepath.Abs(filepath.Join("dashboard", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e2e, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed: run npm ci in %s", e2e)
	}
	shots := os.Getenv("HOOKSTREAM_BROWSER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	bulk := 0
	if v := os.Getenv("HOOKSTREAM_BROWSER_EVENTS"); v != "" {
		if bulk, err = strconv.Atoi(v); err != nil {
			t.Fatalf("HOOKSTREAM_BROWSER_EVENTS: %v", err)
		}
	}

	r, err := Open(filepath.Join(t.TempDir(), "hookstream.db"), &Config{AllowPrivateNetworks: true, Retention: KeepForever})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if _, err := r.RegisterAPIKey(ctx, "browser", testKey); err != nil {
		t.Fatal(err)
	}
	if bulk > 0 {
		seedEvents(t, r, bulk)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/fail" {
			http.Error(w, "receiver answered 500", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer receiver.Close()
	api, dashboard := r.Handler(), r.Dashboard()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/v1/") {
			api.ServeHTTP(w, req)
			return
		}
		dashboard.ServeHTTP(w, req)
	}))
	defer server.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()

	walkCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(walkCtx, node, "walk.mjs")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "HS_BASE="+server.URL+"/", "HS_KEY="+testKey, "HS_RECEIVER="+receiver.URL,
		"HS_CHROMIUM="+chromium, "HS_SHOTS="+shots)
	if bulk > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("HS_PERF_TOTAL=%d", bulk))
	}
	out, err := cmd.CombinedOutput()
	t.Logf("walk.mjs (screenshots in %s):\n%s", shots, out)
	if err != nil {
		t.Fatalf("the walk failed: %v", err)
	}
	results := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "RESULT "), "="); ok && strings.HasPrefix(sc.Text(), "RESULT ") {
			results[k] = v
		}
	}

	// What the browser did, seen through the Go API.
	conn, err := r.GetConnection(ctx, results["connection"])
	if err != nil {
		t.Fatalf("the connection the walk made: %v", err)
	}
	var rules []FilterRule
	if err := json.Unmarshal(conn.FilterRules, &rules); err != nil || len(rules) != 2 ||
		rules[1] != (FilterRule{Field: "payload.amount", Op: OpGte, Value: float64(1000)}) {
		t.Errorf("the playground saved rules %s (%v)", conn.FilterRules, err)
	}
	if !conn.TransformEnabled || conn.TransformExpression != `{"order": id, "cents": amount, "big": big}` {
		t.Errorf("the playground saved transform %v %q", conn.TransformEnabled, conn.TransformExpression)
	}
	if ev, err := r.GetEvent(ctx, results["first_event"]); err != nil || ev.Status != EventDelivered {
		t.Errorf("the first event: %v %v, want delivered", ev, err)
	}
	failed, err := r.GetEvent(ctx, results["failed_event"])
	if err != nil || failed.Status != EventDelivered {
		t.Errorf("the dead-lettered event after its retry: %v %v, want delivered", failed, err)
	}
	attempts, err := r.ListAttempts(ctx, ListAttemptsParams{EventID: results["failed_event"]})
	if err != nil {
		t.Fatal(err)
	}
	var manualOK, dead int
	for _, a := range attempts.Items {
		if a.Trigger == TriggerManual && a.Status == AttemptSuccess {
			manualOK++
		}
		if a.IsDLQ {
			dead++
		}
	}
	if manualOK != 1 || dead != 2 || len(attempts.Items) != 3 {
		t.Errorf("the failed event's attempts: %d, %d dead letters, %d manual successes; want the first, the failed retry, the good one", len(attempts.Items), dead, manualOK)
	}
	if results["live_tail"] != "served" {
		t.Log("the live tail step checked the not-served state: this server has no GET /v1/ws")
	}
	if results["metrics"] != "served" {
		t.Log("the overview showed the not-served state of the metrics endpoints")
	}
	if ms := results["first_page_ms"]; ms != "" {
		t.Logf("events view, first page with %d events stored: %s ms", bulk, ms)
	}
}

// seedEvents stores n small events in a source of their own, through
// ingest, eight at a time so that the store's group commit batches them.
func seedEvents(t *testing.T, r *Router, n int) {
	t.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Bulk")})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				req := httptest.NewRequest("POST", "/v1/ingest/"+src.ID, strings.NewReader(fmt.Sprintf(`{"type":"bulk","n":%d}`, i)))
				req.Header.Set("Content-Type", "application/json")
				if _, err := r.Ingest(ctx, src.ID, req); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	t.Logf("stored %d events in %v", n, time.Since(started).Round(time.Millisecond))
}
