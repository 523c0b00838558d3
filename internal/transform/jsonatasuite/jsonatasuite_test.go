package jsonatasuite

import (
	"encoding/json"
	"testing"
)

func TestCompare(t *testing.T) {
	value := func(result string) *Case { return &Case{Kind: Value, Result: json.RawMessage(result)} }
	unordered := func(result string) *Case {
		c := value(result)
		c.Unordered = true
		return c
	}
	tests := []struct {
		name string
		c    *Case
		got  Kind
		out  string
		pass bool
		why  string
	}{
		{"equal value", value(`{"a":[1,2]}`), Value, `{ "a" : [1, 2] }`, true, ""},
		{"numbers as float64", value(`1.0`), Value, `1`, true, ""},
		{"different value", value(`[1,2]`), Value, `[2,1]`, false, "different value"},
		{"unordered array", unordered(`[1,2,2]`), Value, `[2,1,2]`, true, ""},
		{"unordered multiset differs", unordered(`[1,2,2]`), Value, `[1,1,2]`, false, "different value"},
		{"unordered nested only top level", unordered(`[[1,2]]`), Value, `[[2,1]]`, false, "different value"},
		{"value but undefined", value(`1`), Undefined, ``, false, "expected a result"},
		{"value but error", value(`1`), Error, ``, false, "expected a result"},
		{"trailing data", value(`1`), Value, `1 2`, false, "result is not one JSON value: data after the value"},
		{"bad expected JSON", value(`{`), Value, `1`, false, "bad expected JSON: unexpected EOF"},
		{"undefined", &Case{Kind: Undefined}, Undefined, ``, true, ""},
		{"undefined but value", &Case{Kind: Undefined}, Value, `null`, false, "expected undefined"},
		{"undefined but error", &Case{Kind: Undefined}, Error, ``, false, "expected undefined"},
		{"error, code not compared", &Case{Kind: Error, Code: "T2001"}, Error, ``, true, ""},
		{"error but undefined", &Case{Kind: Error}, Undefined, ``, false, "expected an error"},
		{"error but value", &Case{Kind: Error}, Value, `1`, false, "expected an error"},
		{"unreadable case", &Case{Kind: Value, Bad: "no expr or expr-file"}, Value, `1`, false, "unreadable case: no expr or expr-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass, why := tt.c.Compare(tt.got, []byte(tt.out))
			if pass != tt.pass || why != tt.why {
				t.Errorf("Compare(%v, %q) = %v, %q; want %v, %q", tt.got, tt.out, pass, why, tt.pass, tt.why)
			}
		})
	}
}
