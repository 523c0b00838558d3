package hookstream

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewOrderedID(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC)
	id := newOrderedID(prefixEvent, now)
	hexPart, ok := strings.CutPrefix(id, prefixEvent)
	if !ok || len(hexPart) != 32 || strings.ToLower(hexPart) != hexPart {
		t.Fatalf("newOrderedID = %q, want evt_ and 32 lowercase hex digits", id)
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		t.Fatalf("newOrderedID = %q: %v", id, err)
	}
	ms, err := strconv.ParseUint(hexPart[:12], 16, 64)
	if err != nil || int64(ms) != now.UnixMilli() {
		t.Fatalf("time of %q = %d, want %d ms", id, ms, now.UnixMilli())
	}
	if other := newOrderedID(prefixEvent, now); other == id {
		t.Fatalf("two IDs of the same millisecond are equal: %q", id)
	}
	// Later milliseconds sort after, whatever the random bits.
	prev := newOrderedID(prefixDelivery, now)
	for i := 1; i <= 1000; i++ {
		next := newOrderedID(prefixDelivery, now.Add(time.Duration(i)*time.Millisecond))
		if next <= prev {
			t.Fatalf("%q does not sort after %q", next, prev)
		}
		prev = next
	}
	// Within a millisecond, IDs of later 1/64 ms steps sort after too.
	prev = newOrderedID(prefixDelivery, now.Truncate(time.Millisecond))
	for i := 1; i < 64; i++ {
		next := newOrderedID(prefixDelivery, now.Truncate(time.Millisecond).Add(time.Duration(i)*time.Millisecond/64))
		if next <= prev || next[:len(prefixDelivery)+12] != prev[:len(prefixDelivery)+12] {
			t.Fatalf("%q (step %d of the millisecond) does not sort after %q within its millisecond", next, i, prev)
		}
		prev = next
	}
	if id := newOrderedID(prefixAttempt, time.Unix(-5, 0)); id[len(prefixAttempt):][:12] != "000000000000" {
		t.Fatalf("newOrderedID before the epoch = %q", id)
	}
}

func TestNewID(t *testing.T) {
	before := time.Now().UnixMilli()
	for _, prefix := range []string{prefixEvent, prefixAttempt, prefixDelivery} {
		id := newID(prefix)
		ms, err := strconv.ParseUint(strings.TrimPrefix(id, prefix)[:12], 16, 64)
		if err != nil || len(id) != len(prefix)+32 || int64(ms) < before || int64(ms) > time.Now().UnixMilli() {
			t.Fatalf("newID(%q) = %q, want an ordered ID of now", prefix, id)
		}
	}
	seen := map[string]bool{}
	for range 100 {
		id := newID(prefixSource)
		if len(id) != len(prefixSource)+32 || seen[id] {
			t.Fatalf("newID(%q) = %q", prefixSource, id)
		}
		seen[id] = true
	}
}
