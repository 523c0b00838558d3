package hookstream

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/netguard"
	"github.com/hookstream-go/hookstream/store"
)

// capture is a loopback receiver recording the last request.
type capture struct {
	header http.Header
	body   []byte
	method string
	n      int
}

func newCapture(t *testing.T, answer http.HandlerFunc) (*httptest.Server, *capture) {
	t.Helper()
	c := &capture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c.header, c.method, c.n = req.Header.Clone(), req.Method, c.n+1
		c.body, _ = io.ReadAll(req.Body)
		answer(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

// deliverOnce makes one attempt of a fresh event to dst through the real
// scheduler path and returns its attempt record.
func deliverOnce(t *testing.T, r *Router, dst DestinationParams, body string) *store.Attempt {
	t.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("s")})
	if err != nil {
		t.Fatal(err)
	}
	dst.Name = ptr("d")
	d, err := r.CreateDestination(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: d.ID, Name: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	ingest(t, r, src.ID, body)
	leased, err := r.store.Lease(ctx, d.ID, r.now(), 1, time.Minute)
	if err != nil || len(leased) != 1 {
		t.Fatalf("lease: %v, %v", leased, err)
	}
	dstRec, _ := r.routes().destination(ctx, d.ID)
	f := r.attempt(ctx, job{d: leased[0], dst: dstRec})
	return f.outcome.Attempt
}

func TestHTTPProvider_Request(t *testing.T) {
	t.Parallel()
	srv, got := newCapture(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Reply", "yes")
		w.WriteHeader(201)
		io.WriteString(w, strings.Repeat("x", MaxResponseBody+100))
	})
	r := setup(t, &Config{AllowPrivateNetworks: true})
	a := deliverOnce(t, r, DestinationParams{
		URL: ptr(srv.URL + "/hook"), Method: ptr("PUT"), Headers: map[string]string{"X-Team": "billing"},
		AuthType: ptr(AuthType("api_key")), AuthConfig: json.RawMessage(`{"header":"X-Api-Key","value":"k3y-value"}`),
	}, `{"order":1}`)

	if a.Status != store.AttemptSuccess || a.ResponseStatus != 201 {
		t.Fatalf("attempt: %+v", a)
	}
	if got.method != "PUT" || string(got.body) != `{"order":1}` {
		t.Errorf("request %s %s", got.method, got.body)
	}
	h := got.header
	for name, want := range map[string]string{
		"Content-Type": "application/json", "X-Team": "billing", "X-Api-Key": "k3y-value",
		"User-Agent": "hookstream/" + Version, "X-Hookstream-Delivery-Attempt": "1", "X-Hookstream-Event-Id": a.EventID,
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if _, err := time.Parse(time.RFC3339, h.Get("X-Hookstream-Timestamp")); err != nil {
		t.Errorf("X-hookstream-Timestamp %q is not ISO 8601", h.Get("X-Hookstream-Timestamp"))
	}
	if len(a.ResponseBody) != MaxResponseBody || !a.ResponseBodyTruncated || a.ResponseHeaders["X-Reply"] != "yes" {
		t.Errorf("response recorded: %d bytes, truncated %v, headers %v", len(a.ResponseBody), a.ResponseBodyTruncated, a.ResponseHeaders)
	}
	if a.RequestHeaders["X-Api-Key"] == "k3y-value" {
		t.Error("the attempt record shows the API key in clear")
	}
}

func TestHTTPProvider_NoRedirects(t *testing.T) {
	t.Parallel()
	srv, got := newCapture(t, func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/elsewhere", http.StatusFound)
	})
	r := setup(t, &Config{AllowPrivateNetworks: true})
	a := deliverOnce(t, r, DestinationParams{URL: ptr(srv.URL)}, `{}`)
	if got.n != 1 || a.ResponseStatus != 302 || a.Status != store.AttemptFailed {
		t.Errorf("redirect: %d requests, attempt status %d %s", got.n, a.ResponseStatus, a.Status)
	}
}

func TestHTTPProvider_SSRFGuard(t *testing.T) {
	t.Parallel()
	srv, got := newCapture(t, func(w http.ResponseWriter, _ *http.Request) {})
	// The URL is accepted by a Router that allows private networks (a
	// guarded one refuses loopback literals at create); its deliveries go
	// through the default, guarded client, as if the name resolved to a
	// loopback address at dial time.
	r := setup(t, &Config{AllowPrivateNetworks: true})
	r.providers["http"] = httpProvider{client: netguard.NewClient(netguard.Config{})}
	a := deliverOnce(t, r, DestinationParams{URL: ptr(srv.URL)}, `{}`)
	if got.n != 0 || a.Status != store.AttemptFailed || !strings.Contains(a.Error, "refusing to connect to 127.0.0.1") {
		t.Errorf("loopback delivery: %d requests, attempt %s %q", got.n, a.Status, a.Error)
	}
	// Spec §3.3: permanent, with the setting that allows it named.
	if !a.IsDLQ || !strings.Contains(a.Error, "Config.AllowPrivateNetworks") {
		t.Errorf("a refusal: dead-lettered %v, error %q; want dead-lettered at once, naming the setting", a.IsDLQ, a.Error)
	}
}

func TestHTTPProvider_Timeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := newCapture(t, func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	})
	defer close(release)
	r := setup(t, &Config{AllowPrivateNetworks: true})
	a := deliverOnce(t, r, DestinationParams{URL: ptr(srv.URL), TimeoutMS: ptr(50)}, `{}`)
	if a.Status != store.AttemptFailed || !strings.Contains(a.Error, "deadline exceeded") || a.NextRetryAt.IsZero() {
		t.Errorf("timed-out attempt: %s %q next %v", a.Status, a.Error, a.NextRetryAt)
	}
}

func TestHTTPProvider_StandardWebhooksSigning(t *testing.T) {
	t.Parallel()
	srv, got := newCapture(t, func(w http.ResponseWriter, _ *http.Request) {})
	r := setup(t, &Config{AllowPrivateNetworks: true})
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	a := deliverOnce(t, r, DestinationParams{
		URL: ptr(srv.URL), SigningConfig: json.RawMessage(`{"scheme":"standard_webhooks","secret":"` + secret + `"}`),
	}, `{"test": 2432232314}`)
	if a.Status != store.AttemptSuccess {
		t.Fatalf("attempt %+v", a)
	}
	// Verify as the Standard Webhooks spec says, independently of the
	// library: HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed by the
	// base64-decoded secret, base64-encoded, after "v1,".
	id, ts, sigs := got.header.Get("webhook-id"), got.header.Get("webhook-timestamp"), got.header.Get("webhook-signature")
	if id != a.EventID {
		t.Errorf("webhook-id %q, want the event ID %q", id, a.EventID)
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Errorf("webhook-timestamp %q", ts)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(got.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !strings.Contains(" "+sigs+" ", " "+want+" ") {
		t.Errorf("webhook-signature %q does not contain %q", sigs, want)
	}
}

func TestHTTPProvider_HMACSigning(t *testing.T) {
	t.Parallel()
	srv, got := newCapture(t, func(w http.ResponseWriter, _ *http.Request) {})
	r := setup(t, &Config{AllowPrivateNetworks: true})
	deliverOnce(t, r, DestinationParams{
		URL: ptr(srv.URL), SigningConfig: json.RawMessage(`{"secret":"s3cret","include_timestamp":true}`),
	}, `{"a":1}`)
	ts := got.header.Get("X-Hookstream-Signature-Timestamp")
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(ts + "." + string(got.body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got.header.Get("X-Hookstream-Signature") != want {
		t.Errorf("X-hookstream-Signature %q, want %q", got.header.Get("X-Hookstream-Signature"), want)
	}
}
