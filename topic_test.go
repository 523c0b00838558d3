package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	bbolt "go.etcd.io/bbolt"
)

func TestRouter_Topics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	top, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Order Events")})
	if err != nil {
		t.Fatal(err)
	}
	if top.Slug != "order-events" || top.Status != TopicActive || len(top.ID) != len("top_")+32 {
		t.Errorf("topic = %+v", top)
	}
	if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("x"), Slug: ptr("order-events")}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate slug: %v", err)
	}
	if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("x"), Schema: json.RawMessage(`{"type": "nope"}`)}); err == nil {
		t.Error("a schema that does not compile was accepted")
	}
	dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), URL: ptr("https://example.com")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID, TransformExpression: ptr(`{"id": id}`)})
	if err != nil {
		t.Fatal(err)
	}
	if sub.TopicID != top.ID || !sub.Enabled || sub.DestinationName != "d" {
		t.Errorf("subscription = %+v", sub)
	}
	if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID}); !errors.Is(err, ErrConflict) || err.Error() != "hookstream: already subscribed" {
		t.Errorf("second subscribe: %v", err)
	}
	if _, err := r.Subscribe(ctx, "top_00000000000000000000000000000000", SubscribeParams{DestinationID: dst.ID}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown topic: %v", err)
	}
	if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: "dst_00000000000000000000000000000000"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown destination: %v", err)
	}
	if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID, FilterRules: FilterRules{{Field: "payload.a", Op: "in", Value: 3}}}); err == nil {
		t.Error("invalid rules accepted")
	}
	got, err := r.GetTopic(ctx, top.ID)
	if err != nil || got.SubscriptionCount != 1 {
		t.Errorf("GetTopic: %+v, %v", got, err)
	}
	if err := r.DeleteTopic(ctx, top.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("deleting a topic with subscriptions: %v", err)
	}
	if err := r.Unsubscribe(ctx, top.ID, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteTopic(ctx, top.ID); err != nil {
		t.Errorf("DeleteTopic: %v", err)
	}
}

func TestRouter_Subscribe_Concurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("t")})
	dst, _ := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), URL: ptr("https://example.com")})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range 20 {
		wg.Go(func() {
			_, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 19 {
		t.Errorf("wins %d conflicts %d, want 1 and 19", wins, conflicts)
	}
}

func TestRouter_Publish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("orders"), Schema: json.RawMessage(`{"type":"object","required":["id"]}`)})
	if _, err := r.Publish(ctx, "nope", []byte(`{}`)); !errors.Is(err, ErrNotFound) || err.Error() != "hookstream: topic not found or inactive" {
		t.Errorf("unknown topic: %v", err)
	}
	var se *SchemaError
	if _, err := r.Publish(ctx, "orders", []byte(`{"no_id": 1}`)); !errors.As(err, &se) || len(se.Errors) == 0 {
		t.Errorf("schema violation: %v", err)
	}
	res, err := r.Publish(ctx, "orders", []byte(`{"id": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.GetEvent(ctx, res.EventID)
	if err != nil || ev.Topic != "orders" || ev.Status != store.EventReceived {
		t.Errorf("published event: %+v, %v", ev, err)
	}
	if _, err := r.UpdateTopic(ctx, top.ID, TopicParams{Status: ptr(TopicInactive)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Publish(ctx, "orders", []byte(`{"id": 1}`)); !errors.Is(err, ErrNotFound) {
		t.Errorf("inactive topic: %v", err)
	}
}

// TestRouter_Publish_FanOut publishes one event to a topic with ten
// subscriptions, some filtered out, each with its own transform.
func TestRouter_Publish_FanOut(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var mu sync.Mutex
		got := map[string]string{} // destination name → body
		r := setup(t, &Config{Providers: map[string]Provider{"inbox": providerFunc(func(_ context.Context, msg *Message) (*Response, error) {
			mu.Lock()
			defer mu.Unlock()
			got[msg.Destination.Name] = string(msg.Body)
			return status(200)
		})}})
		top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")})
		want := map[string]string{}
		for i := range 10 {
			name := fmt.Sprintf("sub%d", i)
			dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr(name), Type: ptr("inbox")})
			if err != nil {
				t.Fatal(err)
			}
			p := SubscribeParams{DestinationID: dst.ID, TransformExpression: ptr(fmt.Sprintf(`{"sub": %d, "total": total}`, i))}
			if i%3 == 0 { // a filter this event fails
				p.FilterRules = FilterRules{{Field: "payload.total", Op: "gt", Value: 1000}}
			} else {
				want[name] = fmt.Sprintf(`{"sub":%d,"total":250}`, i)
			}
			if _, err := r.Subscribe(ctx, top.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		res, err := r.Publish(ctx, "orders", []byte(`{"total": 250}`))
		if err != nil {
			t.Fatal(err)
		}
		if res.Deliveries != len(want) {
			t.Errorf("deliveries queued = %d, want %d", res.Deliveries, len(want))
		}
		runRouter(t, r)
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
			t.Errorf("received %v\nwant %v", got, want)
		}
		page, _ := r.ListAttempts(ctx, ListAttemptsParams{EventID: res.EventID})
		for _, a := range page.Items {
			if a.SubscriptionID == "" || a.ConnectionID != "" {
				t.Errorf("attempt %s: subscription %q connection %q", a.ID, a.SubscriptionID, a.ConnectionID)
			}
		}
		if s := eventStatus(t, r, res.EventID); s != store.EventDelivered {
			t.Errorf("event status %q", s)
		}
	})
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// providerFunc adapts a function to a Provider with responses.
type providerFunc func(ctx context.Context, msg *Message) (*Response, error)

func (providerFunc) Validate(*store.Destination) error { return nil }
func (f providerFunc) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	return f(ctx, msg)
}

func TestRouter_PublishTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, err := Open(filepath.Join(t.TempDir(), "hooks.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")})
	dst, _ := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), URL: ptr("https://example.com")})
	if _, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID}); err != nil {
		t.Fatal(err)
	}
	db := r.Store().(*bolt.Store).DB()

	// Committed: the application's row and the event exist together.
	var committed string
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("app_orders"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("o1"), []byte("paid")); err != nil {
			return err
		}
		res, err := PublishTx(ctx, r, tx, "orders", []byte(`{"id":"o1"}`))
		if err == nil {
			committed = res.EventID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.GetEvent(ctx, committed)
	if err != nil || ev.Status != store.EventProcessing {
		t.Fatalf("committed event: %+v, %v", ev, err)
	}

	// Rolled back: neither exists.
	var rolledBack string
	errRollback := errors.New("application failure")
	err = db.Update(func(tx *bbolt.Tx) error {
		res, err := PublishTx(ctx, r, tx, "orders", []byte(`{"id":"o2"}`))
		if err != nil {
			return err
		}
		rolledBack = res.EventID
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if _, err := r.GetEvent(ctx, rolledBack); !errors.Is(err, ErrNotFound) {
		t.Errorf("rolled-back event: %v, want ErrNotFound", err)
	}
	page, _ := r.ListEvents(ctx, ListEventsParams{Topic: "orders"})
	if page.Total != 1 {
		t.Errorf("events = %d, want only the committed one", page.Total)
	}
	// A store without transactions says so.
	if _, err := PublishTx[*bbolt.Tx](ctx, setup(t, nil), nil, "orders", []byte(`{}`)); !errors.Is(err, ErrTxUnsupported) {
		t.Errorf("memory store: %v", err)
	}
}

func TestRouter_TestSubscription(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	top, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")})
	dst, _ := r.CreateDestination(ctx, DestinationParams{Name: ptr("d"), URL: ptr("https://example.com")})
	sub, err := r.Subscribe(ctx, top.ID, SubscribeParams{
		DestinationID: dst.ID, FilterRules: FilterRules{{Field: "topic", Op: "eq", Value: "orders"}, {Field: "payload.total", Op: "gte", Value: 100}},
		TransformExpression: ptr(`{"t": total}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.TestSubscription(ctx, top.ID, sub.ID, TestParams{Payload: json.RawMessage(`{"total": 150}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Matched || len(res.Rules) != 2 || string(res.Transformed) != `{"t":150}` {
		t.Errorf("dry run = %+v (transformed %s)", res, res.Transformed)
	}
	res, _ = r.TestSubscription(ctx, top.ID, sub.ID, TestParams{Payload: json.RawMessage(`{"total": 50}`)})
	if res.Matched || res.Rules[1].Matched || string(res.Rules[1].Observed) != "50" || res.Transformed != nil {
		t.Errorf("failing dry run = %+v", res)
	}
}

func TestRouter_PruneEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := setup(t, &Config{Now: func() time.Time { return now }})
	src, _, _ := fixture(t, r)
	old := ingest(t, r, src.ID, `{"n":1}`) // its delivery stays pending
	if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("t")}); err != nil {
		t.Fatal(err)
	}
	done, err := r.Publish(ctx, "t", []byte(`{}`)) // no subscribers: finished at once
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if _, err := r.PruneEvents(ctx, 0); err == nil {
		t.Error("PruneEvents(0) accepted")
	}
	n, err := r.PruneEvents(ctx, 24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if _, err := r.GetEvent(ctx, done.EventID); !errors.Is(err, ErrNotFound) {
		t.Errorf("finished old event: %v, want pruned", err)
	}
	if _, err := r.GetEvent(ctx, old); err != nil {
		t.Errorf("pending old event was pruned: %v", err)
	}
}

func TestRouter_GetSubscription(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	_, dst, _ := fixture(t, r)
	top, err := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(ctx, top.ID, SubscribeParams{DestinationID: dst.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{top.ID, top.Slug} {
		got, err := r.GetSubscription(ctx, ref, sub.ID)
		if err != nil || got.ID != sub.ID || got.DestinationName != dst.Name {
			t.Errorf("GetSubscription(%s) = %+v, %v", ref, got, err)
		}
	}
	other, _ := r.CreateTopic(ctx, TopicParams{Name: ptr("other")})
	if _, err := r.GetSubscription(ctx, other.ID, sub.ID); !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another topic's subscription: %v", err)
	}
}
