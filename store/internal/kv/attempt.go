package kv

import (
	"context"
	"errors"

	"github.com/hookstream-go/hookstream/store"
)

// GetAttempt implements store.EventStore.
func (s *Store) GetAttempt(ctx context.Context, t store.Tenant, id string) (*store.Attempt, error) {
	var a *store.Attempt
	err := s.view(ctx, "get attempt", func(tx Tx) (err error) {
		a, err = loadAttempt(tx, t, id)
		return err
	})
	return a, err
}

// ListAttempts implements store.EventStore. With EventID set it reads the
// event's attempts only; otherwise filters and offsets walk the tenant's
// attempts newest first, reading their index entries alone.
func (s *Store) ListAttempts(ctx context.Context, q store.AttemptQuery) ([]*store.Attempt, int, error) {
	limit := q.Limit
	if limit < 1 {
		limit = 50
	}
	offset := max(q.Offset, 0)
	bucket, prefix := BucketAttemptList, newKey().str(q.Tenant.OrgID).str(q.Tenant.EnvID)
	if q.EventID != "" {
		bucket, prefix = BucketEventAttempts, newKey().str(q.EventID)
	}
	countAll := q.EventID != "" || q.ConnectionID != "" || q.DestinationID != "" || q.Status != "" || q.DLQOnly
	var (
		attempts []*store.Attempt
		total    int
	)
	err := s.view(ctx, "list attempts", func(tx Tx) error {
		attempts, total = nil, 0
		if q.EventID != "" {
			if _, err := loadEvent(tx, q.Tenant, q.EventID); errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
		}
		if !countAll {
			total = int(readTotal(tx.Bucket(BucketTotals).Get(totalKey(totalAttempts, q.Tenant))))
		}
		var err error
		n := 0
		scan(tx.Bucket(bucket), prefix, nil, func(_, v []byte) bool {
			attrs, ok := readAttemptAttrs(v)
			if !ok {
				err = errCorrupt
				return false
			}
			if !attrs.match(&q) {
				return true
			}
			n++
			if n > offset && len(attempts) < limit {
				var a *store.Attempt
				if a, err = loadAttempt(tx, q.Tenant, attrs.id); err != nil {
					return false
				}
				attempts = append(attempts, a)
			}
			return countAll || len(attempts) < limit
		})
		if countAll {
			total = n
		}
		return err
	})
	return attempts, total, err
}

// insertAttempt stores attempt a of delivery d, as d is stored.
func insertAttempt(tx Tx, a *store.Attempt, d *store.Delivery) error {
	b := tx.Bucket(BucketAttempts)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := b.Put([]byte(a.ID), encodeAttempt(seq, a, d)); err != nil {
		return err
	}
	attrs := attemptAttrsOf(a)
	if err := tx.Bucket(BucketAttemptList).Put(attemptListKey(a, seq), attrs); err != nil {
		return err
	}
	if err := tx.Bucket(BucketEventAttempts).Put(eventAttemptKey(a, seq), attrs); err != nil {
		return err
	}
	return addTotal(tx, totalKey(totalAttempts, store.Tenant{OrgID: a.OrgID, EnvID: a.EnvID}), 1)
}

func attemptListKey(a *store.Attempt, seq uint64) key {
	return newKey().str(a.OrgID).str(a.EnvID).newest(a.CreatedAt).inv(seq)
}

func eventAttemptKey(a *store.Attempt, seq uint64) key {
	return newKey().str(a.EventID).newest(a.CreatedAt).inv(seq)
}

// loadAttempt returns the attempt, or store.ErrNotFound when it is not in tenant t.
func loadAttempt(tx Tx, t store.Tenant, id string) (*store.Attempt, error) {
	v := tx.Bucket(BucketAttempts).Get([]byte(id))
	if v == nil {
		return nil, store.ErrNotFound
	}
	a, _, err := decodeAttempt(tx, id, v)
	if err != nil {
		return nil, err
	}
	if a.OrgID != t.OrgID || a.EnvID != t.EnvID {
		return nil, store.ErrNotFound
	}
	return a, nil
}

// attemptAttrs are the filterable fields of an attempt, kept in its index
// entries so filtering does not read the attempt.
type attemptAttrs struct {
	id, connection, destination, status, dlq string
}

func attemptAttrsOf(a *store.Attempt) []byte {
	dlq := ""
	if a.IsDLQ {
		dlq = "dlq"
	}
	return newKey().str(a.ID).str(a.ConnectionID).str(a.DestinationID).str(a.Status).str(dlq)
}

func readAttemptAttrs(v []byte) (a attemptAttrs, ok bool) {
	for _, f := range []*string{&a.id, &a.connection, &a.destination, &a.status, &a.dlq} {
		if *f, v, ok = readStr(v); !ok {
			return a, false
		}
	}
	return a, true
}

func (a *attemptAttrs) match(q *store.AttemptQuery) bool {
	return (q.ConnectionID == "" || q.ConnectionID == a.connection) &&
		(q.DestinationID == "" || q.DestinationID == a.destination) &&
		(q.Status == "" || q.Status == a.status) &&
		(!q.DLQOnly || a.dlq != "")
}
