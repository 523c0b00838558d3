package signature_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
)

func mustSigner(t *testing.T, raw string) *signature.Signer {
	t.Helper()
	s, err := signature.ParseSigningConfig([]byte(raw))
	if err != nil {
		t.Fatalf("ParseSigningConfig(%s) = %v", raw, err)
	}
	if s == nil {
		t.Fatalf("ParseSigningConfig(%s) = nil signer", raw)
	}
	return s
}

func TestParseSigningConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		raw       string
		wantNil   bool
		wantField string
	}{
		{name: "empty", raw: "", wantNil: true},
		{name: "null", raw: " null ", wantNil: true},
		{name: "json string null", raw: `"null"`, wantNil: true},
		{name: "minimal", raw: `{"secret":"abc123"}`},
		{name: "json string holding an object", raw: `"{\"secret\":\"abc123\"}"`},
		{name: "full hmac", raw: `{"secret":"abc","algorithm":"sha1","header":"X-Sig","prefix":"","include_timestamp":true,"timestamp_header":"X-Ts"}`},
		{name: "algorithm spelled SHA-256", raw: `{"secret":"abc","algorithm":"SHA-256"}`},
		{name: "scheme hmac_sha1", raw: `{"scheme":"hmac_sha1","secret":"abc"}`},
		{name: "standard webhooks", raw: `{"scheme":"standard_webhooks","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`},
		{name: "standard webhooks hyphenated, bare base64", raw: `{"scheme":"standard-webhooks","secret":"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`},
		{name: "unknown fields ignored", raw: `{"secret":"abc","future":1}`},
		{name: "not an object", raw: `[1]`, wantField: "signing_config"},
		{name: "not json", raw: `{secret`, wantField: "signing_config"},
		{name: "missing secret", raw: `{"algorithm":"sha256"}`, wantField: "signing_config.secret"},
		{name: "masked secret", raw: `{"secret":"••••abcd"}`, wantField: "signing_config.secret"},
		{name: "secret wrong type", raw: `{"secret":123}`, wantField: "signing_config.secret"},
		{name: "include_timestamp wrong type", raw: `{"secret":"abc","include_timestamp":"yes"}`, wantField: "signing_config.include_timestamp"},
		{name: "unknown algorithm", raw: `{"secret":"abc","algorithm":"md5"}`, wantField: "signing_config.algorithm"},
		{name: "algorithm contradicts scheme", raw: `{"scheme":"hmac_sha1","algorithm":"sha256","secret":"abc"}`, wantField: "signing_config.algorithm"},
		{name: "unknown scheme", raw: `{"scheme":"jwt","secret":"abc"}`, wantField: "signing_config.scheme"},
		{name: "bad header", raw: `{"secret":"abc","header":"X Sig"}`, wantField: "signing_config.header"},
		{name: "bad timestamp header", raw: `{"secret":"abc","timestamp_header":"X:Ts"}`, wantField: "signing_config.timestamp_header"},
		{name: "timestamp header equals header", raw: `{"secret":"abc","header":"X-Sig","include_timestamp":true,"timestamp_header":"x-sig"}`, wantField: "signing_config.timestamp_header"},
		{name: "prefix with newline", raw: `{"secret":"abc","prefix":"a\nb"}`, wantField: "signing_config.prefix"},
		{name: "standard secret not base64", raw: `{"scheme":"standard_webhooks","secret":"whsec_***"}`, wantField: "signing_config.secret"},
		{name: "standard with sha1", raw: `{"scheme":"standard_webhooks","algorithm":"sha1","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, wantField: "signing_config.algorithm"},
		{name: "bad previous secret", raw: `{"scheme":"standard_webhooks","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","previous_secret":"whsec_%%"}`, wantField: "signing_config.previous_secret"},
		{name: "bad expiry", raw: `{"secret":"abc","previous_secret":"old","previous_secret_expires_at":"tomorrow"}`, wantField: "signing_config.previous_secret_expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := signature.ParseSigningConfig([]byte(tt.raw))
			if tt.wantField != "" {
				var ce *signature.ConfigError
				if !errors.As(err, &ce) || ce.Field != tt.wantField {
					t.Fatalf("ParseSigningConfig = %v, want *ConfigError for %s", err, tt.wantField)
				}
				if strings.Contains(err.Error(), "abc") {
					t.Fatalf("error %q contains the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSigningConfig = %v, want nil", err)
			}
			if (s == nil) != tt.wantNil {
				t.Fatalf("signer = %v, want nil %v", s, tt.wantNil)
			}
		})
	}
}

func TestSigner_Sign_HMAC(t *testing.T) {
	t.Parallel()
	now := time.Unix(1772375400, 0)
	body := jsonBody
	ts := unix(now)
	tests := []struct {
		name string
		raw  string
		want map[string]string
	}{
		{"defaults", `{"secret":"dest-secret"}`, map[string]string{
			"X-hookstream-Signature": "sha256=" + hexMAC(sha256.New, "dest-secret", body),
		}},
		{"sha1", `{"secret":"dest-secret","algorithm":"sha1"}`, map[string]string{
			"X-hookstream-Signature": "sha1=" + hexMAC(sha1.New, "dest-secret", body),
		}},
		{"no prefix, own header", `{"secret":"dest-secret","header":"X-Sig","prefix":""}`, map[string]string{
			"X-Sig": hexMAC(sha256.New, "dest-secret", body),
		}},
		{"prefix template", `{"secret":"dest-secret","prefix":"{algorithm}:"}`, map[string]string{
			"X-hookstream-Signature": "sha256:" + hexMAC(sha256.New, "dest-secret", body),
		}},
		{"include_timestamp", `{"secret":"dest-secret","include_timestamp":true}`, map[string]string{
			"X-hookstream-Signature":           "sha256=" + hexMAC(sha256.New, "dest-secret", ts+"."+body),
			"X-hookstream-Signature-Timestamp": ts,
		}},
		{"include_timestamp own header", `{"secret":"dest-secret","include_timestamp":true,"timestamp_header":"X-Ts"}`, map[string]string{
			"X-hookstream-Signature": "sha256=" + hexMAC(sha256.New, "dest-secret", ts+"."+body),
			"X-Ts":                   ts,
		}},
		{"rotation", `{"secret":"new-secret","previous_secret":"old-secret","previous_secret_expires_at":"2026-03-02T00:00:00Z"}`, map[string]string{
			"X-hookstream-Signature": "sha256=" + hexMAC(sha256.New, "new-secret", body) + ",sha256=" + hexMAC(sha256.New, "old-secret", body),
		}},
		{"rotation without expiry", `{"secret":"new-secret","previous_secret":"old-secret"}`, map[string]string{
			"X-hookstream-Signature": "sha256=" + hexMAC(sha256.New, "new-secret", body) + ",sha256=" + hexMAC(sha256.New, "old-secret", body),
		}},
		{"rotation expired", `{"secret":"new-secret","previous_secret":"old-secret","previous_secret_expires_at":"2026-03-01T14:30:00Z"}`, map[string]string{
			"X-hookstream-Signature": "sha256=" + hexMAC(sha256.New, "new-secret", body),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Content-Type": {"application/json"}}
			mustSigner(t, tt.raw).Sign(h, "evt_1", []byte(body), now)
			for name, want := range tt.want {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if len(h) != len(tt.want)+1 {
				t.Errorf("headers = %v, want only %v and Content-Type", h, tt.want)
			}
		})
	}
}

func TestSigner_Sign_RoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Unix(1772375400, 0)
	body := []byte(jsonBody)
	tests := []struct {
		name     string
		signing  string
		timed    bool
		verifies []signature.Config
	}{
		{"hmac default verifies with hmac_sha256 default header", `{"secret":"dest-secret"}`, false, []signature.Config{
			{Scheme: "hmac_sha256", Secret: "dest-secret"},
		}},
		{"hmac sha1 own header", `{"secret":"dest-secret","algorithm":"sha1","header":"X-Sig"}`, false, []signature.Config{
			{Scheme: "hmac_sha1", Header: "X-Sig", Secret: "dest-secret"},
		}},
		{"hmac with timestamp", `{"secret":"dest-secret","include_timestamp":true}`, true, []signature.Config{
			{Scheme: "hmac_sha256", Secret: "dest-secret", Extra: map[string]string{"timestamp_header": signature.DefaultTimestampHeader}},
		}},
		{"hmac rotation, each secret verifies", `{"secret":"new-secret","previous_secret":"old-secret","previous_secret_expires_at":"2027-01-01T00:00:00Z"}`, false, []signature.Config{
			{Scheme: "hmac_sha256", Secret: "new-secret"},
			{Scheme: "hmac_sha256", Secret: "old-secret"},
		}},
		{"standard webhooks", `{"scheme":"standard_webhooks","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, true, []signature.Config{
			{Scheme: "standard_webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			{Template: "svix", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		}},
		{"standard webhooks rotation, each secret verifies", `{"scheme":"standard_webhooks","secret":"whsec_bmV3LXNlY3JldC0yNC1ieXRlcy1sb25nIQ==","previous_secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","previous_secret_expires_at":"2027-01-01T00:00:00.000Z"}`, true, []signature.Config{
			{Scheme: "standard_webhooks", Secret: "whsec_bmV3LXNlY3JldC0yNC1ieXRlcy1sb25nIQ=="},
			{Scheme: "standard_webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			mustSigner(t, tt.signing).Sign(h, "evt_0123456789abcdef0123456789abcdef", body, now)
			for _, cfg := range tt.verifies {
				req := signature.Request{Method: "POST", Header: h, Body: body}
				if err := signature.Verify(cfg, req, now.Add(time.Minute)); err != nil {
					t.Errorf("Verify(%s) = %v, want nil", cfg.Secret, err)
				}
				var want error
				if tt.timed {
					want = signature.ErrOutsideTolerance
				}
				if err := signature.Verify(cfg, req, now.Add(10*time.Minute)); !errors.Is(err, want) || (want == nil && err != nil) {
					t.Errorf("Verify(10 minutes later) = %v, want %v", err, want)
				}
			}
		})
	}
}

// TestSigner_Sign_Rotation checks each rotated signature on its own with an
// independent reimplementation of both formats.
func TestSigner_Sign_Rotation(t *testing.T) {
	t.Parallel()
	now := time.Unix(1772375400, 0)
	body := jsonBody

	t.Run("standard webhooks", func(t *testing.T) {
		t.Parallel()
		const cur, prev = "whsec_bmV3LXNlY3JldC0yNC1ieXRlcy1sb25nIQ==", stdSecret
		h := http.Header{}
		mustSigner(t, `{"scheme":"standard_webhooks","secret":"`+cur+`","previous_secret":"`+prev+`","previous_secret_expires_at":"2026-03-02T00:00:00+01:00"}`).
			Sign(h, "evt_1", []byte(body), now)
		sigs := strings.Split(h.Get("webhook-signature"), " ")
		want := []string{standardSign(cur, "evt_1", now, body), standardSign(prev, "evt_1", now, body)}
		if len(sigs) != 2 || sigs[0] != want[0] || sigs[1] != want[1] {
			t.Fatalf("webhook-signature = %q, want %q", sigs, want)
		}
		h2 := http.Header{}
		mustSigner(t, `{"scheme":"standard_webhooks","secret":"`+cur+`","previous_secret":"`+prev+`","previous_secret_expires_at":"2026-03-01T00:00:00Z"}`).
			Sign(h2, "evt_1", []byte(body), now)
		if got := h2.Get("webhook-signature"); got != want[0] {
			t.Fatalf("after expiry webhook-signature = %q, want %q", got, want[0])
		}
	})
	t.Run("hmac", func(t *testing.T) {
		t.Parallel()
		h := http.Header{}
		mustSigner(t, `{"secret":"new","previous_secret":"old","previous_secret_expires_at":"2026-03-02T00:00:00Z","include_timestamp":true}`).
			Sign(h, "evt_1", []byte(body), now)
		sigs := strings.Split(h.Get(signature.DefaultSignatureHeader), ",")
		want := []string{
			"sha256=" + hexMAC(sha256.New, "new", unix(now)+"."+body),
			"sha256=" + hexMAC(sha256.New, "old", unix(now)+"."+body),
		}
		if len(sigs) != 2 || sigs[0] != want[0] || sigs[1] != want[1] {
			t.Fatalf("signature = %q, want %q", sigs, want)
		}
	})
}

func TestSigner_Sign_Nil(t *testing.T) {
	t.Parallel()
	var s *signature.Signer
	h := http.Header{}
	s.Sign(h, "evt_1", []byte("{}"), time.Now())
	if len(h) != 0 {
		t.Fatalf("nil signer set %v", h)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "••••"},
		{"12345678", "••••"},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "••••LaSw"},
		{"sk_live_abcd", "••••abcd"},
		{"päßwörd-ünïcødé", "••••cødé"},
		{"••••abcd", "••••abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := signature.Mask(tt.in); got != tt.want {
				t.Fatalf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskSigningConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"null", "null", "null"},
		{"empty", "", ""},
		{"secrets masked", `{"secret":"dest-secret-1234","previous_secret":"old-secret-5678","algorithm":"sha256"}`,
			`{"algorithm":"sha256","previous_secret":"••••5678","secret":"••••1234"}`},
		{"json string", `"{\"secret\":\"dest-secret-1234\"}"`, `{"secret":"••••1234"}`},
		{"non-string secret hidden", `{"secret":12345678901234}`, `{"secret":"••••"}`},
		{"null previous secret kept", `{"secret":"dest-secret-1234","previous_secret":null}`, `{"previous_secret":null,"secret":"••••1234"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := signature.MaskSigningConfig([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("MaskSigningConfig = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := signature.MaskSigningConfig([]byte(`[1]`)); !errors.Is(err, signature.ErrInvalidConfig) {
		t.Fatalf("MaskSigningConfig([1]) = %v, want ErrInvalidConfig", err)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	want := []string{"stripe", "github", "shopify", "slack", "twilio", "sendgrid", "intercom", "linear",
		"clerk", "svix", "resend", "paddle", "postmark", "typeform", "standard_webhooks", "custom"}
	got := signature.Templates()
	if len(got) != len(want) {
		t.Fatalf("len(Templates()) = %d, want %d", len(got), len(want))
	}
	for i, tpl := range got {
		if tpl.Name != want[i] {
			t.Errorf("Templates()[%d].Name = %q, want %q", i, tpl.Name, want[i])
		}
		if tpl.DisplayName == "" || tpl.SecretHint == "" || tpl.Description == "" {
			t.Errorf("template %s has empty display name, hint or description", tpl.Name)
		}
		if tpl.VerificationType != "" {
			if n, ok := signature.NormalizeScheme(tpl.VerificationType); !ok || n != tpl.VerificationType {
				t.Errorf("template %s pre-fills unknown verification_type %q", tpl.Name, tpl.VerificationType)
			}
		}
		if n, ok := signature.NormalizeTemplate(tpl.Name); !ok || n != tpl.Name {
			t.Errorf("NormalizeTemplate(%q) = %q, %v", tpl.Name, n, ok)
		}
		if l, ok := signature.LookupTemplate(strings.ToUpper(strings.ReplaceAll(tpl.Name, "_", "-"))); !ok || l != tpl {
			t.Errorf("LookupTemplate(%q) = %v, %v", tpl.Name, l, ok)
		}
	}
	got[0].Name = "mutated"
	if signature.Templates()[0].Name != "stripe" {
		t.Fatal("Templates() shares its backing array")
	}
	if _, ok := signature.LookupTemplate("acme"); ok {
		t.Fatal("LookupTemplate(acme) found a template")
	}
}

func TestTemplate_MarshalJSON(t *testing.T) {
	t.Parallel()
	sg, _ := signature.LookupTemplate("sendgrid")
	gh, _ := signature.LookupTemplate("github")
	tests := []struct {
		tpl  signature.Template
		want string
	}{
		{gh, `{"name":"github","display_name":"GitHub","verification_type":"hmac_sha256","verification_header":"X-Hub-Signature-256","secret_hint":"` + gh.SecretHint + `","description":"` + gh.Description + `"}`},
		{sg, `"verification_type":null,"verification_header":"X-Twilio-Email-Event-Webhook-Signature"`},
	}
	for _, tt := range tests {
		t.Run(tt.tpl.Name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tt.tpl); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Fatalf("json = %s, want it to contain %s", b.String(), tt.want)
			}
		})
	}
}
