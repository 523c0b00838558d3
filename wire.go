package hookstream

import (
	"encoding/json"
	"time"
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
