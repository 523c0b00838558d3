package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// update rewrites the golden files: go test -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.json")

// goldenNow is the fixed clock of golden tests.
var goldenNow = time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)

func goldenClock() time.Time { return goldenNow }

var (
	goldenFullKey   = regexp.MustCompile(`hs_(?:live|test)_[0-9a-f]{64}`)
	goldenKeyPrefix = regexp.MustCompile(`hs_(?:live|test)_[0-9a-f]{4}\b`)
	goldenReqID     = regexp.MustCompile(`\breq_[0-9a-f]{32}\b`)
	goldenIDs       = regexp.MustCompile(`\b(?:(src|dst|conn|evt|da|dlv|top|sub|rpl|env|org)_[0-9a-f]{32}|(ak)_[0-9a-f]{16})\b`)
	goldenTime      = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`) // spec §1: exactly three fractional digits, UTC
	goldenCursor    = regexp.MustCompile(`"(cursor|next_cursor)": "[^"]+"`)
)

// normalizeGolden pretty-prints a JSON response and replaces its volatile
// values: IDs become <prefix_n> numbered by order of appearance per prefix
// (the same ID keeps its placeholder), request IDs <req_id>, API keys
// <key> and <key_prefix>, timestamps <time>, cursors <cursor>. Values
// inside JSON-encoded strings are replaced too.
func normalizeGolden(raw []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	s := b.String()
	s = goldenCursor.ReplaceAllString(s, `"$1": "<cursor>"`)
	s = goldenFullKey.ReplaceAllString(s, "<key>")
	s = goldenKeyPrefix.ReplaceAllString(s, "<key_prefix>")
	s = goldenReqID.ReplaceAllString(s, "<req_id>")
	seen := map[string]string{}
	count := map[string]int{}
	s = goldenIDs.ReplaceAllStringFunc(s, func(id string) string {
		if p, ok := seen[id]; ok {
			return p
		}
		prefix, _, _ := strings.Cut(id, "_")
		count[prefix]++
		seen[id] = fmt.Sprintf("<%s_%d>", prefix, count[prefix])
		return seen[id]
	})
	s = goldenTime.ReplaceAllString(s, "<time>")
	return []byte(s + "\n"), nil
}

// checkGolden compares a response with testdata/golden/<name>.json (or
// rewrites the file under -update) after checking its status.
func checkGolden(t *testing.T, name string, res apiCall, status int) {
	t.Helper()
	if res.status != status {
		t.Errorf("%s: status %d, want %d\n%s", name, res.status, status, res.body)
	}
	got, err := normalizeGolden(res.body)
	if err != nil {
		t.Errorf("%s: %v\n%s", name, err, res.body)
		return
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run go test -run Golden -update)", name, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: response differs from %s (go test -run Golden -update rewrites it)\n%s", name, path, goldenDiff(want, got))
	}
}

// goldenDiff shows the first differing line of two texts and the whole new
// one.
func goldenDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s\ngot:\n%s", i+1, wl, gl, got)
		}
	}
	return ""
}

// goldenStep calls the API with the test key, checks the answer against its
// golden file, and returns it decoded; a wrong status ends the test (later
// steps build on this one).
func goldenStep(t *testing.T, r *Router, name, method, path string, body any, status int) map[string]any {
	t.Helper()
	res := call(t, r, method, path, testKey, body)
	if res.status != status {
		t.Fatalf("%s: %s %s: status %d, want %d\n%s", name, method, path, res.status, status, res.body)
	}
	checkGolden(t, name, res, status)
	return res.json(t)
}

func goldenIDOf(t *testing.T, v map[string]any, envelope string) string {
	t.Helper()
	obj, ok := v[envelope].(map[string]any)
	if !ok {
		t.Fatalf("no %q object in %v", envelope, v)
	}
	id, _ := obj["id"].(string)
	return id
}

func TestHandler_GoldenResources(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{Now: goldenClock, Providers: map[string]Provider{
		"inproc": FuncProvider(func(context.Context, *Message) error { return nil }),
	}})
	step := func(name, method, path string, body any, status int) map[string]any {
		t.Helper()
		return goldenStep(t, r, name, method, path, body, status)
	}

	step("health", "GET", "/v1/health", nil, 200)
	step("sources_templates", "GET", "/v1/sources/templates", nil, 200)

	// Sources: a rich one (template, secret, dedup, IP lists, schema) and a
	// plain one.
	src := goldenIDOf(t, step("sources_create", "POST", "/v1/sources", map[string]any{
		"name": "Stripe payments", "description": "Payments from Stripe", "template": "stripe",
		"verification_enabled": true, "verification_secret": "whsec_c2VjcmV0c2VjcmV0c2VjcmV0",
		"dedup_enabled": true, "dedup_strategy": "body_field", "dedup_field": "id", "dedup_window_seconds": 600,
		"ip_allowlist": []string{"203.0.113.0/24", "2001:db8::1"}, "ip_denylist": `["203.0.113.7"]`,
		"schema_validation_enabled": true, "schema_action": "warn",
		"json_schema":   map[string]any{"type": "object", "required": []string{"type"}},
		"source_config": map[string]any{"region": "eu"},
	}, 201), "source")
	plain := goldenIDOf(t, step("sources_create_minimal", "POST", "/v1/sources", map[string]any{"name": "Orders"}, 201), "source")
	step("sources_get", "GET", "/v1/sources/"+src, nil, 200)
	step("sources_update", "PATCH", "/v1/sources/"+src, map[string]any{"status": "paused", "description": nil, "ip_denylist": []string{}}, 200)
	step("sources_list", "GET", "/v1/sources?limit=1", nil, 200)

	// Destinations: http with auth, headers and signing; a provider type.
	dst := goldenIDOf(t, step("destinations_create", "POST", "/v1/destinations", map[string]any{
		"name": "Billing", "url": "https://billing.example.com/hooks", "method": "put",
		"headers": map[string]string{"X-Team": "billing"}, "timeout": 10,
		"auth_type": "api_key", "auth_config": map[string]string{"header": "X-Api-Token", "value": "tok_1234567890"},
		"retry_max_attempts": 3, "retry_backoff_type": "linear", "retry_intervals": "[10]",
		"signing_config":  map[string]any{"secret": "signing-secret-1234", "algorithm": "sha256"},
		"max_concurrency": 1,
	}, 201), "destination")
	inproc := goldenIDOf(t, step("destinations_create_provider", "POST", "/v1/destinations", map[string]any{
		"name": "In process", "type": "inproc", "provider_config": map[string]any{"queue": "orders", "password": "hunter2hunter2"},
		"retry_enabled": false, "circuit_breaker_enabled": false,
	}, 201), "destination")
	step("destinations_get", "GET", "/v1/destinations/"+dst, nil, 200)
	step("destinations_update", "PATCH", "/v1/destinations/"+dst, map[string]any{"status": "paused", "headers": map[string]string{}}, 200)
	step("destinations_list", "GET", "/v1/destinations", nil, 200)
	step("destinations_circuit_get", "GET", "/v1/destinations/"+dst+"/circuit", nil, 200)
	step("destinations_circuit_reset", "POST", "/v1/destinations/"+dst+"/circuit/reset", nil, 200)

	// Connections (seed 000).
	conn := goldenIDOf(t, step("connections_create", "POST", "/v1/connections", map[string]any{
		"org_id": DefaultOrgID, "env_id": DefaultEnvID, "source_id": plain, "destination_id": inproc,
		"name": "orders to inproc", "description": "Paid orders only",
		"filter_rules": []any{
			map[string]any{"field": "payload.type", "op": "eq", "value": "order.paid"},
			map[string]any{"field": "payload.total", "operator": "gte", "value": 100},
		},
		"enabled": true, "transform_enabled": true, "transform_expression": `{"order": id, "amount": total}`,
	}, 201), "connection")
	step("connections_create_minimal", "POST", "/v1/connections", map[string]any{
		"source_id": src, "destination_id": dst, "name": "stripe to billing",
	}, 201)
	step("connections_get", "GET", "/v1/connections/"+conn, nil, 200)
	step("connections_update", "PATCH", "/v1/connections/"+conn, map[string]any{"status": "paused", "description": nil}, 200)
	step("connections_list", "GET", "/v1/connections?source_id="+plain, nil, 200)

	// Dry runs.
	sample := map[string]any{"payload": map[string]any{"type": "order.paid", "id": "ord_1", "total": 250}, "headers": map[string]string{"X-Shop": "eu"}}
	step("connections_test", "POST", "/v1/connections/"+conn+"/test", sample, 200)
	step("connections_test_unmatched", "POST", "/v1/connections/"+conn+"/test", map[string]any{"payload": map[string]any{"type": "order.refunded"}}, 200)
	step("sources_test", "POST", "/v1/sources/"+plain+"/test", sample, 200)

	// Topics and subscriptions (seed 003).
	top := goldenIDOf(t, step("topics_create", "POST", "/v1/topics", map[string]any{
		"name": "Order events", "description": "Everything about orders", "schema": `{"type":"object"}`,
	}, 201), "topic")
	step("topics_update", "PATCH", "/v1/topics/"+top, map[string]any{"description": "Orders", "schema": nil}, 200)
	sub := goldenIDOf(t, step("subscriptions_create", "POST", "/v1/topics/"+top+"/subscriptions", map[string]any{
		"destination_id": inproc, "filter_rules": []any{map[string]any{"field": "payload.kind", "op": "in", "value": []string{"a", "b"}}},
		"transform_expression": `{"kind": kind}`,
	}, 201), "subscription")
	step("subscriptions_update", "PATCH", "/v1/topics/"+top+"/subscriptions/"+sub, map[string]any{"enabled": false}, 200)
	step("subscriptions_list", "GET", "/v1/topics/"+top+"/subscriptions", nil, 200)
	step("subscriptions_test", "POST", "/v1/topics/"+top+"/subscriptions/"+sub+"/test", map[string]any{"payload": map[string]any{"kind": "a"}}, 200)
	step("topics_get", "GET", "/v1/topics/"+top, nil, 200)
	step("topics_list", "GET", "/v1/topics", nil, 200)
	step("topics_publish", "POST", "/v1/topics/order-events/publish", map[string]any{"kind": "a"}, 200)
	step("subscriptions_delete", "DELETE", "/v1/topics/"+top+"/subscriptions/"+sub, nil, 200)
	step("topics_delete", "DELETE", "/v1/topics/"+top, nil, 200)

	// Environments and API keys.
	env := goldenIDOf(t, step("environments_create", "POST", "/v1/environments", map[string]any{"name": "Staging"}, 201), "environment")
	step("environments_get", "GET", "/v1/environments/"+env, nil, 200)
	step("environments_update", "PATCH", "/v1/environments/"+env, map[string]any{"name": "Staging EU", "slug": "staging-eu"}, 200)
	step("environments_list", "GET", "/v1/environments", nil, 200)
	key := step("api_keys_create", "POST", "/v1/auth/api-keys", map[string]any{"name": "staging ci", "env_id": env}, 201)
	step("api_keys_list", "GET", "/v1/auth/api-keys", nil, 200)
	step("api_keys_revoke", "DELETE", "/v1/auth/api-keys/"+key["id"].(string), nil, 200)
	step("environments_delete", "DELETE", "/v1/environments/"+env, nil, 200)

	// Deletes, last.
	step("connections_delete", "DELETE", "/v1/connections/"+conn, nil, 200)
	step("sources_delete", "DELETE", "/v1/sources/"+plain, nil, 200)
	step("destinations_delete", "DELETE", "/v1/destinations/"+inproc, nil, 200)
}

// goldenProvider is a FuncProvider destination type for golden tests:
// it fails for destinations named "Flaky", and reports every call.
type goldenProvider struct {
	calls chan string
}

func (p *goldenProvider) deliver(_ context.Context, msg *Message) error {
	p.calls <- msg.Destination.Name
	if msg.Destination.Name == "Flaky" {
		return errors.New("connection refused")
	}
	return nil
}

// goldenDeliver runs the scheduler until the provider has been called n
// times, then stops it. Run records every in-flight attempt before it
// returns, so the attempts are in the store afterwards.
func goldenDeliver(t *testing.T, r *Router, p *goldenProvider, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-p.calls:
		case <-timeout:
			cancel()
			<-done
			t.Fatalf("the scheduler made fewer than %d deliveries", n)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// ingest sends a webhook to a source through the handler (no API key).
func goldenIngest(t *testing.T, r *Router, sourceID, body string) apiCall {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/ingest/"+sourceID+"?shop=eu", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop-Id", "42")
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	return apiCall{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func TestHandler_GoldenDelivery(t *testing.T) {
	t.Parallel()
	p := &goldenProvider{calls: make(chan string, 16)}
	r := setup(t, &Config{Now: goldenClock, Workers: 1, Providers: map[string]Provider{"inproc": FuncProvider(p.deliver)}})
	ctx := context.Background()
	step := func(name, method, path string, body any, status int) map[string]any {
		t.Helper()
		return goldenStep(t, r, name, method, path, body, status)
	}

	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Shop"), DedupEnabled: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Warehouse"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	flaky, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Flaky"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []ConnectionParams{
		{SourceID: src.ID, DestinationID: ok.ID, Name: ptr("shop to warehouse"), FilterRules: FilterRules{{Field: "payload.type", Op: "eq", Value: "order.paid"}}},
		{SourceID: src.ID, DestinationID: flaky.ID, Name: ptr("shop to flaky"), FilterRules: FilterRules{{Field: "payload.type", Op: "eq", Value: "order.refunded"}}},
	} {
		if _, err := r.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// One event per destination, delivered one at a time so that the
	// attempts are recorded in a known order.
	paid := goldenIngest(t, r, src.ID, `{"type": "order.paid", "id": "ord_1", "total": 250}`)
	checkGolden(t, "ingest", paid, 200)
	goldenDeliver(t, r, p, 1)
	refunded := goldenIngest(t, r, src.ID, `{"type": "order.refunded", "id": "ord_1"}`)
	if refunded.status != 200 {
		t.Fatalf("ingest: %d %s", refunded.status, refunded.body)
	}
	goldenDeliver(t, r, p, 1)
	checkGolden(t, "ingest_duplicate", goldenIngest(t, r, src.ID, `{"type": "order.paid", "id": "ord_1", "total": 250}`), 200)

	page, err := r.ListAttempts(ctx, ListAttemptsParams{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("attempts after delivery: %d, %v; want 2", len(page.Items), err)
	}
	failed := page.Items[0]
	if failed.DestinationID != flaky.ID || failed.Status != "failed" {
		t.Fatalf("newest attempt = %+v, want the failed one to Flaky", failed)
	}
	paidID := paid.json(t)["event_id"].(string)

	step("events_list", "GET", "/v1/events", nil, 200)
	step("events_list_page", "GET", "/v1/events?limit=1&status=delivered", nil, 200)
	step("events_get", "GET", "/v1/events/"+paidID, nil, 200)
	step("delivery_attempts_list", "GET", "/v1/delivery-attempts", nil, 200)
	step("delivery_attempts_list_page", "GET", "/v1/delivery-attempts?limit=1&offset=1", nil, 200)
	step("delivery_attempts_get", "GET", "/v1/delivery-attempts/"+failed.ID, nil, 200)
	step("delivery_attempts_retry", "POST", "/v1/delivery-attempts/"+failed.ID+"/retry", nil, 200)
	<-p.calls
	step("events_retry", "POST", "/v1/events/"+paidID+"/retry", nil, 200)
	<-p.calls
	step("destinations_circuit_get_after_failures", "GET", "/v1/destinations/"+flaky.ID+"/circuit", nil, 200)
}

func TestHandler_GoldenErrors(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{Now: goldenClock})
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{
		Name: ptr("Strict"), SchemaValidationEnabled: ptr(true),
		JSONSchema: json.RawMessage(`{"type":"object","required":["type"],"properties":{"type":{"type":"string"}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}

	checkGolden(t, "error_400_malformed", call(t, r, "POST", "/v1/sources", testKey, `{"name":`), 400)
	checkGolden(t, "error_400_field", call(t, r, "POST", "/v1/sources", testKey, `{"name": "s", "slug": "Not OK"}`), 400)
	checkGolden(t, "error_400_type", call(t, r, "POST", "/v1/sources", testKey, `{"name": "s", "dedup_window_seconds": 1.5}`), 400)
	checkGolden(t, "error_400_cursor", call(t, r, "GET", "/v1/sources?cursor=abc", testKey, nil), 400)
	checkGolden(t, "error_401", call(t, r, "GET", "/v1/sources", "", nil), 401)
	blocked, err := r.CreateSource(ctx, SourceParams{Name: ptr("Blocked"), IPDenylist: []string{"0.0.0.0/0", "::/0"}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "error_403", goldenIngest(t, r, blocked.ID, `{}`), 403)
	checkGolden(t, "error_404", call(t, r, "GET", "/v1/sources/src_00000000000000000000000000000000", testKey, nil), 404)
	checkGolden(t, "error_404_path", call(t, r, "GET", "/v1/nothing", testKey, nil), 404)
	checkGolden(t, "error_405", call(t, r, "DELETE", "/v1/sources", testKey, nil), 405)
	checkGolden(t, "error_409", call(t, r, "POST", "/v1/sources", testKey, `{"name": "Strict"}`), 409)
	checkGolden(t, "error_413", call(t, r, "POST", "/v1/sources", testKey, `{"name": "`+strings.Repeat("a", DefaultMaxRequestBytes)+`"}`), 413)

	req := httptest.NewRequest("POST", "/v1/sources", strings.NewReader("name=x"))
	req.Header.Set("X-API-Key", testKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	checkGolden(t, "error_415", apiCall{status: w.Code, header: w.Header(), body: w.Body.Bytes()}, 415)

	checkGolden(t, "error_422", goldenIngest(t, r, src.ID, `{"type": 5}`), 422)
}

// TestHandler_Subscribe_Seed checks seed 003: the subscription object's
// exact fields and types, and the 404 and 409 answers, also under
// concurrent identical requests.
func TestHandler_Subscribe_Seed(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	top := mustCall(t, r, "POST", "/v1/topics", map[string]any{"name": "Orders"}, 201)["topic"].(map[string]any)["id"].(string)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "Billing", "url": "https://example.com/hook"}, 201)["destination"].(map[string]any)["id"].(string)
	path := "/v1/topics/" + top + "/subscriptions"
	body := map[string]any{
		"destination_id":       dst,
		"filter_rules":         []any{map[string]any{"field": "payload.type", "op": "eq", "value": "x"}},
		"transform_expression": `{"a": type}`,
	}

	res := call(t, r, "POST", path, testKey, body)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", res.status, res.body)
	}
	env := res.json(t)
	if len(env) != 1 {
		t.Errorf("envelope has %d keys, want only subscription: %v", len(env), env)
	}
	sub := env["subscription"].(map[string]any)
	checkFields(t, "subscription", sub, seedSubscriptionFields)
	if sub["topic_id"] != top || sub["destination_id"] != dst || sub["enabled"] != 1.0 || sub["destination_name"] != "Billing" ||
		sub["transform_expression"] != `{"a": type}` || sub["org_id"] != DefaultOrgID || sub["env_id"] != DefaultEnvID {
		t.Errorf("subscription = %v", sub)
	}
	if id, _ := sub["id"].(string); !regexp.MustCompile(`^sub_[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("id = %q, want sub_ + 32 hex", id)
	}
	var rules []map[string]any
	if err := json.Unmarshal([]byte(sub["filter_rules"].(string)), &rules); err != nil || len(rules) != 1 || rules[0]["op"] != "eq" {
		t.Errorf("filter_rules = %v, want a JSON-encoded array of the rule", sub["filter_rules"])
	}
	if _, err := time.Parse(time.RFC3339, sub["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}

	t.Run("Minimal", func(t *testing.T) {
		other := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "Other", "url": "https://example.com/o"}, 201)["destination"].(map[string]any)["id"]
		sub := mustCall(t, r, "POST", path, map[string]any{"destination_id": other}, 201)["subscription"].(map[string]any)
		checkFields(t, "subscription", sub, seedSubscriptionFields)
		if sub["filter_rules"] != nil || sub["transform_expression"] != nil {
			t.Errorf("empty filter_rules/transform_expression = %v, %v; want null", sub["filter_rules"], sub["transform_expression"])
		}
	})
	t.Run("AlreadySubscribed", func(t *testing.T) {
		checkError(t, call(t, r, "POST", path, testKey, body), 409, "Already subscribed")
	})
	t.Run("UnknownTopic", func(t *testing.T) {
		checkError(t, call(t, r, "POST", "/v1/topics/top_00000000000000000000000000000000/subscriptions", testKey, body), 404, "Topic not found")
	})
	t.Run("UnknownDestination", func(t *testing.T) {
		b := map[string]any{"destination_id": "dst_00000000000000000000000000000000"}
		checkError(t, call(t, r, "POST", path, testKey, b), 404, "Destination not found")
	})
	t.Run("OtherTenantsDestination", func(t *testing.T) {
		env := mustCall(t, r, "POST", "/v1/environments", map[string]any{"name": "Staging"}, 201)["environment"].(map[string]any)["id"]
		key := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "staging", "env_id": env}, 201)["key"].(string)
		res := call(t, r, "POST", "/v1/destinations", key, map[string]any{"name": "Theirs", "url": "https://example.com/t"})
		if res.status != 201 {
			t.Fatalf("other tenant's destination: %d %s", res.status, res.body)
		}
		theirs := res.json(t)["destination"].(map[string]any)["id"]
		checkError(t, call(t, r, "POST", path, testKey, map[string]any{"destination_id": theirs}), 404, "Destination not found")
		// Nor can the other tenant subscribe to this tenant's topic.
		checkError(t, call(t, r, "POST", path, key, map[string]any{"destination_id": theirs}), 404, "Topic not found")
	})
	t.Run("MissingDestination", func(t *testing.T) {
		checkError(t, call(t, r, "POST", path, testKey, map[string]any{}), 400, "Invalid body: 'destination_id' is required")
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		top := mustCall(t, r, "POST", "/v1/topics", map[string]any{"name": "Race"}, 201)["topic"].(map[string]any)["id"].(string)
		dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "D", "url": "https://example.com/d"}, 201)["destination"].(map[string]any)["id"]
		const n = 20
		results := make([]apiCall, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				results[i] = call(t, r, "POST", "/v1/topics/"+top+"/subscriptions", testKey, map[string]any{"destination_id": dst})
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, res := range results {
			switch res.status {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				checkError(t, res, 409, "Already subscribed")
			default:
				t.Errorf("status %d: %s", res.status, res.body)
			}
		}
		if created != 1 {
			t.Errorf("%d requests created the subscription, want exactly 1", created)
		}
		list := mustCall(t, r, "GET", "/v1/topics/"+top+"/subscriptions", nil, 200)["subscriptions"].([]any)
		if len(list) != 1 {
			t.Errorf("topic has %d subscriptions, want 1", len(list))
		}
	})
}
