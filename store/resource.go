package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind names a resource kind. Each kind has its own ID space and unique keys.
type Kind string

// Resource kinds.
const (
	KindSource       Kind = "source"
	KindDestination  Kind = "destination"
	KindConnection   Kind = "connection"
	KindTopic        Kind = "topic"
	KindSubscription Kind = "subscription"
	KindEnvironment  Kind = "environment"
	KindAPIKey       Kind = "api_key"
	KindReplayJob    Kind = "replay_job"
)

// Kinds lists every resource kind.
var Kinds = []Kind{KindSource, KindDestination, KindConnection, KindTopic, KindSubscription, KindEnvironment, KindAPIKey, KindReplayJob}

// NewResource returns a new, empty resource of the kind, ready to be filled
// by a Store (for example when decoding a listing).
func NewResource(k Kind) (Resource, error) {
	switch k {
	case KindSource:
		return new(Source), nil
	case KindDestination:
		return new(Destination), nil
	case KindConnection:
		return new(Connection), nil
	case KindTopic:
		return new(Topic), nil
	case KindSubscription:
		return new(Subscription), nil
	case KindEnvironment:
		return new(Environment), nil
	case KindAPIKey:
		return new(APIKey), nil
	case KindReplayJob:
		return new(ReplayJob), nil
	}
	return nil, fmt.Errorf("store: unknown kind %q", k)
}

// Resource is a configuration record. Stores treat resources generically:
// they encode them (encoding/json), index them by Meta, enforce UniqueKeys
// and keep Refs consistent.
type Resource interface {
	// Kind is the resource's kind.
	Kind() Kind
	// GetMeta returns the resource's common fields, for reading and writing.
	GetMeta() *Meta
	// UniqueKeys are keys no other resource of the same kind may hold at the
	// same time. They include the scope they are unique in (for example the
	// environment), since stores compare them across all tenants. Every
	// resource holds IDKey(its ID), so Lookup finds any resource by ID.
	UniqueKeys() []string
	// Refs are the resources (of the same tenant) this one points to. They
	// must exist when it is created or updated, and cannot be deleted while
	// it points to them.
	Refs() []Ref
}

// Ref points from one resource to another of the same tenant.
type Ref struct {
	Kind Kind
	ID   string
}

// Meta holds the fields every resource has.
type Meta struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	EnvID     string    `json:"env_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// GetMeta returns m itself.
func (m *Meta) GetMeta() *Meta { return m }

// Tenant returns the resource's tenant.
func (m *Meta) Tenant() Tenant { return Tenant{OrgID: m.OrgID, EnvID: m.EnvID} }

func slugKey(m *Meta, slug string) []string {
	if slug == "" {
		return nil
	}
	return []string{SlugKey(m.Tenant(), slug)}
}

// Source receives webhooks.
type Source struct {
	Meta
	Slug                    string          `json:"slug"`
	Name                    string          `json:"name"`
	Description             string          `json:"description"`
	Template                string          `json:"template"`
	Type                    string          `json:"type"`
	SourceConfig            json.RawMessage `json:"source_config"`
	VerificationEnabled     bool            `json:"verification_enabled"`
	VerificationType        string          `json:"verification_type"`
	VerificationSecret      string          `json:"verification_secret"`
	VerificationHeader      string          `json:"verification_header"`
	VerificationConfig      json.RawMessage `json:"verification_config"`
	DedupEnabled            bool            `json:"dedup_enabled"`
	DedupStrategy           string          `json:"dedup_strategy"`
	DedupField              string          `json:"dedup_field"`
	DedupWindowSeconds      int             `json:"dedup_window_seconds"`
	IPAllowlist             []string        `json:"ip_allowlist"`
	IPDenylist              []string        `json:"ip_denylist"`
	SchemaValidationEnabled bool            `json:"schema_validation_enabled"`
	JSONSchema              json.RawMessage `json:"json_schema"`
	SchemaAction            string          `json:"schema_action"`
	Status                  string          `json:"status"`
}

// Kind returns KindSource.
func (*Source) Kind() Kind { return KindSource }

// UniqueKeys holds the slug within the environment, and the ID.
func (s *Source) UniqueKeys() []string { return append(slugKey(&s.Meta, s.Slug), IDKey(s.ID)) }

// Refs is empty: a source points to nothing.
func (*Source) Refs() []Ref { return nil }

// Destination is where events are delivered.
type Destination struct {
	Meta
	Name                    string            `json:"name"`
	Slug                    string            `json:"slug"`
	Type                    string            `json:"type"`
	URL                     string            `json:"url"`
	Method                  string            `json:"method"`
	Headers                 map[string]string `json:"headers"`
	TimeoutMS               int               `json:"timeout_ms"`
	AuthType                string            `json:"auth_type"`
	AuthConfig              json.RawMessage   `json:"auth_config"`
	Status                  string            `json:"status"`
	RetryEnabled            bool              `json:"retry_enabled"`
	RetryMaxAttempts        int               `json:"retry_max_attempts"`
	RetryBackoffType        string            `json:"retry_backoff_type"`
	RetryIntervals          []int             `json:"retry_intervals"`
	CircuitBreakerEnabled   bool              `json:"circuit_breaker_enabled"`
	CircuitBreakerThreshold int               `json:"circuit_breaker_threshold"`
	CircuitBreakerResetMS   int               `json:"circuit_breaker_reset_ms"`
	ProviderConfig          json.RawMessage   `json:"provider_config"`
	SigningConfig           json.RawMessage   `json:"signing_config"`
	MaxConcurrency          int               `json:"max_concurrency"`
}

// Kind returns KindDestination.
func (*Destination) Kind() Kind { return KindDestination }

// UniqueKeys holds the slug within the environment, and the ID.
func (d *Destination) UniqueKeys() []string { return append(slugKey(&d.Meta, d.Slug), IDKey(d.ID)) }

// Refs is empty: a destination points to nothing.
func (*Destination) Refs() []Ref { return nil }

// Connection routes a source's events to a destination.
type Connection struct {
	Meta
	SourceID      string `json:"source_id"`
	DestinationID string `json:"destination_id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Enabled       bool   `json:"enabled"`
	// FilterRules is the JSON array of rules as the user gave it (nil when
	// none); the root package validates and compiles it.
	FilterRules         json.RawMessage `json:"filter_rules"`
	Status              string          `json:"status"`
	TransformEnabled    bool            `json:"transform_enabled"`
	TransformExpression string          `json:"transform_expression"`
}

// Kind returns KindConnection.
func (*Connection) Kind() Kind { return KindConnection }

// UniqueKeys holds the ID only: a source may reach a destination more than
// once.
func (c *Connection) UniqueKeys() []string { return []string{IDKey(c.ID)} }

// Refs points to the source and the destination.
func (c *Connection) Refs() []Ref {
	return []Ref{{KindSource, c.SourceID}, {KindDestination, c.DestinationID}}
}

// Topic is a named channel for publish/subscribe fan-out.
type Topic struct {
	Meta
	Name        string          `json:"name"`
	Slug        string          `json:"slug"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Status      string          `json:"status"`
}

// Kind returns KindTopic.
func (*Topic) Kind() Kind { return KindTopic }

// UniqueKeys holds the slug within the environment, and the ID.
func (t *Topic) UniqueKeys() []string { return append(slugKey(&t.Meta, t.Slug), IDKey(t.ID)) }

// Refs is empty: a topic points to nothing.
func (*Topic) Refs() []Ref { return nil }

// Subscription delivers a topic's events to a destination.
type Subscription struct {
	Meta
	TopicID             string          `json:"topic_id"`
	DestinationID       string          `json:"destination_id"`
	FilterRules         json.RawMessage `json:"filter_rules"`
	TransformExpression string          `json:"transform_expression"`
	Enabled             bool            `json:"enabled"`
}

// Kind returns KindSubscription.
func (*Subscription) Kind() Kind { return KindSubscription }

// UniqueKeys makes a destination subscribe to a topic at most once, and
// holds the ID.
func (s *Subscription) UniqueKeys() []string {
	return []string{"pair:" + s.TopicID + "/" + s.DestinationID, IDKey(s.ID)}
}

// Refs points to the topic and the destination.
func (s *Subscription) Refs() []Ref {
	return []Ref{{KindTopic, s.TopicID}, {KindDestination, s.DestinationID}}
}

// Environment is a tenant inside an organization. Its Meta.EnvID is empty:
// environments are listed per organization.
type Environment struct {
	Meta
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Kind returns KindEnvironment.
func (*Environment) Kind() Kind { return KindEnvironment }

// UniqueKeys holds the slug within the organization, and the ID.
func (e *Environment) UniqueKeys() []string { return append(slugKey(&e.Meta, e.Slug), IDKey(e.ID)) }

// Refs is empty.
func (*Environment) Refs() []Ref { return nil }

// APIKey is an API key of one tenant. Only the SHA-256 hash of the key is
// kept.
type APIKey struct {
	Meta
	Name      string   `json:"name"`
	KeyHash   string   `json:"key_hash"`
	KeyPrefix string   `json:"key_prefix"`
	Scopes    []string `json:"scopes"`
}

// Kind returns KindAPIKey.
func (*APIKey) Kind() Kind { return KindAPIKey }

// UniqueKeys holds the key's hash and its ID, so a key can be found with
// Lookup from any environment of its organization.
func (k *APIKey) UniqueKeys() []string {
	return []string{APIKeyHashKey(k.KeyHash), IDKey(k.ID)}
}

// Refs is empty.
func (*APIKey) Refs() []Ref { return nil }

// APIKeyHashKey is the unique key under which an API key with the given
// hex SHA-256 hash is found by Lookup.
func APIKeyHashKey(hash string) string { return "hash:" + hash }

// IDKey is the unique key under which every resource is found by Lookup
// with its ID, whatever its tenant (ingest knows only a source's ID, the
// delivery scheduler only a destination's).
func IDKey(id string) string { return "id:" + id }

// SlugKey is the unique key under which a resource with the slug is found by
// Lookup in the tenant.
func SlugKey(t Tenant, slug string) string { return "slug:" + t.OrgID + "/" + t.EnvID + "/" + slug }
