package kv

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// pruneBatch is how many old events one transaction of PruneEvents looks
// at, so that pruning never holds the writer for long.
const pruneBatch = 100

// PruneEvents implements store.EventStore. It works in transactions of
// pruneBatch events: each is atomic, the whole is not, which is harmless
// since pruning only removes records that nothing waits for.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (int, error) {
	end := timeBits(cutoff)
	pruned := 0
	var next []byte // where the next batch starts in BucketEventTime
	for {
		from := next
		n := 0
		err := s.update(ctx, "prune events", func(tx Tx) error {
			var keys [][]byte
			var ids []string
			n, next = 0, nil // assigned, not accumulated: fn may run twice
			c := tx.Bucket(BucketEventTime).Cursor()
			for k, v := c.Seek(from); k != nil; k, v = c.Next() {
				if at, _, _ := readU64(k); at >= end {
					break
				}
				if len(keys) == pruneBatch {
					next = copyBytes(k)
					break
				}
				id, ok := readIDValue(v)
				if !ok {
					return errCorrupt
				}
				keys, ids = append(keys, copyBytes(k)), append(ids, id)
			}
			for i := range keys {
				deleted, err := deleteEvent(tx, keys[i], ids[i])
				if err != nil {
					return err
				}
				if deleted {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return pruned, err
		}
		pruned += n
		if next == nil {
			break
		}
	}
	for more := true; more; {
		err := s.update(ctx, "prune dedup keys", func(tx Tx) (err error) {
			more, err = pruneDedupKeys(tx, end)
			return err
		})
		if err != nil {
			return pruned, err
		}
	}
	return pruned, nil
}

// deleteEvent deletes the event stored under timeKey in BucketEventTime
// with its deliveries and attempts, unless a delivery is pending.
func deleteEvent(tx Tx, timeKey []byte, id string) (bool, error) {
	st, err := loadEventState(tx, id)
	if err != nil || st.pending > 0 {
		return false, err
	}
	t, err := recordTenant(tx, id, &st)
	if err != nil {
		return false, err
	}
	// Attempts first: reading one may need its delivery.
	prefix := newKey().str(id)
	attempts, err := deletePrefix(tx.Bucket(BucketEventAttempts), prefix)
	if err != nil {
		return false, err
	}
	for _, attrs := range attempts {
		if err := deleteAttempt(tx, attrs); err != nil {
			return false, err
		}
	}
	deliveries, err := deletePrefix(tx.Bucket(BucketEventDeliveries), prefix)
	if err != nil {
		return false, err
	}
	for _, v := range deliveries {
		did, ok := readIDValue(v)
		if !ok {
			return false, errCorrupt
		}
		if err := tx.Bucket(BucketDeliveries).Delete([]byte(did)); err != nil {
			return false, err
		}
	}
	for _, op := range []struct {
		b BucketID
		k []byte
	}{
		{BucketEventList, st.listKey(t)},
		{BucketEventTime, timeKey},
		{BucketEventState, []byte(id)},
		{BucketEventRecords, newKey().u64(st.seq)},
		{BucketEvents, []byte(id)},
	} {
		if err := tx.Bucket(op.b).Delete(op.k); err != nil {
			return false, err
		}
	}
	return true, addTotal(tx, totalKey(totalEvents, t), -1)
}

// deletePrefix deletes the keys of b that start with prefix and returns their
// values.
func deletePrefix(b Bucket, prefix []byte) ([][]byte, error) {
	var keys, values [][]byte
	scan(b, prefix, nil, func(k, v []byte) bool {
		keys, values = append(keys, copyBytes(k)), append(values, copyBytes(v))
		return true
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// deleteAttempt deletes the attempt whose index attributes are attrs, but
// for its entry in BucketEventAttempts.
func deleteAttempt(tx Tx, attrs []byte) error {
	aa, ok := readAttemptAttrs(attrs)
	if !ok {
		return errCorrupt
	}
	b := tx.Bucket(BucketAttempts)
	v := b.Get([]byte(aa.id))
	if v == nil {
		return errCorrupt
	}
	a, seq, err := decodeAttempt(tx, aa.id, v)
	if err != nil {
		return err
	}
	if err := tx.Bucket(BucketAttemptList).Delete(attemptListKey(a, seq)); err != nil {
		return err
	}
	if err := b.Delete([]byte(aa.id)); err != nil {
		return err
	}
	return addTotal(tx, totalKey(totalAttempts, store.Tenant{OrgID: a.OrgID, EnvID: a.EnvID}), -1)
}

// pruneDedupKeys deletes up to pruneBatch dedup keys that expired before
// end (timeBits) and reports whether more may remain.
func pruneDedupKeys(tx Tx, end uint64) (more bool, err error) {
	byTime := tx.Bucket(BucketDedupTime)
	var keys [][]byte
	scan(byTime, nil, nil, func(k, _ []byte) bool {
		if at, _, _ := readU64(k); at >= end {
			return false
		}
		if len(keys) == pruneBatch {
			more = true
			return false
		}
		keys = append(keys, copyBytes(k))
		return true
	})
	for _, k := range keys {
		if err := byTime.Delete(k); err != nil {
			return false, err
		}
		if err := tx.Bucket(BucketDedup).Delete(k[8:]); err != nil {
			return false, err
		}
	}
	return more, nil
}
