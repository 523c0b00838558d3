package hookstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hookstream-go/hookstream/store"
)

// The live feed's broker. Ingest and publish hand it each event once the
// store has made it durable, the attempt recorder each attempt once it is
// recorded, and websocket destinations their broadcasts. It offers each
// message to the subscribers of the matching channels of the message's
// tenant and never waits for one: a subscriber whose queue is full misses
// the message, and the next message it gets on that channel comes after a
// mark counting those it missed. While nothing is subscribed anywhere, a
// publish is one atomic load; documents are built only for channels
// someone listens to, once for all their subscribers.

// channelKind is what a feed channel carries.
type channelKind uint8

const (
	channelEvents     channelKind = iota + 1 // events, events:<source_id>
	channelDeliveries                        // deliveries, deliveries:<destination_id>
	channelBroadcast                         // a websocket destination's channel_name
)

// feedKey identifies a channel of a tenant: its kind, narrowed to a
// source or destination ID, or the broadcast channel's name (id "" is
// every event or every delivery).
type feedKey struct {
	orgID, envID string
	kind         channelKind
	id           string
}

// name is the channel's name as clients spell it.
func (k feedKey) name() string {
	switch {
	case k.kind == channelBroadcast:
		return k.id
	case k.kind == channelEvents && k.id == "":
		return ChannelEvents
	case k.kind == channelEvents:
		return ChannelEvents + ":" + k.id
	case k.id == "":
		return ChannelDeliveries
	}
	return ChannelDeliveries + ":" + k.id
}

// feed is the broker of one Router.
type feed struct {
	cfg FeedConfig
	// subscriptions counts every subscriber's channels: while it is zero,
	// publishers return at once.
	subscriptions atomic.Int64

	mu     sync.RWMutex
	subs   map[feedKey]map[*subscriber]struct{}
	closed bool
	// done is closed by close: subscribers stop waiting and sessions end.
	done chan struct{}
	// live counts the subscribers not closed yet, for close to wait for.
	live sync.WaitGroup

	// connMu guards the counts of WebSocket connections.
	connMu sync.Mutex
	conns  int
	perKey map[string]int
}

func newFeed(cfg FeedConfig) *feed {
	return &feed{cfg: cfg, subs: map[feedKey]map[*subscriber]struct{}{}, done: make(chan struct{}), perKey: map[string]int{}}
}

// close ends every subscription (Watch channels close, WebSocket sessions
// say goodbye) and waits for their owners to let go of them.
func (f *feed) close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
	f.mu.Unlock()
	f.live.Wait()
}

// admit counts a new WebSocket connection made with an API key (key is
// its hash), refusing it beyond Config.Feed's limits; release uncounts it.
func (f *feed) admit(key string) (release func(), err error) {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	switch {
	case f.conns >= f.cfg.MaxConnections:
		return nil, withMessage(errTooManyRequests, fmt.Sprintf("Too many live feed connections: the limit is %d", f.cfg.MaxConnections))
	case f.perKey[key] >= f.cfg.MaxConnectionsPerKey:
		return nil, withMessage(errTooManyRequests, fmt.Sprintf("Too many live feed connections for this API key: the limit is %d", f.cfg.MaxConnectionsPerKey))
	}
	f.conns++
	f.perKey[key]++
	return func() {
		f.connMu.Lock()
		defer f.connMu.Unlock()
		f.conns--
		if f.perKey[key]--; f.perKey[key] == 0 {
			delete(f.perKey, key)
		}
	}, nil
}

// publishEvent offers a durably stored event to the subscribers of events
// and of events:<its source>.
func (f *feed) publishEvent(ev *store.Event) {
	if f.subscriptions.Load() == 0 {
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	keys := [...]feedKey{
		{ev.OrgID, ev.EnvID, channelEvents, ""},
		{ev.OrgID, ev.EnvID, channelEvents, ev.SourceID},
	}
	n := len(keys)
	if ev.SourceID == "" {
		n = 1 // a topic's event: no source channel
	}
	var e *Event
	for _, key := range keys[:n] {
		subs := f.subs[key]
		if len(subs) == 0 {
			continue
		}
		if e == nil {
			e = newEvent(ev)
		}
		offer(subs, key, &feedItem{msg: FeedMessage{Type: FeedEvent, Channel: key.name(), Event: e}, size: eventSize(e)})
	}
}

// publishAttempt offers a recorded attempt to the subscribers of
// deliveries and of deliveries:<its destination>. a may be nil (an
// outcome without an attempt).
func (f *feed) publishAttempt(a *store.Attempt) {
	if f.subscriptions.Load() == 0 || a == nil {
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	var at *Attempt
	for _, key := range [...]feedKey{
		{a.OrgID, a.EnvID, channelDeliveries, ""},
		{a.OrgID, a.EnvID, channelDeliveries, a.DestinationID},
	} {
		subs := f.subs[key]
		if len(subs) == 0 {
			continue
		}
		if at == nil {
			at = newAttempt(a)
		}
		offer(subs, key, &feedItem{msg: FeedMessage{Type: FeedDelivery, Channel: key.name(), Attempt: at}, size: attemptSize(at)})
	}
}

// broadcast offers a websocket destination's delivery to the subscribers
// of its channel and returns how many there were.
func (f *feed) broadcast(t Tenant, channel string, msg *Message) int {
	if f.subscriptions.Load() == 0 {
		return 0
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	key := feedKey{t.OrgID, t.EnvID, channelBroadcast, channel}
	subs := f.subs[key]
	if len(subs) == 0 {
		return 0
	}
	b := &Broadcast{EventID: msg.EventID, DestinationID: msg.Destination.ID, Payload: msg.Body}
	offer(subs, key, &feedItem{msg: FeedMessage{Type: FeedEventDelivered, Channel: channel, Broadcast: b}, size: feedMessageOverhead + len(b.Payload)})
	return len(subs)
}

// offer queues one message for each subscriber of a channel.
func offer(subs map[*subscriber]struct{}, key feedKey, item *feedItem) {
	for s := range subs {
		s.offer(key, item)
	}
}

// feedItem is one message, shared by every subscriber of its channel.
type feedItem struct {
	msg FeedMessage
	// size approximates the memory the message holds, for BufferBytes.
	size int
	// wire is the JSON a WebSocket client gets, encoded once, by the first
	// session that writes it.
	wireOnce sync.Once
	wire     []byte
}

// encoded returns the message's JSON.
func (it *feedItem) encoded() []byte {
	it.wireOnce.Do(func() { it.wire = encodeFeedMessage(it.msg) })
	return it.wire
}

// feedMessageOverhead approximates the bytes of a message beyond its
// bodies and header maps.
const feedMessageOverhead = 512

func eventSize(e *Event) int {
	return feedMessageOverhead + len(e.Body) + mapSize(e.Headers) + mapSize(e.QueryParams)
}

func attemptSize(a *Attempt) int {
	return feedMessageOverhead + len(a.ResponseBody) + mapSize(a.RequestHeaders) + mapSize(a.ResponseHeaders)
}

func mapSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// maxQueuedReplies bounds the replies to a WebSocket client's requests
// waiting to be written; its next request is not read until one is.
const maxQueuedReplies = 16

// subscriber is one Watch or WebSocket connection: its channels and the
// queue of what it has not taken yet.
type subscriber struct {
	feed   *feed
	tenant Tenant
	// buffer and bufferBytes bound the messages queued and their size;
	// maxChannels bounds the channels.
	buffer, bufferBytes, maxChannels int

	mu sync.Mutex
	// queue is a ring of n entries from head, grown as needed within the
	// bounds.
	queue    []queued
	head, n  int
	messages int // message entries queued
	bytes    int // their size
	replies  int // replies queued or reserved
	channels map[feedKey]*subChannel
	// missed counts the channels with messages missed since their last
	// queued one.
	missed int
	closed bool
	// ready is signalled when something is queued or missed; room when a
	// reply leaves the queue.
	ready, room chan struct{}
}

// subChannel is a subscriber's channel, with how many of its messages the
// subscriber missed since the last one queued.
type subChannel struct {
	name    string
	dropped int
}

// queued is one entry of a subscriber's queue: a message (dropped says how
// many of its channel's messages were missed just before it), a reply to a
// WebSocket client, or a mark alone (dropped messages of channel).
type queued struct {
	item    *feedItem
	reply   []byte
	channel string
	dropped int
}

// message is the FeedMessage of a message or mark entry.
func (q queued) message() FeedMessage {
	if q.item != nil {
		return q.item.msg
	}
	return FeedMessage{Type: FeedDropped, Channel: q.channel, Dropped: q.dropped}
}

// newSubscriber registers a subscriber of tenant t with room for buffer
// messages; its owner must close it. After close it is ErrClosed.
func (f *feed) newSubscriber(t Tenant, buffer int) (*subscriber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	f.live.Add(1)
	return &subscriber{
		feed: f, tenant: t, buffer: buffer, bufferBytes: f.cfg.BufferBytes, maxChannels: f.cfg.MaxSubscriptions,
		channels: map[feedKey]*subChannel{}, ready: make(chan struct{}, 1), room: make(chan struct{}, 1),
	}, nil
}

// errTooManySubscriptions is a subscribe beyond Config.Feed.MaxSubscriptions.
type errTooManySubscriptions int

func (e errTooManySubscriptions) Error() string {
	return fmt.Sprintf("too many subscriptions: the limit is %d", int(e))
}

// subscribe adds a channel. reply, when set, is queued (under a
// reservation) before any message of the channel: publishers wait for the
// feed's lock.
func (s *subscriber) subscribe(key feedKey, reply []byte) error {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[key]; !ok {
		if len(s.channels) >= s.maxChannels {
			return errTooManySubscriptions(s.maxChannels)
		}
		s.channels[key] = &subChannel{name: key.name()}
		set := f.subs[key]
		if set == nil {
			set = map[*subscriber]struct{}{}
			f.subs[key] = set
		}
		set[s] = struct{}{}
		f.subscriptions.Add(1)
	}
	s.queueReply(reply)
	return nil
}

// unsubscribe removes a channel, queueing the mark of what it missed and
// then reply (under a reservation).
func (s *subscriber) unsubscribe(key feedKey, reply []byte) {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop(key)
	s.queueReply(reply)
}

// drop removes a channel; s.feed.mu and s.mu are held.
func (s *subscriber) drop(key feedKey) {
	ch, ok := s.channels[key]
	if !ok {
		return
	}
	if ch.dropped > 0 {
		s.missed--
		s.push(queued{channel: ch.name, dropped: ch.dropped})
		signal(s.ready)
	}
	delete(s.channels, key)
	f := s.feed
	delete(f.subs[key], s)
	if len(f.subs[key]) == 0 {
		delete(f.subs, key)
	}
	f.subscriptions.Add(-1)
}

// close removes every channel; the subscriber is done.
func (s *subscriber) close() {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for key := range s.channels {
		delete(f.subs[key], s)
		if len(f.subs[key]) == 0 {
			delete(f.subs, key)
		}
		f.subscriptions.Add(-1)
	}
	clear(s.channels)
	f.live.Done()
}

// offer queues a message of a channel, or counts it missed when the queue
// is full. It never waits.
func (s *subscriber) offer(key feedKey, item *feedItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[key]
	if ch == nil {
		return
	}
	if s.messages >= s.buffer || s.bytes+item.size > s.bufferBytes {
		if ch.dropped == 0 {
			s.missed++
		}
		ch.dropped++
	} else {
		if ch.dropped > 0 {
			s.missed--
		}
		s.push(queued{item: item, dropped: ch.dropped})
		ch.dropped = 0
		s.messages++
		s.bytes += item.size
	}
	signal(s.ready)
}

// reserveReply waits until a reply to one more request fits the queue
// (maxQueuedReplies), and reserves its room.
func (s *subscriber) reserveReply(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.replies < maxQueuedReplies {
			s.replies++
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		select {
		case <-s.room:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// reply queues a reply in the room reserveReply reserved.
func (s *subscriber) reply(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queueReply(b)
}

// queueReply queues a reserved reply; s.mu is held. nil queues nothing.
func (s *subscriber) queueReply(b []byte) {
	if b != nil {
		s.push(queued{reply: b})
		signal(s.ready)
	}
}

// next waits for the subscriber's next entry: a message, a reply, or the
// mark of messages missed. It fails when ctx ends or the feed closes.
func (s *subscriber) next(ctx context.Context) (queued, error) {
	for {
		if q, ok := s.take(); ok {
			return q, nil
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return queued{}, context.Cause(ctx)
		case <-s.feed.done:
			return queued{}, ErrClosed
		}
	}
}

// take returns the next entry if there is one. A message that follows
// missed ones of its channel is preceded by their mark; once the queue is
// empty, the marks of channels whose last messages were missed follow.
func (s *subscriber) take() (queued, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n > 0 {
		head := &s.queue[s.head]
		if head.item != nil && head.dropped > 0 {
			mark := queued{channel: head.item.msg.Channel, dropped: head.dropped}
			head.dropped = 0
			return mark, true
		}
		q := s.pop()
		switch {
		case q.item != nil:
			s.messages--
			s.bytes -= q.item.size
		case q.reply != nil:
			s.replies--
			signal(s.room)
		}
		return q, true
	}
	if s.missed == 0 {
		return queued{}, false
	}
	for _, ch := range s.channels {
		if ch.dropped > 0 {
			mark := queued{channel: ch.name, dropped: ch.dropped}
			ch.dropped = 0
			s.missed--
			return mark, true
		}
	}
	return queued{}, false
}

// push appends to the ring, growing it; s.mu is held.
func (s *subscriber) push(q queued) {
	if s.n == len(s.queue) {
		grown := make([]queued, max(16, 2*len(s.queue)))
		for i := range s.n {
			grown[i] = s.queue[(s.head+i)%len(s.queue)]
		}
		s.queue, s.head = grown, 0
	}
	s.queue[(s.head+s.n)%len(s.queue)] = q
	s.n++
}

// pop removes the ring's oldest entry; s.mu is held and s.n > 0.
func (s *subscriber) pop() queued {
	q := s.queue[s.head]
	s.queue[s.head] = queued{}
	s.head = (s.head + 1) % len(s.queue)
	s.n--
	return q
}

// signal wakes a waiter of c without ever blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
