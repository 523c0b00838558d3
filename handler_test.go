package hookstream

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// seedConnectionFields are the 18 fields of seed 000's connection object,
// with their JSON types ("string|null" allows null).
var seedConnectionFields = map[string]string{
	"id": "string", "org_id": "string", "env_id": "string", "source_id": "string", "destination_id": "string",
	"name": "string", "description": "string|null", "enabled": "integer", "filter_rules": "string|null",
	"status": "string", "event_count": "integer", "last_event_at": "string|null", "created_at": "string",
	"updated_at": "string", "transform_enabled": "integer", "transform_expression": "string|null",
	"source_name": "string|null", "destination_name": "string|null",
}

// seedSubscriptionFields are seed 003's subscription fields.
var seedSubscriptionFields = map[string]string{
	"id": "string", "org_id": "string", "env_id": "string", "topic_id": "string", "destination_id": "string",
	"filter_rules": "string|null", "transform_expression": "string|null", "enabled": "integer",
	"created_at": "string", "destination_name": "string|null",
}

// checkFields asserts obj has exactly the fields, each of its type.
func checkFields(t *testing.T, what string, obj map[string]any, fields map[string]string) {
	t.Helper()
	for name, typ := range fields {
		v, ok := obj[name]
		if !ok {
			t.Errorf("%s: field %q missing", what, name)
			continue
		}
		if got := jsonType(v); !strings.Contains(typ, got) {
			t.Errorf("%s: field %q is %s (%v), want %s", what, name, got, v, typ)
		}
	}
	for name := range obj {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: unexpected field %q", what, name)
		}
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

func TestHandler_CreateConnection_Seed(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "Stripe"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "Billing", "url": "https://example.com/hook"}, 201)["destination"].(map[string]any)

	// The seed's request body, with real IDs (its "string" placeholders
	// for org_id and env_id name no tenant: 403, see tenancy_test.go).
	body := map[string]any{
		"org_id": DefaultOrgID, "env_id": DefaultEnvID, "source_id": src["id"], "destination_id": dst["id"],
		"name": "string", "description": "string", "enabled": true,
		"filter_rules":      []any{map[string]any{}}, // as the seed sends it
		"transform_enabled": true, "transform_expression": "string",
	}
	res := call(t, r, "POST", "/v1/connections", testKey, body)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", res.status, res.body)
	}
	conn := res.json(t)["connection"].(map[string]any)
	checkFields(t, "connection", conn, seedConnectionFields)
	if conn["enabled"] != 1.0 || conn["transform_enabled"] != 1.0 || conn["source_name"] != "Stripe" {
		t.Errorf("connection = %v", conn)
	}
	if conn["filter_rules"] != nil {
		t.Errorf("filter_rules = %v, want null for the seed's [{}]", conn["filter_rules"])
	}
	// Real rules come back as a JSON-encoded string.
	body["filter_rules"] = []any{map[string]any{"field": "payload.type", "operator": "eq", "value": "x"}}
	withRules := mustCall(t, r, "POST", "/v1/connections", body, 201)["connection"].(map[string]any)
	var rules []map[string]any
	if err := json.Unmarshal([]byte(withRules["filter_rules"].(string)), &rules); err != nil || rules[0]["op"] != "eq" {
		t.Errorf("filter_rules = %v, want a JSON-encoded array", withRules["filter_rules"])
	}

	t.Run("Bearer", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/v1/connections/"+conn["id"].(string), nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, req)
		if w.Code != 200 {
			t.Errorf("Bearer auth: status %d", w.Code)
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		res := call(t, r, "POST", "/v1/connections", "", body)
		if res.status != 401 {
			t.Errorf("status %d, want 401", res.status)
		}
		checkError(t, res, 401, "Missing API key")
	})
	t.Run("WrongKey", func(t *testing.T) {
		res := call(t, r, "POST", "/v1/connections", "hs_live_"+strings.Repeat("f", 64), body)
		checkError(t, res, 401, "Invalid API key")
	})
	t.Run("UnknownSource", func(t *testing.T) {
		b := map[string]any{"source_id": "src_00000000000000000000000000000000", "destination_id": dst["id"], "name": "x"}
		checkError(t, call(t, r, "POST", "/v1/connections", testKey, b), 404, "Source or destination not found")
	})
	t.Run("OtherTenantsSource", func(t *testing.T) {
		// A second tenant, made as spec §4.9 says: an environment and a key for it.
		env := mustCall(t, r, "POST", "/v1/environments", map[string]any{"name": "Staging"}, 201)["environment"].(map[string]any)
		key := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "staging", "env_id": env["id"]}, 201)["key"].(string)
		otherDst := call(t, r, "POST", "/v1/destinations", key, map[string]any{"name": "D", "url": "https://example.com"})
		if otherDst.status != 201 {
			t.Fatalf("other tenant's destination: %d %s", otherDst.status, otherDst.body)
		}
		b := map[string]any{"source_id": src["id"], "destination_id": otherDst.json(t)["destination"].(map[string]any)["id"], "name": "x"}
		checkError(t, call(t, r, "POST", "/v1/connections", key, b), 404, "Source or destination not found")
		checkError(t, call(t, r, "GET", "/v1/sources/"+src["id"].(string), key, nil), 404, "Source not found")
		if got := call(t, r, "GET", "/v1/sources", key, nil).json(t)["sources"].([]any); len(got) != 0 {
			t.Errorf("other tenant lists %d sources, want 0", len(got))
		}
	})
}

// checkError asserts an error envelope with the status and message.
func checkError(t *testing.T, res apiCall, status int, msg string) {
	t.Helper()
	if res.status != status {
		t.Errorf("status %d, want %d: %s", res.status, status, res.body)
		return
	}
	body := res.json(t)
	if body["error"] != msg || body["status"] != float64(status) {
		t.Errorf("error body = %v, want error %q status %d", body, msg, status)
	}
	id, _ := body["request_id"].(string)
	if !strings.HasPrefix(id, "req_") || res.header.Get("X-Request-Id") != id {
		t.Errorf("request_id %q, X-Request-Id %q: want the same req_ id", id, res.header.Get("X-Request-Id"))
	}
}

func TestHandler_Errors(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{MaxRequestBytes: 1024})
	cases := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"malformed JSON", "POST", "/v1/sources", `{"name":`, 400, "Invalid JSON body: expected a JSON object"},
		{"not an object", "POST", "/v1/sources", `[1,2]`, 400, "Invalid JSON body: expected a JSON object"},
		{"wrong type", "POST", "/v1/sources", `{"name": 12}`, 400, "Invalid body: 'name' must be a string"},
		{"wrong bool type", "POST", "/v1/destinations", `{"name": "d", "url": "https://e.com", "retry_enabled": "yes"}`, 400, "Invalid body: 'retry_enabled' must be a boolean"},
		{"unknown enum", "POST", "/v1/sources", `{"name": "s", "status": "sleepy"}`, 400, "Invalid body: 'status' must be one of active, paused, disabled"},
		{"bad slug", "POST", "/v1/sources", `{"name": "s", "slug": "Not OK"}`, 400, "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"},
		{"too large", "POST", "/v1/sources", `{"name": "` + strings.Repeat("a", 2000) + `"}`, 413, "Body too large: the limit is 1024 bytes"},
		{"wrong method", "PUT", "/v1/sources", `{}`, 405, "Method not allowed"},
		{"unknown path", "GET", "/v1/nothing", nil, 404, "Not found"},
		{"unknown id", "GET", "/v1/destinations/dst_00000000000000000000000000000000", nil, 404, "Destination not found"},
		{"bad limit", "GET", "/v1/sources?limit=abc", nil, 400, "Invalid query: 'limit' must be a non-negative integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkError(t, call(t, r, c.method, c.path, testKey, c.body), c.status, c.msg)
		})
	}
	t.Run("Allow header", func(t *testing.T) {
		res := call(t, r, "PUT", "/v1/sources", testKey, `{}`)
		if got := res.header.Get("Allow"); got != "GET, HEAD, POST" {
			t.Errorf("Allow = %q", got)
		}
	})
	t.Run("unsupported media type", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/sources", strings.NewReader("name=x"))
		req.Header.Set("X-API-Key", testKey)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, req)
		if w.Code != 415 {
			t.Errorf("status %d, want 415", w.Code)
		}
	})
}

func TestHandler_JSONColumnsAsStrings(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	d := mustCall(t, r, "POST", "/v1/destinations", map[string]any{
		"name": "d", "url": "https://example.com", "headers": `{"X-Team":"billing"}`, "retry_intervals": "[5, 10]",
		"auth_type": "bearer", "auth_config": map[string]any{"token": "supersecrettoken"},
	}, 201)["destination"].(map[string]any)
	if d["headers"] != `{"X-Team":"billing"}` || d["retry_intervals"] != "[5,10]" {
		t.Errorf("headers %v, retry_intervals %v", d["headers"], d["retry_intervals"])
	}
	if d["auth_config"] != `{"token":"••••oken"}` {
		t.Errorf("auth_config = %v, want the token masked", d["auth_config"])
	}
	// Sending back what was read keeps the secret.
	mustCall(t, r, "PATCH", "/v1/destinations/"+d["id"].(string), map[string]any{"auth_config": d["auth_config"]}, 200)
	got, err := r.GetDestination(context.Background(), d["id"].(string))
	if err != nil || string(got.AuthConfig) != `{"token":"supersecrettoken"}` {
		t.Errorf("auth_config after round trip = %s, %v", got.AuthConfig, err)
	}
}

func TestHandler_Pagination(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	for i := range 5 {
		mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s" + string(rune('a'+i))}, 201)
	}
	page1 := mustCall(t, r, "GET", "/v1/sources?limit=2", nil, 200)
	if page1["has_more"] != true || page1["cursor"] == nil || len(page1["sources"].([]any)) != 2 {
		t.Fatalf("page 1 = %v", page1)
	}
	if first := page1["sources"].([]any)[0].(map[string]any)["name"]; first != "se" {
		t.Errorf("first source = %v, want the newest (se)", first)
	}
	// A source added between pages does not shift the next page.
	mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "late"}, 201)
	page2 := mustCall(t, r, "GET", "/v1/sources?limit=2&cursor="+page1["cursor"].(string), nil, 200)
	names := []string{}
	for _, s := range page2["sources"].([]any) {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "sc,sb" {
		t.Errorf("page 2 = %v, want sc,sb", names)
	}
}

func TestHandler_APIKeys(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	created := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "ci"}, 201)
	key := created["key"].(string)
	if len(key) != len("hs_live_")+64 || created["key_prefix"] != key[:12] {
		t.Errorf("key %q prefix %v", key, created["key_prefix"])
	}
	if c := call(t, r, "GET", "/v1/sources", key, nil); c.status != 200 {
		t.Errorf("new key: status %d", c.status)
	}
	list := mustCall(t, r, "GET", "/v1/auth/api-keys", nil, 200)["api_keys"].([]any)
	for _, k := range list {
		if _, shown := k.(map[string]any)["key"]; shown {
			t.Error("listing shows a key")
		}
	}
	mustCall(t, r, "DELETE", "/v1/auth/api-keys/"+created["id"].(string), nil, 200)
	checkError(t, call(t, r, "GET", "/v1/sources", key, nil), 401, "Invalid API key")
}

func TestHandler_CustomAuthenticator(t *testing.T) {
	t.Parallel()
	tenant := Tenant{OrgID: "org_cookie", EnvID: "env_cookie"}
	r := setup(t, &Config{Authenticator: AuthenticatorFunc(func(r *Router, req *http.Request) (Credentials, error) {
		if c, err := req.Cookie("session"); err == nil && c.Value == "ok" {
			return Credentials{Tenant: tenant}, nil
		}
		return APIKeyAuthenticator{}.Authenticate(r, req)
	})})
	req := httptest.NewRequest("POST", "/v1/sources", strings.NewReader(`{"name":"cookie"}`))
	req.AddCookie(&http.Cookie{Name: "session", Value: "ok"})
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	if w.Code != 201 || !strings.Contains(w.Body.String(), `"org_id":"org_cookie"`) {
		t.Errorf("cookie auth: %d %s", w.Code, w.Body)
	}
	if c := call(t, r, "GET", "/v1/sources", testKey, nil); c.status != 200 {
		t.Errorf("fallback to API key: %d", c.status)
	}
}

func TestHandler_MountedUnderPrefix(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{BaseURL: "https://hooks.example.com/api"})
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", r.Handler()))
	mux.HandleFunc("/mine", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("mine")) })
	req := httptest.NewRequest("POST", "/api/v1/sources", strings.NewReader(`{"name":"s"}`))
	req.Header.Set("X-API-Key", testKey)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != 201 || !strings.Contains(w.Body.String(), `"ingest_url":"https://hooks.example.com/api/v1/ingest/src_`) {
		t.Errorf("mounted: %d %s", w.Code, w.Body)
	}
}

func TestHandler_ListFiltersAreValidated(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	checkError(t, call(t, r, "GET", "/v1/events?status=bogus", testKey, nil), 400,
		"Invalid query: 'status' must be one of received, processing, delivered, failed")
	checkError(t, call(t, r, "GET", "/v1/delivery-attempts?status=done", testKey, nil), 400,
		"Invalid query: 'status' must be one of pending, success, failed")
	if c := call(t, r, "GET", "/v1/events?status=failed&dedup_status=unique", testKey, nil); c.status != 200 {
		t.Errorf("valid filters: %d %s", c.status, c.body)
	}
}
