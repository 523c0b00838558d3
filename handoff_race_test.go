package hookstream

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

// racyStore is a memory store whose second PeekDue behaves as a read of
// bbolt does when the recorder commits and releases a delivery while the
// read runs: a delivery it returns is released meanwhile, so the
// scheduler drops it as stale.
type racyStore struct {
	*memory.Store
	router *Router
	peeks  atomic.Int32
}

func (s *racyStore) PeekDue(ctx context.Context, destinationID string, now time.Time, limit int, skip func(string) bool) ([]store.Leased, error) {
	due, err := s.Store.PeekDue(ctx, destinationID, now, limit, skip)
	if s.peeks.Add(1) == 2 && len(due) > 0 {
		s.router.handoff.release(due[0].Delivery.ID)
	}
	return due, err
}

// TestRouter_Run_StaleReadGoesOn: a read of the backlog that comes back
// short only because some of what it read was recorded meanwhile is
// followed by the next read as a full one is, not by the next poll.
func TestRouter_Run_StaleReadGoesOn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		s := &racyStore{Store: memory.New()}
		cfg := &Config{Workers: 4, PollInterval: time.Hour, Providers: map[string]Provider{"test": rc}}
		r, err := New(s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		s.router = r
		ctx := context.Background()
		src, err := r.CreateSource(ctx, SourceParams{Name: ptr("src")})
		if err != nil {
			t.Fatal(err)
		}
		dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("receiver"), Type: ptr("test"), MaxConcurrency: ptr(4)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			ingest(t, r, src.ID, `{"n":1}`) // before Run: the backlog is in the store
		}
		runRouter(t, r)
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rc.received()); n != 20 {
			t.Errorf("%d of 20 delivered a second after Run started, want all (the poll is hourly)", n)
		}
	})
}
