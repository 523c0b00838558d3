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
	c := store.Circuit{State: store.CircuitClosed}
	err := s.view(ctx, "get circuit", func(tx Tx) error {
		if v := tx.Bucket(BucketCircuits).Get([]byte(destinationID)); v != nil {
			return json.Unmarshal(v, &c)
		}
		return nil
	})
	return c, err
}

// PutCircuit implements store.Queue.
func (s *Store) PutCircuit(ctx context.Context, destinationID string, c store.Circuit) error {
	v, err := json.Marshal(c)
	if err != nil {
		return s.wrap("put circuit", err)
	}
	return s.update(ctx, "put circuit", func(tx Tx) error {
		return tx.Bucket(BucketCircuits).Put([]byte(destinationID), v)
	})
}
