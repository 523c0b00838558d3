package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPIMethods are the HTTP methods an OpenAPI path item may hold.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPISpec is the served document, decoded, with a JSON Schema
// compiler that resolves its $refs.
type openAPISpec struct {
	raw []byte
	doc map[string]any
	// ops are the operations by "METHOD path" (method upper case).
	ops      map[string]map[string]any
	compiler *jsonschema.Compiler
}

// specURL is where the compiler holds the document.
const specURL = "mem:///openapi.json"

// fetchOpenAPI gets GET /v1/openapi.json (no API key) and prepares it.
func fetchOpenAPI(t *testing.T, r *Router) *openAPISpec {
	t.Helper()
	res := call(t, r, "GET", "/v1/openapi.json", "", nil)
	if res.status != 200 {
		t.Fatalf("GET /v1/openapi.json: status %d: %s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	spec := &openAPISpec{raw: res.body, doc: res.json(t), ops: map[string]map[string]any{}}
	paths, ok := spec.doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatalf("paths = %v, want a non-empty object", spec.doc["paths"])
	}
	for path, item := range paths {
		for m, op := range item.(map[string]any) {
			if slices.Contains(openAPIMethods, m) {
				spec.ops[strings.ToUpper(m)+" "+path] = op.(map[string]any)
			}
		}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	spec.compiler = jsonschema.NewCompiler()
	spec.compiler.DefaultDraft(jsonschema.Draft2020)
	spec.compiler.AssertFormat()
	spec.compiler.AssertContent()
	if err := spec.compiler.AddResource(specURL, inst); err != nil {
		t.Fatal(err)
	}
	return spec
}

// pointer is the JSON pointer of a location of the document.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

// resolve follows a $ref of the document (a "#/..." pointer).
func (s *openAPISpec) resolve(v map[string]any) map[string]any {
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	var cur any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		cur = cur.(map[string]any)[tok]
	}
	return s.resolve(cur.(map[string]any))
}

// compile compiles the schema at a JSON pointer of the document.
func (s *openAPISpec) compile(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	sch, err := s.compiler.Compile(specURL + "#" + (&url.URL{Fragment: ptr}).EscapedFragment())
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	return sch
}

// requestPointer is the pointer of an operation's JSON request schema.
func (s *openAPISpec) requestPointer(key string) string {
	method, path, _ := strings.Cut(key, " ")
	return pointer("paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema")
}

// responsePointer is the pointer of an operation's JSON response schema
// for a status, following a $ref to components/responses; "" when the
// operation does not document the status.
func (s *openAPISpec) responsePointer(key string, status int) string {
	method, path, _ := strings.Cut(key, " ")
	op := s.ops[key]
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return ""
	}
	if ref, ok := resp["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#") + pointer("content", "application/json", "schema")
	}
	return pointer("paths", path, strings.ToLower(method), "responses", strconv.Itoa(status), "content", "application/json", "schema")
}

// validate checks a JSON text against the schema at ptr.
func (s *openAPISpec) validate(t *testing.T, ptr string, body []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return s.compile(t, ptr).Validate(inst)
}

// parameters returns an operation's parameters by "in name".
func (s *openAPISpec) parameters(key string) map[string]map[string]any {
	out := map[string]map[string]any{}
	params, _ := s.ops[key]["parameters"].([]any)
	for _, p := range params {
		p := s.resolve(p.(map[string]any))
		out[fmt.Sprint(p["in"], " ", p["name"])] = p
	}
	return out
}

func TestHandler_OpenAPI(t *testing.T) {
	t.Parallel()
	// Deliveries go to an in-process destination: no network.
	r := setup(t, &Config{Providers: map[string]Provider{
		"inproc": FuncProvider(func(context.Context, *Message) error { return nil }),
	}})
	spec := fetchOpenAPI(t, r)
	doc, ops := spec.doc, spec.ops
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] != Version {
		t.Errorf("info = %v, want a title and version %s", info, Version)
	}
	if l, _ := info["license"].(map[string]any); l["identifier"] != "MIT" {
		t.Errorf("info.license = %v, want MIT", info["license"])
	}
	if servers, _ := doc["servers"].([]any); len(servers) != 1 || servers[0].(map[string]any)["url"] != "/" {
		t.Errorf("servers = %v, want one, /", doc["servers"])
	}
	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	if schemes["apiKey"] == nil || schemes["bearer"] == nil {
		t.Errorf("securitySchemes = %v, want apiKey and bearer", schemes)
	}
	schemas, _ := components["schemas"].(map[string]any)
	for _, name := range []string{"Source", "Destination", "Connection", "Topic", "Subscription", "Event", "EventSummary",
		"DeliveryAttempt", "Environment", "APIKey", "Circuit", "Error", "FilterRule", "SourceCreate", "SourceUpdate",
		"ConnectionCreate", "SubscriptionCreate"} {
		if schemas[name] == nil {
			t.Errorf("components.schemas has no %s", name)
		}
	}

	t.Run("EveryEndpointDocumented", func(t *testing.T) {
		routed := map[string]endpoint{}
		ids := map[string]string{}
		tags := map[string]bool{}
		for _, tag := range doc["tags"].([]any) {
			tag := tag.(map[string]any)
			if d, _ := tag["description"].(string); d == "" {
				t.Errorf("tag %v has no description", tag["name"])
			}
			tags[tag["name"].(string)] = true
		}
		camel := regexp.MustCompile(`^[a-z]+([A-Z][a-z0-9]+)*$`)
		for _, e := range r.endpoints() {
			methods := []string{e.method}
			if e.method == "" {
				methods = ingestMethods
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
				id, _ := op["operationId"].(string)
				if !camel.MatchString(id) {
					t.Errorf("%s: operationId %q is not camelCase", key, id)
				}
				if other, dup := ids[id]; dup {
					t.Errorf("%s: operationId %q is also %s's", key, id, other)
				}
				ids[id] = key
				opTags, _ := op["tags"].([]any)
				if len(opTags) != 1 || !tags[fmt.Sprint(opTags[0])] {
					t.Errorf("%s: tags %v, want one of the document's", key, opTags)
				}
			}
		}
		for key := range ops {
			if _, ok := routed[key]; !ok {
				t.Errorf("%s is documented but not routed", key)
			}
		}
	})

	t.Run("Parameters", func(t *testing.T) {
		for key, op := range ops {
			_, path, _ := strings.Cut(key, " ")
			var want []string
			for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			var got []string
			for _, p := range spec.parameters(key) {
				if d, _ := p["description"].(string); d == "" {
					t.Errorf("%s: parameter %v has no description", key, p["name"])
				}
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
			params := spec.parameters(key)
			if op["security"] == nil && (params["query org_id"] == nil || params["query env_id"] == nil) {
				t.Errorf("%s: an authenticated operation without the org_id and env_id query parameters", key)
			}
			if strings.HasPrefix(path, "/v1/topics/{id}") && !strings.Contains(fmt.Sprint(params["path id"]["description"]), "slug") {
				t.Errorf("%s: the topic's {id} does not say it takes the slug", key)
			}
		}
		// What the handlers read.
		for key, names := range map[string][]string{
			"GET /v1/sources":           {"cursor", "limit"},
			"GET /v1/connections":       {"cursor", "limit", "source_id", "destination_id"},
			"GET /v1/events":            {"source_id", "status", "dedup_status", "verification_status", "method", "topic", "search", "after", "before", "cursor", "limit"},
			"GET /v1/delivery-attempts": {"event_id", "connection_id", "destination_id", "status", "is_dlq", "limit", "offset"},
			"GET /v1/auth/api-keys":     {"cursor", "limit", "env_id"},
		} {
			params := spec.parameters(key)
			for _, name := range names {
				if params["query "+name] == nil {
					t.Errorf("%s: no query parameter %s", key, name)
				}
			}
		}
		if def := spec.parameters("GET /v1/events")["query limit"]["schema"].(map[string]any)["default"]; def != 50.0 {
			t.Errorf("GET /v1/events: limit default %v, want 50", def)
		}
	})

	t.Run("RequestBodies", func(t *testing.T) {
		for key, op := range ops {
			rb, ok := op["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			content, _ := rb["content"].(map[string]any)
			if content["application/json"] == nil {
				t.Errorf("%s: no application/json request body", key)
				continue
			}
			spec.compile(t, spec.requestPointer(key))
			s := spec.resolve(content["application/json"].(map[string]any)["schema"].(map[string]any))
			if strings.Contains(key, "/ingest/") || strings.HasSuffix(key, "/publish") {
				if len(s) > 1 || s["type"] != nil {
					t.Errorf("%s: request schema %v, want any JSON", key, s)
				}
				continue
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
		if c, _ := ops["POST /v1/ingest/{source_id}"]["requestBody"].(map[string]any)["content"].(map[string]any); len(c) < 3 {
			t.Errorf("ingest: request content types %v, want several", c)
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
			s := spec.resolve(ops[key]["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any))
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

	t.Run("Errors", func(t *testing.T) {
		for key, op := range ops {
			responses := op["responses"].(map[string]any)
			if responses["default"] == nil {
				t.Errorf("%s: no default (error) response", key)
			}
			var codes []int
			for code := range responses {
				if n, err := strconv.Atoi(code); err == nil && n >= 400 {
					codes = append(codes, n)
					spec.compile(t, spec.responsePointer(key, n))
				}
			}
			_, path, _ := strings.Cut(key, " ")
			want := map[int]bool{
				400: op["requestBody"] != nil || op["security"] == nil,
				401: op["security"] == nil,
				404: strings.Contains(path, "{"),
				413: op["requestBody"] != nil,
				415: op["requestBody"] != nil && !strings.Contains(path, "/ingest/") && !strings.HasSuffix(path, "/publish"),
				422: strings.Contains(path, "/ingest/") || strings.HasSuffix(path, "/publish"),
			}
			for code, w := range want {
				if w && !slices.Contains(codes, code) {
					t.Errorf("%s: no %d response (documents %v)", key, code, codes)
				}
			}
		}
		for _, key := range []string{"POST /v1/sources", "DELETE /v1/sources/{id}", "POST /v1/topics/{id}/subscriptions", "DELETE /v1/environments/{id}"} {
			if ops[key]["responses"].(map[string]any)["409"] == nil {
				t.Errorf("%s: no 409 response", key)
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
			{"GET /v1/sources", "/v1/sources?limit=x", testKey, nil, 400},
			{"GET /v1/sources", "/v1/sources", "", nil, 401},
			{"GET /v1/sources", "/v1/sources?env_id=env_other", testKey, nil, 404},
			{"GET /v1/sources/{id}", "/v1/sources/src_00000000000000000000000000000000", testKey, nil, 404},
			{"POST /v1/sources", "/v1/sources", testKey, `{"name": "strict"}`, 409},
			{"POST /v1/ingest/{source_id}", "/v1/ingest/" + src.ID, "", `{}`, 422},
			{"POST /v1/topics/{id}/publish", "/v1/topics/none/publish", testKey, `{}`, 404},
		} {
			method, _, _ := strings.Cut(c.key, " ")
			res := call(t, r, method, c.path, c.apiKey, c.body)
			if res.status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.key, res.status, c.status, res.body)
				continue
			}
			ptr := spec.responsePointer(c.key, c.status)
			if ptr == "" {
				t.Errorf("%s: %d is not documented", c.key, c.status)
				continue
			}
			if err := spec.validate(t, ptr, res.body); err != nil {
				t.Errorf("%s %d: %v", c.key, c.status, err)
			}
		}
	})

	t.Run("ResponsesMatchReality", func(t *testing.T) {
		inline := inlineOpenAPI(t, r)
		exercised := map[string]bool{}
		for _, req := range openAPIRequests(t, r) {
			op, ok := ops[req.key]
			if !ok {
				t.Errorf("%s: not documented", req.key)
				continue
			}
			exercised[req.key] = true
			rb, _ := op["requestBody"].(map[string]any)
			if content, _ := rb["content"].(map[string]any); content["application/json"] != nil && req.body != nil {
				if err := spec.validate(t, spec.requestPointer(req.key), req.body); err != nil {
					t.Errorf("%s: the request body %s does not validate: %v", req.key, req.body, err)
				}
			}
			ptr := spec.responsePointer(req.key, req.res.status)
			if ptr == "" {
				t.Errorf("%s: status %d is not documented: %s", req.key, req.res.status, req.res.body)
				continue
			}
			if err := spec.validate(t, ptr, req.res.body); err != nil {
				t.Errorf("%s: response does not validate: %v", req.key, err)
			}
			var body any
			json.Unmarshal(req.res.body, &body)
			checkAgainstSchema(t, req.key, "$", inline[req.key], body)
		}
		for key, op := range ops {
			// GET /v1/ws answers 101 without a body (TestHandler_Feed
			// upgrades).
			if !exercised[key] && op["responses"].(map[string]any)["101"] == nil {
				t.Errorf("%s: documented but no request checks its response (add one to openAPIRequests)", key)
			}
		}
	})
}

// inlineOpenAPI returns the success response schemas of r's document
// with every named schema inline (openAPIDocument), decoded from JSON.
func inlineOpenAPI(t *testing.T, r *Router) map[string]map[string]any {
	t.Helper()
	raw, err := json.Marshal(r.openAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			for code, resp := range op.(map[string]any)["responses"].(map[string]any) {
				if code[0] == '2' {
					s := resp.(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
					out[strings.ToUpper(m)+" "+path] = s.(map[string]any)
				}
			}
		}
	}
	return out
}

// openAPIRequest is one real request and its answer.
type openAPIRequest struct {
	key  string // "METHOD /documented/path"
	body []byte // the JSON request body, if any
	res  apiCall
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
		req := openAPIRequest{key: key, res: res}
		if body, ok := body.(map[string]any); ok {
			req.body, _ = json.Marshal(body)
		}
		out = append(out, req)
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

	src := id(do("POST /v1/sources", "/v1/sources", testKey, map[string]any{
		"name": "Shop", "template": "standard-webhooks", "verification_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"ip_allowlist": `["0.0.0.0/0", "::/0"]`, "source_config": map[string]any{"region": "eu"}, "org_id": DefaultOrgID,
	}), "source")
	do("GET /v1/sources", "/v1/sources?limit=5", testKey, nil)
	do("GET /v1/sources/{id}", "/v1/sources/"+src, testKey, nil)
	do("PATCH /v1/sources/{id}", "/v1/sources/"+src, testKey, map[string]any{"description": "d", "verification_enabled": false, "template": nil})

	dst := id(do("POST /v1/destinations", "/v1/destinations", testKey, map[string]any{
		"name": "Sink", "type": "inproc", "timeout": 10, "retry_intervals": "[10, 60]",
		"signing_config": map[string]any{"secret": "s3cret-s3cret", "algorithm": "sha256"},
	}), "destination")
	do("GET /v1/destinations", "/v1/destinations", testKey, nil)
	do("GET /v1/destinations/{id}", "/v1/destinations/"+dst, testKey, nil)
	do("PATCH /v1/destinations/{id}", "/v1/destinations/"+dst, testKey, map[string]any{"timeout_ms": 5000, "headers": map[string]string{"X-Team": "a"}})
	do("GET /v1/destinations/{id}/circuit", "/v1/destinations/"+dst+"/circuit", testKey, nil)
	do("POST /v1/destinations/{id}/circuit/reset", "/v1/destinations/"+dst+"/circuit/reset", testKey, nil)

	conn := id(do("POST /v1/connections", "/v1/connections", testKey, map[string]any{
		"source_id": src, "destination_id": dst, "name": "c",
		"filter_rules":      []any{map[string]any{"field": "payload.type", "op": "eq", "value": "a"}, map[string]any{}},
		"transform_enabled": true, "transform_expression": `{"t": type}`,
	}), "connection")
	do("GET /v1/connections", "/v1/connections?source_id="+src, testKey, nil)
	do("GET /v1/connections/{id}", "/v1/connections/"+conn, testKey, nil)
	do("PATCH /v1/connections/{id}", "/v1/connections/"+conn, testKey, map[string]any{"status": "paused",
		"filter_rules": `[{"field": "payload.type", "operator": "in", "value": ["a", "b"]}]`})
	sample := map[string]any{"payload": map[string]any{"type": "a"}, "headers": map[string]string{"X-Shop": "eu"}}
	do("POST /v1/connections/{id}/test", "/v1/connections/"+conn+"/test", testKey, sample)
	do("POST /v1/sources/{id}/test", "/v1/sources/"+src+"/test", testKey, sample)

	top := id(do("POST /v1/topics", "/v1/topics", testKey, map[string]any{"name": "Orders", "schema": `{"type": "object"}`}), "topic")
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
	for _, m := range ingestMethods {
		var body any = map[string]any{"type": "a"}
		if m == "DELETE" {
			body = []byte{0xff, 0xfe, 'a'}
		}
		v := do(m+" /v1/ingest/{source_id}", "/v1/ingest/"+src, "", body)
		events[m], _ = v["event_id"].(string)
	}
	do("GET /v1/events", "/v1/events?status=processing&after=2020-01-01T00:00:00Z", testKey, nil)
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
	do("GET /v1/metrics/overview", "/v1/metrics/overview", testKey, nil)
	do("GET /v1/metrics/volume", "/v1/metrics/volume?source_id="+src, testKey, nil)
	do("GET /v1/metrics/deliveries", "/v1/metrics/deliveries?granularity=day", testKey, nil)
	do("GET /v1/metrics/latency", "/v1/metrics/latency?destination_id="+dst, testKey, nil)

	// A replay of the events ingested above that the connection routed.
	rpl := id(do("POST /v1/replay", "/v1/replay", testKey, map[string]any{
		"destination_id": dst, "connection_id": conn, "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00.5+02:00",
		"rate_limit": 50, "max_events": 3,
	}), "job")
	do("GET /v1/replay", "/v1/replay?limit=5", testKey, nil)
	do("GET /v1/replay/{id}", "/v1/replay/"+rpl, testKey, nil)
	do("POST /v1/replay/{id}/cancel", "/v1/replay/"+rpl+"/cancel", testKey, nil)

	env := id(do("POST /v1/environments", "/v1/environments", testKey, map[string]any{"name": "Staging"}), "environment")
	do("GET /v1/environments", "/v1/environments", testKey, nil)
	do("GET /v1/environments/{id}", "/v1/environments/"+env, testKey, nil)
	do("PATCH /v1/environments/{id}", "/v1/environments/"+env, testKey, map[string]any{"name": "Staging 2"})
	key := do("POST /v1/auth/api-keys", "/v1/auth/api-keys", testKey, map[string]any{"name": "ci", "scopes": []string{"env"}})
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

// checkAgainstSchema checks what a JSON Schema validator does not, since
// response schemas allow more properties: that every property of an
// object is documented. s is an inline schema (no $ref).
func checkAgainstSchema(t *testing.T, key, where string, s map[string]any, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		props, hasProps := s["properties"].(map[string]any)
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
		if items, ok := s["items"].(map[string]any); ok && len(v) > 0 {
			checkAgainstSchema(t, key, where+"[0]", items, v[0])
		}
	}
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
	ops := fetchOpenAPI(t, r).ops
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"} {
		_, documented := ops[m+" /v1/ingest/{source_id}"]
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, httptest.NewRequest(m, "/v1/ingest/"+src.ID, nil))
		if accepted := w.Code == 200; accepted != documented {
			t.Errorf("%s /v1/ingest: status %d, documented %v", m, w.Code, documented)
		}
	}
}

// The request bodies of the seed pages (../shared/seeds), verbatim from
// their curl examples.
const (
	seedCreateConnection = `{
  "org_id": "string",
  "env_id": "string",
  "source_id": "string",
  "destination_id": "string",
  "name": "string",
  "description": "string",
  "filter_rules": [
    {}
  ],
  "enabled": true,
  "transform_enabled": true,
  "transform_expression": "string"
}`
	seedCreateSubscription = `{
"destination_id": "string",
"filter_rules": [
{}
],
"transform_expression": "string"
}`
)

// TestHandler_OpenAPIExamples checks that the request bodies of the seeds
// and of the README's walkthrough validate against their operations'
// request schemas (and its query values against their parameters), and
// that bodies the server refuses do not.
func TestHandler_OpenAPIExamples(t *testing.T) {
	t.Parallel()
	spec := fetchOpenAPI(t, setup(t, nil))
	for _, c := range []struct{ name, key, body, seed string }{
		{"seed 000", "POST /v1/connections", seedCreateConnection, "000_ddeb6585300daa3d.txt"},
		{"seed 003", "POST /v1/topics/{id}/subscriptions", seedCreateSubscription, "003_a180a6a005fd4847.txt"},
	} {
		if err := spec.validate(t, spec.requestPointer(c.key), []byte(c.body)); err != nil {
			t.Errorf("%s (%s): %v", c.name, c.key, err)
		}
		// The copy is the seed's own text, where the seeds are at hand.
		if page, err := os.ReadFile(filepath.Join("..", "shared", "seeds", c.seed)); err == nil && !bytes.Contains(page, []byte("-d '"+c.body+"'")) {
			t.Errorf("%s: the body is not the seed's curl body", c.name)
		}
	}

	examples := readmeRequests(t)
	if len(examples) < 6 {
		t.Fatalf("%d requests in the README's walkthrough, want at least 6", len(examples))
	}
	for _, ex := range examples {
		key := spec.operationFor(ex.method, ex.path)
		if key == "" {
			t.Errorf("README: %s %s is not a documented operation", ex.method, ex.path)
			continue
		}
		if ex.body != "" {
			if err := spec.validate(t, spec.requestPointer(key), []byte(ex.body)); err != nil {
				t.Errorf("README: %s body %s: %v", key, ex.body, err)
			}
		}
		for name, values := range ex.query {
			p := spec.parameters(key)["query "+name]
			if p == nil {
				t.Errorf("README: %s has no query parameter %s", key, name)
				continue
			}
			if err := spec.validate(t, spec.parameterPointer(key, name), queryJSON(p, values[0])); err != nil {
				t.Errorf("README: %s ?%s=%s: %v", key, name, values[0], err)
			}
		}
	}

	// Bodies the server refuses (400) that the schemas refuse too.
	for _, c := range []struct{ key, body string }{
		{"POST /v1/sources", `{"name": 1}`},
		{"POST /v1/sources", `{"description": "no name"}`},
		{"POST /v1/sources", `{"name": "s", "dedup_window_seconds": 1.5}`},
		{"POST /v1/sources", `{"name": "s", "status": "gone"}`},
		{"POST /v1/sources", `{"name": "s", "ip_allowlist": [1]}`},
		{"POST /v1/destinations", `{"name": "d", "timeout_ms": 0}`},
		{"POST /v1/destinations", `{"name": "d", "method": "GET"}`},
		{"POST /v1/connections", `{"source_id": "s", "destination_id": "d", "name": "c", "filter_rules": [{"field": "payload.a"}]}`},
		{"POST /v1/connections", `{"source_id": "s", "destination_id": "d", "name": "c", "filter_rules": [{"field": "payload.a", "op": "gt", "value": "1"}]}`},
		{"POST /v1/connections", `{"source_id": "s", "destination_id": "d", "name": "c", "filter_rules": [{"field": "payload.a", "operator": "in", "value": 1}]}`},
		{"POST /v1/connections", `{"source_id": "s", "destination_id": "d", "name": "c", "filter_rules": [{"field": "body.a", "op": "exists"}]}`},
		{"POST /v1/connections", `{"source_id": "s", "destination_id": "d", "name": "c", "enabled": 1}`},
		{"POST /v1/auth/api-keys", `{"name": "k", "scopes": ["admin"]}`},
	} {
		if err := spec.validate(t, spec.requestPointer(c.key), []byte(c.body)); err == nil {
			t.Errorf("%s: %s validates, but the server refuses it", c.key, c.body)
		}
	}
}

// operationFor returns the documented operation of a concrete path: the
// one whose literal segments match most.
func (s *openAPISpec) operationFor(method, path string) string {
	segs := strings.Split(path, "/")
	best, bestScore := "", -1
	for key := range s.ops {
		m, p, _ := strings.Cut(key, " ")
		tsegs := strings.Split(p, "/")
		if m != method || len(tsegs) != len(segs) {
			continue
		}
		score := 0
		for i, ts := range tsegs {
			switch {
			case strings.HasPrefix(ts, "{"):
			case ts == segs[i]:
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > bestScore {
			best, bestScore = key, score
		}
	}
	return best
}

// parameterPointer is the pointer of a query parameter's schema.
func (s *openAPISpec) parameterPointer(key, name string) string {
	method, path, _ := strings.Cut(key, " ")
	for i, p := range s.ops[key]["parameters"].([]any) {
		if p := s.resolve(p.(map[string]any)); p["in"] == "query" && p["name"] == name {
			return pointer("paths", path, strings.ToLower(method), "parameters", strconv.Itoa(i), "schema")
		}
	}
	return ""
}

// queryJSON is a query value as the JSON value its parameter's schema
// describes: a number or boolean where the schema allows one.
func queryJSON(p map[string]any, value string) []byte {
	types := fmt.Sprint(p["schema"].(map[string]any)["type"])
	if strings.Contains(types, "integer") || strings.Contains(types, "boolean") {
		if json.Valid([]byte(value)) {
			return []byte(value)
		}
	}
	b, _ := json.Marshal(value)
	return b
}

// readmeRequest is a curl request of the README's walkthrough.
type readmeRequest struct {
	method, path, body string
	query              url.Values
}

// readmeRequests parses the curl commands of the README's "REST API
// walkthrough" (the first sh block after the heading).
func readmeRequests(t *testing.T) []readmeRequest {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## REST API walkthrough")
	if !ok {
		t.Fatal("README.md has no REST API walkthrough")
	}
	_, block, _ := strings.Cut(section, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var out []readmeRequest
	for _, words := range shellCommands(block) {
		if len(words) == 0 || words[0] != "curl" {
			continue
		}
		req := readmeRequest{method: "GET"}
		for i := 1; i < len(words); i++ {
			switch w := words[i]; {
			case w == "-X" && i+1 < len(words):
				i++
				req.method = words[i]
			case (w == "-d" || w == "-H") && i+1 < len(words):
				i++
				if w == "-d" {
					req.body = words[i]
				}
			case strings.HasPrefix(w, "$API/"):
				u, err := url.Parse("/v1" + strings.TrimPrefix(w, "$API"))
				if err != nil {
					t.Fatalf("README: %q: %v", w, err)
				}
				req.path, req.query = u.Path, u.Query()
			}
		}
		out = append(out, req)
	}
	return out
}

// shellCommands splits a shell script into commands of words: quotes,
// backslash-newline continuations and comments as sh reads them (no
// expansion).
func shellCommands(script string) [][]string {
	var (
		cmds  [][]string
		words []string
		word  strings.Builder
		in    bool // a word has begun
	)
	endWord := func() {
		if in {
			words = append(words, word.String())
			word.Reset()
			in = false
		}
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\\' && i+1 < len(script) && script[i+1] == '\n':
			i++
		case c == '\'':
			end := strings.IndexByte(script[i+1:], '\'')
			word.WriteString(script[i+1 : i+1+end])
			in, i = true, i+1+end
		case c == '"':
			for i++; i < len(script) && script[i] != '"'; i++ {
				if script[i] == '\\' && i+1 < len(script) && strings.IndexByte(`"\$`+"`", script[i+1]) >= 0 {
					i++
				}
				word.WriteByte(script[i])
			}
			in = true
		case c == '#' && !in:
			for i < len(script) && script[i] != '\n' {
				i++
			}
			i--
		case c == '\n':
			endWord()
			cmds = append(cmds, words)
			words = nil
		case c == ' ' || c == '\t':
			endWord()
		default:
			word.WriteByte(c)
			in = true
		}
	}
	endWord()
	return append(cmds, words)
}

// goldenOperations maps each golden response (testdata/golden) to the
// operation and status that answered it; "" for an answer of no
// operation (an unrouted path or method), checked against Error.
var goldenOperations = map[string]struct {
	key    string
	status int
}{
	"api_keys_create":                         {"POST /v1/auth/api-keys", 201},
	"api_keys_list":                           {"GET /v1/auth/api-keys", 200},
	"api_keys_revoke":                         {"DELETE /v1/auth/api-keys/{id}", 200},
	"connections_create":                      {"POST /v1/connections", 201},
	"connections_create_minimal":              {"POST /v1/connections", 201},
	"connections_delete":                      {"DELETE /v1/connections/{id}", 200},
	"connections_get":                         {"GET /v1/connections/{id}", 200},
	"connections_list":                        {"GET /v1/connections", 200},
	"connections_test":                        {"POST /v1/connections/{id}/test", 200},
	"connections_test_unmatched":              {"POST /v1/connections/{id}/test", 200},
	"connections_update":                      {"PATCH /v1/connections/{id}", 200},
	"delivery_attempts_get":                   {"GET /v1/delivery-attempts/{id}", 200},
	"delivery_attempts_list":                  {"GET /v1/delivery-attempts", 200},
	"delivery_attempts_list_page":             {"GET /v1/delivery-attempts", 200},
	"delivery_attempts_retry":                 {"POST /v1/delivery-attempts/{id}/retry", 200},
	"destinations_circuit_get":                {"GET /v1/destinations/{id}/circuit", 200},
	"destinations_circuit_get_after_failures": {"GET /v1/destinations/{id}/circuit", 200},
	"destinations_circuit_reset":              {"POST /v1/destinations/{id}/circuit/reset", 200},
	"destinations_create":                     {"POST /v1/destinations", 201},
	"destinations_create_provider":            {"POST /v1/destinations", 201},
	"destinations_delete":                     {"DELETE /v1/destinations/{id}", 200},
	"destinations_get":                        {"GET /v1/destinations/{id}", 200},
	"destinations_list":                       {"GET /v1/destinations", 200},
	"destinations_update":                     {"PATCH /v1/destinations/{id}", 200},
	"environments_create":                     {"POST /v1/environments", 201},
	"environments_delete":                     {"DELETE /v1/environments/{id}", 200},
	"environments_get":                        {"GET /v1/environments/{id}", 200},
	"environments_list":                       {"GET /v1/environments", 200},
	"environments_update":                     {"PATCH /v1/environments/{id}", 200},
	"error_400_cursor":                        {"GET /v1/sources", 400},
	"error_400_field":                         {"POST /v1/sources", 400},
	"error_400_malformed":                     {"POST /v1/sources", 400},
	"error_400_type":                          {"POST /v1/sources", 400},
	"error_401":                               {"GET /v1/sources", 401},
	"error_403":                               {"POST /v1/ingest/{source_id}", 403},
	"error_404":                               {"GET /v1/sources/{id}", 404},
	"error_404_path":                          {"", 404},
	"error_405":                               {"", 405},
	"error_409":                               {"POST /v1/sources", 409},
	"error_413":                               {"POST /v1/sources", 413},
	"error_415":                               {"POST /v1/sources", 415},
	"error_422":                               {"POST /v1/ingest/{source_id}", 422},
	"events_get":                              {"GET /v1/events/{id}", 200},
	"events_list":                             {"GET /v1/events", 200},
	"events_list_page":                        {"GET /v1/events", 200},
	"events_retry":                            {"POST /v1/events/{id}/retry", 200},
	"health":                                  {"GET /v1/health", 200},
	"ingest":                                  {"POST /v1/ingest/{source_id}", 200},
	"ingest_duplicate":                        {"POST /v1/ingest/{source_id}", 200},
	"sources_create":                          {"POST /v1/sources", 201},
	"sources_create_minimal":                  {"POST /v1/sources", 201},
	"sources_delete":                          {"DELETE /v1/sources/{id}", 200},
	"sources_get":                             {"GET /v1/sources/{id}", 200},
	"sources_list":                            {"GET /v1/sources", 200},
	"sources_templates":                       {"GET /v1/sources/templates", 200},
	"sources_test":                            {"POST /v1/sources/{id}/test", 200},
	"sources_update":                          {"PATCH /v1/sources/{id}", 200},
	"subscriptions_create":                    {"POST /v1/topics/{id}/subscriptions", 201},
	"subscriptions_delete":                    {"DELETE /v1/topics/{id}/subscriptions/{sub_id}", 200},
	"subscriptions_list":                      {"GET /v1/topics/{id}/subscriptions", 200},
	"subscriptions_test":                      {"POST /v1/topics/{id}/subscriptions/{sub_id}/test", 200},
	"subscriptions_update":                    {"PATCH /v1/topics/{id}/subscriptions/{sub_id}", 200},
	"topics_create":                           {"POST /v1/topics", 201},
	"topics_delete":                           {"DELETE /v1/topics/{id}", 200},
	"topics_get":                              {"GET /v1/topics/{id}", 200},
	"topics_list":                             {"GET /v1/topics", 200},
	"topics_publish":                          {"POST /v1/topics/{id}/publish", 200},
	"topics_update":                           {"PATCH /v1/topics/{id}", 200},
}

// goldenPlaceholder matches the placeholders normalizeGolden writes.
var goldenPlaceholder = regexp.MustCompile(`<([a-z]+)_(\d+)>|<(time|req_id|key|key_prefix|cursor)>`)

// denormalizeGolden puts values of the right form back in place of a
// golden file's placeholders.
func denormalizeGolden(golden []byte) []byte {
	return goldenPlaceholder.ReplaceAllFunc(golden, func(m []byte) []byte {
		g := goldenPlaceholder.FindSubmatch(m)
		switch string(g[3]) {
		case "time":
			return []byte(goldenNow.Format(wireTimeLayout))
		case "req_id":
			return []byte(prefixRequest + strings.Repeat("0", 32))
		case "key":
			return []byte("hs_live_" + strings.Repeat("0", 64))
		case "key_prefix":
			return []byte("hs_live_0000")
		case "cursor":
			return []byte("c")
		}
		n, _ := strconv.Atoi(string(g[2]))
		digits := 32
		if string(g[1]) == "ak" {
			digits = 16
		}
		return fmt.Appendf(nil, "%s_%0*x", g[1], digits, n)
	})
}

// TestHandler_OpenAPIGolden checks every golden response against the
// schema its operation documents for its status.
func TestHandler_OpenAPIGolden(t *testing.T) {
	t.Parallel()
	spec := fetchOpenAPI(t, setup(t, nil))
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		g, ok := goldenOperations[name]
		if !ok {
			t.Errorf("%s: which operation answers it? (add it to goldenOperations)", name)
			continue
		}
		golden, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		ptr := pointer("components", "schemas", "Error")
		if g.key != "" {
			if _, ok := spec.ops[g.key]; !ok {
				t.Errorf("%s: %s is not documented", name, g.key)
				continue
			}
			if ptr = spec.responsePointer(g.key, g.status); ptr == "" {
				t.Errorf("%s: %s does not document %d", name, g.key, g.status)
				continue
			}
		}
		if err := spec.validate(t, ptr, denormalizeGolden(golden)); err != nil {
			t.Errorf("%s (%s %d): %v", name, g.key, g.status, err)
		}
	}
}

// TestHandler_OpenAPIEnums checks the documented closed sets against the
// server: every enum value of a request body field or query parameter is
// accepted, a value outside is refused with a 400, and every documented
// range's bounds are accepted and the values beyond them refused.
func TestHandler_OpenAPIEnums(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src, dst, conn := fixture(t, r)
	ctx := context.Background()
	topic, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(ctx, topic.ID, SubscribeParams{DestinationID: dst.ID})
	if err != nil {
		t.Fatal(err)
	}
	env, err := r.CreateEnvironment(ctx, EnvironmentParams{Name: ptr("Staging")})
	if err != nil {
		t.Fatal(err)
	}
	spec := fetchOpenAPI(t, r)
	schemas := spec.doc["components"].(map[string]any)["schemas"].(map[string]any)

	// Where a request body schema's fields are tried: an update (or a
	// create) of a fixture, with what else the value needs.
	targets := map[string]struct{ method, path string }{
		"SourceUpdate":       {"PATCH", "/v1/sources/" + src.ID},
		"DestinationUpdate":  {"PATCH", "/v1/destinations/" + dst.ID},
		"ConnectionUpdate":   {"PATCH", "/v1/connections/" + conn.ID},
		"TopicUpdate":        {"PATCH", "/v1/topics/" + topic.ID},
		"SubscriptionUpdate": {"PATCH", "/v1/topics/" + topic.ID + "/subscriptions/" + sub.ID},
		"EnvironmentUpdate":  {"PATCH", "/v1/environments/" + env.ID},
		"APIKeyCreate":       {"POST", "/v1/auth/api-keys"},
		"FilterRule":         {"PATCH", "/v1/connections/" + conn.ID},
		"TestEvent":          {"POST", "/v1/connections/" + conn.ID + "/test"},
		"ReplayCreate":       {"POST", "/v1/replay"},
	}
	ingest(t, r, src.ID, `{}`) // an event to replay
	authConfigs := map[any]any{"bearer": map[string]string{"token": "t"}, "basic": map[string]string{"username": "u", "password": "p"},
		"api_key": map[string]string{"header": "X-Key", "value": "v"}}
	ruleValues := map[any]any{"gt": 1, "gte": 1, "lt": 1, "lte": 1, "exists": true, "in": []any{"a"}}
	body := func(component, field string, v any) map[string]any {
		switch component {
		case "FilterRule":
			rule := map[string]any{"field": "payload.a", field: v, "value": "a"}
			if rv, ok := ruleValues[v]; ok {
				rule["value"] = rv
			}
			return map[string]any{"filter_rules": []any{rule}}
		case "APIKeyCreate":
			return map[string]any{"name": "k", field: []any{v}}
		case "TestEvent":
			return map[string]any{"payload": map[string]any{}, field: v}
		case "ReplayCreate":
			return map[string]any{"destination_id": dst.ID, "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", field: v}
		}
		b := map[string]any{field: v}
		switch field {
		case "template", "verification_type":
			b["verification_enabled"] = false
		case "auth_type":
			b["auth_config"] = authConfigs[v]
		case "retry_max_attempts":
			b["retry_enabled"] = false
		}
		return b
	}
	try := func(component, field string, v any) apiCall {
		t.Helper()
		target := targets[component]
		return call(t, r, target.method, target.path, testKey, body(component, field, v))
	}

	requestSchemas := spec.requestComponents()
	probed := 0
	for _, name := range requestSchemas {
		s := schemas[name].(map[string]any)
		if strings.HasSuffix(name, "Create") && schemas[strings.TrimSuffix(name, "Create")+"Update"] != nil {
			checkSameFields(t, name, s, schemas[strings.TrimSuffix(name, "Create")+"Update"].(map[string]any))
			continue
		}
		for field, fs := range schemaProperties(s) {
			values, bounds := enumValues(fs...), rangeOf(fs[0])
			if len(values) == 0 && bounds == nil {
				continue
			}
			if _, ok := targets[name]; !ok {
				t.Errorf("%s.%s: documents an enum or range, but the test has no request to try it (add one to targets)", name, field)
				continue
			}
			probed++
			for _, v := range values {
				if res := try(name, field, v); res.status/100 != 2 {
					t.Errorf("%s.%s = %v is documented, but the server answers %d: %s", name, field, v, res.status, res.body)
				}
			}
			if len(values) > 0 {
				named := field // what the 400 names
				switch name {
				case "FilterRule":
					named = "filter_rules[0]"
				case "APIKeyCreate":
					named = "scopes[0]"
				}
				if res := try(name, field, "no-such-value"); res.status != 400 || !strings.Contains(string(res.body), named) {
					t.Errorf("%s.%s = no-such-value: %d %s, want a 400 naming %s", name, field, res.status, res.body, named)
				}
			}
			if bounds != nil {
				for _, b := range []struct {
					v  float64
					ok bool
				}{{bounds[0], true}, {bounds[1], true}, {bounds[0] - 1, false}, {bounds[1] + 1, false}} {
					if math.IsNaN(b.v) {
						continue // no such bound
					}
					if res := try(name, field, int64(b.v)); (res.status/100 == 2) != b.ok {
						t.Errorf("%s.%s = %v: %d %s, documented range %v", name, field, b.v, res.status, res.body, bounds)
					}
				}
			}
		}
	}
	if probed < 15 {
		t.Errorf("only %d fields with enums or ranges tried", probed)
	}

	// Query parameters: every documented value is accepted; outside the
	// enum, the types or the ranges, a 400. queryNotRefused are the
	// parameters whose handlers do not refuse values outside their enum
	// (they match nothing): the test insists they still do not, so that
	// fixing one removes it from the list.
	queryNotRefused := map[string]bool{}
	fill := strings.NewReplacer("{id}", topic.ID, "{sub_id}", sub.ID, "{source_id}", src.ID)
	for key, op := range spec.ops {
		method, path, _ := strings.Cut(key, " ")
		if method != "GET" || op["security"] != nil || strings.Contains(path, "{") && !strings.HasPrefix(path, "/v1/topics/") {
			continue
		}
		get := func(name, value string) apiCall {
			t.Helper()
			return call(t, r, "GET", fill.Replace(path)+"?"+url.Values{name: {value}}.Encode(), testKey, nil)
		}
		for pname, p := range spec.parameters(key) {
			in, name, _ := strings.Cut(pname, " ")
			if in != "query" {
				continue
			}
			ps := p["schema"].(map[string]any)
			valid := []string{"x"}
			switch {
			case name == "org_id":
				valid = []string{DefaultOrgID}
			case name == "env_id":
				valid = []string{DefaultEnvID}
			case ps["enum"] != nil:
				valid = nil
				for _, v := range ps["enum"].([]any) {
					valid = append(valid, fmt.Sprint(v))
				}
			case ps["format"] == "date-time":
				valid = []string{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123456+02:00"}
			case ps["type"] == "integer":
				valid = []string{"0", fmt.Sprint(ps["default"])}
				if m, ok := ps["maximum"]; ok {
					valid = append(valid, fmt.Sprint(m))
				}
			case name == "cursor":
				valid = []string{""}
			}
			for _, v := range valid {
				if res := get(name, v); res.status != 200 {
					t.Errorf("%s ?%s=%s: %d %s", key, name, v, res.status, res.body)
				}
			}
			var invalid []string
			switch {
			case ps["enum"] != nil:
				invalid = []string{"no-such-value"}
			case ps["format"] == "date-time":
				invalid = []string{"yesterday"}
			case ps["type"] == "integer":
				invalid = []string{"-1", "x"}
			}
			for _, v := range invalid {
				res := get(name, v)
				if queryNotRefused[key+" "+name] {
					if res.status != 200 {
						t.Errorf("%s ?%s=%s: %d, remove it from queryNotRefused", key, name, v, res.status)
					}
					continue
				}
				if res.status != 400 || !strings.Contains(string(res.body), "'"+name+"'") {
					t.Errorf("%s ?%s=%s: %d %s, want a 400 naming the parameter", key, name, v, res.status, res.body)
				}
			}
		}
	}
}

// requestComponents names the schemas the request bodies use, directly
// or through other schemas.
func (s *openAPISpec) requestComponents() []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if !seen[name] {
					seen[name] = true
					walk(s.doc["components"].(map[string]any)["schemas"].(map[string]any)[name])
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, op := range s.ops {
		walk(op["requestBody"])
	}
	names := slices.Collect(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	sort.Strings(names)
	return names
}

// schemaProperties are the properties of an object schema, those of its
// anyOf branches included: each name's schemas.
func schemaProperties(s map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			out[name] = append(out[name], p.(map[string]any))
		}
	}
	add(s)
	branches, _ := s["anyOf"].([]any)
	for _, b := range branches {
		add(b.(map[string]any))
	}
	return out
}

// enumValues are the non-null enum values of a property's schemas: their
// own, their items', or their anyOf branches'.
func enumValues(schemas ...map[string]any) []any {
	var out []any
	for _, s := range schemas {
		if e, ok := s["enum"].([]any); ok {
			for _, v := range e {
				if v != nil && !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			out = append(out, enumValues(items)...)
		}
		if branches, ok := s["anyOf"].([]any); ok && s["type"] == nil {
			// A JSON column's value branch (its JSON-encoded twin is a string).
			out = append(out, enumValues(branches[0].(map[string]any))...)
		}
	}
	return out
}

// rangeOf returns a numeric property's [minimum, maximum] (NaN where
// unbounded), or nil.
func rangeOf(s map[string]any) []float64 {
	lo, hasLo := s["minimum"].(float64)
	hi, hasHi := s["maximum"].(float64)
	if !hasLo && !hasHi {
		return nil
	}
	nan := func(v float64, ok bool) float64 {
		if ok {
			return v
		}
		return math.NaN()
	}
	return []float64{nan(lo, hasLo), nan(hi, hasHi)}
}

// checkSameFields checks that a create schema validates its fields as the
// update schema does (their descriptions differ by the defaults).
func checkSameFields(t *testing.T, name string, create, update map[string]any) {
	t.Helper()
	cp, up := schemaProperties(create), schemaProperties(update)
	for field, cs := range cp {
		if strings.Contains(fmt.Sprint(create["required"]), field) {
			continue // required fields are not nullable on create
		}
		c, u := maps.Clone(cs[0]), maps.Clone(up[field][0])
		delete(c, "description")
		delete(u, "description")
		if !reflect.DeepEqual(c, u) {
			t.Errorf("%s.%s differs from the update's: %v, %v", name, field, c, u)
		}
	}
}

// TestOpenAPI_Components checks that each named part of the document is
// the same wherever it appears (the served document defines it once),
// and that the served document references every component it defines.
func TestOpenAPI_Components(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(openAPIBase())
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	json.Unmarshal(raw, &doc)
	seen := map[string]string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x[componentKey].(string); ok {
				b, _ := json.Marshal(x)
				if prev, ok := seen[name]; ok && prev != string(b) {
					t.Errorf("%s differs between its occurrences:\n%s\n%s", name, prev, b)
				}
				seen[name] = string(b)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	served, err := setup(t, nil).servedOpenAPIBytes()
	if err != nil {
		t.Fatal(err)
	}
	for name := range seen {
		if !bytes.Contains(served, []byte(`"$ref":"#/components/`+name+`"`)) {
			t.Errorf("the served document does not reference %s", name)
		}
	}
	if bytes.Contains(served, []byte(componentKey)) {
		t.Errorf("the served document has %s keys", componentKey)
	}
}

// TestHandler_OpenAPIServers checks that the document's server is
// Config.BaseURL when it is set.
func TestHandler_OpenAPIServers(t *testing.T) {
	t.Parallel()
	spec := fetchOpenAPI(t, setup(t, &Config{BaseURL: "https://hooks.example.com/gateway/"}))
	servers, _ := spec.doc["servers"].([]any)
	if len(servers) != 1 || servers[0].(map[string]any)["url"] != "https://hooks.example.com/gateway" {
		t.Errorf("servers = %v, want https://hooks.example.com/gateway", spec.doc["servers"])
	}
}

// TestHandler_OpenAPIDump writes the served document to the file
// $HOOKSTREAM_OPENAPI_OUT names, for scripts/openapi-check.sh.
func TestHandler_OpenAPIDump(t *testing.T) {
	out := os.Getenv("HOOKSTREAM_OPENAPI_OUT")
	if out == "" {
		t.Skip("HOOKSTREAM_OPENAPI_OUT is not set")
	}
	res := call(t, setup(t, nil), http.MethodGet, "/v1/openapi.json", "", nil)
	if err := os.WriteFile(out, res.body, 0o644); err != nil {
		t.Fatal(err)
	}
}
