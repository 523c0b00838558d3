package hookstream

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// tenancyFixture is an organization with two environments: A (the default
// one, whose org key is testKey) holding one resource of every kind, and B
// with an environment key; plus an org key of another organization.
type tenancyFixture struct {
	r *Router
	// ids maps a path parameter's resource (by its collection, e.g.
	// "sources", "api-keys") to A's resource of that kind.
	ids                       map[string]string
	envA, envB                string
	keyB, keyOtherOrg         string
	keyAID, subAID, topicSlug string
}

const otherOrgKey = "hs_live_00000000000000000000000000000000000000000000000000000000000000ff"

// newTenancyFixture builds the fixture, delivering one event in A so that
// it has an attempt too. Call it inside a synctest bubble.
func newTenancyFixture(t *testing.T) *tenancyFixture {
	t.Helper()
	ctx := context.Background()
	rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
	r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{})
	if _, err := r.EnsureEnvironment(ctx, "Default"); err != nil {
		t.Fatal(err)
	}
	evID := ingest(t, r, srcID, `{"n":1}`)
	runRouter(t, r)
	time.Sleep(time.Second)
	synctest.Wait()

	f := &tenancyFixture{r: r, envA: DefaultEnvID, ids: map[string]string{"sources": srcID, "events": evID}}
	dsts, _ := r.ListDestinations(ctx, ListParams{})
	conns, _ := r.ListConnections(ctx, ListConnectionsParams{})
	attempts, err := r.ListAttempts(ctx, ListAttemptsParams{EventID: evID})
	if err != nil || len(attempts.Items) != 1 {
		t.Fatalf("attempts of the delivered event: %v %v", attempts.Items, err)
	}
	f.ids["destinations"], f.ids["connections"], f.ids["delivery-attempts"] = dsts.Items[0].ID, conns.Items[0].ID, attempts.Items[0].ID
	topic, err := r.CreateTopic(ctx, TopicParams{Name: ptr("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.Subscribe(ctx, topic.ID, SubscribeParams{DestinationID: dsts.Items[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	f.ids["topics"], f.subAID, f.topicSlug = topic.ID, sub.ID, topic.Slug
	keys, _ := r.ListAPIKeys(ctx, ListParams{})
	f.keyAID = keys.Items[0].ID
	f.ids["api-keys"], f.ids["environments"] = f.keyAID, f.envA
	job, err := r.StartReplay(ctx, ReplayParams{DestinationID: f.ids["destinations"], From: time.Unix(0, 0), To: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.ids["replay"] = job.ID

	envB := mustCall(t, r, "POST", "/v1/environments", map[string]any{"name": "Staging"}, 201)["environment"].(map[string]any)
	f.envB = envB["id"].(string)
	keyB := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "staging", "env_id": f.envB}, 201)
	if scopes := keyB["scopes"].([]any); len(scopes) != 1 || scopes[0] != ScopeEnvironment {
		t.Errorf("a new key's scopes = %v, want [env]", scopes)
	}
	f.keyB = keyB["key"].(string)

	other := WithCredentials(ctx, Credentials{Tenant: Tenant{OrgID: "org_other", EnvID: "env_other"}, Org: true})
	if _, err := r.RegisterAPIKey(other, "other", otherOrgKey); err != nil {
		t.Fatal(err)
	}
	f.keyOtherOrg = otherOrgKey
	return f
}

// pathFor fills an endpoint path's parameters with A's resources.
func (f *tenancyFixture) pathFor(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch p {
		case "{id}":
			parts[i] = f.ids[parts[i-1]]
		case "{sub_id}":
			parts[i] = f.subAID
		}
	}
	return strings.Join(parts, "/")
}

// TestTenancy_EveryEndpoint calls every authenticated endpoint of the route
// table with A's resources in its path, with an environment key of B and an
// org key of another organization: each answers 404, never 2xx. Listings
// answer 200 with none of A's resources, and writes without a path land in
// the caller's own tenant, never in A's.
func TestTenancy_EveryEndpoint(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newTenancyFixture(t)
		bodies := map[string]any{
			"/v1/sources":       map[string]any{"name": "intruder"},
			"/v1/destinations":  map[string]any{"name": "intruder", "url": "https://example.com/x"},
			"/v1/topics":        map[string]any{"name": "intruder"},
			"/v1/auth/api-keys": map[string]any{"name": "intruder"},
			"/v1/environments":  map[string]any{"name": "intruder"},
		}
		for _, e := range f.r.endpoints() {
			if e.public {
				continue
			}
			method := e.method
			for _, key := range []struct{ name, key string }{{"env key of B", f.keyB}, {"org key of another org", f.keyOtherOrg}} {
				path := f.pathFor(e.path)
				var body any = map[string]any{"name": "x", "payload": map[string]any{}, "destination_id": f.ids["destinations"], "source_id": f.ids["sources"]}
				if b, ok := bodies[e.path]; ok {
					body = b
				}
				if method == "GET" || method == "DELETE" {
					body = nil
				}
				c := call(t, f.r, method, path, key.key, body)
				hasParam := strings.Contains(e.path, "{")
				switch {
				case hasParam && c.status != 404:
					t.Errorf("%s %s with the %s: status %d, want 404: %s", method, path, key.name, c.status, c.body)
				case !hasParam && c.status/100 == 2:
					for kind, id := range f.ids {
						if kind != "environments" && strings.Contains(string(c.body), id) {
							t.Errorf("%s %s with the %s leaks A's %s %s: %s", method, path, key.name, kind, id, c.body)
						}
					}
				}
			}
		}
		// Nothing was written into A, and A's resources are intact.
		sources, _ := f.r.ListSources(context.Background(), ListParams{})
		topics, _ := f.r.ListTopics(context.Background(), ListParams{})
		if len(sources.Items) != 1 || len(topics.Items) != 1 {
			t.Errorf("A has %d sources and %d topics after the intruders, want 1 and 1", len(sources.Items), len(topics.Items))
		}
		// Publishing by slug reaches no other tenant's topic either.
		if c := call(t, f.r, "POST", "/v1/topics/"+f.topicSlug+"/publish", f.keyB, map[string]any{}); c.status != 404 {
			t.Errorf("publish to A's topic slug with B's key: %d %s", c.status, c.body)
		}
	})
}

// TestTenancy_EnvironmentKeys checks that an environment key manages
// nothing beyond its own environment.
func TestTenancy_EnvironmentKeys(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newTenancyFixture(t)
		r, b := f.r, f.keyB
		for _, c := range []struct {
			method, path string
			body         any
			want         int
			msg          string
		}{
			{"GET", "/v1/environments/" + f.envA, nil, 404, "Environment not found"},
			{"PATCH", "/v1/environments/" + f.envA, map[string]any{"name": "renamed"}, 404, "Environment not found"},
			{"DELETE", "/v1/environments/" + f.envA, nil, 404, "Environment not found"},
			{"DELETE", "/v1/auth/api-keys/" + f.keyAID, nil, 404, "API key not found"},
			{"POST", "/v1/auth/api-keys", map[string]any{"name": "x", "env_id": f.envA}, 403, "API key cannot act for environment " + f.envA},
			{"POST", "/v1/auth/api-keys", map[string]any{"name": "x", "scopes": []string{"org"}}, 403, "API key needs the org scope to grant it"},
			{"GET", "/v1/auth/api-keys?env_id=" + f.envA, nil, 403, "API key cannot act for environment " + f.envA},
			{"POST", "/v1/environments", map[string]any{"name": "mine"}, 403, "API key needs the org scope to create environments"},
			{"DELETE", "/v1/environments/" + f.envB, nil, 409, "Cannot delete the environment of the current API key"},
			{"POST", "/v1/sources", map[string]any{"name": "x", "env_id": f.envA}, 403, "API key cannot act for environment " + f.envA},
			{"GET", "/v1/sources?env_id=" + f.envA, nil, 403, "API key cannot act for environment " + f.envA},
		} {
			checkError(t, call(t, r, c.method, c.path, b, c.body), c.want, c.msg)
		}
		// Its own environment is its to see and rename; its listing shows
		// nothing else.
		envs := call(t, r, "GET", "/v1/environments", b, nil).json(t)["environments"].([]any)
		if len(envs) != 1 || envs[0].(map[string]any)["id"] != f.envB {
			t.Errorf("B's key lists environments %v, want only B", envs)
		}
		if c := call(t, r, "PATCH", "/v1/environments/"+f.envB, b, map[string]any{"name": "Staging 2"}); c.status != 200 {
			t.Errorf("renaming its own environment: %d %s", c.status, c.body)
		}
		keys := call(t, r, "GET", "/v1/auth/api-keys", b, nil).json(t)["api_keys"].([]any)
		if len(keys) != 1 || keys[0].(map[string]any)["env_id"] != f.envB {
			t.Errorf("B's key lists keys %v, want only B's", keys)
		}
		// The org key still works, and its environment still exists.
		mustCall(t, r, "GET", "/v1/environments/"+f.envA, nil, 200)
	})
}

// TestTenancy_BodyTenantFields checks that org_id and env_id in a body are
// honoured or refused, never ignored.
func TestTenancy_BodyTenantFields(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newTenancyFixture(t)
		r := f.r
		// The key's own tenant, named: fine.
		src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "own", "org_id": DefaultOrgID, "env_id": DefaultEnvID}, 201)["source"].(map[string]any)
		if src["env_id"] != DefaultEnvID {
			t.Errorf("source env_id = %v", src["env_id"])
		}
		// The seed's placeholders name no tenant of this key.
		checkError(t, call(t, r, "POST", "/v1/sources", testKey, map[string]any{"name": "x", "org_id": "string", "env_id": "string"}), 403, "API key cannot act for organization string")
		checkError(t, call(t, r, "POST", "/v1/sources", testKey, map[string]any{"name": "x", "env_id": "env_nope"}), 404, "Environment not found")
		checkError(t, call(t, r, "POST", "/v1/sources", testKey, map[string]any{"name": "x", "env_id": 7}), 400, "Invalid body: 'env_id' must be a string")

		// An org key acts in another environment of its organization when
		// it names it: the resources are created there, and the connection
		// links B's source and destination.
		inB := map[string]any{"env_id": f.envB}
		with := func(m map[string]any) map[string]any {
			for k, v := range inB {
				m[k] = v
			}
			return m
		}
		srcB := mustCall(t, r, "POST", "/v1/sources", with(map[string]any{"name": "b-src"}), 201)["source"].(map[string]any)
		dstB := mustCall(t, r, "POST", "/v1/destinations", with(map[string]any{"name": "b-dst", "url": "https://example.com/b"}), 201)["destination"].(map[string]any)
		if srcB["env_id"] != f.envB || dstB["env_id"] != f.envB {
			t.Errorf("created in %v and %v, want %s", srcB["env_id"], dstB["env_id"], f.envB)
		}
		// A's source with B's destination is not a connection of either.
		checkError(t, call(t, r, "POST", "/v1/connections", testKey, with(map[string]any{"name": "mixed", "source_id": f.ids["sources"], "destination_id": dstB["id"]})), 404, "Source or destination not found")
		conn := mustCall(t, r, "POST", "/v1/connections", with(map[string]any{"name": "b", "source_id": srcB["id"], "destination_id": dstB["id"]}), 201)["connection"].(map[string]any)
		if conn["env_id"] != f.envB {
			t.Errorf("connection env_id = %v", conn["env_id"])
		}
		// B's key sees them as its own; A's listing does not.
		bSources := call(t, r, "GET", "/v1/sources", f.keyB, nil).json(t)["sources"].([]any)
		if len(bSources) != 1 || bSources[0].(map[string]any)["id"] != srcB["id"] {
			t.Errorf("B's sources = %v", bSources)
		}
		aSources := mustCall(t, r, "GET", "/v1/sources", nil, 200)["sources"].([]any)
		if len(aSources) != 2 {
			t.Errorf("A's sources = %d, want 2 (the fixture's and 'own')", len(aSources))
		}
		// A query's env_id selects the environment of reads too.
		if got := mustCall(t, r, "GET", "/v1/sources?env_id="+f.envB, nil, 200)["sources"].([]any); len(got) != 1 {
			t.Errorf("org key listing B's sources: %v", got)
		}
		mustCall(t, r, "GET", "/v1/sources/"+srcB["id"].(string)+"?env_id="+f.envB, nil, 200)
		// An org key may mint org keys, and keys for B.
		k := mustCall(t, r, "POST", "/v1/auth/api-keys", map[string]any{"name": "admin", "scopes": []string{"org"}}, 201)
		if scopes := k["scopes"].([]any); len(scopes) != 1 || scopes[0] != ScopeOrg {
			t.Errorf("org key scopes = %v", scopes)
		}
		checkError(t, call(t, r, "POST", "/v1/auth/api-keys", testKey, map[string]any{"name": "x", "scopes": []string{"root"}}), 400, "Invalid body: 'scopes[0]' must be one of env, org")
		checkError(t, call(t, r, "POST", "/v1/environments", testKey, map[string]any{"name": "x", "org_id": "org_other"}), 403, "API key cannot act for organization org_other")
	})
}
