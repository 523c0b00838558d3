package signature

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// digestEncoding is how a digest is written in a header.
type digestEncoding int

const (
	// encAuto accepts hex or base64, told apart by length: a hex digest is
	// twice the digest size, which no base64 form of the same digest is.
	encAuto digestEncoding = iota
	encHex
	encBase64
)

// base64Encodings are tried in order; standard padded base64 is what every
// provider sends, the others are accepted for hand-written senders.
var base64Encodings = []*base64.Encoding{
	base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
}

// decodeDigest decodes one signature of size bytes.
func decodeDigest(s string, size int, enc digestEncoding) ([]byte, bool) {
	if enc != encBase64 && len(s) == hex.EncodedLen(size) {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	if enc == encHex {
		return nil, false
	}
	for _, e := range base64Encodings {
		if b, err := e.DecodeString(s); err == nil && len(b) == size {
			return b, true
		}
	}
	return nil, false
}

// hmacFormat describes an HMAC signature header.
type hmacFormat struct {
	newHash func() hash.Hash
	// prefix is stripped (any letter case) from each signature when present.
	prefix string
	enc    digestEncoding
}

// verifyHMAC computes HMAC(key, signed) and compares it, in constant time,
// with every signature in the named header. The header may hold several
// signatures separated by commas or spaces (secret rotation); one match is
// enough.
func verifyHMAC(h http.Header, name string, key, signed []byte, f hmacFormat) error {
	display := http.CanonicalHeaderKey(name)
	value := headerValue(h, name)
	if value == "" {
		return missing(display)
	}
	m := hmac.New(f.newHash, key)
	m.Write(signed)
	return matchDigests(value, m.Sum(nil), f, display)
}

func matchDigests(value string, mac []byte, f hmacFormat, display string) error {
	parts := strings.FieldsFunc(value, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	decoded, matched := false, false
	for _, p := range parts {
		if f.prefix != "" && len(p) >= len(f.prefix) && strings.EqualFold(p[:len(f.prefix)], f.prefix) {
			p = p[len(f.prefix):]
		}
		d, ok := decodeDigest(p, len(mac), f.enc)
		if !ok {
			continue
		}
		decoded = true
		if hmac.Equal(d, mac) {
			matched = true
		}
	}
	if !decoded {
		return malformed(display, "no "+encodingName(f.enc)+" digest of the expected length")
	}
	if !matched {
		return mismatch("")
	}
	return nil
}

func encodingName(e digestEncoding) string {
	switch e {
	case encHex:
		return "hex"
	case encBase64:
		return "base64"
	}
	return "hex or base64"
}

// genericFormat builds the format of a generic HMAC scheme from
// verification_config.
func genericFormat(c *Config, newHash func() hash.Hash, alg string) (hmacFormat, error) {
	f := hmacFormat{newHash: newHash, prefix: alg + "="}
	if p, ok := c.Extra["prefix"]; ok {
		f.prefix = p
	}
	switch strings.ToLower(c.Extra["encoding"]) {
	case "", "auto":
	case "hex":
		f.enc = encHex
	case "base64":
		f.enc = encBase64
	default:
		return f, &ConfigError{Field: "verification_config.encoding", Reason: "must be hex, base64 or auto"}
	}
	return f, nil
}

// genericHMAC is hmac_sha256 / hmac_sha1: a digest of the raw body, or of
// "{timestamp}.{body}" when verification_config names a timestamp_header.
func genericHMAC(newHash func() hash.Hash, alg string) verifier {
	return verifier{
		check: func(c *Config) error {
			if err := requireSecret(c); err != nil {
				return err
			}
			if err := checkHeaderName("verification_header", c.Header); err != nil {
				return err
			}
			if err := checkHeaderName("verification_config.timestamp_header", c.Extra["timestamp_header"]); err != nil {
				return err
			}
			_, err := genericFormat(c, newHash, alg)
			return err
		},
		verify: func(c *Config, r *Request, now time.Time) error {
			f, err := genericFormat(c, newHash, alg)
			if err != nil {
				return err
			}
			name := c.Header
			if name == "" {
				name = DefaultSignatureHeader
			}
			signed := r.Body
			if tsh := c.Extra["timestamp_header"]; tsh != "" {
				if headerValue(r.Header, name) == "" {
					return missing(http.CanonicalHeaderKey(name))
				}
				ts, err := timestampHeader(r.Header, tsh, http.CanonicalHeaderKey(tsh), now, c.tolerance())
				if err != nil {
					return err
				}
				signed = signedContent([]byte(ts), []byte("."), r.Body)
			}
			return verifyHMAC(r.Header, name, []byte(c.Secret), signed, f)
		},
	}
}

// hmacTemplate is a provider that signs the raw body with a fixed format in
// one header (GitHub, Shopify, Intercom, Typeform).
func hmacTemplate(header string, f hmacFormat) verifier {
	return verifier{
		check: checkSecretAndHeader,
		verify: func(c *Config, r *Request, _ time.Time) error {
			name := c.Header
			if name == "" {
				name = header
			}
			return verifyHMAC(r.Header, name, []byte(c.Secret), r.Body, f)
		},
	}
}

// checkHeaderName accepts an empty name (the default applies) or a valid
// HTTP header name.
func checkHeaderName(field, name string) error {
	if name != "" && !validHeaderName(name) {
		return &ConfigError{Field: field, Reason: "must be a valid HTTP header name"}
	}
	return nil
}

// checkSecretAndHeader is the check of templates that honour Config.Header.
func checkSecretAndHeader(c *Config) error {
	if err := requireSecret(c); err != nil {
		return err
	}
	return checkHeaderName("verification_header", c.Header)
}
