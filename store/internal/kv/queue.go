package kv

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// DueDestinations implements store.Queue. It seeks once or twice per
// destination with pending deliveries, whatever their number.
func (s *Store) DueDestinations(ctx context.Context, now time.Time) ([]string, time.Time, error) {
	var (
		dests []string
		next  uint64 // timeBits of the earliest NextAt after now; 0 when none
	)
	nowBits := timeBits(now)
	later := func(rest []byte) {
		if at, _, _ := readU64(rest); at > nowBits && (next == 0 || at < next) {
			next = at
		}
	}
	err := s.view(ctx, "due destinations", func(tx Tx) error {
		dests, next = nil, 0
		c := tx.Bucket(BucketDue).Cursor()
		k, _ := c.Seek(nil)
		for k != nil {
			dest, rest, ok := readStr(k)
			if !ok {
				return errCorrupt
			}
			prefix := newKey().str(dest)
			if at, _, _ := readU64(rest); at > nowBits {
				later(rest)
			} else {
				dests = append(dests, dest)
				if k, _ = c.Seek(append(key(nil), prefix...).u64(nowBits + 1)); bytes.HasPrefix(k, prefix) {
					later(k[len(prefix):])
				}
			}
			k, _ = c.Seek(prefix.next())
		}
		return nil
	})
	return dests, bitsTime(next), err
}

// Lease implements store.Queue.
func (s *Store) Lease(ctx context.Context, destinationID string, now time.Time, limit int, ttl time.Duration) ([]*store.Delivery, error) {
	var leased []*store.Delivery
	err := s.update(ctx, "lease", func(tx Tx) error {
		leased = nil
		prefix, nowBits := newKey().str(destinationID), timeBits(now)
		var ids []string
		if limit > 0 {
			err := scanIDs(tx.Bucket(BucketDue), prefix, func(k []byte, id string) bool {
				if at, _, _ := readU64(k[len(prefix):]); at > nowBits {
					return false
				}
				ids = append(ids, id)
				return len(ids) < limit
			})
			if err != nil {
				return err
			}
		}
		for _, id := range ids {
			d, err := loadDelivery(tx, id)
			if err != nil {
				return err
			}
			old := *d
			d.NextAt, d.LeaseToken = now.Add(ttl), rand.Text()
			if err := putDelivery(tx, d, &old); err != nil {
				return err
			}
			leased = append(leased, d)
		}
		return nil
	})
	return leased, err
}

// GetDelivery implements store.Queue.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	var d *store.Delivery
	err := s.view(ctx, "get delivery", func(tx Tx) (err error) {
		d, err = loadDelivery(tx, id)
		return err
	})
	return d, err
}

// ListDeliveries implements store.Queue. It returns store.ErrNotFound when
// the event is not in tenant t.
func (s *Store) ListDeliveries(ctx context.Context, t store.Tenant, eventID string) ([]*store.Delivery, error) {
	var ds []*store.Delivery
	err := s.view(ctx, "list deliveries", func(tx Tx) (err error) {
		ds = nil
		if _, err := loadEvent(tx, t, eventID); err != nil {
			return err
		}
		ds, err = eventDeliveries(tx, eventID)
		return err
	})
	return ds, err
}

// eventDeliveries loads the deliveries of an event, in Seq order.
func eventDeliveries(tx Tx, eventID string) ([]*store.Delivery, error) {
	var ids []string
	err := scanIDs(tx.Bucket(BucketEventDeliveries), newKey().str(eventID), func(_ []byte, id string) bool {
		ids = append(ids, id)
		return true
	})
	if err != nil {
		return nil, err
	}
	ds := make([]*store.Delivery, 0, len(ids))
	for _, id := range ids {
		d, err := loadDelivery(tx, id)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// Requeue implements store.Queue.
func (s *Store) Requeue(ctx context.Context, t store.Tenant, deliveryID string, trigger store.Trigger, now time.Time, lease time.Duration) (*store.Delivery, error) {
	var d *store.Delivery
	err := s.update(ctx, "requeue", func(tx Tx) (err error) {
		if d, err = loadDelivery(tx, deliveryID); err != nil {
			return err
		}
		if d.Tenant() != t {
			return store.ErrNotFound
		}
		st, err := loadEventState(tx, d.EventID)
		if err != nil {
			return err
		}
		oldStatus := st.status
		switch d.State {
		case store.DeliverySucceeded:
			st.pending++
		case store.DeliveryDead:
			st.pending++
			st.dead--
		}
		st.derive()
		old := *d
		d.State, d.Held, d.NextAt, d.LeaseToken = store.DeliveryPending, false, now, ""
		if lease > 0 {
			d.NextAt, d.LeaseToken = now.Add(lease), rand.Text()
		}
		d.Trigger, d.UpdatedAt = trigger, now
		if err := putDelivery(tx, d, &old); err != nil {
			return err
		}
		return putEventState(tx, t, d.EventID, st, oldStatus)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ReleaseHeld implements store.Queue.
func (s *Store) ReleaseHeld(ctx context.Context, connectionID string, now time.Time) (int, error) {
	var n int
	err := s.update(ctx, "release held", func(tx Tx) (err error) {
		n, err = releaseHeld(tx, connectionID, now)
		return err
	})
	return n, err
}

// releaseHeld makes the held deliveries of a connection due at now.
func releaseHeld(tx Tx, connectionID string, now time.Time) (int, error) {
	var ids []string
	err := scanIDs(tx.Bucket(BucketHeld), newKey().str(connectionID), func(_ []byte, id string) bool {
		ids = append(ids, id)
		return true
	})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		d, err := loadDelivery(tx, id)
		if err != nil {
			return 0, err
		}
		old := *d
		d.Held, d.NextAt, d.UpdatedAt = false, now, now
		if err := putDelivery(tx, d, &old); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// HeldConnections implements store.Queue: it seeks once per connection.
func (s *Store) HeldConnections(ctx context.Context) ([]store.HeldConnection, error) {
	var held []store.HeldConnection
	err := s.view(ctx, "held connections", func(tx Tx) error {
		held = nil
		c := tx.Bucket(BucketHeld).Cursor()
		for k, v := c.Seek(nil); k != nil; {
			conn, _, ok := readStr(k)
			id, idOK := readIDValue(v)
			if !ok || !idOK {
				return errCorrupt
			}
			d, err := loadDelivery(tx, id)
			if err != nil {
				return err
			}
			held = append(held, store.HeldConnection{ConnectionID: conn, Tenant: d.Tenant()})
			k, v = c.Seek(newKey().str(conn).next())
		}
		return nil
	})
	return held, err
}

// statusPaused is a paused connection's status (spec §2).
const statusPaused = "paused"

// connectionResumed reports whether a connection is stored and not
// paused (a connection this store does not hold is left to the caller).
func connectionResumed(tx Tx, t store.Tenant, id string) (bool, error) {
	r, _, err := loadResource(tx.Bucket(BucketResources), resourceKey(store.KindConnection, id), store.KindConnection, t)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.(*store.Connection).Status != statusPaused, nil
}

// loadDelivery returns the delivery, or store.ErrNotFound.
func loadDelivery(tx Tx, id string) (*store.Delivery, error) {
	v := tx.Bucket(BucketDeliveries).Get([]byte(id))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return decodeDelivery(id, v)
}

// queueKey returns where a pending delivery waits: BucketHeld or
// BucketDue; ok is false for a finished one.
func queueKey(d *store.Delivery) (b BucketID, k key, ok bool) {
	switch {
	case d.State != store.DeliveryPending:
		return 0, nil, false
	case d.Held:
		return BucketHeld, newKey().str(d.ConnectionID).u64(d.Seq), true
	}
	return BucketDue, newKey().str(d.DestinationID).time(d.NextAt).u64(d.Seq), true
}

// putDelivery writes d and moves its queue entry from where old (the
// stored version, or nil for a new delivery) had it.
func putDelivery(tx Tx, d, old *store.Delivery) error {
	return putDeliveryData(tx, d, old, encodeDeliveryFields(d))
}

// putDeliveryData is putDelivery with the fields of d encoded as data
// (encodeDeliveryFields), all but Seq, which the record keeps in front.
func putDeliveryData(tx Tx, d, old *store.Delivery, data []byte) error {
	if old != nil {
		if b, k, ok := queueKey(old); ok {
			if err := tx.Bucket(b).Delete(k); err != nil {
				return err
			}
		}
	}
	if b, k, ok := queueKey(d); ok {
		if err := tx.Bucket(b).Put(k, idValue(d.ID)); err != nil {
			return err
		}
	}
	return tx.Bucket(BucketDeliveries).Put([]byte(d.ID), deliveryRecord(d.Seq, data))
}
