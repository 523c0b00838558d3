package hookstream

import (
	"sync"

	"github.com/hookstream-go/hookstream/store"
)

// handoff carries the deliveries this process's ingest and publish create
// straight to its scheduler, with their event in hand, and keeps the set
// of deliveries leased in memory. It is used while a scheduler has claimed
// a store.LocalQueue; otherwise reserve refuses everything and deliveries
// reach the scheduler through the store.
//
// A delivery's ID is held from before its event is committed until its
// outcome is recorded, so the scheduler, which also reads due deliveries
// from the store, never attempts it twice.
type handoff struct {
	mu      sync.Mutex
	active  bool
	limit   int                 // deliveries reserved or queued at most
	waiting int                 // reserved or queued, not yet taken
	held    map[string]struct{} // leased in memory
	queue   []handed
	// signal wakes the scheduler when deliveries are queued.
	signal chan struct{}
	// overflow is set when a reservation was refused for want of room, so
	// the scheduler reads the store.
	overflow bool
	// released collects the leases released while the scheduler reads
	// the store (nil otherwise): the read's snapshot may predate their
	// outcomes, so its copies of them are stale.
	released map[string]struct{}
}

// handed is one delivery handed over, with its event.
type handed struct {
	ev *store.Event
	d  *store.Delivery
}

func newHandoff() *handoff {
	return &handoff{held: map[string]struct{}{}, signal: make(chan struct{}, 1)}
}

// start makes the handoff take deliveries for a scheduler with room for
// limit of them; stop ends it, forgetting whatever was not taken.
func (h *handoff) start(limit int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.active, h.limit = true, limit
}

func (h *handoff) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.active, h.queue, h.waiting, h.overflow = false, nil, 0, false
	clear(h.held)
}

// reserve holds the IDs of deliveries about to be committed. It returns
// false (holding nothing) when no scheduler takes deliveries or there is
// no room: the deliveries then reach the scheduler through the store.
func (h *handoff) reserve(ds []*store.Delivery) bool {
	if len(ds) == 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.active {
		return false
	}
	if h.waiting+len(ds) > h.limit {
		h.overflow = true
		return false
	}
	for _, d := range ds {
		h.held[d.ID] = struct{}{}
	}
	h.waiting += len(ds)
	return true
}

// committed hands reserved deliveries over once their event is durable,
// or (committed false) gives the reservation back.
func (h *handoff) committed(ev *store.Event, ds []*store.Delivery, ok bool) {
	h.mu.Lock()
	if !h.active {
		h.mu.Unlock()
		return // stopped meanwhile: the deliveries are in the store
	}
	if !ok {
		for _, d := range ds {
			delete(h.held, d.ID)
		}
		h.waiting -= len(ds)
		h.mu.Unlock()
		return
	}
	for _, d := range ds {
		h.queue = append(h.queue, handed{ev: ev, d: d})
	}
	h.mu.Unlock()
	signal(h.signal)
}

// take returns the queued deliveries, and whether a reservation was
// refused since the last take.
func (h *handoff) take() (queued []handed, overflow bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	queued, h.queue = h.queue, nil
	overflow, h.overflow = h.overflow, false
	return queued, overflow
}

// dispatched says n taken deliveries left the scheduler's waiting lists
// (attempted, or dropped back to the store), making room for more.
func (h *handoff) dispatched(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.waiting -= n
}

// hold holds a delivery read from the store; it returns false when it is
// held already.
func (h *handoff) hold(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.held[id]; ok {
		return false
	}
	h.held[id] = struct{}{}
	return true
}

// isHeld reports whether a delivery is leased in memory.
func (h *handoff) isHeld(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.held[id]
	return ok
}

// release forgets in-memory leases: their outcomes are recorded, or their
// deliveries dropped back to the store.
func (h *handoff) release(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.held, id)
		if h.released != nil {
			h.released[id] = struct{}{}
		}
	}
}

// beginRead and endRead bracket a read of the store: endRead returns the
// leases released meanwhile, whose deliveries the read may have seen in a
// state older than their outcome.
func (h *handoff) beginRead() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.released = map[string]struct{}{}
}

func (h *handoff) endRead() map[string]struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	released := h.released
	h.released = nil
	return released
}
