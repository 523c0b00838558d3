package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const twilioSignatureHeader = "X-Twilio-Signature"

// twilio verifies X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth
// token, of the full URL followed, for a form-encoded POST, by every body
// parameter's name and value with names in sorted order. A request whose URL
// carries a bodySHA256 query parameter (Twilio's JSON-bodied webhooks) is
// signed over the URL alone, and the hex SHA-256 of the body must equal
// bodySHA256. As Twilio's own libraries do, the URL is also tried with its
// default port added and with its port removed, since Twilio is inconsistent
// about including it.
func twilio() verifier {
	return verifier{
		check: checkSecretAndHeader,
		verify: func(c *Config, r *Request, _ time.Time) error {
			name := headerOr(c.Header, twilioSignatureHeader)
			value := headerValue(r.Header, name)
			if value == "" {
				return missing(name)
			}
			sig, ok := decodeDigest(value, sha1.Size, encBase64)
			if !ok {
				return malformed(name, "expected a base64 HMAC-SHA1 digest")
			}
			if r.URL == "" {
				return mismatch("request URL unknown")
			}
			u, err := url.Parse(r.URL)
			if err != nil {
				return mismatch("request URL unparsable")
			}
			var params string
			if bodyHash := u.Query().Get("bodySHA256"); bodyHash != "" {
				sum := sha256.Sum256(r.Body)
				if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(bodyHash))) != 1 {
					return mismatch("bodySHA256 does not match the body")
				}
			} else {
				params = twilioParams(r)
			}
			matched := false
			for _, candidate := range twilioURLs(r.URL, u) {
				m := hmac.New(sha1.New, []byte(c.Secret))
				m.Write([]byte(candidate))
				m.Write([]byte(params))
				if hmac.Equal(sig, m.Sum(nil)) {
					matched = true
				}
			}
			if !matched {
				return mismatch("")
			}
			return nil
		},
	}
}

// twilioParams concatenates a POST's form parameters, name then value, with
// names in sorted order and a name's several values in sorted order.
func twilioParams(r *Request) string {
	if r.Method != "" && !strings.EqualFold(r.Method, http.MethodPost) {
		return ""
	}
	form := r.Form
	if form == nil {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return ""
		}
		form, _ = url.ParseQuery(string(r.Body))
	}
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		values := append([]string(nil), form[k]...)
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	return b.String()
}

// twilioURLs returns the URL as given, then with the default port added or
// with the port removed.
func twilioURLs(raw string, u *url.URL) []string {
	out := []string{raw}
	if u.Host == "" {
		return out
	}
	alt := *u
	if port := u.Port(); port != "" {
		alt.Host = u.Hostname()
		if strings.Contains(alt.Host, ":") {
			alt.Host = "[" + alt.Host + "]"
		}
	} else {
		def := "80"
		if strings.EqualFold(u.Scheme, "https") {
			def = "443"
		}
		alt.Host = net.JoinHostPort(u.Hostname(), def)
	}
	return append(out, alt.String())
}
