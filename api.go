package hookstream

import (
	"net/http"
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
	}, r.topicEndpoints()...)
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

func (r *Router) apiListSources(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListSources(req.Context(), p)
	if err != nil {
		return err
	}
	base := r.baseURL(req)
	items := make([]wireSource, len(page.Items))
	for i, s := range page.Items {
		items[i] = toWireSource(s, base)
	}
	writeJSON(w, http.StatusOK, listBody("sources", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateSource(w http.ResponseWriter, req *http.Request) error {
	var p SourceParams
	ctx, err := r.decodeBody(w, req, &p, sourceJSONColumns...)
	if err != nil {
		return err
	}
	s, err := r.CreateSource(ctx, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"source": toWireSource(s, r.baseURL(req))})
	return nil
}

func (r *Router) apiGetSource(w http.ResponseWriter, req *http.Request) error {
	s, err := r.GetSource(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": toWireSource(s, r.baseURL(req))})
	return nil
}

func (r *Router) apiUpdateSource(w http.ResponseWriter, req *http.Request) error {
	var p SourceParams
	ctx, err := r.decodeBody(w, req, &p, sourceJSONColumns...)
	if err != nil {
		return err
	}
	s, err := r.UpdateSource(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": toWireSource(s, r.baseURL(req))})
	return nil
}

func (r *Router) apiDeleteSource(w http.ResponseWriter, req *http.Request) error {
	if err := r.DeleteSource(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

func (r *Router) apiListDestinations(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListDestinations(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireDestination, len(page.Items))
	for i, d := range page.Items {
		items[i] = toWireDestination(d)
	}
	writeJSON(w, http.StatusOK, listBody("destinations", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateDestination(w http.ResponseWriter, req *http.Request) error {
	var p DestinationParams
	ctx, err := r.decodeBody(w, req, &p, destinationJSONColumns...)
	if err != nil {
		return err
	}
	d, err := r.CreateDestination(ctx, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"destination": toWireDestination(d)})
	return nil
}

func (r *Router) apiGetDestination(w http.ResponseWriter, req *http.Request) error {
	d, err := r.GetDestination(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"destination": toWireDestination(d)})
	return nil
}

func (r *Router) apiUpdateDestination(w http.ResponseWriter, req *http.Request) error {
	var p DestinationParams
	ctx, err := r.decodeBody(w, req, &p, destinationJSONColumns...)
	if err != nil {
		return err
	}
	d, err := r.UpdateDestination(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"destination": toWireDestination(d)})
	return nil
}

func (r *Router) apiDeleteDestination(w http.ResponseWriter, req *http.Request) error {
	if err := r.DeleteDestination(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

func (r *Router) apiListConnections(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	q := req.URL.Query()
	page, err := r.ListConnections(req.Context(), ListConnectionsParams{ListParams: p, SourceID: q.Get("source_id"), DestinationID: q.Get("destination_id")})
	if err != nil {
		return err
	}
	items := make([]wireConnection, len(page.Items))
	for i, c := range page.Items {
		items[i] = toWireConnection(c)
	}
	writeJSON(w, http.StatusOK, listBody("connections", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateConnection(w http.ResponseWriter, req *http.Request) error {
	var p ConnectionParams
	ctx, err := r.decodeBody(w, req, &p, connectionJSONColumns...)
	if err != nil {
		return err
	}
	c, err := r.CreateConnection(ctx, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"connection": toWireConnection(c)})
	return nil
}

func (r *Router) apiGetConnection(w http.ResponseWriter, req *http.Request) error {
	c, err := r.GetConnection(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connection": toWireConnection(c)})
	return nil
}

func (r *Router) apiUpdateConnection(w http.ResponseWriter, req *http.Request) error {
	var p ConnectionParams
	ctx, err := r.decodeBody(w, req, &p, connectionJSONColumns...)
	if err != nil {
		return err
	}
	c, err := r.UpdateConnection(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connection": toWireConnection(c)})
	return nil
}

func (r *Router) apiDeleteConnection(w http.ResponseWriter, req *http.Request) error {
	if err := r.DeleteConnection(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

func (r *Router) apiListEnvironments(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListEnvironments(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireEnvironment, len(page.Items))
	for i, e := range page.Items {
		items[i] = toWireEnvironment(e)
	}
	writeJSON(w, http.StatusOK, listBody("environments", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateEnvironment(w http.ResponseWriter, req *http.Request) error {
	var p EnvironmentParams
	if err := r.decodeOrgBody(w, req, &p); err != nil {
		return err
	}
	e, err := r.CreateEnvironment(req.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"environment": toWireEnvironment(e)})
	return nil
}

func (r *Router) apiGetEnvironment(w http.ResponseWriter, req *http.Request) error {
	e, err := r.GetEnvironment(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"environment": toWireEnvironment(e)})
	return nil
}

func (r *Router) apiUpdateEnvironment(w http.ResponseWriter, req *http.Request) error {
	var p EnvironmentParams
	if err := r.decodeOrgBody(w, req, &p); err != nil {
		return err
	}
	e, err := r.UpdateEnvironment(req.Context(), req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"environment": toWireEnvironment(e)})
	return nil
}

func (r *Router) apiDeleteEnvironment(w http.ResponseWriter, req *http.Request) error {
	if err := r.DeleteEnvironment(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

func (r *Router) apiListAPIKeys(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListAPIKeys(req.Context(), p)
	if err != nil {
		return err
	}
	items := make([]wireAPIKey, len(page.Items))
	for i, k := range page.Items {
		items[i] = toWireAPIKey(k, "")
	}
	writeJSON(w, http.StatusOK, listBody("api_keys", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateAPIKey(w http.ResponseWriter, req *http.Request) error {
	var p APIKeyParams
	if err := r.decodeOrgBody(w, req, &p); err != nil {
		return err
	}
	k, key, err := r.CreateAPIKey(req.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toWireAPIKey(k, key))
	return nil
}

func (r *Router) apiRevokeAPIKey(w http.ResponseWriter, req *http.Request) error {
	if err := r.RevokeAPIKey(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}
