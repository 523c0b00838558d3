package storetest

import (
	"context"
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

// testClosed checks that every method of a closed store returns
// store.ErrClosed.
func testClosed(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	e := event(tenantA, "evt_1", t0)
	calls := map[string]func() error{
		"Close":  s.Close,
		"Create": func() error { return s.Create(ctx, source(tenantA, "src_1", "s")) },
		"Get":    func() error { return s.Get(ctx, source(tenantA, "src_1", "s")) },
		"Lookup": func() error { return s.Lookup(ctx, new(store.APIKey), "k") },
		"Update": func() error { return s.Update(ctx, source(tenantA, "src_1", "s")) },
		"Delete": func() error { return s.Delete(ctx, store.KindSource, tenantA, "src_1") },
		"List": func() error {
			_, err := s.List(ctx, store.ListQuery{Kind: store.KindSource, Tenant: tenantA})
			return err
		},
		"InsertEvent": func() error { return s.InsertEvent(ctx, e, []*store.Delivery{delivery(e, "dlv_1", "dst_1")}) },
		"GetEvent": func() error {
			_, err := s.GetEvent(ctx, tenantA, "evt_1")
			return err
		},
		"ListEvents": func() error {
			_, err := s.ListEvents(ctx, store.EventQuery{Tenant: tenantA})
			return err
		},
		"GetAttempt": func() error {
			_, err := s.GetAttempt(ctx, tenantA, "att_1")
			return err
		},
		"ListAttempts": func() error {
			_, _, err := s.ListAttempts(ctx, store.AttemptQuery{Tenant: tenantA})
			return err
		},
		"Counters": func() error {
			_, err := s.Counters(ctx, []string{"src_1"})
			return err
		},
		"PruneEvents": func() error {
			_, err := s.PruneEvents(ctx, t0)
			return err
		},
		"DueDestinations": func() error {
			_, _, err := s.DueDestinations(ctx, t0)
			return err
		},
		"Lease": func() error {
			_, err := s.Lease(ctx, "dst_1", t0, 1, leaseTTL)
			return err
		},
		"Complete": func() error {
			_, err := s.Complete(ctx, []store.Outcome{{DeliveryID: "dlv_1"}})
			return err
		},
		"GetDelivery": func() error {
			_, err := s.GetDelivery(ctx, "dlv_1")
			return err
		},
		"ListDeliveries": func() error {
			_, err := s.ListDeliveries(ctx, tenantA, "evt_1")
			return err
		},
		"Requeue": func() error {
			_, err := s.Requeue(ctx, tenantA, "dlv_1", store.TriggerManual, t0, 0)
			return err
		},
		"ReleaseHeld": func() error {
			_, err := s.ReleaseHeld(ctx, "con_1", t0)
			return err
		},
		"GetCircuit": func() error {
			_, err := s.GetCircuit(ctx, "dst_1")
			return err
		},
		"PutCircuit": func() error { return s.PutCircuit(ctx, "dst_1", store.Circuit{}) },
		"ReplayEvents": func() error {
			_, err := s.ReplayEvents(ctx, store.ReplayQuery{Tenant: tenantA, From: t0, To: at(1)})
			return err
		},
		"CountReplayEvents": func() error {
			_, err := s.CountReplayEvents(ctx, store.ReplayQuery{Tenant: tenantA, From: t0, To: at(1)}, 10)
			return err
		},
		"AddDelivery": func() error {
			_, err := s.AddDelivery(ctx, delivery(e, "dlv_1", "dst_1"), t0, leaseTTL)
			return err
		},
		"ClaimReplays": func() error {
			_, err := s.ClaimReplays(ctx, "p1", t0, leaseTTL, 1)
			return err
		},
		"SaveReplay": func() error {
			_, err := s.SaveReplay(ctx, replayJob(tenantA, "rpl_1", t0), "p1")
			return err
		},
		"CancelReplay": func() error {
			_, err := s.CancelReplay(ctx, tenantA, "rpl_1", t0)
			return err
		},
		"PruneReplays": func() error {
			_, err := s.PruneReplays(ctx, t0)
			return err
		},
	}
	for name, call := range calls {
		wantErr(t, name+" after Close", call(), store.ErrClosed)
	}
}
