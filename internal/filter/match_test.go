package filter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// typesBody has one field of every JSON type, plus edge values.
const typesBody = `{
	"str": "abc", "num": 1.5, "int": 1, "bool": true, "no": false, "nul": null,
	"obj": {"a": 1, "b": [1, 2]}, "arr": [1, "x", null, {"k": "v"}, [1], true],
	"empty": "", "emptyArr": [], "emptyObj": {}, "one": "1", "big": 1e300
}`

func match(t *testing.T, ev *Event, field string, op Op, value string) bool {
	t.Helper()
	r := Rule{Field: field, Op: op}
	if value != "" {
		r.Value = json.RawMessage(value)
	}
	m, err := Compile([]Rule{r})
	if err != nil {
		t.Fatalf("Compile(%+v): %v", r, err)
	}
	got := m.Match(ev)
	if ex := m.Explain(ev); len(ex) != 1 || ex[0].Matched != got {
		t.Fatalf("Explain = %+v, Match = %v", ex, got)
	}
	return got
}

func TestMatcher_Match(t *testing.T) {
	t.Parallel()
	t.Run("operators", testMatchOperators)
	t.Run("arrayIndexing", testMatchArrayIndexing)
	t.Run("escapedKeys", testMatchEscapedKeys)
	t.Run("headers", testMatchHeaders)
	t.Run("requestFields", testMatchRequestFields)
	t.Run("formBody", testMatchFormBody)
	t.Run("invalidJSON", testMatchInvalidJSON)
	t.Run("allRules", testMatchAllRules)
}

// testMatchOperators runs every operator against every JSON type, present,
// missing and null.
func testMatchOperators(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{Body: []byte(typesBody), ContentType: "application/json"})

	// field × op × value: every operator against every JSON type, present,
	// missing and null.
	tests := []struct {
		field string
		op    Op
		value string
		want  bool
	}{
		// eq: strict types, no coercion.
		{"payload.str", OpEq, `"abc"`, true},
		{"payload.str", OpEq, `"ab"`, false},
		{"payload.one", OpEq, `1`, false},
		{"payload.int", OpEq, `"1"`, false},
		{"payload.int", OpEq, `1`, true},
		{"payload.int", OpEq, `1.0`, true},
		{"payload.int", OpEq, `1e0`, true},
		{"payload.num", OpEq, `1.5`, true},
		{"payload.num", OpEq, `true`, false},
		{"payload.bool", OpEq, `true`, true},
		{"payload.bool", OpEq, `false`, false},
		{"payload.bool", OpEq, `1`, false},
		{"payload.bool", OpEq, `"true"`, false},
		{"payload.no", OpEq, `false`, true},
		{"payload.no", OpEq, `null`, false},
		{"payload.nul", OpEq, `null`, true},
		{"payload.nul", OpEq, `false`, false},
		{"payload.nul", OpEq, `""`, false},
		{"payload.nul", OpEq, `0`, false},
		{"payload.empty", OpEq, `null`, false},
		{"payload.empty", OpEq, `""`, true},
		{"payload.obj", OpEq, `{"b": [1, 2], "a": 1}`, true},
		{"payload.obj", OpEq, `{"a": 1, "b": [2, 1]}`, false},
		{"payload.obj", OpEq, `{"a": 1}`, false},
		{"payload.obj", OpEq, `{"a": 1, "b": [1, 2], "c": 3}`, false},
		{"payload.obj", OpEq, `{"a": 1.0, "b": [1, 2.0]}`, true},
		{"payload.obj", OpEq, `[1, 2]`, false},
		{"payload.emptyObj", OpEq, `{}`, true},
		{"payload.emptyObj", OpEq, `[]`, false},
		{"payload.arr", OpEq, `[1, "x", null, {"k": "v"}, [1], true]`, true},
		{"payload.arr", OpEq, `[1, "x", null, {"k": "v"}, [1]]`, false},
		{"payload.arr", OpEq, `[1, "x", null, {"k": "v"}, [1], true, 1]`, false},
		{"payload.emptyArr", OpEq, `[]`, true},
		{"payload.emptyArr", OpEq, `{}`, false},
		{"payload.missing", OpEq, `null`, false},
		{"payload.missing", OpEq, `""`, false},
		{"payload.str.deeper", OpEq, `null`, false},
		{"payload.big", OpEq, `1e300`, true},

		// neq: the negation of eq; a missing field is not equal to anything.
		{"payload.str", OpNeq, `"abc"`, false},
		{"payload.str", OpNeq, `"x"`, true},
		{"payload.int", OpNeq, `"1"`, true},
		{"payload.int", OpNeq, `1.0`, false},
		{"payload.bool", OpNeq, `true`, false},
		{"payload.nul", OpNeq, `null`, false},
		{"payload.nul", OpNeq, `0`, true},
		{"payload.obj", OpNeq, `{"b": [1, 2], "a": 1}`, false},
		{"payload.arr", OpNeq, `[]`, true},
		{"payload.missing", OpNeq, `null`, true},
		{"payload.missing", OpNeq, `"abc"`, true},

		// contains: substring of a string, element of an array.
		{"payload.str", OpContains, `"bc"`, true},
		{"payload.str", OpContains, `""`, true},
		{"payload.str", OpContains, `"abcd"`, false},
		{"payload.one", OpContains, `1`, false},
		{"payload.arr", OpContains, `1`, true},
		{"payload.arr", OpContains, `1.0`, true},
		{"payload.arr", OpContains, `"1"`, false},
		{"payload.arr", OpContains, `"x"`, true},
		{"payload.arr", OpContains, `null`, true},
		{"payload.arr", OpContains, `{"k": "v"}`, true},
		{"payload.arr", OpContains, `[1]`, true},
		{"payload.arr", OpContains, `true`, true},
		{"payload.arr", OpContains, `false`, false},
		{"payload.emptyArr", OpContains, `null`, false},
		{"payload.int", OpContains, `1`, false},
		{"payload.bool", OpContains, `true`, false},
		{"payload.nul", OpContains, `null`, false},
		{"payload.obj", OpContains, `"a"`, false},
		{"payload.obj", OpContains, `1`, false},
		{"payload.missing", OpContains, `""`, false},

		// gt gte lt lte: numbers only.
		{"payload.num", OpGt, `1`, true},
		{"payload.num", OpGt, `1.5`, false},
		{"payload.num", OpGte, `1.5`, true},
		{"payload.num", OpLt, `2`, true},
		{"payload.num", OpLt, `1.5`, false},
		{"payload.num", OpLte, `1.5`, true},
		{"payload.num", OpLte, `-1`, false},
		{"payload.big", OpGt, `1e299`, true},
		{"payload.one", OpGt, `0`, false},
		{"payload.one", OpLt, `2`, false},
		{"payload.str", OpGte, `0`, false},
		{"payload.bool", OpGt, `0`, false},
		{"payload.nul", OpLt, `1`, false},
		{"payload.nul", OpGte, `0`, false},
		{"payload.obj", OpGt, `0`, false},
		{"payload.arr", OpLt, `10`, false},
		{"payload.missing", OpLt, `1`, false},
		{"payload.missing", OpGte, `0`, false},

		// exists: present even if null.
		{"payload.str", OpExists, ``, true},
		{"payload.str", OpExists, `true`, true},
		{"payload.str", OpExists, `false`, false},
		{"payload.nul", OpExists, ``, true},
		{"payload.nul", OpExists, `false`, false},
		{"payload.empty", OpExists, `true`, true},
		{"payload.emptyArr", OpExists, `true`, true},
		{"payload.obj.b.1", OpExists, `true`, true},
		{"payload.missing", OpExists, ``, false},
		{"payload.missing", OpExists, `false`, true},
		{"payload.nul.x", OpExists, `false`, true},

		// in: equals one element.
		{"payload.str", OpIn, `["x", "abc"]`, true},
		{"payload.str", OpIn, `["x"]`, false},
		{"payload.str", OpIn, `[]`, false},
		{"payload.int", OpIn, `["1", 2]`, false},
		{"payload.int", OpIn, `[2, 1.0]`, true},
		{"payload.bool", OpIn, `[1, true]`, true},
		{"payload.nul", OpIn, `[null]`, true},
		{"payload.nul", OpIn, `[0, false, ""]`, false},
		{"payload.obj", OpIn, `[{"a": 1, "b": [1, 2]}]`, true},
		{"payload.arr", OpIn, `[[1, "x", null, {"k": "v"}, [1], true]]`, true},
		{"payload.arr", OpIn, `[1, "x"]`, false},
		{"payload.missing", OpIn, `[null]`, false},

		// The whole payload.
		{"payload", OpExists, ``, true},
		{"payload", OpContains, `1`, false},
		{"payload", OpEq, `{}`, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s_%s_%s", tt.field, tt.op, tt.value)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := match(t, ev, tt.field, tt.op, tt.value); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func testMatchArrayIndexing(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{Body: []byte(`{
		"items": [{"sku": "A"}, {"sku": "B", "tags": ["x", "y"]}],
		"byNum": {"0": "zero", "01": "zero-one", "1": "one"},
		"matrix": [[1, 2], [3, 4]]
	}`)})
	tests := []struct {
		field string
		want  string // JSON, "" for missing
	}{
		{"payload.items.0.sku", `"A"`},
		{"payload.items.1.sku", `"B"`},
		{"payload.items.1.tags.1", `"y"`},
		{"payload.items.2.sku", ``},
		{"payload.items.-1", ``},
		{"payload.items.01", ``},
		{"payload.items.00", ``},
		{"payload.items.1e0", ``},
		{"payload.items.sku", ``},
		{"payload.items.#", ``},
		{"payload.byNum.0", `"zero"`},
		{"payload.byNum.01", `"zero-one"`},
		{"payload.byNum.1", `"one"`},
		{"payload.matrix.1.0", `3`},
		{"payload.matrix.0.5", ``},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			m, err := Compile([]Rule{{Field: tt.field, Op: OpExists}})
			if err != nil {
				t.Fatal(err)
			}
			got := string(m.Explain(ev)[0].Observed)
			if got != tt.want {
				t.Errorf("observed %s, want %s", got, tt.want)
			}
			if m.Match(ev) != (tt.want != "") {
				t.Errorf("exists = %v, want %v", m.Match(ev), tt.want != "")
			}
		})
	}
}

func testMatchEscapedKeys(t *testing.T) {
	t.Parallel()
	// Keys made of gjson's special characters, addressed literally. In a
	// rule path only '.' and '\' need escaping.
	body := map[string]any{
		"a*b": 1, "a?b": 2, "#": 3, "@this": 4, "a|b": 5, "!x": 6,
		"x.y": 7, "a\\b": 8, "a b": 9, "=": 10, "[0]": 11, "{a}": 12,
		"@reverse": 13, "#(a==1)": 14, "..": 15, "~": 16, `"`: 17, "é": 18,
		"x": map[string]any{"y": 19, "#": []any{20}},
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvent(Input{Body: raw})
	tests := []struct {
		field string
		want  float64
	}{
		{`payload.a*b`, 1},
		{`payload.a?b`, 2},
		{`payload.#`, 3},
		{`payload.@this`, 4},
		{`payload.a|b`, 5},
		{`payload.!x`, 6},
		{`payload.x\.y`, 7},
		{`payload.a\\b`, 8},
		{`payload.a b`, 9},
		{`payload.=`, 10},
		{`payload.[0]`, 11},
		{`payload.{a}`, 12},
		{`payload.@reverse`, 13},
		{`payload.#(a==1)`, 14},
		{`payload.\.\.`, 15},
		{`payload.~`, 16},
		{`payload."`, 17},
		{`payload.é`, 18},
		{`payload.x.y`, 19},
		{`payload.x.#.0`, 20},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			if !match(t, ev, tt.field, OpEq, fmt.Sprint(tt.want)) {
				t.Errorf("%s does not equal %v; observed %s", tt.field, tt.want, observedOf(t, ev, tt.field))
			}
		})
	}

	// Wildcards, queries and modifiers never run.
	for _, field := range []string{`payload.a*`, `payload.?`, `payload.x.#.#`, `payload.@keys`, `payload.x|@this`, `payload.#(y==19)`} {
		t.Run("literal/"+field, func(t *testing.T) {
			t.Parallel()
			if match(t, ev, field, OpExists, ``) {
				t.Errorf("%s exists; observed %s", field, observedOf(t, ev, field))
			}
		})
	}
}

func observedOf(t *testing.T, ev *Event, field string) string {
	t.Helper()
	m, err := Compile([]Rule{{Field: field, Op: OpExists}})
	if err != nil {
		t.Fatal(err)
	}
	return string(m.Explain(ev)[0].Observed)
}

func testMatchHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-Shop-Topic", "orders/create")
	h.Add("Accept", "a")
	h.Add("Accept", "b")
	h["x-lower-only"] = []string{"raw"} // not canonicalised, e.g. from a dry run
	h.Set("X-Empty", "")
	ev := NewEvent(Input{Headers: h})

	tests := []struct {
		field string
		op    Op
		value string
		want  bool
	}{
		{"headers.x-shop-topic", OpEq, `"orders/create"`, true},
		{"headers.X-SHOP-TOPIC", OpEq, `"orders/create"`, true},
		{"headers.X-Shop-Topic", OpContains, `"orders"`, true},
		{"headers.accept", OpEq, `"a, b"`, true},
		{"headers.X-Lower-Only", OpEq, `"raw"`, true},
		{"headers.x-empty", OpExists, ``, true},
		{"headers.x-empty", OpEq, `""`, true},
		{"headers.x-missing", OpExists, `false`, true},
		{"headers.x-missing", OpNeq, `"x"`, true},
		{"headers.x-shop-topic", OpEq, `1`, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s_%s", tt.field, tt.op, tt.value), func(t *testing.T) {
			t.Parallel()
			if got := match(t, ev, tt.field, tt.op, tt.value); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func testMatchRequestFields(t *testing.T) {
	t.Parallel()
	h := http.Header{"Content-Type": {"Application/JSON; charset=utf-8"}}
	ev := NewEvent(Input{Body: []byte(`{}`), Headers: h, Method: "POST", SourceIP: "203.0.113.7", Topic: "orders"})
	bare := NewEvent(Input{Body: []byte(`{}`)})
	tests := []struct {
		ev    *Event
		field string
		op    Op
		value string
		want  bool
	}{
		{ev, "method", OpEq, `"POST"`, true},
		{ev, "method", OpIn, `["PUT", "POST"]`, true},
		{ev, "content_type", OpEq, `"application/json"`, true},
		{ev, "headers.content-type", OpContains, `"charset"`, true},
		{ev, "source_ip", OpEq, `"203.0.113.7"`, true},
		{ev, "topic", OpEq, `"orders"`, true},
		{bare, "topic", OpExists, `false`, true},
		{bare, "method", OpExists, ``, false},
		{bare, "content_type", OpNeq, `"application/json"`, true},
		{bare, "source_ip", OpEq, `""`, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s_%s", tt.field, tt.op, tt.value), func(t *testing.T) {
			t.Parallel()
			if got := match(t, tt.ev, tt.field, tt.op, tt.value); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func testMatchFormBody(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{
		Body:        []byte("From=%2B15551234&Body=hello+world&tag=a&tag=b&empty=&user.name=x"),
		ContentType: "application/x-www-form-urlencoded; charset=utf-8",
	})
	tests := []struct {
		field string
		op    Op
		value string
		want  bool
	}{
		{"payload.From", OpEq, `"+15551234"`, true},
		{"payload.Body", OpContains, `"world"`, true},
		{"payload.tag", OpEq, `["a", "b"]`, true},
		{"payload.tag", OpContains, `"b"`, true},
		{"payload.tag.1", OpEq, `"b"`, true},
		{"payload.empty", OpEq, `""`, true},
		{`payload.user\.name`, OpEq, `"x"`, true},
		{"payload.user.name", OpExists, ``, false},
		{"payload.missing", OpExists, `false`, true},
		{"payload", OpEq, `{"Body":"hello world","From":"+15551234","empty":"","tag":["a","b"],"user.name":"x"}`, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s_%s", tt.field, tt.op, tt.value), func(t *testing.T) {
			t.Parallel()
			if got := match(t, ev, tt.field, tt.op, tt.value); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("unparseable", func(t *testing.T) {
		t.Parallel()
		bad := NewEvent(Input{Body: []byte("a=%zz"), ContentType: "application/x-www-form-urlencoded"})
		if _, ok := bad.Payload(); ok {
			t.Error("Payload ok for an unparseable form")
		}
		if match(t, bad, "payload.a", OpExists, ``) {
			t.Error("payload.a exists in an unparseable form")
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		empty := NewEvent(Input{ContentType: "application/x-www-form-urlencoded"})
		if !match(t, empty, "payload", OpEq, `{}`) {
			t.Error("an empty form is not {}")
		}
	})
}

func testMatchInvalidJSON(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `{"a":1}x`, `not json`, `{"a":1,}`, "\xff"} {
		ev := NewEvent(Input{Body: []byte(body), ContentType: "application/json"})
		tests := []struct {
			field string
			op    Op
			value string
			want  bool
		}{
			{"payload", OpExists, ``, false},
			{"payload.a", OpEq, `1`, false},
			{"payload.a", OpContains, `1`, false},
			{"payload.a", OpGt, `0`, false},
			{"payload.a", OpIn, `[1]`, false},
			{"payload.a", OpNeq, `1`, true},
			{"payload.a", OpExists, `false`, true},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%q/%s_%s_%s", body, tt.field, tt.op, tt.value), func(t *testing.T) {
				t.Parallel()
				if got := match(t, ev, tt.field, tt.op, tt.value); got != tt.want {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	}
}

func testMatchAllRules(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{Body: []byte(`{"type":"order.created","amount":120}`), Method: "POST"})
	tests := []struct {
		name  string
		rules string
		want  bool
	}{
		{"none", `[]`, true},
		{"null", `null`, true},
		{"all match", `[{"field":"payload.type","op":"eq","value":"order.created"},{"field":"payload.amount","operator":"gte","value":100}]`, true},
		{"one fails", `[{"field":"payload.type","op":"eq","value":"order.created"},{"field":"method","op":"eq","value":"GET"}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := CompileJSON([]byte(tt.rules))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Match(ev); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	if !(*Matcher)(nil).Match(ev) {
		t.Error("a nil Matcher does not match")
	}
}

func TestMatcher_Explain(t *testing.T) {
	t.Parallel()
	m, err := CompileJSON([]byte(`[
		{"field": "payload.type", "op": "eq", "value": "order.created"},
		{"field": "payload.missing", "operator": "neq", "value": 1},
		{"field": "headers.x-id", "op": "exists"},
		{"field": "payload.amount", "op": "gt", "value": 500}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvent(Input{
		Body:    []byte(`{"type": "order.created", "amount": 120}`),
		Headers: http.Header{"X-Id": {"42"}},
	})
	got, err := json.Marshal(m.Explain(ev))
	if err != nil {
		t.Fatal(err)
	}
	want := `[` +
		`{"index":0,"field":"payload.type","op":"eq","matched":true,"observed":"order.created"},` +
		`{"index":1,"field":"payload.missing","op":"neq","matched":true,"observed":null},` +
		`{"index":2,"field":"headers.x-id","op":"exists","matched":true,"observed":"42"},` +
		`{"index":3,"field":"payload.amount","op":"gt","matched":false,"observed":120}]`
	if string(got) != want {
		t.Errorf("Explain =\n%s\nwant\n%s", got, want)
	}
	if m.Match(ev) {
		t.Error("Match = true with a failing rule")
	}
}

func TestEvent_Payload(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{Body: []byte(` {"a": 1} `)})
	p, ok := ev.Payload()
	if !ok || string(p) != `{"a": 1}` {
		t.Errorf("Payload = %q, %v", p, ok)
	}
	if got := observedOf(t, ev, "payload"); got != `{"a": 1}` {
		t.Errorf("observed payload = %q", got)
	}
}

// TestEvent_concurrent shares one event between matchers on several
// goroutines (run with -race): the body is prepared once.
func TestEvent_concurrent(t *testing.T) {
	t.Parallel()
	ev := NewEvent(Input{Body: []byte(`{"a": {"b": [1, 2, 3]}}`)})
	var matchers []*Matcher
	for i := range 4 {
		m, err := Compile([]Rule{{Field: "payload.a.b", Op: OpContains, Value: json.RawMessage(fmt.Sprint(i))}})
		if err != nil {
			t.Fatal(err)
		}
		matchers = append(matchers, m)
	}
	var wg sync.WaitGroup
	results := make([]bool, len(matchers))
	for i, m := range matchers {
		wg.Go(func() { results[i] = m.Match(ev) })
	}
	wg.Wait()
	if want := []bool{false, true, true, true}; !slices.Equal(results, want) {
		t.Errorf("results = %v, want %v", results, want)
	}
}
