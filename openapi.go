package hookstream

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The OpenAPI 3.1 document of the REST API, generated from the routed
// endpoints and the wire types the handlers write, so it cannot drift from
// them (a test checks every endpoint is documented and every documented
// field appears in real responses).

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

// schema is a JSON Schema object.
type schema = map[string]any

// docs maps "METHOD /path" to its documentation.
func apiDocs() map[string]apiDoc {
	d := map[string]apiDoc{
		"GET /v1/health":       {summary: "Health check", status: 200, response: object(props{"status": str(), "version": str()})},
		"GET /v1/openapi.json": {summary: "This OpenAPI document", status: 200, response: schema{"type": "object"}},
		" /v1/ingest/{source_id}": {summary: "Receive a webhook (GET, POST, PUT, PATCH or DELETE; no API key)", status: 200,
			response: typeSchema(reflect.TypeFor[IngestResult]())},
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
			required: []string{"name"}, status: 201, response: typeSchema(reflect.TypeFor[wireAPIKey]())},
		"DELETE /v1/auth/api-keys/{id}": {summary: "Revoke an API key", status: 200, response: successDoc()},
		"POST /v1/connections/{id}/test": {summary: "Dry-run a sample event through a connection", request: TestParams{},
			required: []string{"payload"}, status: 200, response: typeSchema(reflect.TypeFor[RouteTest]())},
		"POST /v1/sources/{id}/test": {summary: "Dry-run a sample event through every connection of a source", request: TestParams{},
			required: []string{"payload"}, status: 200, response: typeSchema(reflect.TypeFor[SourceTest]())},
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

type props = map[string]schema

func str() schema            { return schema{"type": "string"} }
func integer() schema        { return schema{"type": "integer"} }
func boolean() schema        { return schema{"type": "boolean"} }
func array(of schema) schema { return schema{"type": "array", "items": of} }
func nullable(s schema) schema {
	return schema{"type": []any{s["type"], "null"}}
}

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

func successDoc() schema { return object(props{"success": boolean()}) }

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// typeSchema derives a JSON Schema from a Go type and its json tags. Fields
// with omitempty are optional; all others are required.
func typeSchema(t reflect.Type) schema {
	if t == rawMessageType {
		return schema{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(typeSchema(t.Elem()))
	case reflect.String:
		return str()
	case reflect.Bool:
		return boolean()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return integer()
	case reflect.Float64:
		return schema{"type": "number"}
	case reflect.Slice:
		return array(typeSchema(t.Elem()))
	case reflect.Map:
		return schema{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.Interface:
		return schema{}
	case reflect.Struct:
		p := props{}
		var req []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p[name] = typeSchema(f.Type)
			if tag, ok := f.Tag.Lookup(limitTag); ok {
				documentLimit(p[name], f.Type, parseLimit(tag))
			}
			if !strings.Contains(opts, "omitempty") {
				req = append(req, name)
			}
		}
		sort.Strings(req)
		return schema{"type": "object", "properties": p, "required": req}
	}
	return schema{}
}

// documentLimit adds a field's input limit (see limits.go) to its schema.
func documentLimit(s schema, t reflect.Type, l limit) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType || t.Kind() == reflect.Interface:
		s["description"] = fmt.Sprintf("At most %d bytes of JSON.", l.max)
	case t.Kind() == reflect.String && l.idPrefix != "":
		s["pattern"] = fmt.Sprintf("^(%s_)?[0-9a-f]{32}$", l.idPrefix)
		s["maxLength"] = len(l.idPrefix) + 33
	case t.Kind() == reflect.String:
		s["maxLength"] = l.max
	case t.Kind() == reflect.Slice:
		s["maxItems"] = l.max
		if items, ok := s["items"].(schema); ok && l.item > 0 {
			items["maxLength"] = l.item
		}
	case t.Kind() == reflect.Map:
		s["maxProperties"] = l.max
		s["propertyNames"] = schema{"maxLength": l.key}
		if values, ok := s["additionalProperties"].(schema); ok && l.value > 0 {
			values["maxLength"] = l.value
		}
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDocument builds the document from the routed endpoints.
func (r *Router) openAPIDocument() schema {
	docs := apiDocs()
	paths := schema{}
	for _, e := range r.endpoints() {
		key := e.method + " " + e.path
		doc, ok := docs[key]
		if !ok {
			continue // the consistency test fails on this
		}
		item, _ := paths[e.path].(schema)
		if item == nil {
			item = schema{}
			paths[e.path] = item
		}
		op := schema{
			"summary":   doc.summary,
			"responses": schema{itoa(doc.status): schema{"description": "Success", "content": jsonContent(doc.response)}, "default": errorResponse()},
		}
		if e.public {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(e.path, -1) {
			params = append(params, schema{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		if params != nil {
			op["parameters"] = params
		}
		if doc.request != nil {
			op["requestBody"] = schema{"required": true, "content": jsonContent(requestSchema(doc))}
		}
		methods := []string{strings.ToLower(e.method)}
		if e.method == "" {
			methods = []string{"get", "post", "put", "patch", "delete"}
		}
		for _, m := range methods {
			item[m] = op
		}
	}
	return schema{
		"openapi": "3.1.0",
		"info":    schema{"title": "hookstream", "version": Version, "description": "Webhook gateway API, compatible with hookstream.io's /v1 API."},
		"paths":   paths,
		"components": schema{"securitySchemes": schema{
			"apiKey": schema{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			"bearer": schema{"type": "http", "scheme": "bearer"},
		}},
		"security": []any{schema{"apiKey": []any{}}, schema{"bearer": []any{}}},
	}
}

// requestSchema is the schema of an endpoint's request body: every field of
// its type, of which only doc.required are required (typeSchema would
// require every field without omitempty, but params structs use nil for
// "not sent").
func requestSchema(doc apiDoc) schema {
	s := typeSchema(reflect.TypeOf(doc.request))
	delete(s, "required")
	if len(doc.required) > 0 {
		req := slices.Clone(doc.required)
		sort.Strings(req)
		s["required"] = req
	}
	return s
}

func jsonContent(s schema) schema { return schema{"application/json": schema{"schema": s}} }

// errorResponse documents the error envelope, from the type writeError
// writes (validation_errors comes with 422s only).
func errorResponse() schema {
	return schema{"description": "Error", "content": jsonContent(typeSchema(reflect.TypeFor[errorBody]()))}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

func (r *Router) apiOpenAPI(w http.ResponseWriter, req *http.Request) error {
	openAPIOnce.Do(func() { openAPIJSON, _ = json.Marshal(r.openAPIDocument()) })
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIJSON)
	return nil
}
