package kv

import (
	"bytes"
	"context"

	"github.com/hookstream-go/hookstream/store"
)

// InsertEvent implements store.EventStore.
func (s *Store) InsertEvent(ctx context.Context, e *store.Event, ds []*store.Delivery) error {
	write, err := newEventWrite(e, ds)
	if err != nil {
		return s.wrap("insert event", err)
	}
	return s.update(ctx, "insert event", write)
}

// InsertEventIn is InsertEvent inside tx, a write transaction of this
// store's engine that the caller runs and commits (or rolls back).
func (s *Store) InsertEventIn(tx Tx, e *store.Event, ds []*store.Delivery) error {
	write, err := newEventWrite(e, ds)
	if err == nil {
		err = s.run(context.Background(), func(fn func(Tx) error) error { return fn(tx) }, write)
	}
	return s.wrap("insert event", err)
}

// newEventWrite returns the write of an event and its deliveries. It
// encodes them first, outside any transaction: concurrent writes share one
// writer, but not this work. The event is encoded as no duplicate, and
// again in the rare case it is one.
func newEventWrite(e *store.Event, ds []*store.Delivery) (func(Tx) error, error) {
	setInserted(e, len(ds), false)
	data := encodeEvent(e)
	deliveryData := make([][]byte, len(ds))
	for i, d := range ds {
		d.State, d.LeaseToken, d.Seq = store.DeliveryPending, "", 0
		deliveryData[i] = encodeDeliveryFields(d)
	}
	rollupAt := rollupKey(e.Tenant(), e.SourceID, e.ReceivedAt)
	return func(tx Tx) error {
		if tx.Bucket(BucketEventState).Get([]byte(e.ID)) != nil { // every event has one
			return store.ErrConflict
		}
		duplicate, err := rememberDedupKey(tx, e)
		if err != nil {
			return err
		}
		stored, eventData := ds, data
		if duplicate {
			stored = nil
			setInserted(e, 0, true)
			eventData = encodeEvent(e)
		}
		if err := insertEventRecord(tx, e, eventData); err != nil {
			return err
		}
		if err := bump(tx, e.SourceID, e.ReceivedAt); err != nil {
			return err
		}
		for i, d := range stored {
			if d.Held {
				// Held because the caller saw the connection paused: it
				// may have been resumed since; the stored status decides.
				resumed, err := connectionResumed(tx, d.Tenant(), d.ConnectionID)
				if err != nil {
					return err
				}
				if resumed {
					d.Held = false
					deliveryData[i] = encodeDeliveryFields(d)
				}
			}
			if err := insertDelivery(tx, d, deliveryData[i]); err != nil {
				return err
			}
			if err := bump(tx, d.ConnectionID, e.ReceivedAt); err != nil {
				return err
			}
		}
		return addRollup(tx, BucketEventRollups, rollupAt, eventDelta)
	}, nil
}

// setInserted sets the fields InsertEvent decides of an event stored with
// the given number of deliveries.
func setInserted(e *store.Event, deliveries int, duplicate bool) {
	switch {
	case duplicate:
		e.DedupStatus = store.DedupDuplicate
	case e.DedupKey != "":
		e.DedupStatus = store.DedupUnique
	}
	e.Pending, e.Dead, e.Status = deliveries, 0, store.EventReceived
	if deliveries > 0 {
		e.Status = store.EventProcessing
	}
}

// rememberDedupKey reports whether e's dedup key is remembered for its
// source past e.ReceivedAt; when it is not, it remembers it until
// e.DedupUntil.
func rememberDedupKey(tx Tx, e *store.Event) (duplicate bool, err error) {
	if e.DedupKey == "" {
		return false, nil
	}
	b, byTime := tx.Bucket(BucketDedup), tx.Bucket(BucketDedupTime)
	k := newKey().str(e.SourceID).str(e.DedupKey)
	if v := b.Get(k); v != nil {
		expiry, _, ok := readU64(v)
		if !ok {
			return false, errCorrupt
		}
		if expiry > timeBits(e.ReceivedAt) {
			return true, nil
		}
		if err := byTime.Delete(newKey().u64(expiry).str(e.SourceID).str(e.DedupKey)); err != nil {
			return false, err
		}
	}
	if err := b.Put(k, newKey().time(e.DedupUntil)); err != nil {
		return false, err
	}
	return false, byTime.Put(newKey().time(e.DedupUntil).str(e.SourceID).str(e.DedupKey), mark)
}

// insertDelivery stores d, its fields encoded as data
// (encodeDeliveryFields), as a new delivery with the
// next Seq.
func insertDelivery(tx Tx, d *store.Delivery, data []byte) error {
	b := tx.Bucket(BucketDeliveries)
	if b.Get([]byte(d.ID)) != nil {
		return store.ErrConflict
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	d.Seq = seq
	if err := tx.Bucket(BucketEventDeliveries).Put(newKey().str(d.EventID).u64(d.Seq), idValue(d.ID)); err != nil {
		return err
	}
	return putDeliveryData(tx, d, nil, data)
}

// GetEvent implements store.EventStore.
func (s *Store) GetEvent(ctx context.Context, t store.Tenant, id string) (*store.Event, error) {
	var e *store.Event
	err := s.view(ctx, "get event", func(tx Tx) (err error) {
		e, err = loadEvent(tx, t, id)
		return err
	})
	return e, err
}

// ListEvents implements store.EventStore. Without filters, Total is a
// stored count and a page reads its own events only. With filters, it walks
// the tenant's index entries within the time bounds to count Total: every
// filter but Search reads the index entry alone, Search reads the event.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	limit := q.Limit
	if limit < 1 {
		limit = 50
	}
	prefix := eventListPrefix(q.Tenant)
	// The walk goes down from below upper, while events were received after
	// After (at timeBits above floor).
	upper := prefix.next()
	if !q.Before.IsZero() {
		upper = append(key(nil), prefix...).time(q.Before)
	}
	floor := timeBits(q.After)
	filtered := q.SourceID != "" || q.Status != "" || q.DedupStatus != "" ||
		q.VerificationStatus != "" || q.Method != "" || q.Topic != "" || q.Search != ""
	countAll := filtered || !q.Before.IsZero() || !q.After.IsZero()
	var page store.EventPage
	err := s.view(ctx, "list events", func(tx Tx) error {
		page = store.EventPage{}
		after, err := decodeEventCursor(q.Cursor, prefix)
		if err != nil {
			return err
		}
		from := upper
		if !countAll {
			v := tx.Bucket(BucketTotals).Get(totalKey(totalEvents, q.Tenant))
			page.Total = int(readTotal(v))
			if after != nil && bytes.Compare(after, upper) < 0 {
				from = after
			}
		}
		var last []byte
		c := tx.Bucket(BucketEventList).Cursor()
		for k, v := lastBefore(c, from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if received, _, _ := readU64(k[len(prefix):]); received <= floor {
				break
			}
			attrs, ok := readEventAttrs(v)
			if !ok {
				return errCorrupt
			}
			if !attrs.match(&q) {
				continue
			}
			inPage := after == nil || bytes.Compare(k, after) < 0
			var e *store.Event
			if q.Search != "" || (inPage && len(page.Events) < limit) {
				if e, err = loadEvent(tx, q.Tenant, attrs.id); err != nil {
					return err
				}
				if q.Search != "" && !bytes.Contains(e.Body, []byte(q.Search)) {
					continue
				}
			}
			if countAll {
				page.Total++
			}
			switch {
			case !inPage:
			case len(page.Events) < limit:
				page.Events = append(page.Events, e)
				last = copyBytes(k)
			case page.NextCursor == "":
				page.NextCursor = encodeEventCursor(last)
				if !countAll {
					return nil
				}
			}
		}
		return nil
	})
	return page, err
}
