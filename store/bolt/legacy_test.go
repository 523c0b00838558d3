package bolt

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
)

// Records as the JSON-era versions wrote them: an 8-byte sequence number
// and JSON; event states and index keys of big-endian numbers and strings
// terminated by 0x00 0x01.
func legacyRecord(t *testing.T, seq uint64, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(binary.BigEndian.AppendUint64(nil, seq), data...)
}

type legacyKey []byte

func (k legacyKey) str(s string) legacyKey { return append(append(k, s...), 0, 1) }
func (k legacyKey) u64(n uint64) legacyKey { return binary.BigEndian.AppendUint64(k, n) }
func (k legacyKey) inv(n uint64) legacyKey { return k.u64(^n) }

func legacyTime(tm time.Time) uint64 { return uint64(tm.UnixNano()) ^ 1<<63 }

// TestLegacyRecords writes an event, its delivery and an attempt as a
// JSON-era version did, reopens the file (which upgrades it), then reads
// and updates them through the store next to records of the current
// format, and prunes them.
func TestLegacyRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tn := store.Tenant{OrgID: "org_1", EnvID: "env_1"}
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	e := &store.Event{
		ID: "evt_0000000000000000000000000000old1", OrgID: tn.OrgID, EnvID: tn.EnvID, SourceID: "src_1",
		Method: "POST", Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"a":1}`),
		ContentType: "application/json", VerificationStatus: "unverified", DedupStatus: store.DedupUnique,
		Status: store.EventProcessing, ReceivedAt: t0, SourceName: "Shop", SourceSlug: "shop", Pending: 1,
	}
	d := &store.Delivery{
		ID: "dlv_old1", OrgID: tn.OrgID, EnvID: tn.EnvID, EventID: e.ID, ConnectionID: "con_1", DestinationID: "dst_1",
		Seq: 1, State: store.DeliveryPending, NextAt: t0, Trigger: store.TriggerInitial, CreatedAt: t0, UpdatedAt: t0,
	}
	a := &store.Attempt{
		ID: "da_old1", OrgID: tn.OrgID, EnvID: tn.EnvID, EventID: e.ID, DeliveryID: d.ID, ConnectionID: "con_1",
		DestinationID: "dst_1", RequestURL: "https://example.com", RequestMethod: "POST",
		RequestHeaders: map[string]string{"X-Id": d.ID}, ResponseStatus: 500, Status: store.AttemptFailed,
		CreatedAt: t0.Add(time.Second), AttemptNumber: 1, NextRetryAt: t0.Add(time.Minute), Trigger: store.TriggerInitial,
	}
	attrs := legacyKey(nil).str(a.ID).str(a.ConnectionID).str(a.DestinationID).str(a.Status).str("")
	err = s.engine.Update(func(tx kv.Tx) error {
		for _, w := range []struct {
			b    kv.BucketID
			k, v []byte
		}{
			{kv.BucketEvents, []byte(e.ID), legacyRecord(t, 1, e)},
			{kv.BucketEventState, []byte(e.ID), legacyKey(nil).u64(1).u64(legacyTime(t0)).u64(1).u64(0).str(e.Status)},
			{kv.BucketEventListInverted, legacyKey(nil).str(tn.OrgID).str(tn.EnvID).inv(legacyTime(t0)).inv(1),
				legacyKey(nil).str(e.ID).str(e.SourceID).str(e.Status).str(e.DedupStatus).str(e.VerificationStatus).str(e.Method).str("")},
			{kv.BucketEventTime, legacyKey(nil).u64(legacyTime(t0)).u64(1), []byte(e.ID)},
			{kv.BucketTotals, legacyKey(nil).str("e").str(tn.OrgID).str(tn.EnvID), legacyKey(nil).u64(1)},
			{kv.BucketDeliveries, []byte(d.ID), legacyRecord(t, 1, d)},
			{kv.BucketEventDeliveries, legacyKey(nil).str(e.ID).u64(1), []byte(d.ID)},
			{kv.BucketDue, legacyKey(nil).str(d.DestinationID).u64(legacyTime(t0)).u64(1), []byte(d.ID)},
			{kv.BucketAttempts, []byte(a.ID), legacyRecord(t, 1, a)},
			{kv.BucketAttemptList, legacyKey(nil).str(tn.OrgID).str(tn.EnvID).inv(legacyTime(a.CreatedAt)).inv(1), attrs},
			{kv.BucketEventAttempts, legacyKey(nil).str(e.ID).inv(legacyTime(a.CreatedAt)).inv(1), attrs},
			{kv.BucketTotals, legacyKey(nil).str("a").str(tn.OrgID).str(tn.EnvID), legacyKey(nil).u64(1)},
		} {
			if err := tx.Bucket(w.b).Put(w.k, w.v); err != nil {
				return err
			}
		}
		for _, b := range []kv.BucketID{kv.BucketEvents, kv.BucketDeliveries, kv.BucketAttempts} {
			if err := tx.Bucket(b).SetSequence(1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopening upgrades the file: the inverted event index moves.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	equal := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
		}
	}

	got, err := s.GetEvent(ctx, tn, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal("legacy event", got, e)
	page, err := s.ListEvents(ctx, store.EventQuery{Tenant: tn, Search: `"a"`})
	if err != nil || len(page.Events) != 1 || page.Total != 1 {
		t.Fatalf("ListEvents = %+v, %v", page, err)
	}
	ds, err := s.ListDeliveries(ctx, tn, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal("legacy deliveries", ds, []*store.Delivery{d})
	gotA, err := s.GetAttempt(ctx, tn, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal("legacy attempt", gotA, a)

	// A new event next to it, then the legacy delivery completes: it is
	// rewritten in the new format, with a new attempt.
	e2 := &store.Event{ID: "evt_new", OrgID: tn.OrgID, EnvID: tn.EnvID, SourceID: "src_1", ReceivedAt: t0.Add(time.Minute)}
	d2 := &store.Delivery{ID: "dlv_new", OrgID: tn.OrgID, EnvID: tn.EnvID, EventID: e2.ID, DestinationID: "dst_1", NextAt: t0}
	if err := s.InsertEvent(ctx, e2, []*store.Delivery{d2}); err != nil {
		t.Fatal(err)
	}
	if d2.Seq != 2 {
		t.Fatalf("new delivery Seq = %d, want 2", d2.Seq)
	}
	if err := s.InsertEvent(ctx, &store.Event{ID: e.ID, OrgID: tn.OrgID, EnvID: tn.EnvID}, nil); err == nil {
		t.Fatal("InsertEvent with the ID of a legacy event succeeded")
	}
	leased, err := s.Lease(ctx, "dst_1", t0.Add(time.Hour), 10, time.Minute)
	if err != nil || len(leased) != 2 || leased[0].ID != d.ID {
		t.Fatalf("Lease = %+v, %v", leased, err)
	}
	var outs []store.Outcome
	for _, l := range leased {
		outs = append(outs, store.Outcome{DeliveryID: l.ID, LeaseToken: l.LeaseToken, Result: store.ResultSuccess, Now: t0.Add(time.Hour),
			Attempt: &store.Attempt{ID: "da_" + l.ID, Status: store.AttemptSuccess, CreatedAt: t0.Add(time.Hour), AttemptNumber: 2}})
	}
	if errs, err := s.Complete(ctx, outs); err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("Complete = %v, %v", errs, err)
	}
	if got, err = s.GetEvent(ctx, tn, e.ID); err != nil || got.Status != store.EventDelivered || got.Pending != 0 {
		t.Fatalf("legacy event after delivery = %+v, %v", got, err)
	}
	attempts, total, err := s.ListAttempts(ctx, store.AttemptQuery{Tenant: tn, EventID: e.ID})
	if err != nil || total != 2 || attempts[0].ID != "da_"+d.ID || attempts[1].ID != a.ID {
		t.Fatalf("ListAttempts = %+v, %d, %v", attempts, total, err)
	}
	equal("new attempt", attempts[0].DeliveryID+attempts[0].EventID+attempts[0].DestinationID, d.ID+e.ID+"dst_1")
	if _, total, _ := s.ListAttempts(ctx, store.AttemptQuery{Tenant: tn}); total != 3 {
		t.Fatalf("attempt total = %d, want 3", total)
	}

	n, err := s.PruneEvents(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneEvents = %d, %v", n, err)
	}
	for _, id := range []string{e.ID, e2.ID} {
		if _, err := s.GetEvent(ctx, tn, id); err == nil {
			t.Fatalf("event %s survived pruning", id)
		}
	}
	if _, err := s.GetAttempt(ctx, tn, a.ID); err == nil {
		t.Fatal("legacy attempt survived pruning")
	}
	err = s.engine.View(func(tx kv.Tx) error {
		for id := range kv.NumBuckets {
			switch kv.BucketID(id) {
			case kv.BucketCounters, kv.BucketEventRollups, kv.BucketDeliveryRollups:
				continue // they outlive the events they count
			}
			if k, _ := tx.Bucket(kv.BucketID(id)).Cursor().Seek(nil); k != nil {
				t.Errorf("bucket %s keeps %q after pruning", kv.Buckets[id], k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
