package kv

import (
	"strings"
	"testing"
)

func TestIDField_RoundTrip(t *testing.T) {
	hex32 := strings.Repeat("0123456789abcdef", 2)
	for _, tc := range []struct {
		id      string
		compact bool
	}{
		{"evt_" + hex32, true},
		{"conn_" + hex32, true},
		{"rpl_" + hex32, true},
		{"evt_" + strings.ToUpper(hex32), false}, // upper case would come back lower
		{"evt_" + hex32[:31], false},
		{"evt_" + hex32 + "0", false},
		{"xyz_" + hex32, false},
		{"evt_", false},
		{"", false},
		{"dlv_old1", false},
		{"org_default", false},
	} {
		w := &enc{}
		w.id(tc.id)
		w.str("after")
		if got, want := len(w.b) == 1+16+6, tc.compact; got != want {
			t.Errorf("id(%q) is %d bytes: compact = %v, want %v", tc.id, len(w.b)-6, got, want)
		}
		r := &dec{b: w.b}
		if got := r.id(); got != tc.id || r.str() != "after" || !r.done() {
			t.Errorf("id(%q) reads back as %q", tc.id, got)
		}
	}
}

// FuzzIDField reads arbitrary bytes as an id field: never a panic, and
// what reads well writes back the same.
func FuzzIDField(f *testing.F) {
	w := &enc{}
	w.id("evt_" + strings.Repeat("ab", 16))
	f.Add(w.b)
	f.Add([]byte{0, 3, 'a', 'b', 'c'})
	f.Add([]byte{12})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &dec{b: b}
		id := r.id()
		if r.bad {
			return
		}
		w := &enc{}
		w.id(id)
		if back := (&dec{b: w.b}).id(); back != id {
			t.Fatalf("%q reads back as %q", id, back)
		}
	})
}

func TestIDValue(t *testing.T) {
	for _, id := range []string{"dlv_" + strings.Repeat("9f", 16), "dlv_old1", "evt_" + strings.Repeat("AB", 16), ""} {
		v := idValue(id)
		if got, ok := readIDValue(v); !ok || got != id {
			t.Errorf("readIDValue(idValue(%q)) = %q, %v", id, got, ok)
		}
	}
	if n := len(idValue("dlv_" + strings.Repeat("9f", 16))); n != 18 {
		t.Errorf("compact idValue is %d bytes, want 18", n)
	}
	// As earlier versions wrote every ID: its bytes.
	if got, ok := readIDValue([]byte("dlv_" + strings.Repeat("9f", 16))); !ok || got != "dlv_"+strings.Repeat("9f", 16) {
		t.Errorf("readIDValue of an ID's bytes = %q, %v", got, ok)
	}
	for _, v := range [][]byte{{idValueMark}, {idValueMark, 1, 2}, {idValueMark, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if got, ok := readIDValue(v); ok {
			t.Errorf("readIDValue(%x) = %q, ok", v, got)
		}
	}
}
