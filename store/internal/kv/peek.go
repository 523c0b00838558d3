package kv

import (
	"context"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

var _ store.LocalQueue = (*Store)(nil)

// ClaimLocal implements store.LocalQueue.
func (s *Store) ClaimLocal() (release func(), ok bool) {
	if !s.localClaim.CompareAndSwap(false, true) {
		return nil, false
	}
	return func() { s.localClaim.Store(false) }, true
}

// PeekDue implements store.LocalQueue.
func (s *Store) PeekDue(ctx context.Context, destinationID string, now time.Time, limit int, skip func(string) bool) ([]store.Leased, error) {
	var due []store.Leased
	err := s.view(ctx, "peek due deliveries", func(tx Tx) error {
		due = nil
		if limit <= 0 {
			return nil
		}
		prefix, nowBits := newKey().str(destinationID), timeBits(now)
		var ids []string
		err := scanIDs(tx.Bucket(BucketDue), prefix, func(k []byte, id string) bool {
			if at, _, _ := readU64(k[len(prefix):]); at > nowBits {
				return false
			}
			if !skip(id) {
				ids = append(ids, id)
			}
			return len(ids) < limit
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			d, err := loadDelivery(tx, id)
			if err != nil {
				return err
			}
			ev, err := loadEvent(tx, d.Tenant(), d.EventID)
			if err != nil {
				return err
			}
			due = append(due, store.Leased{Delivery: d, Event: ev})
		}
		return nil
	})
	return due, err
}
