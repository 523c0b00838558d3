package hookstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/internal/filter"
	"github.com/hookstream-go/hookstream/internal/transform"
	"github.com/hookstream-go/hookstream/store"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// DefaultConfigTTL is how long the routing cache trusts what it loaded.
const DefaultConfigTTL = 5 * time.Second

// routing caches the configuration that the hot paths read: each source
// with its connections' compiled filters and transforms, and destinations.
// This process's own configuration writes clear it at once; writes by other
// processes sharing the store clear it when the store notifies them
// (store.ConfigNotifier), and are seen within Config.ConfigTTL in any case.
type routing struct {
	r  *Router
	mu sync.Mutex
	// sources, destinations and routes are keyed by ID.
	sources      map[string]*cached[*sourceRoutes]
	topics       map[string]*cached[*topicRoutes]
	destinations map[string]*cached[*store.Destination]
	routes       map[string]*cached[*compiledRoute]
}

type cached[T any] struct {
	value    T
	loadedAt time.Time
}

// sourceRoutes is a source with its compiled connections.
type sourceRoutes struct {
	source *store.Source
	routes []*compiledRoute
	// schema is the compiled JSON Schema when validation is enabled.
	schema *jsonschema.Schema
}

// topicRoutes is a topic with its compiled subscriptions.
type topicRoutes struct {
	topic  *store.Topic
	routes []*compiledRoute
	schema *jsonschema.Schema
}

// compiledRoute is a connection (or subscription) ready to match and
// transform events.
type compiledRoute struct {
	id, name       string
	connectionID   string
	subscriptionID string
	destinationID  string
	// active is false for disabled routes; held for paused ones.
	active, held bool
	filter       *filter.Matcher
	transform    *transform.Program
}

func newRouting(r *Router) *routing {
	rt := &routing{r: r}
	rt.reset()
	return rt
}

func (rt *routing) reset() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.sources = map[string]*cached[*sourceRoutes]{}
	rt.topics = map[string]*cached[*topicRoutes]{}
	rt.destinations = map[string]*cached[*store.Destination]{}
	rt.routes = map[string]*cached[*compiledRoute]{}
}

// routes returns the routing cache.
func (r *Router) routes() *routing { return r.routing }

// configChanged drops cached configuration after a write.
func (r *Router) configChanged() { r.routing.reset() }

// watchConfig drops cached configuration whenever the store says another
// process wrote some (store.ConfigNotifier), until the returned stop is
// called; stop waits for the watcher to end. Without notifications,
// caches expire by Config.ConfigTTL.
func (r *Router) watchConfig(cn store.ConfigNotifier) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	changed, err := cn.ListenConfig(ctx)
	if err != nil {
		cancel()
		r.log.Error("hookstream: listen for configuration changes; caches expire by Config.ConfigTTL instead", "error", err)
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				r.configChanged()
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// lookupCached returns m[id] when fresh, else loads and caches it.
func lookupCached[T any](rt *routing, m map[string]*cached[T], id string, load func() (T, error)) (T, error) {
	now := rt.r.now()
	rt.mu.Lock()
	c, ok := m[id]
	rt.mu.Unlock()
	if ok && now.Sub(c.loadedAt) < rt.r.cfg.ConfigTTL {
		return c.value, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	rt.mu.Lock()
	m[id] = &cached[T]{value: v, loadedAt: now}
	rt.mu.Unlock()
	return v, nil
}

// forSource returns a source and its compiled connections, or ErrNotFound.
func (rt *routing) forSource(ctx context.Context, id string) (*sourceRoutes, error) {
	rt.mu.Lock()
	m := rt.sources
	rt.mu.Unlock()
	return lookupCached(rt, m, id, func() (*sourceRoutes, error) {
		src := new(store.Source)
		if err := rt.r.store.Lookup(ctx, src, store.IDKey(id)); err != nil {
			return nil, err
		}
		conns, err := store.ListAll[*store.Connection](ctx, rt.r.store, store.ListQuery{
			Kind: store.KindConnection, Tenant: src.Tenant(),
			RefersTo: []store.Ref{{Kind: store.KindSource, ID: id}},
		})
		if err != nil {
			return nil, err
		}
		sr := &sourceRoutes{source: src}
		if src.SchemaValidationEnabled && len(src.JSONSchema) > 0 {
			if sr.schema, err = compileSchema(src.JSONSchema); err != nil {
				return nil, fmt.Errorf("source %s: json_schema: %w", id, err)
			}
		}
		for _, c := range conns {
			route, err := rt.r.compileConnection(c)
			if err != nil {
				rt.r.log.Error("hookstream: stored connection does not compile", "connection_id", c.ID, "error", err)
				continue
			}
			sr.routes = append(sr.routes, route)
		}
		return sr, nil
	})
}

// forTopic returns a topic of the tenant by slug, with its compiled
// subscriptions, or ErrNotFound.
func (rt *routing) forTopic(ctx context.Context, t store.Tenant, slug string) (*topicRoutes, error) {
	rt.mu.Lock()
	m := rt.topics
	rt.mu.Unlock()
	return lookupCached(rt, m, store.SlugKey(t, slug), func() (*topicRoutes, error) {
		topic := new(store.Topic)
		if err := rt.r.store.Lookup(ctx, topic, store.SlugKey(t, slug)); err != nil {
			return nil, err
		}
		subs, err := rt.r.subscriptionsOf(ctx, topic)
		if err != nil {
			return nil, err
		}
		tr := &topicRoutes{topic: topic}
		if len(topic.Schema) > 0 {
			if tr.schema, err = compileSchema(topic.Schema); err != nil {
				return nil, fmt.Errorf("topic %s: schema: %w", topic.ID, err)
			}
		}
		for _, s := range subs {
			route, err := rt.r.compileSubscription(s)
			if err != nil {
				rt.r.log.Error("hookstream: stored subscription does not compile", "subscription_id", s.ID, "error", err)
				continue
			}
			tr.routes = append(tr.routes, route)
		}
		return tr, nil
	})
}

// destination returns a destination by ID, or nil when it does not exist.
func (rt *routing) destination(ctx context.Context, id string) (*store.Destination, error) {
	rt.mu.Lock()
	m := rt.destinations
	rt.mu.Unlock()
	return lookupCached(rt, m, id, func() (*store.Destination, error) {
		dst := new(store.Destination)
		err := rt.r.store.Lookup(ctx, dst, store.IDKey(id))
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return dst, err
	})
}

// route returns the current route of a delivery: its connection's or
// subscription's transform and name (a route deleted since has neither).
func (rt *routing) route(ctx context.Context, d *store.Delivery) (*compiledRoute, error) {
	id := d.ConnectionID
	if id == "" {
		id = d.SubscriptionID
	}
	rt.mu.Lock()
	m := rt.routes
	rt.mu.Unlock()
	return lookupCached(rt, m, id, func() (*compiledRoute, error) {
		var (
			route *compiledRoute
			err   error
		)
		if d.ConnectionID != "" {
			c := new(store.Connection)
			if err = rt.r.store.Lookup(ctx, c, store.IDKey(id)); err == nil {
				route, err = rt.r.compileConnection(c)
			}
		} else {
			s := new(store.Subscription)
			if err = rt.r.store.Lookup(ctx, s, store.IDKey(id)); err == nil {
				route, err = rt.r.compileSubscription(s)
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return &compiledRoute{id: id}, nil
		}
		return route, err
	})
}

// compileConnection compiles a stored connection's filter and transform.
func (r *Router) compileConnection(c *store.Connection) (*compiledRoute, error) {
	route := &compiledRoute{
		id: c.ID, name: c.Name, connectionID: c.ID, destinationID: c.DestinationID,
		active: c.Enabled && Status(c.Status) != StatusDisabled,
		held:   Status(c.Status) == StatusPaused,
	}
	var err error
	if route.filter, err = compileFilter(c.FilterRules); err != nil {
		return nil, err
	}
	if c.TransformEnabled && c.TransformExpression != "" {
		if route.transform, err = r.transforms.Compile(c.TransformExpression); err != nil {
			return nil, err
		}
	}
	return route, nil
}

// compileSubscription compiles a stored subscription's filter and
// transform.
func (r *Router) compileSubscription(s *store.Subscription) (*compiledRoute, error) {
	route := &compiledRoute{
		id: s.ID, subscriptionID: s.ID, destinationID: s.DestinationID, active: s.Enabled,
	}
	var err error
	if route.filter, err = compileFilter(s.FilterRules); err != nil {
		return nil, err
	}
	if s.TransformExpression != "" {
		if route.transform, err = r.transforms.Compile(s.TransformExpression); err != nil {
			return nil, err
		}
	}
	return route, nil
}
