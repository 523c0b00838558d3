package hookstream

import (
	"strings"
	"testing"
	"testing/synctest"
)

// TestHandler_IDForms checks spec §1's id forms: every {id} path takes the
// prefixed ID or its bare 32 hex digits (the seed's form), topic paths take
// the ID or the slug (publish included), and body IDs take both forms too.
func TestHandler_IDForms(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newTenancyFixture(t)
		r := f.r
		bare := func(id string) string { return id[strings.IndexByte(id, '_')+1:] }
		for kind, id := range f.ids {
			if kind == "api-keys" || kind == "environments" {
				continue // ak_ IDs are 16 hex; env_default has no hex form
			}
			for _, form := range []string{id, bare(id)} {
				if c := call(t, r, "GET", "/v1/"+kind+"/"+form, testKey, nil); c.status != 200 {
					t.Errorf("GET /v1/%s/%s: %d %s", kind, form, c.status, c.body)
				}
			}
		}
		topic := f.ids["topics"]
		for _, form := range []string{topic, bare(topic), f.topicSlug} {
			mustCall(t, r, "GET", "/v1/topics/"+form, nil, 200)
			mustCall(t, r, "GET", "/v1/topics/"+form+"/subscriptions", nil, 200)
			mustCall(t, r, "PATCH", "/v1/topics/"+form+"/subscriptions/"+bare(f.subAID), map[string]any{"enabled": true}, 200)
			pub := mustCall(t, r, "POST", "/v1/topics/"+form+"/publish", map[string]any{"n": 1}, 200)
			if pub["topic"] != f.topicSlug {
				t.Errorf("publish via %s: topic = %v, want the slug %s", form, pub["topic"], f.topicSlug)
			}
		}
		mustCall(t, r, "PATCH", "/v1/topics/"+f.topicSlug, map[string]any{"description": "by slug"}, 200)
		checkError(t, call(t, r, "GET", "/v1/topics/no-such-topic", testKey, nil), 404, "Topic not found")
		checkError(t, call(t, r, "POST", "/v1/topics/"+strings.Repeat("0", 32)+"/publish", testKey, map[string]any{}), 404, "Topic not found or inactive")

		// Body IDs in their bare form are stored prefixed.
		src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "bare"}, 201)["source"].(map[string]any)["id"].(string)
		conn := mustCall(t, r, "POST", "/v1/connections", map[string]any{"name": "bare", "source_id": bare(src), "destination_id": bare(f.ids["destinations"])}, 201)["connection"].(map[string]any)
		if conn["source_id"] != src || conn["destination_id"] != f.ids["destinations"] {
			t.Errorf("connection ends = %v, %v; want %s, %s", conn["source_id"], conn["destination_id"], src, f.ids["destinations"])
		}
		// Ingest takes the bare form too.
		if c := call(t, r, "POST", "/v1/ingest/"+bare(src), "", map[string]any{"n": 1}); c.status != 200 {
			t.Errorf("ingest by bare id: %d %s", c.status, c.body)
		}
	})
}
