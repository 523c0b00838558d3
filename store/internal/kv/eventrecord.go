package kv

import (
	"github.com/hookstream-go/hookstream/store"
)

// An event is kept in three parts: its record (BucketEventRecords, keyed by
// its seq; BucketEvents, keyed by ID, for events of the JSON era) as
// inserted, never rewritten; its state (BucketEventState), the few fields that follow
// its deliveries; and its index entry (BucketEventList), which holds the
// fields ListEvents filters on. Completing a delivery thus rewrites a few
// bytes, not the event and its body.

// eventState is the part of an event that changes after InsertEvent, with
// what locates its index entry.
type eventState struct {
	seq      uint64 // sequence number of the event
	received uint64 // timeBits of ReceivedAt
	pending  int
	dead     int
	status   string
}

// encode returns the binary record of the state (see codec.go).
func (st *eventState) encode() []byte {
	w := newEnc(32)
	w.uvarint(st.seq)
	w.uvarint(st.received ^ 1<<63)
	w.uvarint(uint64(st.pending))
	w.uvarint(uint64(st.dead))
	w.word(st.status)
	return w.b
}

// readEventState reads a state record, binary or of the JSON era (four
// 8-byte numbers and a key string).
func readEventState(v []byte) (st eventState, ok bool) {
	if !isLegacy(v) {
		r := newDec(v)
		st.seq = r.uvarint()
		st.received = r.uvarint() ^ 1<<63
		st.pending, st.dead = int(r.uvarint()), int(r.uvarint())
		st.status = r.word()
		return st, r.done()
	}
	var n [4]uint64
	for i := range n {
		if n[i], v, ok = readU64(v); !ok {
			return st, false
		}
	}
	st.seq, st.received, st.pending, st.dead = n[0], n[1], int(n[2]), int(n[3])
	st.status, _, ok = readStr(v)
	return st, ok
}

// derive sets the status from the counts, for an event that has
// deliveries.
func (st *eventState) derive() {
	switch {
	case st.pending > 0:
		st.status = store.EventProcessing
	case st.dead > 0:
		st.status = store.EventFailed
	default:
		st.status = store.EventDelivered
	}
}

// insertEventRecord stores a new event e, encoded as data (encodeEvent).
func insertEventRecord(tx Tx, e *store.Event, data []byte) error {
	seq, err := tx.Bucket(BucketEvents).NextSequence()
	if err != nil {
		return err
	}
	attrs := eventAttrsOf(e)
	st := eventState{seq: seq, received: timeBits(e.ReceivedAt), pending: e.Pending, dead: e.Dead, status: e.Status}
	for _, w := range []struct {
		b    BucketID
		k, v []byte
	}{
		{BucketEventRecords, newKey().u64(seq), data},
		{BucketEventState, []byte(e.ID), st.encode()},
		{BucketEventList, st.listKey(e.Tenant()), attrs.encode()},
		{BucketEventTime, newKey().u64(st.received).u64(seq), idValue(e.ID)},
	} {
		if err := tx.Bucket(w.b).Put(w.k, w.v); err != nil {
			return err
		}
	}
	return addTotal(tx, totalKey(totalEvents, e.Tenant()), 1)
}

// loadEvent returns the event, or store.ErrNotFound when it is not in
// tenant t.
func loadEvent(tx Tx, t store.Tenant, id string) (*store.Event, error) {
	st, err := loadEventState(tx, id)
	if err != nil {
		return nil, err
	}
	v, err := eventRecord(tx, id, &st)
	if err != nil {
		return nil, err
	}
	e, err := decodeEvent(id, v)
	if err != nil {
		return nil, err
	}
	if e.Tenant() != t {
		return nil, store.ErrNotFound
	}
	e.Pending, e.Dead, e.Status = st.pending, st.dead, st.status
	return e, nil
}

// eventRecord returns the record of event id, whose state is st.
func eventRecord(tx Tx, id string, st *eventState) ([]byte, error) {
	if v := tx.Bucket(BucketEventRecords).Get(newKey().u64(st.seq)); v != nil {
		return v, nil
	}
	if v := tx.Bucket(BucketEvents).Get([]byte(id)); v != nil {
		return v, nil // of the JSON era
	}
	return nil, errCorrupt
}

// recordTenant returns the tenant of event id, whose state is st, reading
// no more of its record than needed.
func recordTenant(tx Tx, id string, st *eventState) (store.Tenant, error) {
	v, err := eventRecord(tx, id, st)
	if err != nil {
		return store.Tenant{}, err
	}
	return eventTenant(v)
}

// loadEventState returns the state of an event, or store.ErrNotFound.
func loadEventState(tx Tx, id string) (eventState, error) {
	v := tx.Bucket(BucketEventState).Get([]byte(id))
	if v == nil {
		return eventState{}, store.ErrNotFound
	}
	st, ok := readEventState(v)
	if !ok {
		return st, errCorrupt
	}
	return st, nil
}

// putEventState writes the state of event id, of tenant t, and its index
// entry unless its status is still oldStatus.
func putEventState(tx Tx, t store.Tenant, id string, st eventState, oldStatus string) error {
	if err := tx.Bucket(BucketEventState).Put([]byte(id), st.encode()); err != nil {
		return err
	}
	if st.status == oldStatus {
		return nil
	}
	list := tx.Bucket(BucketEventList)
	k := st.listKey(t)
	attrs, ok := readEventAttrs(list.Get(k))
	if !ok {
		return errCorrupt
	}
	attrs.status = st.status
	return list.Put(k, attrs.encode())
}
