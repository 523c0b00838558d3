package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// openAPIMethods are the HTTP methods an OpenAPI path item may hold.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// fetchOpenAPI gets and decodes GET /v1/openapi.json (no API key).
func fetchOpenAPI(t *testing.T, r *Router) map[string]any {
	t.Helper()
	res := call(t, r, "GET", "/v1/openapi.json", "", nil)
	if res.status != 200 {
		t.Fatalf("GET /v1/openapi.json: status %d: %s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return res.json(t)
}

// openAPIOperations returns the document's operations keyed "METHOD path"
// (method upper case).
func openAPIOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatalf("paths = %v, want a non-empty object", doc["paths"])
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		item, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("paths[%q] is not an object", path)
		}
		for m, op := range item {
			if !slices.Contains(openAPIMethods, m) {
				continue
			}
			op, ok := op.(map[string]any)
			if !ok {
				t.Fatalf("paths[%q].%s is not an object", path, m)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return ops
}

// successResponse returns an operation's one 2xx status and its JSON
// schema.
func successResponse(t *testing.T, key string, op map[string]any) (int, map[string]any) {
	t.Helper()
	responses, ok := op["responses"].(map[string]any)
	if !ok || len(responses) == 0 {
		t.Errorf("%s: no responses", key)
		return 0, nil
	}
	if _, ok := responses["default"]; !ok {
		t.Errorf("%s: no default (error) response", key)
	}
	status, found := 0, 0
	var s map[string]any
	for code, resp := range responses {
		n, err := strconv.Atoi(code)
		if err != nil {
			if code != "default" {
				t.Errorf("%s: response key %q is not a status code", key, code)
			}
			continue
		}
		if n < 200 || n > 299 {
			continue
		}
		found++
		status = n
		resp, _ := resp.(map[string]any)
		if d, _ := resp["description"].(string); d == "" {
			t.Errorf("%s: response %s has no description", key, code)
		}
		content, _ := resp["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		s, _ = media["schema"].(map[string]any)
		if s == nil {
			t.Errorf("%s: response %s has no application/json schema", key, code)
		}
	}
	if found != 1 {
		t.Errorf("%s: %d success responses, want 1", key, found)
	}
	return status, s
}

func TestHandler_OpenAPI(t *testing.T) {
	t.Parallel()
	// Deliveries go to an in-process destination: no network.
	r := setup(t, &Config{Providers: map[string]Provider{
		"inproc": FuncProvider(func(context.Context, *Message) error { return nil }),
	}})
	doc := fetchOpenAPI(t, r)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] != Version {
		t.Errorf("info = %v, want a title and version %s", info, Version)
	}
	schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if schemes["apiKey"] == nil || schemes["bearer"] == nil {
		t.Errorf("securitySchemes = %v, want apiKey and bearer", schemes)
	}
	ops := openAPIOperations(t, doc)

	t.Run("EveryEndpointDocumented", func(t *testing.T) {
		routed := map[string]endpoint{}
		for _, e := range r.endpoints() {
			methods := []string{e.method}
			if e.method == "" {
				methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
			}
			for _, m := range methods {
				key := m + " " + e.path
				routed[key] = e
				op, ok := ops[key]
				if !ok {
					t.Errorf("%s is routed but not in the OpenAPI document", key)
					continue
				}
				if s, _ := op["summary"].(string); s == "" {
					t.Errorf("%s: no summary", key)
				}
				if sec, ok := op["security"].([]any); e.public != (ok && len(sec) == 0) {
					t.Errorf("%s: security = %v, public = %v", key, op["security"], e.public)
				}
			}
		}
		for key := range ops {
			if _, ok := routed[key]; !ok {
				t.Errorf("%s is documented but not routed", key)
			}
		}
	})

	t.Run("PathParameters", func(t *testing.T) {
		for key, op := range ops {
			_, path, _ := strings.Cut(key, " ")
			var want []string
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			var got []string
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				p, _ := p.(map[string]any)
				if p["in"] == "path" {
					if p["required"] != true {
						t.Errorf("%s: path parameter %v is not required", key, p["name"])
					}
					got = append(got, fmt.Sprint(p["name"]))
				}
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: path parameters %v, want %v", key, got, want)
			}
		}
	})

	t.Run("RequestBodies", func(t *testing.T) {
		for key, op := range ops {
			rb, ok := op["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			s, _ := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
			if raw, _ := json.Marshal(s); !compiles(raw) {
				t.Errorf("%s: request schema is not a valid JSON Schema: %s", key, raw)
			}
			props, _ := s["properties"].(map[string]any)
			if s["type"] != "object" || len(props) == 0 {
				t.Errorf("%s: request schema = %v, want an object with properties", key, s)
				continue
			}
			required, _ := s["required"].([]any)
			for _, name := range required {
				if _, ok := props[name.(string)]; !ok {
					t.Errorf("%s: required %v is not a property", key, name)
				}
			}
			// Updates change only what they name.
			if strings.HasPrefix(key, "PATCH ") && len(required) > 0 {
				t.Errorf("%s: a PATCH body requires %v", key, required)
			}
		}
		// What spec §2 and the seeds require on create, and nothing more.
		for key, want := range map[string][]string{
			"POST /v1/sources":                                 {"name"},
			"POST /v1/destinations":                            {"name"},
			"POST /v1/connections":                             {"destination_id", "name", "source_id"},
			"POST /v1/environments":                            {"name"},
			"POST /v1/auth/api-keys":                           {"name"},
			"POST /v1/topics":                                  {"name"},
			"POST /v1/topics/{id}/subscriptions":               {"destination_id"},
			"POST /v1/connections/{id}/test":                   {"payload"},
			"POST /v1/sources/{id}/test":                       {"payload"},
			"POST /v1/topics/{id}/subscriptions/{sub_id}/test": {"payload"},
		} {
			s, _ := ops[key]["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
			var got []string
			required, _ := s["required"].([]any)
			for _, name := range required {
				got = append(got, name.(string))
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: request requires %v, want %v", key, got, want)
			}
		}
	})

	t.Run("ErrorsMatchReality", func(t *testing.T) {
		src, err := r.CreateSource(context.Background(), SourceParams{
			Name: ptr("strict"), SchemaValidationEnabled: ptr(true), JSONSchema: json.RawMessage(`{"required":["type"]}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key, path, apiKey string
			body              any
			status            int
		}{
			{"POST /v1/sources", "/v1/sources", testKey, `{"name": 1}`, 400},
			{"GET /v1/sources", "/v1/sources", "", nil, 401},
			{"GET /v1/sources/{id}", "/v1/sources/src_00000000000000000000000000000000", testKey, nil, 404},
			{"POST /v1/ingest/{source_id}", "/v1/ingest/" + src.ID, "", `{}`, 422},
		} {
			method, _, _ := strings.Cut(c.key, " ")
			res := call(t, r, method, c.path, c.apiKey, c.body)
			if res.status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.key, res.status, c.status, res.body)
				continue
			}
			def, _ := ops[c.key]["responses"].(map[string]any)["default"].(map[string]any)
			s, _ := def["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
			if s == nil {
				t.Errorf("%s: no default response schema", c.key)
				continue
			}
			var body any
			if err := json.Unmarshal(res.body, &body); err != nil {
				t.Errorf("%s: error body is not JSON: %s", c.key, res.body)
				continue
			}
			checkAgainstSchema(t, c.key+" "+strconv.Itoa(c.status), "$", s, body)
		}
	})

	t.Run("ResponsesMatchReality", func(t *testing.T) {
		exercised := map[string]bool{}
		for _, req := range openAPIRequests(t, r) {
			op, ok := ops[req.key]
			if !ok {
				t.Errorf("%s: not documented", req.key)
				continue
			}
			exercised[req.key] = true
			status, s := successResponse(t, req.key, op)
			if req.res.status != status {
				t.Errorf("%s: status %d, documented %d: %s", req.key, req.res.status, status, req.res.body)
				continue
			}
			var body any
			if err := json.Unmarshal(req.res.body, &body); err != nil {
				t.Errorf("%s: response is not JSON: %v", req.key, err)
				continue
			}
			checkAgainstSchema(t, req.key, "$", s, body)
			// And by a JSON Schema 2020-12 validator (OpenAPI 3.1's dialect).
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			compiled, err := compileSchema(raw)
			if err != nil {
				t.Errorf("%s: response schema does not compile: %v", req.key, err)
				continue
			}
			if err := validateSchema(compiled, req.res.body); err != nil {
				t.Errorf("%s: response does not validate: %v", req.key, err.(*SchemaError).Errors)
			}
		}
		for key := range ops {
			if !exercised[key] {
				t.Errorf("%s: documented but no request checks its response (add one to openAPIRequests)", key)
			}
		}
	})
}

// openAPIRequest is one real request and its answer.
type openAPIRequest struct {
	key string // "METHOD /documented/path"
	res apiCall
}

// openAPIRequests makes a successful request to every endpoint, with
// data that fills the responses (non-empty lists, attempts, events), and
// deletes last.
func openAPIRequests(t *testing.T, r *Router) []openAPIRequest {
	t.Helper()
	var out []openAPIRequest
	do := func(key, path, apiKey string, body any) map[string]any {
		t.Helper()
		method, _, _ := strings.Cut(key, " ")
		res := call(t, r, method, path, apiKey, body)
		if res.status >= 300 {
			t.Fatalf("%s (%s): status %d: %s", key, path, res.status, res.body)
		}
		out = append(out, openAPIRequest{key: key, res: res})
		var v map[string]any
		json.Unmarshal(res.body, &v)
		return v
	}
	id := func(v map[string]any, name string) string {
		t.Helper()
		obj, _ := v[name].(map[string]any)
		s, _ := obj["id"].(string)
		if s == "" {
			t.Fatalf("no %s id in %v", name, v)
		}
		return s
	}

	do("GET /v1/health", "/v1/health", "", nil)
	do("GET /v1/openapi.json", "/v1/openapi.json", "", nil)
	do("GET /v1/sources/templates", "/v1/sources/templates", testKey, nil)

	src := id(do("POST /v1/sources", "/v1/sources", testKey, map[string]any{"name": "Shop"}), "source")
	do("GET /v1/sources", "/v1/sources", testKey, nil)
	do("GET /v1/sources/{id}", "/v1/sources/"+src, testKey, nil)
	do("PATCH /v1/sources/{id}", "/v1/sources/"+src, testKey, map[string]any{"description": "d"})

	dst := id(do("POST /v1/destinations", "/v1/destinations", testKey, map[string]any{"name": "Sink", "type": "inproc"}), "destination")
	do("GET /v1/destinations", "/v1/destinations", testKey, nil)
	do("GET /v1/destinations/{id}", "/v1/destinations/"+dst, testKey, nil)
	do("PATCH /v1/destinations/{id}", "/v1/destinations/"+dst, testKey, map[string]any{"timeout_ms": 5000})
	do("GET /v1/destinations/{id}/circuit", "/v1/destinations/"+dst+"/circuit", testKey, nil)
	do("POST /v1/destinations/{id}/circuit/reset", "/v1/destinations/"+dst+"/circuit/reset", testKey, nil)

	conn := id(do("POST /v1/connections", "/v1/connections", testKey, map[string]any{
		"source_id": src, "destination_id": dst, "name": "c",
		"filter_rules":      []any{map[string]any{"field": "payload.type", "op": "eq", "value": "a"}},
		"transform_enabled": true, "transform_expression": `{"t": type}`,
	}), "connection")
	do("GET /v1/connections", "/v1/connections", testKey, nil)
	do("GET /v1/connections/{id}", "/v1/connections/"+conn, testKey, nil)
	do("PATCH /v1/connections/{id}", "/v1/connections/"+conn, testKey, map[string]any{"status": "paused"})
	sample := map[string]any{"payload": map[string]any{"type": "a"}}
	do("POST /v1/connections/{id}/test", "/v1/connections/"+conn+"/test", testKey, sample)
	do("POST /v1/sources/{id}/test", "/v1/sources/"+src+"/test", testKey, sample)

	top := id(do("POST /v1/topics", "/v1/topics", testKey, map[string]any{"name": "Orders"}), "topic")
	do("GET /v1/topics", "/v1/topics", testKey, nil)
	do("PATCH /v1/topics/{id}", "/v1/topics/"+top, testKey, map[string]any{"description": "d"})
	sub := id(do("POST /v1/topics/{id}/subscriptions", "/v1/topics/"+top+"/subscriptions", testKey, map[string]any{"destination_id": dst}), "subscription")
	do("GET /v1/topics/{id}", "/v1/topics/"+top, testKey, nil)
	do("GET /v1/topics/{id}/subscriptions", "/v1/topics/"+top+"/subscriptions", testKey, nil)
	do("PATCH /v1/topics/{id}/subscriptions/{sub_id}", "/v1/topics/"+top+"/subscriptions/"+sub, testKey, map[string]any{"transform_expression": `{"x": 1}`})
	do("POST /v1/topics/{id}/subscriptions/{sub_id}/test", "/v1/topics/"+top+"/subscriptions/"+sub+"/test", testKey, sample)
	do("POST /v1/topics/{id}/publish", "/v1/topics/orders/publish", testKey, map[string]any{"a": 1})

	// Ingest answers every method; the connection is paused, so its
	// delivery waits and a retry makes an attempt without the scheduler.
	// The last body is not UTF-8, so the event has payload_encoding.
	events := map[string]string{}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		var body any = map[string]any{"type": "a"}
		if m == "DELETE" {
			body = []byte{0xff, 0xfe, 'a'}
		}
		v := do(m+" /v1/ingest/{source_id}", "/v1/ingest/"+src, "", body)
		events[m], _ = v["event_id"].(string)
	}
	do("GET /v1/events", "/v1/events", testKey, nil)
	do("GET /v1/events/{id}", "/v1/events/"+events["DELETE"], testKey, nil)
	do("POST /v1/events/{id}/retry", "/v1/events/"+events["POST"]+"/retry", testKey, nil)
	attempts := do("GET /v1/delivery-attempts", "/v1/delivery-attempts", testKey, nil)
	list, _ := attempts["delivery_attempts"].([]any)
	if len(list) == 0 {
		t.Fatalf("no delivery attempts: %v", attempts)
	}
	da, _ := list[0].(map[string]any)["id"].(string)
	do("GET /v1/delivery-attempts/{id}", "/v1/delivery-attempts/"+da, testKey, nil)
	do("POST /v1/delivery-attempts/{id}/retry", "/v1/delivery-attempts/"+da+"/retry", testKey, nil)

	env := id(do("POST /v1/environments", "/v1/environments", testKey, map[string]any{"name": "Staging"}), "environment")
	do("GET /v1/environments", "/v1/environments", testKey, nil)
	do("GET /v1/environments/{id}", "/v1/environments/"+env, testKey, nil)
	do("PATCH /v1/environments/{id}", "/v1/environments/"+env, testKey, map[string]any{"name": "Staging 2"})
	key := do("POST /v1/auth/api-keys", "/v1/auth/api-keys", testKey, map[string]any{"name": "ci"})
	do("GET /v1/auth/api-keys", "/v1/auth/api-keys", testKey, nil)
	do("DELETE /v1/auth/api-keys/{id}", "/v1/auth/api-keys/"+key["id"].(string), testKey, nil)
	do("DELETE /v1/environments/{id}", "/v1/environments/"+env, testKey, nil)

	do("DELETE /v1/topics/{id}/subscriptions/{sub_id}", "/v1/topics/"+top+"/subscriptions/"+sub, testKey, nil)
	do("DELETE /v1/topics/{id}", "/v1/topics/"+top, testKey, nil)
	do("DELETE /v1/connections/{id}", "/v1/connections/"+conn, testKey, nil)
	do("DELETE /v1/sources/{id}", "/v1/sources/"+src, testKey, nil)
	do("DELETE /v1/destinations/{id}", "/v1/destinations/"+dst, testKey, nil)
	return out
}

// checkAgainstSchema checks a decoded JSON value against a schema of the
// document: its type; for objects, that every required property is
// present, every present property is documented (unless the schema allows
// others) and matches its schema; for arrays, the first element.
func checkAgainstSchema(t *testing.T, key, where string, s map[string]any, v any) {
	t.Helper()
	if len(s) == 0 {
		return // any value
	}
	if !schemaAllows(s["type"], v) {
		t.Errorf("%s: %s is %s (%.60v), schema type %v", key, where, jsonType(v), v, s["type"])
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props, hasProps := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, name := range required {
			if _, ok := v[name.(string)]; !ok {
				t.Errorf("%s: %s.%s is documented as required but missing from the response", key, where, name)
			}
		}
		for name, val := range v {
			ps, ok := props[name].(map[string]any)
			if !ok {
				if hasProps && s["additionalProperties"] == nil {
					t.Errorf("%s: %s.%s is in the response but not in the schema", key, where, name)
				}
				if ap, ok := s["additionalProperties"].(map[string]any); ok {
					checkAgainstSchema(t, key, where+"."+name, ap, val)
				}
				continue
			}
			checkAgainstSchema(t, key, where+"."+name, ps, val)
		}
	case []any:
		items, _ := s["items"].(map[string]any)
		if len(v) > 0 {
			checkAgainstSchema(t, key, where+"[0]", items, v[0])
		}
	}
}

func compiles(raw []byte) bool {
	_, err := compileSchema(raw)
	return err == nil
}

// schemaAllows reports whether a JSON Schema "type" (a name or a list of
// names; absent allows anything) admits v.
func schemaAllows(typ any, v any) bool {
	var types []string
	switch x := typ.(type) {
	case nil:
		return true
	case string:
		types = []string{x}
	case []any:
		for _, e := range x {
			types = append(types, fmt.Sprint(e))
		}
	}
	got := jsonType(v)
	for _, want := range types {
		if want == got || (want == "number" && got == "integer") {
			return true
		}
	}
	return false
}

// TestHandler_OpenAPIIngestMethods checks that the document's ingest
// methods are the ones the endpoint accepts.
func TestHandler_OpenAPIIngestMethods(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src, err := r.CreateSource(context.Background(), SourceParams{Name: ptr("s")})
	if err != nil {
		t.Fatal(err)
	}
	ops := openAPIOperations(t, fetchOpenAPI(t, r))
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"} {
		_, documented := ops[m+" /v1/ingest/{source_id}"]
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, httptest.NewRequest(m, "/v1/ingest/"+src.ID, nil))
		if accepted := w.Code == 200; accepted != documented {
			t.Errorf("%s /v1/ingest: status %d, documented %v", m, w.Code, documented)
		}
	}
}
