package filter

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e10`, `-1.25E-3`, `true`, `false`, `null`, ` {"a" : [1, 2, {"b": null}]} `,
	`"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, `"` + strings.Repeat("long string without specials ", 20) + `"`,
	`{"a":{"b":{"c":[[[]]]}}}`, `"é日本"`, "\"\xff\xfe\"", `[1,"a",{},[],true,false,null]`,
	`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{1:2}`,
	`[`, `]`, `{`, `}`, `"abc`, `"a\x"`, `"\u12G4"`, "\"a\x01b\"", "\"" + strings.Repeat("a", 13) + "\x1f\"", `[1 2]`,
	`{"a":1 "b":2}`, `1 2`, ``, ` `, `[}`, `{]`, `"\`, `[1,2]x`, strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10000) + strings.Repeat("]", 9999),
}

func TestValidJSON(t *testing.T) {
	t.Parallel()
	for _, c := range validCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.40q) = %v, want %v", c, got, want)
		}
	}
}

// FuzzValidJSON checks validJSON against encoding/json on any input.
func FuzzValidJSON(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add(benchBody)
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		validJSON(benchBody)
	}
}
