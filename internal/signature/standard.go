package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks secret prefixes.
const (
	// SecretPrefixStandard marks a base64 HMAC key ("whsec_...").
	SecretPrefixStandard = "whsec_"
	// SecretPrefixPublicKey marks a base64 ed25519 public key ("whpk_...")
	// that verifies asymmetric "v1a" signatures.
	SecretPrefixPublicKey = "whpk_"
)

// standardKey is a decoded Standard Webhooks secret: an HMAC key for "v1"
// signatures or an ed25519 public key for "v1a" signatures.
type standardKey struct {
	hmacKey   []byte
	publicKey ed25519.PublicKey
}

// parseStandardSecret decodes a Standard Webhooks secret. "whsec_" must be
// followed by base64; "whpk_" by a base64 ed25519 public key. Without a
// prefix the secret is base64-decoded as the reference libraries do, and
// used as raw bytes when it is not base64.
func parseStandardSecret(field, s string) (standardKey, error) {
	switch {
	case s == "":
		return standardKey{}, &ConfigError{Field: field, Reason: "is required"}
	case strings.HasPrefix(s, SecretPrefixPublicKey):
		b, err := base64.StdEncoding.DecodeString(s[len(SecretPrefixPublicKey):])
		if err != nil || len(b) != ed25519.PublicKeySize {
			return standardKey{}, &ConfigError{Field: field, Reason: "whpk_ must be followed by a base64 ed25519 public key"}
		}
		return standardKey{publicKey: ed25519.PublicKey(b)}, nil
	case strings.HasPrefix(s, SecretPrefixStandard):
		b, err := base64.StdEncoding.DecodeString(s[len(SecretPrefixStandard):])
		if err != nil || len(b) == 0 {
			return standardKey{}, &ConfigError{Field: field, Reason: "whsec_ must be followed by base64"}
		}
		return standardKey{hmacKey: b}, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
		return standardKey{hmacKey: b}, nil
	}
	return standardKey{hmacKey: []byte(s)}, nil
}

// standardSignature is one entry of a webhook-signature header.
type standardSignature struct {
	version string
	sig     string
}

// parseStandardSignatures splits a webhook-signature header: space-separated
// "<version>,<base64>" entries. Entries without a comma are skipped, as the
// reference libraries do; ok is false when no entry is well formed.
func parseStandardSignatures(s string) (sigs []standardSignature, ok bool) {
	for _, entry := range strings.Fields(s) {
		version, sig, found := strings.Cut(entry, ",")
		if !found || version == "" || sig == "" {
			continue
		}
		sigs = append(sigs, standardSignature{version: version, sig: sig})
	}
	return sigs, len(sigs) > 0
}

// standardHeaders names the three headers of one spelling.
type standardHeaders struct{ id, timestamp, signature string }

var (
	webhookHeaders = standardHeaders{"webhook-id", "webhook-timestamp", "webhook-signature"}
	svixHeaders    = standardHeaders{"svix-id", "svix-timestamp", "svix-signature"}
)

// pickStandardHeaders prefers webhook-*; svix-* is used when the request
// has some svix-* header and neither webhook-id nor webhook-signature.
func pickStandardHeaders(h http.Header) standardHeaders {
	if h.Get(webhookHeaders.signature) != "" || h.Get(webhookHeaders.id) != "" {
		return webhookHeaders
	}
	if h.Get(svixHeaders.signature) != "" || h.Get(svixHeaders.id) != "" || h.Get(svixHeaders.timestamp) != "" {
		return svixHeaders
	}
	return webhookHeaders
}

// standardWebhooks verifies https://www.standardwebhooks.com signatures
// (also Svix, Clerk and Resend): HMAC-SHA256 over "{id}.{timestamp}.{body}",
// base64, as "v1,<sig>" entries; or ed25519 "v1a,<sig>" with a whpk_ key.
func standardWebhooks() verifier {
	return verifier{
		check: func(c *Config) error {
			_, err := parseStandardSecret("verification_secret", c.Secret)
			return err
		},
		verify: func(c *Config, r *Request, now time.Time) error {
			key, err := parseStandardSecret("verification_secret", c.Secret)
			if err != nil {
				return err
			}
			names := pickStandardHeaders(r.Header)
			id := strings.TrimSpace(r.Header.Get(names.id))
			if id == "" {
				return missing(names.id)
			}
			sigHeader := headerValue(r.Header, names.signature)
			if sigHeader == "" {
				return missing(names.signature)
			}
			ts, err := timestampHeader(r.Header, names.timestamp, names.timestamp, now, c.tolerance())
			if err != nil {
				return err
			}
			sigs, ok := parseStandardSignatures(sigHeader)
			if !ok {
				return malformed(names.signature, "expected space-separated v1,<base64> entries")
			}
			signed := signedContent([]byte(id), []byte("."), []byte(ts), []byte("."), r.Body)
			if key.publicKey != nil {
				return matchStandardV1a(sigs, key.publicKey, signed)
			}
			m := hmac.New(sha256.New, key.hmacKey)
			m.Write(signed)
			return matchStandardV1(sigs, m.Sum(nil))
		},
	}
}

func matchStandardV1(sigs []standardSignature, mac []byte) error {
	matched := false
	for _, s := range sigs {
		if s.version != "v1" {
			continue
		}
		d, ok := decodeDigest(s.sig, len(mac), encBase64)
		if ok && hmac.Equal(d, mac) {
			matched = true
		}
	}
	if !matched {
		return mismatch("")
	}
	return nil
}

func matchStandardV1a(sigs []standardSignature, pub ed25519.PublicKey, signed []byte) error {
	for _, s := range sigs {
		if s.version != "v1a" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(s.sig)
		if err == nil && len(b) == ed25519.SignatureSize && ed25519.Verify(pub, signed, b) {
			return nil
		}
	}
	return mismatch("")
}

// computeStandardSignature returns the base64 v1 signature (without "v1,").
func computeStandardSignature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte("."))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
