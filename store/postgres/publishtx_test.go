package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookstream-go/hookstream"
)

// TestRouter_PublishTx publishes inside a transaction of the caller's that
// also writes the caller's own table: the event (with its delivery)
// exists if and only if the caller's write commits — an outbox without an
// outbox table of the caller's.
func TestRouter_PublishTx(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := open(t, schema, nil)
	r, err := hookstream.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	topic, err := r.CreateTopic(ctx, hookstream.TopicParams{Name: ptr("orders")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("d"), URL: ptr("https://example.com/hook")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Subscribe(ctx, topic.ID, hookstream.SubscribeParams{DestinationID: dst.ID}); err != nil {
		t.Fatal(err)
	}
	orders := pgx.Identifier{schema, "app_orders"}.Sanitize()
	if _, err := s.Pool().Exec(ctx, "CREATE TABLE "+orders+" (id text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}

	publish := func(id string, commit bool) string {
		t.Helper()
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "INSERT INTO "+orders+" (id) VALUES ($1)", id); err != nil {
			t.Fatal(err)
		}
		res, err := hookstream.PublishTx(ctx, r, tx, "orders", []byte(`{"id":"`+id+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		if res.Deliveries != 1 {
			t.Errorf("publish %s: %d deliveries, want 1", id, res.Deliveries)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return res.EventID
	}
	exists := func(id string) bool {
		var n int
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+orders+" WHERE id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	committed := publish("o1", true)
	if _, err := r.GetEvent(ctx, committed); err != nil || !exists("o1") {
		t.Errorf("committed: event %v, order stored %v", err, exists("o1"))
	}
	attempts, err := s.ListDeliveries(ctx, hookstream.Tenant{OrgID: hookstream.DefaultOrgID, EnvID: hookstream.DefaultEnvID}, committed)
	if err != nil || len(attempts) != 1 {
		t.Errorf("committed event's deliveries: %d, %v; want 1", len(attempts), err)
	}
	rolledBack := publish("o2", false)
	if _, err := r.GetEvent(ctx, rolledBack); !errors.Is(err, hookstream.ErrNotFound) || exists("o2") {
		t.Errorf("rolled back: event %v (want ErrNotFound), order stored %v", err, exists("o2"))
	}
	// A transaction of another type is not this store's.
	if _, err := hookstream.PublishTx[*struct{}](ctx, r, nil, "orders", []byte(`{}`)); !errors.Is(err, hookstream.ErrTxUnsupported) {
		t.Errorf("another transaction type: %v, want ErrTxUnsupported", err)
	}
}
