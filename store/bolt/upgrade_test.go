package bolt

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
)

// TestUpgrade_InvertedEventIndex turns a file's event index back into the
// inverted layout of earlier versions, reopens it, and checks that the
// listings, replays and cursors of the earlier version work on the
// upgraded file.
func TestUpgrade_InvertedEventIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upgrade.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tn := store.Tenant{OrgID: "org_1", EnvID: "env_1"}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	events := map[uint64]*store.Event{} // by timeBits of ReceivedAt
	var ids []string                    // of tn, oldest first
	for i := range 30 {
		e := &store.Event{
			ID: fmt.Sprintf("evt_%032x", i+1), OrgID: tn.OrgID, EnvID: tn.EnvID, SourceID: "src_1", Method: "POST",
			DedupStatus: store.DedupUnique, VerificationStatus: "unverified", Status: store.EventReceived,
			ReceivedAt: t0.Add(time.Duration(i) * time.Second), Body: []byte(`{}`),
		}
		if i%3 == 0 {
			e.EnvID = "env_2" // another tenant, between tn's entries
		} else {
			ids = append(ids, e.ID)
		}
		if err := s.InsertEvent(ctx, e, nil); err != nil {
			t.Fatal(err)
		}
		events[legacyTime(e.ReceivedAt)] = e
	}
	cursors := invertIndex(t, s, events)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	var listed []string
	for cursor := ""; ; {
		page, err := s.ListEvents(ctx, store.EventQuery{Tenant: tn, Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(ids) {
			t.Fatalf("Total = %d, want %d", page.Total, len(ids))
		}
		for _, e := range page.Events {
			listed = append(listed, e.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(listed, newestFirst) {
		t.Fatalf("listed after the upgrade:\n got  %v\n want %v", listed, newestFirst)
	}

	// A cursor of the earlier version, the inverted key of an event,
	// continues after it: to older events in a listing, newer in a replay.
	at := 8
	old := cursors[ids[at]]
	page, err := s.ListEvents(ctx, store.EventQuery{Tenant: tn, Limit: 3, Cursor: old})
	if err != nil || len(page.Events) != 3 || page.Events[0].ID != ids[at-1] {
		t.Fatalf("ListEvents after a cursor of the earlier version = %+v, %v; want from %s", page, err, ids[at-1])
	}
	replay, err := s.ReplayEvents(ctx, store.ReplayQuery{Tenant: tn, From: t0, To: t0.Add(time.Hour), Cursor: old, Limit: 100})
	if err != nil || len(replay.Events) != len(ids)-at-1 || replay.Events[0].ID != ids[at+1] {
		t.Fatalf("ReplayEvents after a cursor of the earlier version = %d events, %v; want %d from %s", len(replay.Events), err, len(ids)-at-1, ids[at+1])
	}
	err = s.engine.View(func(tx kv.Tx) error {
		if k, _ := tx.Bucket(kv.BucketEventListInverted).Cursor().Seek(nil); k != nil {
			t.Errorf("the inverted index keeps %q after the upgrade", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgrade_Batches upgrades more entries than one transaction moves.
func TestUpgrade_Batches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upgrade.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 25_001
	attrs := legacyKey(nil).str("evt_1").str("src_1").str("received").str("unique").str("unverified").str("POST").str("")
	err = s.engine.Update(func(tx kv.Tx) error {
		for i := range n {
			k := legacyKey(nil).str("org_1").str(fmt.Sprintf("env_%d", i%3)).inv(uint64(i) + 1<<63).inv(uint64(i))
			if err := tx.Bucket(kv.BucketEventListInverted).Put(k, attrs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := kv.Upgrade(t.Context(), s.kvStore)
	if err != nil || moved != n {
		t.Fatalf("Upgrade = %d, %v; want %d", moved, err, n)
	}
	if moved, err := kv.Upgrade(t.Context(), s.kvStore); err != nil || moved != 0 {
		t.Fatalf("second Upgrade = %d, %v; want 0", moved, err)
	}
	s.Close()
}

// invertIndex rewrites the event index of s as earlier versions kept it,
// and returns the cursor an earlier version gave for each event.
func invertIndex(t *testing.T, s *Store, events map[uint64]*store.Event) map[string]string {
	t.Helper()
	cursors := map[string]string{}
	err := s.engine.Update(func(tx kv.Tx) error {
		var keys [][]byte
		c := tx.Bucket(kv.BucketEventList).Cursor()
		for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			n := len(k) - 16
			received, seq := binary.BigEndian.Uint64(k[n:]), binary.BigEndian.Uint64(k[n+8:])
			e := events[received]
			inverted := legacyKey(nil).str(e.OrgID).str(e.EnvID).inv(received).inv(seq)
			attrs := legacyKey(nil).str(e.ID).str(e.SourceID).str(e.Status).str(e.DedupStatus).str(e.VerificationStatus).str(e.Method).str(e.Topic)
			if err := tx.Bucket(kv.BucketEventListInverted).Put(inverted, attrs); err != nil {
				return err
			}
			if err := tx.Bucket(kv.BucketEventList).Delete(k); err != nil {
				return err
			}
			cursors[e.ID] = base64.RawURLEncoding.EncodeToString(inverted)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cursors
}
