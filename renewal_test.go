package hookstream

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// TestRenewals: a lease is renewed from its attempt's start until its
// outcome is recorded, and an outcome drops only its own lease, not the
// next lease of the same delivery.
func TestRenewals(t *testing.T) {
	rn := newRenewals()
	rn.add(&store.Delivery{ID: "dlv_1", LeaseToken: "first"})
	rn.add(&store.Delivery{ID: "dlv_2", LeaseToken: "a"})
	rn.add(&store.Delivery{ID: "dlv_1", LeaseToken: "second"}) // leased again
	rn.ended([]store.Outcome{{DeliveryID: "dlv_1", LeaseToken: "first"}, {DeliveryID: "dlv_2", LeaseToken: "a"}})
	held := rn.held()
	if len(held) != 1 || held[0].ID != "dlv_1" || held[0].LeaseToken != "second" {
		t.Fatalf("held after the outcomes of dlv_1/first and dlv_2/a: %+v, want dlv_1/second alone", held)
	}
	rn.ended([]store.Outcome{{DeliveryID: "dlv_1", LeaseToken: "second"}})
	if held := rn.held(); len(held) != 0 {
		t.Fatalf("held after every outcome: %+v, want none", held)
	}
	var none *renewals // a store that does not renew
	none.add(&store.Delivery{ID: "dlv_1"})
	none.ended([]store.Outcome{{DeliveryID: "dlv_1"}})
}

// renewingStore is a shared store that renews leases: it records the
// leases one-off attempts ask for (AddDelivery, Requeue) and the renewals
// of each delivery, and renews nothing itself.
type renewingStore struct {
	*sharedStore
	mu       sync.Mutex
	asked    []time.Duration
	renewals map[string]int
}

func newRenewingStore() *renewingStore {
	return &renewingStore{sharedStore: &sharedStore{Store: memory.New()}, renewals: map[string]int{}}
}

func (s *renewingStore) note(lease time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, lease)
}

func (s *renewingStore) AddDelivery(ctx context.Context, d *store.Delivery, now time.Time, lease time.Duration) (*store.Delivery, error) {
	s.note(lease)
	return s.sharedStore.AddDelivery(ctx, d, now, lease)
}

func (s *renewingStore) Requeue(ctx context.Context, t store.Tenant, id string, trigger store.Trigger, now time.Time, lease time.Duration) (*store.Delivery, error) {
	s.note(lease)
	return s.sharedStore.Requeue(ctx, t, id, trigger, now, lease)
}

func (s *renewingStore) RenewLeases(_ context.Context, ds []*store.Delivery, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		s.renewals[d.ID]++
	}
	return nil
}

// renewed returns the leases asked for and the renewals made so far.
func (s *renewingStore) renewed() ([]time.Duration, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked), maps.Clone(s.renewals)
}

// slowReceiver answers 200 after 12 s: two lease renewals' worth.
func slowReceiver() *receiver {
	return &receiver{answer: func(int, *Message) (*Response, error) {
		time.Sleep(12 * time.Second)
		return status(200)
	}}
}

// checkOneOffLease checks that a one-off attempt of a 12 s call leased
// its delivery for LeaseTerm at most and renewed it while under way (at
// 5 s and 10 s), and that the renewals stopped with the attempt.
func checkOneOffLease(t *testing.T, s *renewingStore) {
	t.Helper()
	asked, renewals := s.renewed()
	if len(asked) != 1 || asked[0] > LeaseTerm {
		t.Errorf("leases asked %v, want one of LeaseTerm (%v) at most", asked, LeaseTerm)
	}
	if len(renewals) != 1 {
		t.Fatalf("renewals %v, want those of the one delivery", renewals)
	}
	for id, n := range renewals {
		if n != 2 {
			t.Errorf("delivery %s renewed %d times during a 12 s attempt, want 2", id, n)
		}
	}
	time.Sleep(time.Minute)
	synctest.Wait()
	if _, after := s.renewed(); !maps.Equal(after, renewals) {
		t.Errorf("renewals went on after the attempt: %v, then %v", renewals, after)
	}
}

// TestRouter_RetryEvent_RenewsItsLease: a manual retry on a store that
// renews leases leases for LeaseTerm and renews until it is recorded, so
// a process that dies mid-retry gives the delivery back within LeaseTerm.
func TestRouter_RetryEvent_RenewsItsLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newRenewingStore()
		a, _, srcID, _ := twoRouters(t, s, slowReceiver(), Config{})
		id := ingest(t, a, srcID, `{"n":1}`)
		res, err := a.RetryEvent(context.Background(), id)
		if err != nil || len(res.Retried) != 1 || res.Retried[0].Status != AttemptSuccess {
			t.Fatalf("RetryEvent = %+v, %v", res, err)
		}
		checkOneOffLease(t, s)
	})
}

// TestRouter_Replay_RenewsItsLeases: a replay's attempt on a store that
// renews leases does the same.
func TestRouter_Replay_RenewsItsLeases(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newRenewingStore()
		r, err := New(s, &Config{Providers: map[string]Provider{"test": slowReceiver()}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		_, dstID, events := replaySetup(t, r, 1)
		runRouter(t, r)
		now := time.Now()
		job, err := r.StartReplay(context.Background(), ReplayParams{DestinationID: dstID, From: now.Add(-time.Hour), To: now})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(13 * time.Second)
		synctest.Wait()
		if got := getReplay(t, r, job.ID); got.Status != ReplayCompleted || got.Succeeded != 1 {
			t.Fatalf("replay of %s: %+v", events[0], got)
		}
		checkOneOffLease(t, s)
	})
}
