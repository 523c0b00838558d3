package hookstream

import (
	"net/http"
	"slices"
)

// endpoints lists every operation of the REST API. The OpenAPI document is
// checked against this list by a test.
func (r *Router) endpoints() []endpoint {
	return append([]endpoint{
		{method: "GET", path: "/v1/health", public: true, handle: r.apiHealth},
		{method: "GET", path: "/v1/openapi.json", public: true, handle: r.apiOpenAPI},
		{method: "", path: "/v1/ingest/{source_id}", public: true, handle: r.apiIngest},

		{method: "GET", path: "/v1/sources", handle: r.apiListSources},
		{method: "POST", path: "/v1/sources", handle: r.apiCreateSource},
		{method: "GET", path: "/v1/sources/templates", handle: apiSourceTemplates},
		{method: "GET", path: "/v1/sources/{id}", handle: r.apiGetSource},
		{method: "PATCH", path: "/v1/sources/{id}", handle: r.apiUpdateSource},
		{method: "DELETE", path: "/v1/sources/{id}", handle: r.apiDeleteSource},

		{method: "POST", path: "/v1/sources/{id}/test", handle: r.apiTestSource},

		{method: "GET", path: "/v1/destinations", handle: r.apiListDestinations},
		{method: "POST", path: "/v1/destinations", handle: r.apiCreateDestination},
		{method: "GET", path: "/v1/destinations/{id}", handle: r.apiGetDestination},
		{method: "PATCH", path: "/v1/destinations/{id}", handle: r.apiUpdateDestination},
		{method: "DELETE", path: "/v1/destinations/{id}", handle: r.apiDeleteDestination},

		{method: "GET", path: "/v1/connections", handle: r.apiListConnections},
		{method: "POST", path: "/v1/connections", handle: r.apiCreateConnection},
		{method: "GET", path: "/v1/connections/{id}", handle: r.apiGetConnection},
		{method: "PATCH", path: "/v1/connections/{id}", handle: r.apiUpdateConnection},
		{method: "DELETE", path: "/v1/connections/{id}", handle: r.apiDeleteConnection},
		{method: "POST", path: "/v1/connections/{id}/test", handle: r.apiTestConnection},

		{method: "GET", path: "/v1/destinations/{id}/circuit", handle: r.apiGetCircuit},
		{method: "POST", path: "/v1/destinations/{id}/circuit/reset", handle: r.apiResetCircuit},

		{method: "GET", path: "/v1/events", handle: r.apiListEvents},
		{method: "GET", path: "/v1/events/{id}", handle: r.apiGetEvent},
		{method: "POST", path: "/v1/events/{id}/retry", handle: r.apiRetryEvent},

		{method: "GET", path: "/v1/delivery-attempts", handle: r.apiListAttempts},
		{method: "GET", path: "/v1/delivery-attempts/{id}", handle: r.apiGetAttempt},
		{method: "POST", path: "/v1/delivery-attempts/{id}/retry", handle: r.apiRetryAttempt},

		{method: "GET", path: "/v1/environments", handle: r.apiListEnvironments},
		{method: "POST", path: "/v1/environments", handle: r.apiCreateEnvironment},
		{method: "GET", path: "/v1/environments/{id}", handle: r.apiGetEnvironment},
		{method: "PATCH", path: "/v1/environments/{id}", handle: r.apiUpdateEnvironment},
		{method: "DELETE", path: "/v1/environments/{id}", handle: r.apiDeleteEnvironment},

		{method: "GET", path: "/v1/auth/api-keys", handle: r.apiListAPIKeys},
		{method: "POST", path: "/v1/auth/api-keys", handle: r.apiCreateAPIKey},
		{method: "DELETE", path: "/v1/auth/api-keys/{id}", handle: r.apiRevokeAPIKey},

		{method: "GET", path: "/v1/ws", tokenQuery: true, handle: r.apiFeed},
	}, slices.Concat(r.topicEndpoints(), r.metricsEndpoints(), r.replayEndpoints())...)
}

// Column names that requests may send as JSON-encoded strings.
var (
	sourceJSONColumns      = []string{"source_config", "verification_config", "ip_allowlist", "ip_denylist", "json_schema"}
	destinationJSONColumns = []string{"headers", "auth_config", "retry_intervals", "provider_config", "signing_config"}
	connectionJSONColumns  = []string{"filter_rules"}
)

var success = map[string]bool{"success": true}

func (r *Router) apiHealth(w http.ResponseWriter, req *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
	return nil
}

// listBody is the list envelope of spec §1.
func listBody[T any](name string, items []T, next string) map[string]any {
	var cursor *string
	if next != "" {
		cursor = &next
	}
	if items == nil {
		items = []T{}
	}
	return map[string]any{name: items, "cursor": cursor, "has_more": next != ""}
}
