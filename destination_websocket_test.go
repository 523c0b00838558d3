package hookstream

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestDestination_Websocket(t *testing.T) {
	t.Parallel()

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		ok := mustCall(t, r, "POST", "/v1/destinations", map[string]any{
			"name": "Live", "type": "websocket", "provider_config": map[string]any{"channel_name": "orders.eu_1-a"},
		}, 201)
		if d, _ := ok["destination"].(map[string]any); d["type"] != "websocket" || d["provider_config"] != `{"channel_name":"orders.eu_1-a"}` {
			t.Errorf("created %v", ok)
		}
		for _, c := range []struct {
			config any
			want   string
		}{
			{nil, "needs channel_name"},
			{map[string]any{}, "needs channel_name"},
			{map[string]any{"channel_name": 5}, "needs channel_name"},
			{map[string]any{"channel_name": "Orders"}, "must match ^[a-z0-9._-]+$"},
			{map[string]any{"channel_name": "a:b"}, "must match ^[a-z0-9._-]+$"},
			{map[string]any{"channel_name": strings.Repeat("a", maxChannelName+1)}, "at most 100 characters"},
			{map[string]any{"channel_name": "events"}, "must not be events"},
			{map[string]any{"channel_name": "deliveries"}, "must not be deliveries"},
		} {
			body := map[string]any{"name": "Live", "type": "websocket"}
			if c.config != nil {
				body["provider_config"] = c.config
			}
			res := call(t, r, "POST", "/v1/destinations", testKey, body)
			if res.status != 400 || !strings.Contains(string(res.body), "Invalid body: 'provider_config' ") || !strings.Contains(string(res.body), c.want) {
				t.Errorf("provider_config %v: %d %s, want a 400 saying %q", c.config, res.status, res.body, c.want)
			}
		}
	})

	t.Run("BroadcastsEachDelivery", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		srv := feedServer(t, r)
		ctx := context.Background()
		ctxB := WithTenant(ctx, Tenant{OrgID: DefaultOrgID, EnvID: "env_b"})
		// One source and websocket destination on channel "orders" in each
		// of two environments.
		route := func(ctx context.Context) (*Source, *Destination) {
			src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Shop")})
			if err != nil {
				t.Fatal(err)
			}
			dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Live"), Type: ptr("websocket"),
				ProviderConfig: json.RawMessage(`{"channel_name": "orders"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("live")}); err != nil {
				t.Fatal(err)
			}
			return src, dst
		}
		src, dst := route(ctx)
		srcB, dstB := route(ctxB)
		c, _ := dialFeed(t, srv, "?token="+testKey, nil)
		c.subscribe("orders")
		c.subscribe("deliveries:" + dst.ID)
		watchB, err := r.Watch(ctxB, WatchParams{Channels: []string{"orders"}})
		if err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)

		ids := ingestEvents(t, r, src.ID, 1)
		var delivered struct {
			EventID         string `json:"event_id"`
			DestinationID   string `json:"destination_id"`
			Payload         string `json:"payload"`
			PayloadEncoding string `json:"payload_encoding"`
		}
		m := c.next()
		if m.Type != "event.delivered" || m.Channel != "orders" || json.Unmarshal(m.Data, &delivered) != nil {
			t.Fatalf("message %+v, want the broadcast", m)
		}
		if delivered.EventID != ids[0] || delivered.DestinationID != dst.ID || delivered.Payload != `{"n": 0}` || delivered.PayloadEncoding != "" {
			t.Fatalf("broadcast %+v, want the raw body of %s", delivered, ids[0])
		}
		var a wireAttempt
		if m := c.next(); m.Type != "delivery" || json.Unmarshal(m.Data, &a) != nil {
			t.Fatalf("message %+v, want the attempt", m)
		}
		if a.Status != "success" || a.ResponseStatus == nil || *a.ResponseStatus != 200 || a.ResponseBody == nil ||
			*a.ResponseBody != `{"channel":"orders","subscribers":1}` {
			t.Fatalf("attempt %+v, want a success to one subscriber", a)
		}

		// B's subscriber of "orders" got none of that: its first broadcast
		// is B's own.
		idsB := ingestEvents(t, r, srcB.ID, 1)
		if m := recvWatch(t, watchB); m.Type != FeedEventDelivered || m.Broadcast.EventID != idsB[0] || m.Broadcast.DestinationID != dstB.ID {
			t.Fatalf("B's watcher got %+v first, want B's broadcast", m)
		}
	})

	t.Run("BinaryPayloadInBase64", func(t *testing.T) {
		t.Parallel()
		got := encodeFeedMessage(FeedMessage{Type: FeedEventDelivered, Channel: "bin",
			Broadcast: &Broadcast{EventID: "evt_1", DestinationID: "dst_1", Payload: []byte{0xff, 0x00, '<'}}})
		want := `{"type":"event.delivered","channel":"bin","data":{"event_id":"evt_1","destination_id":"dst_1","payload":"/wA8","payload_encoding":"base64"}}`
		if string(got) != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}
