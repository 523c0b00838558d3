package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hookstream-go/hookstream/store"
)

// Handler returns an http.Handler serving hookstream's /v1 REST API. Mount
// it on your mux with mux.Handle("/v1/", r.Handler()), or under a prefix
// with http.StripPrefix (set Config.BaseURL so generated URLs carry the
// prefix). Ingest and health need no API key; every other endpoint
// authenticates with Config.Authenticator.
func (r *Router) Handler() http.Handler {
	r.handlerOnce.Do(func() { r.handler = r.newMux() })
	return r.handler
}

// endpoint is one routed operation of the REST API.
type endpoint struct {
	method, path string
	// public endpoints need no authentication.
	public bool
	handle func(w http.ResponseWriter, req *http.Request) error
}

// newMux routes every endpoint, and answers a wrong method with 405 (and
// an Allow header) and an unknown path with 404, both as JSON errors.
func (r *Router) newMux() http.Handler {
	mux := http.NewServeMux()
	for _, e := range r.endpoints() {
		pattern := e.path // any method: the endpoint checks it
		if e.method != "" {
			pattern = e.method + " " + e.path
		}
		mux.Handle(pattern, r.wrap(e))
	}
	notFound := r.wrap(endpoint{public: true, handle: func(w http.ResponseWriter, req *http.Request) error {
		if allow := allowedMethods(mux, req); allow != "" {
			w.Header().Set("Allow", allow)
			return withMessage(errMethodNotAllowed, "Method not allowed")
		}
		return withMessage(ErrNotFound, "Not found")
	}})
	unrouted := r.wrap(endpoint{public: true, handle: func(w http.ResponseWriter, req *http.Request) error {
		return withMessage(ErrNotFound, "Not found")
	}})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !cleanPath(req.URL) {
			unrouted.ServeHTTP(w, req)
			return
		}
		if _, pattern := mux.Handler(req); pattern == "" {
			notFound.ServeHTTP(w, req)
			return
		}
		mux.ServeHTTP(w, req)
	})
}

// cleanPath reports whether a request path is one the API routes as it
// is: no empty, "." or ".." segments, no encoded slashes. ServeMux would
// redirect the others (307); the API answers them with a JSON 404.
func cleanPath(u *url.URL) bool {
	if strings.Contains(u.Path, "//") || strings.Contains(strings.ToLower(u.RawPath), "%2f") {
		return false
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// maxPathID bounds the IDs and slugs of request paths.
const maxPathID = 128

// pathResources names the resource of a path parameter by the segment
// before it, for its 404, with the prefix of its IDs (topics take an ID or
// a slug, which the Router resolves).
var pathResources = map[string]struct{ name, prefix string }{
	"sources": {"Source", prefixSource}, "ingest": {"Source", prefixSource},
	"destinations": {"Destination", prefixDestination}, "connections": {"Connection", prefixConnection},
	"events": {"Event", prefixEvent}, "delivery-attempts": {"Delivery attempt", prefixAttempt},
	"topics": {"Topic", ""}, "subscriptions": {"Subscription", prefixSubscription},
	"environments": {"Environment", prefixEnvironment}, "api-keys": {"API key", ""},
}

// canonicalPathIDs writes the path parameters of req in their prefixed
// form (a bare 32-hex ID gets its prefix), and answers 404 for one no
// resource can have (too long, or with characters IDs and slugs never
// hold) before it reaches the store.
func canonicalPathIDs(e endpoint, req *http.Request) error {
	segs := strings.Split(e.path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}")
		res := pathResources[segs[i-1]]
		v := req.PathValue(name)
		if len(v) > maxPathID || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return withMessage(ErrNotFound, res.name+" not found")
		}
		if res.prefix != "" {
			req.SetPathValue(name, canonicalID(res.prefix, v))
		}
	}
	return nil
}

// maxQueryValue bounds each query parameter's value.
const maxQueryValue = 1024

// checkQuery refuses query values that are too long or not valid UTF-8
// without NUL.
func checkQuery(req *http.Request) error {
	for name, values := range req.URL.Query() {
		for _, v := range values {
			if len(v) > maxQueryValue {
				return withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be at most %d bytes", name, maxQueryValue))
			}
			if checkText(name, v) != nil {
				return withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be valid UTF-8 without NUL", name))
			}
		}
	}
	return nil
}

// allowedMethods lists the methods the mux routes for req's path.
func allowedMethods(mux *http.ServeMux, req *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPost, http.MethodPut} {
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

var errMethodNotAllowed = errors.New("method not allowed")

// wrap gives an endpoint its request ID, panic recovery, authentication and
// error rendering.
func (r *Router) wrap(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		reqID := newID(prefixRequest)
		w.Header().Set("X-Request-Id", reqID)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				r.log.Error("hookstream: panic in handler", "request_id", reqID, "path", req.URL.Path, "panic", fmt.Sprint(p))
				r.writeError(w, reqID, errors.New("panic"))
			}
		}()
		if !e.public {
			ctx, err := r.authenticate(req)
			if err != nil {
				r.writeError(w, reqID, err)
				return
			}
			req = req.WithContext(ctx)
		}
		if err := canonicalPathIDs(e, req); err != nil {
			r.writeError(w, reqID, err)
			return
		}
		if err := e.handle(w, req); err != nil {
			if errors.Is(err, store.ErrInvalidCursor) {
				err = errInvalidCursor
			}
			r.writeError(w, reqID, err)
		}
	})
}

// authenticate returns req's context acting as its credentials, in the
// environment its query names with org_id and env_id (its own by default).
func (r *Router) authenticate(req *http.Request) (context.Context, error) {
	c, err := r.cfg.Authenticator.Authenticate(r, req)
	if err != nil {
		return nil, err
	}
	if err := checkQuery(req); err != nil {
		return nil, err
	}
	q := req.URL.Query()
	return r.actIn(WithCredentials(req.Context(), c), q.Get("org_id"), q.Get("env_id"))
}

// errInvalidCursor answers a list request whose cursor the listing did not
// hand out.
var errInvalidCursor = withMessage(errBadRequest, "Invalid query: 'cursor' is not a cursor of this listing")

// errorBody is the JSON error envelope of spec §1.
type errorBody struct {
	Error     string `json:"error"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
	// ValidationErrors lists JSON Schema violations (422 at ingest).
	ValidationErrors []string `json:"validation_errors,omitempty"`
}

// writeError renders err with its status; errors of unknown kinds become a
// generic 500 whose detail goes only to the log.
func (r *Router) writeError(w http.ResponseWriter, reqID string, err error) {
	status, msg := errorStatus(err)
	body := errorBody{Error: msg, Status: status, RequestID: reqID}
	if status == http.StatusInternalServerError {
		r.log.Error("hookstream: internal error", "request_id", reqID, "error", err)
	}
	var se *SchemaError
	if errors.As(err, &se) {
		body.ValidationErrors = se.Errors
	}
	writeJSON(w, status, body)
}

// errorStatus is the one mapping from errors to HTTP statuses and the
// messages API clients see.
func errorStatus(err error) (int, string) {
	var (
		ve *ValidationError
		me *messageError
		se *SchemaError
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ve):
		return http.StatusBadRequest, ve.wire()
	case errors.As(err, &se):
		return http.StatusUnprocessableEntity, se.Error()
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("Body too large: the limit is %d bytes", mb.Limit)
	case errors.As(err, &me):
		return kindStatus(me.kind), me.wire
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "Not found"
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, "Conflict"
	}
	return http.StatusInternalServerError, "Internal server error"
}

func kindStatus(kind error) int {
	switch kind {
	case ErrNotFound:
		return http.StatusNotFound
	case ErrConflict:
		return http.StatusConflict
	case ErrForbidden:
		return http.StatusForbidden
	case ErrUnauthorized:
		return http.StatusUnauthorized
	case ErrTooLarge:
		return http.StatusRequestEntityTooLarge
	case errMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case errUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case errBadRequest:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

var (
	errUnsupportedMedia = errors.New("unsupported media type")
	errBadRequest       = errors.New("bad request")
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeBody reads a management request's JSON object into dst, and
// returns req's context acting in the tenant the body names with org_id and
// env_id (hookstream's examples send both; the caller's own by default).
// Fields named in jsonColumns may also be sent as JSON-encoded strings.
func (r *Router) decodeBody(w http.ResponseWriter, req *http.Request, dst any, jsonColumns ...string) (context.Context, error) {
	fields, err := r.readBody(w, req, jsonColumns)
	if err != nil {
		return nil, err
	}
	var orgID, envID string
	if err := stringField(fields, "org_id", &orgID); err != nil {
		return nil, err
	}
	if err := stringField(fields, "env_id", &envID); err != nil {
		return nil, err
	}
	ctx, err := r.actIn(req.Context(), orgID, envID)
	if err != nil {
		return nil, err
	}
	return ctx, decodeFields(fields, dst)
}

// decodeOrgBody reads the body of an organization-level request
// (environments, API keys) into dst: a body's org_id must be the caller's
// own, and env_id, where the request takes one, is dst's to interpret.
func (r *Router) decodeOrgBody(w http.ResponseWriter, req *http.Request, dst any) error {
	fields, err := r.readBody(w, req, nil)
	if err != nil {
		return err
	}
	var orgID string
	if err := stringField(fields, "org_id", &orgID); err != nil {
		return err
	}
	if _, err := r.actIn(req.Context(), orgID, ""); err != nil {
		return err
	}
	return decodeFields(fields, dst)
}

// readBody reads a management request's body as a JSON object's fields,
// turning the JSON-encoded strings of jsonColumns into their JSON values.
func (r *Router) readBody(w http.ResponseWriter, req *http.Request, jsonColumns []string) (map[string]json.RawMessage, error) {
	if ct := req.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, withMessage(errUnsupportedMedia, "Content-Type must be application/json")
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.cfg.MaxRequestBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		return nil, withMessage(errBadRequest, "Invalid body: could not read it")
	}
	if jsonDepth(data) > maxRequestDepth {
		return nil, withMessage(errBadRequest, fmt.Sprintf("Invalid JSON body: nested deeper than %d levels", maxRequestDepth))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, withMessage(errBadRequest, "Invalid JSON body: expected a JSON object")
	}
	for name, raw := range fields {
		if name == "payload" {
			continue // a dry run's sample event: any JSON
		}
		if err := checkRawText(name, raw); err != nil {
			return nil, err
		}
	}
	for _, name := range jsonColumns {
		raw, ok := fields[name]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || !json.Valid([]byte(s)) {
			return nil, invalid(name, "must be JSON")
		}
		fields[name] = json.RawMessage(s)
	}
	return fields, nil
}

// stringField reads the optional string field name of a body; null reads
// as absent.
func stringField(fields map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return nil
	}
	if json.Unmarshal(raw, dst) != nil {
		return invalid(name, "must be a string")
	}
	return nil
}

// decodeFields decodes a body's fields into dst.
func decodeFields(fields map[string]json.RawMessage, dst any) error {
	normalized, err := json.Marshal(fields)
	if err != nil {
		return withMessage(errBadRequest, "Invalid JSON body")
	}
	return decodeStrict(normalized, dst)
}

// maxRequestDepth bounds the nesting of management request bodies: no
// configuration needs more, and deeply nested JSON Schemas take time
// quadratic in their depth to compile (3000 levels, 30 KB: 30 s).
const maxRequestDepth = 128

// jsonDepth returns the deepest nesting of arrays and objects in data,
// which need not be valid JSON.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
	}
	return deepest
}

// decodeStrict decodes JSON into dst, turning type errors into validation
// errors that name the field.
func decodeStrict(data []byte, dst any) error {
	err := json.Unmarshal(data, dst)
	var te *json.UnmarshalTypeError
	var ve *ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, "must be %s", jsonTypeName(te.Type.Kind().String()))
	}
	return withMessage(errBadRequest, "Invalid JSON body")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// queryInt reads an integer query parameter, def when absent.
func queryInt(req *http.Request, name string, def int) (int, error) {
	v := req.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be a non-negative integer", name))
	}
	return n, nil
}

// queryEnums checks that each named query parameter, when present, is one
// of its allowed values.
func queryEnums(req *http.Request, allowed map[string][]string) error {
	q := req.URL.Query()
	for name, values := range allowed {
		if v := q.Get(name); v != "" && !slices.Contains(values, v) {
			return withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be one of %s", name, strings.Join(values, ", ")))
		}
	}
	return nil
}

// listParams reads cursor and limit.
func listParams(req *http.Request) (ListParams, error) {
	limit, err := queryInt(req, "limit", DefaultPageLimit)
	if err != nil {
		return ListParams{}, err
	}
	if limit == 0 {
		limit = DefaultPageLimit
	}
	return ListParams{Cursor: req.URL.Query().Get("cursor"), Limit: min(limit, MaxPageLimit)}, nil
}

// baseURL is the public base URL for generated URLs.
func (r *Router) baseURL(req *http.Request) string {
	if r.cfg.BaseURL != "" {
		return strings.TrimSuffix(r.cfg.BaseURL, "/")
	}
	if req == nil || req.Host == "" {
		return "http://localhost"
	}
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host
}

// compactJSON returns raw compacted, or raw itself when it is not JSON.
func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
