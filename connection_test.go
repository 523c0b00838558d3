package hookstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/memory"
)

func TestRouter_CreateConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("UnknownSourceOrDestination", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		src, dst, _ := fixture(t, r)
		for name, p := range map[string]ConnectionParams{
			"source":      {SourceID: "src_00000000000000000000000000000000", DestinationID: dst.ID, Name: ptr("x")},
			"destination": {SourceID: src.ID, DestinationID: "dst_00000000000000000000000000000000", Name: ptr("x")},
		} {
			_, err := r.CreateConnection(ctx, p)
			if !errors.Is(err, ErrNotFound) || err.Error() != "hookstream: source or destination not found" {
				t.Errorf("unknown %s: err = %v, want ErrNotFound 'hookstream: source or destination not found'", name, err)
			}
		}
	})

	t.Run("OtherTenantIsUnknown", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		src, dst, _ := fixture(t, r)
		other := WithTenant(ctx, Tenant{OrgID: DefaultOrgID, EnvID: "env_other"})
		otherDst, err := r.CreateDestination(other, DestinationParams{Name: ptr("Other"), URL: ptr("https://other.example.com")})
		if err != nil {
			t.Fatal(err)
		}
		// The default tenant's source with another env's destination, and
		// the other env connecting the default tenant's source.
		if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: otherDst.ID, Name: ptr("x")}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other env's destination: err = %v, want ErrNotFound", err)
		}
		if _, err := r.CreateConnection(other, ConnectionParams{SourceID: src.ID, DestinationID: otherDst.ID, Name: ptr("x")}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other env's source: err = %v, want ErrNotFound", err)
		}
		if _, err := r.GetConnection(other, dst.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetConnection across tenants: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		src, dst, _ := fixture(t, r)
		c, err := r.CreateConnection(ctx, ConnectionParams{
			SourceID: src.ID, DestinationID: dst.ID, Name: ptr("paid"), Description: ptr("paid orders"),
			FilterRules:      FilterRules{{Field: "payload.status", Op: "eq", Value: "paid"}},
			TransformEnabled: ptr(true), TransformExpression: ptr(`{"id": id}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.ID, "conn_") || len(c.ID) != len("conn_")+32 {
			t.Errorf("ID = %q, want conn_ + 32 hex", c.ID)
		}
		if c.OrgID != DefaultOrgID || c.EnvID != DefaultEnvID {
			t.Errorf("tenant = %s/%s, want the default", c.OrgID, c.EnvID)
		}
		if !c.Enabled || c.Status != StatusActive || !c.TransformEnabled {
			t.Errorf("enabled/status/transform = %v/%s/%v, want true/active/true", c.Enabled, c.Status, c.TransformEnabled)
		}
		if got, want := string(c.FilterRules), `[{"field":"payload.status","op":"eq","value":"paid"}]`; got != want {
			t.Errorf("FilterRules = %s, want %s", got, want)
		}
		if c.SourceName != "Orders" || c.DestinationName != "Billing" {
			t.Errorf("names = %q/%q, want Orders/Billing", c.SourceName, c.DestinationName)
		}
		if c.CreatedAt.IsZero() || !c.CreatedAt.Equal(c.UpdatedAt) {
			t.Errorf("timestamps = %v/%v, want equal and set", c.CreatedAt, c.UpdatedAt)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		src, dst, _ := fixture(t, r)
		cases := []struct {
			name  string
			p     ConnectionParams
			field string
		}{
			{"missing name", ConnectionParams{SourceID: src.ID, DestinationID: dst.ID}, "name"},
			{"missing source", ConnectionParams{DestinationID: dst.ID, Name: ptr("x")}, "source_id"},
			{"bad status", ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("x"), Status: ptr(Status("sleeping"))}, "status"},
			{"transform without expression", ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("x"), TransformEnabled: ptr(true)}, "transform_expression"},
			{"bad op", ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("x"), FilterRules: FilterRules{{Field: "payload.a", Op: "like", Value: 1}}}, "filter_rules[0]"},
			{"bad expression", ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("x"), TransformEnabled: ptr(true), TransformExpression: ptr("{{")}, "transform_expression"},
		}
		for _, c := range cases {
			_, err := r.CreateConnection(ctx, c.p)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Errorf("%s: err = %v, want a validation error on %s", c.name, err, c.field)
			}
		}
	})
}

func TestRouter_UpdateConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	src, dst, conn := fixture(t, r)
	other, err := r.CreateSource(ctx, SourceParams{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateConnection(ctx, conn.ID, ConnectionParams{SourceID: other.ID}); err == nil {
		t.Error("changing source_id: want an error")
	}
	got, err := r.UpdateConnection(ctx, conn.ID, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("renamed"), Status: ptr(Status("paused"))})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed" || got.Status != "paused" || got.Description != conn.Description {
		t.Errorf("after update: %q %q %q", got.Name, got.Status, got.Description)
	}
	if !got.CreatedAt.Equal(conn.CreatedAt) {
		t.Errorf("CreatedAt changed: %v, want %v", got.CreatedAt, conn.CreatedAt)
	}
}

func TestRouter_DeleteInUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	src, dst, conn := fixture(t, r)
	if err := r.DeleteSource(ctx, src.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("DeleteSource in use: err = %v, want ErrConflict", err)
	}
	if err := r.DeleteDestination(ctx, dst.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("DeleteDestination in use: err = %v, want ErrConflict", err)
	}
	if err := r.DeleteConnection(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSource(ctx, src.ID); err != nil {
		t.Errorf("DeleteSource unused: %v", err)
	}
	if err := r.DeleteDestination(ctx, dst.ID); err != nil {
		t.Errorf("DeleteDestination unused: %v", err)
	}
	if _, err := r.GetSource(ctx, src.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSource after delete: err = %v, want ErrNotFound", err)
	}
}

func TestFilterRules_EmptyObjectsAreNoRules(t *testing.T) {
	t.Parallel()
	var rs FilterRules
	if err := rs.UnmarshalJSON([]byte(`[{}, {"field": "method", "op": "eq", "value": "POST"}, {}]`)); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Field != "method" {
		t.Errorf("rules = %+v, want the one real rule", rs)
	}
	if err := rs.UnmarshalJSON([]byte(`[{}]`)); err != nil || len(rs) != 0 {
		t.Errorf("[{}] = %+v, %v; want no rules", rs, err)
	}
	if err := rs.UnmarshalJSON([]byte(`[{"field": "method"}]`)); err == nil {
		t.Error("a rule without op was accepted")
	}
}

// countingStore counts the single-resource reads a listing makes.
type countingStore struct {
	store.Store
	gets, getManys atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, r store.Resource) error {
	s.gets.Add(1)
	return s.Store.Get(ctx, r)
}

func (s *countingStore) GetMany(ctx context.Context, kind store.Kind, t store.Tenant, ids []string) ([]store.Resource, error) {
	s.getManys.Add(1)
	return s.Store.GetMany(ctx, kind, t, ids)
}

// TestRouter_Listings_NoNPlusOne checks that listings read the names of
// their pages' ends in batches: no read per item.
func TestRouter_Listings_NoNPlusOne(t *testing.T) {
	t.Parallel()
	cs := &countingStore{Store: memory.New()}
	r, err := New(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, _ := r.CreateSource(ctx, SourceParams{Name: ptr("s")})
	top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("t")})
	for i := range 20 {
		dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr(fmt.Sprintf("d%d", i)), URL: ptr("https://example.com/")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID}); err != nil {
			t.Fatal(err)
		}
	}
	cs.gets.Store(0)
	conns, err := r.ListConnections(ctx, ListConnectionsParams{})
	if err != nil || len(conns.Items) != 20 || conns.Items[0].SourceName != "s" || conns.Items[0].DestinationName == "" {
		t.Fatalf("connections: %d, %v", len(conns.Items), err)
	}
	subs, err := r.ListSubscriptions(ctx, top.ID, ListParams{})
	if err != nil || len(subs.Items) != 20 || subs.Items[0].DestinationName == "" {
		t.Fatalf("subscriptions: %d, %v", len(subs.Items), err)
	}
	topics, err := r.ListTopics(ctx, ListParams{})
	if err != nil || len(topics.Items) != 1 || topics.Items[0].SubscriptionCount != 20 {
		t.Fatalf("topics: %+v, %v", topics.Items, err)
	}
	if n := cs.gets.Load(); n > 2 {
		t.Errorf("three listings of 20 made %d single reads, want at most the topic's lookups", n)
	}
}
