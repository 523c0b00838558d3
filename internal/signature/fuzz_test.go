package signature

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

func checkTimestamped(t *testing.T, h timestampedHeader, reason string) {
	t.Helper()
	if reason != "" {
		return
	}
	if _, ok := parseUnix(h.timestamp); !ok {
		t.Fatalf("accepted timestamp %q", h.timestamp)
	}
	if !h.sawSig {
		t.Fatal("accepted a header without signature entries")
	}
	for _, s := range h.sigs {
		if len(s) != sha256.Size {
			t.Fatalf("accepted a %d-byte signature", len(s))
		}
	}
}

func FuzzParseStripeHeader(f *testing.F) {
	for _, s := range []string{
		"t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		"t=1,v1=00", "v1,t=1", "t=", "t=1,t=2,v1=ab", ",,,", "t=1;v1=ab", "t=١٢٣,v1=ab", "t=99999999999999999999,v1=ab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, reason := parseStripeHeader(s)
		checkTimestamped(t, h, reason)
	})
}

func FuzzParsePaddleHeader(f *testing.F) {
	for _, s := range []string{
		"ts=1671552777;h1=eb4d0dc8853be92b7f063b9f3ba5233eb920a09459b6e6b2c26705b4364db151",
		"ts=1;h1=00;h1=11", "h1=abc", "ts=x;h1=ab", ";;", "ts=1,h1=ab", "ts==1;h1==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, reason := parsePaddleHeader(s)
		checkTimestamped(t, h, reason)
	})
}

func FuzzParseStandardSignatures(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,a v1a,b v2,c", "v1", ",", "v1, ,v1", "\tv1,x\n v1,y", "v1,,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sigs, ok := parseStandardSignatures(s)
		if ok != (len(sigs) > 0) {
			t.Fatalf("ok = %v with %d signatures", ok, len(sigs))
		}
		for _, sig := range sigs {
			if sig.version == "" || sig.sig == "" || strings.ContainsAny(sig.version+sig.sig, " \t\n") || strings.Contains(sig.version, ",") {
				t.Fatalf("bad entry %+v", sig)
			}
		}
	})
}

func FuzzParseSlackSignature(f *testing.F) {
	for _, s := range []string{
		"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
		"v0=", "v1=ab", "v0=zz", " v0=00 ", "V0=ab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := parseSlackSignature(s)
		if ok && (len(b) != sha256.Size || !strings.HasPrefix(strings.TrimSpace(s), "v0=")) {
			t.Fatalf("accepted %q", s)
		}
	})
}

// fuzzSecret never appears in a fuzzed request's error.
const fuzzSecret = "fuzz-secret-0123456789"

// fuzzConfigs covers every scheme and template.
func fuzzConfigs() []Config {
	cfgs := []Config{
		{Scheme: SchemeHMACSHA256, Secret: fuzzSecret},
		{Scheme: SchemeHMACSHA1, Header: "X-Sig", Secret: fuzzSecret, Extra: map[string]string{"timestamp_header": "X-Ts", "prefix": ""}},
		{Scheme: SchemeStandardWebhooks, Secret: "whsec_" + "ZnV6ei1zZWNyZXQtMDEyMzQ1Njc4OQ=="},
		{Scheme: SchemeStandardWebhooks, Secret: "whpk_" + "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
	}
	for _, tpl := range templates {
		secret := fuzzSecret
		switch tpl.Name {
		case TemplateSendGrid:
			secret = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
		case TemplatePostmark:
			secret = "fuzz-user:" + fuzzSecret
		case TemplateClerk, TemplateSvix, TemplateResend, TemplateStandardWebhooks:
			secret = "whsec_ZnV6ei1zZWNyZXQtMDEyMzQ1Njc4OQ=="
		}
		cfgs = append(cfgs, Config{Template: tpl.Name, Scheme: SchemeHMACSHA256, Secret: secret})
	}
	return cfgs
}

// parseHeaderBlock reads "Name: value" lines; malformed lines are dropped.
func parseHeaderBlock(s string) http.Header {
	h := http.Header{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name == "" {
			continue
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), value)
	}
	return h
}

// FuzzVerify feeds arbitrary headers, bodies and URLs to every scheme and
// template: Verify must not panic, must not accept a request it cannot have
// seen signed, and must not leak the secret.
func FuzzVerify(f *testing.F) {
	f.Add("Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", []byte(`{}`), "", "POST")
	f.Add("Paddle-Signature: ts=1700000000;h1=zz", []byte(`{}`), "", "POST")
	f.Add("Webhook-Id: msg_1\nWebhook-Timestamp: 1700000000\nWebhook-Signature: v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", []byte(`{"test": 1}`), "", "POST")
	f.Add("Svix-Id: msg_1\nSvix-Timestamp: 1700000000\nSvix-Signature: v1a,AAAA v1,,", []byte(`{}`), "", "POST")
	f.Add("X-Slack-Signature: v0=00\nX-Slack-Request-Timestamp: 1700000000", []byte(`a=b`), "", "POST")
	f.Add("X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8=\nContent-Type: application/x-www-form-urlencoded", []byte(`To=%2B1&From=x&To=y`), "https://[::1]:443/a?bodySHA256=00", "POST")
	f.Add("X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8=", []byte(`{}`), "%zz://bad", "GET")
	f.Add("X-Twilio-Email-Event-Webhook-Signature: MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=\nX-Twilio-Email-Event-Webhook-Timestamp: 1700000000", []byte(`[]`), "", "POST")
	f.Add("Linear-Signature: 00\nX-Hub-Signature: sha1=00\nX-Hub-Signature-256: sha256=00", []byte(`{"webhookTimestamp":1e999}`), "", "POST")
	f.Add("Authorization: Basic Zm9vOmJhcg==\nTypeform-Signature: sha256=AA==\nX-Shopify-Hmac-Sha256: AA==", []byte{}, "", "")
	f.Add("X-Sig: ,,, ,\nX-Ts: 99999999999999999999\nX-hookstream-Signature: sha256=", []byte{0xff, 0xfe}, "", "PUT")
	now := time.Unix(1700000000, 0)
	cfgs := fuzzConfigs()
	f.Fuzz(func(t *testing.T, headers string, body []byte, rawURL, method string) {
		req := Request{Method: method, URL: rawURL, Header: parseHeaderBlock(headers), Body: body}
		for _, cfg := range cfgs {
			err := Verify(cfg, req, now)
			if err == nil {
				if cfg.Template == TemplatePostmark {
					continue
				}
				t.Fatalf("Verify(%s/%s) accepted a forged request", cfg.Template, cfg.Scheme)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("error %q leaks the secret", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify(%s/%s) = %T %v, want *Error", cfg.Template, cfg.Scheme, err, err)
			}
		}
	})
}

func TestTemplateVerifiers_MatchTemplates(t *testing.T) {
	t.Parallel()
	if len(templateVerifiers) != len(templates) {
		t.Fatalf("%d verifiers for %d templates", len(templateVerifiers), len(templates))
	}
	for _, tpl := range templates {
		v, ok := templateVerifiers[tpl.Name]
		if !ok {
			t.Fatalf("template %s has no verifier", tpl.Name)
		}
		if tpl.Name != TemplateCustom && (v.check == nil || v.verify == nil) {
			t.Fatalf("template %s has an incomplete verifier", tpl.Name)
		}
	}
}

func TestParseUnix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1700000000", 1700000000, true},
		{"0", 0, true},
		{"", 0, false},
		{"+1", 0, false},
		{"-1", 0, false},
		{" 1", 0, false},
		{"1.5", 0, false},
		{"999999999999999999", 999999999999999999, true},
		{"9999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := parseUnix(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseUnix(%q) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
