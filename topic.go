package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"go.opentelemetry.io/otel/attribute"
)

// TopicParams creates or updates a topic. Nil fields keep their value (or
// default); a Schema of the literal null removes it.
type TopicParams struct {
	Name        *string `json:"name" limit:"200"`
	Slug        *string `json:"slug" limit:"100"`
	Description *string `json:"description" limit:"2000"`
	// Schema is a JSON Schema every published body must match (422).
	Schema json.RawMessage `json:"schema" limit:"65536"`
	// Status is active (default) or inactive (publishing is refused).
	Status *TopicStatus `json:"status" limit:"64"`
}

// CreateTopic creates a topic. The slug (derived from the name when
// absent) is unique in the environment: ErrConflict "Slug already
// exists".
func (r *Router) CreateTopic(ctx context.Context, p TopicParams) (*Topic, error) {
	t := &store.Topic{Status: string(TopicActive)}
	if err := p.apply(t); err != nil {
		return nil, err
	}
	if err := r.createResource(ctx, t, prefixTopic); err != nil {
		return nil, fmt.Errorf("create topic: %w", storeError(err, "Topic"))
	}
	r.configChanged()
	return newTopic(t, 0), nil
}

// GetTopic returns a topic by its ID (prefixed or bare) or slug, or
// ErrNotFound. Every topic method takes either.
func (r *Router) GetTopic(ctx context.Context, ref string) (*Topic, error) {
	t, err := r.lookupTopic(ctx, ref)
	if err != nil {
		return nil, err
	}
	return r.describeTopic(ctx, t)
}

// lookupTopic finds a topic of ctx's tenant by its ID, prefixed or bare,
// or else by its slug.
func (r *Router) lookupTopic(ctx context.Context, ref string) (*store.Topic, error) {
	t := new(store.Topic)
	if id := canonicalID(prefixTopic, ref); strings.HasPrefix(id, prefixTopic) {
		err := r.getResource(ctx, t, id)
		if !errors.Is(err, store.ErrNotFound) {
			return t, storeError(err, "Topic")
		}
	}
	if !slugPattern.MatchString(ref) {
		return nil, withMessage(ErrNotFound, "Topic not found")
	}
	if err := r.store.Lookup(ctx, t, store.SlugKey(r.tenant(ctx), ref)); err != nil {
		return nil, storeError(err, "Topic")
	}
	return t, nil
}

// ListTopics lists topics, newest first.
func (r *Router) ListTopics(ctx context.Context, p ListParams) (Page[*Topic], error) {
	page, err := listResources[*store.Topic](ctx, r, store.KindTopic, p)
	if err != nil {
		return Page[*Topic]{}, fmt.Errorf("list topics: %w", err)
	}
	out := Page[*Topic]{NextCursor: page.NextCursor, Items: make([]*Topic, len(page.Items))}
	if len(page.Items) == 0 {
		return out, nil
	}
	// The subscriptions of the tenant, counted by topic in one listing
	// (subscriptions are configuration: few per tenant).
	subs, err := store.ListAll[*store.Subscription](ctx, r.store, store.ListQuery{Kind: store.KindSubscription, Tenant: r.tenant(ctx)})
	if err != nil {
		return Page[*Topic]{}, fmt.Errorf("list topics: %w", err)
	}
	counts := map[string]int{}
	for _, s := range subs {
		counts[s.TopicID]++
	}
	for i, t := range page.Items {
		out.Items[i] = newTopic(t, counts[t.ID])
	}
	return out, nil
}

// UpdateTopic changes the fields set in p.
func (r *Router) UpdateTopic(ctx context.Context, ref string, p TopicParams) (*Topic, error) {
	t, err := r.lookupTopic(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := r.updateResource(ctx, t, t.ID, func() error { return p.apply(t) }); err != nil {
		return nil, fmt.Errorf("update topic: %w", storeError(err, "Topic"))
	}
	r.configChanged()
	return r.describeTopic(ctx, t)
}

// DeleteTopic deletes a topic. It fails with ErrConflict while it has
// subscriptions: unsubscribe them first.
func (r *Router) DeleteTopic(ctx context.Context, ref string) error {
	t, err := r.lookupTopic(ctx, ref)
	if err != nil {
		return err
	}
	if err := r.store.Delete(ctx, store.KindTopic, r.tenant(ctx), t.ID); err != nil {
		return fmt.Errorf("delete topic: %w", deleteError(err, "Topic", "subscriptions"))
	}
	r.configChanged()
	return nil
}

func (r *Router) describeTopic(ctx context.Context, t *store.Topic) (*Topic, error) {
	subs, err := r.subscriptionsOf(ctx, t)
	if err != nil {
		return nil, err
	}
	return newTopic(t, len(subs)), nil
}

func (r *Router) subscriptionsOf(ctx context.Context, t *store.Topic) ([]*store.Subscription, error) {
	return store.ListAll[*store.Subscription](ctx, r.store, store.ListQuery{
		Kind: store.KindSubscription, Tenant: t.Tenant(),
		RefersTo: []store.Ref{{Kind: store.KindTopic, ID: t.ID}},
	})
}

func (p *TopicParams) apply(t *store.Topic) (err error) {
	defer func() { err = forResource(err, "topic") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&t.Name, p.Name)
	set(&t.Slug, p.Slug)
	set(&t.Description, p.Description)
	setString(&t.Status, p.Status)
	setJSON(&t.Schema, p.Schema)
	if err := required("name", t.Name); err != nil {
		return err
	}
	if err := checkSlug(&t.Slug, t.Name); err != nil {
		return err
	}
	if err := oneOf("status", t.Status, TopicActive, TopicInactive); err != nil {
		return err
	}
	if len(t.Schema) > 0 {
		if _, err := compileSchema(t.Schema); err != nil {
			return invalid("schema", "does not compile: %v", err)
		}
	}
	return nil
}

// SubscribeParams subscribes a destination to a topic, or updates a
// subscription (DestinationID cannot change).
type SubscribeParams struct {
	DestinationID string `json:"destination_id" limit:"id=dst"`
	// FilterRules must all match for an event to be delivered.
	FilterRules FilterRules `json:"filter_rules" limit:"50"`
	// TransformExpression is a JSONata expression whose result replaces
	// the delivered body.
	TransformExpression *string `json:"transform_expression" limit:"65536"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
}

var errAlreadySubscribed = withMessage(ErrConflict, "Already subscribed")

// Subscribe subscribes a destination to a topic. An unknown topic or
// destination is ErrNotFound; a destination subscribed already is
// ErrConflict "Already subscribed" (also when two requests race: exactly
// one wins); invalid rules or expression a *ValidationError.
func (r *Router) Subscribe(ctx context.Context, topic string, p SubscribeParams) (_ *Subscription, err error) {
	defer func() { err = forResource(err, "subscription") }()
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	t, err := r.lookupTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	topicID := t.ID
	if err := required("destination_id", p.DestinationID); err != nil {
		return nil, err
	}
	s := &store.Subscription{TopicID: topicID, DestinationID: p.DestinationID, Enabled: true}
	if err := r.applySubscription(&p, s); err != nil {
		return nil, err
	}
	err = r.createResource(ctx, s, prefixSubscription)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, withMessage(ErrNotFound, "Destination not found")
	case errors.Is(err, store.ErrConflict):
		return nil, errAlreadySubscribed
	case err != nil:
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	r.configChanged()
	return r.describeSubscription(ctx, s), nil
}

// ListSubscriptions lists a topic's subscriptions, newest first.
func (r *Router) ListSubscriptions(ctx context.Context, topic string, p ListParams) (Page[*Subscription], error) {
	t, err := r.lookupTopic(ctx, topic)
	if err != nil {
		return Page[*Subscription]{}, err
	}
	topicID := t.ID
	page, err := listResources[*store.Subscription](ctx, r, store.KindSubscription, p, store.Ref{Kind: store.KindTopic, ID: topicID})
	if err != nil {
		return Page[*Subscription]{}, fmt.Errorf("list subscriptions: %w", err)
	}
	items, err := r.describeSubscriptions(ctx, page.Items)
	if err != nil {
		return Page[*Subscription]{}, fmt.Errorf("list subscriptions: %w", err)
	}
	return Page[*Subscription]{Items: items, NextCursor: page.NextCursor}, nil
}

// UpdateSubscription changes a subscription's rules, transform or
// enabled flag.
func (r *Router) UpdateSubscription(ctx context.Context, topic, id string, p SubscribeParams) (*Subscription, error) {
	t, err := r.lookupTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	s := new(store.Subscription)
	err = r.updateResource(ctx, s, id, func() error {
		if s.TopicID != t.ID {
			return store.ErrNotFound
		}
		if p.DestinationID != "" && p.DestinationID != s.DestinationID {
			return invalid("destination_id", "cannot be changed")
		}
		return r.applySubscription(&p, s)
	})
	if err != nil {
		return nil, fmt.Errorf("update subscription: %w", storeError(err, "Subscription"))
	}
	r.configChanged()
	return r.describeSubscription(ctx, s), nil
}

// Unsubscribe deletes a subscription of a topic. Deliveries it queued
// are still made.
func (r *Router) Unsubscribe(ctx context.Context, topic, id string) error {
	if _, err := r.getSubscription(ctx, topic, id); err != nil {
		return err
	}
	if err := r.store.Delete(ctx, store.KindSubscription, r.tenant(ctx), id); err != nil {
		return fmt.Errorf("unsubscribe: %w", storeError(err, "Subscription"))
	}
	r.configChanged()
	return nil
}

// GetSubscription returns a subscription of a topic (named by its ID or
// slug), or ErrNotFound.
func (r *Router) GetSubscription(ctx context.Context, topic, id string) (*Subscription, error) {
	s, err := r.getSubscription(ctx, topic, id)
	if err != nil {
		return nil, err
	}
	return r.describeSubscription(ctx, s), nil
}

// getSubscription loads a subscription of a topic (by its ID or slug).
func (r *Router) getSubscription(ctx context.Context, topic, id string) (*store.Subscription, error) {
	t, err := r.lookupTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	s := new(store.Subscription)
	if err := r.getResource(ctx, s, id); err != nil || s.TopicID != t.ID {
		return nil, withMessage(ErrNotFound, "Subscription not found")
	}
	return s, nil
}

func (r *Router) describeSubscription(ctx context.Context, s *store.Subscription) *Subscription {
	out, err := r.describeSubscriptions(ctx, []*store.Subscription{s})
	if err != nil {
		return newSubscription(s, "") // the name is a courtesy: the subscription stands
	}
	return out[0]
}

// describeSubscriptions describes subscriptions of one tenant with the
// names of their destinations, read in one store call.
func (r *Router) describeSubscriptions(ctx context.Context, subs []*store.Subscription) ([]*Subscription, error) {
	out := make([]*Subscription, len(subs))
	if len(subs) == 0 {
		return out, nil
	}
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.DestinationID
	}
	names, err := resourceNames(ctx, r, store.KindDestination, subs[0].Tenant(), ids)
	if err != nil {
		return nil, err
	}
	for i, s := range subs {
		out[i] = newSubscription(s, names[s.DestinationID])
	}
	return out, nil
}

func (r *Router) applySubscription(p *SubscribeParams, s *store.Subscription) (err error) {
	defer func() { err = forResource(err, "subscription") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&s.TransformExpression, p.TransformExpression)
	set(&s.Enabled, p.Enabled)
	if p.FilterRules != nil {
		raw, err := p.FilterRules.encode()
		if err != nil {
			return err
		}
		s.FilterRules = raw
	}
	return r.checkTransform(s.TransformExpression)
}

// TestSubscription dry-runs a sample event through a subscription's
// filter rules and transform (or the candidate ones p carries; a
// subscription has no TransformEnabled). Nothing is stored or delivered.
func (r *Router) TestSubscription(ctx context.Context, topic, id string, p TestParams) (*RouteTest, error) {
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	s, err := r.getSubscription(ctx, topic, id)
	if err != nil {
		return nil, err
	}
	t, err := r.GetTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	if p.TransformEnabled != nil {
		return nil, invalid("transform_enabled", "is not a field of subscriptions: an empty transform_expression turns the transform off")
	}
	if p.candidateField() != "" {
		candidate := SubscribeParams{FilterRules: p.FilterRules, TransformExpression: p.TransformExpression}
		if err := r.applySubscription(&candidate, s); err != nil {
			return nil, err
		}
	}
	route, err := r.compileSubscription(s)
	if err != nil {
		return nil, err
	}
	p.Topic = t.Slug
	return r.testRoute(ctx, route, p.event()), nil
}

// PublishResult is the answer to a publish.
type PublishResult struct {
	EventID    string    `json:"event_id"`
	Topic      string    `json:"topic"`
	ReceivedAt time.Time `json:"received_at"`
	// Deliveries is how many subscriptions the event was queued for.
	Deliveries int `json:"-"`
}

var errTopicUnavailable = withMessage(ErrNotFound, "Topic not found or inactive")

// Publish publishes a JSON body to a topic of ctx's tenant, named by its
// slug or ID. The event and one delivery per enabled subscription whose
// filter matches are stored in one durable write: when Publish returns
// nil, every matching subscriber receives the event at least once. An
// unknown or inactive topic is ErrNotFound; a body that breaks the
// topic's schema a *SchemaError.
func (r *Router) Publish(ctx context.Context, topic string, body []byte) (res *PublishResult, err error) {
	ctx, op := r.startIngest(ctx, "hookstream.publish", nil)
	defer func() { r.endPublish(ctx, op, res, err) }()
	ev, deliveries, err := r.preparePublish(ctx, topic, body, op.traceparent)
	if err != nil {
		return nil, err
	}
	if err := r.insertEvent(ctx, ev, deliveries); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return &PublishResult{EventID: ev.ID, Topic: ev.Topic, ReceivedAt: ev.ReceivedAt, Deliveries: len(deliveries)}, nil
}

// endPublish ends the telemetry of a publish.
func (r *Router) endPublish(ctx context.Context, op ingestOp, res *PublishResult, err error) {
	var (
		scope      attribute.KeyValue // the topic's slug once it is known to exist
		eventID    string
		deliveries int
	)
	if res != nil {
		scope, eventID, deliveries = attrTopic.String(res.Topic), res.EventID, res.Deliveries
	}
	r.endIngest(ctx, op, scope, eventID, deliveries, false, err)
}

// ErrTxUnsupported is returned by PublishTx when the Router's store cannot
// join a caller's transaction of that type (it does not implement
// store.TxEventInserter of it).
var ErrTxUnsupported = errors.New("hookstream: the store does not support transactional publish")

// PublishTx is Router.Publish inside a transaction the caller owns (a
// transactional outbox): the event and its deliveries are written in tx,
// so they exist if and only if the caller commits tx together with its own
// writes. TTx is the transaction type of the router's store: *bbolt.Tx of
// the store's database with the default bolt store,
//
//	db := router.Store().(*bolt.Store).DB()
//	err := db.Update(func(tx *bbolt.Tx) error {
//		if err := tx.Bucket([]byte("orders")).Put(id, order); err != nil {
//			return err
//		}
//		_, err := hookstream.PublishTx(ctx, router, tx, "orders", event)
//		return err
//	})
//
// or pgx.Tx with store/postgres. A store that takes no TTx is
// ErrTxUnsupported. Deliveries start once tx commits: the scheduler is woken
// at commit when tx offers OnCommit, as *bbolt.Tx does, or by the store's
// notifications (Postgres sends one in tx); otherwise at its next poll.
// The live feed (Watch, GET /v1/ws) carries the event at commit when tx
// offers OnCommit, and not at all otherwise.
// With bbolt, call no other Router method that writes while tx is open:
// bbolt has one writer at a time, and tx is it.
func PublishTx[TTx any](ctx context.Context, r *Router, tx TTx, topic string, body []byte) (res *PublishResult, err error) {
	txs, ok := r.store.(store.TxEventInserter[TTx])
	if !ok {
		return nil, ErrTxUnsupported
	}
	ctx, op := r.startIngest(ctx, "hookstream.publish", nil)
	defer func() { r.endPublish(ctx, op, res, err) }()
	ev, deliveries, err := r.preparePublish(ctx, topic, body, op.traceparent)
	if err != nil {
		return nil, err
	}
	if err := txs.InsertEventTx(ctx, tx, ev, deliveries); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if c, ok := any(tx).(interface{ OnCommit(func()) }); ok {
		if len(deliveries) > 0 {
			c.OnCommit(r.wakeScheduler)
		}
		if r.feed.subscriptions.Load() > 0 {
			c.OnCommit(func() { r.feed.publishEvent(ev) })
		}
	}
	return &PublishResult{EventID: ev.ID, Topic: ev.Topic, ReceivedAt: ev.ReceivedAt, Deliveries: len(deliveries)}, nil
}

// topicSlug returns the slug of a topic named by its ID or slug: publish
// routes by slug, through the routing cache.
func (r *Router) topicSlug(ctx context.Context, topic string) (string, error) {
	if !strings.HasPrefix(canonicalID(prefixTopic, topic), prefixTopic) {
		return topic, nil
	}
	t, err := r.lookupTopic(ctx, topic)
	if errors.Is(err, ErrNotFound) {
		return "", errTopicUnavailable
	}
	if err != nil {
		return "", err
	}
	return t.Slug, nil
}

// preparePublish builds a topic event, with traceparent, and its
// deliveries without storing them.
func (r *Router) preparePublish(ctx context.Context, topic string, body []byte, traceparent string) (*store.Event, []*store.Delivery, error) {
	slug, err := r.topicSlug(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	tr, err := r.routes().forTopic(ctx, r.tenant(ctx), slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errTopicUnavailable
	}
	if err != nil {
		return nil, nil, fmt.Errorf("publish: %w", err)
	}
	if TopicStatus(tr.topic.Status) != TopicActive {
		return nil, nil, errTopicUnavailable
	}
	if !json.Valid(body) {
		return nil, nil, invalid("body", "must be JSON")
	}
	if tr.schema != nil {
		if err := validateSchema(tr.schema, body); err != nil {
			return nil, nil, err
		}
	}
	now := r.now()
	ev := &store.Event{
		ID: newID(prefixEvent), OrgID: tr.topic.OrgID, EnvID: tr.topic.EnvID, Topic: slug,
		Method: http.MethodPost, ContentType: "application/json", Body: body,
		VerificationStatus: "unverified", DedupStatus: store.DedupUnique, ReceivedAt: now, Traceparent: traceparent,
	}
	in := newMatchInput(body, ev.ContentType, ev.Method, "", slug, http.Header{"Content-Type": {ev.ContentType}})
	var deliveries []*store.Delivery
	for _, route := range tr.routes {
		if route.active && route.filter.Match(in) {
			deliveries = append(deliveries, newDelivery(ev, route, now))
		}
	}
	return ev, deliveries, nil
}
