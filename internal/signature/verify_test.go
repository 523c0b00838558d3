package signature_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
)

// The helpers below sign requests the way each provider documents it,
// independently of the package under test.

func mac(newHash func() hash.Hash, key, msg string) []byte {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexMAC(newHash func() hash.Hash, key, msg string) string {
	return hex.EncodeToString(mac(newHash, key, msg))
}

func b64MAC(newHash func() hash.Hash, key, msg string) string {
	return base64.StdEncoding.EncodeToString(mac(newHash, key, msg))
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// standardSign signs per the Standard Webhooks spec: base64 HMAC-SHA256 of
// "{id}.{ts}.{body}" keyed with the base64-decoded whsec_ secret.
func standardSign(secret, id string, at time.Time, body string) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + unix(at) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twilioSign signs per Twilio's docs: base64 HMAC-SHA1 of the URL followed
// by the POST parameters' names and values, sorted by name.
func twilioSign(token, u string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	s := u
	for _, k := range names {
		for _, v := range form[k] {
			s += k + v
		}
	}
	return b64MAC(sha1.New, token, s)
}

var (
	sendGridKey      = mustECDSAKey()
	sendGridOtherKey = mustECDSAKey()
	edPub, edPriv    = mustEd25519()
)

func mustECDSAKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEd25519() (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return pub, priv
}

func publicKeyBase64(k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// sendGridSign signs per SendGrid's docs: ECDSA over SHA-256 of timestamp
// followed by the body, base64 DER.
func sendGridSign(k *ecdsa.PrivateKey, ts, body string) string {
	sum := sha256.Sum256([]byte(ts + body))
	sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// schemeCase is one scheme or template under test.
type schemeCase struct {
	name string
	cfg  signature.Config
	// wrongSecret replaces cfg.Secret for the wrong-secret case.
	wrongSecret string
	// body is the payload to sign; linear's embeds a timestamp, so body may
	// depend on the signing time.
	body func(at time.Time) string
	// sign builds a request signed at time at with secret.
	sign func(secret string, at time.Time, body string) signature.Request
	// sigHeader is deleted for the missing-header case and replaced by
	// malformedValue for the malformed case.
	sigHeader      string
	malformedValue string
	// timestamped formats reject signatures older or newer than the tolerance.
	timestamped bool
}

func staticBody(s string) func(time.Time) string { return func(time.Time) string { return s } }

const jsonBody = `{"type":"invoice.paid","data":{"id":"in_123","amount":4200}}`

func schemeCases() []schemeCase {
	hmacHeader := func(name, value string) signature.Request {
		return signature.Request{Method: "POST", Header: header(name, value, "Content-Type", "application/json")}
	}
	withBody := func(r signature.Request, body string) signature.Request {
		r.Body = []byte(body)
		return r
	}
	standard := func(prefix string) func(string, time.Time, string) signature.Request {
		return func(secret string, at time.Time, body string) signature.Request {
			return signature.Request{Method: "POST", Body: []byte(body), Header: header(
				prefix+"id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
				prefix+"timestamp", unix(at),
				prefix+"signature", standardSign(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, body))}
		}
	}
	twilioURL := "https://example.com/v1/ingest/src_0123?x=1"
	twilioForm := url.Values{"From": {"+14158675309"}, "Body": {"hello"}, "To": {"+18005551212"}, "MessageSid": {"SM123"}}

	return []schemeCase{
		{
			name: "hmac_sha256 hex", cfg: signature.Config{Scheme: "hmac_sha256", Header: "X-Signature", Secret: "s3cret-value"},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Signature", hexMAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-Signature", malformedValue: "not-a-digest",
		},
		{
			name: "hmac_sha256 base64 with sha256= prefix", cfg: signature.Config{Scheme: "HMAC-SHA256", Header: "X-Signature", Secret: "s3cret-value"},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Signature", "sha256="+b64MAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-Signature", malformedValue: "sha256=!!!",
		},
		{
			name: "hmac_sha256 default header", cfg: signature.Config{Scheme: "hmac_sha256", Secret: "s3cret-value"},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-hookstream-Signature", "sha256="+hexMAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-hookstream-Signature", malformedValue: "sha256=abc",
		},
		{
			name: "hmac_sha256 with timestamp_header",
			cfg: signature.Config{Scheme: "hmac_sha256", Header: "X-Sig", Secret: "s3cret-value",
				Extra: map[string]string{"timestamp_header": "X-Sig-Timestamp"}},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, at time.Time, body string) signature.Request {
				r := withBody(hmacHeader("X-Sig", "sha256="+hexMAC(sha256.New, secret, unix(at)+"."+body)), body)
				r.Header.Set("X-Sig-Timestamp", unix(at))
				return r
			},
			sigHeader: "X-Sig", malformedValue: "sha256=", timestamped: true,
		},
		{
			name: "hmac_sha1 hex", cfg: signature.Config{Scheme: "hmac-sha1", Header: "X-Signature", Secret: "s3cret-value"},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Signature", "sha1="+hexMAC(sha1.New, secret, body)), body)
			},
			sigHeader: "X-Signature", malformedValue: "sha1=" + strings.Repeat("z", 40),
		},
		{
			name: "hmac_sha1 base64", cfg: signature.Config{Scheme: "hmac_sha1", Header: "X-Signature", Secret: "s3cret-value"},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Signature", b64MAC(sha1.New, secret, body)), body)
			},
			sigHeader: "X-Signature", malformedValue: "c2hvcnQ=",
		},
		{
			name: "custom template defers to the scheme", cfg: signature.Config{Template: "custom", Scheme: "hmac_sha256", Header: "X-Custom", Secret: "s3cret-value",
				Extra: map[string]string{"prefix": "v1=", "encoding": "hex"}},
			wrongSecret: "other-secret", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Custom", "v1="+hexMAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-Custom", malformedValue: "v1=" + b64MAC(sha256.New, "x", "y"),
		},
		{
			name: "standard_webhooks scheme", cfg: signature.Config{Scheme: "standard_webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("webhook-"), sigHeader: "webhook-signature", malformedValue: "v1 g0hM9SsE", timestamped: true,
		},
		{
			name: "standard-webhooks alias with svix headers", cfg: signature.Config{Scheme: "standard-webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("svix-"), sigHeader: "svix-signature", malformedValue: "garbage", timestamped: true,
		},
		{
			name: "standard_webhooks v1a ed25519", cfg: signature.Config{Scheme: "standard_webhooks", Secret: "whpk_" + base64.StdEncoding.EncodeToString(edPub)},
			wrongSecret: "whpk_" + base64.StdEncoding.EncodeToString(make([]byte, 32)), body: staticBody(jsonBody),
			sign: func(_ string, at time.Time, body string) signature.Request {
				sig := ed25519.Sign(edPriv, []byte("msg_1."+unix(at)+"."+body))
				return signature.Request{Method: "POST", Body: []byte(body), Header: header(
					"webhook-id", "msg_1", "webhook-timestamp", unix(at),
					"webhook-signature", "v1,bm90LXRoaXMtb25l v1a,"+base64.StdEncoding.EncodeToString(sig))}
			},
			sigHeader: "webhook-signature", malformedValue: "v1a", timestamped: true,
		},
		{
			name: "template standard_webhooks", cfg: signature.Config{Template: "standard-webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("webhook-"), sigHeader: "webhook-signature", malformedValue: ",", timestamped: true,
		},
		{
			name: "stripe", cfg: signature.Config{Template: "stripe", Secret: "whsec_stripe_endpoint_secret"},
			wrongSecret: "whsec_other", body: staticBody(jsonBody),
			sign: func(secret string, at time.Time, body string) signature.Request {
				v := "t=" + unix(at) + ",v1=" + hexMAC(sha256.New, secret, unix(at)+"."+body) + ",v0=" + hexMAC(sha256.New, "legacy", body)
				return withBody(hmacHeader("Stripe-Signature", v), body)
			},
			sigHeader: "Stripe-Signature", malformedValue: "v1,t=1", timestamped: true,
		},
		{
			name: "github", cfg: signature.Config{Template: "GitHub", Secret: "gh-secret"},
			wrongSecret: "gh-other", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Hub-Signature-256", "sha256="+hexMAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-Hub-Signature-256", malformedValue: "sha256=" + b64MAC(sha256.New, "a", "b"),
		},
		{
			name: "shopify", cfg: signature.Config{Template: "shopify", Secret: "shpss_secret"},
			wrongSecret: "shpss_other", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Shopify-Hmac-Sha256", b64MAC(sha256.New, secret, body)), body)
			},
			sigHeader: "X-Shopify-Hmac-Sha256", malformedValue: hexMAC(sha256.New, "a", "b"),
		},
		{
			name: "slack", cfg: signature.Config{Template: "slack", Secret: "slack-signing-secret"},
			wrongSecret: "slack-other", body: staticBody("token=x&command=%2Fdeploy"),
			sign: func(secret string, at time.Time, body string) signature.Request {
				r := withBody(hmacHeader("X-Slack-Signature", "v0="+hexMAC(sha256.New, secret, "v0:"+unix(at)+":"+body)), body)
				r.Header.Set("X-Slack-Request-Timestamp", unix(at))
				return r
			},
			sigHeader: "X-Slack-Signature", malformedValue: "v1=abcdef", timestamped: true,
		},
		{
			name: "twilio form", cfg: signature.Config{Template: "twilio", Secret: "twilio-auth-token"},
			wrongSecret: "twilio-other", body: staticBody(twilioForm.Encode()),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return signature.Request{Method: "POST", URL: twilioURL, Body: []byte(body), Header: header(
					"Content-Type", "application/x-www-form-urlencoded",
					"X-Twilio-Signature", twilioSign(secret, twilioURL, twilioForm))}
			},
			sigHeader: "X-Twilio-Signature", malformedValue: "%%%",
		},
		{
			name: "twilio json", cfg: signature.Config{Template: "twilio", Secret: "twilio-auth-token"},
			wrongSecret: "twilio-other", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				sum := sha256.Sum256([]byte(body))
				u := twilioURL + "&bodySHA256=" + hex.EncodeToString(sum[:])
				return signature.Request{Method: "POST", URL: u, Body: []byte(body), Header: header(
					"Content-Type", "application/json",
					"X-Twilio-Signature", b64MAC(sha1.New, secret, u))}
			},
			sigHeader: "X-Twilio-Signature", malformedValue: hexMAC(sha1.New, "a", "b"),
		},
		{
			name: "sendgrid", cfg: signature.Config{Template: "sendgrid", Secret: publicKeyBase64(sendGridKey)},
			wrongSecret: publicKeyBase64(sendGridOtherKey), body: staticBody(`[{"email":"a@example.com","event":"delivered"}]` + "\r\n"),
			sign: func(_ string, at time.Time, body string) signature.Request {
				return signature.Request{Method: "POST", Body: []byte(body), Header: header(
					"X-Twilio-Email-Event-Webhook-Timestamp", unix(at),
					"X-Twilio-Email-Event-Webhook-Signature", sendGridSign(sendGridKey, unix(at), body))}
			},
			sigHeader: "X-Twilio-Email-Event-Webhook-Signature", malformedValue: "***", timestamped: true,
		},
		{
			name: "intercom", cfg: signature.Config{Template: "intercom", Secret: "intercom-client-secret"},
			wrongSecret: "intercom-other", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("X-Hub-Signature", "sha1="+hexMAC(sha1.New, secret, body)), body)
			},
			sigHeader: "X-Hub-Signature", malformedValue: "sha1=" + hexMAC(sha256.New, "a", "b"),
		},
		{
			name: "linear", cfg: signature.Config{Template: "linear", Secret: "lin_wh_secret"},
			wrongSecret: "lin_wh_other",
			body: func(at time.Time) string {
				return fmt.Sprintf(`{"action":"create","type":"Issue","data":{"id":"x"},"webhookTimestamp":%d}`, at.UnixMilli())
			},
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("Linear-Signature", hexMAC(sha256.New, secret, body)), body)
			},
			sigHeader: "Linear-Signature", malformedValue: "sha256=" + hexMAC(sha256.New, "a", "b"), timestamped: true,
		},
		{
			name: "clerk", cfg: signature.Config{Template: "clerk", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerk-signing-secret-24by"))},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("svix-"), sigHeader: "svix-signature", malformedValue: "v1", timestamped: true,
		},
		{
			name: "svix", cfg: signature.Config{Template: "svix", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("svix-signing-secret-24byt"))},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("svix-"), sigHeader: "svix-signature", malformedValue: " ", timestamped: true,
		},
		{
			name: "resend", cfg: signature.Config{Template: "resend", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("resend-signing-secret-24b"))},
			wrongSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-24-byte-secret!!")), body: staticBody(jsonBody),
			sign: standard("webhook-"), sigHeader: "webhook-signature", malformedValue: "nocomma", timestamped: true,
		},
		{
			name: "paddle", cfg: signature.Config{Template: "paddle", Secret: "pdl_ntfset_01abc_secret"},
			wrongSecret: "pdl_ntfset_01abc_other", body: staticBody(jsonBody),
			sign: func(secret string, at time.Time, body string) signature.Request {
				return withBody(hmacHeader("Paddle-Signature", "ts="+unix(at)+";h1="+hexMAC(sha256.New, secret, unix(at)+":"+body)), body)
			},
			sigHeader: "Paddle-Signature", malformedValue: "h1=abc", timestamped: true,
		},
		{
			name: "typeform", cfg: signature.Config{Template: "typeform", Secret: "typeform-secret"},
			wrongSecret: "typeform-other", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("Typeform-Signature", "sha256="+b64MAC(sha256.New, secret, body)), body)
			},
			sigHeader: "Typeform-Signature", malformedValue: "sha256=" + hexMAC(sha256.New, "a", "b"),
		},
		{
			name: "postmark with basic auth", cfg: signature.Config{Template: "postmark", Secret: "hooks:correct horse"},
			wrongSecret: "hooks:battery staple", body: staticBody(jsonBody),
			sign: func(secret string, _ time.Time, body string) signature.Request {
				return withBody(hmacHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(secret))), body)
			},
			sigHeader: "Authorization", malformedValue: "Bearer abc",
		},
	}
}

func TestVerify_Schemes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)
	for _, tc := range schemeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret := tc.cfg.Secret
			body := tc.body(now)
			signed := func() signature.Request { return tc.sign(secret, now, body) }

			check := func(t *testing.T, cfg signature.Config, req signature.Request, at time.Time, want error) {
				t.Helper()
				err := signature.Verify(cfg, req, at)
				if want == nil {
					if err != nil {
						t.Fatalf("Verify = %v, want nil", err)
					}
					return
				}
				if !errors.Is(err, want) {
					t.Fatalf("Verify = %v, want %v", err, want)
				}
				var e *signature.Error
				if !errors.As(err, &e) {
					t.Fatalf("Verify = %T, want *signature.Error", err)
				}
				for _, s := range []string{cfg.Secret, secret, tc.wrongSecret} {
					if strings.Contains(err.Error(), s) {
						t.Fatalf("error %q contains a secret", err)
					}
				}
			}

			t.Run("valid", func(t *testing.T) {
				t.Parallel()
				check(t, tc.cfg, signed(), now, nil)
			})
			t.Run("valid within tolerance", func(t *testing.T) {
				t.Parallel()
				check(t, tc.cfg, signed(), now.Add(4*time.Minute), nil)
				check(t, tc.cfg, signed(), now.Add(-4*time.Minute), nil)
			})
			t.Run("body byte changed", func(t *testing.T) {
				t.Parallel()
				if tc.cfg.Template == signature.TemplatePostmark {
					t.Skip("postmark signs nothing")
				}
				req := signed()
				req.Body = append([]byte(nil), req.Body...)
				req.Body[1] ^= 0x01
				check(t, tc.cfg, req, now, signature.ErrSignatureMismatch)
			})
			t.Run("wrong secret", func(t *testing.T) {
				t.Parallel()
				cfg := tc.cfg
				cfg.Secret = tc.wrongSecret
				check(t, cfg, signed(), now, signature.ErrSignatureMismatch)
			})
			t.Run("stale timestamp", func(t *testing.T) {
				t.Parallel()
				if !tc.timestamped {
					t.Skip("format has no timestamp")
				}
				old := now.Add(-6 * time.Minute)
				check(t, tc.cfg, tc.sign(secret, old, tc.body(old)), now, signature.ErrOutsideTolerance)
			})
			t.Run("future timestamp", func(t *testing.T) {
				t.Parallel()
				if !tc.timestamped {
					t.Skip("format has no timestamp")
				}
				later := now.Add(6 * time.Minute)
				check(t, tc.cfg, tc.sign(secret, later, tc.body(later)), now, signature.ErrOutsideTolerance)
			})
			t.Run("custom tolerance", func(t *testing.T) {
				t.Parallel()
				if !tc.timestamped {
					t.Skip("format has no timestamp")
				}
				cfg := tc.cfg
				cfg.Tolerance = time.Hour
				old := now.Add(-30 * time.Minute)
				check(t, cfg, tc.sign(secret, old, tc.body(old)), now, nil)
				cfg.Tolerance = -1
				ancient := now.Add(-24 * 365 * time.Hour)
				check(t, cfg, tc.sign(secret, ancient, tc.body(ancient)), now, nil)
			})
			t.Run("missing header", func(t *testing.T) {
				t.Parallel()
				req := signed()
				req.Header.Del(tc.sigHeader)
				check(t, tc.cfg, req, now, signature.ErrMissingHeader)
				err := signature.Verify(tc.cfg, req, now)
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.sigHeader)) {
					t.Fatalf("error %q does not name header %s", err, tc.sigHeader)
				}
			})
			t.Run("no headers at all", func(t *testing.T) {
				t.Parallel()
				req := signed()
				req.Header = nil
				check(t, tc.cfg, req, now, signature.ErrMissingHeader)
			})
			t.Run("malformed header", func(t *testing.T) {
				t.Parallel()
				req := signed()
				req.Header.Set(tc.sigHeader, tc.malformedValue)
				want := signature.ErrMalformedHeader
				if strings.TrimSpace(tc.malformedValue) == "" {
					want = signature.ErrMissingHeader
				}
				check(t, tc.cfg, req, now, want)
			})
		})
	}
}

func TestVerify_TimestampHeaders(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	body := jsonBody
	stdSig := standardSign(stdSecret, "msg_1", now, body)
	tests := []struct {
		name string
		cfg  signature.Config
		h    http.Header
		want error
		msg  string
	}{
		{"standard missing id", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-timestamp", unix(now), "webhook-signature", stdSig), signature.ErrMissingHeader, "missing signature header webhook-id"},
		{"standard missing timestamp", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-id", "msg_1", "webhook-signature", stdSig), signature.ErrMissingHeader, "missing signature header webhook-timestamp"},
		{"standard malformed timestamp", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-id", "msg_1", "webhook-timestamp", "+1700000000", "webhook-signature", stdSig), signature.ErrMalformedHeader, "malformed signature header webhook-timestamp: expected a unix timestamp"},
		{"svix missing id", signature.Config{Template: "svix", Secret: stdSecret},
			header("svix-timestamp", unix(now), "svix-signature", stdSig), signature.ErrMissingHeader, "missing signature header svix-id"},
		{"standard v2 only", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-id", "msg_1", "webhook-timestamp", unix(now), "webhook-signature", strings.Replace(stdSig, "v1,", "v2,", 1)), signature.ErrSignatureMismatch, "signature mismatch"},
		{"standard one of several", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-id", "msg_1", "webhook-timestamp", unix(now), "webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,xx "+stdSig), nil, ""},
		{"standard id tampered", signature.Config{Scheme: "standard_webhooks", Secret: stdSecret},
			header("webhook-id", "msg_2", "webhook-timestamp", unix(now), "webhook-signature", stdSig), signature.ErrSignatureMismatch, "signature mismatch"},
		{"slack missing timestamp", signature.Config{Template: "slack", Secret: "s3cret-xyz"},
			header("X-Slack-Signature", "v0="+hexMAC(sha256.New, "s3cret-xyz", "v0:"+unix(now)+":"+body)), signature.ErrMissingHeader, "missing signature header X-Slack-Request-Timestamp"},
		{"slack timestamp tampered", signature.Config{Template: "slack", Secret: "s3cret-xyz"},
			header("X-Slack-Signature", "v0="+hexMAC(sha256.New, "s3cret-xyz", "v0:"+unix(now)+":"+body), "X-Slack-Request-Timestamp", unix(now.Add(time.Second))), signature.ErrSignatureMismatch, "signature mismatch"},
		{"stripe t tampered", signature.Config{Template: "stripe", Secret: "s3cret-xyz"},
			header("Stripe-Signature", "t="+unix(now.Add(time.Second))+",v1="+hexMAC(sha256.New, "s3cret-xyz", unix(now)+"."+body)), signature.ErrSignatureMismatch, "signature mismatch"},
		{"stripe no v1", signature.Config{Template: "stripe", Secret: "s3cret-xyz"},
			header("Stripe-Signature", "t="+unix(now)+",v0="+hexMAC(sha256.New, "s3cret-xyz", unix(now)+"."+body)), signature.ErrMalformedHeader, "malformed signature header Stripe-Signature: no v1= signature"},
		{"stripe unreadable extra v1 ignored", signature.Config{Template: "stripe", Secret: "s3cret-xyz"},
			header("Stripe-Signature", "t="+unix(now)+",v1="+hexMAC(sha256.New, "s3cret-xyz", unix(now)+"."+body)+",v1=bad_signature"), nil, ""},
		{"stripe rolled secret", signature.Config{Template: "stripe", Secret: "s3cret-xyz"},
			header("Stripe-Signature", "t="+unix(now)+",v1="+hexMAC(sha256.New, "old", unix(now)+"."+body)+",v1="+hexMAC(sha256.New, "s3cret-xyz", unix(now)+"."+body)), nil, ""},
		{"paddle two h1", signature.Config{Template: "paddle", Secret: "s3cret-xyz"},
			header("Paddle-Signature", "ts="+unix(now)+";h1="+hexMAC(sha256.New, "old", unix(now)+":"+body)+";h1="+hexMAC(sha256.New, "s3cret-xyz", unix(now)+":"+body)), nil, ""},
		{"paddle no h1", signature.Config{Template: "paddle", Secret: "s3cret-xyz"},
			header("Paddle-Signature", "ts="+unix(now)), signature.ErrMalformedHeader, "malformed signature header Paddle-Signature: no h1= signature"},
		{"sendgrid missing timestamp", signature.Config{Template: "sendgrid", Secret: publicKeyBase64(sendGridKey)},
			header("X-Twilio-Email-Event-Webhook-Signature", sendGridSign(sendGridKey, unix(now), body)), signature.ErrMissingHeader, "missing signature header X-Twilio-Email-Event-Webhook-Timestamp"},
		{"sendgrid timestamp tampered", signature.Config{Template: "sendgrid", Secret: publicKeyBase64(sendGridKey)},
			header("X-Twilio-Email-Event-Webhook-Signature", sendGridSign(sendGridKey, unix(now), body), "X-Twilio-Email-Event-Webhook-Timestamp", unix(now.Add(time.Second))), signature.ErrSignatureMismatch, "signature mismatch"},
		{"hmac missing timestamp header", signature.Config{Scheme: "hmac_sha256", Header: "X-Sig", Secret: "s3cret-xyz", Extra: map[string]string{"timestamp_header": "X-Sig-Ts"}},
			header("X-Sig", hexMAC(sha256.New, "s3cret-xyz", unix(now)+"."+body)), signature.ErrMissingHeader, "missing signature header X-Sig-Ts"},
		{"hmac rotation list", signature.Config{Scheme: "hmac_sha256", Header: "X-Sig", Secret: "s3cret-xyz"},
			header("X-Sig", "sha256="+hexMAC(sha256.New, "new", body)+",sha256="+hexMAC(sha256.New, "s3cret-xyz", body)), nil, ""},
		{"github header override", signature.Config{Template: "github", Header: "X-Hub-Signature", Secret: "s3cret-xyz"},
			header("X-Hub-Signature", "sha256="+hexMAC(sha256.New, "s3cret-xyz", body)), nil, ""},
		{"github uppercase hex", signature.Config{Template: "github", Secret: "s3cret-xyz"},
			header("X-Hub-Signature-256", "sha256="+strings.ToUpper(hexMAC(sha256.New, "s3cret-xyz", body))), nil, ""},
		{"postmark without secret passes", signature.Config{Template: "postmark"}, http.Header{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := signature.Verify(tt.cfg, signature.Request{Method: "POST", Header: tt.h, Body: []byte(body)}, now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Fatalf("message = %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}

func TestVerify_Linear(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		body string
		want error
	}{
		{"no webhookTimestamp", `{"action":"create"}`, nil},
		{"not json", `hello`, nil},
		{"fresh", `{"webhookTimestamp":1700000060000}`, nil},
		{"stale", `{"webhookTimestamp":1699999000000}`, signature.ErrOutsideTolerance},
		{"negative", `{"webhookTimestamp":-5}`, signature.ErrOutsideTolerance},
		{"huge", `{"webhookTimestamp":1e300}`, signature.ErrOutsideTolerance},
		{"string is ignored", `{"webhookTimestamp":"1699999000000"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := signature.Request{Method: "POST", Body: []byte(tt.body),
				Header: header("Linear-Signature", hexMAC(sha256.New, "s3cret-xyz", tt.body))}
			err := signature.Verify(signature.Config{Template: "linear", Secret: "s3cret-xyz"}, req, now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerify_Twilio(t *testing.T) {
	t.Parallel()
	const token = "tok"
	u := "https://example.com/hook?a=1"
	form := url.Values{"B": {"2", "1"}, "A": {"x"}, "AB": {"y"}}
	tests := []struct {
		name string
		req  signature.Request
		want error
	}{
		{"repeated parameter values sorted", signature.Request{Method: "POST", URL: u, Form: form,
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, u+"AxAByB1B2"))}, nil},
		{"GET signs the URL only", signature.Request{Method: "GET", URL: u, Form: url.Values{"a": {"1"}},
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, u))}, nil},
		{"wrong URL", signature.Request{Method: "POST", URL: u + "&b=2", Form: form,
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, u+"AxAByB1B2"))}, signature.ErrSignatureMismatch},
		{"no URL", signature.Request{Method: "POST", Form: form,
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, u+"AxAByB1B2"))}, signature.ErrSignatureMismatch},
		{"bodySHA256 mismatch", signature.Request{Method: "POST", URL: u + "&bodySHA256=00", Body: []byte("{}"),
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, u+"&bodySHA256=00"))}, signature.ErrSignatureMismatch},
		{"IPv6 host with port", signature.Request{Method: "POST", URL: "https://[::1]:8443/hook", Form: url.Values{},
			Header: header("X-Twilio-Signature", b64MAC(sha1.New, token, "https://[::1]/hook"))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := signature.Verify(signature.Config{Template: "twilio", Secret: token}, tt.req, time.Time{})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerify_SendGridPEMKey(t *testing.T) {
	t.Parallel()
	der, err := base64.StdEncoding.DecodeString(publicKeyBase64(sendGridKey))
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	now := time.Unix(1700000000, 0)
	req := signature.Request{Method: "POST", Body: []byte("[]"), Header: header(
		"X-Twilio-Email-Event-Webhook-Timestamp", unix(now),
		"X-Twilio-Email-Event-Webhook-Signature", sendGridSign(sendGridKey, unix(now), "[]"))}
	if err := signature.Verify(signature.Config{Template: "sendgrid", Secret: pemKey}, req, now); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       signature.Config
		wantField string
	}{
		{"hmac ok", signature.Config{Scheme: "hmac_sha256", Secret: "s3cret-xyz"}, ""},
		{"hyphenated ok", signature.Config{Scheme: "HMAC-SHA1", Secret: "s3cret-xyz"}, ""},
		{"no scheme", signature.Config{Secret: "s3cret-xyz"}, "verification_type"},
		{"unknown scheme", signature.Config{Scheme: "md5", Secret: "s3cret-xyz"}, "verification_type"},
		{"unknown template", signature.Config{Template: "acme", Secret: "s3cret-xyz"}, "template"},
		{"custom without scheme", signature.Config{Template: "custom", Secret: "s3cret-xyz"}, "verification_type"},
		{"missing secret", signature.Config{Scheme: "hmac_sha256"}, "verification_secret"},
		{"template missing secret", signature.Config{Template: "stripe"}, "verification_secret"},
		{"bad encoding", signature.Config{Scheme: "hmac_sha256", Secret: "s3cret-xyz", Extra: map[string]string{"encoding": "hex64"}}, "verification_config.encoding"},
		{"whsec not base64", signature.Config{Scheme: "standard_webhooks", Secret: "whsec_!!!"}, "verification_secret"},
		{"whpk wrong size", signature.Config{Scheme: "standard_webhooks", Secret: "whpk_AAAA"}, "verification_secret"},
		{"raw standard secret ok", signature.Config{Scheme: "standard_webhooks", Secret: "not base64!"}, ""},
		{"sendgrid not a key", signature.Config{Template: "sendgrid", Secret: "c2VjcmV0"}, "verification_secret"},
		{"sendgrid not base64", signature.Config{Template: "sendgrid", Secret: "%%%"}, "verification_secret"},
		{"sendgrid ok", signature.Config{Template: "sendgrid", Secret: sendGridDocKey}, ""},
		{"postmark empty ok", signature.Config{Template: "postmark"}, ""},
		{"postmark user:pass ok", signature.Config{Template: "postmark", Secret: "u:p"}, ""},
		{"postmark no colon", signature.Config{Template: "postmark", Secret: "token"}, "verification_secret"},
		{"bad header name", signature.Config{Scheme: "hmac_sha256", Header: "X Sig", Secret: "s3cret-xyz"}, "verification_header"},
		{"template bad header name", signature.Config{Template: "github", Header: "X-Sig:", Secret: "s3cret-xyz"}, "verification_header"},
		{"bad timestamp header name", signature.Config{Scheme: "hmac_sha256", Secret: "s3cret-xyz", Extra: map[string]string{"timestamp_header": "a b"}}, "verification_config.timestamp_header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := signature.ValidateConfig(tt.cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("ValidateConfig = %v, want nil", err)
				}
				return
			}
			var ce *signature.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField || !errors.Is(err, signature.ErrInvalidConfig) {
				t.Fatalf("ValidateConfig = %v, want *ConfigError for %s", err, tt.wantField)
			}
			if tt.cfg.Secret != "" && strings.Contains(err.Error(), tt.cfg.Secret) {
				t.Fatalf("error %q contains the secret", err)
			}
			// Verify reports the same problem instead of checking anything.
			if verr := signature.Verify(tt.cfg, signature.Request{}, time.Time{}); !errors.As(verr, &ce) {
				t.Fatalf("Verify = %v, want *ConfigError", verr)
			}
		})
	}
}

func TestNormalizeScheme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"hmac_sha256", "hmac_sha256", true},
		{"hmac-sha256", "hmac_sha256", true},
		{" HMAC-SHA1 ", "hmac_sha1", true},
		{"standard-webhooks", "standard_webhooks", true},
		{"Standard_Webhooks", "standard_webhooks", true},
		{"", "", false},
		{"hmac", "", false},
		{"stripe", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := signature.NormalizeScheme(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("NormalizeScheme(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestError_Error(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *signature.Error
		want string
	}{
		{&signature.Error{Err: signature.ErrMissingHeader, Header: "X-Hub-Signature-256"}, "missing signature header X-Hub-Signature-256"},
		{&signature.Error{Err: signature.ErrSignatureMismatch}, "signature mismatch"},
		{&signature.Error{Err: signature.ErrOutsideTolerance}, "timestamp outside tolerance"},
		{&signature.Error{Err: signature.ErrMalformedHeader, Header: "Stripe-Signature", Reason: "no t= timestamp"}, "malformed signature header Stripe-Signature: no t= timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
