package hookstream

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestHandler_DryRun_CandidateConnection tests rules and a transform that
// are not saved: the playground's question "what if the connection were
// so?". The saved connection is left as it was.
func TestHandler_DryRun_CandidateConnection(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "d", "url": "https://example.com"}, 201)["destination"].(map[string]any)
	conn := mustCall(t, r, "POST", "/v1/connections", map[string]any{
		"source_id": src["id"], "destination_id": dst["id"], "name": "c",
		"filter_rules": []map[string]any{{"field": "payload.type", "op": "eq", "value": "a"}},
	}, 201)["connection"].(map[string]any)
	path := "/v1/connections/" + conn["id"].(string)
	payload := json.RawMessage(`{"type": "b", "n": 2}`)

	saved := mustCall(t, r, "POST", path+"/test", map[string]any{"payload": payload}, 200)
	if saved["matched"] != false {
		t.Errorf("saved rules: matched %v, want false", saved["matched"])
	}

	res := mustCall(t, r, "POST", path+"/test", map[string]any{
		"payload":              payload,
		"filter_rules":         []map[string]any{{"field": "payload.type", "op": "eq", "value": "b"}, {"field": "payload.n", "op": "gt", "value": 5}},
		"transform_enabled":    true,
		"transform_expression": `{"kind": type, "double": n * 2}`,
	}, 200)
	rules := res["rules"].([]any)
	if res["matched"] != false || len(rules) != 2 ||
		rules[0].(map[string]any)["matched"] != true || rules[0].(map[string]any)["observed"] != "b" ||
		rules[1].(map[string]any)["matched"] != false || rules[1].(map[string]any)["observed"] != float64(2) {
		t.Errorf("candidate rules: %v", res)
	}

	res = mustCall(t, r, "POST", path+"/test", map[string]any{
		"payload":              payload,
		"filter_rules":         `[{"field": "payload.type", "op": "eq", "value": "b"}]`, // a JSON-encoded string, as PATCH takes
		"transform_enabled":    true,
		"transform_expression": `{"kind": type, "double": n * 2}`,
	}, 200)
	if want := map[string]any{"kind": "b", "double": float64(4)}; res["matched"] != true || !reflect.DeepEqual(res["transformed"], want) {
		t.Errorf("candidate transform: %v, want transformed %v", res, want)
	}

	res = mustCall(t, r, "POST", path+"/test", map[string]any{"payload": payload, "filter_rules": []any{}}, 200)
	if res["matched"] != true || len(res["rules"].([]any)) != 0 || res["transformed"] != nil {
		t.Errorf("an empty candidate list matches everything, with the saved (no) transform: %v", res)
	}

	res = mustCall(t, r, "POST", path+"/test", map[string]any{
		"payload": payload, "filter_rules": []any{}, "transform_enabled": true, "transform_expression": `$error("no")`,
	}, 200)
	if res["transform_error"] == nil {
		t.Errorf("a failing candidate transform: %v, want transform_error", res)
	}

	for _, c := range []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"payload": payload, "filter_rules": []map[string]any{{"field": "payload.n", "op": "gt", "value": "x"}}},
			"Invalid body: 'filter_rules[0]' 'gt' needs a number value"},
		{map[string]any{"payload": payload, "transform_enabled": true, "transform_expression": `{"a": `},
			"Invalid body: 'transform_expression'"}, // then the parser's words
		{map[string]any{"payload": payload, "transform_enabled": true, "transform_expression": ""},
			"Invalid body: 'transform_expression' is required when transform_enabled is true"},
	} {
		got := call(t, r, "POST", path+"/test", testKey, c.body)
		if got.status != 400 {
			t.Errorf("%v: status %d, want 400: %s", c.body, got.status, got.body)
			continue
		}
		if msg, _ := got.json(t)["error"].(string); !strings.HasPrefix(msg, c.msg) {
			t.Errorf("%v: error %q, want it to start %q", c.body, msg, c.msg)
		}
	}

	after := mustCall(t, r, "GET", path, nil, 200)["connection"].(map[string]any)
	if after["filter_rules"] != conn["filter_rules"] || after["transform_enabled"] != float64(0) || after["transform_expression"] != nil {
		t.Errorf("the dry run changed the connection: %v", after)
	}
}

func TestHandler_DryRun_CandidateSubscription(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	mustCall(t, r, "POST", "/v1/topics", map[string]any{"name": "Orders", "slug": "orders"}, 201)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "d", "url": "https://example.com"}, 201)["destination"].(map[string]any)
	sub := mustCall(t, r, "POST", "/v1/topics/orders/subscriptions", map[string]any{"destination_id": dst["id"]}, 201)["subscription"].(map[string]any)
	path := "/v1/topics/orders/subscriptions/" + sub["id"].(string) + "/test"

	res := mustCall(t, r, "POST", path, map[string]any{
		"payload":              map[string]any{"total": 7},
		"filter_rules":         []map[string]any{{"field": "topic", "op": "eq", "value": "orders"}},
		"transform_expression": `total + 1`,
	}, 200)
	if res["matched"] != true || res["transformed"] != float64(8) {
		t.Errorf("candidate subscription: %v", res)
	}
	checkError(t, call(t, r, "POST", path, testKey, map[string]any{"payload": 1, "transform_enabled": true}), 400,
		"Invalid body: 'transform_enabled' is not a field of subscriptions: an empty transform_expression turns the transform off")
}

func TestHandler_DryRun_SourceRefusesCandidates(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "s"}, 201)["source"].(map[string]any)
	checkError(t, call(t, r, "POST", "/v1/sources/"+src["id"].(string)+"/test", testKey, map[string]any{"payload": 1, "transform_expression": "1"}), 400,
		"Invalid body: 'transform_expression' is for connection and subscription dry runs; a source dry run tests the saved routes")
}
