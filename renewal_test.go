package hookstream

import (
	"testing"

	"github.com/hookstream-go/hookstream/store"
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
