package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
)

// The signatures come from hookstream's own signer, so the receiver
// verifies what deliveries really carry.

func TestReceiver_Verify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"repo":"acme/api","commit":"6dcb09b5"}`)
	const secret = "3f1b2c4d5e6f708192a3b4c5d6e7f809"
	const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	empty := ""
	tests := []struct {
		name     string
		cfg      signature.SigningConfig
		secret   string // the receiver's -secret; cfg.Secret when empty
		header   string // the receiver's -header
		tsHeader string // the receiver's -timestamp-header
		tamper   func(h http.Header, body []byte) []byte
		signedAt time.Time // the signer's clock; now when zero
		want     string    // how it verified, or "" for an error
		wantErr  string
	}{
		{name: "hmac sha256 of the body", cfg: signature.SigningConfig{Secret: secret},
			want: "HMAC-SHA256 of {body}"},
		{name: "hmac sha256 with a timestamp", cfg: signature.SigningConfig{Secret: secret, IncludeTimestamp: true},
			want: "HMAC-SHA256 of {timestamp}.{body}"},
		{name: "hmac sha1", cfg: signature.SigningConfig{Secret: secret, Algorithm: "sha1"},
			want: "HMAC-SHA1 of {body}"},
		{name: "no prefix, own headers", cfg: signature.SigningConfig{Secret: secret, Prefix: &empty, Header: "X-Sig",
			IncludeTimestamp: true, TimestampHeader: "X-Sig-Ts"}, header: "X-Sig", tsHeader: "X-Sig-Ts",
			want: "HMAC-SHA256 of {timestamp}.{body}"},
		{name: "rotation: the previous secret verifies too", cfg: signature.SigningConfig{Secret: "new-" + secret, PreviousSecret: secret},
			secret: secret, want: "HMAC-SHA256 of {body}"},
		{name: "standard webhooks", cfg: signature.SigningConfig{Scheme: "standard_webhooks", Secret: whsec},
			want: "Standard Webhooks (v1) of {webhook-id}.{webhook-timestamp}.{body}"},
		{name: "standard webhooks, bare base64 secret", cfg: signature.SigningConfig{Scheme: "standard_webhooks", Secret: whsec},
			secret: strings.TrimPrefix(whsec, "whsec_"), want: "Standard Webhooks (v1) of {webhook-id}.{webhook-timestamp}.{body}"},

		{name: "wrong secret", cfg: signature.SigningConfig{Secret: secret}, secret: "not-" + secret,
			wantErr: "no signature matches"},
		{name: "body changed", cfg: signature.SigningConfig{Secret: secret},
			tamper:  func(h http.Header, body []byte) []byte { return append(body, ' ') },
			wantErr: "no signature matches"},
		{name: "timestamp changed", cfg: signature.SigningConfig{Secret: secret, IncludeTimestamp: true},
			tamper: func(h http.Header, body []byte) []byte {
				h.Set(DefaultTimestampHeader, "1800000001")
				return body
			},
			wantErr: "no signature matches"},
		{name: "no signature", cfg: signature.SigningConfig{Secret: secret},
			tamper: func(h http.Header, body []byte) []byte {
				h.Del(DefaultSignatureHeader)
				return body
			},
			wantErr: "no X-hookstream-Signature header"},
		{name: "signed too long ago", cfg: signature.SigningConfig{Secret: secret, IncludeTimestamp: true},
			signedAt: now.Add(-6 * time.Minute), wantErr: "6m0s away from the clock"},
		{name: "standard webhooks, wrong secret", cfg: signature.SigningConfig{Scheme: "standard_webhooks", Secret: whsec},
			secret: "whsec_" + strings.Repeat("A", 32), wantErr: "no webhook-signature matches"},
		{name: "standard webhooks, secret not base64", cfg: signature.SigningConfig{Scheme: "standard_webhooks", Secret: whsec},
			secret: "whsec_!!", wantErr: "whsec_ followed by base64"},
		{name: "standard webhooks, stale", cfg: signature.SigningConfig{Scheme: "standard_webhooks", Secret: whsec},
			signedAt: now.Add(10 * time.Minute), wantErr: "10m0s away from the clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			signer, err := signature.NewSigner(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			signedAt := tt.signedAt
			if signedAt.IsZero() {
				signedAt = now
			}
			signer.Sign(h, "evt_0192f5a8c3d07e1f9a2b3c4d5e6f7a8b", body, signedAt)
			b := bytes.Clone(body)
			if tt.tamper != nil {
				b = tt.tamper(h, b)
			}
			rcv := &Receiver{Secret: tt.secret, Header: tt.header, TimestampHeader: tt.tsHeader, Now: func() time.Time { return now }}
			if rcv.Secret == "" {
				rcv.Secret = tt.cfg.Secret
			}
			got, err := rcv.Verify(h, b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Verify = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Verify = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReceiver_ServeHTTP(t *testing.T) {
	t.Parallel()
	const secret = "walkthrough-secret"
	signer, err := signature.NewSigner(signature.SigningConfig{Secret: secret, IncludeTimestamp: true})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"repo":"acme/api"}`
	tests := []struct {
		name       string
		fail       bool
		secret     string
		method     string
		path       string
		wantStatus int
		wantOut    []string // substrings of what it prints; nil: prints nothing
	}{
		{name: "delivered", secret: secret, method: "POST", path: "/hooks", wantStatus: 200,
			wantOut: []string{"POST /hooks\n", "  X-Hookstream-Event-Id: evt_1\n", "  X-Hookstream-Signature: sha256=",
				"  " + body + "\n", "  signature verified: HMAC-SHA256 of {timestamp}.{body}\n", "  → 200\n"}},
		{name: "the failing path", secret: secret, method: "POST", path: "/fail", wantStatus: 500,
			wantOut: []string{"POST /fail\n", "  signature verified", "  → 500\n"}},
		{name: "under the failing path", method: "PUT", path: "/fail/x?a=1", wantStatus: 500,
			wantOut: []string{"PUT /fail/x?a=1\n", "  signature not checked (no -secret)\n", "  → 500\n"}},
		{name: "not the failing path", method: "POST", path: "/failing", wantStatus: 200,
			wantOut: []string{"POST /failing\n", "  → 200\n"}},
		{name: "-fail", fail: true, secret: "wrong", method: "POST", path: "/hooks", wantStatus: 500,
			wantOut: []string{"  signature NOT verified: no signature matches", "  → 500\n"}},
		{name: "health is quiet", method: "GET", path: "/health", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			rcv := &Receiver{Out: &out, Secret: tt.secret, Fail: tt.fail}
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-hookstream-Event-Id", "evt_1")
			req.Header.Set("Authorization", "Bearer not-printed")
			signer.Sign(req.Header, "evt_1", []byte(body), time.Now())
			w := httptest.NewRecorder()
			rcv.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			got := out.String()
			if tt.wantOut == nil && got != "" {
				t.Errorf("printed %q, want nothing", got)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(got, want) {
					t.Errorf("printed\n%s\nwant it to contain %q", got, want)
				}
			}
			if strings.Contains(got, "not-printed") {
				t.Errorf("printed the Authorization header:\n%s", got)
			}
		})
	}
}
