package kv

import (
	"bytes"
	"strings"
	"testing"
)

func TestKey_StrOrderAndRoundTrip(t *testing.T) {
	strs := []string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\xff", "\xff\x00"}
	for i, s := range strs {
		k := newKey().str(s).u64(7)
		got, rest, ok := readStr(k)
		if !ok || got != s || len(rest) != 8 {
			t.Fatalf("readStr(str(%q)) = %q, %d bytes left, %v", s, got, len(rest), ok)
		}
		if i == 0 {
			continue
		}
		prev := newKey().str(strs[i-1])
		if bytes.Compare(prev, newKey().str(s)) >= 0 {
			t.Fatalf("str(%q) does not sort before str(%q)", strs[i-1], s)
		}
		// A string component is never a prefix of another one.
		if bytes.HasPrefix(k, prev) {
			t.Fatalf("str(%q) is a prefix of str(%q)", strs[i-1], s)
		}
		if bytes.Compare(prev.next(), newKey().str(s)) > 0 {
			t.Fatalf("next(str(%q)) sorts after str(%q)", strs[i-1], s)
		}
	}
	if _, _, ok := readStr([]byte("no terminator")); ok {
		t.Fatal("readStr of a key without terminator succeeded")
	}
}

func FuzzKey_Str(f *testing.F) {
	f.Add("a", "b")
	f.Add("a\x00", "a")
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, kb := newKey().str(a), newKey().str(b)
		if got, want := bytes.Compare(ka, kb), strings.Compare(a, b); got != want {
			t.Fatalf("compare(str(%q), str(%q)) = %d, want %d", a, b, got, want)
		}
		if s, rest, ok := readStr(ka); !ok || s != a || len(rest) != 0 {
			t.Fatalf("readStr(str(%q)) = %q, %v", a, s, ok)
		}
	})
}
