package hookstream

import (
	"net/http"
)

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

func apiSourceTemplates(w http.ResponseWriter, req *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"templates": SourceTemplates()})
	return nil
}

func (r *Router) apiTestConnection(w http.ResponseWriter, req *http.Request) error {
	var p TestParams
	ctx, err := r.decodeBody(w, req, &p, connectionJSONColumns...)
	if err != nil {
		return err
	}
	res, err := r.TestConnection(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (r *Router) apiTestSource(w http.ResponseWriter, req *http.Request) error {
	var p TestParams
	ctx, err := r.decodeBody(w, req, &p)
	if err != nil {
		return err
	}
	res, err := r.TestSource(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
