package hookstream

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// The live feed in the Go API: Watch streams what GET /v1/ws streams
// (spec §4.11), on a Go channel.

// Channels of the live feed. A channel narrowed to one source or
// destination is ChannelEvents or ChannelDeliveries, a colon and its ID
// ("events:src_…"); a websocket destination broadcasts on the channel its
// provider_config names (channel_name).
const (
	// ChannelEvents carries every event stored in the tenant.
	ChannelEvents = "events"
	// ChannelDeliveries carries every delivery attempt recorded in the
	// tenant.
	ChannelDeliveries = "deliveries"
)

// Defaults of FeedConfig.
const (
	DefaultFeedMaxConnections       = 1000
	DefaultFeedMaxConnectionsPerKey = 20
	DefaultFeedMaxSubscriptions     = 100
	DefaultFeedBuffer               = 1024
	DefaultFeedBufferBytes          = 8 << 20
	DefaultFeedPingInterval         = 30 * time.Second
)

// FeedConfig bounds the live feed: GET /v1/ws and Watch. The zero value
// takes every default.
type FeedConfig struct {
	// MaxConnections bounds the WebSocket connections open at once (429
	// beyond it). Defaults to DefaultFeedMaxConnections (1,000).
	MaxConnections int
	// MaxConnectionsPerKey bounds those made with one API key (or, with an
	// Authenticator that takes no key, by one tenant). Defaults to
	// DefaultFeedMaxConnectionsPerKey (20).
	MaxConnectionsPerKey int
	// MaxSubscriptions bounds the channels of one connection or Watch.
	// Defaults to DefaultFeedMaxSubscriptions (100).
	MaxSubscriptions int
	// Buffer is how many messages wait for a slow client before newer ones
	// are dropped (and counted in a dropped message). Defaults to
	// DefaultFeedBuffer (1,024).
	Buffer int
	// BufferBytes bounds the memory the messages waiting for one client
	// hold (bodies and header maps, plus 512 bytes a message): a message
	// that does not fit is dropped as one beyond Buffer is. Defaults to
	// DefaultFeedBufferBytes (8 MiB).
	BufferBytes int
	// PingInterval is how often a WebSocket connection is pinged; a ping
	// not answered, or a message not written, within it closes the
	// connection. Defaults to DefaultFeedPingInterval (30 s).
	PingInterval time.Duration
	// OriginPatterns are the browser origins, besides the server's own
	// host, that may open the feed: host patterns in path.Match syntax
	// ("dashboard.example.com", "*.example.com"), or scheme://host
	// patterns. Requests without an Origin header (non-browser clients)
	// are always allowed. Defaults to none.
	OriginPatterns []string
}

// withDefaults fills in c's defaults and checks it.
func (c *FeedConfig) withDefaults() error {
	c.OriginPatterns = slices.Clone(c.OriginPatterns)
	for i, p := range c.OriginPatterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("hookstream: Config.Feed.OriginPatterns[%d]: %w", i, err)
		}
	}
	return errors.Join(
		orDefault("Feed.MaxConnections", &c.MaxConnections, DefaultFeedMaxConnections),
		orDefault("Feed.MaxConnectionsPerKey", &c.MaxConnectionsPerKey, DefaultFeedMaxConnectionsPerKey),
		orDefault("Feed.MaxSubscriptions", &c.MaxSubscriptions, DefaultFeedMaxSubscriptions),
		orDefault("Feed.Buffer", &c.Buffer, DefaultFeedBuffer),
		orDefault("Feed.BufferBytes", &c.BufferBytes, DefaultFeedBufferBytes),
		orDefault("Feed.PingInterval", &c.PingInterval, DefaultFeedPingInterval),
	)
}

// FeedMessageType says what a FeedMessage carries.
type FeedMessageType string

// Types of FeedMessage.
const (
	// FeedEvent carries an event, once it is stored.
	FeedEvent FeedMessageType = "event"
	// FeedDelivery carries a delivery attempt, once it is recorded.
	FeedDelivery FeedMessageType = "delivery"
	// FeedEventDelivered carries a websocket destination's broadcast.
	FeedEventDelivered FeedMessageType = "event.delivered"
	// FeedDropped counts messages of its channel the reader missed,
	// where they would have been.
	FeedDropped FeedMessageType = "dropped"
)

// FeedMessage is one message of the live feed. Messages are shared by
// every reader of their channel: do not modify them.
type FeedMessage struct {
	// Type says which of the fields below is set.
	Type FeedMessageType
	// Channel is the channel it came on, e.g. "events:src_…".
	Channel string
	// Event is a FeedEvent's event, as it was stored.
	Event *Event
	// Attempt is a FeedDelivery's attempt, as it was recorded.
	Attempt *Attempt
	// Broadcast is a FeedEventDelivered's delivery.
	Broadcast *Broadcast
	// Dropped is how many messages a FeedDropped stands for.
	Dropped int
}

// Broadcast is one delivery to a websocket destination.
type Broadcast struct {
	EventID       string
	DestinationID string
	// Payload is the delivered body: the event's, or its transform's.
	Payload []byte
}

// WatchParams chooses what Watch streams.
type WatchParams struct {
	// Channels are the channels to watch: ChannelEvents, "events:" and a
	// source ID, ChannelDeliveries, "deliveries:" and a destination ID, or
	// a websocket destination's channel_name. At most
	// Config.Feed.MaxSubscriptions.
	Channels []string
	// Buffer is how many messages wait for the reader before newer ones
	// are dropped, and counted in a FeedDropped message. Defaults to
	// Config.Feed.Buffer.
	Buffer int
}

// Watch streams the live feed of the tenant ctx acts in: the events
// stored and the attempts recorded from now on, on the channels of p, in
// order on each channel, on the channel it returns. It never slows
// ingest or delivery: a reader that falls p.Buffer messages (or
// Config.Feed.BufferBytes) behind misses the newer ones, and gets a
// FeedDropped message counting them where they would have been. The
// channel closes when ctx ends or the Router closes.
//
// The feed is this process's: with a store shared by several processes,
// it carries what this Router ingests, publishes and delivers.
func (r *Router) Watch(ctx context.Context, p WatchParams) (<-chan FeedMessage, error) {
	limit := r.cfg.Feed.MaxSubscriptions
	switch {
	case len(p.Channels) == 0:
		return nil, invalid("channels", "is required")
	case len(p.Channels) > limit:
		return nil, invalid("channels", "must have at most %d channels", limit)
	case p.Buffer < 0:
		return nil, invalid("buffer", "must not be negative")
	}
	keys := make([]feedKey, len(p.Channels))
	for i, name := range p.Channels {
		key, err := r.feedChannel(ctx, name, true)
		var bad badChannelError
		if errors.As(err, &bad) {
			return nil, invalid(fmt.Sprintf("channels[%d]", i), "%s", bad)
		}
		if err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		keys[i] = key
	}
	buffer := p.Buffer
	if buffer == 0 {
		buffer = r.cfg.Feed.Buffer
	}
	sub, err := r.feed.newSubscriber(r.tenant(ctx), buffer)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		sub.subscribe(key, nil) // within MaxSubscriptions: checked above
	}
	out := make(chan FeedMessage)
	go func() {
		defer close(out)
		defer sub.close()
		for {
			q, err := sub.next(ctx)
			if err != nil {
				return
			}
			select {
			case out <- q.message():
			case <-ctx.Done():
				return
			case <-r.feed.done:
				return
			}
		}
	}()
	return out, nil
}

// badChannelError says why a name is not a channel of the tenant.
type badChannelError string

func (e badChannelError) Error() string { return string(e) }

// channelNamePattern is the form of a websocket destination's
// channel_name; maxChannelName bounds its length.
var channelNamePattern = regexp.MustCompile(`^[a-z0-9._-]+$`)

const maxChannelName = 100

// checkChannelName checks a websocket destination's channel_name.
func checkChannelName(name string) error {
	switch {
	case name == "":
		return errors.New("needs channel_name for type websocket")
	case len(name) > maxChannelName:
		return fmt.Errorf("channel_name must be at most %d characters", maxChannelName)
	case !channelNamePattern.MatchString(name):
		return errors.New("channel_name must match ^[a-z0-9._-]+$")
	case name == ChannelEvents || name == ChannelDeliveries:
		return fmt.Errorf("channel_name must not be %s: the feed's own channel", name)
	}
	return nil
}

// feedChannel resolves a channel name in the tenant ctx acts in. With
// lookup, a source or destination it names must exist there. A name that
// is not a channel is a badChannelError; the store's failures are
// returned as they are.
func (r *Router) feedChannel(ctx context.Context, name string, lookup bool) (feedKey, error) {
	t := r.tenant(ctx)
	key := feedKey{orgID: t.OrgID, envID: t.EnvID}
	kind, id, narrowed := strings.Cut(name, ":")
	switch {
	case kind == ChannelEvents:
		key.kind, key.id = channelEvents, canonicalID(prefixSource, id)
	case kind == ChannelDeliveries:
		key.kind, key.id = channelDeliveries, canonicalID(prefixDestination, id)
	case !narrowed && checkChannelName(name) == nil:
		key.kind, key.id = channelBroadcast, name
		return key, nil
	default:
		return feedKey{}, badChannelError(fmt.Sprintf("%q is not a channel: want %s, %s:<source_id>, %s, %s:<destination_id> or a websocket destination's channel_name",
			name, ChannelEvents, ChannelEvents, ChannelDeliveries, ChannelDeliveries))
	}
	if !narrowed {
		return key, nil
	}
	var rec store.Resource = new(store.Source)
	what, prefix := "source", prefixSource
	if key.kind == channelDeliveries {
		rec, what, prefix = new(store.Destination), "destination", prefixDestination
	}
	if !strings.HasPrefix(key.id, prefix) || !isHex32(key.id[len(prefix):]) {
		return feedKey{}, badChannelError(fmt.Sprintf("%q does not name a %s: want its ID (%s…)", name, what, prefix))
	}
	if !lookup {
		return key, nil
	}
	err := r.getResource(ctx, rec, key.id)
	if errors.Is(err, store.ErrNotFound) {
		return feedKey{}, badChannelError(fmt.Sprintf("%q names no %s of this environment", name, what))
	}
	return key, err
}
