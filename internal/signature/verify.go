package signature

import (
	"crypto/sha1"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Generic verification schemes (a source's verification_type).
const (
	// SchemeHMACSHA256 is an HMAC-SHA256 digest of the raw body, hex or
	// base64, in the configured header.
	SchemeHMACSHA256 = "hmac_sha256"
	// SchemeHMACSHA1 is an HMAC-SHA1 digest of the raw body, hex or base64,
	// in the configured header.
	SchemeHMACSHA1 = "hmac_sha1"
	// SchemeStandardWebhooks is https://www.standardwebhooks.com: webhook-id,
	// webhook-timestamp and webhook-signature (svix-* names accepted too).
	SchemeStandardWebhooks = "standard_webhooks"
)

// DefaultTolerance is how far a signed timestamp may be from now, in either
// direction, when Config.Tolerance is zero.
const DefaultTolerance = 5 * time.Minute

// DefaultSignatureHeader is the header the generic HMAC schemes read when
// Config.Header is empty, and the header a Signer writes by default, so a
// hookstream destination can feed a hookstream source unchanged.
const DefaultSignatureHeader = "X-hookstream-Signature"

// Request is the part of an incoming HTTP request that verification reads.
type Request struct {
	// Method is the HTTP method. Twilio only signs POST form parameters.
	Method string
	// URL is the full URL as the provider called it (scheme, host, path and
	// query), before any proxy rewrote it. Only Twilio signs it.
	URL string
	// Header holds the request headers.
	Header http.Header
	// Body is the raw body, byte for byte as received.
	Body []byte
	// Form holds the parsed form-encoded body parameters (http.Request's
	// PostForm, not Form, which also holds the query). Only Twilio reads it;
	// when nil and the body is application/x-www-form-urlencoded, the body is
	// parsed instead.
	Form url.Values
}

// Config is a source's verification settings.
type Config struct {
	// Scheme is the verification_type: hmac_sha256, hmac_sha1 or
	// standard_webhooks (hyphenated spellings accepted). It is used when
	// Template is empty or "custom".
	Scheme string
	// Secret is the verification_secret. Its format depends on the scheme or
	// template; see Template.SecretHint.
	Secret string
	// Header is the verification_header holding the signature. For the HMAC
	// schemes it defaults to DefaultSignatureHeader; for templates with a
	// single signature header it overrides the provider's header. Standard
	// Webhooks, Slack, SendGrid and Postmark ignore it.
	Header string
	// Template is the provider template name, or empty. A template other than
	// "custom" decides the format on its own.
	Template string
	// Tolerance is how far a signed timestamp may be from now, in either
	// direction. Negative disables timestamp checks. Defaults to
	// DefaultTolerance.
	Tolerance time.Duration
	// Extra holds verification_config. The HMAC schemes (and "custom")
	// understand "prefix" (stripped from each signature; defaults to
	// "sha256=" or "sha1="), "encoding" ("hex", "base64" or "auto"; defaults
	// to "auto") and "timestamp_header" (a header with a unix timestamp; the
	// signed content becomes "{timestamp}.{body}" and the tolerance applies).
	Extra map[string]string
}

func (c *Config) tolerance() time.Duration {
	if c.Tolerance == 0 {
		return DefaultTolerance
	}
	return c.Tolerance
}

// NormalizeScheme returns the canonical (underscore) name of a
// verification_type and whether it is known. It accepts any letter case and
// the hyphenated spellings ("hmac-sha256", "standard-webhooks").
func NormalizeScheme(s string) (string, bool) {
	n := normalizeName(s)
	switch n {
	case SchemeHMACSHA256, SchemeHMACSHA1, SchemeStandardWebhooks:
		return n, true
	}
	return "", false
}

// NormalizeTemplate returns the canonical name of a template and whether it
// is known, accepting any letter case and hyphens for underscores.
func NormalizeTemplate(s string) (string, bool) {
	n := normalizeName(s)
	if _, ok := templateVerifiers[n]; ok {
		return n, true
	}
	return "", false
}

func normalizeName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
}

// Verify checks req against cfg at time now. It returns nil when the request
// is authentic, a *Error wrapping ErrMissingHeader, ErrMalformedHeader,
// ErrSignatureMismatch or ErrOutsideTolerance when it is not, and a
// *ConfigError when cfg cannot verify anything. Verify never panics on
// request input and never includes the secret in an error.
func Verify(cfg Config, req Request, now time.Time) error {
	v, err := resolve(&cfg)
	if err != nil {
		return err
	}
	if err := v.check(&cfg); err != nil {
		return err
	}
	return v.verify(&cfg, &req, now)
}

// ValidateConfig reports, as a *ConfigError, whether cfg can verify requests:
// a known scheme or template, a secret in the format it needs, and valid
// verification_config values. Call it when a source is created or updated.
func ValidateConfig(cfg Config) error {
	v, err := resolve(&cfg)
	if err != nil {
		return err
	}
	return v.check(&cfg)
}

// verifier is one scheme or template.
type verifier struct {
	// check validates the secret and extras without a request.
	check func(c *Config) error
	// verify checks one request; check has already passed.
	verify func(c *Config, r *Request, now time.Time) error
}

var schemeVerifiers = map[string]verifier{
	SchemeHMACSHA256:       genericHMAC(sha256.New, "sha256"),
	SchemeHMACSHA1:         genericHMAC(sha1.New, "sha1"),
	SchemeStandardWebhooks: standardWebhooks(),
}

// templateVerifiers maps every template name to its verifier; "custom" maps
// to a placeholder because it defers to the scheme.
var templateVerifiers = map[string]verifier{
	TemplateStripe:           stripe(),
	TemplateGitHub:           hmacTemplate("X-Hub-Signature-256", hmacFormat{newHash: sha256.New, prefix: "sha256=", enc: encHex}),
	TemplateShopify:          hmacTemplate("X-Shopify-Hmac-Sha256", hmacFormat{newHash: sha256.New, enc: encBase64}),
	TemplateSlack:            slack(),
	TemplateTwilio:           twilio(),
	TemplateSendGrid:         sendGrid(),
	TemplateIntercom:         hmacTemplate("X-Hub-Signature", hmacFormat{newHash: sha1.New, prefix: "sha1=", enc: encHex}),
	TemplateLinear:           linear(),
	TemplateClerk:            standardWebhooks(),
	TemplateSvix:             standardWebhooks(),
	TemplateResend:           standardWebhooks(),
	TemplatePaddle:           paddle(),
	TemplatePostmark:         postmark(),
	TemplateTypeform:         hmacTemplate("Typeform-Signature", hmacFormat{newHash: sha256.New, prefix: "sha256=", enc: encBase64}),
	TemplateStandardWebhooks: standardWebhooks(),
	TemplateCustom:           {},
}

func resolve(c *Config) (verifier, error) {
	if c.Template != "" {
		name, ok := NormalizeTemplate(c.Template)
		if !ok {
			return verifier{}, &ConfigError{Field: "template", Reason: "unknown template"}
		}
		if name != TemplateCustom {
			return templateVerifiers[name], nil
		}
	}
	if strings.TrimSpace(c.Scheme) == "" {
		return verifier{}, &ConfigError{Field: "verification_type", Reason: "is required"}
	}
	name, ok := NormalizeScheme(c.Scheme)
	if !ok {
		return verifier{}, &ConfigError{Field: "verification_type", Reason: "must be one of hmac_sha256, hmac_sha1, standard_webhooks"}
	}
	return schemeVerifiers[name], nil
}

func requireSecret(c *Config) error {
	if c.Secret == "" {
		return &ConfigError{Field: "verification_secret", Reason: "is required"}
	}
	return nil
}

// headerValue returns every value of the named header joined by commas, or
// "" when absent.
func headerValue(h http.Header, name string) string {
	return strings.TrimSpace(strings.Join(h.Values(name), ","))
}

// parseUnix parses a unix timestamp of ASCII digits only (no sign, no
// spaces), as every provider sends it.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// checkTimestamp returns ErrOutsideTolerance when ts is more than tol away
// from now; a negative tol disables the check.
func checkTimestamp(ts, now time.Time, tol time.Duration) error {
	if tol < 0 {
		return nil
	}
	if d := now.Sub(ts); d > tol || d < -tol {
		return outsideTolerance()
	}
	return nil
}

// timestampHeader reads and checks a unix-seconds timestamp header,
// returning its raw text; errors call the header display.
func timestampHeader(h http.Header, name, display string, now time.Time, tol time.Duration) (string, error) {
	raw := strings.TrimSpace(h.Get(name))
	if raw == "" {
		return "", missing(display)
	}
	sec, ok := parseUnix(raw)
	if !ok {
		return "", malformed(display, "expected a unix timestamp")
	}
	return raw, checkTimestamp(time.Unix(sec, 0), now, tol)
}

// signedContent concatenates the parts of a signed message.
func signedContent(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
