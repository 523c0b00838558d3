package hookstream

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The OpenAPI 3.1 document of the REST API, generated from the routed
// endpoints (endpoints), what apiDocs and operationDocs say of each, and
// the Go types the handlers decode and write (openapi_schemas.go), so it
// cannot drift from them: tests check that every endpoint is documented,
// that the seeds' and the README's request bodies validate against their
// request schemas, that real and golden responses validate against their
// response schemas, and that every documented enum value is one the server
// accepts.
//
// openAPIDocument builds the document with every named schema, response
// and header inline, marked with componentKey; the served form (GET
// /v1/openapi.json) defines each once under components and references it
// with $ref.

// apiDoc documents one endpoint.
type apiDoc struct {
	summary string
	// request is a zero value of the request body type, or nil.
	request any
	// required lists the request body fields a client must send (none
	// for updates: they change only what they name).
	required []string
	// status and response describe the success answer.
	status   int
	response schema
}

// schema is a JSON Schema object (or another object of the document).
type schema = map[string]any

// props are the properties of an object schema.
type props = map[string]schema

// apiDocs maps "METHOD /path" to its documentation.
func apiDocs() map[string]apiDoc {
	d := map[string]apiDoc{
		"GET /v1/health": {summary: "Health check", status: 200,
			response: named(object(props{"status": merge(str(), schema{"enum": enum("ok")}), "version": str()}), "schemas", "Health")},
		"GET /v1/openapi.json": {summary: "This OpenAPI document", status: 200,
			response: schema{"type": "object", "description": "An OpenAPI 3.1 document."}},
		" /v1/ingest/{source_id}": {summary: "Receive a webhook", status: 200, response: typeSchema(reflect.TypeFor[IngestResult]())},
		"GET /v1/sources/templates": {summary: "List source templates", status: 200,
			response: object(props{"templates": array(typeSchema(reflect.TypeFor[templateDoc]()))})},
		"GET /v1/destinations/{id}/circuit":        {summary: "Get a destination's circuit breaker", status: 200, response: one("circuit", wireCircuit{})},
		"POST /v1/destinations/{id}/circuit/reset": {summary: "Close a destination's circuit breaker", status: 200, response: one("circuit", wireCircuit{})},
		"GET /v1/events": {summary: "List events", status: 200, response: object(props{
			"events":     array(typeSchema(reflect.TypeFor[wireEventSummary]())),
			"pagination": object(props{"total": integer(), "limit": integer(), "has_more": boolean(), "next_cursor": nullable(str())}),
		})},
		"GET /v1/events/{id}": {summary: "Get an event", status: 200, response: one("event", wireEvent{})},
		"POST /v1/events/{id}/retry": {summary: "Retry every delivery of an event", status: 200, response: object(props{
			"retried": array(typeSchema(reflect.TypeFor[wireAttempt]())), "errors": array(str()), "message": str(),
		})},
		"GET /v1/delivery-attempts": {summary: "List delivery attempts", status: 200, response: object(props{
			"delivery_attempts": array(typeSchema(reflect.TypeFor[wireAttempt]())),
			"pagination":        object(props{"total": integer(), "limit": integer(), "offset": integer(), "has_more": boolean()}),
		})},
		"GET /v1/delivery-attempts/{id}":        {summary: "Get a delivery attempt", status: 200, response: one("delivery_attempt", wireAttempt{})},
		"POST /v1/delivery-attempts/{id}/retry": {summary: "Retry a delivery now", status: 200, response: one("delivery_attempt", wireAttempt{})},
		"GET /v1/auth/api-keys":                 {summary: "List API keys", status: 200, response: list("api_keys", wireAPIKey{})},
		"POST /v1/auth/api-keys": {summary: "Create an API key (the key is shown only in this answer)", request: APIKeyParams{},
			required: []string{"name"}, status: 201, response: createdKeySchema()},
		"DELETE /v1/auth/api-keys/{id}": {summary: "Revoke an API key", status: 200, response: successDoc()},
		"POST /v1/connections/{id}/test": {summary: "Dry-run a sample event through a connection", request: TestParams{},
			required: []string{"payload"}, status: 200, response: typeSchema(reflect.TypeFor[RouteTest]())},
		"POST /v1/sources/{id}/test": {summary: "Dry-run a sample event through every connection of a source", request: TestParams{},
			required: []string{"payload"}, status: 200, response: typeSchema(reflect.TypeFor[SourceTest]())},
		"GET /v1/ws": {summary: "Open the live feed (WebSocket)", status: http.StatusSwitchingProtocols},
	}
	crud := []struct {
		path, one, many string
		wire, params    any
		required        []string
	}{
		{"/v1/sources", "source", "sources", wireSource{}, SourceParams{}, []string{"name"}},
		{"/v1/destinations", "destination", "destinations", wireDestination{}, DestinationParams{}, []string{"name"}},
		{"/v1/connections", "connection", "connections", wireConnection{}, ConnectionParams{}, []string{"source_id", "destination_id", "name"}},
		{"/v1/environments", "environment", "environments", wireEnvironment{}, EnvironmentParams{}, []string{"name"}},
	}
	for _, c := range crud {
		d["GET "+c.path] = apiDoc{summary: "List " + c.many, status: 200, response: list(c.many, c.wire)}
		d["POST "+c.path] = apiDoc{summary: "Create a " + c.one, request: c.params, required: c.required, status: 201, response: one(c.one, c.wire)}
		d["GET "+c.path+"/{id}"] = apiDoc{summary: "Get a " + c.one, status: 200, response: one(c.one, c.wire)}
		d["PATCH "+c.path+"/{id}"] = apiDoc{summary: "Update a " + c.one, request: c.params, status: 200, response: one(c.one, c.wire)}
		d["DELETE "+c.path+"/{id}"] = apiDoc{summary: "Delete a " + c.one, status: 200, response: successDoc()}
	}
	maps.Copy(d, topicDocs())
	maps.Copy(d, metricsDocs())
	maps.Copy(d, replayDocs())
	return d
}

// templateDoc is the wire form of a source template.
type templateDoc struct {
	Name               string  `json:"name"`
	DisplayName        string  `json:"display_name"`
	VerificationType   *string `json:"verification_type"`
	VerificationHeader *string `json:"verification_header"`
	SecretHint         string  `json:"secret_hint"`
	Description        string  `json:"description"`
}

func str() schema            { return schema{"type": "string"} }
func integer() schema        { return schema{"type": "integer"} }
func boolean() schema        { return schema{"type": "boolean"} }
func array(of schema) schema { return schema{"type": "array", "items": of} }

// object is an object schema whose properties are all required: the API
// always sends every field.
func object(p props) schema {
	req := make([]string, 0, len(p))
	for k := range p {
		req = append(req, k)
	}
	sort.Strings(req)
	return schema{"type": "object", "properties": p, "required": req}
}

func one(name string, wire any) schema {
	return object(props{name: typeSchema(reflect.TypeOf(wire))})
}

func list(name string, wire any) schema {
	return object(props{name: array(typeSchema(reflect.TypeOf(wire))), "cursor": nullable(str()), "has_more": boolean()})
}

func successDoc() schema {
	return named(object(props{"success": merge(boolean(), schema{"const": true})}), "schemas", "Success")
}

// createdKeySchema is a new API key: an APIKey whose key is shown.
func createdKeySchema() schema {
	s := typeSchema(reflect.TypeFor[wireAPIKey]())
	s["required"] = append(s["required"].([]string), "key")
	sort.Strings(s["required"].([]string))
	return named(s, "schemas", "APIKeyCreated")
}

// requestSchema is the schema of an endpoint's request body, named name.
func requestSchema(doc apiDoc, method, name string) schema {
	return paramsSchema(reflect.TypeOf(doc.request), name, doc.required, method == http.MethodPatch)
}

var (
	openAPIOnce sync.Once
	openAPIDoc  schema
)

// openAPIBase is the document without servers, built once: it depends on
// nothing but the code.
func openAPIBase() schema {
	openAPIOnce.Do(func() { openAPIDoc = buildOpenAPI((&Router{}).endpoints()) })
	return openAPIDoc
}

// buildOpenAPI builds the document of the given endpoints.
func buildOpenAPI(endpoints []endpoint) schema {
	docs, ops := apiDocs(), operationDocs()
	paths := schema{}
	for _, e := range endpoints {
		doc, ok := docs[e.method+" "+e.path]
		if !ok {
			continue // the consistency test fails on this
		}
		item, _ := paths[e.path].(schema)
		if item == nil {
			item = schema{}
			paths[e.path] = item
		}
		methods := []string{e.method}
		if e.method == "" {
			methods = ingestMethods
		}
		for _, m := range methods {
			if meta, ok := ops[m+" "+e.path]; ok {
				item[strings.ToLower(m)] = operation(e, m, doc, meta)
			}
		}
	}
	return schema{
		"openapi": "3.1.0",
		"info": schema{
			"title": "hookstream", "version": Version,
			"description": "Webhook gateway API, compatible with hookstream.io's /v1 API. Authenticate with X-API-Key or Authorization: Bearer. " +
				"Booleans are answered as 0/1 and JSON columns as JSON-encoded strings; every field is always present (null where empty). " +
				"Errors are {error, status, request_id} with an X-Request-Id header; a method a path does not serve is a 405 with an Allow header.",
			"license": schema{"name": "MIT", "identifier": "MIT"},
		},
		"tags":  openAPITags(),
		"paths": paths,
		"components": schema{"securitySchemes": schema{
			"apiKey": schema{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			"bearer": schema{"type": "http", "scheme": "bearer"},
			"token": schema{"type": "apiKey", "in": "query", "name": "token",
				"description": "The API key in the query, where a client cannot set headers (browsers opening GET /v1/ws)."},
		}},
		"security": []any{schema{"apiKey": []any{}}, schema{"bearer": []any{}}},
	}
}

// operation documents one method of an endpoint.
func operation(e endpoint, method string, doc apiDoc, meta openAPIOperation) schema {
	op := schema{"operationId": meta.id, "summary": doc.summary, "tags": []any{meta.tag}}
	if meta.description != "" {
		op["description"] = meta.description
	}
	params := pathParameters(e.path)
	for _, q := range meta.query {
		params = append(params, q)
	}
	if !e.public {
		params = append(params, tenantQuery()...)
	}
	if params != nil {
		op["parameters"] = params
	}
	switch {
	case meta.rawBody != nil:
		op["requestBody"] = meta.rawBody
	case doc.request != nil:
		op["requestBody"] = schema{"required": true, "content": jsonContent(requestSchema(doc, method, meta.body))}
	}
	success := schema{"description": http.StatusText(doc.status), "headers": requestIDHeader()}
	if doc.response != nil { // a 101 has no body
		success["content"] = jsonContent(doc.response)
	}
	responses := schema{itoa(doc.status): success, "default": errorResponse(http.StatusInternalServerError)}
	for _, code := range errorStatuses(e, doc, meta) {
		responses[itoa(code)] = errorResponse(code)
	}
	op["responses"] = responses
	if e.public {
		op["security"] = []any{}
	}
	if e.tokenQuery {
		op["security"] = []any{schema{"apiKey": []any{}}, schema{"bearer": []any{}}, schema{"token": []any{}}}
	}
	return op
}

func jsonContent(s schema) schema { return schema{"application/json": schema{"schema": s}} }

// errorResponse documents an error status with the envelope writeError
// writes (validation_errors comes with 422s only).
func errorResponse(status int) schema {
	d := errorDescriptions[status]
	return named(schema{"description": d[1], "headers": requestIDHeader(), "content": jsonContent(typeSchema(reflect.TypeFor[errorBody]()))},
		"responses", d[0])
}

// requestIDHeader is the header every answer carries.
func requestIDHeader() schema {
	return schema{"X-Request-Id": named(schema{"description": "The request's ID (req_…), also in error bodies.", "schema": str()}, "headers", "X-Request-Id")}
}

func itoa(n int) string { return strconv.Itoa(n) }

// openAPIDocument is the document r serves, its named parts inline.
//
// Its server is Config.BaseURL when set, else "/": a relative URL, which
// clients resolve against the address they fetched the document from. The
// embedder decides where the API is mounted, so the document cannot know
// the origin; "/" is right whenever the handler serves /v1/ at the root of
// its host (mux.Handle("/v1/", r.Handler())), and Config.BaseURL covers a
// prefix or a proxy, as it does for ingest_url.
func (r *Router) openAPIDocument() schema {
	doc := maps.Clone(openAPIBase())
	url := "/"
	if r.cfg.BaseURL != "" {
		url = strings.TrimSuffix(r.cfg.BaseURL, "/")
	}
	doc["servers"] = []any{schema{"url": url, "description": "Where the handler is mounted (Config.BaseURL, or the host serving this document)."}}
	return doc
}

// servedOpenAPI is doc as served: each part marked with componentKey
// defined once under components (at its first occurrence) and referenced
// with $ref everywhere.
func servedOpenAPI(doc schema) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	defined := map[string]map[string]any{}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x[componentKey].(string); ok {
				section, name, _ := strings.Cut(ref, "/")
				if defined[section] == nil {
					defined[section] = map[string]any{}
				}
				if _, ok := defined[section][name]; !ok {
					defined[section][name] = nil // stops a recursion
					def := maps.Clone(x)
					delete(def, componentKey)
					defined[section][name] = walk(def)
				}
				return map[string]any{"$ref": "#/components/" + ref}
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = walk(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		}
		return v
	}
	tree = walk(tree).(map[string]any)
	components := tree["components"].(map[string]any)
	for section, defs := range defined {
		components[section] = defs
	}
	return json.Marshal(tree)
}

var (
	servedMu sync.Mutex
	// servedDocs caches the served document by server URL.
	servedDocs = map[string][]byte{}
)

func (r *Router) apiOpenAPI(w http.ResponseWriter, req *http.Request) error {
	data, err := r.servedOpenAPIBytes()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
	return nil
}

// servedOpenAPIBytes is the served document of r, built once per server
// URL.
func (r *Router) servedOpenAPIBytes() ([]byte, error) {
	servedMu.Lock()
	defer servedMu.Unlock()
	key := r.cfg.BaseURL
	if data, ok := servedDocs[key]; ok {
		return data, nil
	}
	data, err := servedOpenAPI(r.openAPIDocument())
	if err != nil {
		return nil, err
	}
	servedDocs[key] = data
	return data, nil
}
