package kv

import (
	"bytes"
	"encoding/base64"

	"github.com/hookstream-go/hookstream/store"
)

// The event index, BucketEventList, has one entry per event: its tenant,
// then its received time and seq, ascending, so that new entries append and
// pages stay full; listings walk it backwards (newest first), replays
// forwards. Its value holds the fields ListEvents filters on (eventAttrs),
// so that filtering does not read the event.
//
// Earlier versions kept the index inverted (BucketEventListInverted:
// newest first, every new key before the others, pages half empty);
// Upgrade moves its entries here, and a cursor of theirs still continues
// where it left off (decodeEventCursor).

// eventListPrefix is the prefix of a tenant's keys in BucketEventList.
func eventListPrefix(t store.Tenant) key { return newKey().str(t.OrgID).str(t.EnvID) }

// listKey is the event's key in BucketEventList.
func (st *eventState) listKey(t store.Tenant) key {
	return eventListPrefix(t).u64(st.received).u64(st.seq)
}

// fromInvertedKey returns the BucketEventList key of an event whose
// BucketEventListInverted key is k, whose tenant prefix is n bytes long.
func fromInvertedKey(k []byte, n int) (key, bool) {
	received, rest, ok := readU64(k[n:])
	if !ok {
		return nil, false
	}
	seq, rest, ok := readU64(rest)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	return append(key(nil), k[:n]...).u64(^received).u64(^seq), true
}

// eventCursorMark starts the key of an event cursor. Cursors of earlier
// versions, keys of BucketEventListInverted, start with a tenant's org ID
// instead, which is UTF-8 and never holds the byte 0xFF.
const eventCursorMark = 0xFF

// encodeEventCursor returns the cursor of a listing or replay whose last
// key is k.
func encodeEventCursor(k []byte) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{eventCursorMark}, k...))
}

// decodeEventCursor returns the BucketEventList key a cursor continues
// after, which must be in the index range of prefix; an empty cursor gives
// nil. A cursor of an earlier version gives the same event's key.
func decodeEventCursor(c string, prefix []byte) ([]byte, error) {
	if c == "" {
		return nil, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(k) == 0 {
		return nil, store.ErrInvalidCursor
	}
	inverted := k[0] != eventCursorMark
	if !inverted {
		k = k[1:]
	}
	if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+16 {
		return nil, store.ErrInvalidCursor
	}
	if inverted {
		k, _ = fromInvertedKey(k, len(prefix))
	}
	return k, nil
}

// eventAttrs are the fields ListEvents filters on, kept in the event's
// index entry.
type eventAttrs struct {
	id, source, status, dedup, verification, method, topic string
}

func eventAttrsOf(e *store.Event) eventAttrs {
	return eventAttrs{e.ID, e.SourceID, e.Status, e.DedupStatus, e.VerificationStatus, e.Method, e.Topic}
}

// encode returns the value of the index entry: IDs compact, the statuses
// and method words (codec.go).
func (a *eventAttrs) encode() []byte {
	w := &enc{b: make([]byte, 0, 48)}
	w.id(a.id)
	w.id(a.source)
	w.word(a.status)
	w.word(a.dedup)
	w.word(a.verification)
	w.word(a.method)
	w.str(a.topic)
	return w.b
}

func readEventAttrs(v []byte) (a eventAttrs, ok bool) {
	r := &dec{b: v}
	a.id, a.source = r.id(), r.id()
	a.status, a.dedup, a.verification, a.method = r.word(), r.word(), r.word(), r.word()
	a.topic = r.str()
	return a, r.done()
}

// readInvertedEventAttrs reads the value of a BucketEventListInverted
// entry: the fields as key strings.
func readInvertedEventAttrs(v []byte) (a eventAttrs, ok bool) {
	for _, f := range []*string{&a.id, &a.source, &a.status, &a.dedup, &a.verification, &a.method, &a.topic} {
		if *f, v, ok = readStr(v); !ok {
			return a, false
		}
	}
	return a, true
}

func (a *eventAttrs) match(q *store.EventQuery) bool {
	return (q.SourceID == "" || q.SourceID == a.source) &&
		(q.Status == "" || q.Status == a.status) &&
		(q.DedupStatus == "" || q.DedupStatus == a.dedup) &&
		(q.VerificationStatus == "" || q.VerificationStatus == a.verification) &&
		(q.Method == "" || q.Method == a.method) &&
		(q.Topic == "" || q.Topic == a.topic)
}

// lastBefore moves c to the last key before k, or to the last key when k
// is nil.
func lastBefore(c Cursor, k []byte) (key, value []byte) {
	if k == nil {
		return c.Last()
	}
	if found, _ := c.Seek(k); found == nil {
		return c.Last()
	}
	return c.Prev()
}
