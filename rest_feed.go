package hookstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// GET /v1/ws: the live feed over a WebSocket (spec §4.11). Every message
// is a JSON text message:
//
//	server  {"type": "welcome", "org_id", "env_id"}, once, first
//	client  {"type": "subscribe" | "unsubscribe", "channel": "<name>"}
//	server  {"type": "subscribed" | "unsubscribed", "channel"} in answer (a
//	        subscription's answer comes before any message of its channel),
//	        or {"type": "error", "channel", "error"}; the connection stays open
//	server  {"type": "event" | "delivery" | "event.delivered", "channel", "data"}
//	        and {"type": "dropped", "channel", "count"}
//
// A binary message closes the connection with 1003, one over
// maxFeedRequestBytes with 1009; a client that answers no ping, or reads
// nothing, for Config.Feed.PingInterval is disconnected; the Router's
// Close says goodbye with 1001.

// maxFeedRequestBytes bounds a client's message.
const maxFeedRequestBytes = 1024

// apiFeed serves GET /v1/ws. The API key was authenticated before: a
// header, or the token query parameter (see withQueryToken).
func (r *Router) apiFeed(w http.ResponseWriter, req *http.Request) error {
	if !headerHasToken(req.Header, "Connection", "upgrade") || !headerHasToken(req.Header, "Upgrade", "websocket") {
		return withMessage(errBadRequest, "GET /v1/ws is a WebSocket endpoint: the request needs Connection: Upgrade and Upgrade: websocket")
	}
	if err := checkOrigin(req, r.cfg.Feed.OriginPatterns); err != nil {
		return err
	}
	// The session outlives the request's context, but keeps its
	// credentials.
	ctx := context.WithoutCancel(req.Context())
	release, err := r.feed.admit(feedClientKey(req, r.caller(ctx).creds))
	if err != nil {
		return err
	}
	defer release()
	sub, err := r.feed.newSubscriber(r.tenant(ctx), r.cfg.Feed.Buffer)
	if err != nil {
		return err
	}
	defer sub.close()
	// The origin was checked above, answering a refusal in the API's form.
	conn, err := websocket.Accept(w, req, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has answered the request
	}
	(&feedSession{r: r, conn: conn, sub: sub}).run(ctx)
	return nil
}

// withQueryToken returns req with the API key of its token query
// parameter as its X-API-Key header, when it has no key header: browsers
// cannot set headers on a WebSocket.
func withQueryToken(req *http.Request) *http.Request {
	token := req.URL.Query().Get("token")
	if token == "" || requestAPIKey(req) != "" {
		return req
	}
	req = req.Clone(req.Context())
	req.Header.Set("X-API-Key", token)
	return req
}

// feedClientKey is what MaxConnectionsPerKey counts by: the hash of the
// request's API key, or its tenant's when the Authenticator took none.
func feedClientKey(req *http.Request, c Credentials) string {
	key := requestAPIKey(req)
	if key == "" {
		key = "tenant " + c.Tenant.OrgID + " " + c.Tenant.EnvID
	}
	return hashKey(key)
}

// headerHasToken reports whether a comma-separated header holds token,
// case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkOrigin refuses a browser's upgrade from another origin than the
// server's host unless it matches one of patterns (Config.Feed's
// OriginPatterns), as websocket.Accept would, but with the API's 403.
// Without it, any web page a user visits could open the feed with
// credentials the browser adds by itself (the cookies of a custom
// Authenticator).
func checkOrigin(req *http.Request, patterns []string) error {
	origin := req.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" {
		if strings.EqualFold(u.Host, req.Host) {
			return nil
		}
		for _, p := range patterns {
			target := u.Host
			if strings.Contains(p, "://") {
				target = u.Scheme + "://" + u.Host
			}
			if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
				return nil
			}
		}
	}
	return withMessage(ErrForbidden, "Origin "+origin+" may not open the live feed: add it to Config.Feed.OriginPatterns")
}

// feedSession is one WebSocket client of the feed.
type feedSession struct {
	r    *Router
	conn *websocket.Conn
	sub  *subscriber
}

// Why a session ends, besides the client's closing it.
var (
	errFeedBinary  = errors.New("binary messages are not supported")
	errFeedTimeout = errors.New("the client answered no ping or read nothing in time")
)

// run serves the session until the client leaves, breaks the protocol or
// stops reading, or the Router closes. ctx carries the client's
// credentials.
func (s *feedSession) run(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.conn.SetReadLimit(maxFeedRequestBytes)
	t := s.sub.tenant
	if s.write(encodeWire(wireWelcome{Type: "welcome", OrgID: t.OrgID, EnvID: t.EnvID})) != nil {
		s.conn.CloseNow()
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { cancel(s.writeLoop(ctx)) })
	wg.Go(func() { cancel(s.pingLoop(ctx)) })
	wg.Go(func() { cancel(s.readLoop(ctx)) })
	select {
	case <-ctx.Done():
	case <-s.r.feed.done:
		cancel(ErrClosed)
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errFeedTimeout):
		s.conn.CloseNow() // it does not read: no close handshake
	case errors.Is(cause, ErrClosed):
		s.conn.Close(websocket.StatusGoingAway, "the server is shutting down")
	case errors.Is(cause, errFeedBinary):
		s.conn.Close(websocket.StatusUnsupportedData, cause.Error())
	default: // the client closed, or a message was too long (1009 sent)
		s.conn.Close(websocket.StatusNormalClosure, "")
	}
	wg.Wait()
}

// writeLoop writes the subscriber's queue to the client.
func (s *feedSession) writeLoop(ctx context.Context) error {
	for {
		q, err := s.sub.next(ctx)
		if err != nil {
			return err
		}
		if s.write(q.wire()) != nil {
			return errFeedTimeout
		}
	}
}

// write writes one message within Config.Feed.PingInterval (the library
// closes the connection when it takes longer).
func (s *feedSession) write(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.r.cfg.Feed.PingInterval)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, b)
}

// pingLoop pings the client every Config.Feed.PingInterval, and ends the
// session when a pong does not come within it.
func (s *feedSession) pingLoop(ctx context.Context) error {
	interval := s.r.cfg.Feed.PingInterval
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		pingCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), interval)
		err := s.conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return errFeedTimeout
		}
	}
}

// readLoop reads the client's requests and answers each, one at a time:
// while maxQueuedReplies answers wait to be written, it reads no more.
func (s *feedSession) readLoop(ctx context.Context) error {
	for {
		// Not ctx: cancelling a read closes the connection without a close
		// frame; run's Close ends it instead.
		typ, data, err := s.conn.Read(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		if typ != websocket.MessageText {
			return errFeedBinary
		}
		if err := s.sub.reserveReply(ctx); err != nil {
			return err
		}
		s.handle(ctx, data)
	}
}

// feedRequest is a client's message.
type feedRequest struct {
	Type    string `json:"type"`
	Channel string `json:"channel"`
}

// handle answers one request, in the room reserved for its reply.
func (s *feedSession) handle(ctx context.Context, data []byte) {
	var req feedRequest
	if json.Unmarshal(data, &req) != nil {
		s.sub.reply(feedReply("error", "", `Invalid message: expected {"type": "subscribe" or "unsubscribe", "channel": "<name>"}`))
		return
	}
	subscribe := req.Type == "subscribe"
	if !subscribe && req.Type != "unsubscribe" {
		s.sub.reply(feedReply("error", req.Channel, fmt.Sprintf("Unknown message type %q: expected subscribe or unsubscribe", req.Type)))
		return
	}
	key, err := s.r.feedChannel(ctx, req.Channel, subscribe)
	var bad badChannelError
	switch {
	case errors.As(err, &bad):
		s.sub.reply(feedReply("error", req.Channel, "Invalid channel: "+bad.Error()))
	case err != nil:
		s.r.log.Error("hookstream: live feed subscribe", "channel", req.Channel, "error", err)
		s.sub.reply(feedReply("error", req.Channel, "Internal server error"))
	case subscribe:
		if err := s.sub.subscribe(key, feedReply("subscribed", key.name(), "")); err != nil {
			s.sub.reply(feedReply("error", req.Channel, "Too many subscriptions: the limit is "+itoa(s.sub.maxChannels)))
		}
	default:
		s.sub.unsubscribe(key, feedReply("unsubscribed", key.name(), ""))
	}
}

// The wire forms of the feed's messages.
type (
	wireWelcome struct {
		Type  string `json:"type"`
		OrgID string `json:"org_id"`
		EnvID string `json:"env_id"`
	}
	wireFeedReply struct {
		Type    string `json:"type"`
		Channel string `json:"channel,omitempty"`
		Error   string `json:"error,omitempty"`
	}
	wireFeedMessage[T any] struct {
		Type    FeedMessageType `json:"type"`
		Channel string          `json:"channel"`
		Data    T               `json:"data"`
	}
	wireDropped struct {
		Type    FeedMessageType `json:"type"`
		Channel string          `json:"channel"`
		Count   int             `json:"count"`
	}
	// wireBroadcast is a websocket destination's delivery: the body as a
	// string, base64 (payload_encoding) when it is not UTF-8.
	wireBroadcast struct {
		EventID         string `json:"event_id"`
		DestinationID   string `json:"destination_id"`
		Payload         string `json:"payload"`
		PayloadEncoding string `json:"payload_encoding,omitempty"`
	}
)

func feedReply(typ, channel, msg string) []byte {
	return encodeWire(wireFeedReply{Type: typ, Channel: channel, Error: msg})
}

// wire is the JSON of a queue entry.
func (q queued) wire() []byte {
	switch {
	case q.item != nil:
		return q.item.encoded()
	case q.reply != nil:
		return q.reply
	}
	return encodeWire(wireDropped{Type: FeedDropped, Channel: q.channel, Count: q.dropped})
}

// encodeFeedMessage is a message's JSON: its data is the event summary of
// GET /v1/events, the attempt of GET /v1/delivery-attempts, or a
// broadcast.
func encodeFeedMessage(m FeedMessage) []byte {
	switch m.Type {
	case FeedEvent:
		return encodeWire(wireFeedMessage[wireEventSummary]{m.Type, m.Channel, toWireEventSummary(m.Event)})
	case FeedDelivery:
		return encodeWire(wireFeedMessage[wireAttempt]{m.Type, m.Channel, toWireAttempt(m.Attempt)})
	case FeedEventDelivered:
		b := wireBroadcast{EventID: m.Broadcast.EventID, DestinationID: m.Broadcast.DestinationID}
		if utf8.Valid(m.Broadcast.Payload) {
			b.Payload = string(m.Broadcast.Payload)
		} else {
			b.Payload, b.PayloadEncoding = base64.StdEncoding.EncodeToString(m.Broadcast.Payload), "base64"
		}
		return encodeWire(wireFeedMessage[wireBroadcast]{m.Type, m.Channel, b})
	}
	return encodeWire(wireDropped{Type: m.Type, Channel: m.Channel, Count: m.Dropped})
}

// encodeWire encodes v as the REST API does (no HTML escaping).
func encodeWire(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // plain structs of strings and numbers: cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
