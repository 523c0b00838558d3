// Package hookstream is an embeddable webhook gateway, compatible with the
// public hookstream.io API.
//
// Open a Router on a bbolt file (or New on any store.Store) and it gives the
// service that embeds it:
//
//   - sources that receive webhooks (signature verification, IP allow and
//     deny lists, deduplication, JSON Schema checks);
//   - connections that route a source's events to destinations through
//     filter rules and JSONata transforms;
//   - topics whose subscriptions fan published events out to destinations;
//   - durable delivery with retries, a circuit breaker, dead letters and
//     manual retry;
//   - Handler, an http.Handler serving hookstream's /v1 REST API.
//
// A Router is ready for configuration calls as soon as it is opened; Run
// starts the delivery scheduler and blocks until its context is cancelled;
// Close releases the store.
//
// Every call is scoped to a tenant (an organization and environment). The
// Go API uses the tenant attached to the context with WithTenant, or the
// Config's default tenant; the REST handler attaches the tenant of the
// request's API key.
package hookstream

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream/internal/netguard"
	"github.com/hookstream-go/hookstream/internal/transform"
	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Version is the library's version, sent in the User-Agent of deliveries.
const Version = "0.1.0"

// Defaults of Config.
const (
	// DefaultOrgID is the organization of the default tenant.
	DefaultOrgID = "org_default"
	// DefaultEnvID is the environment of the default tenant.
	DefaultEnvID = "env_default"
	// DefaultMaxBodyBytes is the largest webhook body a source accepts.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxRequestBytes is the largest management API request body.
	DefaultMaxRequestBytes = 1 << 20
)

// Config tunes a Router. The zero value is valid: every field has a default.
type Config struct {
	// Logger receives operational logs. Defaults to slog.Default().
	Logger *slog.Logger
	// DefaultTenant is the tenant of Go API calls whose context carries
	// none (see WithTenant). Defaults to {DefaultOrgID, DefaultEnvID}.
	DefaultTenant Tenant
	// BaseURL is the public base URL used in ingest_url and publish_url, e.g.
	// "https://hooks.example.com". Defaults to the scheme and host of the
	// API request, or "http://localhost" in the Go API.
	BaseURL string
	// Authenticator authenticates REST API requests. Defaults to API keys
	// (X-API-Key or Authorization: Bearer), see APIKeyAuthenticator.
	Authenticator Authenticator
	// MaxBodyBytes is the largest webhook body accepted at ingest (413
	// beyond it). Defaults to DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// MaxRequestBytes is the largest management API request body (413
	// beyond it). Defaults to DefaultMaxRequestBytes (1 MiB).
	MaxRequestBytes int64
	// TrustedProxies are the addresses and CIDRs of reverse proxies whose
	// X-Forwarded-For header is believed. Defaults to none: the client
	// address is the connection's.
	TrustedProxies []string
	// AllowPrivateNetworks lets deliveries reach loopback, private,
	// link-local and metadata addresses. Defaults to false (refused).
	AllowPrivateNetworks bool
	// Providers deliver to destination types other than http, keyed by
	// type name (e.g. "aws_sqs", or your own). Defaults to none: only http
	// and websocket (the live feed's broadcasts) destinations can be
	// created.
	Providers map[string]Provider
	// Workers is how many delivery attempts run at once. Defaults to
	// DefaultWorkers.
	Workers int
	// PollInterval is how often the scheduler looks for due deliveries when
	// nothing wakes it (other processes sharing the store, retries coming
	// due). Defaults to DefaultPollInterval.
	PollInterval time.Duration
	// LeaseMargin is added to a destination's timeout (and the transform's)
	// to make the lease of a delivery attempt: after a crash, the attempts
	// the dead process had under way are made again once their leases
	// expire. It must also cover recording the outcome (a store write that
	// can take a while on a busy disk): a lease that expires before its
	// outcome is recorded means one more, duplicate, delivery. Defaults to
	// DefaultLeaseMargin.
	LeaseMargin time.Duration
	// ConfigTTL is how long routing trusts cached configuration; this
	// process's own changes apply at once, and other processes' as soon as
	// the store notifies them (store.ConfigNotifier: PostgreSQL's
	// LISTEN/NOTIFY). Defaults to DefaultConfigTTL.
	ConfigTTL time.Duration
	// DrainTimeout bounds how long Run, once cancelled (or Close called),
	// waits for attempts under way before it cancels them; an attempt
	// cancelled so is made again later (delivery is at least once).
	// Defaults to DefaultDrainTimeout.
	DrainTimeout time.Duration
	// TransformMaxSteps bounds the work of one JSONata evaluation: syntax
	// nodes visited, items produced and built-in work (sort comparisons,
	// bytes scanned by regular expressions), counted deterministically, so
	// an expression over an input always has the same outcome. Defaults to
	// DefaultTransformMaxSteps (2,000,000).
	TransformMaxSteps int
	// TransformMaxBytes bounds the bytes of values one evaluation builds.
	// Defaults to DefaultTransformMaxBytes (32 MiB).
	TransformMaxBytes int
	// TransformMaxDepth bounds the nesting of one evaluation (nested
	// expressions and non-tail function calls). Defaults to
	// DefaultTransformMaxDepth (2,000).
	TransformMaxDepth int
	// Retention is how long finished events (every delivery succeeded or
	// dead-lettered) are kept with their deliveries and attempts: Run
	// prunes older ones in the background, a hundredth of Retention apart
	// (between 1 s and 1 min), in transactions of 100 events. Events still being
	// delivered are kept whatever their age. Defaults to DefaultRetention
	// (30 days); KeepForever (any negative value) turns pruning off.
	Retention time.Duration
	// Feed bounds the live feed (GET /v1/ws and Watch). Defaults to
	// FeedConfig's defaults.
	Feed FeedConfig
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// MeterProvider makes the Router's OpenTelemetry instruments (see the
	// README's OpenTelemetry section). Defaults to the global provider
	// (otel.GetMeterProvider), which records nothing until the embedder
	// installs one, whenever it does.
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans of ingests, publishes and delivery
	// attempts; a span's context is stored with its event and sent as the
	// traceparent header of its deliveries. Defaults to the global
	// provider (otel.GetTracerProvider): while none is installed, no span
	// is made and nothing is stored or sent.
	TracerProvider trace.TracerProvider

	trustedProxies []netip.Prefix
}

// withDefaults returns a validated copy of c with defaults filled in.
func (c *Config) withDefaults() (*Config, error) {
	out := Config{}
	if c != nil {
		out = *c
	}
	out.TrustedProxies = append([]string(nil), out.TrustedProxies...)
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.DefaultTenant == (Tenant{}) {
		out.DefaultTenant = Tenant{OrgID: DefaultOrgID, EnvID: DefaultEnvID}
	}
	if out.DefaultTenant.OrgID == "" || out.DefaultTenant.EnvID == "" {
		return nil, errors.New("hookstream: Config.DefaultTenant needs both OrgID and EnvID")
	}
	if out.Authenticator == nil {
		out.Authenticator = APIKeyAuthenticator{}
	}
	for i, p := range out.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("hookstream: Config.TrustedProxies[%d]: %w", i, err)
		}
		out.trustedProxies = append(out.trustedProxies, prefix)
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	if out.Retention == 0 {
		out.Retention = DefaultRetention
	}
	err := errors.Join(
		orDefault("MaxBodyBytes", &out.MaxBodyBytes, DefaultMaxBodyBytes),
		orDefault("MaxRequestBytes", &out.MaxRequestBytes, DefaultMaxRequestBytes),
		orDefault("Workers", &out.Workers, DefaultWorkers),
		orDefault("PollInterval", &out.PollInterval, DefaultPollInterval),
		orDefault("LeaseMargin", &out.LeaseMargin, DefaultLeaseMargin),
		orDefault("ConfigTTL", &out.ConfigTTL, DefaultConfigTTL),
		orDefault("DrainTimeout", &out.DrainTimeout, DefaultDrainTimeout),
		orDefault("TransformMaxSteps", &out.TransformMaxSteps, DefaultTransformMaxSteps),
		orDefault("TransformMaxBytes", &out.TransformMaxBytes, DefaultTransformMaxBytes),
		orDefault("TransformMaxDepth", &out.TransformMaxDepth, DefaultTransformMaxDepth),
	)
	if err == nil {
		err = out.Feed.withDefaults()
	}
	if err != nil {
		return nil, err
	}
	providers := make(map[string]Provider, len(out.Providers))
	for name, p := range out.Providers {
		if name == "" || p == nil {
			return nil, fmt.Errorf("hookstream: Config.Providers[%q] needs a name and a provider", name)
		}
		providers[name] = p
	}
	out.Providers = providers
	return &out, nil
}

// orDefault sets a zero numeric Config field to its default, and refuses a
// negative one with an error naming it.
func orDefault[T int | int64 | time.Duration](field string, v *T, def T) error {
	if *v < 0 {
		return fmt.Errorf("hookstream: Config.%s must not be negative", field)
	}
	if *v == 0 {
		*v = def
	}
	return nil
}

// Router is a webhook gateway: it keeps configuration in its store, receives
// and routes events, and delivers them. It is safe for concurrent use.
type Router struct {
	store store.Store
	cfg   *Config
	log   *slog.Logger
	// errors logs store failures, rate-limited.
	errors    *errorLog
	telemetry *telemetry
	// ownsStore is true when Open created the store, so Close closes it.
	ownsStore bool
	// providers deliver by destination type ("http" built in).
	providers map[string]Provider
	routing   *routing
	// transforms compiles JSONata expressions once and bounds evaluations.
	transforms *transform.Cache
	// wake tells a running scheduler that deliveries became due.
	wake chan struct{}
	// handoff hands new deliveries to a running scheduler in memory.
	handoff *handoff
	// feed is the live feed's broker.
	feed *feed
	// replays connects replay calls with the Run that drives the jobs.
	replays *replayHub
	// run is the running scheduler, if any; closed says Close was called.
	runMu  sync.Mutex
	run    *runState
	closed bool
	// resetCircuits tells a running scheduler to reload circuit states.
	resetCircuits atomic.Bool

	// stopConfigWatch stops dropping caches on the store's configuration
	// notifications.
	stopConfigWatch func()

	handlerOnce sync.Once
	handler     http.Handler
	closeOnce   sync.Once
}

// Open opens (creating if needed) a bbolt database file at path and returns a
// Router on it. A second process opening the same file gets an error within
// about a second. cfg may be nil.
func Open(path string, cfg *Config) (*Router, error) {
	s, err := bolt.Open(path, nil)
	if err != nil {
		return nil, fmt.Errorf("hookstream: open: %w", err)
	}
	r, err := New(s, cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	r.ownsStore = true
	return r, nil
}

// New returns a Router on the given store. cfg may be nil. Close does not
// close a store passed to New; its owner does.
func New(s store.Store, cfg *Config) (*Router, error) {
	if s == nil {
		return nil, errors.New("hookstream: New needs a store")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Router{store: s, cfg: c, log: c.Logger, wake: make(chan struct{}, 1), handoff: newHandoff(), feed: newFeed(c.Feed), replays: newReplayHub()}
	r.errors = newErrorLog(r.log, r.now)
	r.providers = map[string]Provider{
		"http":      httpProvider{client: netguard.NewClient(netguard.Config{AllowPrivate: c.AllowPrivateNetworks})},
		"websocket": websocketProvider{feed: r.feed},
	}
	for name, p := range c.Providers {
		r.providers[name] = p
	}
	r.routing = newRouting(r)
	r.transforms, err = transform.NewCache(&transform.Config{
		MaxSteps: c.TransformMaxSteps, MaxBytes: c.TransformMaxBytes, MaxDepth: c.TransformMaxDepth,
	})
	if err != nil {
		return nil, fmt.Errorf("hookstream: %w", err)
	}
	if r.telemetry, err = newTelemetry(r); err != nil {
		return nil, err
	}
	r.stopConfigWatch = func() {}
	if cn, ok := s.(store.ConfigNotifier); ok {
		r.stopConfigWatch = r.watchConfig(cn)
	}
	return r, nil
}

// Store returns the Router's store.
func (r *Router) Store() store.Store { return r.store }

// Close stops a running Run as cancelling its context would, waits for it
// to return (its drain bounded by Config.DrainTimeout), stops listening for
// other processes' configuration changes, unregisters the queue gauges,
// ends the live feed (Watch channels close; WebSocket clients get a
// going-away close, within seconds), and then releases the store when the
// Router opened it (Open). A Run started after Close returns ErrClosed.
func (r *Router) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.runMu.Lock()
		r.closed = true
		run := r.run
		r.runMu.Unlock()
		if run != nil {
			run.stop()
			<-run.done
		}
		r.stopConfigWatch()
		r.telemetry.close()
		r.feed.close()
		if r.ownsStore {
			err = r.store.Close()
		}
	})
	return err
}

func (r *Router) now() time.Time { return r.cfg.Now().UTC() }

// Tenant is an organization and environment: the scope of every resource.
type Tenant = store.Tenant
