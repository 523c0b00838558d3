package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookstream-go/hookstream/store"
)

// The REST layer is the rest*.go files; the Go API beside them knows
// nothing of HTTP:
//
//	rest.go            the handler: routing, authentication, errors on the wire
//	rest_routes.go     the route table
//	rest_request.go    reading bodies and queries
//	rest_resources.go  sources, destinations, connections, environments, keys
//	rest_topics.go     topics, subscriptions, publish
//	rest_events.go     ingest, events, delivery attempts, circuits
//	rest_feed.go       the live feed (GET /v1/ws)
//	rest_metrics.go    metrics
//	rest_wire.go       the wire forms of resources (spec §2)
//	openapi*.go        the OpenAPI document, generated from the above

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
	// tokenQuery endpoints also take the API key in the token query
	// parameter (the live feed: browsers cannot set a WebSocket's headers).
	tokenQuery bool
	handle     func(w http.ResponseWriter, req *http.Request) error
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
	"replay": {"Replay job", prefixReplay},
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
				r.writeError(w, req, reqID, errors.New("panic"))
			}
		}()
		if e.tokenQuery {
			req = withQueryToken(req)
		}
		if !e.public {
			ctx, err := r.authenticate(req)
			if err != nil {
				r.writeError(w, req, reqID, err)
				return
			}
			req = req.WithContext(ctx)
		}
		if err := canonicalPathIDs(e, req); err != nil {
			r.writeError(w, req, reqID, err)
			return
		}
		if err := e.handle(w, req); err != nil {
			if errors.Is(err, store.ErrInvalidCursor) {
				err = errInvalidCursor
			}
			r.writeError(w, req, reqID, err)
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

// writeError renders err with its status; errors of unknown kinds (a
// failing store, mostly) become a generic 500 whose detail goes only to
// the log, rate-limited per route: a failing endpoint does not hide
// another's failures.
func (r *Router) writeError(w http.ResponseWriter, req *http.Request, reqID string, err error) {
	status, msg := errorStatus(err)
	body := errorBody{Error: msg, Status: status, RequestID: reqID}
	if status == http.StatusInternalServerError {
		r.errors.errorOfKind("internal error: "+req.Pattern, "hookstream: internal error",
			"request_id", reqID, "route", req.Pattern, "error", err)
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
	case errTooManyRequests:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

var (
	errUnsupportedMedia = errors.New("unsupported media type")
	errBadRequest       = errors.New("bad request")
	errTooManyRequests  = errors.New("too many requests")
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// compactJSON returns raw compacted, or raw itself when it is not JSON.
func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
