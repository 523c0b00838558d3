package hookstream

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/hookstream-go/hookstream/internal/transform"
	"github.com/hookstream-go/hookstream/store"
)

// TestParams is a sample event for a dry run: nothing is stored or
// delivered.
type TestParams struct {
	// Payload is the event body. A JSON string is sent as its text when
	// ContentType is not JSON (to test form bodies, say).
	Payload json.RawMessage `json:"payload"`
	// Headers are the request headers.
	Headers map[string]string `json:"headers" limit:"100,key=256,value=8192"`
	// Method defaults to POST.
	Method string `json:"method" limit:"16"`
	// ContentType defaults to application/json.
	ContentType string `json:"content_type" limit:"256"`
	// SourceIP is the client address.
	SourceIP string `json:"source_ip" limit:"64"`
	// Topic is the topic slug, for subscription dry runs.
	Topic string `json:"-"`

	// The candidate configuration: a connection or subscription dry run
	// tests the route as an update with these fields would leave it,
	// without saving it (the same validation as the update, so a rule or
	// expression that would not save is the same error). Unset fields keep
	// the saved values. A source dry run refuses them.

	// FilterRules replaces the saved rules (an empty list: no rules).
	FilterRules FilterRules `json:"filter_rules" limit:"50"`
	// TransformEnabled replaces the connection's saved transform_enabled;
	// subscriptions have none (an empty expression turns theirs off).
	TransformEnabled *bool `json:"transform_enabled"`
	// TransformExpression replaces the saved JSONata expression.
	TransformExpression *string `json:"transform_expression" limit:"65536"`
}

// candidateField names the first candidate field p sets, or "".
func (p *TestParams) candidateField() string {
	switch {
	case p.FilterRules != nil:
		return "filter_rules"
	case p.TransformEnabled != nil:
		return "transform_enabled"
	case p.TransformExpression != nil:
		return "transform_expression"
	}
	return ""
}

// RouteTest is the verdict of a dry run of one connection or subscription.
type RouteTest struct {
	// Matched says every rule matched.
	Matched bool `json:"matched"`
	// Rules explains each rule.
	Rules []RuleResult `json:"rules"`
	// Transformed is the body the destination would receive when a
	// transform is set and the event matched (nil otherwise: the original
	// body is sent).
	Transformed json.RawMessage `json:"transformed"`
	// TransformError is why the transform failed, if it did.
	TransformError *string `json:"transform_error"`
}

// RuleResult explains one rule of a dry run.
type RuleResult struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Op      string `json:"op"`
	Matched bool   `json:"matched"`
	// Observed is the value found at Field (nil when it is missing).
	Observed json.RawMessage `json:"observed"`
}

// SourceTest is the verdict of a dry run of every connection of a source.
type SourceTest struct {
	Routes []SourceRouteTest `json:"routes"`
}

// SourceRouteTest is one connection's verdict in a source dry run.
type SourceRouteTest struct {
	ConnectionID   string          `json:"connection_id"`
	DestinationID  string          `json:"destination_id"`
	Matched        bool            `json:"matched"`
	Transformed    json.RawMessage `json:"transformed"`
	TransformError *string         `json:"transform_error"`
}

// TestConnection runs a sample event through a connection's filter rules
// and transform (or the candidate ones p carries), and reports which rules
// matched (with the values they saw) and the body its destination would
// receive. Nothing is stored or delivered.
func (r *Router) TestConnection(ctx context.Context, connectionID string, p TestParams) (*RouteTest, error) {
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	conn := new(store.Connection)
	if err := r.getResource(ctx, conn, connectionID); err != nil {
		return nil, storeError(err, "Connection")
	}
	if p.candidateField() != "" {
		candidate := ConnectionParams{FilterRules: p.FilterRules, TransformEnabled: p.TransformEnabled, TransformExpression: p.TransformExpression}
		if err := r.applyConnection(&candidate, conn); err != nil {
			return nil, err
		}
	}
	route, err := r.compileConnection(conn)
	if err != nil {
		return nil, err
	}
	return r.testRoute(ctx, route, p.event()), nil
}

// TestSource dry-runs a sample event through every connection of a
// source, as they are saved (p's candidate fields are refused). Nothing is
// stored or delivered.
func (r *Router) TestSource(ctx context.Context, sourceID string, p TestParams) (*SourceTest, error) {
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	if field := p.candidateField(); field != "" {
		return nil, invalid(field, "is for connection and subscription dry runs; a source dry run tests the saved routes")
	}
	if _, err := r.GetSource(ctx, sourceID); err != nil {
		return nil, err
	}
	sr, err := r.routes().forSource(ctx, sourceID)
	if err != nil {
		return nil, storeError(err, "Source")
	}
	ev := p.event()
	out := &SourceTest{Routes: []SourceRouteTest{}}
	for _, route := range sr.routes {
		t := r.testRoute(ctx, route, ev)
		out.Routes = append(out.Routes, SourceRouteTest{
			ConnectionID: route.connectionID, DestinationID: route.destinationID,
			Matched: t.Matched && route.active, Transformed: t.Transformed, TransformError: t.TransformError,
		})
	}
	return out, nil
}

// testRoute explains a route's verdict on an event.
func (r *Router) testRoute(ctx context.Context, route *compiledRoute, ev testEvent) *RouteTest {
	in := newMatchInput(ev.body, ev.contentType, ev.method, ev.sourceIP, ev.topic, ev.headers)
	out := &RouteTest{Matched: true, Rules: []RuleResult{}}
	for _, res := range route.filter.Explain(in) {
		out.Rules = append(out.Rules, RuleResult{
			Index: res.Index, Field: res.Field, Op: string(res.Op), Matched: res.Matched, Observed: res.Observed,
		})
		out.Matched = out.Matched && res.Matched
	}
	if out.Matched && route.transform != nil {
		body, err := ev.decoded.transform(ctx, route.transform, ev.body)
		if err != nil {
			msg := err.Error()
			out.TransformError = &msg
		} else {
			out.Transformed = body
		}
	}
	return out
}

// testEvent is a dry run's event as ingest would see it.
type testEvent struct {
	body                                 []byte
	contentType, method, sourceIP, topic string
	headers                              http.Header
	decoded                              *decodedBody
}

// decodedBody decodes an event's body for transforms once, however many
// routes transform it.
type decodedBody struct {
	input *transform.Input
	err   error
}

func (d *decodedBody) transform(ctx context.Context, p *transform.Program, body []byte) ([]byte, error) {
	if d.input == nil && d.err == nil {
		d.input, d.err = transform.ParseInput(body)
	}
	if d.err != nil {
		return nil, d.err
	}
	return p.EvalInput(ctx, d.input)
}

func (p *TestParams) event() testEvent {
	ev := testEvent{
		body: p.Payload, contentType: p.ContentType, method: p.Method,
		sourceIP: p.SourceIP, topic: p.Topic, headers: http.Header{}, decoded: &decodedBody{},
	}
	if ev.method == "" {
		ev.method = http.MethodPost
	}
	if ev.contentType == "" {
		ev.contentType = "application/json"
	}
	for k, v := range p.Headers {
		ev.headers.Set(k, v)
	}
	if ev.headers.Get("Content-Type") == "" {
		ev.headers.Set("Content-Type", ev.contentType)
	}
	var text string
	if mediaType(ev.contentType) != "application/json" && json.Unmarshal(p.Payload, &text) == nil {
		ev.body = []byte(text)
	}
	return ev
}
