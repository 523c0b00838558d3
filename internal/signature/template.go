package signature

import (
	"bytes"
	"encoding/json"
)

// Template names (a source's template field).
const (
	TemplateStripe           = "stripe"
	TemplateGitHub           = "github"
	TemplateShopify          = "shopify"
	TemplateSlack            = "slack"
	TemplateTwilio           = "twilio"
	TemplateSendGrid         = "sendgrid"
	TemplateIntercom         = "intercom"
	TemplateLinear           = "linear"
	TemplateClerk            = "clerk"
	TemplateSvix             = "svix"
	TemplateResend           = "resend"
	TemplatePaddle           = "paddle"
	TemplatePostmark         = "postmark"
	TemplateTypeform         = "typeform"
	TemplateStandardWebhooks = "standard_webhooks"
	TemplateCustom           = "custom"
)

// Template describes one provider template, as GET /v1/sources/templates
// lists it. VerificationType and VerificationHeader are what the template
// pre-fills on a source; empty means null (SendGrid's ECDSA and Postmark fit
// no generic scheme, and "custom" pre-fills nothing).
type Template struct {
	Name               string `json:"name"`
	DisplayName        string `json:"display_name"`
	VerificationType   string `json:"verification_type"`
	VerificationHeader string `json:"verification_header"`
	SecretHint         string `json:"secret_hint"`
	Description        string `json:"description"`
}

// MarshalJSON writes empty VerificationType and VerificationHeader as null,
// as the API writes every empty field.
func (t Template) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the outer encoder decides about escaping
	err := enc.Encode(struct {
		Name               string  `json:"name"`
		DisplayName        string  `json:"display_name"`
		VerificationType   *string `json:"verification_type"`
		VerificationHeader *string `json:"verification_header"`
		SecretHint         string  `json:"secret_hint"`
		Description        string  `json:"description"`
	}{t.Name, t.DisplayName, nullable(t.VerificationType), nullable(t.VerificationHeader), t.SecretHint, t.Description})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var templates = []Template{
	{
		Name: TemplateStripe, DisplayName: "Stripe",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "Stripe-Signature",
		SecretHint:  "Endpoint signing secret from the Stripe dashboard (whsec_...), used as-is",
		Description: "Stripe-Signature: t=<unix>,v1=<hex>: HMAC-SHA256 of \"{t}.{body}\"; 5-minute timestamp tolerance; several v1 entries during secret rolls.",
	},
	{
		Name: TemplateGitHub, DisplayName: "GitHub",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "X-Hub-Signature-256",
		SecretHint:  "The webhook secret set in the repository, organization or app settings",
		Description: "X-Hub-Signature-256: sha256=<hex>: HMAC-SHA256 of the raw body.",
	},
	{
		Name: TemplateShopify, DisplayName: "Shopify",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "X-Shopify-Hmac-Sha256",
		SecretHint:  "Your app's client secret (or the store's webhook signing secret)",
		Description: "X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body.",
	},
	{
		Name: TemplateSlack, DisplayName: "Slack",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "X-Slack-Signature",
		SecretHint:  "Signing secret from the app's Basic Information page",
		Description: "X-Slack-Signature: v0=<hex>: HMAC-SHA256 of \"v0:{X-Slack-Request-Timestamp}:{body}\"; 5-minute timestamp tolerance.",
	},
	{
		Name: TemplateTwilio, DisplayName: "Twilio",
		VerificationType: SchemeHMACSHA1, VerificationHeader: "X-Twilio-Signature",
		SecretHint:  "Your account's Auth Token",
		Description: "X-Twilio-Signature: base64 HMAC-SHA1 of the full URL followed by the POST parameters sorted by name; JSON bodies are checked against the bodySHA256 query parameter. The URL must be the one Twilio called.",
	},
	{
		Name: TemplateSendGrid, DisplayName: "SendGrid",
		VerificationHeader: "X-Twilio-Email-Event-Webhook-Signature",
		SecretHint:         "Verification key (base64 ECDSA public key) from Mail Settings > Signed Event Webhook",
		Description:        "Signed Event Webhook: base64 ECDSA P-256 signature of X-Twilio-Email-Event-Webhook-Timestamp followed by the body; 5-minute timestamp tolerance.",
	},
	{
		Name: TemplateIntercom, DisplayName: "Intercom",
		VerificationType: SchemeHMACSHA1, VerificationHeader: "X-Hub-Signature",
		SecretHint:  "Your app's client secret",
		Description: "X-Hub-Signature: sha1=<hex>: HMAC-SHA1 of the raw body.",
	},
	{
		Name: TemplateLinear, DisplayName: "Linear",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "Linear-Signature",
		SecretHint:  "The signing secret shown on the webhook's settings page",
		Description: "Linear-Signature: hex HMAC-SHA256 of the raw body; the body's webhookTimestamp (milliseconds) must be within the tolerance.",
	},
	{
		Name: TemplateClerk, DisplayName: "Clerk",
		VerificationType: SchemeStandardWebhooks, VerificationHeader: "svix-signature",
		SecretHint:  "Signing secret (whsec_...) from the Clerk dashboard's webhook endpoint",
		Description: "Standard Webhooks (delivered by Svix): svix-id, svix-timestamp, svix-signature: v1,<base64>; 5-minute timestamp tolerance.",
	},
	{
		Name: TemplateSvix, DisplayName: "Svix",
		VerificationType: SchemeStandardWebhooks, VerificationHeader: "svix-signature",
		SecretHint:  "Endpoint signing secret (whsec_...)",
		Description: "Standard Webhooks: svix-id, svix-timestamp, svix-signature: v1,<base64> (webhook-* names accepted); 5-minute timestamp tolerance.",
	},
	{
		Name: TemplateResend, DisplayName: "Resend",
		VerificationType: SchemeStandardWebhooks, VerificationHeader: "svix-signature",
		SecretHint:  "Signing secret (whsec_...) from the Resend webhook's page",
		Description: "Standard Webhooks (delivered by Svix): svix-id, svix-timestamp, svix-signature: v1,<base64>; 5-minute timestamp tolerance.",
	},
	{
		Name: TemplatePaddle, DisplayName: "Paddle",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "Paddle-Signature",
		SecretHint:  "Endpoint secret key of the notification destination (pdl_ntfset_...), used as-is",
		Description: "Paddle Billing's Paddle-Signature: ts=<unix>;h1=<hex>: HMAC-SHA256 of \"{ts}:{body}\"; 5-minute timestamp tolerance.",
	},
	{
		Name: TemplatePostmark, DisplayName: "Postmark",
		SecretHint:  "Optional user:password when the webhook URL carries HTTP basic auth",
		Description: "Postmark does not sign webhooks; protect the source with basic auth in the webhook URL (checked when a secret is set) and an IP allow list of Postmark's servers.",
	},
	{
		Name: TemplateTypeform, DisplayName: "Typeform",
		VerificationType: SchemeHMACSHA256, VerificationHeader: "Typeform-Signature",
		SecretHint:  "The secret set on the Typeform webhook",
		Description: "Typeform-Signature: sha256=<base64>: HMAC-SHA256 of the raw body.",
	},
	{
		Name: TemplateStandardWebhooks, DisplayName: "Standard Webhooks",
		VerificationType: SchemeStandardWebhooks, VerificationHeader: "webhook-signature",
		SecretHint:  "whsec_ followed by the base64 key (or a whpk_ ed25519 public key for v1a signatures)",
		Description: "webhook-id, webhook-timestamp, webhook-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\" (svix-* names accepted); 5-minute timestamp tolerance.",
	},
	{
		Name: TemplateCustom, DisplayName: "Custom",
		SecretHint:  "Depends on the verification_type you choose",
		Description: "Uses the source's own verification_type, verification_header and verification_config (prefix, encoding, timestamp_header).",
	},
}

// Templates returns every provider template, in a stable order. The slice is
// the caller's to keep.
func Templates() []Template {
	return append([]Template(nil), templates...)
}

// LookupTemplate returns the template with the given name (any letter case,
// hyphens accepted) and whether it exists.
func LookupTemplate(name string) (Template, bool) {
	n := normalizeName(name)
	for _, t := range templates {
		if t.Name == n {
			return t, true
		}
	}
	return Template{}, false
}
