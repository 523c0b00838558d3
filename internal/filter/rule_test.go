package filter

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	t.Run("valid", testParseValid)
	t.Run("errors", testParseErrors)
}

func testParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want []Rule
	}{
		{"empty", ``, nil},
		{"null", ` null `, nil},
		{"empty list", `[]`, nil},
		{"op", `[{"field":"payload.a","op":"eq","value":1}]`, []Rule{{Field: "payload.a", Op: OpEq, Value: json.RawMessage(`1`)}}},
		{"operator alias", `[{"field":"method","operator":"in","value":["GET"]}]`, []Rule{{Field: "method", Op: OpIn, Value: json.RawMessage(`["GET"]`)}}},
		{"both agree", `[{"field":"method","op":"eq","operator":"eq","value":"GET"}]`, []Rule{{Field: "method", Op: OpEq, Value: json.RawMessage(`"GET"`)}}},
		{"exists without value", `[{"field":"payload.a","op":"exists"}]`, []Rule{{Field: "payload.a", Op: OpExists}}},
		{"null value", `[{"field":"payload.a","op":"eq","value":null}]`, []Rule{{Field: "payload.a", Op: OpEq, Value: json.RawMessage(`null`)}}},
		{"unknown keys ignored", `[{"field":"payload.a","op":"exists","note":"x"}]`, []Rule{{Field: "payload.a", Op: OpExists}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func testParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"not JSON", `[`, `filter_rules: invalid JSON`},
		{"not an array", `{"field":"method"}`, `filter_rules: must be an array of rules`},
		{"string", `"[]"`, `filter_rules: must be an array of rules`},
		{"rule not object", `[{"field":"method","op":"exists"}, 3]`, `filter_rules[1]: rule must be an object`},
		{"rule null", `[null]`, `filter_rules[0]: rule must be an object`},
		{"missing field", `[{"op":"exists"}]`, `filter_rules[0]: missing field`},
		{"empty field", `[{"field":"","op":"exists"}]`, `filter_rules[0]: missing field`},
		{"field not string", `[{"field":1,"op":"exists"}]`, `filter_rules[0]: 'field' must be a string`},
		{"missing op", `[{"field":"method"}]`, `filter_rules[0]: missing op`},
		{"empty op", `[{"field":"method","op":""}]`, `filter_rules[0]: missing op`},
		{"op not string", `[{"field":"method","op":true}]`, `filter_rules[0]: 'op' must be a string`},
		{"op disagree", `[{"field":"method","op":"eq","operator":"neq","value":"x"}]`, `filter_rules[0]: 'op' and 'operator' disagree`},
		{"unknown op", `[{"field":"method","op":"exists"},{"field":"method","op":"exists"},{"field":"method","op":"foo"}]`, `filter_rules[2]: unknown op "foo"`},
		{"op case", `[{"field":"method","op":"EQ","value":"x"}]`, `filter_rules[0]: unknown op "EQ"`},
		{"in without array", `[{"field":"method","op":"in","value":"GET"}]`, `filter_rules[0]: 'in' needs an array value`},
		{"in without value", `[{"field":"method","op":"in"}]`, `filter_rules[0]: 'in' needs an array value`},
		{"gt string", `[{"field":"method","op":"exists"},{"field":"payload.n","op":"gt","value":"1"}]`, `filter_rules[1]: 'gt' needs a number value`},
		{"lte null", `[{"field":"payload.n","op":"lte","value":null}]`, `filter_rules[0]: 'lte' needs a number value`},
		{"gte missing", `[{"field":"payload.n","op":"gte"}]`, `filter_rules[0]: 'gte' needs a number value`},
		{"eq without value", `[{"field":"payload.n","op":"eq"}]`, `filter_rules[0]: 'eq' needs a value`},
		{"contains without value", `[{"field":"payload.n","op":"contains"}]`, `filter_rules[0]: 'contains' needs a value`},
		{"exists not bool", `[{"field":"payload.n","op":"exists","value":"yes"}]`, `filter_rules[0]: 'exists' needs a boolean value`},
		{"unknown root", `[{"field":"body.a","op":"exists"}]`, `filter_rules[0]: field "body.a": unknown field root (want payload, headers, method, content_type, source_ip or topic)`},
		{"sub-field", `[{"field":"method.x","op":"exists"}]`, `filter_rules[0]: field "method.x": method has no sub-fields`},
		{"headers alone", `[{"field":"headers","op":"exists"}]`, `filter_rules[0]: field "headers": needs a header name (headers.<name>)`},
		{"bad header", `[{"field":"headers.a b","op":"exists"}]`, `filter_rules[0]: field "headers.a b": invalid header name`},
		{"empty segment", `[{"field":"payload..a","op":"exists"}]`, `filter_rules[0]: field "payload..a": has an empty segment`},
		{"trailing dot", `[{"field":"payload.","op":"exists"}]`, `filter_rules[0]: field "payload.": has an empty segment`},
		{"trailing escape", `[{"field":"payload.a\\","op":"exists"}]`, `filter_rules[0]: field "payload.a\\": ends with an unfinished escape`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.raw))
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("Parse error = %v (%T), want *Error", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()
	_, err := Compile([]Rule{
		{Field: "payload.a", Op: OpEq, Value: json.RawMessage(`1`)},
		{Field: "payload.a", Op: OpEq, Value: json.RawMessage(`{`)},
	})
	var ferr *Error
	if !errors.As(err, &ferr) || ferr.Index != 1 || ferr.Reason != "value is not valid JSON" {
		t.Errorf("Compile error = %#v", err)
	}
	if err := Validate([]Rule{{Field: "topic", Op: "bogus"}}); err == nil || err.Error() != `filter_rules[0]: unknown op "bogus"` {
		t.Errorf("Validate error = %v", err)
	}
}

func TestMatcher_Rules(t *testing.T) {
	t.Parallel()
	raw := `[{"field":"payload.a","operator":"in","value":[1, 2]},{"field":"topic","op":"exists"}]`
	m, err := CompileJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(m.Rules())
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"field":"payload.a","op":"in","value":[1,2]},{"field":"topic","op":"exists"}]`; string(got) != want {
		t.Errorf("Rules = %s, want %s", got, want)
	}
}
