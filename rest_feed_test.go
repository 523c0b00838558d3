package hookstream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// feedServer serves r's REST API on loopback; at cleanup it closes the
// Router (ending every feed session) and then the server.
func feedServer(t *testing.T, r *Router) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(func() {
		r.Close()
		srv.Close()
	})
	return srv
}

// feedClient is a WebSocket client of GET /v1/ws.
type feedClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// feedMsg is any message of the feed's protocol.
type feedMsg struct {
	Type    string          `json:"type"`
	Channel string          `json:"channel"`
	OrgID   string          `json:"org_id"`
	EnvID   string          `json:"env_id"`
	Error   string          `json:"error"`
	Count   int             `json:"count"`
	Data    json.RawMessage `json:"data"`
}

// dialFeed opens the feed with query (e.g. "?token=…") and opts, and
// reads its welcome.
func dialFeed(t *testing.T, srv *httptest.Server, query string, opts *websocket.DialOptions) (*feedClient, feedMsg) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, srv.URL+"/v1/ws"+query, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", res.StatusCode)
	}
	c := &feedClient{t: t, conn: conn}
	t.Cleanup(func() { conn.CloseNow() })
	welcome := c.next()
	if welcome.Type != "welcome" {
		t.Fatalf("first message %+v, want the welcome", welcome)
	}
	return c, welcome
}

// dialRefused dials and returns the error answer given before any upgrade.
func dialRefused(t *testing.T, srv *httptest.Server, query string, opts *websocket.DialOptions) (int, errorBody) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, srv.URL+"/v1/ws"+query, opts)
	if err == nil {
		conn.CloseNow()
		t.Fatalf("dial %s succeeded, want a refusal", query)
	}
	if res == nil {
		t.Fatalf("dial: %v, without an answer", err)
	}
	var body errorBody
	data, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(data, &body); err != nil || body.RequestID == "" {
		t.Fatalf("refusal %d is not the API's error body: %s", res.StatusCode, data)
	}
	return res.StatusCode, body
}

func (c *feedClient) send(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.MessageText, data)
}

func (c *feedClient) sendRaw(typ websocket.MessageType, data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, typ, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads the next message.
func (c *feedClient) next() feedMsg {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *feedClient) read() (feedMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	typ, data, err := c.conn.Read(ctx)
	if err != nil {
		return feedMsg{}, err
	}
	var m feedMsg
	if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil {
		c.t.Fatalf("not a JSON text message: %s", data)
	}
	return m, nil
}

// request sends a request and returns its answer.
func (c *feedClient) request(typ, channel string) feedMsg {
	c.t.Helper()
	c.send(map[string]string{"type": typ, "channel": channel})
	return c.next()
}

// subscribe subscribes to channel, failing unless it is answered so.
func (c *feedClient) subscribe(channel string) {
	c.t.Helper()
	if m := c.request("subscribe", channel); m.Type != "subscribed" || m.Channel != channel {
		c.t.Fatalf("subscribe %s: %+v", channel, m)
	}
}

// closeStatus reads until the server closes, and returns its close code.
func (c *feedClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.read()
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestHandler_Feed(t *testing.T) {
	t.Parallel()

	t.Run("Authentication", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		srv := feedServer(t, r)
		for name, opts := range map[string]*websocket.DialOptions{
			"X-API-Key":     {HTTPHeader: http.Header{"X-Api-Key": {testKey}}},
			"Authorization": {HTTPHeader: http.Header{"Authorization": {"Bearer " + testKey}}},
		} {
			c, welcome := dialFeed(t, srv, "", opts)
			if welcome.OrgID != DefaultOrgID || welcome.EnvID != DefaultEnvID {
				t.Errorf("%s: welcome %+v", name, welcome)
			}
			c.conn.Close(websocket.StatusNormalClosure, "")
		}
		if _, welcome := dialFeed(t, srv, "?token="+testKey, nil); welcome.EnvID != DefaultEnvID {
			t.Errorf("token: welcome %+v", welcome)
		}
		for query, want := range map[string]string{
			"":                             "Missing API key",
			"?token=hs_live_nope":          "Invalid API key",
			"?token=hs_live_" + hex64('9'): "Invalid API key",
		} {
			if status, body := dialRefused(t, srv, query, nil); status != http.StatusUnauthorized || body.Error != want {
				t.Errorf("%q: %d %+v, want 401 %s", query, status, body, want)
			}
		}
		// The header wins over the query.
		bad := &websocket.DialOptions{HTTPHeader: http.Header{"X-Api-Key": {"hs_live_" + hex64('9')}}}
		if status, _ := dialRefused(t, srv, "?token="+testKey, bad); status != http.StatusUnauthorized {
			t.Errorf("a bad header beside a good token: %d, want 401", status)
		}
		// Not an upgrade: a 400 in the API's form.
		res, err := http.Get(srv.URL + "/v1/ws?token=" + testKey)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "WebSocket") {
			t.Errorf("GET without an upgrade: %d %s, want a 400 naming the WebSocket", res.StatusCode, body)
		}
	})

	t.Run("Tenancy", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		srv := feedServer(t, r)
		ctx := context.Background()
		env, err := r.CreateEnvironment(ctx, EnvironmentParams{Name: ptr("Staging")})
		if err != nil {
			t.Fatal(err)
		}
		ctxB := WithTenant(ctx, Tenant{OrgID: DefaultOrgID, EnvID: env.ID})
		_, keyB, err := r.CreateAPIKey(ctxB, APIKeyParams{Name: "b"})
		if err != nil {
			t.Fatal(err)
		}
		srcA, err := r.CreateSource(ctx, SourceParams{Name: ptr("A")})
		if err != nil {
			t.Fatal(err)
		}
		srcB, err := r.CreateSource(ctxB, SourceParams{Name: ptr("B")})
		if err != nil {
			t.Fatal(err)
		}
		b, welcome := dialFeed(t, srv, "?token="+keyB, nil)
		if welcome.EnvID != env.ID {
			t.Fatalf("welcome %+v, want env %s", welcome, env.ID)
		}
		b.subscribe(ChannelEvents)
		// An environment key cannot reach another environment.
		if m := b.request("subscribe", "events:"+srcA.ID); m.Type != "error" || !strings.Contains(m.Error, "no source of this environment") {
			t.Errorf("B subscribing to A's source: %+v", m)
		}
		if status, _ := dialRefused(t, srv, "?token="+keyB+"&env_id="+DefaultEnvID, nil); status != http.StatusForbidden {
			t.Errorf("B's key acting in A: %d, want 403", status)
		}
		// The org key may act in B.
		if _, welcome := dialFeed(t, srv, "?token="+testKey+"&env_id="+env.ID, nil); welcome.EnvID != env.ID {
			t.Errorf("org key in B: welcome %+v", welcome)
		}
		ingestEvents(t, r, srcA.ID, 5)
		wantB := ingestEvents(t, r, srcB.ID, 1)
		// A's events were published first: B sees B's alone.
		if m := b.next(); m.Type != "event" || !strings.Contains(string(m.Data), wantB[0]) {
			t.Errorf("B's first message %+v, want B's event", m)
		}
	})

	t.Run("BadMessages", func(t *testing.T) {
		t.Parallel()
		r, src, _ := inprocFixture(t, &Config{Feed: FeedConfig{MaxSubscriptions: 2}})
		srv := feedServer(t, r)
		c, _ := dialFeed(t, srv, "?token="+testKey, nil)
		for _, bad := range []struct{ msg, channel, want string }{
			{`not json`, "", "Invalid message"},
			{`["subscribe"]`, "", "Invalid message"},
			{`{"type": "listen", "channel": "events"}`, "events", `Unknown message type "listen"`},
			{`{"type": "subscribe"}`, "", `"" is not a channel`},
			{`{"type": "subscribe", "channel": "things:1"}`, "things:1", `"things:1" is not a channel`},
			{`{"type": "subscribe", "channel": "Orders"}`, "Orders", "is not a channel"},
			{`{"type": "subscribe", "channel": "events:src_x"}`, "events:src_x", "does not name a source"},
			{`{"type": "subscribe", "channel": "deliveries:` + newID(prefixDestination) + `"}`, "", "no destination of this environment"},
		} {
			c.sendRaw(websocket.MessageText, []byte(bad.msg))
			m := c.next()
			if m.Type != "error" || !strings.Contains(m.Error, bad.want) || (bad.channel != "" && m.Channel != bad.channel) {
				t.Errorf("%s: %+v, want an error with %q", bad.msg, m, bad.want)
			}
		}
		// Still open: subscriptions work, bare hex IDs too, up to the limit.
		c.subscribe(ChannelEvents)
		if m := c.request("subscribe", "events:"+strings.TrimPrefix(src.ID, prefixSource)); m.Type != "subscribed" || m.Channel != "events:"+src.ID {
			t.Errorf("subscribe with a bare ID: %+v", m)
		}
		c.subscribe(ChannelEvents) // again: no new subscription
		if m := c.request("subscribe", ChannelDeliveries); m.Type != "error" || m.Error != "Too many subscriptions: the limit is 2" {
			t.Errorf("a third subscription: %+v", m)
		}
		if m := c.request("unsubscribe", "events:"+src.ID); m.Type != "unsubscribed" {
			t.Errorf("unsubscribe: %+v", m)
		}
		c.subscribe(ChannelDeliveries)
		// After its answer, an unsubscribed channel carries nothing.
		if m := c.request("unsubscribe", ChannelEvents); m.Type != "unsubscribed" {
			t.Errorf("unsubscribe: %+v", m)
		}
		ingestEvents(t, r, src.ID, 1)
		runRouter(t, r)
		if m := c.next(); m.Type != "delivery" || m.Channel != ChannelDeliveries {
			t.Errorf("after unsubscribing events: %+v, want the delivery", m)
		}

		// A binary message closes with 1003, one too long with 1009.
		c.sendRaw(websocket.MessageBinary, []byte(`{}`))
		if code := c.closeStatus(); code != websocket.StatusUnsupportedData {
			t.Errorf("binary message: close %d, want 1003", code)
		}
		c, _ = dialFeed(t, srv, "?token="+testKey, nil)
		c.sendRaw(websocket.MessageText, []byte(`{"type": "subscribe", "channel": "`+strings.Repeat("a", maxFeedRequestBytes)+`"}`))
		if code := c.closeStatus(); code != websocket.StatusMessageTooBig {
			t.Errorf("long message: close %d, want 1009", code)
		}
	})

	t.Run("ConnectionLimits", func(t *testing.T) {
		t.Parallel()
		r := setup(t, &Config{Feed: FeedConfig{MaxConnections: 2, MaxConnectionsPerKey: 1}})
		srv := feedServer(t, r)
		ctx := context.Background()
		_, other, err := r.CreateAPIKey(ctx, APIKeyParams{Name: "other"})
		if err != nil {
			t.Fatal(err)
		}
		_, third, err := r.CreateAPIKey(ctx, APIKeyParams{Name: "third"})
		if err != nil {
			t.Fatal(err)
		}
		dialFeed(t, srv, "?token="+testKey, nil)
		if status, body := dialRefused(t, srv, "?token="+testKey, nil); status != http.StatusTooManyRequests || !strings.Contains(body.Error, "for this API key: the limit is 1") {
			t.Errorf("a second connection of the key: %d %+v, want 429", status, body)
		}
		dialFeed(t, srv, "?token="+other, nil)
		if status, body := dialRefused(t, srv, "?token="+third, nil); status != http.StatusTooManyRequests || body.Error != "Too many live feed connections: the limit is 2" {
			t.Errorf("a third connection: %d %+v, want 429", status, body)
		}
	})

	t.Run("Origin", func(t *testing.T) {
		t.Parallel()
		r := setup(t, &Config{Feed: FeedConfig{OriginPatterns: []string{"*.example.com"}}})
		srv := feedServer(t, r)
		origin := func(o string) *websocket.DialOptions {
			return &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {o}}}
		}
		if status, body := dialRefused(t, srv, "?token="+testKey, origin("https://evil.test")); status != http.StatusForbidden || !strings.Contains(body.Error, "OriginPatterns") {
			t.Errorf("another origin: %d %+v, want 403", status, body)
		}
		dialFeed(t, srv, "?token="+testKey, origin("https://dashboard.example.com"))
		dialFeed(t, srv, "?token="+testKey, origin("http://"+strings.TrimPrefix(srv.URL, "http://"))) // its own
		if _, err := New(r.Store(), &Config{Feed: FeedConfig{OriginPatterns: []string{"["}}}); err == nil {
			t.Error("a malformed origin pattern was accepted")
		}
	})

	t.Run("LoadInOrder", func(t *testing.T) {
		t.Parallel()
		r, src, dst := inprocFixture(t, &Config{Feed: FeedConfig{Buffer: 20000, BufferBytes: 64 << 20}})
		srv := feedServer(t, r)
		c, _ := dialFeed(t, srv, "?token="+testKey, nil)
		channels := []string{ChannelEvents, "events:" + src.ID, ChannelDeliveries, "deliveries:" + dst.ID}
		for _, ch := range channels {
			c.subscribe(ch)
		}
		runRouter(t, r)
		const n = 2000
		want := ingestEvents(t, r, src.ID, n)
		got := map[string][]string{} // channel → event IDs, or attempt IDs
		attempted := map[string]int{}
		for seen := 0; seen < 4*n; seen++ {
			m := c.next()
			switch m.Type {
			case "event":
				var e wireEventSummary
				json.Unmarshal(m.Data, &e)
				if e.SourceID == nil || *e.SourceID != src.ID || e.PayloadSize == 0 || e.Status != "processing" {
					t.Fatalf("event %s", m.Data)
				}
				got[m.Channel] = append(got[m.Channel], e.ID)
			case "delivery":
				var a wireAttempt
				json.Unmarshal(m.Data, &a)
				if a.DestinationID != dst.ID || a.Status != "success" || a.TriggerType != "initial" {
					t.Fatalf("attempt %s", m.Data)
				}
				got[m.Channel] = append(got[m.Channel], a.ID)
				attempted[a.EventID]++
			default:
				t.Fatalf("message %+v (a drop with a buffer for all?)", m)
			}
		}
		for _, ch := range channels[:2] {
			if strings.Join(got[ch], " ") != strings.Join(want, " ") {
				t.Fatalf("%s: %d events, not the %d ingested in their order", ch, len(got[ch]), n)
			}
		}
		if strings.Join(got[channels[2]], " ") != strings.Join(got[channels[3]], " ") || len(got[channels[2]]) != n {
			t.Fatalf("deliveries: %d and %d attempts, want the same %d", len(got[channels[2]]), len(got[channels[3]]), n)
		}
		for _, id := range want {
			if attempted[id] != 2 { // once on each deliveries channel
				t.Fatalf("event %s: %d attempt messages, want 2", id, attempted[id])
			}
		}
		// The documents are those of the REST listings.
		res := call(t, r, "GET", "/v1/delivery-attempts?limit=1&event_id="+want[n-1], testKey, nil)
		var listed struct {
			Attempts []json.RawMessage `json:"delivery_attempts"`
		}
		json.Unmarshal(res.body, &listed)
		var last wireAttempt
		json.Unmarshal(listed.Attempts[0], &last)
		if !strings.Contains(strings.Join(got[ChannelDeliveries], " "), last.ID) {
			t.Fatalf("the listed attempt %s was not in the feed", last.ID)
		}
	})

	t.Run("StalledClientGetsMarks", func(t *testing.T) {
		t.Parallel()
		const buffer, n = 16, 3000
		r, src, _ := inprocFixture(t, &Config{Feed: FeedConfig{Buffer: buffer}})
		// Small socket buffers, so the stall reaches the server's queue.
		srv := httptest.NewUnstartedServer(r.Handler())
		srv.Listener = smallBufferListener{srv.Listener}
		srv.Start()
		t.Cleanup(func() {
			r.Close()
			srv.Close()
		})
		dialer := &net.Dialer{}
		c, _ := dialFeed(t, srv, "?token="+testKey, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := dialer.DialContext(ctx, network, addr)
				if err == nil {
					err = conn.(*net.TCPConn).SetReadBuffer(4096)
				}
				return conn, err
			},
		}}})
		c.subscribe(ChannelEvents)
		want := ingestEvents(t, r, src.ID, n) // the client reads nothing meanwhile
		events, dropped, marks, next := 0, 0, 0, 0
		for events+dropped < n {
			m := c.next()
			switch m.Type {
			case "event":
				var e wireEventSummary
				json.Unmarshal(m.Data, &e)
				i := indexOf(want, e.ID)
				if i < next {
					t.Fatalf("event %d after %d", i, next-1)
				}
				next = i + 1
				events++
			case "dropped":
				if m.Channel != ChannelEvents || m.Count < 1 {
					t.Fatalf("mark %+v", m)
				}
				dropped += m.Count
				marks++
			default:
				t.Fatalf("message %+v", m)
			}
		}
		if events+dropped != n || marks == 0 {
			t.Fatalf("%d events and %d dropped in %d marks, want %d in all, some dropped", events, dropped, marks, n)
		}
	})

	t.Run("PingTimeout", func(t *testing.T) {
		t.Parallel()
		r := setup(t, &Config{Feed: FeedConfig{PingInterval: 20 * time.Millisecond}})
		srv := feedServer(t, r)
		// A raw client: it completes the handshake and never answers a ping.
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(testTimeout)) // a guard, not a wait
		fmt.Fprintf(conn, "GET /v1/ws?token=%s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", testKey, srv.Listener.Addr())
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", res, err)
		}
		frames, err := io.ReadAll(br) // the welcome, pings, then the server's close
		if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("read: %v", err)
		}
		if !strings.Contains(string(frames), `"type":"welcome"`) || !strings.Contains(string(frames), "\x89") {
			t.Fatalf("frames %q, want the welcome and a ping", frames)
		}
	})

	t.Run("RouterCloseSaysGoingAway", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		srv := feedServer(t, r)
		c, _ := dialFeed(t, srv, "?token="+testKey, nil)
		c.subscribe(ChannelEvents)
		closed := make(chan error, 1)
		go func() { closed <- r.Close() }()
		if code := c.closeStatus(); code != websocket.StatusGoingAway {
			t.Errorf("close %d, want 1001", code)
		}
		if err := <-closed; err != nil {
			t.Error(err)
		}
	})

	t.Run("Documented", func(t *testing.T) {
		t.Parallel()
		r := setup(t, nil)
		spec := fetchOpenAPI(t, r)
		op := spec.ops["GET /v1/ws"]
		responses, _ := op["responses"].(map[string]any)
		for _, code := range []string{"101", "400", "401", "403", "429"} {
			if responses[code] == nil {
				t.Errorf("GET /v1/ws does not document %s", code)
			}
		}
		if spec.parameters("GET /v1/ws")["query token"] == nil {
			t.Error("GET /v1/ws does not document ?token=")
		}
	})
}

// smallBufferListener gives accepted connections a small send buffer.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		err = conn.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return conn, err
}

// isReset reports whether err is a connection reset by the peer.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// hex64 is 64 hex digits c.
func hex64(c byte) string { return strings.Repeat(string(c), 64) }
