package signature

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"time"
)

// SendGrid's Signed Event Webhook headers.
const (
	sendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// parseSendGridKey decodes the verification key SendGrid shows under Mail
// Settings > Signed Event Webhook: base64 of a DER (PKIX) ECDSA public key.
// A PEM "PUBLIC KEY" block is accepted too.
func parseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &ConfigError{Field: "verification_secret", Reason: "is required"}
	}
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, &ConfigError{Field: "verification_secret", Reason: "must be SendGrid's base64 verification key"}
		}
		der = b
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, &ConfigError{Field: "verification_secret", Reason: "must be SendGrid's base64 verification key"}
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, &ConfigError{Field: "verification_secret", Reason: "must be an ECDSA public key"}
	}
	return key, nil
}

// sendGrid verifies SendGrid's Signed Event Webhook: an ECDSA (P-256)
// signature, base64 ASN.1 DER, over SHA-256 of timestamp followed by body.
func sendGrid() verifier {
	return verifier{
		check: func(c *Config) error {
			_, err := parseSendGridKey(c.Secret)
			return err
		},
		verify: func(c *Config, r *Request, now time.Time) error {
			key, err := parseSendGridKey(c.Secret)
			if err != nil {
				return err
			}
			value := headerValue(r.Header, sendGridSignatureHeader)
			if value == "" {
				return missing(sendGridSignatureHeader)
			}
			ts, err := timestampHeader(r.Header, sendGridTimestampHeader, sendGridTimestampHeader, now, c.tolerance())
			if err != nil {
				return err
			}
			sig, err := base64.StdEncoding.DecodeString(value)
			if err != nil || len(sig) == 0 {
				return malformed(sendGridSignatureHeader, "expected a base64 ECDSA signature")
			}
			h := sha256.New()
			h.Write([]byte(ts))
			h.Write(r.Body)
			if !ecdsa.VerifyASN1(key, h.Sum(nil), sig) {
				return mismatch("")
			}
			return nil
		},
	}
}
