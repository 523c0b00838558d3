package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signing algorithms of an HMAC signing_config.
const (
	AlgorithmSHA256 = "sha256"
	AlgorithmSHA1   = "sha1"
)

// DefaultTimestampHeader is where a Signer puts the unix timestamp when
// include_timestamp is set. It is distinct from X-hookstream-Timestamp,
// which stays ISO 8601.
const DefaultTimestampHeader = "X-hookstream-Signature-Timestamp"

// SigningConfig is a destination's signing_config (spec §3.3).
type SigningConfig struct {
	// Scheme is "hmac" (hmac_sha256 and hmac_sha1 are accepted) or
	// "standard_webhooks" (standard-webhooks accepted). Defaults to "hmac".
	Scheme string `json:"scheme,omitempty"`
	// Secret is the signing key: used as-is for HMAC; "whsec_" + base64 (or
	// bare base64) for Standard Webhooks. Required.
	Secret string `json:"secret"`
	// Algorithm is sha256 or sha1 (HMAC only). Defaults to sha256.
	Algorithm string `json:"algorithm,omitempty"`
	// Header receives the HMAC signature. Defaults to DefaultSignatureHeader.
	Header string `json:"header,omitempty"`
	// Prefix goes before each hex signature; "{algorithm}" in it is replaced
	// by the algorithm. An explicit "" means no prefix. Defaults to
	// "{algorithm}=", i.e. "sha256=".
	Prefix *string `json:"prefix,omitempty"`
	// IncludeTimestamp signs "{unix_ts}.{body}" instead of the body and sends
	// the timestamp in TimestampHeader (HMAC only). Defaults to false.
	IncludeTimestamp bool `json:"include_timestamp,omitempty"`
	// TimestampHeader receives the unix timestamp. Defaults to
	// DefaultTimestampHeader.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// PreviousSecret, during a secret rotation, is also used to sign until
	// PreviousSecretExpiresAt. Same format as Secret. Optional.
	PreviousSecret string `json:"previous_secret,omitempty"`
	// PreviousSecretExpiresAt is an RFC 3339 time after which PreviousSecret
	// is no longer used. Empty means it is used until removed.
	PreviousSecretExpiresAt string `json:"previous_secret_expires_at,omitempty"`
}

// Signer adds signature headers to outgoing deliveries. A nil *Signer signs
// nothing. It is immutable and safe for concurrent use.
type Signer struct {
	standard    bool
	newHash     func() hash.Hash
	header      string
	prefix      string
	includeTS   bool
	tsHeader    string
	key         []byte
	prevKey     []byte
	prevExpires time.Time
}

// ParseSigningConfig parses a destination's signing_config JSON (an object,
// or a JSON string holding one) into a Signer. Empty input and JSON null
// return a nil Signer and no error: the destination is not signed. Invalid
// configs return a *ConfigError whose Field names the offending field, e.g.
// "signing_config.algorithm". Unknown fields are ignored.
func ParseSigningConfig(raw []byte) (*Signer, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &ConfigError{Field: "signing_config", Reason: "must be a JSON object"}
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, &ConfigError{Field: "signing_config", Reason: "must be a JSON object"}
	}
	var cfg SigningConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &ConfigError{Field: "signing_config." + te.Field, Reason: "must be " + jsonKind(te.Type.Kind().String())}
		}
		return nil, &ConfigError{Field: "signing_config", Reason: "must be a JSON object"}
	}
	return NewSigner(cfg)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "a boolean"
	case "string", "ptr":
		return "a string"
	}
	return "a " + goKind
}

// NewSigner validates cfg, applies its defaults and returns a Signer.
// Errors are *ConfigError values naming the field ("signing_config.secret").
func NewSigner(cfg SigningConfig) (*Signer, error) {
	s := &Signer{}
	scheme := normalizeName(cfg.Scheme)
	alg := normalizeAlgorithm(cfg.Algorithm)
	switch scheme {
	case "", "hmac":
	case SchemeHMACSHA256, SchemeHMACSHA1:
		schemeAlg := strings.TrimPrefix(scheme, "hmac_")
		if alg != "" && alg != schemeAlg {
			return nil, &ConfigError{Field: "signing_config.algorithm", Reason: "contradicts scheme " + scheme}
		}
		alg = schemeAlg
	case SchemeStandardWebhooks:
		s.standard = true
		if alg != "" && alg != AlgorithmSHA256 {
			return nil, &ConfigError{Field: "signing_config.algorithm", Reason: "must be sha256 for standard_webhooks"}
		}
	default:
		return nil, &ConfigError{Field: "signing_config.scheme", Reason: "must be hmac or standard_webhooks"}
	}

	var err error
	if s.key, err = s.parseSecret("signing_config.secret", cfg.Secret); err != nil {
		return nil, err
	}
	if cfg.PreviousSecret != "" {
		if s.prevKey, err = s.parseSecret("signing_config.previous_secret", cfg.PreviousSecret); err != nil {
			return nil, err
		}
		if cfg.PreviousSecretExpiresAt != "" {
			t, err := time.Parse(time.RFC3339, cfg.PreviousSecretExpiresAt)
			if err != nil {
				return nil, &ConfigError{Field: "signing_config.previous_secret_expires_at", Reason: "must be an RFC 3339 timestamp"}
			}
			s.prevExpires = t
		}
	}
	if s.standard {
		return s, nil
	}

	switch alg {
	case "", AlgorithmSHA256:
		alg, s.newHash = AlgorithmSHA256, sha256.New
	case AlgorithmSHA1:
		s.newHash = sha1.New
	default:
		return nil, &ConfigError{Field: "signing_config.algorithm", Reason: "must be sha256 or sha1"}
	}
	s.header = cfg.Header
	if s.header == "" {
		s.header = DefaultSignatureHeader
	}
	if !validHeaderName(s.header) {
		return nil, &ConfigError{Field: "signing_config.header", Reason: "must be a valid HTTP header name"}
	}
	s.prefix = alg + "="
	if cfg.Prefix != nil {
		s.prefix = strings.ReplaceAll(*cfg.Prefix, "{algorithm}", alg)
	}
	if strings.ContainsAny(s.prefix, "\r\n\x00") {
		return nil, &ConfigError{Field: "signing_config.prefix", Reason: "must not contain control characters"}
	}
	s.includeTS = cfg.IncludeTimestamp
	s.tsHeader = cfg.TimestampHeader
	if s.tsHeader == "" {
		s.tsHeader = DefaultTimestampHeader
	}
	if !validHeaderName(s.tsHeader) {
		return nil, &ConfigError{Field: "signing_config.timestamp_header", Reason: "must be a valid HTTP header name"}
	}
	if s.includeTS && http.CanonicalHeaderKey(s.tsHeader) == http.CanonicalHeaderKey(s.header) {
		return nil, &ConfigError{Field: "signing_config.timestamp_header", Reason: "must differ from header"}
	}
	return s, nil
}

func normalizeAlgorithm(a string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(a)), "-", "")
}

func (s *Signer) parseSecret(field, secret string) ([]byte, error) {
	switch {
	case secret == "":
		return nil, &ConfigError{Field: field, Reason: "is required"}
	case IsMasked(secret):
		return nil, &ConfigError{Field: field, Reason: "is masked; send the full secret"}
	case !s.standard:
		return []byte(secret), nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefixStandard))
	if err != nil || len(b) == 0 {
		return nil, &ConfigError{Field: field, Reason: "must be whsec_ followed by base64"}
	}
	return b, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Sign sets the signature headers of one delivery attempt on h. msgID is the
// event id, sent as webhook-id by Standard Webhooks; now is the attempt's
// time, so each retry carries a fresh timestamp.
//
// HMAC: header = prefix + hex(HMAC(secret, body)), or of "{unix}.{body}"
// with the unix timestamp in the timestamp header when include_timestamp is
// set. Standard Webhooks: webhook-id, webhook-timestamp and
// webhook-signature "v1,<base64>". While a previous secret has not expired,
// a second signature made with it follows the first: comma-separated in the
// HMAC header ("sha256=<new>,sha256=<old>"), space-separated for Standard
// Webhooks ("v1,<new> v1,<old>").
func (s *Signer) Sign(h http.Header, msgID string, body []byte, now time.Time) {
	if s == nil {
		return
	}
	keys := [][]byte{s.key}
	if s.prevKey != nil && (s.prevExpires.IsZero() || now.Before(s.prevExpires)) {
		keys = append(keys, s.prevKey)
	}
	ts := now.Unix()
	tsText := strconv.FormatInt(ts, 10)
	if s.standard {
		sigs := make([]string, len(keys))
		for i, k := range keys {
			sigs[i] = "v1," + computeStandardSignature(k, msgID, ts, body)
		}
		h.Set("webhook-id", msgID)
		h.Set("webhook-timestamp", tsText)
		h.Set("webhook-signature", strings.Join(sigs, " "))
		return
	}
	sigs := make([]string, len(keys))
	for i, k := range keys {
		m := hmac.New(s.newHash, k)
		if s.includeTS {
			m.Write([]byte(tsText))
			m.Write([]byte("."))
		}
		m.Write(body)
		sigs[i] = s.prefix + hex.EncodeToString(m.Sum(nil))
	}
	h.Set(s.header, strings.Join(sigs, ","))
	if s.includeTS {
		h.Set(s.tsHeader, tsText)
	}
}

// maskPrefix is what Mask puts in place of the hidden characters.
const maskPrefix = "••••"

// Mask hides a secret for API responses: "••••" followed by its last 4
// characters, e.g. "••••abcd". Secrets of 8 characters or fewer are shown as
// "••••" alone, so most of a short secret is never revealed. An empty secret
// stays empty, and an already masked value is returned unchanged.
func Mask(secret string) string {
	if secret == "" || IsMasked(secret) {
		return secret
	}
	r := []rune(secret)
	if len(r) <= 8 {
		return maskPrefix
	}
	return maskPrefix + string(r[len(r)-4:])
}

// IsMasked reports whether s is a value produced by Mask, such as a client
// echoing a masked secret back in an update.
func IsMasked(s string) bool {
	return strings.HasPrefix(s, maskPrefix)
}

// MaskSigningConfig returns signing_config JSON with "secret" and
// "previous_secret" masked, for API responses. Empty input and null are
// returned as they are; a JSON string holding an object is unwrapped.
func MaskSigningConfig(raw []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return nil, &ConfigError{Field: "signing_config", Reason: "must be a JSON object"}
		}
		trimmed = bytes.TrimSpace([]byte(s))
	}
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, &ConfigError{Field: "signing_config", Reason: "must be a JSON object"}
	}
	for _, k := range []string{"secret", "previous_secret"} {
		v, ok := m[k]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = maskPrefix // not a string: hide it whole
		}
		b, err := json.Marshal(Mask(s))
		if err != nil {
			return nil, err
		}
		m[k] = b
	}
	return json.Marshal(m)
}
