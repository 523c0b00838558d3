package hookstream

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"
	"github.com/hookstream-go/hookstream/store/memory"
)

// BenchmarkIngest_Feed measures ingest (Router.Ingest, as BenchmarkIngest's
// GoAPI) beside live feed clients, on a bbolt file (durable: fsync bound)
// and on the memory store (where the feed's own cost shows most), by
// number of concurrent writers:
//
//   - NoListener: nobody subscribed (the publish is an atomic load);
//   - StalledWebSocket: a WebSocket client subscribed to events and to
//     the source's channel that never reads: its queue fills, and every
//     later event is only counted as dropped;
//   - StalledWatch: the same through Watch;
//   - ReadingWebSocket: a client that reads everything (each event's
//     summary encoded and written).
//
// Each reports events/s; the ratio to NoListener is what a listener costs
// ingest. Compare runs of one -benchtime Nx: the memory store's heap, and
// so its cost an event, grows with b.N.
func BenchmarkIngest_Feed(b *testing.B) {
	variants := []struct {
		name   string
		listen func(b *testing.B, r *Router, srcID string)
	}{
		{"NoListener", func(*testing.B, *Router, string) {}},
		{"StalledWebSocket", func(b *testing.B, r *Router, srcID string) {
			c := benchFeedClient(b, r, srcID)
			b.Cleanup(func() { c.CloseNow() })
		}},
		{"StalledWatch", func(b *testing.B, r *Router, srcID string) {
			ctx, cancel := context.WithCancel(context.Background())
			b.Cleanup(cancel)
			if _, err := r.Watch(ctx, WatchParams{Channels: []string{ChannelEvents, "events:" + srcID}}); err != nil {
				b.Fatal(err)
			}
		}},
		{"ReadingWebSocket", func(b *testing.B, r *Router, srcID string) {
			c := benchFeedClient(b, r, srcID)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, _, err := c.Read(context.Background()); err != nil {
						return
					}
				}
			}()
			b.Cleanup(func() {
				c.CloseNow()
				<-done
			})
		}},
	}
	stores := []struct {
		name string
		open func(b *testing.B) (*Router, string)
	}{
		{"bolt", benchIngestRouter},
		{"memory", func(b *testing.B) (*Router, string) {
			r, err := New(memory.New(), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close() })
			return r, benchIngestSource(b, r)
		}},
	}
	for _, s := range stores {
		for _, w := range []int{1, 8} {
			for _, v := range variants {
				b.Run(fmt.Sprintf("%s/writers=%d/%s", s.name, w, v.name), func(b *testing.B) {
					r, srcID := s.open(b)
					v.listen(b, r, srcID)
					ctx := context.Background()
					ingestRunWriters(b, w, func(i int) error {
						_, err := r.Ingest(ctx, srcID, ingestBenchRequest(srcID, i))
						return err
					})
				})
			}
		}
	}
}

// benchFeedClient opens r's feed on a loopback server and subscribes to
// events and to the source's events.
func benchFeedClient(b *testing.B, r *Router, srcID string) *websocket.Conn {
	b.Helper()
	if _, err := r.RegisterAPIKey(context.Background(), "bench", testKey); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	b.Cleanup(srv.Close)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, srv.URL+"/v1/ws?token="+testKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.Read(ctx) // the welcome
	for _, ch := range []string{ChannelEvents, "events:" + srcID} {
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","channel":"`+ch+`"}`)); err != nil {
			b.Fatal(err)
		}
		if _, msg, err := c.Read(ctx); err != nil || string(msg) != `{"type":"subscribed","channel":"`+ch+`"}` {
			b.Fatalf("subscribe: %s %v", msg, err)
		}
	}
	return c
}
