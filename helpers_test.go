package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookstream-go/hookstream/store/memory"
)

// testKey is the API key of the default tenant in tests.
const testKey = "hs_live_0000000000000000000000000000000000000000000000000000000000000001"

func ptr[T any](v T) *T { return &v }

// setup returns a Router on a memory store with an API key for the default
// tenant.
func setup(t *testing.T, cfg *Config) *Router {
	t.Helper()
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	r, err := New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterAPIKey(context.Background(), "test", testKey); err != nil {
		t.Fatal(err)
	}
	return r
}

// apiCall is one REST request's result.
type apiCall struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the response body into a generic value.
func (c apiCall) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(c.body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, c.body)
	}
	return v
}

// call sends a request to r's handler with the test key (key "" sends
// none).
func call(t *testing.T, r *Router, method, path, key string, body any) apiCall {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	return apiCall{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t *testing.T, r *Router, method, path string, body any, want int) map[string]any {
	t.Helper()
	c := call(t, r, method, path, testKey, body)
	if c.status != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, c.status, want, c.body)
	}
	return c.json(t)
}

// fixture creates a source, an http destination and a connection between
// them through the Go API.
func fixture(t *testing.T, r *Router) (*Source, *Destination, *Connection) {
	t.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Billing"), URL: ptr("https://billing.example.com/hooks")})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("orders to billing")})
	if err != nil {
		t.Fatal(err)
	}
	return src, dst, conn
}

// postIngest sends body to a gateway's ingest endpoint over HTTP and
// returns the event ID it acknowledged with 200.
func postIngest(ctx context.Context, client *http.Client, addr, sourceID, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/ingest/"+sourceID, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ingest: status %d: %s", res.StatusCode, data)
	}
	var ack IngestResult
	if err := json.Unmarshal(data, &ack); err != nil || ack.EventID == "" {
		return "", fmt.Errorf("ingest: 200 with body %q", data)
	}
	return ack.EventID, nil
}
