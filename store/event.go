package store

import "time"

// Event statuses.
const (
	EventReceived   = "received"
	EventProcessing = "processing"
	EventDelivered  = "delivered"
	EventFailed     = "failed"
)

// Dedup statuses.
const (
	DedupUnique    = "unique"
	DedupDuplicate = "duplicate"
)

// Event is one received webhook or published message. Events are immutable
// but for Status, which follows their deliveries.
type Event struct {
	ID                 string            `json:"id"`
	OrgID              string            `json:"org_id"`
	EnvID              string            `json:"env_id"`
	SourceID           string            `json:"source_id"`
	Topic              string            `json:"topic"`
	Method             string            `json:"method"`
	Headers            map[string]string `json:"headers"`
	QueryParams        map[string]string `json:"query_params"`
	ContentType        string            `json:"content_type"`
	SourceIP           string            `json:"source_ip"`
	Body               []byte            `json:"body"`
	VerificationStatus string            `json:"verification_status"`
	VerificationError  string            `json:"verification_error"`
	DedupStatus        string            `json:"dedup_status"`
	DedupHash          string            `json:"dedup_hash"`
	// DedupKey, when set, is checked and remembered by InsertEvent (see
	// there); DedupUntil is when the remembered key expires.
	DedupKey   string    `json:"dedup_key"`
	DedupUntil time.Time `json:"dedup_until"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
	SourceName string    `json:"source_name"`
	SourceSlug string    `json:"source_slug"`
	// Traceparent is the W3C trace context of the span that received the
	// event ("00-<trace id>-<span id>-<flags>"), so its deliveries' spans
	// join the trace; empty when no tracer provider was installed.
	Traceparent string `json:"traceparent,omitempty"`
	// Pending and Dead count the event's deliveries that are not finished
	// and that ended dead; the store keeps them and derives Status.
	Pending int `json:"pending"`
	Dead    int `json:"dead"`
}

// Tenant returns the event's tenant.
func (e *Event) Tenant() Tenant { return Tenant{OrgID: e.OrgID, EnvID: e.EnvID} }

// EventQuery filters a listing of events. Empty fields do not filter.
type EventQuery struct {
	Tenant             Tenant
	SourceID           string
	Status             string
	DedupStatus        string
	VerificationStatus string
	Method             string
	Topic              string
	// Search keeps events whose body contains the string.
	Search string
	// After and Before bound ReceivedAt (exclusive); zero means unbounded.
	After, Before time.Time
	Cursor        string
	// Limit is the page size; values below 1 mean 50.
	Limit int
}

// EventPage is one page of events, newest first.
type EventPage struct {
	Events     []*Event
	Total      int
	NextCursor string
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryDead      = "dead"
)

// Trigger says why a delivery attempt was made.
type Trigger string

// Triggers.
const (
	TriggerInitial Trigger = "initial"
	TriggerRetry   Trigger = "retry"
	TriggerManual  Trigger = "manual"
	TriggerReplay  Trigger = "replay"
)

// Delivery is one route of one event to one destination: the unit of the
// delivery queue.
type Delivery struct {
	ID             string `json:"id"`
	OrgID          string `json:"org_id"`
	EnvID          string `json:"env_id"`
	EventID        string `json:"event_id"`
	ConnectionID   string `json:"connection_id"`
	SubscriptionID string `json:"subscription_id"`
	DestinationID  string `json:"destination_id"`
	// Seq orders deliveries by insertion; the store assigns it.
	Seq   uint64 `json:"seq"`
	State string `json:"state"`
	// Held deliveries wait for ReleaseHeld (their connection is paused).
	Held bool `json:"held"`
	// NextAt is when the delivery is due (for a leased one: when its lease
	// expires).
	NextAt     time.Time `json:"next_at"`
	LeaseToken string    `json:"lease_token"`
	// Attempts counts the attempts made so far.
	Attempts  int       `json:"attempts"`
	Trigger   Trigger   `json:"trigger"`
	NoRetry   bool      `json:"no_retry"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Tenant returns the delivery's tenant.
func (d *Delivery) Tenant() Tenant { return Tenant{OrgID: d.OrgID, EnvID: d.EnvID} }

// Attempt statuses.
const (
	AttemptPending = "pending"
	AttemptSuccess = "success"
	AttemptFailed  = "failed"
)

// Attempt is the record of one delivery attempt.
type Attempt struct {
	ID                    string            `json:"id"`
	OrgID                 string            `json:"org_id"`
	EnvID                 string            `json:"env_id"`
	EventID               string            `json:"event_id"`
	DeliveryID            string            `json:"delivery_id"`
	ConnectionID          string            `json:"connection_id"`
	SubscriptionID        string            `json:"subscription_id"`
	DestinationID         string            `json:"destination_id"`
	RequestURL            string            `json:"request_url"`
	RequestMethod         string            `json:"request_method"`
	RequestHeaders        map[string]string `json:"request_headers"`
	RequestBodySize       int               `json:"request_body_size"`
	ResponseStatus        int               `json:"response_status"`
	ResponseHeaders       map[string]string `json:"response_headers"`
	ResponseBody          string            `json:"response_body"`
	ResponseBodyTruncated bool              `json:"response_body_truncated"`
	DurationMS            int64             `json:"duration_ms"`
	Status                string            `json:"status"`
	Error                 string            `json:"error"`
	CreatedAt             time.Time         `json:"created_at"`
	AttemptNumber         int               `json:"attempt_number"`
	NextRetryAt           time.Time         `json:"next_retry_at"`
	IsDLQ                 bool              `json:"is_dlq"`
	DLQAt                 time.Time         `json:"dlq_at"`
	Trigger               Trigger           `json:"trigger"`
	ConnectionName        string            `json:"connection_name"`
	DestinationName       string            `json:"destination_name"`
}

// AttemptQuery filters a listing of attempts. Empty fields do not filter.
type AttemptQuery struct {
	Tenant        Tenant
	EventID       string
	ConnectionID  string
	DestinationID string
	Status        string
	DLQOnly       bool
	// Limit is the page size; values below 1 mean 50.
	Limit  int
	Offset int
}

// Circuit states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// Circuit is the stored circuit-breaker state of a destination.
type Circuit struct {
	State            string    `json:"state"`
	FailureCount     int       `json:"failure_count"`
	OpenedAt         time.Time `json:"opened_at"`
	NextProbeAt      time.Time `json:"next_probe_at"`
	LastTransitionAt time.Time `json:"last_transition_at"`
	// Version counts the writes of the state; SwapCircuit compares it.
	Version uint64 `json:"version"`
	// Epoch counts the resets (PutCircuit): a scheduler ignores the
	// verdicts of attempts begun before the latest reset.
	Epoch uint64 `json:"epoch"`
}
