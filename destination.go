package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/hookstream-go/hookstream/internal/netguard"
	"github.com/hookstream-go/hookstream/internal/retry"
	"github.com/hookstream-go/hookstream/store"
)

// Destination defaults (spec §2).
const (
	DefaultTimeoutMS               = 30000
	DefaultRetryMaxAttempts        = 5
	DefaultRetryBackoff            = "exponential"
	DefaultCircuitBreakerThreshold = 5
	DefaultCircuitBreakerResetMS   = 60000
	DefaultMaxConcurrency          = 10
)

// DefaultRetryIntervals are the default retry delays, in seconds.
var DefaultRetryIntervals = []int{30, 300, 1800, 7200, 86400}

// destinationTypeAliases maps accepted spellings to destination types.
var destinationTypeAliases = map[string]string{
	"sqs": "aws_sqs", "s3": "aws_s3", "eventbridge": "aws_eventbridge", "pubsub": "gcp_pubsub",
}

// DestinationParams creates or updates a destination. Nil fields are left
// unset: on create they take their defaults, on update they keep their
// value. A JSON field set to the literal null clears it.
type DestinationParams struct {
	Name   *string `json:"name" limit:"200"`
	Slug   *string `json:"slug" limit:"100"`
	Type   *string `json:"type" limit:"64"`
	URL    *string `json:"url" limit:"2048"`
	Method *string `json:"method" limit:"16"`
	// Headers replaces the extra request headers (an empty map clears them).
	Headers   map[string]string `json:"headers" limit:"50,key=256,value=8192"`
	TimeoutMS *int              `json:"timeout_ms"`
	// Timeout is the timeout in seconds, an alias of TimeoutMS.
	Timeout                 *int            `json:"timeout"`
	AuthType                *AuthType       `json:"auth_type" limit:"64"`
	AuthConfig              json.RawMessage `json:"auth_config" limit:"16384"`
	Status                  *Status         `json:"status" limit:"64"`
	RetryEnabled            *bool           `json:"retry_enabled"`
	RetryMaxAttempts        *int            `json:"retry_max_attempts"`
	RetryBackoffType        *BackoffType    `json:"retry_backoff_type" limit:"64"`
	RetryIntervals          []int           `json:"retry_intervals" limit:"20"`
	CircuitBreakerEnabled   *bool           `json:"circuit_breaker_enabled"`
	CircuitBreakerThreshold *int            `json:"circuit_breaker_threshold"`
	CircuitBreakerResetMS   *int            `json:"circuit_breaker_reset_ms"`
	ProviderConfig          json.RawMessage `json:"provider_config" limit:"16384"`
	SigningConfig           json.RawMessage `json:"signing_config" limit:"16384"`
	MaxConcurrency          *int            `json:"max_concurrency"`
}

// CreateDestination creates a destination. The name is required, and for
// the http type an absolute http or https URL; other types need a provider
// registered in Config.Providers.
func (r *Router) CreateDestination(ctx context.Context, p DestinationParams) (*Destination, error) {
	dst := &store.Destination{
		Type:                    "http",
		Method:                  http.MethodPost,
		TimeoutMS:               DefaultTimeoutMS,
		AuthType:                "none",
		Status:                  string(StatusActive),
		RetryEnabled:            true,
		RetryMaxAttempts:        DefaultRetryMaxAttempts,
		RetryBackoffType:        DefaultRetryBackoff,
		RetryIntervals:          slices.Clone(DefaultRetryIntervals),
		CircuitBreakerEnabled:   true,
		CircuitBreakerThreshold: DefaultCircuitBreakerThreshold,
		CircuitBreakerResetMS:   DefaultCircuitBreakerResetMS,
		MaxConcurrency:          DefaultMaxConcurrency,
	}
	if err := r.applyDestination(&p, dst); err != nil {
		return nil, err
	}
	if err := r.createResource(ctx, dst, prefixDestination); err != nil {
		return nil, fmt.Errorf("create destination: %w", storeError(err, "Destination"))
	}
	r.configChanged()
	return newDestination(dst, store.Counter{}), nil
}

// GetDestination returns the destination with the given ID, or ErrNotFound.
func (r *Router) GetDestination(ctx context.Context, id string) (*Destination, error) {
	dst := new(store.Destination)
	if err := r.getResource(ctx, dst, id); err != nil {
		return nil, storeError(err, "Destination")
	}
	return r.withDestinationCounters(ctx, dst)
}

// ListDestinations lists destinations, newest first.
func (r *Router) ListDestinations(ctx context.Context, p ListParams) (Page[*Destination], error) {
	page, err := listResources[*store.Destination](ctx, r, store.KindDestination, p)
	if err != nil {
		return Page[*Destination]{}, fmt.Errorf("list destinations: %w", err)
	}
	counters, err := pageCounters(ctx, r, page.Items)
	if err != nil {
		return Page[*Destination]{}, fmt.Errorf("list destinations: %w", err)
	}
	out := Page[*Destination]{NextCursor: page.NextCursor}
	for i, dst := range page.Items {
		out.Items = append(out.Items, newDestination(dst, counters[i]))
	}
	return out, nil
}

// UpdateDestination changes the fields set in p.
func (r *Router) UpdateDestination(ctx context.Context, id string, p DestinationParams) (*Destination, error) {
	dst := new(store.Destination)
	if err := r.updateResource(ctx, dst, id, func() error { return r.applyDestination(&p, dst) }); err != nil {
		return nil, fmt.Errorf("update destination: %w", storeError(err, "Destination"))
	}
	r.configChanged()
	return r.withDestinationCounters(ctx, dst)
}

// DeleteDestination deletes a destination. It fails with ErrConflict while
// connections or subscriptions use it: delete them first.
func (r *Router) DeleteDestination(ctx context.Context, id string) error {
	err := r.store.Delete(ctx, store.KindDestination, r.tenant(ctx), id)
	if err != nil {
		return fmt.Errorf("delete destination: %w", deleteError(err, "Destination", "connections or subscriptions"))
	}
	r.configChanged()
	return nil
}

func (r *Router) withDestinationCounters(ctx context.Context, dst *store.Destination) (*Destination, error) {
	c, err := pageCounters(ctx, r, []*store.Destination{dst})
	if err != nil {
		return nil, err
	}
	return newDestination(dst, c[0]), nil
}

// applyDestination writes p into dst and validates the result.
func (r *Router) applyDestination(p *DestinationParams, dst *store.Destination) (err error) {
	defer func() { err = forResource(err, "destination") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&dst.Name, p.Name)
	set(&dst.Slug, p.Slug)
	if p.URL != nil {
		dst.URL = keepRedactedURL(*p.URL, dst.URL)
	}
	set(&dst.TimeoutMS, p.TimeoutMS)
	setString(&dst.AuthType, p.AuthType)
	setJSON(&dst.AuthConfig, keepMasked(p.AuthConfig, dst.AuthConfig))
	setString(&dst.Status, p.Status)
	set(&dst.RetryEnabled, p.RetryEnabled)
	set(&dst.RetryMaxAttempts, p.RetryMaxAttempts)
	setString(&dst.RetryBackoffType, p.RetryBackoffType)
	set(&dst.CircuitBreakerEnabled, p.CircuitBreakerEnabled)
	set(&dst.CircuitBreakerThreshold, p.CircuitBreakerThreshold)
	set(&dst.CircuitBreakerResetMS, p.CircuitBreakerResetMS)
	setJSON(&dst.ProviderConfig, keepMasked(p.ProviderConfig, dst.ProviderConfig))
	setJSON(&dst.SigningConfig, keepMasked(p.SigningConfig, dst.SigningConfig))
	set(&dst.MaxConcurrency, p.MaxConcurrency)
	if p.Type != nil {
		dst.Type = strings.ToLower(*p.Type)
		if alias, ok := destinationTypeAliases[dst.Type]; ok {
			dst.Type = alias
		}
	}
	if p.Method != nil {
		dst.Method = strings.ToUpper(*p.Method)
	}
	if p.Headers != nil {
		dst.Headers = keepMaskedHeaders(p.Headers, dst.Headers)
	}
	if p.Timeout != nil && p.TimeoutMS == nil {
		dst.TimeoutMS = *p.Timeout * 1000
	}
	if p.RetryIntervals != nil {
		dst.RetryIntervals = slices.Clone(p.RetryIntervals)
	}
	return r.validateDestination(dst)
}

func (r *Router) validateDestination(dst *store.Destination) error {
	if err := required("name", dst.Name); err != nil {
		return err
	}
	if err := checkSlug(&dst.Slug, dst.Name); err != nil {
		return err
	}
	if dst.Type == "http" {
		if err := checkURL(dst.URL, r.cfg.AllowPrivateNetworks); err != nil {
			return err
		}
	} else if p, ok := r.providers[dst.Type]; !ok {
		return invalid("type", "%q has no registered destination provider", dst.Type)
	} else if err := p.Validate(dst); err != nil {
		return invalid("provider_config", "%v", err)
	}
	if err := oneOf("method", dst.Method, http.MethodPost, http.MethodPut, http.MethodPatch); err != nil {
		return err
	}
	for name := range dst.Headers {
		if !validHeaderName(name) {
			return invalid("headers", "%q is not a valid header name", name)
		}
	}
	if dst.TimeoutMS < 1 || dst.TimeoutMS > 300000 {
		return invalid("timeout_ms", "must be between 1 and 300000")
	}
	if err := validateAuth(dst.AuthType, dst.AuthConfig); err != nil {
		return err
	}
	if err := oneOf("status", dst.Status, StatusActive, StatusPaused, StatusDisabled); err != nil {
		return err
	}
	if err := retryPolicy(dst).Validate(); err != nil {
		var fe *retry.FieldError
		if errors.As(err, &fe) {
			return invalid(fe.Field, "%s", fe.Reason)
		}
		return invalid("retry", "%v", err)
	}
	if dst.CircuitBreakerThreshold < 1 || dst.CircuitBreakerThreshold > 1000 {
		return invalid("circuit_breaker_threshold", "must be between 1 and 1000")
	}
	if dst.CircuitBreakerResetMS < 1000 || dst.CircuitBreakerResetMS > 24*3600*1000 {
		return invalid("circuit_breaker_reset_ms", "must be between 1000 and 86400000")
	}
	if err := checkObject("provider_config", dst.ProviderConfig); err != nil {
		return err
	}
	if len(dst.SigningConfig) > 0 {
		if _, err := parseSigner(dst.SigningConfig); err != nil {
			return invalid("signing_config", "%v", err)
		}
	}
	if dst.MaxConcurrency < 1 || dst.MaxConcurrency > 1000 {
		return invalid("max_concurrency", "must be between 1 and 1000")
	}
	return nil
}

// privateNetworksHint names the setting that lets deliveries reach
// loopback and private addresses.
const privateNetworksHint = "set Config.AllowPrivateNetworks (examples/server: -allow-private-networks) to allow it"

// checkURL validates an http destination's URL. Unless private networks are
// allowed, a host that is a loopback, private, link-local or metadata
// address literal, or localhost, is refused here rather than at every
// delivery (names that resolve to such addresses are refused at dial time).
func checkURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return invalid("url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", "must be an absolute http or https URL")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return invalid("url", "must not name localhost: %s", privateNetworksHint)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason, blocked := netguard.Blocked(ip); blocked {
			return invalid("url", "must not be a %s: %s", reason, privateNetworksHint)
		}
	}
	return nil
}

// validHeaderName reports whether s is an HTTP header field name (a token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 127 || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// authConfig is the auth_config of a destination.
type authConfig struct {
	Token    string `json:"token"`
	Username string `json:"username"`
	Password string `json:"password"`
	Header   string `json:"header"`
	Value    string `json:"value"`
}

// validateAuth checks auth_type and the auth_config it needs: bearer
// {token}, basic {username, password}, api_key {header, value}.
func validateAuth(authType string, raw json.RawMessage) error {
	if err := oneOf("auth_type", authType, "none", "bearer", "basic", "api_key"); err != nil {
		return err
	}
	var c authConfig
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return invalid("auth_config", "must be an object of strings")
		}
	}
	switch authType {
	case "bearer":
		if c.Token == "" {
			return invalid("auth_config", "needs token for auth_type bearer")
		}
	case "basic":
		if c.Username == "" {
			return invalid("auth_config", "needs username and password for auth_type basic")
		}
	case "api_key":
		if !validHeaderName(c.Header) || c.Value == "" {
			return invalid("auth_config", "needs header and value for auth_type api_key")
		}
	}
	return nil
}
