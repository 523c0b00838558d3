package hookstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileValues are the values TestLimits_EveryField sends in every field:
// each must be refused with a 4xx (never a 500, never stored rewritten).
var hostileValues = map[string]string{
	"long string":        `"` + strings.Repeat("a", 100_000) + `"`,
	"long multibyte":     `"` + strings.Repeat("é", 70_000) + `"`,
	"NUL":                `"a\u0000b"`,
	"lone surrogate":     `"a\ud800b"`,
	"lone low surrogate": `"\udc00"`,
	"invalid UTF-8":      "\"a\xffb\"",
	"long list":          `[` + strings.Repeat(`"x",`, 5000) + `"x"]`,
	"big object":         `{` + strings.Repeat(`"k":"v",`, 1) + `"big":"` + strings.Repeat("v", 100_000) + `"}`,
}

// TestLimits_EveryField sends each hostile value in every field of every
// request body the OpenAPI document declares, on a real fixture: nothing
// answers 500 or 2xx, and where the value is a string over its limit the
// message names the field.
func TestLimits_EveryField(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src, dst, conn := fixture(t, r)
	topic, err := r.CreateTopic(t.Context(), TopicParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(t.Context(), topic.ID, SubscribeParams{DestinationID: dst.ID})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"sources": src.ID, "destinations": dst.ID, "connections": conn.ID, "topics": topic.ID, "environments": DefaultEnvID}
	if _, err := r.EnsureEnvironment(t.Context(), "Default"); err != nil {
		t.Fatal(err)
	}
	doc := r.openAPIDocument()
	checked := 0
	for path, item := range doc["paths"].(schema) {
		for method, op := range item.(schema) {
			body, ok := op.(schema)["requestBody"].(schema)
			if !ok {
				continue
			}
			s := body["content"].(schema)["application/json"].(schema)["schema"].(schema)
			props, _ := s["properties"].(props)
			concrete := strings.NewReplacer("{sub_id}", sub.ID).Replace(path)
			for kind, id := range ids {
				concrete = strings.ReplaceAll(concrete, "/"+kind+"/{id}", "/"+kind+"/"+id)
			}
			for field, fs := range props {
				for name, value := range hostileValues {
					if field == "payload" {
						continue // a dry run's sample: any JSON
					}
					raw := fmt.Sprintf(`{%q: %s}`, field, value)
					req := httptest.NewRequest(strings.ToUpper(method), concrete, strings.NewReader(raw))
					req.Header.Set("X-API-Key", testKey)
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					r.Handler().ServeHTTP(w, req)
					checked++
					if w.Code >= 500 || w.Code/100 == 2 {
						t.Errorf("%s %s with %s in %q: %d %.300s", method, concrete, name, field, w.Code, w.Body)
						continue
					}
					isString := fs["type"] == "string" || fmt.Sprint(fs["type"]) == "[string null]"
					if isString && strings.HasPrefix(name, "long") && !strings.Contains(w.Body.String(), "'"+field) {
						t.Errorf("%s %s with %s in %q: the error does not name the field: %s", method, concrete, name, field, w.Body)
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d requests checked", checked)
	}
}

// TestLimits_AtTheLimit checks that values at the documented limits are
// accepted, and one character over refused, counting characters.
func TestLimits_AtTheLimit(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	name := "a" + strings.Repeat("é", 199)
	if utf8.RuneCountInString(name) != 200 {
		t.Fatal("bad fixture")
	}
	mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": name}, 201)
	checkError(t, call(t, r, "POST", "/v1/sources", testKey, map[string]any{"name": name + "é"}), 400, "Invalid body: 'name' must be at most 200 characters")
	checkError(t, call(t, r, "POST", "/v1/sources", testKey, map[string]any{"name": "x", "slug": strings.Repeat("a", 101)}), 400, "Invalid body: 'slug' must be at most 100 characters")
	checkError(t, call(t, r, "POST", "/v1/connections", testKey, map[string]any{"name": "x", "source_id": "src_" + strings.Repeat("0", 100_000), "destination_id": "dst_0"}), 400,
		"Invalid body: 'source_id' must be a source ID (src_ followed by 32 lowercase hex digits)")
	rules := make([]map[string]any, 51)
	for i := range rules {
		rules[i] = map[string]any{"field": "payload.a", "op": "exists"}
	}
	src, dst, _ := fixture(t, r)
	checkError(t, call(t, r, "POST", "/v1/connections", testKey, map[string]any{"name": "x", "source_id": src.ID, "destination_id": dst.ID, "filter_rules": rules}), 400,
		"Invalid body: 'filter_rules' must have at most 50 items")
	checkError(t, call(t, r, "POST", "/v1/connections", testKey, map[string]any{"name": "x", "source_id": src.ID, "destination_id": dst.ID,
		"filter_rules": []map[string]any{{"field": "payload." + strings.Repeat("a", 300), "op": "exists"}}}), 400,
		"Invalid body: 'filter_rules[0].field' must be at most 256 characters")
	headers := map[string]string{}
	for i := range 51 {
		headers[fmt.Sprintf("X-H%d", i)] = "v"
	}
	checkError(t, call(t, r, "POST", "/v1/destinations", testKey, map[string]any{"name": "x", "url": "https://example.com/", "headers": headers}), 400,
		"Invalid body: 'headers' must have at most 50 entries")
	checkError(t, call(t, r, "POST", "/v1/destinations", testKey, map[string]any{"name": "x", "url": "https://example.com/", "retry_intervals": make([]int, 21)}), 400,
		"Invalid body: 'retry_intervals' must have at most 20 items")
	checkError(t, call(t, r, "POST", "/v1/sources", testKey, `{"name": "a\u0000b"}`), 400, "Invalid body: 'name' must not contain NUL characters")
	checkError(t, call(t, r, "POST", "/v1/sources", testKey, `{"name": "a\ud83db"}`), 400, "Invalid body: 'name' must not contain lone UTF-16 surrogates")
	// A proper surrogate pair is a character like any other.
	mustCall(t, r, "POST", "/v1/sources", `{"name": "rocket \ud83d\ude80"}`, 201)
	// The Go API refuses the same.
	if _, err := r.CreateSource(t.Context(), SourceParams{Name: ptr("a\xffb")}); err == nil || err.Error() != "hookstream: source name must be valid UTF-8" {
		t.Errorf("Go API with invalid UTF-8: %v", err)
	}
}

// TestLimits_PathsAndQueries checks that paths and query values no
// resource can match get JSON errors before they reach the store.
func TestLimits_PathsAndQueries(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	long := strings.Repeat("a", 100_000)
	for _, c := range []struct {
		method, path string
		want         int
		msg          string
	}{
		{"GET", "/v1/sources/src_" + long, 404, "Source not found"},
		{"DELETE", "/v1/topics/" + long + "/subscriptions/sub_x", 404, "Topic not found"},
		{"POST", "/v1/ingest/" + long, 404, "Source not found"},
		{"GET", "/v1/sources/a%00b", 404, "Source not found"},
		{"GET", "/v1/events?source_id=" + long, 400, "Invalid query: 'source_id' must be at most 1024 bytes"},
		{"GET", "/v1/events?search=%ff", 400, "Invalid query: 'search' must be valid UTF-8 without NUL"},
		{"GET", "/v1//sources", 404, "Not found"},
		{"GET", "/v1/sources/../environments", 404, "Not found"},
		{"GET", "/v1/sources/%2e%2e/x", 404, "Not found"},
		{"GET", "/v1/sources%2Fsrc_x", 404, "Not found"},
	} {
		req := httptest.NewRequest(c.method, "/", nil)
		u, err := url.ParseRequestURI(c.path)
		if err != nil {
			t.Fatal(err)
		}
		req.URL, req.RequestURI = u, c.path
		req.Header.Set("X-API-Key", testKey)
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, req)
		var body errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != c.want || body.Error != c.msg {
			t.Errorf("%s %.60s: %d %s, want %d %q", c.method, c.path, w.Code, w.Body, c.want, c.msg)
		}
		if w.Code == http.StatusTemporaryRedirect {
			t.Errorf("%s %.60s redirects", c.method, c.path)
		}
	}
}
