package hookstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// secretMarker is the start of every secret this test stores: no response,
// error or log line may contain it (masks keep at most the last 4
// characters, which the markers' tails are).
const secretMarker = "SECRETMARKER"

// pollUntil calls cond until it holds or the timeout passes, yielding
// between calls.
func pollUntil(timeout time.Duration, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

func marker(n int) string { return fmt.Sprintf("%s%02d-tail", secretMarker, n) }

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecrets_NeverEchoed stores marker values in every secret-bearing
// field, reads everything back through the REST API (creates, gets,
// listings, updates that send back what they read, errors, deliveries and
// their attempts), and greps every response and log line for the markers.
// The secrets must still work: the receiver gets them, and a source whose
// masked secret was sent back still verifies.
func TestSecrets_NeverEchoed(t *testing.T) {
	t.Parallel()
	type got struct {
		header http.Header
		user   string
		pass   string
	}
	deliveries := make(chan got, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		u, p, _ := req.BasicAuth()
		deliveries <- got{req.Header.Clone(), u, p}
		w.WriteHeader(500) // a failed attempt records what was sent
	}))
	defer rcv.Close()

	logs := &lockedBuffer{}
	r := setup(t, &Config{AllowPrivateNetworks: true, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	var responses []string
	do := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		c := call(t, r, method, path, testKey, body)
		responses = append(responses, fmt.Sprintf("%s %s → %d %s", method, path, c.status, c.body))
		if c.status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, c.status, want, c.body)
		}
		return c.json(t)
	}

	src := do("POST", "/v1/sources", map[string]any{
		"name": "signed", "verification_type": "hmac_sha256", "verification_header": "X-Sig",
		"verification_secret": marker(1),
		"source_config":       map[string]any{"secret": marker(2), "nested": map[string]any{"api_token": marker(3)}, "list": []any{map[string]any{"password": marker(4)}}},
	}, 201)["source"].(map[string]any)
	srcID := src["id"].(string)
	if src["verification_enabled"] != 1.0 {
		t.Errorf("a type and a secret without verification_enabled: verification_enabled = %v, want 1", src["verification_enabled"])
	}
	addr := strings.TrimPrefix(rcv.URL, "http://")
	dst := do("POST", "/v1/destinations", map[string]any{
		"name": "secret-laden", "url": "http://hook-user:" + marker(5) + "@" + addr + "/hook",
		"headers": map[string]any{
			"Authorization": "Bearer " + marker(6), "X-Api-Key": marker(7), "Cookie": "session=" + marker(8),
			"X-Custom-Token": marker(9), "X-Webhook-Secret": marker(10), "X-Plain": "visible",
		},
		"auth_type": "api_key", "auth_config": map[string]any{"header": "X-Service-Auth", "value": marker(11)},
		"signing_config":  map[string]any{"secret": marker(12)},
		"provider_config": map[string]any{"client_secret": marker(13)},
		"retry_enabled":   false,
	}, 201)["destination"].(map[string]any)
	dstID := dst["id"].(string)
	if !strings.Contains(dst["headers"].(string), `"X-Plain":"visible"`) {
		t.Errorf("a plain header is masked too: %v", dst["headers"])
	}
	do("POST", "/v1/connections", map[string]any{"name": "c", "source_id": srcID, "destination_id": dstID}, 201)

	// Send back what was read: the stored secrets stay.
	readSrc := do("GET", "/v1/sources/"+srcID, nil, 200)["source"].(map[string]any)
	do("PATCH", "/v1/sources/"+srcID, map[string]any{
		"verification_secret": readSrc["verification_secret"], "source_config": readSrc["source_config"],
	}, 200)
	readDst := do("GET", "/v1/destinations/"+dstID, nil, 200)["destination"].(map[string]any)
	do("PATCH", "/v1/destinations/"+dstID, map[string]any{
		"url": readDst["url"], "headers": readDst["headers"], "auth_config": readDst["auth_config"],
		"signing_config": readDst["signing_config"], "provider_config": readDst["provider_config"],
	}, 200)
	do("GET", "/v1/sources", nil, 200)
	do("GET", "/v1/destinations", nil, 200)
	// Errors about secret-bearing fields do not quote them.
	for _, bad := range []map[string]any{
		{"headers": map[string]any{"Bad Header": marker(14)}},
		{"url": "ftp://u:" + marker(15) + "@example.com/"},
		{"auth_config": map[string]any{"header": "X-A", "value": 7}},
		{"signing_config": map[string]any{"secret": marker(16), "algorithm": "md5"}},
	} {
		c := call(t, r, "PATCH", "/v1/destinations/"+dstID, testKey, bad)
		responses = append(responses, string(c.body))
		if c.status != 400 {
			t.Errorf("PATCH %v: %d, want 400", bad, c.status)
		}
	}

	// A signed webhook still verifies with the secret kept through the
	// round trip, and is delivered with every credential in place.
	body := `{"n":1}`
	req := httptest.NewRequest("POST", "/v1/ingest/"+srcID, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sig", "sha256="+hmacHex(sha256.New, marker(1), body))
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("signed ingest after the round trip: %d %s", w.Code, w.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var g got
	select {
	case g = <-deliveries:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	if g.header.Get("Authorization") != "Bearer "+marker(6) || g.header.Get("X-Api-Key") != marker(7) ||
		g.header.Get("X-Service-Auth") != marker(11) || g.header.Get("X-Webhook-Secret") != marker(10) {
		t.Errorf("the receiver did not get the stored credentials: %v", g.header)
	}
	// The attempt is recorded (the receiver answered 500, no retries).
	attemptsOf := func(dstID string) []any {
		var list []any
		pollUntil(10*time.Second, func() bool {
			list = do("GET", "/v1/delivery-attempts?destination_id="+dstID, nil, 200)["delivery_attempts"].([]any)
			return len(list) > 0
		})
		return list
	}
	list := attemptsOf(dstID)
	if len(list) == 0 {
		t.Fatal("no attempt recorded")
	}
	a := list[0].(map[string]any)
	if !strings.Contains(a["request_url"].(string), "hook-user:xxxxx@") {
		t.Errorf("request_url = %v, want the password redacted", a["request_url"])
	}
	do("GET", "/v1/delivery-attempts/"+a["id"].(string), nil, 200)
	evID := w.Body.String()[strings.Index(w.Body.String(), "evt_") : strings.Index(w.Body.String(), "evt_")+36]
	do("GET", "/v1/events/"+evID, nil, 200)

	// A destination with a password in its URL whose dial fails: the error
	// (recorded and logged) does not quote the password either.
	bad := do("POST", "/v1/destinations", map[string]any{"name": "unreachable", "url": "http://u:" + marker(17) + "@127.0.0.1:1/x", "retry_enabled": false}, 201)["destination"].(map[string]any)
	src2 := do("POST", "/v1/sources", map[string]any{"name": "plain"}, 201)["source"].(map[string]any)
	do("POST", "/v1/connections", map[string]any{"name": "c2", "source_id": src2["id"], "destination_id": bad["id"]}, 201)
	ingest(t, r, src2["id"].(string), `{"n":2}`)
	if len(attemptsOf(bad["id"].(string))) == 0 {
		t.Fatal("no attempt recorded for the unreachable destination")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	for _, resp := range responses {
		if strings.Contains(resp, secretMarker) {
			t.Errorf("a response echoes a secret: %s", resp)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, secretMarker) {
			t.Errorf("a log line echoes a secret: %s", line)
		}
	}
}
