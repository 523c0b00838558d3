package hookstream

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// openAPIOperation is what the OpenAPI document says of an operation
// beyond its apiDoc (summary, request and response types).
type openAPIOperation struct {
	// id is the operationId; tag groups the operation.
	id, tag string
	// description adds to the summary.
	description string
	// body names the request body's schema, for a params type.
	body string
	// query lists the query parameters besides org_id and env_id, which
	// every authenticated operation takes.
	query []schema
	// rawBody is the request body of ingest and publish, which read the
	// body as it is.
	rawBody schema
	// errors are error statuses beyond those the operation's shape implies
	// (see errorStatuses).
	errors []int
}

// Tags of the document, in its order.
const (
	tagIngest       = "Ingest"
	tagSources      = "Sources"
	tagDestinations = "Destinations"
	tagConnections  = "Connections"
	tagEvents       = "Events"
	tagAttempts     = "Delivery attempts"
	tagTopics       = "Topics"
	tagEnvironments = "Environments"
	tagAPIKeys      = "API keys"
	tagMetrics      = "Metrics"
	tagReplay       = "Replay"
	tagHealth       = "Health"
	tagFeed         = "Live feed"
)

// openAPITags describes the tags.
func openAPITags() []any {
	tags := []struct{ name, description string }{
		{tagIngest, "Webhooks in: every method a provider may use, no API key. A 200 means the event is stored and will be delivered at least once."},
		{tagSources, "Webhook receivers: verification, deduplication, IP lists, JSON Schema validation."},
		{tagDestinations, "Delivery targets with their retry policy and circuit breaker."},
		{tagConnections, "Routes from a source to a destination, with filter rules and a JSONata transform."},
		{tagEvents, "Received webhooks and published messages."},
		{tagAttempts, "The record of every delivery attempt; dead letters have is_dlq 1."},
		{tagTopics, "Publish/subscribe fan-out: topics, their subscriptions, publishing."},
		{tagEnvironments, "The environments of the organization (org keys manage them)."},
		{tagAPIKeys, "API keys of the organization's environments."},
		{tagFeed, "Events and delivery attempts as they happen, over a WebSocket."},
		{tagMetrics, "Event volume, delivery outcomes and latency, read from hourly rollups the store keeps as it writes."},
		{tagReplay, "Replay jobs: a time range's events sent again to a destination, throttled, without retries."},
		{tagHealth, "Liveness and this document."},
	}
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = schema{"name": t.name, "description": t.description}
	}
	return out
}

// operationDocs documents every operation of endpoints, by "METHOD
// path" (ingest, routed for any method, by each method it accepts).
func operationDocs() map[string]openAPIOperation {
	conflict := []int{http.StatusConflict}
	ops := map[string]openAPIOperation{
		"GET /v1/health":       {id: "getHealth", tag: tagHealth},
		"GET /v1/openapi.json": {id: "getOpenApiDocument", tag: tagHealth},

		"GET /v1/sources":           {id: "listSources", tag: tagSources, query: listQuery(DefaultPageLimit)},
		"POST /v1/sources":          {id: "createSource", tag: tagSources, body: "SourceCreate", errors: conflict},
		"GET /v1/sources/templates": {id: "listSourceTemplates", tag: tagSources},
		"GET /v1/sources/{id}":      {id: "getSource", tag: tagSources},
		"PATCH /v1/sources/{id}":    {id: "updateSource", tag: tagSources, body: "SourceUpdate", errors: conflict},
		"DELETE /v1/sources/{id}": {id: "deleteSource", tag: tagSources, errors: conflict,
			description: "Refused with 409 while connections use the source: delete them first."},
		"POST /v1/sources/{id}/test": {id: "testSource", tag: tagSources, body: "TestEvent",
			description: "Runs a sample event through every connection of the source; nothing is stored or delivered."},

		"GET /v1/destinations":                     {id: "listDestinations", tag: tagDestinations, query: listQuery(DefaultPageLimit)},
		"POST /v1/destinations":                    {id: "createDestination", tag: tagDestinations, body: "DestinationCreate", errors: conflict},
		"GET /v1/destinations/{id}":                {id: "getDestination", tag: tagDestinations},
		"PATCH /v1/destinations/{id}":              {id: "updateDestination", tag: tagDestinations, body: "DestinationUpdate", errors: conflict},
		"DELETE /v1/destinations/{id}":             {id: "deleteDestination", tag: tagDestinations, errors: conflict, description: "Refused with 409 while connections or subscriptions use the destination."},
		"GET /v1/destinations/{id}/circuit":        {id: "getCircuit", tag: tagDestinations},
		"POST /v1/destinations/{id}/circuit/reset": {id: "resetCircuit", tag: tagDestinations, description: "Closes the circuit: held deliveries are attempted at once."},

		"GET /v1/connections": {id: "listConnections", tag: tagConnections, query: append(listQuery(DefaultPageLimit),
			queryString("source_id", "Only the connections of this source (its ID)."),
			queryString("destination_id", "Only the connections to this destination (its ID)."))},
		"POST /v1/connections":           {id: "createConnection", tag: tagConnections, body: "ConnectionCreate"},
		"GET /v1/connections/{id}":       {id: "getConnection", tag: tagConnections},
		"PATCH /v1/connections/{id}":     {id: "updateConnection", tag: tagConnections, body: "ConnectionUpdate", description: "source_id and destination_id cannot change. Resuming a paused connection releases the deliveries it held."},
		"DELETE /v1/connections/{id}":    {id: "deleteConnection", tag: tagConnections, description: "Deliveries the connection queued are still made."},
		"POST /v1/connections/{id}/test": {id: "testConnection", tag: tagConnections, body: "TestEvent", description: "Runs a sample event through the connection's rules and transform; nothing is stored or delivered."},

		"GET /v1/events": {id: "listEvents", tag: tagEvents, description: "Newest first, without headers and payload.", query: []schema{
			queryString("source_id", "Only the events of this source (its ID)."),
			queryEnum("status", "Only the events in this state.", enumOf[EventStatus]()),
			queryEnum("dedup_status", "Only unique or duplicate events.", enumOf[DedupStatus]()),
			queryEnum("verification_status", "Only the events with this verification outcome.", enumOf[VerificationStatus]()),
			queryEnum("method", "Only the events received with this HTTP method.", enum(ingestMethods...)),
			queryString("topic", "Only the events published to the topic with this slug."),
			queryString("search", "Only the events whose body contains this text."),
			timeParam("after", "Only the events received after this time (exclusive)."),
			timeParam("before", "Only the events received before this time (exclusive)."),
			cursorParam(),
			limitParam(50),
		}},
		"GET /v1/events/{id}":        {id: "getEvent", tag: tagEvents},
		"POST /v1/events/{id}/retry": {id: "retryEvent", tag: tagEvents, description: "Attempts every delivery of the event again at once (trigger manual), with the current transform."},

		"GET /v1/delivery-attempts": {id: "listDeliveryAttempts", tag: tagAttempts, description: "Newest first, with offset pagination.", query: []schema{
			queryString("event_id", "Only the attempts of this event."),
			queryString("connection_id", "Only the attempts of this connection."),
			queryString("destination_id", "Only the attempts to this destination."),
			queryEnum("status", "Only the attempts with this outcome.", enumOf[AttemptStatus]()),
			queryParam("is_dlq", "1 (or true): only dead letters; 0, false or absent: every attempt.",
				schema{"type": []any{"integer", "boolean"}, "enum": []any{0, 1, false, true}}),
			limitParam(50),
			queryParam("offset", "How many attempts to skip.", schema{"type": "integer", "minimum": 0, "default": 0}),
		}},
		"GET /v1/delivery-attempts/{id}":        {id: "getDeliveryAttempt", tag: tagAttempts},
		"POST /v1/delivery-attempts/{id}/retry": {id: "retryDeliveryAttempt", tag: tagAttempts, description: "Makes the attempt now (trigger manual), even while the circuit is open, and answers with it."},

		"GET /v1/environments":        {id: "listEnvironments", tag: tagEnvironments, query: listQuery(DefaultPageLimit)},
		"POST /v1/environments":       {id: "createEnvironment", tag: tagEnvironments, body: "EnvironmentCreate", errors: conflict, description: "Needs an org key (403 otherwise)."},
		"GET /v1/environments/{id}":   {id: "getEnvironment", tag: tagEnvironments},
		"PATCH /v1/environments/{id}": {id: "updateEnvironment", tag: tagEnvironments, body: "EnvironmentUpdate", errors: conflict},
		"DELETE /v1/environments/{id}": {id: "deleteEnvironment", tag: tagEnvironments, errors: conflict,
			description: "Needs an org key; the environment of the calling key cannot be deleted (409)."},

		"GET /v1/auth/api-keys":         {id: "listApiKeys", tag: tagAPIKeys, query: listQuery(DefaultPageLimit), description: "The keys of the environment the request acts in (an org key may name another with env_id)."},
		"POST /v1/auth/api-keys":        {id: "createApiKey", tag: tagAPIKeys, body: "APIKeyCreate"},
		"DELETE /v1/auth/api-keys/{id}": {id: "revokeApiKey", tag: tagAPIKeys, description: "The key stops working at once."},

		"GET /v1/topics":         {id: "listTopics", tag: tagTopics, query: listQuery(DefaultPageLimit)},
		"POST /v1/topics":        {id: "createTopic", tag: tagTopics, body: "TopicCreate", errors: conflict},
		"GET /v1/topics/{id}":    {id: "getTopic", tag: tagTopics},
		"PATCH /v1/topics/{id}":  {id: "updateTopic", tag: tagTopics, body: "TopicUpdate", errors: conflict},
		"DELETE /v1/topics/{id}": {id: "deleteTopic", tag: tagTopics, errors: conflict, description: "Refused with 409 while the topic has subscriptions."},
		"POST /v1/topics/{id}/publish": {id: "publishEvent", tag: tagTopics, rawBody: publishBody(),
			description: "Stores the event and one delivery per enabled subscription whose filter matches, atomically. An unknown or inactive topic is a 404; a body that breaks the topic's schema a 422."},
		"GET /v1/topics/{id}/subscriptions":             {id: "listSubscriptions", tag: tagTopics, query: listQuery(DefaultPageLimit)},
		"POST /v1/topics/{id}/subscriptions":            {id: "createSubscription", tag: tagTopics, body: "SubscriptionCreate", errors: conflict, description: "A destination subscribed already is a 409 (Already subscribed)."},
		"PATCH /v1/topics/{id}/subscriptions/{sub_id}":  {id: "updateSubscription", tag: tagTopics, body: "SubscriptionUpdate"},
		"DELETE /v1/topics/{id}/subscriptions/{sub_id}": {id: "deleteSubscription", tag: tagTopics, description: "Deliveries the subscription queued are still made."},
		"POST /v1/topics/{id}/subscriptions/{sub_id}/test": {id: "testSubscription", tag: tagTopics, body: "TestEvent",
			description: "Runs a sample event through the subscription's rules and transform; nothing is stored or delivered."},

		"GET /v1/ws": {id: "openLiveFeed", tag: tagFeed, errors: []int{http.StatusTooManyRequests},
			query: []schema{queryParam("token", "The API key, for clients that cannot set headers (browsers); X-API-Key or Authorization: Bearer otherwise.",
				schema{"type": "string", "maxLength": maxQueryValue})},
			description: "Upgrades to a WebSocket of JSON text messages. The server sends {\"type\": \"welcome\", \"org_id\", \"env_id\"}; " +
				"the client sends {\"type\": \"subscribe\" or \"unsubscribe\", \"channel\"} and is answered {\"type\": \"subscribed\" or \"unsubscribed\", \"channel\"} " +
				"(before any message of the channel) or {\"type\": \"error\", \"channel\", \"error\"}. Channels: events, events:<source_id>, deliveries, " +
				"deliveries:<destination_id>, and the channel_name of websocket destinations. Messages: {\"type\": \"event\", \"channel\", \"data\": <EventSummary>}, " +
				"{\"type\": \"delivery\", \"channel\", \"data\": <DeliveryAttempt>}, {\"type\": \"event.delivered\", \"channel\", \"data\": {event_id, destination_id, payload}}; " +
				"a client behind its buffer gets {\"type\": \"dropped\", \"channel\", \"count\"} in place of the messages it missed. " +
				"400 without a WebSocket upgrade, 403 for a browser origin not in Config.Feed.OriginPatterns, 429 beyond the connection limits."},
	}
	maps.Copy(ops, replayOperations())
	for _, m := range ingestMethods {
		op := openAPIOperation{
			id: "ingest" + m[:1] + strings.ToLower(m[1:]), tag: tagIngest,
			description: "Checks in order: unknown source 404, disabled source or blocked IP 403, body size 413, signature 401 (nothing stored), " +
				"JSON Schema 422 (with validation_errors; warn stores the event as schema_invalid), dedup (a duplicate is stored and answered 200, not delivered). " +
				"The query string and headers are stored with the event.",
			errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
		}
		if m != http.MethodGet {
			op.rawBody = ingestBody()
		}
		ops[m+" /v1/ingest/{source_id}"] = op
	}
	maps.Copy(ops, metricsOperations())
	return ops
}

// ingestMethods are the methods ingest accepts.
var ingestMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// ingestBody is a webhook's body: anything, stored as it is.
func ingestBody() schema {
	return schema{
		"description": "The webhook, stored as it is (at most Config.MaxBodyBytes, 1 MiB by default). JSON bodies are parsed for filters and transforms, " +
			"form-encoded ones into an object; any other body is stored and delivered unchanged.",
		"content": schema{
			"application/json":                  schema{"schema": schema{"description": "Any JSON value."}},
			"application/x-www-form-urlencoded": schema{"schema": schema{"type": "object", "additionalProperties": schema{"type": "string"}}},
			"text/plain":                        schema{"schema": str()},
			"application/octet-stream":          schema{"schema": schema{"type": "string", "contentMediaType": "application/octet-stream"}},
			"*/*":                               schema{"schema": schema{"description": "Any body."}},
		},
	}
}

// publishBody is a published event: any JSON value.
func publishBody() schema {
	return schema{
		"required":    true,
		"description": "The event: any JSON value (at most Config.MaxBodyBytes), checked against the topic's schema when it has one.",
		"content":     schema{"application/json": schema{"schema": schema{"description": "Any JSON value."}}},
	}
}

// errorStatuses lists the error statuses an operation can answer with,
// from its shape and its extra errors.
func errorStatuses(e endpoint, doc apiDoc, op openAPIOperation) []int {
	var codes []int
	if !e.public {
		// A query value over its limit, a key, a tenant it cannot act for,
		// or an environment its organization lacks.
		codes = append(codes, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound)
	}
	if strings.Contains(e.path, "{") {
		codes = append(codes, http.StatusNotFound)
	}
	if doc.request != nil {
		codes = append(codes, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if op.rawBody != nil {
		codes = append(codes, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
	}
	codes = append(codes, op.errors...)
	slices.Sort(codes)
	return slices.Compact(codes)
}

// errorDescriptions describes each error status the document uses, with
// the name of its component.
var errorDescriptions = map[int][2]string{
	http.StatusBadRequest:            {"BadRequest", "Invalid body, field or query value: the message names it (Invalid body: 'slug' must match pattern ^[a-z0-9-]+$)."},
	http.StatusUnauthorized:          {"Unauthorized", "Missing or invalid API key (at ingest: the signature does not verify; nothing is stored)."},
	http.StatusForbidden:             {"Forbidden", "The key cannot act for the organization or environment the request names, or needs the org scope (at ingest: the source is disabled or the IP is blocked)."},
	http.StatusNotFound:              {"NotFound", "No such resource in the environment the request acts in (another tenant's resources do not exist), or no such environment."},
	http.StatusConflict:              {"Conflict", "Conflicts with the current state: the slug exists already, the resource is still in use, or the destination is subscribed already."},
	http.StatusRequestEntityTooLarge: {"ContentTooLarge", "The body is over the limit (Config.MaxRequestBytes for management requests, Config.MaxBodyBytes for ingest and publish; 1 MiB by default)."},
	http.StatusUnsupportedMediaType:  {"UnsupportedMediaType", "The body is not JSON (Content-Type must be application/json)."},
	http.StatusUnprocessableEntity:   {"UnprocessableContent", "The body does not match the source's or topic's JSON Schema; validation_errors lists the violations."},
	http.StatusTooManyRequests:       {"TooManyRequests", "Over a limit of open connections (the live feed's Config.Feed.MaxConnections and MaxConnectionsPerKey)."},
	http.StatusInternalServerError:   {"InternalError", "An unexpected error; the detail goes only to the server's log."},
}

// pathIDKinds names, by the path segment before it, what a path parameter
// identifies and the prefix of its IDs.
var pathIDKinds = map[string][2]string{
	"sources": {"source", prefixSource}, "ingest": {"source", prefixSource}, "destinations": {"destination", prefixDestination},
	"connections": {"connection", prefixConnection}, "events": {"event", prefixEvent}, "delivery-attempts": {"delivery attempt", prefixAttempt},
	"topics": {"topic", prefixTopic}, "subscriptions": {"subscription", prefixSubscription}, "environments": {"environment", prefixEnvironment},
	"api-keys": {"API key", prefixAPIKey}, "replay": {"replay job", prefixReplay},
}

// pathParameters documents the path parameters of a path: every ID takes
// the prefixed form or the same ID without its prefix; a topic's, its slug
// too.
func pathParameters(path string) []any {
	var out []any
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		kind := pathIDKinds[segs[i-1]]
		desc := "The " + kind[0] + "'s ID (" + kind[1] + "…), or the same ID without its prefix (its hex digits alone)"
		if kind[1] == prefixTopic {
			desc += ", or the topic's slug"
		}
		example := kind[1] + "0f8e4f1f6c2b4a7d9e3c5b1a2d4f6e8a"
		if kind[1] == prefixAPIKey {
			example = kind[1] + "9e3c5b1a2d4f6e8a" // API keys' IDs have 16 hex digits
		}
		out = append(out, schema{
			"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "description": desc + ".",
			"schema": schema{"type": "string", "maxLength": maxPathID, "pattern": "^[A-Za-z0-9_-]+$", "examples": []any{example}},
		})
	}
	return out
}

// queryParam is an optional query parameter.
func queryParam(name, description string, s schema) schema {
	return schema{"name": name, "in": "query", "description": description, "schema": s}
}

// queryString is a free-form query parameter.
func queryString(name, description string) schema {
	return queryParam(name, description, schema{"type": "string", "maxLength": maxQueryValue})
}

// queryEnum is a query parameter taking one of values.
func queryEnum(name, description string, values []any) schema {
	return queryParam(name, description, schema{"type": "string", "enum": values})
}

// timeParam is a time query parameter.
func timeParam(name, description string) schema {
	return queryParam(name, description+" RFC 3339, any precision.", schema{"type": "string", "format": "date-time"})
}

// listQuery are the query parameters of a cursor-paginated list.
func listQuery(def int) []schema { return []schema{cursorParam(), limitParam(def)} }

func cursorParam() schema {
	return queryParam("cursor", "The cursor of the previous page (its cursor or pagination.next_cursor); opaque.",
		schema{"type": "string", "maxLength": maxQueryValue})
}

func limitParam(def int) schema {
	return queryParam("limit", "The page size; 0 means the default, values over the maximum are treated as it.",
		schema{"type": "integer", "minimum": 0, "maximum": MaxPageLimit, "default": def})
}

// tenantQuery are the query parameters of every authenticated operation.
func tenantQuery() []any {
	return []any{
		queryString("org_id", tenantDescription("org_id")),
		queryString("env_id", tenantDescription("env_id")),
	}
}
