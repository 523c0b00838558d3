package hookstream

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
	"github.com/hookstream-go/hookstream/store"
)

// SourceTemplate describes a provider template: what it pre-fills on a
// source and what secret it expects.
type SourceTemplate = signature.Template

// SourceTemplates lists the provider templates (GET /v1/sources/templates).
func SourceTemplates() []SourceTemplate { return signature.Templates() }

// normalizeScheme returns the underscore spelling of a verification type
// (unknown ones are returned as given, for validation to reject).
func normalizeScheme(s string) string {
	if n, ok := signature.NormalizeScheme(s); ok {
		return n
	}
	return s
}

// applyTemplate sets a source's template and pre-fills what the template
// decides, unless p sets it explicitly.
func applyTemplate(src *store.Source, name string, p *SourceParams) error {
	if name == "" {
		src.Template = ""
		return nil
	}
	n, ok := signature.NormalizeTemplate(name)
	if !ok {
		return invalid("template", "is not a known template (see GET /v1/sources/templates)")
	}
	src.Template = n
	t, _ := signature.LookupTemplate(n)
	if p.VerificationType == nil && t.VerificationType != "" {
		src.VerificationType = t.VerificationType
	}
	if p.VerificationHeader == nil && t.VerificationHeader != "" {
		src.VerificationHeader = t.VerificationHeader
	}
	if p.VerificationEnabled == nil && n != signature.TemplateCustom {
		src.VerificationEnabled = true
	}
	return nil
}

// verificationConfig is the signature.Config of a source.
func verificationConfig(src *store.Source) signature.Config {
	c := signature.Config{
		Scheme: src.VerificationType, Secret: src.VerificationSecret,
		Header: src.VerificationHeader, Template: src.Template,
	}
	if len(src.VerificationConfig) > 0 {
		var extra map[string]any
		if json.Unmarshal(src.VerificationConfig, &extra) == nil {
			c.Extra = map[string]string{}
			for k, v := range extra {
				switch v := v.(type) {
				case string:
					c.Extra[k] = v
				case float64:
					if k == "tolerance_seconds" {
						c.Tolerance = time.Duration(v * float64(time.Second))
					}
				}
			}
		}
	}
	return c
}

// validateVerification checks a source's verification settings.
func validateVerification(src *store.Source) error {
	if src.VerificationType != "" {
		if _, ok := signature.NormalizeScheme(src.VerificationType); !ok {
			return invalid("verification_type", "must be one of hmac_sha256, hmac_sha1, standard_webhooks")
		}
	}
	if !src.VerificationEnabled {
		return nil
	}
	if err := signature.ValidateConfig(verificationConfig(src)); err != nil {
		if ce, ok := err.(*signature.ConfigError); ok {
			return invalid(ce.Field, "%s", ce.Reason)
		}
		return invalid("verification_type", "%v", err)
	}
	return nil
}

// verifyRequest checks an ingested request's signature. baseURL is
// Config.BaseURL: a provider that signs the URL it called (Twilio) may have
// called the source's ingest_url, which a proxy or http.StripPrefix
// rewrote before the request got here, so that URL is tried too.
func verifyRequest(src *store.Source, req *http.Request, body []byte, now time.Time, baseURL string) error {
	u := *req.URL
	if u.Host == "" {
		u.Host = req.Host
	}
	if u.Scheme == "" {
		u.Scheme = "http"
		if req.TLS != nil {
			u.Scheme = "https"
		}
	}
	var form url.Values
	if mediaType(req.Header.Get("Content-Type")) == "application/x-www-form-urlencoded" {
		form, _ = url.ParseQuery(string(body))
	}
	cfg := verificationConfig(src)
	sreq := signature.Request{Method: req.Method, URL: u.String(), Header: req.Header, Body: body, Form: form}
	err := signature.Verify(cfg, sreq, now)
	if err == nil || baseURL == "" || src.Template != signature.TemplateTwilio {
		return err
	}
	ingestURL := strings.TrimSuffix(baseURL, "/") + "/v1/ingest/" + url.PathEscape(src.ID)
	if req.URL.RawQuery != "" {
		ingestURL += "?" + req.URL.RawQuery
	}
	if ingestURL == sreq.URL {
		return err
	}
	sreq.URL = ingestURL
	if signature.Verify(cfg, sreq, now) == nil {
		return nil
	}
	return err
}
