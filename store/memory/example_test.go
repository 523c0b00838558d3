package memory_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

func Example() {
	s := memory.New()
	defer s.Close()

	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &store.Event{ID: "evt_1", OrgID: "org_1", EnvID: "env_1", ReceivedAt: now}
	d := &store.Delivery{ID: "dlv_1", OrgID: "org_1", EnvID: "env_1", EventID: "evt_1", DestinationID: "dst_1", NextAt: now}
	if err := s.InsertEvent(ctx, e, []*store.Delivery{d}); err != nil {
		log.Fatal(err)
	}
	leased, err := s.Lease(ctx, "dst_1", now, 10, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	errs, err := s.Complete(ctx, []store.Outcome{{
		DeliveryID: leased[0].ID, LeaseToken: leased[0].LeaseToken, Result: store.ResultSuccess, Now: now,
	}})
	if err != nil || errs[0] != nil {
		log.Fatal(err, errs)
	}
	got, err := s.GetEvent(ctx, e.Tenant(), "evt_1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Status, "→", got.Status)
	// Output: processing → delivered
}
