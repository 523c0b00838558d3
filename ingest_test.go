package hookstream

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// ingestEpoch is where the ingest tests' clocks start.
var ingestEpoch = time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)

// ingestClock is a Config.Now that moves only when told to.
type ingestClock struct {
	mu  sync.Mutex
	now time.Time
}

func newIngestClock() *ingestClock { return &ingestClock{now: ingestEpoch} }

func (c *ingestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ingestClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ingestSetup is setup with a fixed clock.
func ingestSetup(t *testing.T, cfg *Config) (*Router, *ingestClock) {
	t.Helper()
	clock := newIngestClock()
	var c Config
	if cfg != nil {
		c = *cfg
	}
	c.Now = clock.Now
	return setup(t, &c), clock
}

// webhook is one ingest request, built afresh for every send (a body reads
// once).
type webhook struct {
	method string // defaults to POST
	query  string // without "?"
	body   []byte
	header http.Header
	remote string // RemoteAddr; defaults to 192.0.2.10:40000
	host   string // defaults to hooks.example.com
	https  bool
}

func jsonHook(body string) webhook {
	return webhook{body: []byte(body), header: http.Header{"Content-Type": {"application/json"}}}
}

func (w webhook) request(sourceID string) *http.Request {
	method := valueOr(w.method, http.MethodPost)
	host := valueOr(w.host, "hooks.example.com")
	target := "/v1/ingest/" + sourceID
	if w.query != "" {
		target += "?" + w.query
	}
	if w.https {
		target = "https://" + host + target
	}
	req := httptest.NewRequest(method, target, bytes.NewReader(w.body))
	req.Host = host
	req.RemoteAddr = valueOr(w.remote, "192.0.2.10:40000")
	for k, v := range w.header {
		req.Header[k] = slices.Clone(v)
	}
	return req
}

func valueOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ingestOutcome is what a sender saw: the status, and either the accepted
// event or the error message.
type ingestOutcome struct {
	status           int
	msg              string
	eventID          string
	validationErrors []string
}

// ingestPaths are the two ways in: the Go API and the REST handler.
var ingestPaths = []struct {
	name string
	send func(t *testing.T, r *Router, sourceID string, w webhook) ingestOutcome
}{
	{"GoAPI", ingestViaAPI},
	{"HTTP", ingestViaHTTP},
}

func ingestViaAPI(t *testing.T, r *Router, sourceID string, w webhook) ingestOutcome {
	t.Helper()
	res, err := r.Ingest(context.Background(), sourceID, w.request(sourceID))
	if err != nil {
		status, msg := errorStatus(err)
		out := ingestOutcome{status: status, msg: msg}
		var se *SchemaError
		if errors.As(err, &se) {
			out.validationErrors = se.Errors
		}
		return out
	}
	if res.SourceID != sourceID || !strings.HasPrefix(res.EventID, "evt_") {
		t.Errorf("Ingest = %+v, want an evt_ ID and source %s", res, sourceID)
	}
	return ingestOutcome{status: http.StatusOK, eventID: res.EventID}
}

func ingestViaHTTP(t *testing.T, r *Router, sourceID string, w webhook) ingestOutcome {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, w.request(sourceID))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	out := ingestOutcome{status: rec.Code}
	if rec.Code == http.StatusOK {
		id, _ := body["event_id"].(string)
		if len(body) != 2 || !strings.HasPrefix(id, "evt_") || body["source_id"] != sourceID {
			t.Errorf("200 body = %v, want exactly {event_id: evt_..., source_id: %s}", body, sourceID)
		}
		out.eventID = id
		return out
	}
	out.msg, _ = body["error"].(string)
	reqID, _ := body["request_id"].(string)
	if body["status"] != float64(rec.Code) || !strings.HasPrefix(reqID, "req_") || rec.Header().Get("X-Request-Id") != reqID {
		t.Errorf("error body = %v (X-Request-Id %q), want status %d and the same req_ id", body, rec.Header().Get("X-Request-Id"), rec.Code)
	}
	if list, ok := body["validation_errors"].([]any); ok {
		out.validationErrors = []string{}
		for _, v := range list {
			s, _ := v.(string)
			out.validationErrors = append(out.validationErrors, s)
		}
	}
	return out
}

// wantAccepted fails unless the ingest answered 200, and returns the event.
func wantAccepted(t *testing.T, r *Router, out ingestOutcome) *Event {
	t.Helper()
	if out.status != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", out.status, out.msg)
	}
	ev, err := r.GetEvent(context.Background(), out.eventID)
	if err != nil {
		t.Fatalf("GetEvent(%s) after a 200: %v", out.eventID, err)
	}
	return ev
}

// wantRejected fails unless the ingest answered status with a message
// starting with msg.
func wantRejected(t *testing.T, out ingestOutcome, status int, msg string) {
	t.Helper()
	if out.status != status || !strings.HasPrefix(out.msg, msg) {
		t.Errorf("got %d %q, want %d %q", out.status, out.msg, status, msg)
	}
	if out.eventID != "" {
		t.Errorf("rejected ingest returned event %s", out.eventID)
	}
}

func eventTotal(t *testing.T, r *Router) int {
	t.Helper()
	page, err := r.ListEvents(context.Background(), ListEventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func deliveriesOf(t *testing.T, r *Router, eventID string) []*store.Delivery {
	t.Helper()
	ds, err := r.Store().ListDeliveries(context.Background(), r.tenant(context.Background()), eventID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func mustSource(t *testing.T, r *Router, p SourceParams) *Source {
	t.Helper()
	if p.Name == nil {
		p.Name = ptr("Orders")
	}
	src, err := r.CreateSource(context.Background(), p)
	if err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	return src
}

func mustDestination(t *testing.T, r *Router, name string) *Destination {
	t.Helper()
	dst, err := r.CreateDestination(context.Background(), DestinationParams{
		Name: ptr(name), URL: ptr("https://" + strings.ToLower(name) + ".example.com/hooks"),
	})
	if err != nil {
		t.Fatalf("CreateDestination: %v", err)
	}
	return dst
}

func mustConnection(t *testing.T, r *Router, src *Source, dst *Destination, p ConnectionParams) *Connection {
	t.Helper()
	p.SourceID, p.DestinationID = src.ID, dst.ID
	if p.Name == nil {
		p.Name = ptr(src.Name + " to " + dst.Name)
	}
	c, err := r.CreateConnection(context.Background(), p)
	if err != nil {
		t.Fatalf("CreateConnection: %v", err)
	}
	return c
}

func hmacHex(newHash func() hash.Hash, key string, parts ...string) string {
	return hex.EncodeToString(hmacSum(newHash, []byte(key), parts...))
}

func hmacBase64(newHash func() hash.Hash, key []byte, parts ...string) string {
	return base64.StdEncoding.EncodeToString(hmacSum(newHash, key, parts...))
}

func hmacSum(newHash func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// githubHook signs body as GitHub does.
func githubHook(secret, body string) webhook {
	w := jsonHook(body)
	w.header.Set("X-Hub-Signature-256", "sha256="+hmacHex(sha256.New, secret, body))
	return w
}

// TestRouter_Ingest_Checks runs every check of spec §3.1 in its order,
// through the Go API and the REST handler, and asserts that a rejected
// request leaves nothing behind.
func TestRouter_Ingest_Checks(t *testing.T) {
	t.Parallel()
	const secret = "It's a Secret to Everybody"
	schema := json.RawMessage(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"amount":{"type":"integer","minimum":0}}}`)
	big := `{"id":"` + strings.Repeat("x", 56) + `"}`     // 65 bytes
	atLimit := `{"id":"` + strings.Repeat("x", 55) + `"}` // 64 bytes
	withRemote := func(w webhook, remote string) webhook { w.remote = remote; return w }
	okHook := jsonHook(`{"id":"ord_1","amount":5}`)
	v6 := func(w webhook) webhook { return withRemote(w, "[2001:db8::10]:443") }
	tests := []struct {
		name    string
		cfg     Config
		src     SourceParams
		unknown bool
		hook    webhook
		status  int
		msg     string
	}{
		{name: "UnknownSource", unknown: true, hook: okHook, status: 404, msg: "Source not found"},
		{name: "DisabledSource", src: SourceParams{Status: ptr(StatusDisabled)}, hook: okHook, status: 403, msg: "Source is disabled"},
		{name: "DisabledBeforeIP", src: SourceParams{Status: ptr(StatusDisabled), IPDenylist: []string{"192.0.2.10"}}, hook: okHook, status: 403, msg: "Source is disabled"},

		{name: "Deny/IPv4Address", src: SourceParams{IPDenylist: []string{"192.0.2.10"}}, hook: okHook, status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv4CIDR", src: SourceParams{IPDenylist: []string{"192.0.2.0/24"}}, hook: okHook, status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv6Address", src: SourceParams{IPDenylist: []string{"2001:db8::10"}}, hook: v6(okHook), status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv6CIDR", src: SourceParams{IPDenylist: []string{"2001:db8::/32"}}, hook: v6(okHook), status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv6NotSpelledCanonically", src: SourceParams{IPDenylist: []string{"2001:0DB8:0000::0010"}}, hook: v6(okHook), status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv4MappedRemote", src: SourceParams{IPDenylist: []string{"192.0.2.0/24"}}, hook: withRemote(okHook, "[::ffff:192.0.2.10]:443"), status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv4MappedCIDR", src: SourceParams{IPDenylist: []string{"::ffff:192.0.2.0/120"}}, hook: okHook, status: 403, msg: "IP is in deny list"},
		{name: "Deny/IPv4MappedCIDRMappedRemote", src: SourceParams{IPDenylist: []string{"::ffff:192.0.2.0/120"}}, hook: withRemote(okHook, "[::ffff:192.0.2.10]:443"), status: 403, msg: "IP is in deny list"},
		{name: "Deny/OthersPass", src: SourceParams{IPDenylist: []string{"192.0.2.11", "198.51.100.0/24", "2001:db8::/32"}}, hook: okHook, status: 200},
		{name: "Deny/OthersPassIPv6", src: SourceParams{IPDenylist: []string{"2001:db8::11", "2001:db9::/32", "192.0.2.0/24"}}, hook: v6(okHook), status: 200},

		{name: "Allow/IPv4Address", src: SourceParams{IPAllowlist: []string{"192.0.2.11"}}, hook: okHook, status: 403, msg: "IP is not in allow list"},
		{name: "Allow/IPv4CIDR", src: SourceParams{IPAllowlist: []string{"198.51.100.0/24"}}, hook: okHook, status: 403, msg: "IP is not in allow list"},
		{name: "Allow/IPv6Address", src: SourceParams{IPAllowlist: []string{"2001:db8::11"}}, hook: v6(okHook), status: 403, msg: "IP is not in allow list"},
		{name: "Allow/IPv6CIDR", src: SourceParams{IPAllowlist: []string{"2001:db9::/32"}}, hook: v6(okHook), status: 403, msg: "IP is not in allow list"},
		{name: "Allow/IPv4ListRefusesIPv6", src: SourceParams{IPAllowlist: []string{"0.0.0.0/0"}}, hook: v6(okHook), status: 403, msg: "IP is not in allow list"},
		{name: "Allow/IPv4AddressPasses", src: SourceParams{IPAllowlist: []string{"203.0.113.1", "192.0.2.10"}}, hook: okHook, status: 200},
		{name: "Allow/IPv4CIDRPasses", src: SourceParams{IPAllowlist: []string{"192.0.2.0/28"}}, hook: okHook, status: 200},
		{name: "Allow/IPv6AddressPasses", src: SourceParams{IPAllowlist: []string{"2001:db8::10"}}, hook: v6(okHook), status: 200},
		{name: "Allow/IPv6CIDRPasses", src: SourceParams{IPAllowlist: []string{"2001:db8::/64"}}, hook: v6(okHook), status: 200},
		{name: "Allow/IPv4MappedCIDRPasses", src: SourceParams{IPAllowlist: []string{"::ffff:192.0.2.0/120"}}, hook: okHook, status: 200},
		{name: "Allow/IPv4MappedRemotePasses", src: SourceParams{IPAllowlist: []string{"192.0.2.0/24"}}, hook: withRemote(okHook, "[::ffff:192.0.2.10]:443"), status: 200},
		{name: "DenyBeforeAllow", src: SourceParams{IPAllowlist: []string{"192.0.2.0/24"}, IPDenylist: []string{"192.0.2.10"}}, hook: okHook, status: 403, msg: "IP is in deny list"},

		{name: "IPBeforeBodySize", cfg: Config{MaxBodyBytes: 64}, src: SourceParams{IPDenylist: []string{"192.0.2.10"}}, hook: jsonHook(big), status: 403, msg: "IP is in deny list"},
		{name: "BodyTooLarge", cfg: Config{MaxBodyBytes: 64}, hook: jsonHook(big), status: 413, msg: "Body too large: the limit is 64 bytes"},
		{name: "BodyAtLimit", cfg: Config{MaxBodyBytes: 64}, hook: jsonHook(atLimit), status: 200},
		{name: "BodyTooLargeDefault", hook: jsonHook(`{"id":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`), status: 413, msg: "Body too large"},
		{
			name: "BodySizeBeforeSignature", cfg: Config{MaxBodyBytes: 64},
			src:  SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret)},
			hook: jsonHook(big), status: 413, msg: "Body too large",
		},

		{name: "MissingSignature", src: SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret)}, hook: okHook, status: 401, msg: "Signature verification failed"},
		{name: "BadSignature", src: SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret)}, hook: githubHook("wrong", `{"id":"ord_1"}`), status: 401, msg: "Signature verification failed"},
		{name: "GoodSignature", src: SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret)}, hook: githubHook(secret, `{"id":"ord_1"}`), status: 200},
		{
			name: "SignatureBeforeSchema",
			src:  SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret), SchemaValidationEnabled: ptr(true), JSONSchema: schema},
			hook: githubHook("wrong", `{"amount":-1}`), status: 401, msg: "Signature verification failed",
		},

		{name: "SchemaReject", src: SourceParams{SchemaValidationEnabled: ptr(true), JSONSchema: schema}, hook: jsonHook(`{"amount":-1}`), status: 422, msg: "Payload does not match the JSON Schema"},
		{name: "SchemaRejectNotJSON", src: SourceParams{SchemaValidationEnabled: ptr(true), JSONSchema: schema}, hook: webhook{body: []byte("hello")}, status: 422, msg: "Payload does not match the JSON Schema"},
		{name: "SchemaRejectSigned", src: SourceParams{Template: ptr("github"), VerificationSecret: ptr(secret), SchemaValidationEnabled: ptr(true), JSONSchema: schema}, hook: githubHook(secret, `{"amount":-1}`), status: 422, msg: "Payload does not match the JSON Schema"},
		{name: "SchemaPasses", src: SourceParams{SchemaValidationEnabled: ptr(true), JSONSchema: schema}, hook: okHook, status: 200},
		{name: "SchemaWarn", src: SourceParams{SchemaValidationEnabled: ptr(true), JSONSchema: schema, SchemaAction: ptr(SchemaAction("warn"))}, hook: jsonHook(`{"amount":-1}`), status: 200},
		{name: "Success", hook: okHook, status: 200},
	}
	for _, tt := range tests {
		for _, path := range ingestPaths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				r, _ := ingestSetup(t, &tt.cfg)
				src := mustSource(t, r, tt.src)
				conn := mustConnection(t, r, src, mustDestination(t, r, "Billing"), ConnectionParams{})
				id := src.ID
				if tt.unknown {
					id = "src_00000000000000000000000000000000"
				}
				out := path.send(t, r, id, tt.hook)
				if tt.status == http.StatusOK {
					ev := wantAccepted(t, r, out)
					if ds := deliveriesOf(t, r, ev.ID); len(ds) != 1 || ds[0].ConnectionID != conn.ID {
						t.Errorf("deliveries = %v, want one for %s", ds, conn.ID)
					}
					return
				}
				wantRejected(t, out, tt.status, tt.msg)
				if n := eventTotal(t, r); n != 0 {
					t.Errorf("%d events stored after a %d, want none", n, tt.status)
				}
				c, err := r.Store().Counters(context.Background(), []string{src.ID, conn.ID})
				if err != nil {
					t.Fatal(err)
				}
				if c[0].Count != 0 || c[1].Count != 0 {
					t.Errorf("counters advanced after a %d: %+v", tt.status, c)
				}
				if tt.status == http.StatusUnprocessableEntity && len(out.validationErrors) == 0 {
					t.Errorf("422 without validation_errors")
				}
				if tt.status != http.StatusUnprocessableEntity && out.validationErrors != nil {
					t.Errorf("%d with validation_errors %v", tt.status, out.validationErrors)
				}
			})
		}
	}
}

func TestRouter_Ingest_SchemaErrors(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","required":["id"],"properties":{"amount":{"type":"integer","minimum":0}}}`)
	for _, path := range ingestPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			r, _ := ingestSetup(t, nil)
			src := mustSource(t, r, SourceParams{SchemaValidationEnabled: ptr(true), JSONSchema: schema})
			out := path.send(t, r, src.ID, jsonHook(`{"amount":-1}`))
			wantRejected(t, out, 422, "Payload does not match the JSON Schema")
			joined := strings.Join(out.validationErrors, "\n")
			if len(out.validationErrors) != 2 || !strings.Contains(joined, "/amount") || !strings.Contains(joined, "id") {
				t.Errorf("validation_errors = %q, want one for the missing id and one at /amount", out.validationErrors)
			}

			out = path.send(t, r, src.ID, webhook{body: []byte("not json")})
			if !slices.Equal(out.validationErrors, []string{"body is not valid JSON"}) {
				t.Errorf("validation_errors = %q for a non-JSON body", out.validationErrors)
			}
		})
	}
}

func TestRouter_Ingest_SchemaWarn(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","required":["id"]}`)
	for _, path := range ingestPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			r, _ := ingestSetup(t, nil)
			src := mustSource(t, r, SourceParams{
				Template: ptr("github"), VerificationSecret: ptr("s3cret"),
				SchemaValidationEnabled: ptr(true), JSONSchema: schema, SchemaAction: ptr(SchemaAction("warn")),
			})
			mustConnection(t, r, src, mustDestination(t, r, "Billing"), ConnectionParams{})

			ev := wantAccepted(t, r, path.send(t, r, src.ID, githubHook("s3cret", `{"amount":1}`)))
			if ev.VerificationStatus != "schema_invalid" {
				t.Errorf("verification_status = %q, want schema_invalid", ev.VerificationStatus)
			}
			ev = wantAccepted(t, r, path.send(t, r, src.ID, githubHook("s3cret", `{"id":"x"}`)))
			if ev.VerificationStatus != "verified" {
				t.Errorf("verification_status = %q for a valid signed body, want verified", ev.VerificationStatus)
			}
		})
	}
}

// TestRouter_Ingest_Success checks what a 200 leaves in the store: the
// event as received and one pending delivery per matching connection.
func TestRouter_Ingest_Success(t *testing.T) {
	t.Parallel()
	for _, path := range ingestPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			r, clock := ingestSetup(t, nil)
			src := mustSource(t, r, SourceParams{Name: ptr("Shop Orders"), Slug: ptr("shop-orders")})
			billing, audit := mustDestination(t, r, "Billing"), mustDestination(t, r, "Audit")
			c1 := mustConnection(t, r, src, billing, ConnectionParams{})
			c2 := mustConnection(t, r, src, audit, ConnectionParams{})
			clock.Advance(90 * time.Second)

			w := jsonHook(`{"id":"ord_1", "amount": 5}`)
			w.query = "shop=acme&tag=a&tag=b"
			w.header.Set("X-Custom", "yes")
			ev := wantAccepted(t, r, path.send(t, r, src.ID, w))

			now := ingestEpoch.Add(90 * time.Second)
			if ev.SourceID != src.ID || ev.OrgID != DefaultOrgID || ev.EnvID != DefaultEnvID || ev.Method != "POST" ||
				ev.ContentType != "application/json" || ev.SourceIP != "192.0.2.10" || string(ev.Body) != `{"id":"ord_1", "amount": 5}` ||
				ev.VerificationStatus != "unverified" || ev.DedupStatus != "unique" || ev.Status != "processing" ||
				!ev.ReceivedAt.Equal(now) || ev.SourceName != "Shop Orders" || ev.SourceSlug != "shop-orders" {
				t.Errorf("event = %+v", ev)
			}
			if ev.Headers["X-Custom"] != "yes" || ev.QueryParams["shop"] != "acme" || ev.QueryParams["tag"] != "a,b" {
				t.Errorf("headers %v, query %v", ev.Headers, ev.QueryParams)
			}
			ds := deliveriesOf(t, r, ev.ID)
			if len(ds) != 2 {
				t.Fatalf("%d deliveries, want 2", len(ds))
			}
			got := map[string]string{}
			for _, d := range ds {
				got[d.ConnectionID] = d.DestinationID
				if d.State != store.DeliveryPending || d.Held || d.Trigger != store.TriggerInitial || !d.NextAt.Equal(now) ||
					d.EventID != ev.ID || d.Attempts != 0 || !strings.HasPrefix(d.ID, "dlv_") || d.Tenant() != (Tenant{OrgID: ev.OrgID, EnvID: ev.EnvID}) {
					t.Errorf("delivery = %+v", d)
				}
			}
			if got[c1.ID] != billing.ID || got[c2.ID] != audit.ID {
				t.Errorf("deliveries route %v, want %s→%s and %s→%s", got, c1.ID, billing.ID, c2.ID, audit.ID)
			}
		})
	}
}

// TestRouter_Ingest_NilBody: the Go API takes a request made with
// http.NewRequest and no body, as a GET webhook is.
func TestRouter_Ingest_NilBody(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{})
	req, err := http.NewRequest(http.MethodGet, "https://hooks.example.com/v1/ingest/"+src.ID+"?challenge=abc", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Ingest(context.Background(), src.ID, req)
	if err != nil {
		t.Fatalf("Ingest of a request without body: %v", err)
	}
	ev, err := r.GetEvent(context.Background(), res.EventID)
	if err != nil || len(ev.Body) != 0 || ev.Method != "GET" || ev.QueryParams["challenge"] != "abc" {
		t.Errorf("event = %+v, %v", ev, err)
	}
}

func TestRouter_Ingest_Methods(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{})
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		ev := wantAccepted(t, r, ingestViaHTTP(t, r, src.ID, webhook{method: m, body: []byte("x")}))
		if ev.Method != m {
			t.Errorf("method = %q, want %q", ev.Method, m)
		}
	}
	for _, m := range []string{"HEAD", "OPTIONS", "TRACE"} {
		rec := httptest.NewRecorder()
		r.Handler().ServeHTTP(rec, webhook{method: m}.request(src.ID))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
			t.Errorf("%s: status %d, Allow %q; want 405 with Allow", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if n := eventTotal(t, r); n != 5 {
		t.Errorf("%d events, want 5", n)
	}
}

// TestRouter_Ingest_Routing: source and connection states, and filters,
// decide which deliveries an event gets.
func TestRouter_Ingest_Routing(t *testing.T) {
	t.Parallel()
	type conn struct {
		params ConnectionParams
		// want: "" no delivery, "due" or "held".
		want string
	}
	rules := func(rs ...FilterRule) FilterRules { return rs }
	tests := []struct {
		name       string
		source     SourceParams
		conns      []conn
		hook       webhook
		wantStatus string
	}{
		{
			name: "ActiveConnections", hook: jsonHook(`{"type":"order.created"}`), wantStatus: "processing",
			conns: []conn{{want: "due"}, {want: "due"}},
		},
		{
			name: "PausedSourceStoresOnly", source: SourceParams{Status: ptr(StatusPaused)}, hook: jsonHook(`{"type":"order.created"}`), wantStatus: "received",
			conns: []conn{{want: ""}, {params: ConnectionParams{Status: ptr(StatusPaused)}, want: ""}},
		},
		{
			name: "PausedConnectionHolds", hook: jsonHook(`{"type":"order.created"}`), wantStatus: "processing",
			conns: []conn{{params: ConnectionParams{Status: ptr(StatusPaused)}, want: "held"}, {want: "due"}},
		},
		{
			name: "DisabledConnectionsSkipped", hook: jsonHook(`{"type":"order.created"}`), wantStatus: "received",
			conns: []conn{
				{params: ConnectionParams{Status: ptr(StatusDisabled)}, want: ""},
				{params: ConnectionParams{Enabled: ptr(false)}, want: ""},
				{params: ConnectionParams{Enabled: ptr(false), Status: ptr(StatusPaused)}, want: ""},
			},
		},
		{
			name: "FiltersDecide", hook: func() webhook {
				w := jsonHook(`{"type":"order.created","amount":250,"items":[{"sku":"A-1"}]}`)
				w.header.Set("X-Env", "prod")
				return w
			}(), wantStatus: "processing",
			conns: []conn{
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.type", Op: "eq", Value: "order.created"})}, want: "due"},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.type", Op: "eq", Value: "order.deleted"})}, want: ""},
				{params: ConnectionParams{FilterRules: rules(
					FilterRule{Field: "headers.x-env", Op: "eq", Value: "prod"},
					FilterRule{Field: "payload.amount", Op: "gte", Value: 100},
					FilterRule{Field: "payload.items.0.sku", Op: "in", Value: []any{"A-1", "B-2"}},
				)}, want: "due"},
				{params: ConnectionParams{FilterRules: rules(
					FilterRule{Field: "headers.x-env", Op: "eq", Value: "prod"},
					FilterRule{Field: "payload.amount", Op: "gt", Value: 1000},
				)}, want: ""},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.amount", Op: "eq", Value: "250"})}, want: ""},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "method", Op: "eq", Value: "POST"}), Status: ptr(StatusPaused)}, want: "held"},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "source_ip", Op: "eq", Value: "192.0.2.10"})}, want: "due"},
			},
		},
		{
			name: "NothingMatches", hook: jsonHook(`{"type":"other"}`), wantStatus: "received",
			conns: []conn{{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.type", Op: "eq", Value: "order.created"})}, want: ""}},
		},
		{
			name: "FormBodyFilters", wantStatus: "processing",
			hook: webhook{body: []byte("Digits=1234&From=%2B14158675309"), header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
			conns: []conn{
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.Digits", Op: "eq", Value: "1234"})}, want: "due"},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.From", Op: "eq", Value: "+14158675309"})}, want: "due"},
				{params: ConnectionParams{FilterRules: rules(FilterRule{Field: "payload.Digits", Op: "eq", Value: 1234})}, want: ""},
			},
		},
	}
	for _, tt := range tests {
		for _, path := range ingestPaths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				r, _ := ingestSetup(t, nil)
				src := mustSource(t, r, tt.source)
				want := map[string]string{}
				for i, c := range tt.conns {
					dst := mustDestination(t, r, fmt.Sprintf("D%d", i))
					c.params.Name = ptr(fmt.Sprintf("c%d", i))
					want[mustConnection(t, r, src, dst, c.params).ID] = c.want
				}
				ev := wantAccepted(t, r, path.send(t, r, src.ID, tt.hook))
				got := map[string]string{}
				for id := range want {
					got[id] = ""
				}
				for _, d := range deliveriesOf(t, r, ev.ID) {
					if got[d.ConnectionID] != "" {
						t.Errorf("two deliveries for %s", d.ConnectionID)
					}
					got[d.ConnectionID] = "due"
					if d.Held {
						got[d.ConnectionID] = "held"
					}
				}
				for id, w := range want {
					if got[id] != w {
						t.Errorf("connection %s: delivery %q, want %q", id, got[id], w)
					}
				}
				if string(ev.Status) != tt.wantStatus {
					t.Errorf("event status %q, want %q", ev.Status, tt.wantStatus)
				}
				due, _, err := r.Store().DueDestinations(context.Background(), ingestEpoch)
				if err != nil {
					t.Fatal(err)
				}
				wantDue := 0
				for _, w := range want {
					if w == "due" {
						wantDue++
					}
				}
				if len(due) != wantDue {
					t.Errorf("%d destinations due, want %d (held deliveries must wait)", len(due), wantDue)
				}
			})
		}
	}
}

// TestRouter_Ingest_ClientIP: the client address is the peer's unless the
// peer is a trusted proxy, and a spoofed X-Forwarded-For is ignored.
func TestRouter_Ingest_ClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{name: "Peer", remote: "203.0.113.9:5000", want: "203.0.113.9"},
		{name: "PeerIPv6", remote: "[2001:db8::9]:5000", want: "2001:db8::9"},
		{name: "PeerIPv4Mapped", remote: "[::ffff:203.0.113.9]:5000", want: "203.0.113.9"},
		{name: "SpoofedWithoutProxies", remote: "203.0.113.9:5000", xff: []string{"10.0.0.1"}, want: "203.0.113.9"},
		{name: "SpoofedFromUntrustedPeer", trusted: []string{"10.0.0.0/8"}, remote: "203.0.113.9:5000", xff: []string{"10.0.0.1"}, want: "203.0.113.9"},
		{name: "TrustedProxy", trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5000", xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "TrustedProxyIPv6", trusted: []string{"fd00::/8"}, remote: "[fd00::1]:5000", xff: []string{"2001:db8::7"}, want: "2001:db8::7"},
		{name: "TrustedProxySingleAddress", trusted: []string{"10.1.2.3"}, remote: "10.1.2.3:5000", xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "ClientSpoofsBehindProxy", trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5000", xff: []string{"10.9.9.9, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "ProxyChain", trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5000", xff: []string{"1.1.1.1, 198.51.100.7", "10.4.4.4"}, want: "198.51.100.7"},
		{name: "ProxyWithoutHeader", trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5000", want: "10.1.2.3"},
		{name: "GarbageHop", trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5000", xff: []string{"unknown"}, want: "10.1.2.3"},
	}
	for _, tt := range tests {
		for _, path := range ingestPaths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				r, _ := ingestSetup(t, &Config{TrustedProxies: tt.trusted})
				open := mustSource(t, r, SourceParams{Name: ptr("open")})
				denied := mustSource(t, r, SourceParams{Name: ptr("denied"), IPDenylist: []string{tt.want}})
				allowed := mustSource(t, r, SourceParams{Name: ptr("allowed"), IPAllowlist: []string{tt.want}})
				w := webhook{remote: tt.remote, body: []byte("{}"), header: http.Header{}}
				for _, v := range tt.xff {
					w.header.Add("X-Forwarded-For", v)
				}
				ev := wantAccepted(t, r, path.send(t, r, open.ID, w))
				if ev.SourceIP != tt.want {
					t.Errorf("source_ip = %q, want %q", ev.SourceIP, tt.want)
				}
				wantRejected(t, path.send(t, r, denied.ID, w), 403, "IP is in deny list")
				wantAccepted(t, r, path.send(t, r, allowed.ID, w))
			})
		}
	}
}

// signedProvider signs requests exactly as one provider does.
type signedProvider struct {
	name     string
	params   SourceParams
	secret   string
	signedAt bool // the signature covers a timestamp
	// sign returns the request for body, signed with secret at ts, sent to
	// the source.
	sign func(sourceID, secret string, body []byte, ts time.Time) webhook
	body string // contains "1000", which the tamper test changes
}

const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func standardKey(t *testing.T) []byte {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(standardSecret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signedProviders(t *testing.T) []signedProvider {
	unix := func(ts time.Time) string { return strconv.FormatInt(ts.Unix(), 10) }
	standard := func(prefix string) func(_, secret string, body []byte, ts time.Time) webhook {
		return func(_, secret string, body []byte, ts time.Time) webhook {
			key := standardKey(t)
			if secret != standardSecret {
				key = []byte(secret)
			}
			w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
			w.header.Set(prefix+"-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
			w.header.Set(prefix+"-timestamp", unix(ts))
			w.header.Set(prefix+"-signature", "v1,"+hmacBase64(sha256.New, key, "msg_p5jXN8AQM9LWM0D4loKWxJek", ".", unix(ts), ".", string(body)))
			return w
		}
	}
	return []signedProvider{
		{
			name: "Stripe", params: SourceParams{Template: ptr("stripe")}, secret: "whsec_stripe_test_secret", signedAt: true,
			body: `{"id":"evt_1","type":"charge.succeeded","data":{"amount":1000}}`,
			sign: func(_, secret string, body []byte, ts time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}
				w.header.Set("Stripe-Signature", "t="+unix(ts)+",v1="+hmacHex(sha256.New, secret, unix(ts), ".", string(body))+",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39")
				return w
			},
		},
		{
			name: "GitHub", params: SourceParams{Template: ptr("github")}, secret: "It's a Secret to Everybody",
			body: `{"action":"opened","number":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-GitHub-Event", "pull_request")
				w.header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
				w.header.Set("X-Hub-Signature", "sha1="+hmacHex(sha1.New, secret, string(body)))
				w.header.Set("X-Hub-Signature-256", "sha256="+hmacHex(sha256.New, secret, string(body)))
				return w
			},
		},
		{
			name: "Slack", params: SourceParams{Template: ptr("slack")}, secret: "8f742231b10e8888abcd99yyyzzz85a5", signedAt: true,
			body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fwebhook-collect&text=1000",
			sign: func(_, secret string, body []byte, ts time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
				w.header.Set("X-Slack-Request-Timestamp", unix(ts))
				w.header.Set("X-Slack-Signature", "v0="+hmacHex(sha256.New, secret, "v0:", unix(ts), ":", string(body)))
				return w
			},
		},
		{
			name: "Shopify", params: SourceParams{Template: ptr("shopify")}, secret: "shpss_0123456789abcdef",
			body: `{"id":820982911946154508,"total_price":"1000.00"}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Shopify-Topic", "orders/create")
				w.header.Set("X-Shopify-Hmac-Sha256", hmacBase64(sha256.New, []byte(secret), string(body)))
				return w
			},
		},
		{
			name: "StandardWebhooks", params: SourceParams{Template: ptr("standard_webhooks")}, secret: standardSecret, signedAt: true,
			body: `{"type":"invoice.paid","amount":1000}`, sign: standard("webhook"),
		},
		{
			name: "StandardWebhooksScheme", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("standard-webhooks"))}, secret: standardSecret, signedAt: true,
			body: `{"type":"invoice.paid","amount":1000}`, sign: standard("webhook"),
		},
		{
			name: "Svix", params: SourceParams{Template: ptr("svix")}, secret: standardSecret, signedAt: true,
			body: `{"type":"user.created","amount":1000}`, sign: standard("svix"),
		},
		{
			name: "SvixHeadersOnStandardWebhooks", params: SourceParams{Template: ptr("standard_webhooks")}, secret: standardSecret, signedAt: true,
			body: `{"type":"email.sent","amount":1000}`, sign: standard("svix"),
		},
		{
			name: "Twilio", params: SourceParams{Template: ptr("twilio")}, secret: "12345",
			body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1000&From=%2B14158675309&To=%2B18005551212",
			sign: func(sourceID, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, https: true, query: "foo=1&bar=2", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
				// Twilio: the full URL it called, then each POST parameter's
				// name and value, sorted by name.
				form, err := url.ParseQuery(string(body))
				if err != nil {
					t.Fatal(err)
				}
				names := make([]string, 0, len(form))
				for k := range form {
					names = append(names, k)
				}
				sort.Strings(names)
				signed := "https://hooks.example.com/v1/ingest/" + sourceID + "?foo=1&bar=2"
				for _, k := range names {
					signed += k + form.Get(k)
				}
				w.header.Set("X-Twilio-Signature", hmacBase64(sha1.New, []byte(secret), signed))
				return w
			},
		},
		{
			name: "Paddle", params: SourceParams{Template: ptr("paddle")}, secret: "pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr", signedAt: true,
			body: `{"event_type":"price.created","data":{"unit_price":{"amount":"1000"}}}`,
			sign: func(_, secret string, body []byte, ts time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("Paddle-Signature", "ts="+unix(ts)+";h1="+hmacHex(sha256.New, secret, unix(ts), ":", string(body)))
				return w
			},
		},
		{
			name: "Intercom", params: SourceParams{Template: ptr("intercom")}, secret: "intercom-client-secret",
			body: `{"type":"notification_event","data":{"item":{"id":1000}}}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Hub-Signature", "sha1="+hmacHex(sha1.New, secret, string(body)))
				return w
			},
		},
		{
			name: "Resend", params: SourceParams{Template: ptr("resend")}, secret: standardSecret, signedAt: true,
			body: `{"type":"email.delivered","amount":1000}`, sign: standard("svix"),
		},
		{
			name: "Clerk", params: SourceParams{Template: ptr("clerk")}, secret: standardSecret, signedAt: true,
			body: `{"type":"user.created","amount":1000}`, sign: standard("svix"),
		},
		{
			name: "HMACSHA256HexDefaultHeader", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("hmac_sha256"))}, secret: "generic-secret",
			body: `{"amount":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-hookstream-Signature", hmacHex(sha256.New, secret, string(body)))
				return w
			},
		},
		{
			name: "HMACSHA256Base64", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("hmac-sha256")), VerificationHeader: ptr("X-Signature")}, secret: "generic-secret",
			body: `{"amount":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Signature", hmacBase64(sha256.New, []byte(secret), string(body)))
				return w
			},
		},
		{
			name: "HMACSHA256Prefixed", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("hmac_sha256")), VerificationHeader: ptr("x-signature")}, secret: "generic-secret",
			body: `{"amount":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Signature", "sha256="+hmacHex(sha256.New, secret, string(body)))
				return w
			},
		},
		{
			name: "HMACSHA1Prefixed", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("hmac_sha1")), VerificationHeader: ptr("X-Signature")}, secret: "generic-secret",
			body: `{"amount":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Signature", "sha1="+hmacHex(sha1.New, secret, string(body)))
				return w
			},
		},
		{
			name: "HMACSHA1Base64", params: SourceParams{VerificationEnabled: ptr(true), VerificationType: ptr(VerificationType("hmac_sha1")), VerificationHeader: ptr("X-Signature")}, secret: "generic-secret",
			body: `{"amount":1000}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("X-Signature", hmacBase64(sha1.New, []byte(secret), string(body)))
				return w
			},
		},
		{
			name: "Typeform", params: SourceParams{Template: ptr("typeform")}, secret: "typeform-secret",
			body: `{"event_id":"01H","form_response":{"answers":[{"number":1000}]}}`,
			sign: func(_, secret string, body []byte, _ time.Time) webhook {
				w := webhook{body: body, header: http.Header{"Content-Type": {"application/json"}}}
				w.header.Set("Typeform-Signature", "sha256="+hmacBase64(sha256.New, []byte(secret), string(body)))
				return w
			},
		},
	}
}

// TestRouter_Ingest_Signatures: requests signed exactly as each provider
// signs them are accepted; the same request with one body byte changed, a
// stale timestamp or the wrong secret is a 401 that stores nothing.
func TestRouter_Ingest_Signatures(t *testing.T) {
	t.Parallel()
	for _, p := range signedProviders(t) {
		for _, path := range ingestPaths {
			t.Run(p.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				r, clock := ingestSetup(t, nil)
				params := p.params
				params.VerificationSecret = ptr(p.secret)
				src := mustSource(t, r, params)
				body := []byte(p.body)
				now := clock.Now()

				ev := wantAccepted(t, r, path.send(t, r, src.ID, p.sign(src.ID, p.secret, body, now)))
				if ev.VerificationStatus != "verified" || !bytes.Equal(ev.Body, body) {
					t.Errorf("event verification_status %q body %q, want verified and the raw body", ev.VerificationStatus, ev.Body)
				}
				if p.signedAt {
					// A timestamp 4 minutes old or ahead is inside the tolerance.
					wantAccepted(t, r, path.send(t, r, src.ID, p.sign(src.ID, p.secret, body, now.Add(-4*time.Minute))))
					wantAccepted(t, r, path.send(t, r, src.ID, p.sign(src.ID, p.secret, body, now.Add(4*time.Minute))))
				}
				total := eventTotal(t, r)

				tampered := p.sign(src.ID, p.secret, body, now)
				if !bytes.Contains(body, []byte("1000")) {
					t.Fatalf("body %q lacks the byte to tamper with", body)
				}
				tampered.body = bytes.Replace(body, []byte("1000"), []byte("1001"), 1)
				rejected := map[string]webhook{
					"BodyByteChanged": tampered,
					"WrongSecret":     p.sign(src.ID, p.secret+"x", body, now),
					"NoSignature":     {body: body, header: http.Header{"Content-Type": {"application/json"}}},
				}
				if p.signedAt {
					rejected["Stale6Minutes"] = p.sign(src.ID, p.secret, body, now.Add(-6*time.Minute))
					rejected["Future6Minutes"] = p.sign(src.ID, p.secret, body, now.Add(6*time.Minute))
				}
				for name, w := range rejected {
					out := path.send(t, r, src.ID, w)
					if out.status != http.StatusUnauthorized || !strings.HasPrefix(out.msg, "Signature verification failed") {
						t.Errorf("%s: %d %q, want 401", name, out.status, out.msg)
					}
				}
				if got := eventTotal(t, r); got != total {
					t.Errorf("%d events after the rejected requests, want %d", got, total)
				}
			})
		}
	}
}

// TestRouter_Ingest_TwilioPlainHTTP: Twilio signs the URL it called; on a
// plain-HTTP listener the URL is rebuilt from Host.
func TestRouter_Ingest_TwilioPlainHTTP(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{Template: ptr("twilio"), VerificationSecret: ptr("12345")})
	body := "Digits=1234&From=%2B14158675309"
	w := webhook{body: []byte(body), header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
	w.header.Set("X-Twilio-Signature", hmacBase64(sha1.New, []byte("12345"), "http://hooks.example.com/v1/ingest/"+src.ID+"Digits1234From+14158675309"))
	wantAccepted(t, r, ingestViaHTTP(t, r, src.ID, w))
}

// TestRouter_Ingest_TwilioBehindProxy: mounted under a prefix with
// http.StripPrefix behind a TLS-terminating proxy, as the README describes,
// the URL Twilio signed is the source's ingest_url (Config.BaseURL), not
// the rewritten request URL.
func TestRouter_Ingest_TwilioBehindProxy(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, &Config{BaseURL: "https://hooks.example.com/api", TrustedProxies: []string{"10.0.0.0/8"}})
	src := mustSource(t, r, SourceParams{Template: ptr("twilio"), VerificationSecret: ptr("12345")})
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", r.Handler()))
	send := func(signedURL string) int {
		body := "Digits=1234&From=%2B14158675309"
		req := httptest.NewRequest("POST", "/api/v1/ingest/"+src.ID+"?foo=1", strings.NewReader(body))
		req.Host = "hooks.example.com"
		req.RemoteAddr = "10.0.0.2:5000"
		req.Header.Set("X-Forwarded-For", "54.172.60.1")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", hmacBase64(sha1.New, []byte("12345"), signedURL+"Digits1234From+14158675309"))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	ingestURL := "https://hooks.example.com/api/v1/ingest/" + src.ID
	if code := send(ingestURL + "?foo=1"); code != http.StatusOK {
		t.Errorf("signed over the ingest_url: status %d, want 200", code)
	}
	if code := send(ingestURL + "?foo=2"); code != http.StatusUnauthorized {
		t.Errorf("signed over another URL: status %d, want 401", code)
	}
	if code := send("https://evil.example.com/api/v1/ingest/" + src.ID + "?foo=1"); code != http.StatusUnauthorized {
		t.Errorf("signed over another host: status %d, want 401", code)
	}
}

// dedupCase is one dedup strategy and how to make a request with a key.
type dedupCase struct {
	strategy, field string
	hook            func(key string, n int) webhook
}

var dedupCases = []dedupCase{
	{strategy: "payload_hash", hook: func(key string, _ int) webhook { return jsonHook(`{"order":"` + key + `"}`) }},
	{strategy: "header_field", field: "Idempotency-Key", hook: func(key string, n int) webhook {
		w := jsonHook(fmt.Sprintf(`{"n":%d}`, n)) // the body differs every time
		if key != "" {
			w.header.Set("idempotency-key", key)
		}
		return w
	}},
	{strategy: "body_field", field: "data.id", hook: func(key string, n int) webhook {
		if key == "" {
			return jsonHook(fmt.Sprintf(`{"data":{},"n":%d}`, n))
		}
		return jsonHook(fmt.Sprintf(`{"data":{"id":%q},"n":%d}`, key, n))
	}},
}

// TestRouter_Ingest_Dedup: a repeat inside the window is stored as a
// duplicate, answered 200 and not delivered; after the window it is unique.
func TestRouter_Ingest_Dedup(t *testing.T) {
	t.Parallel()
	for _, dc := range dedupCases {
		for _, path := range ingestPaths {
			t.Run(dc.strategy+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				r, clock := ingestSetup(t, nil)
				src := mustSource(t, r, SourceParams{
					DedupEnabled: ptr(true), DedupStrategy: ptr(DedupStrategy(dc.strategy)), DedupField: ptr(dc.field), DedupWindowSeconds: ptr(60),
				})
				conn := mustConnection(t, r, src, mustDestination(t, r, "Billing"), ConnectionParams{})
				n := 0
				send := func(key, want string) *Event {
					t.Helper()
					n++
					ev := wantAccepted(t, r, path.send(t, r, src.ID, dc.hook(key, n)))
					ds := deliveriesOf(t, r, ev.ID)
					if string(ev.DedupStatus) != want {
						t.Errorf("send %d (key %q at +%v): dedup_status %q, want %q", n, key, clock.Now().Sub(ingestEpoch), ev.DedupStatus, want)
					}
					switch want {
					case "duplicate":
						if len(ds) != 0 || ev.Status != "received" || ev.DedupHash == "" {
							t.Errorf("duplicate: %d deliveries, status %q, hash %q; want none, received, a hash", len(ds), ev.Status, ev.DedupHash)
						}
					case "unique":
						if len(ds) != 1 || ev.Status != "processing" {
							t.Errorf("unique: %d deliveries, status %q; want 1, processing", len(ds), ev.Status)
						}
					}
					return ev
				}
				first := send("A", "unique")
				if dc.strategy == "payload_hash" {
					sum := sha256.Sum256(first.Body)
					if first.DedupHash != hex.EncodeToString(sum[:]) {
						t.Errorf("dedup_hash = %q, want the SHA-256 of the body", first.DedupHash)
					}
				}
				clock.Advance(30 * time.Second)
				dup := send("A", "duplicate")
				if dup.DedupHash != first.DedupHash {
					t.Errorf("duplicate's dedup_hash %q, want %q", dup.DedupHash, first.DedupHash)
				}
				send("B", "unique")
				clock.Advance(29 * time.Second) // +59s: still inside
				send("A", "duplicate")
				clock.Advance(2 * time.Second) // +61s: the window is over
				send("A", "unique")
				clock.Advance(30 * time.Second) // the new window runs from +61s
				send("A", "duplicate")
				send("B", "unique")
				if dc.strategy != "payload_hash" {
					// No value to dedup on: not deduplicated.
					send("", "unique")
					send("", "unique")
				}
				c, err := r.GetConnection(context.Background(), conn.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantDelivered := 4
				if dc.strategy != "payload_hash" {
					wantDelivered = 6
				}
				if c.EventCount != int64(wantDelivered) {
					t.Errorf("connection event_count %d, want %d (duplicates are not routed)", c.EventCount, wantDelivered)
				}
				page, err := r.ListEvents(context.Background(), ListEventsParams{DedupStatus: "duplicate"})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 3 {
					t.Errorf("%d duplicates listed, want 3", page.Total)
				}
			})
		}
	}
}

// TestRouter_Ingest_DedupNoValue: an event with no value to dedup on (a
// missing or null field, a missing header) is not deduplicated.
func TestRouter_Ingest_DedupNoValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		strategy, field string
		hook            webhook
	}{
		{"body_field", "data.id", jsonHook(`{"data":{"id":null}}`)},
		{"body_field", "data.id", jsonHook(`{"data":{}}`)},
		{"body_field", "data.id", webhook{body: []byte("data.id=1")}},
		{"header_field", "Idempotency-Key", jsonHook(`{}`)},
	}
	for _, tt := range tests {
		r, _ := ingestSetup(t, nil)
		src := mustSource(t, r, SourceParams{DedupEnabled: ptr(true), DedupStrategy: ptr(DedupStrategy(tt.strategy)), DedupField: ptr(tt.field)})
		for i := range 2 {
			if ev := wantAccepted(t, r, ingestViaAPI(t, r, src.ID, tt.hook)); ev.DedupStatus != "unique" || ev.DedupHash != "" {
				t.Errorf("%s %q, send %d: dedup_status %q hash %q, want unique without hash", tt.strategy, tt.hook.body, i, ev.DedupStatus, ev.DedupHash)
			}
		}
	}
}

// TestRouter_Ingest_DedupPerSource: sources do not share dedup keys.
func TestRouter_Ingest_DedupPerSource(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	a := mustSource(t, r, SourceParams{Name: ptr("a"), DedupEnabled: ptr(true)})
	b := mustSource(t, r, SourceParams{Name: ptr("b"), DedupEnabled: ptr(true)})
	for _, id := range []string{a.ID, b.ID} {
		if ev := wantAccepted(t, r, ingestViaAPI(t, r, id, jsonHook(`{"x":1}`))); ev.DedupStatus != "unique" {
			t.Errorf("source %s: %s, want unique", id, ev.DedupStatus)
		}
	}
}

// TestRouter_Ingest_DedupSurvivesRestart: dedup keys are on disk with the
// events, so a restart does not forget them.
func TestRouter_Ingest_DedupSurvivesRestart(t *testing.T) {
	t.Parallel()
	for _, dc := range dedupCases {
		t.Run(dc.strategy, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "hookstream.db")
			clock := newIngestClock()
			open := func() *Router {
				t.Helper()
				r, err := Open(path, &Config{Now: clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			r := open()
			src := mustSource(t, r, SourceParams{DedupEnabled: ptr(true), DedupStrategy: ptr(DedupStrategy(dc.strategy)), DedupField: ptr(dc.field), DedupWindowSeconds: ptr(60)})
			mustConnection(t, r, src, mustDestination(t, r, "Billing"), ConnectionParams{})
			first := wantAccepted(t, r, ingestViaHTTP(t, r, src.ID, dc.hook("A", 1)))
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}

			clock.Advance(30 * time.Second)
			r = open()
			defer r.Close()
			if _, err := r.GetEvent(context.Background(), first.ID); err != nil {
				t.Errorf("event before the restart: %v", err)
			}
			if ev := wantAccepted(t, r, ingestViaHTTP(t, r, src.ID, dc.hook("A", 2))); ev.DedupStatus != "duplicate" || len(deliveriesOf(t, r, ev.ID)) != 0 {
				t.Errorf("after restart: dedup_status %q, want duplicate with no deliveries", ev.DedupStatus)
			}
			clock.Advance(31 * time.Second)
			if ev := wantAccepted(t, r, ingestViaAPI(t, r, src.ID, dc.hook("A", 3))); ev.DedupStatus != "unique" || len(deliveriesOf(t, r, ev.ID)) != 1 {
				t.Errorf("after the window: dedup_status %q, want unique with a delivery", ev.DedupStatus)
			}
		})
	}
}

// TestHandler_GetEvent_Payload reads events back through GET
// /v1/events/{id}.
func TestHandler_GetEvent_Payload(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{Name: ptr("Shop"), Slug: ptr("shop")})
	tests := []struct {
		name        string
		contentType string
		body        []byte
		payload     any
		encoding    any
	}{
		{name: "JSONObject", contentType: "application/json", body: []byte("{\n  \"a\": [1, 2.5, \"x\"],\n  \"b\": null\n}"), payload: map[string]any{"a": []any{1.0, 2.5, "x"}, "b": nil}},
		{name: "JSONArray", contentType: "application/json", body: []byte(`[{"id":1}]`), payload: []any{map[string]any{"id": 1.0}}},
		{name: "JSONWithoutContentType", body: []byte(`{"id":1}`), payload: map[string]any{"id": 1.0}},
		{name: "Text", contentType: "text/plain", body: []byte("hello, wörld"), payload: "hello, wörld"},
		{name: "Form", contentType: "application/x-www-form-urlencoded", body: []byte("a=1&b=two"), payload: "a=1&b=two"},
		{name: "XML", contentType: "application/xml", body: []byte("<a>1</a>"), payload: "<a>1</a>"},
		{name: "Binary", contentType: "application/octet-stream", body: []byte{0xff, 0x00, 0xfe, 'a'}, payload: base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0xfe, 'a'}), encoding: "base64"},
		{name: "JSONWithInvalidUTF8", contentType: "application/json", body: []byte("{\"a\":\"\xff\xfe\"}"), payload: base64.StdEncoding.EncodeToString([]byte("{\"a\":\"\xff\xfe\"}")), encoding: "base64"},
		{name: "Empty", body: nil, payload: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := webhook{method: "PUT", body: tt.body, query: "shop=acme&x=1&x=2", header: http.Header{"X-Custom": {"yes"}}}
			if tt.contentType != "" {
				w.header.Set("Content-Type", tt.contentType)
			}
			out := ingestViaHTTP(t, r, src.ID, w)
			wantAccepted(t, r, out)
			ev := mustCall(t, r, "GET", "/v1/events/"+out.eventID, nil, 200)["event"].(map[string]any)
			if !jsonEqual(ev["payload"], tt.payload) {
				t.Errorf("payload = %#v, want %#v", ev["payload"], tt.payload)
			}
			if ev["payload_encoding"] != tt.encoding {
				t.Errorf("payload_encoding = %v, want %v", ev["payload_encoding"], tt.encoding)
			}
			if ev["payload_size"] != float64(len(tt.body)) {
				t.Errorf("payload_size = %v, want %d", ev["payload_size"], len(tt.body))
			}
			var headers, query map[string]string
			if err := json.Unmarshal([]byte(ev["headers"].(string)), &headers); err != nil || headers["X-Custom"] != "yes" {
				t.Errorf("headers = %v (%v), want a JSON-encoded object with X-Custom", ev["headers"], err)
			}
			if err := json.Unmarshal([]byte(ev["query_params"].(string)), &query); err != nil || query["shop"] != "acme" || query["x"] != "1,2" {
				t.Errorf("query_params = %v (%v)", ev["query_params"], err)
			}
			want := map[string]any{
				"id": out.eventID, "source_id": src.ID, "org_id": DefaultOrgID, "env_id": DefaultEnvID, "method": "PUT",
				"source_ip": "192.0.2.10", "verification_status": "unverified", "verification_error": nil,
				"dedup_status": "unique", "dedup_hash": nil, "status": "received", "received_at": "2026-03-01T14:30:00.000Z",
				"topic": nil, "source_name": "Shop", "source_slug": "shop",
			}
			if tt.contentType != "" {
				want["content_type"] = tt.contentType
			} else {
				want["content_type"] = nil
			}
			for k, v := range want {
				if ev[k] != v {
					t.Errorf("%s = %#v, want %#v", k, ev[k], v)
				}
			}
			for _, k := range []string{"id", "source_id", "org_id", "env_id", "method", "headers", "query_params", "content_type",
				"source_ip", "payload", "payload_size", "verification_status", "verification_error", "dedup_status",
				"dedup_hash", "status", "received_at", "topic", "source_name", "source_slug"} {
				if _, ok := ev[k]; !ok {
					t.Errorf("field %q missing", k)
				}
			}
		})
	}
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		checkError(t, call(t, r, "GET", "/v1/events/evt_00000000000000000000000000000000", testKey, nil), 404, "Event not found")
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestHandler_ListEvents_Filters checks every filter of GET /v1/events and
// its pagination.
func TestHandler_ListEvents_Filters(t *testing.T) {
	t.Parallel()
	t.Run("Memory", func(t *testing.T) {
		t.Parallel()
		r, clock := ingestSetup(t, nil)
		testListEventsFilters(t, r, clock)
	})
	t.Run("Bolt", func(t *testing.T) {
		t.Parallel()
		r, clock := ingestSetupBolt(t, filepath.Join(t.TempDir(), "hookstream.db"), nil)
		testListEventsFilters(t, r, clock)
	})
}

// ingestSetupBolt is ingestSetup on a bbolt file.
func ingestSetupBolt(t testing.TB, path string, cfg *Config) (*Router, *ingestClock) {
	t.Helper()
	clock := newIngestClock()
	var c Config
	if cfg != nil {
		c = *cfg
	}
	c.Now = clock.Now
	r, err := Open(path, &c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := r.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
		t.Fatal(err)
	}
	return r, clock
}

func testListEventsFilters(t *testing.T, r *Router, clock *ingestClock) {
	orders := mustSource(t, r, SourceParams{Name: ptr("Orders")})
	mustConnection(t, r, orders, mustDestination(t, r, "Billing"), ConnectionParams{})
	gh := mustSource(t, r, SourceParams{Name: ptr("GitHub"), Template: ptr("github"), VerificationSecret: ptr("s"), DedupEnabled: ptr(true)})
	warn := mustSource(t, r, SourceParams{Name: ptr("Warn"), SchemaValidationEnabled: ptr(true), JSONSchema: json.RawMessage(`{"required":["id"]}`), SchemaAction: ptr(SchemaAction("warn"))})

	send := func(src *Source, w webhook) string {
		t.Helper()
		id := wantAccepted(t, r, ingestViaHTTP(t, r, src.ID, w)).ID
		clock.Advance(time.Minute)
		return id
	}
	e1 := send(orders, jsonHook(`{"kind":"alpha needle"}`))          // +0m processing unverified unique POST
	e2 := send(orders, webhook{method: "PUT", body: []byte("beta")}) // +1m processing unverified PUT
	e3 := send(gh, githubHook("s", `{"kind":"gamma"}`))              // +2m received verified unique
	e4 := send(gh, githubHook("s", `{"kind":"gamma"}`))              // +3m received verified duplicate
	e5 := send(warn, jsonHook(`{"kind":"needle"}`))                  // +4m received schema_invalid
	at := func(m int) string { return ingestEpoch.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{e5, e4, e3, e2, e1}},
		{"source_id=" + orders.ID, []string{e2, e1}},
		{"source_id=" + gh.ID, []string{e4, e3}},
		{"status=processing", []string{e2, e1}},
		{"status=received", []string{e5, e4, e3}},
		{"dedup_status=duplicate", []string{e4}},
		{"dedup_status=unique", []string{e5, e3, e2, e1}},
		{"verification_status=verified", []string{e4, e3}},
		{"verification_status=schema_invalid", []string{e5}},
		{"verification_status=unverified", []string{e2, e1}},
		{"method=PUT", []string{e2}},
		{"method=POST", []string{e5, e4, e3, e1}},
		{"search=needle", []string{e5, e1}},
		{"search=needle&source_id=" + orders.ID, []string{e1}},
		{"after=" + at(1), []string{e5, e4, e3}},
		{"before=" + at(1), []string{e1}},
		{"after=" + at(0) + "&before=" + at(3), []string{e3, e2}},
		{"after=" + at(4), nil},
		{"status=received&verification_status=verified&dedup_status=unique", []string{e3}},
	}
	for _, tt := range tests {
		body := mustCall(t, r, "GET", "/v1/events?"+tt.query, nil, 200)
		var got []string
		for _, e := range body["events"].([]any) {
			ev := e.(map[string]any)
			got = append(got, ev["id"].(string))
			for _, k := range []string{"headers", "payload", "query_params"} {
				if _, ok := ev[k]; ok {
					t.Errorf("%s: listed event has %q", tt.query, k)
				}
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("GET /v1/events?%s = %v, want %v", tt.query, got, tt.want)
		}
		pg := body["pagination"].(map[string]any)
		if pg["total"] != float64(len(tt.want)) || pg["limit"] != 50.0 || pg["has_more"] != false || pg["next_cursor"] != nil {
			t.Errorf("%s: pagination = %v, want total %d, limit 50, no more", tt.query, pg, len(tt.want))
		}
	}

	t.Run("Pagination", func(t *testing.T) {
		t.Parallel()
		var got []string
		cursor := ""
		for page := 0; page < 3; page++ {
			q := "/v1/events?limit=2"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			body := mustCall(t, r, "GET", q, nil, 200)
			for _, e := range body["events"].([]any) {
				got = append(got, e.(map[string]any)["id"].(string))
			}
			pg := body["pagination"].(map[string]any)
			last := page == 2
			if pg["total"] != 5.0 || pg["limit"] != 2.0 || pg["has_more"] != !last {
				t.Errorf("page %d: pagination = %v", page, pg)
			}
			if last != (pg["next_cursor"] == nil) {
				t.Errorf("page %d: next_cursor = %v", page, pg["next_cursor"])
			}
			cursor, _ = pg["next_cursor"].(string)
		}
		if want := []string{e5, e4, e3, e2, e1}; !slices.Equal(got, want) {
			t.Errorf("pages = %v, want %v", got, want)
		}
	})
	t.Run("PaginationFiltered", func(t *testing.T) {
		t.Parallel()
		body := mustCall(t, r, "GET", "/v1/events?limit=1&source_id="+orders.ID, nil, 200)
		pg := body["pagination"].(map[string]any)
		if pg["total"] != 2.0 || pg["has_more"] != true || pg["next_cursor"] == nil {
			t.Fatalf("pagination = %v", pg)
		}
		body = mustCall(t, r, "GET", "/v1/events?limit=1&source_id="+orders.ID+"&cursor="+url.QueryEscape(pg["next_cursor"].(string)), nil, 200)
		if ev := body["events"].([]any); len(ev) != 1 || ev[0].(map[string]any)["id"] != e1 {
			t.Errorf("second page = %v, want %s", ev, e1)
		}
	})
	t.Run("LimitDefaultsAndCaps", func(t *testing.T) {
		t.Parallel()
		for q, want := range map[string]float64{"limit=0": 50, "limit=500": 100, "": 50} {
			pg := mustCall(t, r, "GET", "/v1/events?"+q, nil, 200)["pagination"].(map[string]any)
			if pg["limit"] != want {
				t.Errorf("%s: pagination.limit = %v, want %v", q, pg["limit"], want)
			}
		}
	})
	t.Run("BadQuery", func(t *testing.T) {
		t.Parallel()
		checkError(t, call(t, r, "GET", "/v1/events?after=yesterday", testKey, nil), 400, "Invalid query: 'after' must be an RFC 3339 time")
		checkError(t, call(t, r, "GET", "/v1/events?limit=-1", testKey, nil), 400, "Invalid query: 'limit' must be a non-negative integer")
	})
}

// TestRouter_Ingest_Counters: each stored event advances its source's
// counters and each delivery its connection's.
func TestRouter_Ingest_Counters(t *testing.T) {
	t.Parallel()
	for _, path := range ingestPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			r, clock := ingestSetup(t, nil)
			src := mustSource(t, r, SourceParams{DedupEnabled: ptr(true)})
			dst := mustDestination(t, r, "Billing")
			all := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("all")})
			none := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("none"), FilterRules: FilterRules{{Field: "payload.type", Op: "eq", Value: "never"}}})

			s := mustCall(t, r, "GET", "/v1/sources/"+src.ID, nil, 200)["source"].(map[string]any)
			if s["event_count"] != 0.0 || s["last_event_at"] != nil {
				t.Errorf("new source: event_count %v, last_event_at %v", s["event_count"], s["last_event_at"])
			}
			wantAccepted(t, r, path.send(t, r, src.ID, jsonHook(`{"n":1}`)))
			clock.Advance(time.Minute)
			wantAccepted(t, r, path.send(t, r, src.ID, jsonHook(`{"n":2}`)))
			clock.Advance(time.Minute)
			wantAccepted(t, r, path.send(t, r, src.ID, jsonHook(`{"n":2}`))) // duplicate
			path.send(t, r, "src_00000000000000000000000000000000", jsonHook(`{"n":3}`))

			s = mustCall(t, r, "GET", "/v1/sources/"+src.ID, nil, 200)["source"].(map[string]any)
			if s["event_count"] != 3.0 || s["last_event_at"] != "2026-03-01T14:32:00.000Z" {
				t.Errorf("source: event_count %v, last_event_at %v; want 3, 2026-03-01T14:32:00.000Z", s["event_count"], s["last_event_at"])
			}
			c := mustCall(t, r, "GET", "/v1/connections/"+all.ID, nil, 200)["connection"].(map[string]any)
			if c["event_count"] != 2.0 || c["last_event_at"] != "2026-03-01T14:31:00.000Z" {
				t.Errorf("connection: event_count %v, last_event_at %v; want 2, 2026-03-01T14:31:00.000Z", c["event_count"], c["last_event_at"])
			}
			c = mustCall(t, r, "GET", "/v1/connections/"+none.ID, nil, 200)["connection"].(map[string]any)
			if c["event_count"] != 0.0 || c["last_event_at"] != nil {
				t.Errorf("unmatched connection: event_count %v, last_event_at %v", c["event_count"], c["last_event_at"])
			}
		})
	}
}

// TestRouter_Ingest_ConfigChangesApply: the routing cache sees this
// process's changes at once.
func TestRouter_Ingest_ConfigChangesApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{})
	dst := mustDestination(t, r, "Billing")
	wantAccepted(t, r, ingestViaAPI(t, r, src.ID, jsonHook(`{}`)))

	if _, err := r.UpdateSource(ctx, src.ID, SourceParams{IPDenylist: []string{"192.0.2.0/24"}}); err != nil {
		t.Fatal(err)
	}
	wantRejected(t, ingestViaAPI(t, r, src.ID, jsonHook(`{}`)), 403, "IP is in deny list")
	if _, err := r.UpdateSource(ctx, src.ID, SourceParams{IPDenylist: []string{}}); err != nil {
		t.Fatal(err)
	}
	conn := mustConnection(t, r, src, dst, ConnectionParams{})
	if ev := wantAccepted(t, r, ingestViaAPI(t, r, src.ID, jsonHook(`{}`))); len(deliveriesOf(t, r, ev.ID)) != 1 {
		t.Errorf("new connection not routed")
	}
	if _, err := r.UpdateConnection(ctx, conn.ID, ConnectionParams{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if ev := wantAccepted(t, r, ingestViaAPI(t, r, src.ID, jsonHook(`{}`))); len(deliveriesOf(t, r, ev.ID)) != 0 {
		t.Errorf("disabled connection still routed")
	}
	if err := r.DeleteConnection(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	wantRejected(t, ingestViaAPI(t, r, src.ID, jsonHook(`{}`)), 404, "Source not found")
}

// TestRouter_Ingest_Concurrent: concurrent ingests each store their event
// and deliveries (run with -race).
func TestRouter_Ingest_Concurrent(t *testing.T) {
	t.Parallel()
	r, _ := ingestSetup(t, nil)
	src := mustSource(t, r, SourceParams{DedupEnabled: ptr(true)})
	mustConnection(t, r, src, mustDestination(t, r, "Billing"), ConnectionParams{})
	const n = 64
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Every pair of requests shares a body: one of each pair is a
			// duplicate.
			w := jsonHook(fmt.Sprintf(`{"n":%d}`, i/2))
			res, err := r.Ingest(context.Background(), src.ID, w.request(src.ID))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = res.EventID
		})
	}
	wg.Wait()
	dups := 0
	for _, id := range ids {
		ev, err := r.GetEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if ev.DedupStatus == "duplicate" {
			dups++
			want = 0
		}
		if got := len(deliveriesOf(t, r, id)); got != want {
			t.Errorf("%s (%s): %d deliveries, want %d", id, ev.DedupStatus, got, want)
		}
	}
	if dups != n/2 {
		t.Errorf("%d duplicates, want %d", dups, n/2)
	}
}

// TestHandler_ListEvents_SameInstant: events received at the same instant
// (a fixed clock) page without loss or repeats.
func TestHandler_ListEvents_SameInstant(t *testing.T) {
	t.Parallel()
	routers := map[string]func(t *testing.T) *Router{
		"Memory": func(t *testing.T) *Router { r, _ := ingestSetup(t, nil); return r },
		"Bolt": func(t *testing.T) *Router {
			r, _ := ingestSetupBolt(t, filepath.Join(t.TempDir(), "hookstream.db"), nil)
			return r
		},
	}
	for name, open := range routers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := open(t)
			src := mustSource(t, r, SourceParams{})
			want := map[string]bool{}
			for i := range 7 {
				want[wantAccepted(t, r, ingestViaAPI(t, r, src.ID, jsonHook(fmt.Sprintf(`{"n":%d}`, i)))).ID] = true
			}
			seen := map[string]bool{}
			cursor := ""
			for range 10 {
				q := "/v1/events?limit=2&source_id=" + src.ID
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				body := mustCall(t, r, "GET", q, nil, 200)
				for _, e := range body["events"].([]any) {
					id := e.(map[string]any)["id"].(string)
					if seen[id] {
						t.Errorf("%s listed twice", id)
					}
					seen[id] = true
				}
				pg := body["pagination"].(map[string]any)
				if pg["total"] != 7.0 {
					t.Errorf("total %v, want 7", pg["total"])
				}
				if cursor, _ = pg["next_cursor"].(string); cursor == "" {
					break
				}
			}
			if len(seen) != len(want) {
				t.Errorf("listed %d events, want %d", len(seen), len(want))
			}
		})
	}
}
