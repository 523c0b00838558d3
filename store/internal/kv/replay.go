package kv

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// A replay walks the tenant's entries of BucketEventList forwards, oldest
// first. A walk's cursor is an event cursor (eventindex.go) of the last
// key it returned, as a listing's is. Running jobs hold
// store.ReplayRunningKey in BucketResourceKeys, which ClaimReplays scans
// instead of every job ever made.

// walkReplay calls fn with the index entries of q's events, oldest first,
// from the one after the cursor key after (nil: from the first), until fn
// returns false or an error.
func walkReplay(tx Tx, q *store.ReplayQuery, after []byte, fn func(k []byte, attrs eventAttrs) (bool, error)) error {
	if !q.To.After(q.From) {
		return nil
	}
	prefix := eventListPrefix(q.Tenant)
	to := timeBits(q.To)
	c := tx.Bucket(BucketEventList).Cursor()
	var k, v []byte
	if after == nil {
		k, v = c.Seek(append(key(nil), prefix...).time(q.From))
	} else if k, v = c.Seek(after); bytes.Equal(k, after) {
		k, v = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		received, _, ok := readU64(k[len(prefix):])
		if !ok {
			return errCorrupt
		}
		if received >= to {
			return nil
		}
		attrs, ok := readEventAttrs(v)
		if !ok {
			return errCorrupt
		}
		if attrs.dedup == store.DedupDuplicate || (q.SourceID != "" && attrs.source != q.SourceID) {
			continue
		}
		if q.ConnectionID != "" {
			routed, err := routedBy(tx, attrs.id, q.ConnectionID)
			if err != nil {
				return err
			}
			if !routed {
				continue
			}
		}
		if more, err := fn(k, attrs); err != nil || !more {
			return err
		}
	}
	return nil
}

// routedBy reports whether an event has a delivery of the connection.
func routedBy(tx Tx, eventID, connectionID string) (bool, error) {
	ds, err := eventDeliveries(tx, eventID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ds, func(d *store.Delivery) bool { return d.ConnectionID == connectionID }), nil
}

// ReplayEvents implements store.ReplayStore.
func (s *Store) ReplayEvents(ctx context.Context, q store.ReplayQuery) (store.ReplayPage, error) {
	limit := max(q.Limit, 1)
	after, err := decodeEventCursor(q.Cursor, eventListPrefix(q.Tenant))
	if err != nil {
		return store.ReplayPage{}, s.wrap("replay events", err)
	}
	var page store.ReplayPage
	err = s.view(ctx, "replay events", func(tx Tx) error {
		page = store.ReplayPage{}
		var last []byte
		return walkReplay(tx, &q, after, func(k []byte, attrs eventAttrs) (bool, error) {
			if len(page.Events) == limit {
				page.NextCursor = encodeEventCursor(last)
				return false, nil
			}
			e, err := loadEvent(tx, q.Tenant, attrs.id)
			if err != nil {
				return false, err
			}
			page.Events, last = append(page.Events, e), copyBytes(k)
			return true, nil
		})
	})
	return page, err
}

// CountReplayEvents implements store.ReplayStore.
func (s *Store) CountReplayEvents(ctx context.Context, q store.ReplayQuery, max int) (int, error) {
	var n int
	err := s.view(ctx, "count replay events", func(tx Tx) error {
		n = 0
		return walkReplay(tx, &q, nil, func([]byte, eventAttrs) (bool, error) {
			n++
			return n < max, nil
		})
	})
	return n, err
}

// AddDelivery implements store.ReplayStore.
func (s *Store) AddDelivery(ctx context.Context, d *store.Delivery, now time.Time, lease time.Duration) (*store.Delivery, error) {
	add := *d
	add.State, add.Held, add.NextAt, add.LeaseToken = store.DeliveryPending, false, now, ""
	if lease > 0 {
		add.NextAt, add.LeaseToken = now.Add(lease), rand.Text()
	}
	data := encodeDeliveryFields(&add)
	err := s.update(ctx, "add delivery", func(tx Tx) error {
		st, err := loadEventState(tx, add.EventID)
		if err != nil {
			return err
		}
		if t, err := recordTenant(tx, add.EventID, &st); err != nil || t != add.Tenant() {
			return cmp.Or(err, store.ErrNotFound)
		}
		oldStatus := st.status
		st.pending++
		st.derive()
		if err := insertDelivery(tx, &add, data); err != nil {
			return err
		}
		return putEventState(tx, add.Tenant(), add.EventID, st, oldStatus)
	})
	if err != nil {
		return nil, err
	}
	return &add, nil
}

// ClaimReplays implements store.ReplayStore.
func (s *Store) ClaimReplays(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*store.ReplayJob, error) {
	var claimed []*store.ReplayJob
	err := s.update(ctx, "claim replays", func(tx Tx) error {
		claimed = nil
		if limit <= 0 {
			return nil
		}
		var ids []string
		running := append(newKey().str(string(store.KindReplayJob)), store.ReplayRunningKey("")...)
		scan(tx.Bucket(BucketResourceKeys), running, nil,
			func(_, id []byte) bool {
				ids = append(ids, string(id))
				return true
			})
		var jobs []*store.ReplayJob
		for _, id := range ids {
			job, err := loadReplay(tx, id)
			if err != nil {
				return err
			}
			if job.LeaseOwner == owner || !job.LeaseUntil.After(now) {
				jobs = append(jobs, job)
			}
		}
		slices.SortFunc(jobs, func(a, b *store.ReplayJob) int { // oldest first
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		for _, job := range jobs[:min(limit, len(jobs))] {
			claimed = append(claimed, job)
			if job.LeaseOwner == owner && !job.LeaseUntil.Before(now.Add(ttl)) {
				continue // held already, for longer
			}
			job.LeaseOwner, job.LeaseUntil = owner, now.Add(ttl)
			if err := putReplay(tx, job); err != nil {
				return err
			}
		}
		return nil
	})
	return claimed, err
}

// SaveReplay implements store.ReplayStore.
func (s *Store) SaveReplay(ctx context.Context, job *store.ReplayJob, owner string) (*store.ReplayJob, error) {
	var saved *store.ReplayJob
	err := s.update(ctx, "save replay", func(tx Tx) error {
		stored, err := loadReplay(tx, job.ID)
		if err == nil && stored.Tenant() != job.Tenant() {
			err = store.ErrNotFound
		}
		if err != nil {
			return err
		}
		next, err := job.SaveOver(stored, owner)
		if err != nil {
			return err
		}
		if err := updateReplay(tx, stored, next); err != nil {
			return err
		}
		saved = next
		return nil
	})
	return saved, err
}

// CancelReplay implements store.ReplayStore.
func (s *Store) CancelReplay(ctx context.Context, t store.Tenant, id string, now time.Time) (*store.ReplayJob, error) {
	var job *store.ReplayJob
	err := s.update(ctx, "cancel replay", func(tx Tx) error {
		stored, err := loadReplay(tx, id)
		if err == nil && stored.Tenant() != t {
			err = store.ErrNotFound
		}
		if err != nil {
			return err
		}
		job = stored
		if stored.Status != store.ReplayRunning {
			return nil
		}
		next := *stored
		next.Status, next.CompletedAt, next.UpdatedAt = store.ReplayCancelled, now, now
		if err := updateReplay(tx, stored, &next); err != nil {
			return err
		}
		job = &next
		return nil
	})
	return job, err
}

// PruneReplays implements store.ReplayStore, in transactions of
// pruneBatch jobs.
func (s *Store) PruneReplays(ctx context.Context, cutoff time.Time) (int, error) {
	pruned := 0
	for more := true; more; {
		n := 0
		err := s.update(ctx, "prune replays", func(tx Tx) error {
			n, more = 0, false // assigned, not accumulated: fn may run twice
			var ended []*store.ReplayJob
			prefix := append(newKey().str(string(store.KindReplayJob)), store.IDKey("")...)
			var err error
			scan(tx.Bucket(BucketResourceKeys), prefix, nil, func(_, id []byte) bool {
				var job *store.ReplayJob
				if job, err = loadReplay(tx, string(id)); err != nil {
					return false
				}
				if job.Status != store.ReplayRunning && job.CompletedAt.Before(cutoff) {
					if len(ended) == pruneBatch {
						more = true
						return false
					}
					ended = append(ended, job)
				}
				return true
			})
			if err != nil {
				return err
			}
			for _, job := range ended {
				if err := deleteResource(tx, store.KindReplayJob, job.Tenant(), job.ID); err != nil {
					return err
				}
			}
			n = len(ended)
			return nil
		})
		if err != nil {
			return pruned, err
		}
		pruned += n
	}
	return pruned, nil
}

// loadReplay returns the stored replay job with the ID, whatever its
// tenant, or store.ErrNotFound.
func loadReplay(tx Tx, id string) (*store.ReplayJob, error) {
	r, _, err := loadAnyResource(tx.Bucket(BucketResources), resourceKey(store.KindReplayJob, id), store.KindReplayJob)
	if err != nil {
		return nil, err
	}
	return r.(*store.ReplayJob), nil
}

// putReplay writes a claimed job over the stored one (same status, same
// unique keys).
func putReplay(tx Tx, job *store.ReplayJob) error {
	res := tx.Bucket(BucketResources)
	rk := resourceKey(store.KindReplayJob, job.ID)
	_, seq, err := loadAnyResource(res, rk, store.KindReplayJob)
	if err != nil {
		return err
	}
	v, err := record(seq, job)
	if err != nil {
		return err
	}
	return res.Put(rk, v)
}

// updateReplay writes next over stored, moving the running key when the
// status changes.
func updateReplay(tx Tx, stored, next *store.ReplayJob) error {
	kind := store.KindReplayJob
	if err := releaseKeys(tx, kind, next.ID, stored.UniqueKeys(), next.UniqueKeys()); err != nil {
		return err
	}
	if err := claimKeys(tx, kind, next.ID, next.UniqueKeys()); err != nil {
		return err
	}
	return putReplay(tx, next)
}
