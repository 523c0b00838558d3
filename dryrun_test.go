package hookstream

import (
	"encoding/json"
	"fmt"
	"strings"
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

func TestHandler_RunawayTransformsStopAtTheirBudget(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "d", "url": "https://example.com"}, 201)["destination"].(map[string]any)
	for _, c := range []struct{ expr, limit string }{
		{`($f := function($n){$n + $f($n+1)}; $f(0))`, "recursion depth limit"}, // unbounded recursion
		{`[1..1e4].([1..1e4])`, "memory budget"},                                // 10^8 items
		{`$count(items.($$.items))`, "step budget"},                             // a path product
		{`{"r": $formatNumber(amount, "0.00e0")}`, ""},                          // looped forever in jsonata-go
	} {
		conn := mustCall(t, r, "POST", "/v1/connections", map[string]any{
			"source_id": src["id"], "destination_id": dst["id"], "name": "x",
			"transform_enabled": true, "transform_expression": c.expr,
		}, 201)["connection"].(map[string]any)
		items := make([]int, 2000)
		res := mustCall(t, r, "POST", "/v1/connections/"+conn["id"].(string)+"/test",
			map[string]any{"payload": map[string]any{"items": items, "amount": -5}}, 200)
		msg, _ := res["transform_error"].(string)
		if c.limit == "" {
			if res["transform_error"] != nil {
				t.Errorf("%s: transform_error %v, want a result", c.expr, res["transform_error"])
			}
			continue
		}
		if !strings.Contains(msg, c.limit) {
			t.Errorf("%s: transform_error %q, want it to name the %s", c.expr, msg, c.limit)
		}
	}
}
