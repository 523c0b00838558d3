package kv

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Totals count records per tenant.
const (
	totalEvents   = "e"
	totalAttempts = "a"
)

func totalKey(what string, t store.Tenant) key { return newKey().str(what).str(t.OrgID).str(t.EnvID) }

func readTotal(v []byte) uint64 {
	n, _, _ := readU64(v)
	return n
}

func addTotal(tx Tx, k key, delta int64) error {
	b := tx.Bucket(BucketTotals)
	n := int64(readTotal(b.Get(k))) + delta
	if n <= 0 {
		return b.Delete(k)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// bump advances the counter of id (when not empty) to one more, at t.
func bump(tx Tx, id string, t time.Time) error {
	if id == "" {
		return nil
	}
	b := tx.Bucket(BucketCounters)
	k := []byte(id)
	c := readCounter(b.Get(k))
	c.Count++
	if t.After(c.Last) {
		c.Last = t
	}
	return b.Put(k, newKey().u64(uint64(c.Count)).time(c.Last))
}

func readCounter(v []byte) store.Counter {
	n, rest, ok := readU64(v)
	if !ok {
		return store.Counter{}
	}
	last, _, _ := readU64(rest)
	return store.Counter{Count: int64(n), Last: bitsTime(last)}
}

// Counters implements store.EventStore.
func (s *Store) Counters(ctx context.Context, ids []string) ([]store.Counter, error) {
	var cs []store.Counter
	err := s.view(ctx, "counters", func(tx Tx) error {
		b := tx.Bucket(BucketCounters)
		cs = make([]store.Counter, len(ids))
		for i, id := range ids {
			cs[i] = readCounter(b.Get([]byte(id)))
		}
		return nil
	})
	return cs, err
}

// GetCircuit implements store.Queue.
func (s *Store) GetCircuit(ctx context.Context, destinationID string) (store.Circuit, error) {
	var c store.Circuit
	err := s.view(ctx, "get circuit", func(tx Tx) (err error) {
		c, err = loadCircuit(tx, destinationID)
		return err
	})
	return c, err
}

// PutCircuit implements store.Queue.
func (s *Store) PutCircuit(ctx context.Context, destinationID string, c store.Circuit) error {
	return s.update(ctx, "put circuit", func(tx Tx) error {
		cur, err := loadCircuit(tx, destinationID)
		if err != nil {
			return err
		}
		c.Epoch = cur.Epoch + 1
		return putCircuit(tx, destinationID, c, cur.Version+1)
	})
}

// SwapCircuit implements store.Queue.
func (s *Store) SwapCircuit(ctx context.Context, destinationID string, old, next store.Circuit) (bool, error) {
	var swapped bool
	err := s.update(ctx, "swap circuit", func(tx Tx) error {
		cur, err := loadCircuit(tx, destinationID)
		if err != nil {
			return err
		}
		if swapped = cur.Version == old.Version; !swapped {
			return nil
		}
		next.Epoch = cur.Epoch
		return putCircuit(tx, destinationID, next, cur.Version+1)
	})
	return swapped, err
}

func loadCircuit(tx Tx, destinationID string) (store.Circuit, error) {
	c := store.Circuit{State: store.CircuitClosed}
	if v := tx.Bucket(BucketCircuits).Get([]byte(destinationID)); v != nil {
		if err := json.Unmarshal(v, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

func putCircuit(tx Tx, destinationID string, c store.Circuit, version uint64) error {
	c.Version = version
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(BucketCircuits).Put([]byte(destinationID), v)
}
