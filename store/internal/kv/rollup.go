package kv

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Rollups (store.RollupStore) are two buckets, BucketEventRollups and
// BucketDeliveryRollups, keyed by tenant, source or destination ID and
// hour, so that one ID's hours are adjacent and in order: a query seeks
// to each ID's first hour in range and on to the next ID past its last.
// A value is a rollup, in uvarints: the count of events or attempts, then
// for attempts the successes, failures and dead letters and the latency
// histogram's non-empty bins as (bin, count) pairs.
//
// Writes add to rollups through addRollup. An engine that commits many
// writes in one transaction gathers their additions (Tallier), so that a
// batch reads and writes each rollup once however many of its events or
// attempts fall into it.

// rollupKey is the key of the rollup of an ID's hour in tenant t.
func rollupKey(t store.Tenant, id string, hour time.Time) string {
	k := make(key, 0, 128).str(t.OrgID).str(t.EnvID).str(id).time(hour.UTC().Truncate(time.Hour))
	return string(k)
}

// rollup is the value of a rollup, or what is being added to one.
type rollup struct {
	count, successes, failures, dead int64
	latency                          store.Histogram
}

// delta is what one event or attempt adds to its rollup.
type delta struct {
	successes, failures, dead int64
	// timed adds latencyMS to the histogram.
	timed     bool
	latencyMS int64
}

// eventDelta is what an event adds to its rollup: a count.
var eventDelta = delta{}

// attemptDelta is what attempt a adds to its rollup.
func attemptDelta(a *store.Attempt) delta {
	d := delta{timed: true, latencyMS: a.DurationMS}
	switch a.Status {
	case store.AttemptSuccess:
		d.successes = 1
	case store.AttemptFailed:
		d.failures = 1
	}
	if a.IsDLQ {
		d.dead = 1
	}
	return d
}

func (r *rollup) add(d delta) {
	r.count++
	r.successes += d.successes
	r.failures += d.failures
	r.dead += d.dead
	if d.timed {
		r.latency.Add(d.latencyMS)
	}
}

func (r *rollup) merge(o *rollup) {
	r.count += o.count
	r.successes += o.successes
	r.failures += o.failures
	r.dead += o.dead
	r.latency.Merge(o.latency)
}

func encodeRollup(r *rollup) []byte {
	b := binary.AppendUvarint(make([]byte, 0, 16), uint64(r.count))
	if r.successes == 0 && r.failures == 0 && r.dead == 0 && len(r.latency) == 0 {
		return b // an event rollup
	}
	for _, n := range []int64{r.successes, r.failures, r.dead} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	for bin, n := range r.latency {
		if n != 0 {
			b = binary.AppendUvarint(binary.AppendUvarint(b, uint64(bin)), uint64(n))
		}
	}
	return b
}

// decodeRollup decodes v into r (a nil v is an empty rollup), reusing
// the memory of r's histogram.
func decodeRollup(v []byte, r *rollup) error {
	*r = rollup{latency: r.latency[:0]}
	if v == nil {
		return nil
	}
	fields := []*int64{&r.count, &r.successes, &r.failures, &r.dead}
	for i, f := range fields {
		if i > 0 && len(v) == 0 {
			return nil
		}
		n, size := binary.Uvarint(v)
		if size <= 0 {
			return errCorrupt
		}
		*f, v = int64(n), v[size:]
	}
	for len(v) > 0 {
		bin, size := binary.Uvarint(v)
		if size <= 0 || bin >= store.HistogramBins {
			return errCorrupt
		}
		v = v[size:]
		n, size := binary.Uvarint(v)
		if size <= 0 {
			return errCorrupt
		}
		v = v[size:]
		for len(r.latency) <= int(bin) {
			r.latency = append(r.latency, 0)
		}
		r.latency[bin] += int64(n)
	}
	return nil
}

// Tallier is implemented by the transactions of engines that commit many
// writes in one transaction. Tally returns the tally of the write running
// in the transaction, or nil when rollups are to be written at once: the
// engine merges the tallies of the writes that succeed and writes the sum
// (Tally.Write) before it commits, and drops those of the writes that fail.
type Tallier interface {
	Tally() *Tally
}

// Tally gathers additions to rollups, to write each rollup once.
type Tally struct {
	sums []tallied
	// at indexes sums once there are more than a few.
	at map[tallyKey]int
}

type tallyKey struct {
	bucket BucketID
	key    string
}

type tallied struct {
	tallyKey
	sum rollup
}

// tallyScan is how many sums a Tally searches one by one before it
// indexes them.
const tallyScan = 8

// sum returns the sum of the rollup under k, adding one if needed.
func (t *Tally) sum(k tallyKey) *rollup {
	if t.at == nil {
		for i := range t.sums {
			if t.sums[i].tallyKey == k {
				return &t.sums[i].sum
			}
		}
		if len(t.sums) == tallyScan {
			t.at = make(map[tallyKey]int, 2*tallyScan)
			for i, s := range t.sums {
				t.at[s.tallyKey] = i
			}
		}
	} else if i, ok := t.at[k]; ok {
		return &t.sums[i].sum
	}
	if t.at != nil {
		t.at[k] = len(t.sums)
	}
	t.sums = append(t.sums, tallied{tallyKey: k})
	return &t.sums[len(t.sums)-1].sum
}

// Merge adds o's additions to t.
func (t *Tally) Merge(o *Tally) {
	for i := range o.sums {
		t.sum(o.sums[i].tallyKey).merge(&o.sums[i].sum)
	}
}

// Reset empties t, keeping its memory.
func (t *Tally) Reset() {
	clear(t.sums)
	t.sums = t.sums[:0]
	t.at = nil
}

// Write adds the sums to the stored rollups, reading and writing each once.
func (t *Tally) Write(tx Tx) error {
	for i := range t.sums {
		s := &t.sums[i]
		if err := putRollup(tx.Bucket(s.bucket), []byte(s.key), &s.sum); err != nil {
			return err
		}
	}
	return nil
}

// addRollup adds d to the rollup under key in bucket b: to the tally of
// the write when the engine gathers them (Tallier), or at once.
func addRollup(tx Tx, b BucketID, key string, d delta) error {
	if t, ok := tx.(Tallier); ok {
		if into := t.Tally(); into != nil {
			into.sum(tallyKey{b, key}).add(d)
			return nil
		}
	}
	var r rollup
	r.add(d)
	return putRollup(tx.Bucket(b), []byte(key), &r)
}

// putRollup adds r to the rollup stored under k.
func putRollup(b Bucket, k []byte, r *rollup) error {
	var cur rollup
	if err := decodeRollup(b.Get(k), &cur); err != nil {
		return err
	}
	cur.merge(r)
	return b.Put(k, encodeRollup(&cur))
}

// EventRollups implements store.RollupStore.
func (s *Store) EventRollups(ctx context.Context, q store.RollupQuery) ([]store.EventRollup, error) {
	var out []store.EventRollup
	err := s.view(ctx, "event rollups", func(tx Tx) error {
		out = nil
		return scanRollups(tx.Bucket(BucketEventRollups), q, func(id string, bucket time.Time, r *rollup) bool {
			if n := len(out); n > 0 && out[n-1].SourceID == id && out[n-1].Bucket.Equal(bucket) {
				out[n-1].Events += r.count
				return true
			}
			if q.Limit > 0 && len(out) == q.Limit {
				return false
			}
			out = append(out, store.EventRollup{Bucket: bucket, SourceID: id, Events: r.count})
			return true
		})
	})
	return out, err
}

// DeliveryRollups implements store.RollupStore.
func (s *Store) DeliveryRollups(ctx context.Context, q store.RollupQuery) ([]store.DeliveryRollup, error) {
	var out []store.DeliveryRollup
	err := s.view(ctx, "delivery rollups", func(tx Tx) error {
		out = nil
		return scanRollups(tx.Bucket(BucketDeliveryRollups), q, func(id string, bucket time.Time, r *rollup) bool {
			n := len(out)
			if n == 0 || out[n-1].DestinationID != id || !out[n-1].Bucket.Equal(bucket) {
				if q.Limit > 0 && n == q.Limit {
					return false
				}
				out = append(out, store.DeliveryRollup{Bucket: bucket, DestinationID: id})
			}
			d := &out[len(out)-1]
			d.Attempts += r.count
			d.Successes += r.successes
			d.Failures += r.failures
			d.DeadLetters += r.dead
			d.Latency.Merge(r.latency)
			return true
		})
	})
	return out, err
}

// scanRollups calls fn with the rollups of b that q selects, in key order
// (by ID, then hour), each with the start of its bucket, until fn returns
// false. The rollup passed to fn is reused.
func scanRollups(b Bucket, q store.RollupQuery, fn func(id string, bucket time.Time, r *rollup) bool) error {
	tenant := newKey().str(q.Tenant.OrgID).str(q.Tenant.EnvID)
	prefix := tenant
	if q.ID != "" {
		prefix = append(key(nil), tenant...).str(q.ID)
	}
	from, to := timeBits(q.Bucket(q.From)), timeBits(q.To)
	if q.To.IsZero() {
		to = ^uint64(0)
	}
	var r rollup
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); {
		id, rest, ok := readStr(k[len(tenant):])
		if !ok || len(rest) != 8 {
			return errCorrupt
		}
		switch hour := binary.BigEndian.Uint64(rest); {
		case hour < from:
			k, v = c.Seek(key(copyBytes(k[:len(k)-8])).u64(from))
		case hour >= to:
			k, v = c.Seek(key(copyBytes(k[:len(k)-8])).next())
		default:
			if err := decodeRollup(v, &r); err != nil {
				return err
			}
			if !fn(id, q.Bucket(bitsTime(hour)), &r) {
				return nil
			}
			k, v = c.Next()
		}
	}
	return nil
}

// PruneRollups implements store.RollupStore. It finds up to pruneBatch
// old rollups in a read transaction, visiting each ID once (an ID's old
// hours come first, and a seek to the next ID skips the rest), and
// deletes them in a write transaction; so a pass that finds nothing to
// delete never takes the writer.
func (s *Store) PruneRollups(ctx context.Context, cutoff time.Time) (int, error) {
	end := timeBits(cutoff)
	pruned := 0
	for _, b := range []BucketID{BucketEventRollups, BucketDeliveryRollups} {
		var from []byte // where the next batch starts
		for {
			var keys [][]byte
			err := s.view(ctx, "prune rollups", func(tx Tx) error {
				keys = nil
				c := tx.Bucket(b).Cursor()
				for k, _ := c.Seek(from); k != nil && len(keys) < pruneBatch; {
					if len(k) < 8 {
						return errCorrupt
					}
					if binary.BigEndian.Uint64(k[len(k)-8:]) >= end {
						k, _ = c.Seek(key(copyBytes(k[:len(k)-8])).next())
						continue
					}
					keys = append(keys, copyBytes(k))
					k, _ = c.Next()
				}
				return nil
			})
			if err == nil && len(keys) > 0 {
				err = s.update(ctx, "prune rollups", func(tx Tx) error {
					for _, k := range keys {
						if err := tx.Bucket(b).Delete(k); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err != nil {
				return pruned, err
			}
			pruned += len(keys)
			if len(keys) < pruneBatch {
				break
			}
			from = keys[len(keys)-1]
		}
	}
	return pruned, nil
}
