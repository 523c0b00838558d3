package transform

import (
	"strings"
	"testing"
)

// TestDecodeJSON_Shapes decodes documents whose objects and arrays nest,
// repeat keys, and outgrow a chunk, and checks that each encodes back as
// JSON.stringify(JSON.parse(doc)) would.
func TestDecodeJSON_Shapes(t *testing.T) {
	big := func(n int, open, close string, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return open + strings.Join(parts, ",") + close
	}
	member := func(i int) string {
		return `"k` + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + `":` + string(rune('0'+i%10))
	}
	bigObject := big(40, "{", "}", member) // past indexAt and past a chunk
	for _, tc := range []struct{ doc, want string }{
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`{"a":{},"b":[]}`, `{"a":{},"b":[]}`},
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{`[{"a":1},{"b":[{"c":2},{"d":[3,4]}]},5]`, `[{"a":1},{"b":[{"c":2},{"d":[3,4]}]},5]`},
		{`[[1,[2,[3,{"x":[4]}]]],{"y":{"z":[]}}]`, `[[1,[2,[3,{"x":[4]}]]],{"y":{"z":[]}}]`},
		{` { "s" : "a\"b\u00e9" , "n" : -1.5e2 , "t" : true , "f" : false , "z" : null } `, `{"s":"a\"bé","n":-150,"t":true,"f":false,"z":null}`},
		{bigObject, bigObject},
		{`[` + bigObject + `,` + bigObject + `]`, `[` + bigObject + `,` + bigObject + `]`},
		{big(100, "[", "]", func(i int) string { return `{"i":` + string(rune('0'+i%10)) + `}` }),
			big(100, "[", "]", func(i int) string { return `{"i":` + string(rune('0'+i%10)) + `}` })},
	} {
		v, err := decodeJSON([]byte(tc.doc))
		if err != nil {
			t.Fatalf("decodeJSON(%.60q): %v", tc.doc, err)
		}
		enc := encoder{max: 1 << 20}
		if err := enc.encode(v, 0); err != nil {
			t.Fatal(err)
		}
		if got := string(enc.buf); got != tc.want {
			t.Errorf("decodeJSON(%.60q) encodes as\n%s\nwant\n%s", tc.doc, got, tc.want)
		}
	}
}

// TestDecodeJSON_ObjectsDoNotShareRoom checks that objects carved from one
// chunk stay apart: a key added to one (to a copy in the evaluator, but
// the slices must allow it) does not write into the next.
func TestDecodeJSON_ObjectsDoNotShareRoom(t *testing.T) {
	v, err := decodeJSON([]byte(`[{"a":1},{"b":2},[3],[4]]`))
	if err != nil {
		t.Fatal(err)
	}
	items := v.(*array).items
	first, second := items[0].(*object), items[1].(*object)
	first.set("c", 9.0)
	if got, _ := second.get("b"); got != 2.0 || len(second.keys) != 1 || second.keys[0] != "b" {
		t.Errorf("second object after a set on the first: keys %v, b = %v", second.keys, got)
	}
	a3, a4 := items[2].(*array), items[3].(*array)
	a3.items = append(a3.items, 5.0)
	if len(a4.items) != 1 || a4.items[0] != 4.0 {
		t.Errorf("second array after an append to the first: %v", a4.items)
	}
}

// TestDecodeJSON_ErrorsLeaveNoState decodes a broken document, then a good
// one: the pooled stacks start empty again.
func TestDecodeJSON_ErrorsLeaveNoState(t *testing.T) {
	for _, bad := range []string{`{"a":[1,{"b":`, `[{"a":1},{"b"`, `{"a":1,}`, `[1,2`} {
		if _, err := decodeJSON([]byte(bad)); err == nil {
			t.Fatalf("decodeJSON(%q) succeeded", bad)
		}
		v, err := decodeJSON([]byte(`{"x":[1,2]}`))
		if err != nil {
			t.Fatal(err)
		}
		o := v.(*object)
		if len(o.keys) != 1 || o.keys[0] != "x" || len(o.vals[0].(*array).items) != 2 {
			t.Fatalf("after decodeJSON(%q), a good document decodes as keys %v", bad, o.keys)
		}
	}
}
