package signature_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
)

// Published test vectors. Each names its source; each was also recomputed
// independently (Python hmac, openssl) before being pinned here.

// Standard Webhooks: standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go TestWebhookSign (the same vector is in every
// reference library).
const (
	stdSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stdMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	stdTimestamp = 1614265330
	stdBody      = `{"test": 2432232314}`
	stdSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// Slack: docs.slack.dev "Verifying requests from Slack", worked example.
const (
	slackDocSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTimestamp = "1531420618"
	slackDocBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

// Twilio: twilio/twilio-go client/request_validator_test.go (the example of
// Twilio's "Webhooks security" page, auth token 12345).
const (
	twilioDocToken     = "12345"
	twilioDocURL       = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twilioDocSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
	twilioDocBody      = `{"property": "value", "boolean": true}`
	twilioDocBodyHash  = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
)

var twilioDocParams = url.Values{
	"Digits":  {"1234"},
	"CallSid": {"CA1234567890ABCDE"},
	"To":      {"+18005551212"},
	"Caller":  {"+14158675309"},
	"From":    {"+14158675309"},
}

// SendGrid: sendgrid/sendgrid-go helpers/eventwebhook/eventwebhook_test.go.
// The payload is json.Marshal of the test map, i.e. with sorted keys.
const (
	sendGridDocKey       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
	sendGridDocSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="
	sendGridDocTimestamp = "1588788367"
	sendGridDocBody      = `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
)

// Paddle: PaddleHQ/paddle-go-sdk example_webhook_verifier_test.go.
const (
	paddleDocSecret    = "pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr"
	paddleDocSignature = "ts=1710929255;h1=6c05ef8fa83c44d751be6d259ec955ce5638e2c54095bf128e408e2fce1589c8"
	paddleDocBody      = `{"data":{"id":"pri_01hsdn96k2hxjzsq5yerecdj9j","name":null,"status":"active","quantity":{"maximum":999999,"minimum":1},"tax_mode":"account_setting","product_id":"pro_01hsdn8qp7yydry3x1yeg6a9rv","unit_price":{"amount":"1000","currency_code":"USD"},"custom_data":null,"description":"testing","import_meta":null,"trial_period":null,"billing_cycle":{"interval":"month","frequency":1},"unit_price_overrides":[]},"event_id":"evt_01hsdn97563968dy0szkmgjwh3","event_type":"price.created","occurred_at":"2024-03-20T10:07:35.590857Z","notification_id":"ntf_01hsdn977e920kbgzt6r6c9rqc"}`
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestVerify_PublishedVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  signature.Config
		req  signature.Request
		now  time.Time
	}{
		{
			name: "standard webhooks spec vector",
			cfg:  signature.Config{Scheme: signature.SchemeStandardWebhooks, Secret: stdSecret},
			req: signature.Request{Method: "POST", Body: []byte(stdBody), Header: header(
				"webhook-id", stdMsgID, "webhook-timestamp", "1614265330", "webhook-signature", stdSignature)},
			now: time.Unix(stdTimestamp, 0),
		},
		{
			name: "standard webhooks spec vector, secret without whsec_ prefix",
			cfg:  signature.Config{Scheme: "standard-webhooks", Secret: strings.TrimPrefix(stdSecret, "whsec_")},
			req: signature.Request{Method: "POST", Body: []byte(stdBody), Header: header(
				"webhook-id", stdMsgID, "webhook-timestamp", "1614265330", "webhook-signature", stdSignature)},
			now: time.Unix(stdTimestamp, 0),
		},
		{
			name: "standard webhooks spec vector under svix header names",
			cfg:  signature.Config{Template: signature.TemplateSvix, Secret: stdSecret},
			req: signature.Request{Method: "POST", Body: []byte(stdBody), Header: header(
				"svix-id", stdMsgID, "svix-timestamp", "1614265330", "svix-signature", stdSignature)},
			now: time.Unix(stdTimestamp, 0),
		},
		{
			name: "github docs vector",
			cfg:  signature.Config{Template: signature.TemplateGitHub, Secret: "It's a Secret to Everybody"},
			req: signature.Request{Method: "POST", Body: []byte("Hello, World!"), Header: header(
				"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")},
			now: time.Unix(1700000000, 0),
		},
		{
			name: "github docs vector through the generic hmac_sha256 scheme",
			cfg:  signature.Config{Scheme: "hmac-sha256", Header: "x-hub-signature-256", Secret: "It's a Secret to Everybody"},
			req: signature.Request{Method: "POST", Body: []byte("Hello, World!"), Header: header(
				"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")},
			now: time.Unix(1700000000, 0),
		},
		{
			name: "slack docs vector",
			cfg:  signature.Config{Template: signature.TemplateSlack, Secret: slackDocSecret},
			req: signature.Request{Method: "POST", Body: []byte(slackDocBody), Header: header(
				"X-Slack-Request-Timestamp", slackDocTimestamp, "X-Slack-Signature", slackDocSignature)},
			now: time.Unix(1531420618, 0).Add(time.Minute),
		},
		{
			name: "twilio docs vector, form parameters given",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: twilioDocURL, Form: twilioDocParams,
				Header: header("X-Twilio-Signature", twilioDocSignature)},
		},
		{
			name: "twilio docs vector, form parameters parsed from the body",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: twilioDocURL, Body: []byte(twilioDocParams.Encode()),
				Header: header("X-Twilio-Signature", twilioDocSignature, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8")},
		},
		{
			name: "twilio docs vector, URL with a port Twilio signed without",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: strings.Replace(twilioDocURL, ".com", ".com:1234", 1), Form: twilioDocParams,
				Header: header("X-Twilio-Signature", twilioDocSignature)},
		},
		{
			name: "twilio-go vector, https signed with :443",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: twilioDocURL, Form: twilioDocParams,
				Header: header("X-Twilio-Signature", "kvajT1Ptam85bY51eRf/AJRuM3w=")},
		},
		{
			name: "twilio-go vector, http without port",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: strings.Replace(twilioDocURL, "https", "http", 1), Form: twilioDocParams,
				Header: header("X-Twilio-Signature", "0ZXoZLH/DfblKGATFgpif+LLRf4=")},
		},
		{
			name: "twilio-go vector, http with port 1234",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: "http://mycompany.com:1234/myapp.php?foo=1&bar=2", Form: twilioDocParams,
				Header: header("X-Twilio-Signature", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")},
		},
		{
			name: "twilio-go vector, JSON body with bodySHA256",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: twilioDocURL + "&bodySHA256=" + twilioDocBodyHash, Body: []byte(twilioDocBody),
				Header: header("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4=", "Content-Type", "application/json")},
		},
		{
			name: "twilio-go vector, JSON body with bodySHA256 as the only parameter",
			cfg:  signature.Config{Template: signature.TemplateTwilio, Secret: twilioDocToken},
			req: signature.Request{Method: "POST", URL: "https://mycompany.com/myapp.php?bodySHA256=" + twilioDocBodyHash, Body: []byte(twilioDocBody),
				Header: header("X-Twilio-Signature", "y77kIzt2vzLz71DgmJGsen2scGs=", "Content-Type", "application/json")},
		},
		{
			name: "sendgrid-go vector",
			cfg:  signature.Config{Template: signature.TemplateSendGrid, Secret: sendGridDocKey},
			req: signature.Request{Method: "POST", Body: []byte(sendGridDocBody), Header: header(
				"X-Twilio-Email-Event-Webhook-Signature", sendGridDocSignature,
				"X-Twilio-Email-Event-Webhook-Timestamp", sendGridDocTimestamp)},
			now: time.Unix(1588788367, 0),
		},
		{
			name: "paddle-go-sdk vector",
			cfg:  signature.Config{Template: signature.TemplatePaddle, Secret: paddleDocSecret},
			req:  signature.Request{Method: "POST", Body: []byte(paddleDocBody), Header: header("Paddle-Signature", paddleDocSignature)},
			now:  time.Unix(1710929255, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := signature.Verify(tt.cfg, tt.req, tt.now); err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			// One changed body byte (or form value) must break every vector.
			bad := tt.req
			if len(bad.Body) > 0 {
				bad.Body = append([]byte(nil), bad.Body...)
				bad.Body[len(bad.Body)/2] ^= 0x01
			} else {
				bad.Form = url.Values{"Digits": {"1235"}, "CallSid": bad.Form["CallSid"], "To": bad.Form["To"], "Caller": bad.Form["Caller"], "From": bad.Form["From"]}
			}
			if err := signature.Verify(tt.cfg, bad, tt.now); !errors.Is(err, signature.ErrSignatureMismatch) {
				t.Fatalf("Verify(tampered) = %v, want ErrSignatureMismatch", err)
			}
		})
	}
}

func TestSigner_Sign_StandardWebhooksVector(t *testing.T) {
	t.Parallel()
	s, err := signature.ParseSigningConfig([]byte(`{"scheme":"standard_webhooks","secret":"` + stdSecret + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	s.Sign(h, stdMsgID, []byte(stdBody), time.Unix(stdTimestamp, 0))
	for name, want := range map[string]string{
		"webhook-id":        stdMsgID,
		"webhook-timestamp": "1614265330",
		"webhook-signature": stdSignature,
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// Self-produced vectors: no provider publishes one, so these were computed
// with Python's hmac module, independently of this package, and pinned.
func TestVerify_PinnedVectors(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		cfg  signature.Config
		body string
		h    http.Header
	}{
		{"stripe", signature.Config{Template: signature.TemplateStripe, Secret: "whsec_test_secret"},
			`{"id":"evt_test_webhook","object":"event"}`,
			header("Stripe-Signature", "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39")},
		{"shopify", signature.Config{Template: signature.TemplateShopify, Secret: "shopify-secret"},
			`{"id":820982911946154508}`,
			header("X-Shopify-Hmac-Sha256", "5A3oQQfW+WMeNQwhapvpG0xvKI5Ip4Bp9W/9ifwwyGk=")},
		{"typeform", signature.Config{Template: signature.TemplateTypeform, Secret: "typeform-secret"},
			`{"event_id":"LtWXD3crgy"}`,
			header("Typeform-Signature", "sha256=PLi1j5834HOGuD5Cz2O4g9EvZSl95jgP8XGiApz6teE=")},
		{"intercom", signature.Config{Template: signature.TemplateIntercom, Secret: "intercom-secret"},
			`{"type":"notification_event"}`,
			header("X-Hub-Signature", "sha1=4a384a1b1c2d49ec0ec2739020b34487615e02b4")},
		{"linear", signature.Config{Template: signature.TemplateLinear, Secret: "lin_wh_secret"},
			`{"action":"create","webhookTimestamp":1700000000000}`,
			header("Linear-Signature", "0e7eb538ce08f2d147d43dcc1a8d5fef4d5dd6effe602c4c11c3d2456d92c6be")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := signature.Request{Method: "POST", Body: []byte(tt.body), Header: tt.h}
			if err := signature.Verify(tt.cfg, req, now); err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
		})
	}
}
