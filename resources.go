package hookstream

import (
	"encoding/json"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// The resources the Go API returns. Each is a copy of what the store holds
// with the activity figures the API adds; changing one changes nothing
// stored (use the Update methods).

// Source is a webhook receiver: senders post events to its ingest URL.
type Source struct {
	// ID is "src_" followed by 32 lowercase hex digits.
	ID string
	// OrgID and EnvID are the tenant the source belongs to.
	OrgID, EnvID string
	// Slug is unique in the environment, Name its label.
	Slug, Name  string
	Description string
	// Template names the provider whose signature format verification
	// uses (see GET /v1/sources/templates), or is empty.
	Template string
	// Type is "http" or "websocket".
	Type string
	// SourceConfig is free-form JSON configuration.
	SourceConfig json.RawMessage
	// VerificationEnabled makes ingest check signatures with the scheme,
	// secret and header below (and VerificationConfig's extras).
	VerificationEnabled bool
	VerificationType    VerificationType
	VerificationSecret  string
	VerificationHeader  string
	VerificationConfig  json.RawMessage
	// DedupEnabled drops repeats inside DedupWindowSeconds, keyed by the
	// DedupStrategy (DedupField names the header or body field).
	DedupEnabled       bool
	DedupStrategy      DedupStrategy
	DedupField         string
	DedupWindowSeconds int
	// IPAllowlist and IPDenylist hold addresses and CIDRs.
	IPAllowlist, IPDenylist []string
	// SchemaValidationEnabled checks bodies against JSONSchema, rejecting
	// or flagging those that break it (SchemaAction).
	SchemaValidationEnabled bool
	JSONSchema              json.RawMessage
	SchemaAction            SchemaAction
	Status                  Status
	// EventCount is how many events the source has stored.
	EventCount int64
	// LastEventAt is when it last stored one (zero if never).
	LastEventAt          time.Time
	CreatedAt, UpdatedAt time.Time
}

func newSource(s *store.Source, c store.Counter) *Source {
	return &Source{
		ID: s.ID, OrgID: s.OrgID, EnvID: s.EnvID, Slug: s.Slug, Name: s.Name, Description: s.Description,
		Template: s.Template, Type: s.Type, SourceConfig: s.SourceConfig,
		VerificationEnabled: s.VerificationEnabled, VerificationType: VerificationType(s.VerificationType),
		VerificationSecret: s.VerificationSecret, VerificationHeader: s.VerificationHeader, VerificationConfig: s.VerificationConfig,
		DedupEnabled: s.DedupEnabled, DedupStrategy: DedupStrategy(s.DedupStrategy), DedupField: s.DedupField,
		DedupWindowSeconds: s.DedupWindowSeconds, IPAllowlist: s.IPAllowlist, IPDenylist: s.IPDenylist,
		SchemaValidationEnabled: s.SchemaValidationEnabled, JSONSchema: s.JSONSchema, SchemaAction: SchemaAction(s.SchemaAction),
		Status: Status(s.Status), EventCount: c.Count, LastEventAt: c.Last, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// Destination is where deliveries go, with its retry, circuit-breaker and
// concurrency policy.
type Destination struct {
	// ID is "dst_" followed by 32 lowercase hex digits.
	ID           string
	OrgID, EnvID string
	Name, Slug   string
	// Type is "http" or the type of a registered Provider.
	Type string
	// URL, Method (POST, PUT or PATCH), Headers and TimeoutMS shape the
	// HTTP request.
	URL       string
	Method    string
	Headers   map[string]string
	TimeoutMS int
	// AuthType and AuthConfig add credentials to each request.
	AuthType   AuthType
	AuthConfig json.RawMessage
	Status     Status
	// RetryEnabled, RetryMaxAttempts (retries after the first attempt),
	// RetryBackoffType and RetryIntervals (seconds) are the retry policy.
	RetryEnabled     bool
	RetryMaxAttempts int
	RetryBackoffType BackoffType
	RetryIntervals   []int
	// The circuit opens after CircuitBreakerThreshold consecutive
	// failures, and probes again after CircuitBreakerResetMS.
	CircuitBreakerEnabled   bool
	CircuitBreakerThreshold int
	CircuitBreakerResetMS   int
	// ProviderConfig configures a Provider; SigningConfig signs requests.
	ProviderConfig, SigningConfig json.RawMessage
	// MaxConcurrency bounds the attempts in flight to the destination.
	MaxConcurrency int
	// EventCount is how many delivery attempts were made to it.
	EventCount int64
	// LastDeliveryAt is when the last one was made (zero if never).
	LastDeliveryAt       time.Time
	CreatedAt, UpdatedAt time.Time
}

func newDestination(d *store.Destination, c store.Counter) *Destination {
	return &Destination{
		ID: d.ID, OrgID: d.OrgID, EnvID: d.EnvID, Name: d.Name, Slug: d.Slug, Type: d.Type,
		URL: d.URL, Method: d.Method, Headers: d.Headers, TimeoutMS: d.TimeoutMS,
		AuthType: AuthType(d.AuthType), AuthConfig: d.AuthConfig, Status: Status(d.Status),
		RetryEnabled: d.RetryEnabled, RetryMaxAttempts: d.RetryMaxAttempts, RetryBackoffType: BackoffType(d.RetryBackoffType),
		RetryIntervals: d.RetryIntervals, CircuitBreakerEnabled: d.CircuitBreakerEnabled,
		CircuitBreakerThreshold: d.CircuitBreakerThreshold, CircuitBreakerResetMS: d.CircuitBreakerResetMS,
		ProviderConfig: d.ProviderConfig, SigningConfig: d.SigningConfig, MaxConcurrency: d.MaxConcurrency,
		EventCount: c.Count, LastDeliveryAt: c.Last, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

// Connection routes a source's events to a destination through its filter
// rules and transform.
type Connection struct {
	// ID is "conn_" followed by 32 lowercase hex digits.
	ID                      string
	OrgID, EnvID            string
	SourceID, DestinationID string
	// SourceName and DestinationName name the two ends.
	SourceName, DestinationName string
	Name, Description           string
	// Enabled false (or Status disabled) skips the connection; Status
	// paused holds its deliveries until it is active again.
	Enabled bool
	Status  Status
	// FilterRules is the JSON array of rules, all of which must match.
	FilterRules json.RawMessage
	// TransformExpression, when TransformEnabled, is the JSONata whose
	// result replaces the delivered body.
	TransformEnabled    bool
	TransformExpression string
	// EventCount is how many events the connection has routed.
	EventCount int64
	// LastEventAt is when it last routed one (zero if never).
	LastEventAt          time.Time
	CreatedAt, UpdatedAt time.Time
}

func newConnection(c *store.Connection, n store.Counter, sourceName, destinationName string) *Connection {
	return &Connection{
		ID: c.ID, OrgID: c.OrgID, EnvID: c.EnvID, SourceID: c.SourceID, DestinationID: c.DestinationID,
		SourceName: sourceName, DestinationName: destinationName, Name: c.Name, Description: c.Description,
		Enabled: c.Enabled, Status: Status(c.Status), FilterRules: c.FilterRules,
		TransformEnabled: c.TransformEnabled, TransformExpression: c.TransformExpression,
		EventCount: n.Count, LastEventAt: n.Last, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// Topic is a named channel for publish/subscribe fan-out.
type Topic struct {
	// ID is "top_" followed by 32 lowercase hex digits.
	ID           string
	OrgID, EnvID string
	// Slug names the topic in publish calls.
	Name, Slug  string
	Description string
	// Schema, when set, is the JSON Schema every published body must meet.
	Schema json.RawMessage
	Status TopicStatus
	// SubscriptionCount is how many subscriptions the topic has.
	SubscriptionCount    int
	CreatedAt, UpdatedAt time.Time
}

func newTopic(t *store.Topic, subscriptions int) *Topic {
	return &Topic{
		ID: t.ID, OrgID: t.OrgID, EnvID: t.EnvID, Name: t.Name, Slug: t.Slug, Description: t.Description,
		Schema: t.Schema, Status: TopicStatus(t.Status), SubscriptionCount: subscriptions,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

// Subscription delivers a topic's events to a destination through its
// filter rules and transform.
type Subscription struct {
	// ID is "sub_" followed by 32 lowercase hex digits.
	ID                     string
	OrgID, EnvID           string
	TopicID, DestinationID string
	// DestinationName names the destination.
	DestinationName string
	// FilterRules is the JSON array of rules, all of which must match.
	FilterRules json.RawMessage
	// TransformExpression, when set, is the JSONata whose result replaces
	// the delivered body.
	TransformExpression  string
	Enabled              bool
	CreatedAt, UpdatedAt time.Time
}

func newSubscription(s *store.Subscription, destinationName string) *Subscription {
	return &Subscription{
		ID: s.ID, OrgID: s.OrgID, EnvID: s.EnvID, TopicID: s.TopicID, DestinationID: s.DestinationID,
		DestinationName: destinationName, FilterRules: s.FilterRules, TransformExpression: s.TransformExpression,
		Enabled: s.Enabled, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// Environment is a tenant of an organization: its ID is a tenant's EnvID.
type Environment struct {
	ID, OrgID            string
	Name, Slug           string
	CreatedAt, UpdatedAt time.Time
}

func newEnvironment(e *store.Environment) *Environment {
	return &Environment{ID: e.ID, OrgID: e.OrgID, Name: e.Name, Slug: e.Slug, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

// APIKey describes an API key; the key itself is never stored.
type APIKey struct {
	// ID is "ak_" followed by 16 lowercase hex digits.
	ID           string
	OrgID, EnvID string
	Name         string
	// KeyPrefix is the key's first 12 characters, to recognise it by.
	KeyPrefix string
	// Scopes are ScopeEnvironment or ScopeOrg (see Credentials).
	Scopes               []string
	CreatedAt, UpdatedAt time.Time
}

func newAPIKey(k *store.APIKey) *APIKey {
	return &APIKey{
		ID: k.ID, OrgID: k.OrgID, EnvID: k.EnvID, Name: k.Name, KeyPrefix: k.KeyPrefix,
		Scopes: k.Scopes, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
	}
}

// Event is a received webhook or a published message. Events are immutable
// but for Status, which follows their deliveries.
type Event struct {
	// ID is "evt_" followed by 32 lowercase hex digits, time-ordered.
	ID           string
	OrgID, EnvID string
	// SourceID is the source that received it, or empty for a topic's
	// event, whose Topic is the topic's slug.
	SourceID, Topic string
	// SourceName and SourceSlug describe the source.
	SourceName, SourceSlug string
	// Method, Headers, QueryParams, ContentType, SourceIP and Body are the
	// request as it was received.
	Method      string
	Headers     map[string]string
	QueryParams map[string]string
	ContentType string
	SourceIP    string
	Body        []byte
	// VerificationStatus says whether its signature was checked
	// (VerificationError says why it failed a schema).
	VerificationStatus VerificationStatus
	VerificationError  string
	// DedupStatus says whether it repeated an earlier event (DedupHash is
	// the key's hash).
	DedupStatus DedupStatus
	DedupHash   string
	Status      EventStatus
	ReceivedAt  time.Time
}

func newEvent(e *store.Event) *Event {
	return &Event{
		ID: e.ID, OrgID: e.OrgID, EnvID: e.EnvID, SourceID: e.SourceID, Topic: e.Topic,
		SourceName: e.SourceName, SourceSlug: e.SourceSlug, Method: e.Method, Headers: e.Headers,
		QueryParams: e.QueryParams, ContentType: e.ContentType, SourceIP: e.SourceIP, Body: e.Body,
		VerificationStatus: VerificationStatus(e.VerificationStatus), VerificationError: e.VerificationError,
		DedupStatus: DedupStatus(e.DedupStatus), DedupHash: e.DedupHash, Status: EventStatus(e.Status), ReceivedAt: e.ReceivedAt,
	}
}

// Attempt is the record of one delivery attempt.
type Attempt struct {
	// ID is "da_" followed by 32 lowercase hex digits, time-ordered.
	ID           string
	OrgID, EnvID string
	EventID      string
	// ConnectionID or SubscriptionID is the route, DestinationID the
	// target; ConnectionName and DestinationName name them.
	ConnectionID, SubscriptionID    string
	DestinationID                   string
	ConnectionName, DestinationName string
	// RequestURL (its password redacted), RequestMethod, RequestHeaders
	// (credentials masked) and RequestBodySize describe what was sent.
	RequestURL      string
	RequestMethod   string
	RequestHeaders  map[string]string
	RequestBodySize int
	// ResponseStatus, ResponseHeaders and ResponseBody (at most
	// MaxResponseBody bytes, ResponseBodyTruncated when cut) describe the
	// answer.
	ResponseStatus        int
	ResponseHeaders       map[string]string
	ResponseBody          string
	ResponseBodyTruncated bool
	DurationMS            int64
	Status                AttemptStatus
	// Error says why it failed.
	Error string
	// AttemptNumber counts the delivery's attempts from 1; Trigger says
	// why this one was made.
	AttemptNumber int
	Trigger       Trigger
	// NextRetryAt is when the next attempt is due (zero if none).
	NextRetryAt time.Time
	// IsDLQ marks the last attempt of a dead-lettered delivery, at DLQAt.
	IsDLQ     bool
	DLQAt     time.Time
	CreatedAt time.Time
}

func newAttempt(a *store.Attempt) *Attempt {
	return &Attempt{
		ID: a.ID, OrgID: a.OrgID, EnvID: a.EnvID, EventID: a.EventID,
		ConnectionID: a.ConnectionID, SubscriptionID: a.SubscriptionID, DestinationID: a.DestinationID,
		ConnectionName: a.ConnectionName, DestinationName: a.DestinationName,
		RequestURL: a.RequestURL, RequestMethod: a.RequestMethod, RequestHeaders: a.RequestHeaders, RequestBodySize: a.RequestBodySize,
		ResponseStatus: a.ResponseStatus, ResponseHeaders: a.ResponseHeaders, ResponseBody: a.ResponseBody,
		ResponseBodyTruncated: a.ResponseBodyTruncated, DurationMS: a.DurationMS, Status: AttemptStatus(a.Status), Error: a.Error,
		AttemptNumber: a.AttemptNumber, Trigger: a.Trigger, NextRetryAt: a.NextRetryAt, IsDLQ: a.IsDLQ, DLQAt: a.DLQAt,
		CreatedAt: a.CreatedAt,
	}
}

// Circuit is a destination's circuit breaker (spec §3.3).
type Circuit struct {
	State CircuitState
	// FailureCount counts the consecutive failures.
	FailureCount int
	// OpenedAt is when it last opened, NextProbeAt when it lets a probe
	// through (zero when closed).
	OpenedAt, NextProbeAt time.Time
	LastTransitionAt      time.Time
}

func newCircuit(c store.Circuit) Circuit {
	return Circuit{
		State: CircuitState(c.State), FailureCount: c.FailureCount, OpenedAt: c.OpenedAt,
		NextProbeAt: c.NextProbeAt, LastTransitionAt: c.LastTransitionAt,
	}
}
