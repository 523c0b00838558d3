package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hookstream-go/hookstream/store"
)

// websocketProvider is the built-in websocket destination type (spec
// §4.11): each delivery is broadcast to the live feed's subscribers of the
// channel its provider_config names, {"channel_name": "orders"}, in the
// destination's environment, and succeeds once it is broadcast (to no
// subscriber too). Clients subscribe to the channel_name itself.
type websocketProvider struct {
	feed *feed
}

// websocketConfig is a websocket destination's provider_config.
type websocketConfig struct {
	ChannelName string `json:"channel_name"`
}

func parseWebsocketConfig(raw json.RawMessage) (websocketConfig, error) {
	var c websocketConfig
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil {
		return c, errors.New("needs channel_name for type websocket")
	}
	return c, checkChannelName(c.ChannelName)
}

// Validate checks provider_config's channel_name.
func (websocketProvider) Validate(dst *store.Destination) error {
	_, err := parseWebsocketConfig(dst.ProviderConfig)
	return err
}

// Deliver broadcasts msg; the attempt's response body says to how many
// subscribers.
func (p websocketProvider) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	c, err := parseWebsocketConfig(msg.Destination.ProviderConfig)
	if err != nil {
		return nil, fmt.Errorf("provider_config: %w", err)
	}
	n := p.feed.broadcast(msg.Destination.Tenant(), c.ChannelName, msg)
	body, _ := json.Marshal(map[string]any{"channel": c.ChannelName, "subscribers": n})
	return &Response{
		Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: body,
		Request: RequestInfo{BodySize: len(msg.Body)},
	}, nil
}
