package hookstream

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestHandler_DryRun_Operators runs the operator table of spec §3.2 through
// the public REST dry run: one connection per rule, one sample payload.
func TestHandler_DryRun_Operators(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "d", "url": "https://example.com"}, 201)["destination"].(map[string]any)
	payload := json.RawMessage(`{"n": 5, "s": "hello", "z": null, "tags": ["a", 1], "o": {"k": [1, 2]}, "items": [{"sku": "A"}], "a.b": true}`)
	cases := []struct {
		rule    string
		matched bool
	}{
		{`{"field": "payload.n", "op": "eq", "value": 5}`, true},
		{`{"field": "payload.n", "op": "eq", "value": 5.0}`, true},
		{`{"field": "payload.n", "op": "eq", "value": "5"}`, false}, // no coercion
		{`{"field": "payload.z", "op": "eq", "value": null}`, true},
		{`{"field": "payload.missing", "op": "eq", "value": null}`, false},
		{`{"field": "payload.missing", "op": "neq", "value": 1}`, true},
		{`{"field": "payload.s", "op": "neq", "value": "hello"}`, false},
		{`{"field": "payload.o", "op": "eq", "value": {"k": [1, 2]}}`, true},
		{`{"field": "payload.s", "op": "contains", "value": "ell"}`, true},
		{`{"field": "payload.tags", "op": "contains", "value": 1}`, true},
		{`{"field": "payload.tags", "op": "contains", "value": "1"}`, false},
		{`{"field": "payload.n", "op": "gt", "value": 4}`, true},
		{`{"field": "payload.n", "op": "gte", "value": 5}`, true},
		{`{"field": "payload.n", "op": "lt", "value": 5}`, false},
		{`{"field": "payload.s", "op": "lte", "value": 9}`, false}, // not a number
		{`{"field": "payload.z", "op": "exists"}`, true},           // present even if null
		{`{"field": "payload.missing", "op": "exists", "value": false}`, true},
		{`{"field": "payload.n", "op": "in", "value": [1, 5]}`, true},
		{`{"field": "payload.items.0.sku", "operator": "eq", "value": "A"}`, true},
		{`{"field": "payload.a\\.b", "op": "eq", "value": true}`, true},
		{`{"field": "headers.x-team", "op": "eq", "value": "billing"}`, true},
		{`{"field": "method", "op": "eq", "value": "PUT"}`, true},
		{`{"field": "source_ip", "op": "eq", "value": "203.0.113.9"}`, true},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			conn := mustCall(t, r, "POST", "/v1/connections", map[string]any{
				"source_id": src["id"], "destination_id": dst["id"], "name": fmt.Sprint("c", i),
				"filter_rules": json.RawMessage("[" + c.rule + "]"),
			}, 201)["connection"].(map[string]any)
			res := mustCall(t, r, "POST", "/v1/connections/"+conn["id"].(string)+"/test", map[string]any{
				"payload": payload, "method": "PUT", "source_ip": "203.0.113.9", "headers": map[string]string{"X-Team": "billing"},
			}, 200)
			if res["matched"] != c.matched {
				t.Errorf("%s: matched %v, want %v (%v)", c.rule, res["matched"], c.matched, res["rules"])
			}
		})
	}
}

func TestHandler_RejectsRunawayTransforms(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "d", "url": "https://example.com"}, 201)["destination"].(map[string]any)
	for _, expr := range []string{
		`($f := function($n){$f($n+1)}; $f(0))`, // unbounded recursion
		`[1..1e4].([1..1e4])`,                   // 10^8 items
	} {
		res := call(t, r, "POST", "/v1/connections", testKey, map[string]any{
			"source_id": src["id"], "destination_id": dst["id"], "name": "x",
			"transform_enabled": true, "transform_expression": expr,
		})
		if res.status != 400 {
			t.Errorf("%s: status %d, want 400: %s", expr, res.status, res.body)
		}
	}
}
