package hookstream

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	bbolt "go.etcd.io/bbolt"
)

// testTimeout guards waits on messages: tests wait for what they expect,
// never for time to pass; this only turns a hang into a failure.
const testTimeout = 30 * time.Second

// ingestEvents ingests n JSON events {"n": i} into a source one after the
// other and returns their IDs in order.
func ingestEvents(t *testing.T, r *Router, sourceID string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		req := httptest.NewRequest("POST", "/v1/ingest/"+sourceID, strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		req.Header.Set("Content-Type", "application/json")
		res, err := r.Ingest(context.Background(), sourceID, req)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.EventID
	}
	return ids
}

// recvWatch receives one message of a Watch, failing on a closed channel
// or a hang.
func recvWatch(t *testing.T, ch <-chan FeedMessage) FeedMessage {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("the Watch channel closed")
		}
		return m
	case <-time.After(testTimeout):
		t.Fatal("no message")
	}
	return FeedMessage{}
}

// inprocFixture makes a Router whose source is connected to an in-process
// destination that accepts everything.
func inprocFixture(t *testing.T, cfg *Config) (r *Router, src *Source, dst *Destination) {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	cfg.Providers = map[string]Provider{"inproc": FuncProvider(func(context.Context, *Message) error { return nil })}
	r = setup(t, cfg)
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err = r.CreateDestination(ctx, DestinationParams{Name: ptr("Sink"), Type: ptr("inproc")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	return r, src, dst
}

func TestRouter_Watch(t *testing.T) {
	t.Parallel()

	t.Run("EventsAndAttemptsInOrder", func(t *testing.T) {
		t.Parallel()
		r, src, dst := inprocFixture(t, &Config{Feed: FeedConfig{Buffer: 5000}})
		t.Cleanup(func() { r.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := r.Watch(ctx, WatchParams{Channels: []string{"events:" + src.ID, "deliveries:" + strings.TrimPrefix(dst.ID, prefixDestination)}})
		if err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)
		const n = 1000
		want := ingestEvents(t, r, src.ID, n)
		var events []string
		attempts := map[string]string{} // event → attempt
		for len(events) < n || len(attempts) < n {
			m := recvWatch(t, ch)
			switch m.Type {
			case FeedEvent:
				if m.Channel != "events:"+src.ID || m.Event.SourceID != src.ID || m.Event.Status != EventProcessing || len(m.Event.Body) == 0 {
					t.Fatalf("event message %+v %+v", m, m.Event)
				}
				events = append(events, m.Event.ID)
			case FeedDelivery:
				a := m.Attempt
				if m.Channel != "deliveries:"+dst.ID || a.DestinationID != dst.ID || a.Status != AttemptSuccess || a.AttemptNumber != 1 {
					t.Fatalf("delivery message %+v %+v", m, a)
				}
				if _, dup := attempts[a.EventID]; dup {
					t.Fatalf("a second attempt of %s", a.EventID)
				}
				attempts[a.EventID] = a.ID
			default:
				t.Fatalf("message %+v", m)
			}
		}
		for i := range want {
			if events[i] != want[i] {
				t.Fatalf("event %d is %s, want %s (in ingest order)", i, events[i], want[i])
			}
			if attempts[want[i]] == "" {
				t.Fatalf("no attempt of %s", want[i])
			}
		}
		page, err := r.ListAttempts(ctx, ListAttemptsParams{DestinationID: dst.ID})
		if err != nil || page.Total != n {
			t.Fatalf("stored attempts: %d, %v; want %d", page.Total, err, n)
		}
		cancel()
		for range ch { // closes once ctx ends
		}
	})

	t.Run("SlowReaderGetsDroppedMarks", func(t *testing.T) {
		t.Parallel()
		r, src, _ := inprocFixture(t, nil)
		t.Cleanup(func() { r.Close() })
		const buffer, n = 8, 500
		ch, err := r.Watch(context.Background(), WatchParams{Channels: []string{ChannelEvents}, Buffer: buffer})
		if err != nil {
			t.Fatal(err)
		}
		want := ingestEvents(t, r, src.ID, n) // nobody reads meanwhile: ingest does not wait
		got, dropped, marks, next := 0, 0, 0, 0
		for got+dropped < n {
			m := recvWatch(t, ch)
			switch m.Type {
			case FeedEvent:
				i := indexOf(want, m.Event.ID)
				if i < next {
					t.Fatalf("event %d after %d: out of order", i, next-1)
				}
				next = i + 1
				got++
			case FeedDropped:
				if m.Channel != ChannelEvents || m.Dropped < 1 {
					t.Fatalf("mark %+v", m)
				}
				dropped += m.Dropped
				marks++
			}
		}
		// The reader holds one message in hand beyond the buffer.
		if got+dropped != n || got > buffer+1 || marks == 0 {
			t.Fatalf("%d events and %d dropped in %d marks, want %d in all, at most %d events", got, dropped, marks, n, buffer+1)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()
		r, src, _ := inprocFixture(t, nil)
		other := WithTenant(context.Background(), Tenant{OrgID: DefaultOrgID, EnvID: "env_other"})
		for _, c := range []struct {
			name  string
			ctx   context.Context
			p     WatchParams
			field string
		}{
			{"none", context.Background(), WatchParams{}, "channels"},
			{"unknown", context.Background(), WatchParams{Channels: []string{"events", "things:1"}}, "channels[1]"},
			{"not an ID", context.Background(), WatchParams{Channels: []string{"events:orders"}}, "channels[0]"},
			{"no such source", context.Background(), WatchParams{Channels: []string{"events:" + newID(prefixSource)}}, "channels[0]"},
			{"another tenant's source", other, WatchParams{Channels: []string{"events:" + src.ID}}, "channels[0]"},
			{"a destination as a source", context.Background(), WatchParams{Channels: []string{"events:" + newID(prefixDestination)}}, "channels[0]"},
			{"upper case", context.Background(), WatchParams{Channels: []string{"Orders"}}, "channels[0]"},
			{"negative buffer", context.Background(), WatchParams{Channels: []string{"events"}, Buffer: -1}, "buffer"},
			{"too many", context.Background(), WatchParams{Channels: make([]string, DefaultFeedMaxSubscriptions+1)}, "channels"},
		} {
			_, err := r.Watch(c.ctx, c.p)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Errorf("%s: %v, want a ValidationError of %s", c.name, err, c.field)
			}
		}
	})

	t.Run("TenantsApart", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		t.Cleanup(func() { r.Close() })
		ctxA := context.Background()
		ctxB := WithTenant(context.Background(), Tenant{OrgID: DefaultOrgID, EnvID: "env_b"})
		srcA, err := r.CreateSource(ctxA, SourceParams{Name: ptr("A")})
		if err != nil {
			t.Fatal(err)
		}
		srcB, err := r.CreateSource(ctxB, SourceParams{Name: ptr("B")})
		if err != nil {
			t.Fatal(err)
		}
		ch, err := r.Watch(ctxB, WatchParams{Channels: []string{ChannelEvents}})
		if err != nil {
			t.Fatal(err)
		}
		ingestEvents(t, r, srcA.ID, 3)
		wantB := ingestEvents(t, r, srcB.ID, 1)
		// A's events were published first: B's watcher sees B's alone.
		if m := recvWatch(t, ch); m.Event == nil || m.Event.ID != wantB[0] || m.Event.EnvID != "env_b" {
			t.Fatalf("B's watcher got %+v first, want B's event", m)
		}
	})

	t.Run("ClosesWithTheRouter", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		ch, err := r.Watch(context.Background(), WatchParams{Channels: []string{ChannelDeliveries}})
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		if _, ok := <-ch; ok {
			t.Fatal("a message after Close")
		}
		if _, err := r.Watch(context.Background(), WatchParams{Channels: []string{ChannelEvents}}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Watch after Close: %v, want ErrClosed", err)
		}
	})

	t.Run("PublishTxAtCommitOnly", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		r, err := Open(filepath.Join(t.TempDir(), "hooks.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("orders")}); err != nil {
			t.Fatal(err)
		}
		ch, err := r.Watch(ctx, WatchParams{Channels: []string{ChannelEvents}})
		if err != nil {
			t.Fatal(err)
		}
		db := r.Store().(*bolt.Store).DB()
		rollback := errors.New("rolled back")
		if err := db.Update(func(tx *bbolt.Tx) error {
			if _, err := PublishTx(ctx, r, tx, "orders", []byte(`{"id":"o1"}`)); err != nil {
				return err
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		var committed string
		if err := db.Update(func(tx *bbolt.Tx) error {
			res, err := PublishTx(ctx, r, tx, "orders", []byte(`{"id":"o2"}`))
			if err == nil {
				committed = res.EventID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if m := recvWatch(t, ch); m.Event.ID != committed {
			t.Fatalf("got %+v, want the committed event alone", m.Event)
		}
	})

	t.Run("TopicEvents", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		t.Cleanup(func() { r.Close() })
		ctx := context.Background()
		if _, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Orders")}); err != nil {
			t.Fatal(err)
		}
		ch, err := r.Watch(ctx, WatchParams{Channels: []string{ChannelEvents}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Publish(ctx, "orders", []byte(`{"id": 1}`))
		if err != nil {
			t.Fatal(err)
		}
		if m := recvWatch(t, ch); m.Event.ID != res.EventID || m.Event.Topic != "orders" || m.Channel != ChannelEvents {
			t.Fatalf("got %+v, want the published event once", m)
		}
	})
}

func indexOf(ids []string, id string) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

// TestFeed_PublishCostsNothingUnheard checks what a publish costs while
// nobody listens to its channel: no allocation (an atomic load while
// nobody listens at all; map lookups while others listen elsewhere).
func TestFeed_PublishCostsNothingUnheard(t *testing.T) { // not parallel: AllocsPerRun
	f := newFeed(FeedConfig{Buffer: 10, BufferBytes: 1 << 20, MaxSubscriptions: 10})
	ev := &store.Event{ID: newID(prefixEvent), OrgID: "org_a", EnvID: "env_a", SourceID: newID(prefixSource), Body: []byte(`{}`)}
	a := &store.Attempt{ID: newID(prefixAttempt), OrgID: "org_a", EnvID: "env_a", DestinationID: newID(prefixDestination)}
	check := func(when string) {
		t.Helper()
		if n := testing.AllocsPerRun(100, func() { f.publishEvent(ev); f.publishAttempt(a) }); n != 0 {
			t.Errorf("%s: %v allocations a publish, want 0", when, n)
		}
	}
	check("nobody subscribed")
	sub, err := f.newSubscriber(Tenant{OrgID: "org_b", EnvID: "env_b"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.close()
	sub.subscribe(feedKey{"org_b", "env_b", channelEvents, ""}, nil)
	sub.subscribe(feedKey{"org_b", "env_b", channelDeliveries, ""}, nil)
	check("another tenant subscribed")
}

// TestSubscriber_Marks checks the queue's marks: a mark precedes the next
// message of its channel, stands for the missed messages exactly, and comes
// alone once the queue is empty; other channels are not marked.
func TestSubscriber_Marks(t *testing.T) {
	t.Parallel()
	f := newFeed(FeedConfig{BufferBytes: 1 << 20, MaxSubscriptions: 10})
	sub, err := f.newSubscriber(Tenant{OrgID: "o", EnvID: "e"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.close()
	a, b := feedKey{"o", "e", channelBroadcast, "a"}, feedKey{"o", "e", channelBroadcast, "b"}
	sub.subscribe(a, nil)
	sub.subscribe(b, nil)
	msg := func(key feedKey, n int) *feedItem {
		return &feedItem{msg: FeedMessage{Type: FeedEventDelivered, Channel: key.name(), Broadcast: &Broadcast{EventID: fmt.Sprint(n)}}}
	}
	sub.offer(a, msg(a, 1))
	sub.offer(b, msg(b, 2))
	sub.offer(a, msg(a, 3)) // full: missed
	sub.offer(a, msg(a, 4)) // missed
	sub.offer(b, msg(b, 5)) // missed
	var got []string
	take := func() {
		q, ok := sub.take()
		if !ok {
			got = append(got, "-")
			return
		}
		m := q.message()
		if m.Type == FeedDropped {
			got = append(got, fmt.Sprintf("%s:dropped %d", m.Channel, m.Dropped))
		} else {
			got = append(got, m.Channel+":"+m.Broadcast.EventID)
		}
	}
	take()                  // a:1; room for one
	sub.offer(a, msg(a, 6)) // queued after the mark of 3 and 4
	for range 5 {
		take()
	}
	want := "a:1 b:2 a:dropped 2 a:6 b:dropped 1 -"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
}

// TestFeed_Admit checks the connection limits: per Router, per key, and a
// released connection's place is free again.
func TestFeed_Admit(t *testing.T) {
	t.Parallel()
	f := newFeed(FeedConfig{MaxConnections: 2, MaxConnectionsPerKey: 1})
	releaseA, err := f.admit("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.admit("a"); !errors.Is(err, errTooManyRequests) {
		t.Fatalf("a second connection of a: %v, want too many", err)
	}
	if _, err := f.admit("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.admit("c"); !errors.Is(err, errTooManyRequests) {
		t.Fatalf("a third connection: %v, want too many", err)
	}
	releaseA()
	if _, err := f.admit("a"); err != nil {
		t.Fatalf("after a's release: %v", err)
	}
	if len(f.perKey) != 2 {
		t.Fatalf("counts %v, want a and b", f.perKey)
	}
}
