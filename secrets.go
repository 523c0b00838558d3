package hookstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookstream-go/hookstream/internal/signature"
)

// Secrets are write-only: responses and attempt records show them masked
// (the last 4 characters, none of a short one), and a masked value sent back
// in an update keeps the stored secret. They are verification secrets, the
// secret-named fields of JSON configuration objects, destination headers
// that carry credentials, and the password of a URL with userinfo.

// maskSecret shows only the last 4 characters of a secret (none of a
// short one), null when empty.
func maskSecret(s string) *string {
	if s == "" {
		return nil
	}
	m := signature.Mask(s)
	return &m
}

// isSecretKey reports whether a key of a JSON configuration object names a
// secret.
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, word := range []string{"secret", "password", "passwd", "token", "key", "value", "credential", "auth", "private"} {
		if strings.Contains(k, word) {
			return true
		}
	}
	return false
}

// isCredentialHeader reports whether a request header carries credentials:
// Authorization, Proxy-Authorization, Cookie, and names that end in -Token
// or -Key or that contain Secret, Password, Auth or ApiKey.
func isCredentialHeader(name string) bool {
	n := strings.ToLower(name)
	switch {
	case n == "cookie", strings.HasSuffix(n, "-token"), strings.HasSuffix(n, "-key"), strings.HasSuffix(n, "_key"):
		return true
	}
	for _, word := range []string{"secret", "password", "auth", "apikey", "api-key", "api_key", "token", "credential"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// maskJSON masks the secret-named string values of a JSON object
// (recursively) and returns it JSON-encoded, null when empty.
func maskJSON(raw json.RawMessage) *string {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return wireJSON(maskValue(v))
}

func maskValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && isSecretKey(k) {
				x[k] = *maskSecret(s)
			} else {
				x[k] = maskValue(val)
			}
		}
	case []any:
		for i, val := range x {
			x[i] = maskValue(val)
		}
	}
	return v
}

// maskHeaders returns destination headers with the values of credential
// headers masked.
func maskHeaders(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if isCredentialHeader(k) {
			v = *maskSecret(v)
		}
		out[k] = v
	}
	return out
}

// flatHeaders joins the values of a request's or response's headers;
// redact masks credentials.
func flatHeaders(h http.Header, redact bool) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		val := strings.Join(v, ", ")
		if redact && isCredentialHeader(k) {
			val = *maskSecret(val)
		}
		out[k] = val
	}
	return out
}

// redactURL replaces the password of a URL with userinfo by "xxxxx"
// (url.URL.Redacted); other URLs are returned unchanged.
func redactURL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw // no userinfo: the common case, on every attempt, without a parse
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	return u.Redacted()
}

// keepRedactedURL returns next, or old when next is old's redacted form: a
// client that sends back the URL it read keeps the stored password.
func keepRedactedURL(next, old string) string {
	if next != old && next == redactURL(old) {
		return old
	}
	return next
}

// keepMaskedHeaders returns the headers p with every masked credential
// value replaced by the stored value of old.
func keepMaskedHeaders(p, old map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if prev, ok := old[k]; ok && signature.IsMasked(v) && isCredentialHeader(k) {
			v = prev
		}
		out[k] = v
	}
	return out
}

// keepMasked returns the JSON object p with every masked string value (as
// responses show secrets) replaced by the stored value of old, so a client
// that sends back what it read does not overwrite secrets with masks.
func keepMasked(p, old json.RawMessage) json.RawMessage {
	if len(p) == 0 || len(old) == 0 || !bytes.Contains(p, []byte("••••")) {
		return p
	}
	var next, prev map[string]any
	if json.Unmarshal(p, &next) != nil || json.Unmarshal(old, &prev) != nil {
		return p
	}
	restoreMasked(next, prev)
	out, err := json.Marshal(next)
	if err != nil {
		return p
	}
	return out
}

func restoreMasked(next, prev map[string]any) {
	for k, v := range next {
		switch v := v.(type) {
		case string:
			if signature.IsMasked(v) {
				if old, ok := prev[k]; ok {
					next[k] = old
				}
			}
		case map[string]any:
			if old, ok := prev[k].(map[string]any); ok {
				restoreMasked(v, old)
			}
		}
	}
}
