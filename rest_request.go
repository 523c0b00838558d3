package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

// queryTime reads an RFC 3339 query parameter (zero when absent).
func queryTime(req *http.Request, name string) (time.Time, error) {
	v := req.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' must be an RFC 3339 time", name))
	}
	return t, nil
}
