package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzRouter is a Router with one of every resource, for fuzzing the
// handler. Its IDs stand in for the placeholders $SRC, $DST, $CONN, $TOP,
// $SUB and $ENV in fuzzed bodies and paths.
type fuzzRouter struct {
	r   *Router
	ids *strings.Replacer
	log *bytes.Buffer
}

func newFuzzRouter(t *testing.T) *fuzzRouter {
	t.Helper()
	log := new(bytes.Buffer)
	r := setup(t, &Config{
		Now:    goldenClock,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
		Providers: map[string]Provider{
			"inproc": FuncProvider(func(context.Context, *Message) error { return nil }),
		},
	})
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Shop")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Sink"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	rules := FilterRules{{Field: "payload.type", Op: "eq", Value: "order.paid"}, {Field: "headers.x-shop", Op: "exists"}}
	conn, err := r.CreateConnection(ctx, ConnectionParams{
		SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c"), FilterRules: rules,
		TransformEnabled: ptr(true), TransformExpression: ptr(`{"id": id, "total": total * 2}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	top, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Other"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: other.ID, FilterRules: rules, TransformExpression: ptr(`$`)})
	if err != nil {
		t.Fatal(err)
	}
	env, err := r.CreateEnvironment(ctx, EnvironmentParams{Name: ptr("Staging")})
	if err != nil {
		t.Fatal(err)
	}
	// $DST2 is a destination with no subscription yet, for subscribing.
	free, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Free"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	// Two of everything that is listed, so that listings have a next page:
	// events with attempts, a second source, connection, topic,
	// subscription, environment and API key.
	src2, err := r.CreateSource(ctx, SourceParams{Name: ptr("Shop 2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src2.ID, DestinationID: dst.ID, Name: ptr("c2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Refunds")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateEnvironment(ctx, EnvironmentParams{Name: ptr("Prod")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.CreateAPIKey(ctx, APIKeyParams{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		req := httptest.NewRequest("POST", "/v1/ingest/"+src2.ID, strings.NewReader(`{"type":"order.paid"}`))
		res, err := r.Ingest(ctx, src2.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.RetryEvent(ctx, res.EventID); err != nil {
			t.Fatal(err)
		}
	}
	return &fuzzRouter{r: r, log: log, ids: strings.NewReplacer(
		"$SRC", src.ID, "$DST2", free.ID, "$DST", dst.ID, "$CONN", conn.ID, "$TOP", top.ID, "$SUB", sub.ID, "$ENV", env.ID,
	)}
}

// serve sends a request with the test key; body "" sends none.
func (f *fuzzRouter) serve(method, path, rawQuery, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, f.ids.Replace(path), strings.NewReader(f.ids.Replace(body)))
	req.URL.RawQuery = f.ids.Replace(rawQuery)
	req.Header.Set("X-API-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	f.r.Handler().ServeHTTP(w, req)
	return w
}

// check fails on a 500 (which a recovered panic also gives), on
// a 2xx that is not JSON, and on an error that is not the JSON envelope.
func (f *fuzzRouter) check(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if len(what) > 300 {
		what = what[:300] + "..."
	}
	body := w.Body.Bytes()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s\nlog:\n%s", what, w.Code, body, f.log)
	}
	if w.Code < 300 {
		if !json.Valid(body) {
			t.Fatalf("%s: status %d with a body that is not JSON: %q", what, w.Code, body)
		}
		return
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Status != w.Code || e.Error == "" || !strings.HasPrefix(e.RequestID, "req_") {
		t.Fatalf("%s: status %d with a body that is not the error envelope: %q", what, w.Code, body)
	}
}

// fuzzDecodeTargets are the endpoints whose request bodies are decoded.
var fuzzDecodeTargets = []struct{ method, path string }{
	{"POST", "/v1/sources"},
	{"PATCH", "/v1/sources/$SRC"},
	{"POST", "/v1/destinations"},
	{"PATCH", "/v1/destinations/$DST"},
	{"POST", "/v1/connections"},
	{"PATCH", "/v1/connections/$CONN"},
	{"POST", "/v1/topics"},
	{"PATCH", "/v1/topics/$TOP"},
	{"POST", "/v1/topics/$TOP/subscriptions"},
	{"PATCH", "/v1/topics/$TOP/subscriptions/$SUB"},
	{"POST", "/v1/environments"},
	{"PATCH", "/v1/environments/$ENV"},
	{"POST", "/v1/auth/api-keys"},
	{"POST", "/v1/connections/$CONN/test"},
	{"POST", "/v1/sources/$SRC/test"},
	{"POST", "/v1/topics/$TOP/subscriptions/$SUB/test"},
	{"POST", "/v1/topics/orders/publish"},
}

// fuzzValidBodies are valid requests, one or more per target index.
var fuzzValidBodies = map[int][]string{
	0: {
		`{"name": "Stripe", "template": "stripe", "verification_secret": "whsec_abc", "dedup_enabled": true, "dedup_strategy": "body_field", "dedup_field": "id", "ip_allowlist": ["10.0.0.0/8", "::1"], "schema_validation_enabled": true, "json_schema": {"type": "object"}, "schema_action": "warn", "source_config": {"a": 1}, "verification_config": {"tolerance": 300}}`,
		`{"name": "s", "verification_type": "hmac-sha256", "verification_enabled": true, "verification_secret": "x", "verification_header": "X-Sig", "ip_denylist": "[\"1.2.3.4\"]", "json_schema": "{\"type\":\"string\"}"}`,
	},
	1: {`{"status": "paused", "description": null, "ip_allowlist": [], "json_schema": null, "slug": "shop-2"}`},
	2: {
		`{"name": "d", "url": "https://example.com/h", "method": "patch", "headers": {"X-A": "b"}, "timeout": 5, "auth_type": "basic", "auth_config": {"username": "u", "password": "p"}, "retry_intervals": [1, 2], "retry_backoff_type": "fixed", "signing_config": {"secret": "s", "include_timestamp": true}}`,
		`{"name": "q", "type": "inproc", "provider_config": "{\"queue\":\"q\"}", "headers": "{\"X-A\":\"b\"}", "max_concurrency": 1}`,
		`{"name": "w", "url": "https://example.com/w", "signing_config": {"scheme": "standard_webhooks", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}`,
	},
	3: {`{"auth_type": "bearer", "auth_config": {"token": "••••abcd"}, "circuit_breaker_enabled": false, "retry_max_attempts": 10}`},
	4: {
		`{"source_id": "$SRC", "destination_id": "$DST", "name": "c2", "filter_rules": [{"field": "payload.a.0.b", "operator": "in", "value": [1, "x", null]}], "transform_enabled": true, "transform_expression": "$merge([$, {\"x\": 1}])"}`,
		`{"source_id": "$SRC", "destination_id": "$DST", "name": "c3", "filter_rules": "[{\"field\":\"method\",\"op\":\"neq\",\"value\":\"GET\"}]", "enabled": false, "status": "disabled"}`,
	},
	5:  {`{"status": "active", "filter_rules": [], "transform_expression": "a.b", "source_id": "$SRC"}`},
	6:  {`{"name": "Topic 2", "slug": "topic-2", "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}, "status": "inactive"}`},
	7:  {`{"schema": "{\"type\":\"object\"}", "status": "active", "description": "d"}`},
	8:  {`{"destination_id": "$DST2", "filter_rules": [{"field": "topic", "op": "eq", "value": "orders"}], "transform_expression": "{\"a\": a}"}`},
	9:  {`{"enabled": false, "filter_rules": null, "transform_expression": ""}`},
	10: {`{"name": "Prod", "slug": "prod"}`},
	11: {`{"name": "Staging 2"}`},
	12: {`{"name": "ci"}`, `{"name": "ci", "env_id": "$ENV"}`},
	13: {
		`{"payload": {"type": "order.paid", "id": 1, "total": 2}, "headers": {"X-Shop": "eu"}, "method": "PUT", "source_ip": "::1"}`,
		`{"payload": "type=order.paid&id=1", "content_type": "application/x-www-form-urlencoded", "headers": {"X-Shop": "1"}}`,
	},
	14: {`{"payload": {"type": "order.paid"}, "headers": {"x-shop": "1"}}`},
	15: {`{"payload": {"type": "order.paid"}, "headers": {"X-Shop": "1"}}`},
	16: {`{"type": "order.paid"}`},
}

// fuzzNastyBodies go to every target.
var fuzzNastyBodies = []string{
	``, `null`, `true`, `0`, `"x"`, `[]`, `{}`, `{"name": null}`, `{`, `}`, `{"name": "a"} trailing`,
	`{"name": "a"}{"name": "b"}`, "\ufeff{\"name\": \"a\"}", `{"name": "a", "name": "b"}`,
	`{"name": "a", "Name": 5}`, `{"NAME": "a"}`,
	strings.Repeat(`[`, 100000), strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000),
	`{"name": "a", "json_schema": ` + strings.Repeat(`{"items":`, 3000) + `{}` + strings.Repeat(`}`, 3000) + `}`,
	`{"name": "a", "filter_rules": [{"field": "payload.a", "op": "eq", "value": ` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}]}`,
	`{"payload": ` + strings.Repeat(`[`, 9000) + strings.Repeat(`]`, 9000) + `}`,
	`{"name": "a", "dedup_window_seconds": 1e400}`, `{"name": "a", "timeout_ms": 99999999999999999999}`,
	`{"name": "a", "timeout": 9223372036854775807}`, `{"name": "a", "timeout": -9223372036854775808}`,
	`{"name": "a", "retry_intervals": [1e308, -1, 0.5]}`, `{"name": "a", "max_concurrency": -1}`,
	`{"name": "a", "dedup_window_seconds": -0}`, `{"name": 1}`, `{"name": ["a"]}`, `{"name": {"a": 1}}`,
	`{"name": true, "enabled": "true"}`, `{"enabled": 1}`, `{"filter_rules": {}}`, `{"filter_rules": "{}"}`,
	`{"filter_rules": "not json"}`, `{"filter_rules": "[{\"field\": 1}]"}`, `{"filter_rules": [null, 1, "x"]}`,
	`{"filter_rules": [{"field": "payload.", "op": "eq"}]}`, `{"filter_rules": [{"field": "payload.a", "op": "gt", "value": "1"}]}`,
	`{"filter_rules": [{"field": "payload.a", "op": "in", "value": 1}]}`, `{"filter_rules": [{"field": "headers.", "op": "exists"}]}`,
	`{"json_schema": "\"x\""}`, `{"json_schema": "{"}`, `{"schema": 1}`, `{"schema": "null"}`, `{"schema": "\"null\""}`,
	`{"json_schema": {"$ref": "file:///etc/passwd"}}`, `{"json_schema": {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}}`,
	`{"source_config": "[1]"}`, `{"headers": {"": "x"}}`, `{"headers": {"a b": "x"}}`, `{"headers": "{\"a\": 1}"}`,
	`{"auth_config": "\"x\""}`, `{"auth_config": {"token": 5}}`, `{"signing_config": {"algorithm": "md5"}}`,
	`{"provider_config": []}`, `{"ip_allowlist": ["999.1.1.1"]}`, `{"ip_allowlist": ["::ffff:1.2.3.4/200"]}`,
	`{"ip_allowlist": "\"x\""}`, `{"ip_denylist": [null]}`, `{"url": "http://[::1"}`, `{"url": "javascript:alert(1)"}`,
	`{"org_id": 5}`, `{"env_id": "env_other"}`, `{"org_id": null, "env_id": null}`, `{"env_id": ""}`,
	`{"source_id": "../x", "destination_id": "%00", "name": "a"}`, `{"destination_id": "$DST"}`, `{"destination_id": 5}`,
	`{"transform_expression": "` + strings.Repeat(`(`, 5000) + `"}`, `{"transform_expression": "$sum([1..10000000])"}`,
	`{"transform_expression": "function($a)<n:n>{$a}", "transform_enabled": true}`, `{"transform_expression": "\u0000"}`,
	`{"transform_enabled": true, "transform_expression": null}`,
	`{"name": "\u0000\ud800\udfff\u202e", "slug": "ÄÖ"}`, "{\"name\": \"\xff\xfe\"}", `{"name": "` + strings.Repeat("é", 3000) + `"}`,
	`{"payload": null}`, `{"payload": "\ud800"}`, `{"payload": {"type": "order.paid"}, "headers": {"X-Shop": null}}`,
	`{"payload": {}, "headers": []}`, `{"payload": {}, "source_ip": "not an ip", "method": "\u0000", "content_type": ";;;"}`,
	`{"payload": "a=%zz&&==", "content_type": "application/x-www-form-urlencoded"}`, `{"payload": 1e999}`,
	`{"template": "nope"}`, `{"template": ""}`, `{"verification_type": "rsa"}`, `{"type": "SQS"}`, `{"type": "kafka"}`,
	`{"status": "sleepy"}`, `{"method": "GET"}`, `{"retry_backoff_type": "random"}`, `{"dedup_strategy": "header_field"}`,
}

// FuzzHandler_Decode sends arbitrary bodies to every endpoint that
// decodes one: the handler must never answer 500 or panic, 2xx answers
// must be JSON and errors the JSON envelope.
func FuzzHandler_Decode(f *testing.F) {
	for i, bodies := range fuzzValidBodies {
		for _, b := range bodies {
			f.Add(uint8(i), b)
		}
	}
	for i := range fuzzDecodeTargets {
		for _, b := range fuzzNastyBodies {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		fr := newFuzzRouter(t)
		e := fuzzDecodeTargets[int(target)%len(fuzzDecodeTargets)]
		w := fr.serve(e.method, e.path, "", body)
		fr.check(t, e.method+" "+e.path, w)
		if w.Code >= 300 {
			return
		}
		var v map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: answered %s, not an object", e.method, e.path, w.Body)
		}
		// Whatever the body says, what was written is the caller's.
		for _, obj := range v {
			obj, ok := obj.(map[string]any)
			if !ok {
				continue
			}
			if org, ok := obj["org_id"]; ok && org != DefaultOrgID {
				t.Fatalf("%s %s: wrote org_id %v for a key of %s", e.method, e.path, org, DefaultOrgID)
			}
			if env, ok := obj["env_id"]; ok && env != DefaultEnvID {
				t.Fatalf("%s %s: wrote env_id %v for a key of %s", e.method, e.path, env, DefaultEnvID)
			}
		}
	})
}

// fuzzListTargets are the list endpoints and the query parameters they
// read.
var fuzzListTargets = []string{
	"/v1/sources", "/v1/destinations", "/v1/connections", "/v1/topics", "/v1/topics/$TOP/subscriptions",
	"/v1/environments", "/v1/auth/api-keys", "/v1/events", "/v1/delivery-attempts",
}

// FuzzHandler_Query sends arbitrary query parameters to the list
// endpoints: limit, cursor, offset, after and before, and then any raw
// query. None may answer 500.
func FuzzHandler_Query(f *testing.F) {
	for i := range fuzzListTargets {
		f.Add(uint8(i), "", "", "", "", "", "")
		f.Add(uint8(i), "1", "", "0", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00.123+02:00", "status=failed&is_dlq=1")
		f.Add(uint8(i), "0", "abc", "1", "yesterday", "0", "source_id=$SRC&destination_id=$DST")
		f.Add(uint8(i), "-1", "AAAA", "-1", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "limit=1&limit=2")
		f.Add(uint8(i), "99999999999999999999", "////", "9223372036854775807", "2026-02-30T00:00:00Z", "2026-01-01T25:00:00Z", "%zz")
		f.Add(uint8(i), "1e3", "\x00\xff", "1.5", "", "", "cursor=%00&limit=%20")
		f.Add(uint8(i), "100", strings.Repeat("A", 4096), "", "", "", "search="+strings.Repeat("%", 100))
	}
	f.Fuzz(func(t *testing.T, target uint8, limit, cursor, offset, after, before, raw string) {
		fr := newFuzzRouter(t)
		path := fuzzListTargets[int(target)%len(fuzzListTargets)]
		q := url.Values{}
		for name, v := range map[string]string{"limit": limit, "cursor": cursor, "offset": offset, "after": after, "before": before} {
			if v != "" {
				q.Set(name, v)
			}
		}
		fr.check(t, "GET "+path+"?"+q.Encode(), fr.serve("GET", path, q.Encode(), ""))
		fr.check(t, "GET "+path+"?"+raw, fr.serve("GET", path, raw, ""))
		// A cursor the API handed out continues the listing.
		w := fr.serve("GET", path, "limit=1", "")
		fr.check(t, "GET "+path+"?limit=1", w)
		var page struct {
			Cursor     *string `json:"cursor"`
			Pagination struct {
				NextCursor *string `json:"next_cursor"`
			} `json:"pagination"`
		}
		json.Unmarshal(w.Body.Bytes(), &page)
		next := page.Cursor
		if next == nil {
			next = page.Pagination.NextCursor
		}
		if next != nil {
			fr.check(t, "GET "+path+" next page", fr.serve("GET", path, url.Values{"limit": {limit}, "cursor": {*next}}.Encode(), ""))
		}
	})
}

func TestHandler_InvalidCursor(t *testing.T) {
	t.Parallel()
	fr := newFuzzRouter(t)
	for _, path := range fuzzListTargets {
		if path == "/v1/delivery-attempts" {
			continue // offset pagination (spec §4.5): no cursor
		}
		for _, cursor := range []string{"abc", "AAAA", "%%%", strings.Repeat("A", 500)} {
			w := fr.serve("GET", path, url.Values{"cursor": {cursor}}.Encode(), "")
			checkError(t, apiCall{status: w.Code, header: w.Header(), body: w.Body.Bytes()}, 400,
				"Invalid query: 'cursor' is not a cursor of this listing")
		}
	}
	// A cursor of one listing is not one of another.
	w := fr.serve("GET", "/v1/sources", "limit=1", "")
	var page struct{ Cursor string }
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.Cursor == "" {
		t.Fatalf("no cursor: %s", w.Body)
	}
	if w := fr.serve("GET", "/v1/destinations", "cursor="+page.Cursor, ""); w.Code != 400 {
		t.Errorf("a sources cursor on destinations: status %d: %s", w.Code, w.Body)
	}
	if w := fr.serve("GET", "/v1/sources", "cursor="+page.Cursor, ""); w.Code != 200 {
		t.Errorf("the cursor on its own listing: status %d: %s", w.Code, w.Body)
	}
}

func TestHandler_DecodeDepth(t *testing.T) {
	t.Parallel()
	fr := newFuzzRouter(t)
	nested := func(depth int) string { // a JSON Schema nested depth levels deep in all
		return `{"name": "s", "json_schema": ` + strings.Repeat(`{"items":`, depth-2) + `{}` + strings.Repeat(`}`, depth-2) + `}`
	}
	if w := fr.serve("POST", "/v1/sources", "", nested(maxRequestDepth)); w.Code != 201 {
		t.Errorf("depth %d: status %d: %s", maxRequestDepth, w.Code, w.Body)
	}
	w := fr.serve("POST", "/v1/sources", "", nested(maxRequestDepth+1))
	checkError(t, apiCall{status: w.Code, header: w.Header(), body: w.Body.Bytes()}, 400,
		fmt.Sprintf("Invalid JSON body: nested deeper than %d levels", maxRequestDepth))
}

func TestJSONDepth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int
	}{
		{``, 0}, {`1`, 0}, {`"[{"`, 0}, {`{}`, 1}, {`[[],{}]`, 2}, {`{"a":[{"b":1}]}`, 3},
		{`{"a":"]]]"}`, 1}, {`{"a":"\"[["}`, 1}, {`{"a":"\\", "b":[[]]}`, 3}, {`[[[`, 3}, {`]]]{`, 1},
	} {
		if got := jsonDepth([]byte(c.in)); got != c.want {
			t.Errorf("jsonDepth(%s) = %d, want %d", c.in, got, c.want)
		}
	}
}
