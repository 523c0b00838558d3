package filter

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `[1]`,
		`[{"field":"payload.a.0","op":"eq","value":{"x":[1,null]}}]`,
		`[{"field":"headers.X-Id","operator":"exists","value":false}]`,
		`[{"field":"payload.a\\.b","op":"in","value":[1,"1"]},{"field":"topic","op":"neq","value":null}]`,
		`[{"field":"payload","op":"gt","value":1e400}]`,
		`[{"field":"method","op":"contains","value":"P","op":"eq"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rules, err := Parse(raw)
		if err != nil {
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("Parse error %v is %T, want *Error", err, err)
			}
			return
		}
		if _, err := Compile(rules); err != nil {
			t.Fatalf("Compile rejects parsed rules: %v", err)
		}
		// Round trip: the stored form parses to the same rules.
		enc, err := json.Marshal(rules)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(%s): %v", enc, err)
		}
		enc2, _ := json.Marshal(again)
		if string(enc) != string(enc2) && len(rules) > 0 {
			t.Fatalf("round trip: %s != %s", enc, enc2)
		}
	})
}

var fuzzOps = []Op{OpEq, OpNeq, OpContains, OpGt, OpGte, OpLt, OpLte, OpExists, OpIn}

// FuzzMatch checks that matching never panics, that Match and Explain
// agree, and that payload rules agree with the encoding/json reference
// implementation.
func FuzzMatch(f *testing.F) {
	f.Add("payload.a", uint8(0), `1`, `{"a":1}`, false)
	f.Add("payload.a.0", uint8(2), `"x"`, `{"a":[["x"]]}`, false)
	f.Add(`payload.a\.b`, uint8(8), `[1,2]`, `{"a.b":2}`, false)
	f.Add("payload.items.1.n", uint8(3), `0.5`, `{"items":[{},{"n":1}]}`, false)
	f.Add("payload", uint8(1), `{"b":[1,{}],"a":null}`, `{"a":null,"b":[1.0,{}]}`, false)
	f.Add("payload.@this", uint8(7), ``, `{"@this":null}`, false)
	f.Add("payload.#", uint8(7), `false`, `[1,2]`, false)
	f.Add("payload.tag", uint8(0), `["a","b"]`, `tag=a&tag=b`, true)
	f.Add("payload.01", uint8(7), ``, `{"01":1}`, false)
	f.Add("headers.x", uint8(0), `"1"`, `{}`, false)
	f.Fuzz(func(t *testing.T, field string, opIndex uint8, value, body string, form bool) {
		r := Rule{Field: field, Op: fuzzOps[int(opIndex)%len(fuzzOps)]}
		if value != "" {
			r.Value = json.RawMessage(value)
		}
		m, err := Compile([]Rule{r})
		if err != nil {
			return
		}
		in := Input{Body: []byte(body), ContentType: "application/json"}
		if form {
			in.ContentType = "application/x-www-form-urlencoded"
		}
		ev := NewEvent(in)
		got := m.Match(ev)
		ex := m.Explain(ev)
		if len(ex) != 1 || ex[0].Matched != got {
			t.Fatalf("Match = %v, Explain = %+v", got, ex)
		}
		if obs := ex[0].Observed; obs != nil && !json.Valid(obs) {
			t.Fatalf("observed %q is not JSON", obs)
		}

		// Differential check against the reference for payload rules on
		// inputs where encoding/json and gjson agree on the data model.
		segs, _ := splitPath(field)
		if segs[0] != "payload" || !utf8.ValidString(body) || !utf8.ValidString(value) {
			return
		}
		var want any
		if r.Value != nil {
			if want, err = decodeStrict(r.Value); err != nil {
				return
			}
		}
		var doc any
		present := false
		if form {
			vals, err := url.ParseQuery(body)
			if err == nil {
				doc, present = formDoc(vals), true
			}
		} else if gjson.Valid(body) {
			if doc, err = decodeStrict([]byte(body)); err != nil {
				return // duplicate keys or a document encoding/json rejects
			}
			present = true
		}
		var v any
		if present {
			v, present = refLookup(doc, segs[1:])
		}
		if ref := refMatch(r.Op, v, present, want); ref != got {
			t.Fatalf("rule %s %s %s on %q: got %v, reference %v (observed %s)", field, r.Op, value, body, got, ref, ex[0].Observed)
		}
	})
}

func formDoc(vals url.Values) map[string]any {
	doc := map[string]any{}
	for k, vs := range vals {
		if len(vs) == 1 {
			doc[k] = vs[0]
			continue
		}
		arr := make([]any, len(vs))
		for i, s := range vs {
			arr[i] = s
		}
		doc[k] = arr
	}
	return doc
}

// FuzzEscapedKey checks that any key, escaped as the package documents
// (a backslash before '.' and '\'), is addressed literally.
func FuzzEscapedKey(f *testing.F) {
	for _, k := range []string{"a", "a.b", `a\b`, "@this", "#", "*", "?", "a|b", "!", " ", "0", "01", "[0]", "{a}", "..", "=", "\x00", "é"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" || !utf8.ValidString(key) {
			return
		}
		body, err := json.Marshal(map[string]any{key: map[string]any{"k": 1}, "other": 2})
		if err != nil {
			t.Fatal(err)
		}
		esc := strings.NewReplacer(`\`, `\\`, `.`, `\.`).Replace(key)
		m, err := Compile([]Rule{{Field: "payload." + esc + ".k", Op: OpEq, Value: json.RawMessage(`1`)}})
		if err != nil {
			t.Fatalf("Compile(%q): %v", esc, err)
		}
		if !m.Match(NewEvent(Input{Body: body})) {
			t.Fatalf("key %q (path %q) not matched in %s", key, esc, body)
		}
	})
}
