package hookstream

import (
	"github.com/hookstream-go/hookstream/internal/filter"
	"github.com/hookstream-go/hookstream/internal/retry"
	"github.com/hookstream-go/hookstream/store"
)

// The closed sets of values the API takes and returns, as typed strings.
// Their values are the REST API's spellings.

// Status is the state of a source, destination or connection.
type Status string

// Statuses of sources, destinations and connections.
const (
	StatusActive Status = "active"
	// StatusPaused stores a source's events without routing them, and
	// holds a connection's deliveries until it is active again.
	StatusPaused Status = "paused"
	// StatusDisabled refuses a source's events and skips a connection.
	StatusDisabled Status = "disabled"
)

// TopicStatus is the state of a topic.
type TopicStatus string

// Topic statuses: publishing to an inactive topic is ErrNotFound.
const (
	TopicActive   TopicStatus = "active"
	TopicInactive TopicStatus = "inactive"
)

// EventStatus follows an event's deliveries.
type EventStatus string

// Event statuses.
const (
	// EventReceived: nothing matched it (yet).
	EventReceived EventStatus = store.EventReceived
	// EventProcessing: some of its deliveries are not finished.
	EventProcessing EventStatus = store.EventProcessing
	// EventDelivered: every delivery succeeded.
	EventDelivered EventStatus = store.EventDelivered
	// EventFailed: some delivery was dead-lettered.
	EventFailed EventStatus = store.EventFailed
)

// DedupStatus says whether an event repeated an earlier one.
type DedupStatus string

// Dedup statuses.
const (
	DedupUnique    DedupStatus = store.DedupUnique
	DedupDuplicate DedupStatus = store.DedupDuplicate
)

// VerificationStatus says how an event's signature and schema checks went.
type VerificationStatus string

// Verification statuses.
const (
	VerificationUnverified    VerificationStatus = "unverified"
	VerificationVerified      VerificationStatus = "verified"
	VerificationSchemaInvalid VerificationStatus = "schema_invalid"
)

// AttemptStatus is the outcome of a delivery attempt.
type AttemptStatus string

// Attempt statuses.
const (
	AttemptPending AttemptStatus = store.AttemptPending
	AttemptSuccess AttemptStatus = store.AttemptSuccess
	AttemptFailed  AttemptStatus = store.AttemptFailed
)

// Trigger says why a delivery attempt was made.
type Trigger = store.Trigger

// Triggers of delivery attempts.
const (
	TriggerInitial = store.TriggerInitial
	TriggerRetry   = store.TriggerRetry
	TriggerManual  = store.TriggerManual
	TriggerReplay  = store.TriggerReplay
)

// CircuitState is the state of a destination's circuit breaker.
type CircuitState string

// Circuit breaker states.
const (
	CircuitClosed   CircuitState = store.CircuitClosed
	CircuitOpen     CircuitState = store.CircuitOpen
	CircuitHalfOpen CircuitState = store.CircuitHalfOpen
)

// VerificationType is a signature scheme of sources.
type VerificationType string

// Signature schemes (hyphenated spellings are accepted on input).
const (
	VerificationHMACSHA256       VerificationType = "hmac_sha256"
	VerificationHMACSHA1         VerificationType = "hmac_sha1"
	VerificationStandardWebhooks VerificationType = "standard_webhooks"
)

// DedupStrategy says what identifies a repeated event.
type DedupStrategy string

// Dedup strategies.
const (
	// DedupPayloadHash: the SHA-256 of the raw body.
	DedupPayloadHash DedupStrategy = "payload_hash"
	// DedupHeaderField: the header named by the source's DedupField.
	DedupHeaderField DedupStrategy = "header_field"
	// DedupBodyField: the JSON body's field at the dot path DedupField.
	DedupBodyField DedupStrategy = "body_field"
)

// SchemaAction says what ingest does with a body that breaks the source's
// JSON Schema.
type SchemaAction string

// Schema actions.
const (
	// SchemaReject answers 422 and stores nothing.
	SchemaReject SchemaAction = "reject"
	// SchemaWarn stores the event marked schema_invalid.
	SchemaWarn SchemaAction = "warn"
)

// AuthType says how deliveries authenticate to a destination.
type AuthType string

// Authentication types (auth_config holds their credentials).
const (
	AuthNone   AuthType = "none"
	AuthBearer AuthType = "bearer"
	AuthBasic  AuthType = "basic"
	AuthAPIKey AuthType = "api_key"
)

// BackoffType is how the delay grows between retries.
type BackoffType string

// Backoff types (spec §3.3).
const (
	BackoffExponential BackoffType = retry.BackoffExponential
	BackoffLinear      BackoffType = retry.BackoffLinear
	BackoffFixed       BackoffType = retry.BackoffFixed
)

// FilterOp is a filter rule's comparison.
type FilterOp string

// Filter operators (spec §3.2).
const (
	OpEq       = FilterOp(filter.OpEq)
	OpNeq      = FilterOp(filter.OpNeq)
	OpContains = FilterOp(filter.OpContains)
	OpGt       = FilterOp(filter.OpGt)
	OpGte      = FilterOp(filter.OpGte)
	OpLt       = FilterOp(filter.OpLt)
	OpLte      = FilterOp(filter.OpLte)
	OpExists   = FilterOp(filter.OpExists)
	OpIn       = FilterOp(filter.OpIn)
)
