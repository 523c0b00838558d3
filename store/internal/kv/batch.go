package kv

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

var _ store.BatchLeaser = (*Store)(nil)

// LeaseBatch implements store.BatchLeaser in one write.
func (s *Store) LeaseBatch(ctx context.Context, now time.Time, reqs []store.LeaseRequest) ([]store.Leased, error) {
	var leased []store.Leased
	err := s.update(ctx, "lease batch", func(tx Tx) (err error) {
		leased, err = leaseBatch(tx, now, reqs)
		return err
	})
	return leased, err
}

// CompleteAndLease implements store.BatchLeaser: the outcomes and the
// leases are one write.
func (s *Store) CompleteAndLease(ctx context.Context, outcomes []store.Outcome, now time.Time, reqs []store.LeaseRequest) ([]error, []store.Leased, error) {
	var (
		errs   []error
		leased []store.Leased
	)
	local := s.localClaim.Load()
	err := s.update(ctx, "complete and lease", func(tx Tx) (err error) {
		if errs, err = s.completeTx(tx, outcomes, local); err != nil {
			return err
		}
		leased, err = leaseBatch(tx, now, reqs)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return errs, leased, nil
}

func leaseBatch(tx Tx, now time.Time, reqs []store.LeaseRequest) ([]store.Leased, error) {
	var leased []store.Leased
	nowBits := timeBits(now)
	for _, req := range reqs {
		prefix := newKey().str(req.DestinationID)
		limit := req.Limit
		var due []string
		inFlight := 0
		err := scanIDs(tx.Bucket(BucketDue), prefix, func(k []byte, id string) bool {
			if at, _, _ := readU64(k[len(prefix):]); at > nowBits {
				if req.MaxInFlight == 0 {
					return false
				}
				// Past the due ones: count the unexpired leases of
				// other owners.
				if d, err := loadDelivery(tx, id); err == nil && d.LeaseToken != "" && !ownLease(req, d.LeaseToken) {
					inFlight++
				}
				return true
			}
			if len(due) < limit {
				due = append(due, id)
			}
			return len(due) < limit || req.MaxInFlight > 0
		})
		if err != nil {
			return nil, err
		}
		if req.MaxInFlight > 0 {
			due = due[:max(0, min(len(due), req.MaxInFlight-req.InFlight-inFlight))]
		}
		for _, id := range due {
			d, err := loadDelivery(tx, id)
			if err != nil {
				return nil, err
			}
			old := *d
			d.NextAt, d.LeaseToken = now.Add(req.TTL), req.Owner+rand.Text()
			if err := putDelivery(tx, d, &old); err != nil {
				return nil, err
			}
			ev, err := loadEvent(tx, d.Tenant(), d.EventID)
			if err != nil {
				return nil, err
			}
			leased = append(leased, store.Leased{Delivery: d, Event: ev})
		}
	}
	return leased, nil
}

// ownLease reports whether a lease token is one the request's owner holds.
func ownLease(req store.LeaseRequest, token string) bool {
	return req.Owner != "" && strings.HasPrefix(token, req.Owner)
}
