package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"
)

// timestampedHeader is a parsed Stripe-Signature or Paddle-Signature header.
type timestampedHeader struct {
	// timestamp is the raw unix-seconds text, as signed.
	timestamp string
	// sigs holds the signatures that decode to a SHA-256 digest.
	sigs [][]byte
	// sawSig is true when the header had at least one signature entry, even
	// one that did not decode.
	sawSig bool
}

// parseTimestampedHeader parses "<tsKey>=<unix><sep><sigKey>=<hex>[<sep>...]"
// with keys in any order; unknown keys are ignored and signatures that are
// not 64 hex digits are skipped. reason is empty on success.
func parseTimestampedHeader(s string, sep, tsKey, sigKey string) (h timestampedHeader, reason string) {
	for _, item := range strings.Split(s, sep) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return h, "expected " + tsKey + "=...," + sigKey + "=... pairs"
		}
		switch k {
		case tsKey:
			if h.timestamp != "" {
				return h, "more than one " + tsKey + "= timestamp"
			}
			if _, ok := parseUnix(v); !ok {
				return h, tsKey + "= is not a unix timestamp"
			}
			h.timestamp = v
		case sigKey:
			h.sawSig = true
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				h.sigs = append(h.sigs, b)
			}
		}
	}
	if h.timestamp == "" {
		return h, "no " + tsKey + "= timestamp"
	}
	if !h.sawSig {
		return h, "no " + sigKey + "= signature"
	}
	return h, ""
}

// parseStripeHeader parses "t=<unix>,v1=<hex>[,v1=<hex>][,v0=<hex>]".
func parseStripeHeader(s string) (timestampedHeader, string) {
	return parseTimestampedHeader(s, ",", "t", "v1")
}

// parsePaddleHeader parses "ts=<unix>;h1=<hex>[;h1=<hex>]".
func parsePaddleHeader(s string) (timestampedHeader, string) {
	return parseTimestampedHeader(s, ";", "ts", "h1")
}

// verifyTimestamped checks a parsed Stripe or Paddle header: the tolerance,
// then HMAC-SHA256 of "{ts}{sep}{body}" against every signature.
func verifyTimestamped(c *Config, r *Request, now time.Time, display string, parse func(string) (timestampedHeader, string), sep string) error {
	value := headerValue(r.Header, display)
	if value == "" {
		return missing(display)
	}
	h, reason := parse(value)
	if reason != "" {
		return malformed(display, reason)
	}
	sec, _ := parseUnix(h.timestamp)
	if err := checkTimestamp(time.Unix(sec, 0), now, c.tolerance()); err != nil {
		return err
	}
	m := hmac.New(sha256.New, []byte(c.Secret))
	m.Write([]byte(h.timestamp))
	m.Write([]byte(sep))
	m.Write(r.Body)
	mac := m.Sum(nil)
	matched := false
	for _, s := range h.sigs {
		if hmac.Equal(s, mac) {
			matched = true
		}
	}
	if !matched {
		return mismatch("")
	}
	return nil
}

// stripe verifies Stripe-Signature: HMAC-SHA256 of "{t}.{body}" with the
// endpoint secret used as-is (whsec_ included), hex, in v1= entries.
func stripe() verifier {
	return verifier{
		check: checkSecretAndHeader,
		verify: func(c *Config, r *Request, now time.Time) error {
			return verifyTimestamped(c, r, now, headerOr(c.Header, "Stripe-Signature"), parseStripeHeader, ".")
		},
	}
}

// paddle verifies Paddle Billing's Paddle-Signature: HMAC-SHA256 of
// "{ts}:{body}" with the endpoint secret key used as-is, hex, in h1= entries.
func paddle() verifier {
	return verifier{
		check: checkSecretAndHeader,
		verify: func(c *Config, r *Request, now time.Time) error {
			return verifyTimestamped(c, r, now, headerOr(c.Header, "Paddle-Signature"), parsePaddleHeader, ":")
		},
	}
}

func headerOr(configured, def string) string {
	if configured != "" {
		return http.CanonicalHeaderKey(configured)
	}
	return def
}

// Slack's headers.
const (
	slackSignatureHeader = "X-Slack-Signature"
	slackTimestampHeader = "X-Slack-Request-Timestamp"
)

// parseSlackSignature parses "v0=<64 hex digits>".
func parseSlackSignature(s string) ([]byte, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(s), "v0=")
	if !ok {
		return nil, false
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != sha256.Size {
		return nil, false
	}
	return b, true
}

// slack verifies X-Slack-Signature: "v0=" + hex HMAC-SHA256 of
// "v0:{X-Slack-Request-Timestamp}:{body}" with the signing secret.
func slack() verifier {
	return verifier{
		check: requireSecret,
		verify: func(c *Config, r *Request, now time.Time) error {
			value := headerValue(r.Header, slackSignatureHeader)
			if value == "" {
				return missing(slackSignatureHeader)
			}
			ts, err := timestampHeader(r.Header, slackTimestampHeader, slackTimestampHeader, now, c.tolerance())
			if err != nil {
				return err
			}
			sig, ok := parseSlackSignature(value)
			if !ok {
				return malformed(slackSignatureHeader, "expected v0=<hex>")
			}
			m := hmac.New(sha256.New, []byte(c.Secret))
			m.Write([]byte("v0:" + ts + ":"))
			m.Write(r.Body)
			if !hmac.Equal(sig, m.Sum(nil)) {
				return mismatch("")
			}
			return nil
		},
	}
}

// linear verifies Linear-Signature (hex HMAC-SHA256 of the body), then,
// when the JSON body carries webhookTimestamp (unix milliseconds), checks it
// against the tolerance. The timestamp is inside the signed body, so it is
// read only after the signature matched.
func linear() verifier {
	f := hmacFormat{newHash: sha256.New, enc: encHex}
	return verifier{
		check: checkSecretAndHeader,
		verify: func(c *Config, r *Request, now time.Time) error {
			if err := verifyHMAC(r.Header, headerOr(c.Header, "Linear-Signature"), []byte(c.Secret), r.Body, f); err != nil {
				return err
			}
			var body struct {
				WebhookTimestamp *float64 `json:"webhookTimestamp"`
			}
			if json.Unmarshal(r.Body, &body) != nil || body.WebhookTimestamp == nil {
				return nil
			}
			ms := *body.WebhookTimestamp
			if math.IsNaN(ms) || ms < 0 || ms > 1e15 {
				return outsideTolerance()
			}
			return checkTimestamp(time.UnixMilli(int64(ms)), now, c.tolerance())
		},
	}
}

// postmark signs nothing: Postmark protects webhooks with HTTP basic auth in
// the webhook URL and a published list of sender IPs. With an empty secret
// every request passes; a "user:password" secret requires a matching
// Authorization: Basic header.
func postmark() verifier {
	return verifier{
		check: func(c *Config) error {
			if c.Secret != "" && !strings.Contains(c.Secret, ":") {
				return &ConfigError{Field: "verification_secret", Reason: "must be empty or user:password"}
			}
			return nil
		},
		verify: func(c *Config, r *Request, _ time.Time) error {
			if c.Secret == "" {
				return nil
			}
			auth := strings.TrimSpace(r.Header.Get("Authorization"))
			if auth == "" {
				return missing("Authorization")
			}
			scheme, cred, ok := strings.Cut(auth, " ")
			if !ok || !strings.EqualFold(scheme, "Basic") {
				return malformed("Authorization", "expected Basic credentials")
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
			if err != nil || !strings.Contains(string(raw), ":") {
				return malformed("Authorization", "expected Basic credentials")
			}
			got, want := sha256.Sum256(raw), sha256.Sum256([]byte(c.Secret))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				return mismatch("wrong basic auth credentials")
			}
			return nil
		},
	}
}
