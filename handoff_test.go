package hookstream

import (
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

func TestHandoff(t *testing.T) {
	t.Parallel()
	ds := func(ids ...string) []*store.Delivery {
		var out []*store.Delivery
		for _, id := range ids {
			out = append(out, &store.Delivery{ID: id})
		}
		return out
	}
	h := newHandoff()
	if h.reserve(ds("a")) {
		t.Fatal("reserved while no scheduler takes deliveries")
	}
	h.start(3)
	if !h.reserve(ds("a", "b")) || !h.isHeld("a") {
		t.Fatal("reservation refused, or not held")
	}
	if h.reserve(ds("c", "d")) {
		t.Fatal("reserved past the limit")
	}
	h.committed(&store.Event{ID: "e"}, ds("a", "b"), true)
	queued, overflow := h.take()
	if len(queued) != 2 || queued[0].ev.ID != "e" || !overflow {
		t.Fatalf("take = %d handed, overflow %v; want 2 and true", len(queued), overflow)
	}
	if _, overflow := h.take(); overflow {
		t.Error("overflow reported twice")
	}
	// Waiting deliveries count against the limit until dispatched.
	if h.reserve(ds("c", "d")) {
		t.Fatal("reserved while 2 of 3 wait")
	}
	h.dispatched(2)
	if !h.reserve(ds("c", "d")) {
		t.Fatal("reservation refused after dispatch")
	}
	h.committed(nil, ds("c", "d"), false) // the commit failed
	if h.isHeld("c") {
		t.Error("a failed commit's delivery is still held")
	}
	// A delivery read from the store is held once.
	if !h.hold("x") || h.hold("x") {
		t.Error("hold of a delivery read from the store")
	}
	// Releases during a read make the read's copies stale.
	h.beginRead()
	h.release("a", "x")
	stale := h.endRead()
	if _, ok := stale["a"]; !ok || len(stale) != 2 || h.isHeld("a") {
		t.Errorf("released during the read = %v", stale)
	}
	h.release("b")
	if h.endRead() != nil {
		t.Error("releases outside a read are remembered")
	}
	h.stop()
	if h.isHeld("b") || h.reserve(ds("z")) {
		t.Error("still taking deliveries after stop")
	}
}
