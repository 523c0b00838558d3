package hookstream

import (
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// The wire forms of resources, as spec §2 and the seed pages define them:
// fields in the spec's order, booleans as 0/1, JSON columns as JSON-encoded
// strings, null where empty, secrets masked.

// wireTimeLayout is RFC 3339 in UTC with exactly three fractional digits,
// e.g. 2026-12-01T20:57:10.374Z: fixed-width, so parsers that expect a
// format (Python's %f, say) read every timestamp the API returns.
const wireTimeLayout = "2006-01-02T15:04:05.000Z"

// wireTime formats a timestamp, null when zero.
func wireTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := mustTime(t)
	return &s
}

// mustTime formats a timestamp that is always set.
func mustTime(t time.Time) string { return t.UTC().Format(wireTimeLayout) }

// wireBool is a boolean as the API returns it.
func wireBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// wireString is a string, null when empty.
func wireString[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	str := string(s)
	return &str
}

// wireJSON is a JSON value as a JSON-encoded string, null when empty: an
// empty list or map is null too, as empty filter_rules are (clearing a
// list with [] and never setting it read the same).
func wireJSON(v any) *string {
	switch x := v.(type) {
	case json.RawMessage:
		if len(x) == 0 || isNull(x) {
			return nil
		}
		s := string(compactJSON(x))
		return &s
	case []string:
		if len(x) == 0 {
			return nil
		}
	case []int:
		if len(x) == 0 {
			return nil
		}
	case map[string]string:
		if len(x) == 0 {
			return nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

type wireSource struct {
	ID                      string  `json:"id"`
	OrgID                   string  `json:"org_id"`
	EnvID                   string  `json:"env_id"`
	Slug                    string  `json:"slug"`
	Name                    string  `json:"name"`
	Description             *string `json:"description"`
	Template                *string `json:"template"`
	Type                    string  `json:"type"`
	SourceConfig            *string `json:"source_config"`
	VerificationEnabled     int     `json:"verification_enabled"`
	VerificationType        *string `json:"verification_type"`
	VerificationSecret      *string `json:"verification_secret"`
	VerificationHeader      *string `json:"verification_header"`
	VerificationConfig      *string `json:"verification_config"`
	DedupEnabled            int     `json:"dedup_enabled"`
	DedupStrategy           *string `json:"dedup_strategy"`
	DedupField              *string `json:"dedup_field"`
	DedupWindowSeconds      int     `json:"dedup_window_seconds"`
	IPAllowlist             *string `json:"ip_allowlist"`
	IPDenylist              *string `json:"ip_denylist"`
	SchemaValidationEnabled int     `json:"schema_validation_enabled"`
	JSONSchema              *string `json:"json_schema"`
	SchemaAction            *string `json:"schema_action"`
	Status                  string  `json:"status"`
	EventCount              int64   `json:"event_count"`
	LastEventAt             *string `json:"last_event_at"`
	CreatedAt               string  `json:"created_at"`
	UpdatedAt               string  `json:"updated_at"`
	IngestURL               string  `json:"ingest_url"`
}

func toWireSource(s *Source, base string) wireSource {
	return wireSource{
		ID: s.ID, OrgID: s.OrgID, EnvID: s.EnvID, Slug: s.Slug, Name: s.Name,
		Description: wireString(s.Description), Template: wireString(s.Template), Type: s.Type,
		SourceConfig:            maskJSON(s.SourceConfig),
		VerificationEnabled:     wireBool(s.VerificationEnabled),
		VerificationType:        wireString(s.VerificationType),
		VerificationSecret:      maskSecret(s.VerificationSecret),
		VerificationHeader:      wireString(s.VerificationHeader),
		VerificationConfig:      maskJSON(s.VerificationConfig),
		DedupEnabled:            wireBool(s.DedupEnabled),
		DedupStrategy:           wireString(s.DedupStrategy),
		DedupField:              wireString(s.DedupField),
		DedupWindowSeconds:      s.DedupWindowSeconds,
		IPAllowlist:             wireJSON(s.IPAllowlist),
		IPDenylist:              wireJSON(s.IPDenylist),
		SchemaValidationEnabled: wireBool(s.SchemaValidationEnabled),
		JSONSchema:              wireJSON(s.JSONSchema),
		SchemaAction:            wireString(s.SchemaAction),
		Status:                  string(s.Status),
		EventCount:              s.EventCount,
		LastEventAt:             wireTime(s.LastEventAt),
		CreatedAt:               mustTime(s.CreatedAt),
		UpdatedAt:               mustTime(s.UpdatedAt),
		IngestURL:               base + "/v1/ingest/" + s.ID,
	}
}

type wireDestination struct {
	ID                      string  `json:"id"`
	OrgID                   string  `json:"org_id"`
	EnvID                   string  `json:"env_id"`
	Name                    string  `json:"name"`
	Slug                    string  `json:"slug"`
	Type                    string  `json:"type"`
	URL                     *string `json:"url"`
	Method                  string  `json:"method"`
	Headers                 *string `json:"headers"`
	TimeoutMS               int     `json:"timeout_ms"`
	AuthType                string  `json:"auth_type"`
	AuthConfig              *string `json:"auth_config"`
	Status                  string  `json:"status"`
	EventCount              int64   `json:"event_count"`
	LastDeliveryAt          *string `json:"last_delivery_at"`
	CreatedAt               string  `json:"created_at"`
	UpdatedAt               string  `json:"updated_at"`
	RetryEnabled            int     `json:"retry_enabled"`
	RetryMaxAttempts        int     `json:"retry_max_attempts"`
	RetryBackoffType        string  `json:"retry_backoff_type"`
	RetryIntervals          *string `json:"retry_intervals"`
	CircuitBreakerEnabled   int     `json:"circuit_breaker_enabled"`
	CircuitBreakerThreshold int     `json:"circuit_breaker_threshold"`
	CircuitBreakerResetMS   int     `json:"circuit_breaker_reset_ms"`
	ProviderConfig          *string `json:"provider_config"`
	SigningConfig           *string `json:"signing_config"`
	MaxConcurrency          int     `json:"max_concurrency"`
}

func toWireDestination(d *Destination) wireDestination {
	return wireDestination{
		ID: d.ID, OrgID: d.OrgID, EnvID: d.EnvID, Name: d.Name, Slug: d.Slug, Type: d.Type,
		URL: wireString(redactURL(d.URL)), Method: d.Method, Headers: wireJSON(maskHeaders(d.Headers)), TimeoutMS: d.TimeoutMS,
		AuthType: string(d.AuthType), AuthConfig: maskJSON(d.AuthConfig), Status: string(d.Status),
		EventCount: d.EventCount, LastDeliveryAt: wireTime(d.LastDeliveryAt),
		CreatedAt: mustTime(d.CreatedAt), UpdatedAt: mustTime(d.UpdatedAt),
		RetryEnabled: wireBool(d.RetryEnabled), RetryMaxAttempts: d.RetryMaxAttempts,
		RetryBackoffType: string(d.RetryBackoffType), RetryIntervals: wireJSON(d.RetryIntervals),
		CircuitBreakerEnabled:   wireBool(d.CircuitBreakerEnabled),
		CircuitBreakerThreshold: d.CircuitBreakerThreshold,
		CircuitBreakerResetMS:   d.CircuitBreakerResetMS,
		ProviderConfig:          maskJSON(d.ProviderConfig),
		SigningConfig:           maskJSON(d.SigningConfig),
		MaxConcurrency:          d.MaxConcurrency,
	}
}

type wireConnection struct {
	ID                  string  `json:"id"`
	OrgID               string  `json:"org_id"`
	EnvID               string  `json:"env_id"`
	SourceID            string  `json:"source_id"`
	DestinationID       string  `json:"destination_id"`
	Name                string  `json:"name"`
	Description         *string `json:"description"`
	Enabled             int     `json:"enabled"`
	FilterRules         *string `json:"filter_rules"`
	Status              string  `json:"status"`
	EventCount          int64   `json:"event_count"`
	LastEventAt         *string `json:"last_event_at"`
	CreatedAt           string  `json:"created_at"`
	UpdatedAt           string  `json:"updated_at"`
	TransformEnabled    int     `json:"transform_enabled"`
	TransformExpression *string `json:"transform_expression"`
	SourceName          *string `json:"source_name"`
	DestinationName     *string `json:"destination_name"`
}

func toWireConnection(c *Connection) wireConnection {
	return wireConnection{
		ID: c.ID, OrgID: c.OrgID, EnvID: c.EnvID, SourceID: c.SourceID, DestinationID: c.DestinationID,
		Name: c.Name, Description: wireString(c.Description), Enabled: wireBool(c.Enabled),
		FilterRules: wireJSON(c.FilterRules), Status: string(c.Status), EventCount: c.EventCount,
		LastEventAt: wireTime(c.LastEventAt), CreatedAt: mustTime(c.CreatedAt), UpdatedAt: mustTime(c.UpdatedAt),
		TransformEnabled: wireBool(c.TransformEnabled), TransformExpression: wireString(c.TransformExpression),
		SourceName: wireString(c.SourceName), DestinationName: wireString(c.DestinationName),
	}
}

type wireEnvironment struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	CreatedAt string `json:"created_at"`
}

func toWireEnvironment(e *Environment) wireEnvironment {
	return wireEnvironment{ID: e.ID, OrgID: e.OrgID, Name: e.Name, Slug: e.Slug, CreatedAt: mustTime(e.CreatedAt)}
}

type wireAPIKey struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Key       *string  `json:"key,omitempty"`
	KeyPrefix string   `json:"key_prefix"`
	Scopes    []string `json:"scopes"`
	EnvID     string   `json:"env_id"`
	CreatedAt string   `json:"created_at"`
}

func toWireAPIKey(k *APIKey, key string) wireAPIKey {
	w := wireAPIKey{ID: k.ID, Name: k.Name, KeyPrefix: k.KeyPrefix, Scopes: k.Scopes, EnvID: k.EnvID, CreatedAt: mustTime(k.CreatedAt)}
	if key != "" {
		w.Key = &key
	}
	if w.Scopes == nil {
		w.Scopes = []string{}
	}
	return w
}

// wireEventSummary is an event in a listing: without headers and payload.
type wireEventSummary struct {
	ID                 string  `json:"id"`
	SourceID           *string `json:"source_id"`
	OrgID              string  `json:"org_id"`
	EnvID              string  `json:"env_id"`
	Method             string  `json:"method"`
	ContentType        *string `json:"content_type"`
	SourceIP           *string `json:"source_ip"`
	PayloadSize        int     `json:"payload_size"`
	VerificationStatus string  `json:"verification_status"`
	VerificationError  *string `json:"verification_error"`
	DedupStatus        string  `json:"dedup_status"`
	DedupHash          *string `json:"dedup_hash"`
	Status             string  `json:"status"`
	ReceivedAt         string  `json:"received_at"`
	Topic              *string `json:"topic"`
	SourceName         *string `json:"source_name"`
	SourceSlug         *string `json:"source_slug"`
}

// wireEvent is a whole event (spec §2).
type wireEvent struct {
	ID                 string          `json:"id"`
	SourceID           *string         `json:"source_id"`
	OrgID              string          `json:"org_id"`
	EnvID              string          `json:"env_id"`
	Method             string          `json:"method"`
	Headers            *string         `json:"headers"`
	QueryParams        *string         `json:"query_params"`
	ContentType        *string         `json:"content_type"`
	SourceIP           *string         `json:"source_ip"`
	Payload            json.RawMessage `json:"payload"`
	PayloadEncoding    string          `json:"payload_encoding,omitempty"`
	PayloadSize        int             `json:"payload_size"`
	VerificationStatus string          `json:"verification_status"`
	VerificationError  *string         `json:"verification_error"`
	DedupStatus        string          `json:"dedup_status"`
	DedupHash          *string         `json:"dedup_hash"`
	Status             string          `json:"status"`
	ReceivedAt         string          `json:"received_at"`
	Topic              *string         `json:"topic"`
	SourceName         *string         `json:"source_name"`
	SourceSlug         *string         `json:"source_slug"`
}

func toWireEventSummary(e *Event) wireEventSummary {
	return wireEventSummary{
		ID: e.ID, SourceID: wireString(e.SourceID), OrgID: e.OrgID, EnvID: e.EnvID, Method: e.Method,
		ContentType: wireString(e.ContentType), SourceIP: wireString(e.SourceIP), PayloadSize: len(e.Body),
		VerificationStatus: string(e.VerificationStatus), VerificationError: wireString(e.VerificationError),
		DedupStatus: string(e.DedupStatus), DedupHash: wireString(e.DedupHash), Status: string(e.Status),
		ReceivedAt: mustTime(e.ReceivedAt), Topic: wireString(e.Topic),
		SourceName: wireString(e.SourceName), SourceSlug: wireString(e.SourceSlug),
	}
}

func toWireEvent(e *Event) wireEvent {
	s := toWireEventSummary(e)
	w := wireEvent{
		ID: s.ID, SourceID: s.SourceID, OrgID: s.OrgID, EnvID: s.EnvID, Method: s.Method,
		Headers: wireJSON(e.Headers), QueryParams: wireJSON(e.QueryParams),
		ContentType: s.ContentType, SourceIP: s.SourceIP, PayloadSize: s.PayloadSize,
		VerificationStatus: s.VerificationStatus, VerificationError: s.VerificationError,
		DedupStatus: s.DedupStatus, DedupHash: s.DedupHash, Status: s.Status, ReceivedAt: s.ReceivedAt,
		Topic: s.Topic, SourceName: s.SourceName, SourceSlug: s.SourceSlug,
	}
	w.Payload, w.PayloadEncoding = wirePayload(e.Body)
	return w
}

// wirePayload is the body as a JSON value when it is JSON, else a string
// (base64 when it is not UTF-8).
func wirePayload(body []byte) (json.RawMessage, string) {
	if len(body) == 0 {
		return json.RawMessage("null"), ""
	}
	// UTF-8 first: json.Valid accepts invalid UTF-8 inside strings, which
	// a client would decode as U+FFFD, losing the original bytes.
	if !utf8.Valid(body) {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(body))
		return b, "base64"
	}
	if json.Valid(body) {
		return compactJSON(body), ""
	}
	b, _ := json.Marshal(string(body))
	return b, ""
}

type wireCircuit struct {
	State            string  `json:"state"`
	FailureCount     int     `json:"failure_count"`
	OpenedAt         *string `json:"opened_at"`
	NextProbeAt      *string `json:"next_probe_at"`
	LastTransitionAt *string `json:"last_transition_at"`
}

func toWireCircuit(c Circuit) wireCircuit {
	return wireCircuit{State: string(c.State), FailureCount: c.FailureCount, OpenedAt: wireTime(c.OpenedAt),
		NextProbeAt: wireTime(c.NextProbeAt), LastTransitionAt: wireTime(c.LastTransitionAt)}
}

// wireAttempt is a delivery attempt (spec §2).
type wireAttempt struct {
	ID              string  `json:"id"`
	OrgID           string  `json:"org_id"`
	EnvID           string  `json:"env_id"`
	EventID         string  `json:"event_id"`
	ConnectionID    *string `json:"connection_id"`
	SubscriptionID  *string `json:"subscription_id"`
	DestinationID   string  `json:"destination_id"`
	RequestURL      *string `json:"request_url"`
	RequestMethod   *string `json:"request_method"`
	RequestHeaders  *string `json:"request_headers"`
	RequestBodySize int     `json:"request_body_size"`
	ResponseStatus  *int    `json:"response_status"`
	ResponseHeaders *string `json:"response_headers"`
	ResponseBody    *string `json:"response_body"`
	// ResponseBodyTruncated marks a response_body cut at 4 KiB.
	ResponseBodyTruncated int     `json:"response_body_truncated"`
	DurationMS            int64   `json:"duration_ms"`
	Status                string  `json:"status"`
	Error                 *string `json:"error"`
	CreatedAt             string  `json:"created_at"`
	AttemptNumber         int     `json:"attempt_number"`
	NextRetryAt           *string `json:"next_retry_at"`
	IsDLQ                 int     `json:"is_dlq"`
	DLQAt                 *string `json:"dlq_at"`
	TriggerType           string  `json:"trigger_type"`
	ConnectionName        *string `json:"connection_name"`
	DestinationName       *string `json:"destination_name"`
}

func toWireAttempt(a *Attempt) wireAttempt {
	w := wireAttempt{
		ID: a.ID, OrgID: a.OrgID, EnvID: a.EnvID, EventID: a.EventID,
		ConnectionID: wireString(a.ConnectionID), SubscriptionID: wireString(a.SubscriptionID),
		DestinationID: a.DestinationID, RequestURL: wireString(a.RequestURL),
		RequestMethod: wireString(a.RequestMethod), RequestHeaders: wireJSON(a.RequestHeaders),
		RequestBodySize: a.RequestBodySize, ResponseHeaders: wireJSON(a.ResponseHeaders),
		ResponseBody: wireString(a.ResponseBody), ResponseBodyTruncated: wireBool(a.ResponseBodyTruncated),
		DurationMS: a.DurationMS, Status: string(a.Status), Error: wireString(a.Error),
		CreatedAt: mustTime(a.CreatedAt), AttemptNumber: a.AttemptNumber, NextRetryAt: wireTime(a.NextRetryAt),
		IsDLQ: wireBool(a.IsDLQ), DLQAt: wireTime(a.DLQAt), TriggerType: string(a.Trigger),
		ConnectionName: wireString(a.ConnectionName), DestinationName: wireString(a.DestinationName),
	}
	if a.ResponseStatus != 0 {
		w.ResponseStatus = &a.ResponseStatus
	}
	return w
}

type wireTopic struct {
	ID                string  `json:"id"`
	OrgID             string  `json:"org_id"`
	EnvID             string  `json:"env_id"`
	Name              string  `json:"name"`
	Slug              string  `json:"slug"`
	Description       *string `json:"description"`
	Schema            *string `json:"schema"`
	Status            string  `json:"status"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
	PublishURL        string  `json:"publish_url"`
	SubscriptionCount int     `json:"subscription_count"`
}

func toWireTopic(t *Topic, base string) wireTopic {
	return wireTopic{
		ID: t.ID, OrgID: t.OrgID, EnvID: t.EnvID, Name: t.Name, Slug: t.Slug,
		Description: wireString(t.Description), Schema: wireJSON(t.Schema), Status: string(t.Status),
		CreatedAt: mustTime(t.CreatedAt), UpdatedAt: mustTime(t.UpdatedAt),
		PublishURL: base + "/v1/topics/" + t.Slug + "/publish", SubscriptionCount: t.SubscriptionCount,
	}
}

// wireSubscription is seed 003's subscription object, exactly.
type wireSubscription struct {
	ID                  string  `json:"id"`
	OrgID               string  `json:"org_id"`
	EnvID               string  `json:"env_id"`
	TopicID             string  `json:"topic_id"`
	DestinationID       string  `json:"destination_id"`
	FilterRules         *string `json:"filter_rules"`
	TransformExpression *string `json:"transform_expression"`
	Enabled             int     `json:"enabled"`
	CreatedAt           string  `json:"created_at"`
	DestinationName     *string `json:"destination_name"`
}

func toWireSubscription(s *Subscription) wireSubscription {
	return wireSubscription{
		ID: s.ID, OrgID: s.OrgID, EnvID: s.EnvID, TopicID: s.TopicID, DestinationID: s.DestinationID,
		FilterRules: wireJSON(s.FilterRules), TransformExpression: wireString(s.TransformExpression),
		Enabled: wireBool(s.Enabled), CreatedAt: mustTime(s.CreatedAt), DestinationName: wireString(s.DestinationName),
	}
}

type wirePublish struct {
	EventID    string `json:"event_id"`
	Topic      string `json:"topic"`
	ReceivedAt string `json:"received_at"`
}
