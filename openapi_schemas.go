package hookstream

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/internal/retry"
	"github.com/hookstream-go/hookstream/internal/signature"
)

// The JSON Schemas of the OpenAPI document, derived from the Go types the
// handlers decode (params) and write (wire types) and their json and limit
// tags. A field of a typed closed set (Status, AuthType, FilterOp, …)
// documents its values as an enum (typeEnums); what a Go type cannot say —
// the values of an untyped set, other spellings the server accepts, ranges,
// defaults, the shape of a JSON column — is in fieldDocs, built from the
// constants the validation code uses. TestHandler_OpenAPIEnums checks every
// documented enum value and range against the server.

// componentKey marks a schema, response or header that the served
// document defines once under components and references with $ref. Its
// value is the section and the name, e.g. "schemas/Source".
const componentKey = "x-component"

// componentNames names the wire types whose schemas are components.
var componentNames = map[reflect.Type]string{
	reflect.TypeFor[wireSource]():       "Source",
	reflect.TypeFor[wireDestination]():  "Destination",
	reflect.TypeFor[wireConnection]():   "Connection",
	reflect.TypeFor[wireTopic]():        "Topic",
	reflect.TypeFor[wireSubscription](): "Subscription",
	reflect.TypeFor[wireEvent]():        "Event",
	reflect.TypeFor[wireEventSummary](): "EventSummary",
	reflect.TypeFor[wireAttempt]():      "DeliveryAttempt",
	reflect.TypeFor[wireEnvironment]():  "Environment",
	reflect.TypeFor[wireAPIKey]():       "APIKey",
	reflect.TypeFor[wireCircuit]():      "Circuit",
	reflect.TypeFor[wirePublish]():      "PublishResult",
	reflect.TypeFor[errorBody]():        "Error",
	reflect.TypeFor[templateDoc]():      "SourceTemplate",
	reflect.TypeFor[IngestResult]():     "IngestResult",
	reflect.TypeFor[RouteTest]():        "RouteTest",
	reflect.TypeFor[RuleResult]():       "RuleResult",
	reflect.TypeFor[SourceTest]():       "SourceTest",
	reflect.TypeFor[SourceRouteTest]():  "SourceRouteTest",
	reflect.TypeFor[wireReplayJob]():    "ReplayJob",
}

// named marks s as the component section/name.
func named(s schema, section, name string) schema {
	s[componentKey] = section + "/" + name
	return s
}

// schemaMode says which side of the API a schema describes.
type schemaMode int

const (
	// responseMode describes what the server writes: every field is
	// present, booleans are 0/1, JSON columns JSON-encoded strings.
	responseMode schemaMode = iota
	// requestMode describes what the server accepts: null for "not sent",
	// JSON columns as values or JSON-encoded strings, alternative spellings.
	requestMode
)

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// typeSchema derives the response schema of a Go type from its json tags:
// fields with omitempty are optional, all others required.
func typeSchema(t reflect.Type) schema { return goSchema(t, responseMode) }

func goSchema(t reflect.Type, mode schemaMode) schema {
	switch {
	case t == rawMessageType:
		return schema{}
	case t == reflect.TypeFor[FilterRule]():
		return filterRuleSchema()
	case t == reflect.TypeFor[time.Time]():
		return schema{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(goSchema(t.Elem(), mode))
	case reflect.String:
		if values, ok := typeEnums()[t]; ok {
			return schema{"type": "string", "enum": values}
		}
		return str()
	case reflect.Bool:
		return boolean()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return integer()
	case reflect.Float64:
		return schema{"type": "number"}
	case reflect.Slice:
		return array(goSchema(t.Elem(), mode))
	case reflect.Map:
		return schema{"type": "object", "additionalProperties": goSchema(t.Elem(), mode)}
	case reflect.Struct:
		s := structSchema(t, mode)
		if name, ok := componentNames[t]; ok {
			named(s, "schemas", name)
		}
		return s
	}
	return schema{} // interfaces: any JSON value
}

// structSchema is the object schema of a struct's json fields.
func structSchema(t reflect.Type, mode schemaMode) schema {
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
		p[name] = fieldSchema(t, f, name, mode)
		if !strings.Contains(opts, "omitempty") {
			req = append(req, name)
		}
	}
	sort.Strings(req)
	return schema{"type": "object", "properties": p, "required": req}
}

// fieldSchema is the schema of one field of struct t.
func fieldSchema(t reflect.Type, f reflect.StructField, name string, mode schemaMode) schema {
	vt := f.Type
	if jt, ok := jsonValueTypes[t][name]; ok {
		vt = jt // a JSON column whose value a Go type describes
	}
	s := goSchema(vt, mode)
	if doc, ok := documentedFields()[t][name]; ok {
		s = merge(s, doc)
	}
	if mode == requestMode {
		switch f.Type.Kind() {
		case reflect.Slice, reflect.Map, reflect.Interface:
			s = nullable(s) // null is "not sent"
		}
	}
	if tag, ok := f.Tag.Lookup(limitTag); ok {
		documentLimit(s, f.Type, parseLimit(tag))
	}
	if mode == responseMode {
		switch {
		case strings.HasSuffix(name, "_at") && isString(f.Type):
			s["format"] = "date-time"
			s["pattern"] = wireTimePattern
			s["description"] = "RFC 3339 in UTC with exactly three fractional digits, e.g. 2026-12-01T20:57:10.374Z."
		case slices.Contains(wireBooleans, name) && f.Type.Kind() == reflect.Int:
			s["enum"] = []any{0, 1}
			s["description"] = "A boolean: 1 for true, 0 for false."
		case slices.Contains(wireJSONColumns, name) && isString(f.Type):
			s["contentMediaType"] = "application/json"
			s["description"] = "A JSON value, JSON-encoded in this string (null when empty)."
		}
	}
	if mode == requestMode && slices.Contains(requestJSONColumns[t], name) {
		s = jsonColumn(s)
	}
	return nullEnum(s)
}

// isString reports whether t is a string or a pointer to one.
func isString(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String
}

// wireTimePattern is the form of every timestamp the API writes.
const wireTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`

// wireBooleans are the response fields that are booleans sent as 0 or 1.
var wireBooleans = []string{
	"enabled", "transform_enabled", "verification_enabled", "dedup_enabled", "schema_validation_enabled",
	"retry_enabled", "circuit_breaker_enabled", "is_dlq", "response_body_truncated",
}

// wireJSONColumns are the response fields that hold JSON-encoded strings.
var wireJSONColumns = []string{
	"source_config", "verification_config", "ip_allowlist", "ip_denylist", "json_schema", "headers",
	"auth_config", "retry_intervals", "provider_config", "signing_config", "filter_rules", "schema",
	"query_params", "request_headers", "response_headers",
}

// requestJSONColumns are, per params type, the fields a request may send
// as a JSON value or as the same value JSON-encoded in a string: the lists
// the handlers give decodeBody.
var requestJSONColumns = map[reflect.Type][]string{
	reflect.TypeFor[SourceParams]():      sourceJSONColumns,
	reflect.TypeFor[DestinationParams](): destinationJSONColumns,
	reflect.TypeFor[ConnectionParams]():  connectionJSONColumns,
	reflect.TypeFor[SubscribeParams]():   {"filter_rules"},
	reflect.TypeFor[TopicParams]():       {"schema"},
}

// jsonColumn is the request schema of a JSON column whose value s
// describes: the value, the same value JSON-encoded in a string, or null.
func jsonColumn(s schema) schema {
	value := nonNull(s)
	out := schema{"anyOf": []any{
		value,
		schema{"type": "string", "contentMediaType": "application/json", "contentSchema": value,
			"description": "The same value, JSON-encoded in a string."},
		schema{"type": "null"},
	}}
	if d, ok := value["description"]; ok {
		out["description"] = d
		delete(value, "description")
	}
	return out
}

// paramsSchema is the request body schema of a params struct, named name:
// every field, of which only required are required (nil fields are "not
// sent"), plus the tenant fields the handler reads from the body. An
// update has no defaults: what it does not name keeps its value.
func paramsSchema(t reflect.Type, name string, required []string, update bool) schema {
	s := structSchema(t, requestMode)
	p := s["properties"].(props)
	for _, f := range tenantBodyFields(t) {
		if _, ok := p[f]; !ok {
			p[f] = tenantField(f)
		}
	}
	delete(s, "required")
	if len(required) > 0 {
		req := slices.Clone(required)
		sort.Strings(req)
		s["required"] = req
		for _, f := range req {
			p[f] = nonNull(p[f]) // null reads as absent
		}
	}
	// Defaults go in the descriptions: code generators (openapi-typescript)
	// make a property with a default required, and an update has none
	// (what it does not name keeps its value).
	for _, fs := range p {
		def, ok := fs["default"]
		if !ok {
			continue
		}
		delete(fs, "default")
		if !update {
			b, _ := json.Marshal(def)
			fs["description"] = strings.TrimSpace(fmt.Sprintf("%s Defaults to %s.", stringOr(fs["description"]), b))
		}
	}
	return named(s, "schemas", name)
}

// stringOr is v when it is a string, else "".
func stringOr(v any) string {
	s, _ := v.(string)
	return s
}

// tenantBodyFields are the tenant fields a request body of type t may
// name: org_id and env_id for resources (decodeBody), org_id only for
// organization-level requests (decodeOrgBody: environments, API keys).
func tenantBodyFields(t reflect.Type) []string {
	switch t {
	case reflect.TypeFor[EnvironmentParams](), reflect.TypeFor[APIKeyParams]():
		return []string{"org_id"}
	}
	return []string{"org_id", "env_id"}
}

// tenantField documents org_id or env_id in a body: a string (or null,
// read as absent) without a limit of its own, since a value that is no
// tenant the key can act for is a 403 or 404 whatever its length.
func tenantField(name string) schema {
	return schema{"anyOf": []any{str(), schema{"type": "null"}}, "description": tenantDescription(name)}
}

// tenantDescription says what org_id or env_id does.
func tenantDescription(name string) string {
	what := "organization"
	if name == "env_id" {
		what = "environment"
	}
	return "The " + what + " the request acts in; defaults to the API key's. Only an org key may act in another environment of its organization" +
		" (403 otherwise); an environment the organization does not have is a 404."
}

// nullable is s that also admits null.
func nullable(s schema) schema {
	out := maps.Clone(s)
	switch t := s["type"].(type) {
	case string:
		out["type"] = []any{t, "null"}
	case []any:
		if !slices.Contains(t, "null") {
			out["type"] = append(slices.Clone(t), "null")
		}
	case nil:
		if len(s) == 0 {
			return s // any value, null included
		}
		return schema{"anyOf": []any{s, schema{"type": "null"}}}
	}
	return nullEnum(out)
}

// nonNull is s without null.
func nonNull(s schema) schema {
	out := maps.Clone(s)
	if t, ok := s["type"].([]any); ok {
		t = slices.DeleteFunc(slices.Clone(t), func(v any) bool { return v == "null" })
		if len(t) == 1 {
			out["type"] = t[0]
		} else {
			out["type"] = t
		}
	}
	if e, ok := s["enum"].([]any); ok {
		out["enum"] = slices.DeleteFunc(slices.Clone(e), func(v any) bool { return v == nil })
	}
	return out
}

// nullEnum adds null to the enum of a schema whose type admits null.
func nullEnum(s schema) schema {
	t, _ := s["type"].([]any)
	if e, ok := s["enum"].([]any); ok && slices.Contains(t, "null") && !slices.Contains(e, nil) {
		s["enum"] = append(slices.Clone(e), nil)
	}
	return s
}

// merge returns s with (a deep copy of) doc's keywords added: doc wins.
func merge(s, doc schema) schema {
	out := maps.Clone(s)
	for k, v := range doc {
		out[k] = deepCopy(v)
	}
	return nullEnum(out)
}

// deepCopy copies the schemas and lists of a JSON value, so that a
// document's schemas never share a map that code later changes.
func deepCopy(v any) any {
	switch x := v.(type) {
	case schema:
		out := make(schema, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case props:
		out := make(props, len(x))
		for k, e := range x {
			out[k] = deepCopy(e).(schema)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// documentLimit adds a field's input limit (see limits.go) to its schema.
func documentLimit(s schema, t reflect.Type, l limit) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType || t.Kind() == reflect.Interface:
		text := fmt.Sprintf("At most %d bytes of JSON.", l.max)
		if d, ok := s["description"].(string); ok {
			text = d + " " + text
		}
		s["description"] = text
	case t.Kind() == reflect.String && l.idPrefix != "":
		// No pattern: the seeds send "string" placeholders, which the
		// server answers with a 400 naming the field.
		s["maxLength"] = len(l.idPrefix) + 33
		s["description"] = fmt.Sprintf("A %s ID: %s_ followed by 32 lowercase hex digits (or the 32 digits alone).", idPrefixes[l.idPrefix+"_"], l.idPrefix)
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

// filterRuleSchema is a filter rule as requests send it: field and op (or
// its alias operator) with the value the op needs, or an empty object,
// which is not a rule and is ignored ("filter_rules": [{}] means no
// filter). It is a union of one object per group of ops that need the same
// value, so that a typed client knows what each op takes.
func filterRuleSchema() schema {
	base := structSchema(reflect.TypeFor[FilterRule](), requestMode)["properties"].(props)
	field := merge(base["field"], schema{
		"pattern":     `^(payload|payload\..+|headers\..+|method|content_type|source_ip|topic)$`,
		"description": "payload.<dot.path> (numeric segments index arrays; a backslash escapes a literal dot), headers.<name> (case-insensitive), method, content_type, source_ip, or topic for topic events.",
	})
	limit := " At most 4096 bytes of JSON."
	groups := []struct {
		ops      []FilterOp
		value    schema
		required bool
	}{
		{[]FilterOp{OpEq, OpNeq, OpContains}, schema{"description": "Any JSON value: equal (no type coercion), or contained in a string or array field." + limit}, true},
		{[]FilterOp{OpGt, OpGte, OpLt, OpLte}, schema{"type": "number", "description": "Compared with a number field."}, true},
		{[]FilterOp{OpExists}, schema{"type": "boolean", "description": "true (the default): the field is present, even if null; false: absent."}, false},
		{[]FilterOp{OpIn}, schema{"type": "array", "description": "The values the field may equal." + limit}, true},
	}
	var rules []any
	for _, opName := range []string{"op", "operator"} {
		for _, g := range groups {
			op := merge(base["op"], schema{"enum": enum(g.ops...)})
			if opName == "operator" {
				op["description"] = "An alias of op."
			}
			required := []string{"field", opName}
			if g.required {
				required = append(required, "value")
			}
			rules = append(rules, schema{"type": "object", "properties": props{"field": field, opName: op, "value": g.value}, "required": required})
		}
	}
	empty := schema{"type": "object", "maxProperties": 0, "description": "An empty object: not a rule, ignored."}
	return named(schema{
		"description": "A rule: the field at field compared by op with value. All rules must match; op may be sent as operator.",
		"anyOf":       append(rules, empty),
	}, "schemas", "FilterRule")
}

// enum lists values for an enum keyword.
func enum[T ~string](values ...T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// spellings adds to names the spellings the server also accepts for them:
// hyphens for underscores. (Letter case is ignored too; the document lists
// the lower-case forms.)
func spellings(names []any, extra ...any) []any {
	out := slices.Clone(names)
	for _, n := range names {
		if h := strings.ReplaceAll(n.(string), "_", "-"); h != n {
			out = append(out, h)
		}
	}
	return append(out, extra...)
}

// templateNames are the names of the source templates.
func templateNames() []any {
	var out []any
	for _, t := range SourceTemplates() {
		out = append(out, t.Name)
	}
	return out
}

// typeEnums are the values of the Go API's typed closed sets: a field of
// one of these types documents them as its enum.
var typeEnums = sync.OnceValue(func() map[reflect.Type][]any {
	return map[reflect.Type][]any{
		reflect.TypeFor[Status]():             enum(StatusActive, StatusPaused, StatusDisabled),
		reflect.TypeFor[TopicStatus]():        enum(TopicActive, TopicInactive),
		reflect.TypeFor[EventStatus]():        enum(EventReceived, EventProcessing, EventDelivered, EventFailed),
		reflect.TypeFor[DedupStatus]():        enum(DedupUnique, DedupDuplicate),
		reflect.TypeFor[VerificationStatus](): enum(VerificationUnverified, VerificationVerified, VerificationSchemaInvalid),
		reflect.TypeFor[AttemptStatus]():      enum(AttemptPending, AttemptSuccess, AttemptFailed),
		reflect.TypeFor[Trigger]():            enum(TriggerInitial, TriggerRetry, TriggerManual, TriggerReplay),
		reflect.TypeFor[CircuitState]():       enum(CircuitClosed, CircuitOpen, CircuitHalfOpen),
		reflect.TypeFor[ReplayStatus]():       enum(ReplayRunning, ReplayCompleted, ReplayFailed, ReplayCancelled),
		reflect.TypeFor[VerificationType]():   enum(VerificationHMACSHA256, VerificationHMACSHA1, VerificationStandardWebhooks),
		reflect.TypeFor[DedupStrategy]():      enum(DedupPayloadHash, DedupHeaderField, DedupBodyField),
		reflect.TypeFor[SchemaAction]():       enum(SchemaReject, SchemaWarn),
		reflect.TypeFor[AuthType]():           enum(AuthNone, AuthBearer, AuthBasic, AuthAPIKey),
		reflect.TypeFor[BackoffType]():        enum(BackoffExponential, BackoffLinear, BackoffFixed),
		reflect.TypeFor[FilterOp]():           enum(OpEq, OpNeq, OpContains, OpGt, OpGte, OpLt, OpLte, OpExists, OpIn),
		reflect.TypeFor[Granularity]():        enum(GranularityHour, GranularityDay),
	}
})

// enumOf is the enum of a typed closed set, T.
func enumOf[T any]() []any { return typeEnums()[reflect.TypeFor[T]()] }

// fieldDocs is what the document says of fields beyond their Go types:
// enums, ranges, defaults, the shape of JSON values, per struct type and
// json name. Request enums list every spelling the server accepts.
func fieldDocs() map[reflect.Type]map[string]schema {
	statuses := enumOf[Status]()
	methods := enum(http.MethodPost, http.MethodPut, http.MethodPatch)
	sourceTypes := enum("http", "websocket")
	object := schema{"type": "object"}
	destinationType := "The destination type: http (built in), or a type with a provider registered by the embedder (aws_sqs, aws_s3, aws_eventbridge, gcp_pubsub, kafka, rabbitmq, websocket, …; sqs, s3, eventbridge and pubsub are aliases)."
	return map[reflect.Type]map[string]schema{
		reflect.TypeFor[SourceParams](): {
			"type":                 {"enum": sourceTypes, "default": "http"},
			"status":               {"default": StatusActive},
			"template":             {"enum": spellings(templateNames(), ""), "description": "A provider template (GET /v1/sources/templates) that pre-fills the verification type and header and turns verification on (but custom); letter case is ignored; \"\" removes it."},
			"verification_type":    {"enum": spellings(enumOf[VerificationType](), ""), "description": "Letter case is ignored; answered with underscores. \"\" removes it. Setting it (or verification_secret) turns verification on unless verification_enabled is false."},
			"dedup_strategy":       {"default": DedupPayloadHash},
			"schema_action":        {"default": SchemaReject},
			"dedup_window_seconds": {"minimum": 1, "maximum": 30 * 24 * 3600, "default": DefaultDedupWindowSeconds},
			"source_config":        {"type": "object"},
			"verification_config":  {"type": "object"},
			"json_schema":          {"type": []any{"object", "boolean"}, "description": "A JSON Schema (draft 2020-12 unless $schema says otherwise) that ingested bodies must match."},
			"verification_secret":  {"description": "Write-only: responses show it masked. Sending the masked value back keeps the stored secret."},
		},
		reflect.TypeFor[DestinationParams](): {
			"type":                      {"description": destinationType, "default": "http"},
			"method":                    {"enum": spellings(methods, enum("post", "put", "patch")...), "default": http.MethodPost, "description": "Letter case is ignored; answered in upper case."},
			"status":                    {"default": StatusActive},
			"auth_type":                 {"default": AuthNone},
			"retry_backoff_type":        {"default": DefaultRetryBackoff},
			"timeout_ms":                {"minimum": 1, "maximum": 300000, "default": DefaultTimeoutMS},
			"timeout":                   {"minimum": 1, "maximum": 300, "description": "The timeout in seconds: an alias of timeout_ms (which wins when both are sent)."},
			"retry_max_attempts":        {"minimum": 0, "maximum": retry.MaxAttemptsLimit, "default": DefaultRetryMaxAttempts, "description": "Retries after the first attempt (at least 1 while retries are enabled)."},
			"retry_intervals":           {"minItems": 1, "items": schema{"type": "integer", "minimum": 1, "maximum": retry.MaxIntervalSeconds}, "default": intsAny(DefaultRetryIntervals), "description": "Seconds before each retry."},
			"circuit_breaker_threshold": {"minimum": 1, "maximum": 1000, "default": DefaultCircuitBreakerThreshold},
			"circuit_breaker_reset_ms":  {"minimum": 1000, "maximum": 24 * 3600 * 1000, "default": DefaultCircuitBreakerResetMS},
			"max_concurrency":           {"minimum": 1, "maximum": 1000, "default": DefaultMaxConcurrency},
			"auth_config": {"type": "object", "properties": props{"token": str(), "username": str(), "password": str(), "header": str(), "value": str()},
				"description": "bearer: {token}; basic: {username, password}; api_key: {header, value}. Secrets are masked in responses."},
			"provider_config": object,
			"signing_config":  {"description": "How deliveries are signed; the secrets are masked in responses."},
			"headers":         {"description": "Extra request headers; credential headers are masked in responses."},
		},
		reflect.TypeFor[ConnectionParams](): {
			"status": {"default": StatusActive},
		},
		reflect.TypeFor[TopicParams](): {
			"status": {"default": TopicActive},
			"schema": {"type": []any{"object", "boolean"}, "description": "A JSON Schema every published body must match (422 otherwise); null removes it."},
		},
		reflect.TypeFor[APIKeyParams](): {
			"scopes": {"items": schema{"type": "string", "enum": enum(ScopeEnvironment, ScopeOrg)}, "default": enum(ScopeEnvironment),
				"description": "env: the key acts in its environment; org: it also manages the organization (only an org key may grant it)."},
		},
		reflect.TypeFor[TestParams](): {
			"payload": {"description": "The sample event's body: any JSON value (a JSON string is sent as its text when content_type is not JSON)."},
			"method":  {"default": http.MethodPost},
			"filter_rules": {"description": "Candidate rules, tested instead of the saved ones (an empty list: none). " +
				"Connection and subscription dry runs only; with the other candidate fields, validated as the update would be."},
			"transform_enabled":    {"description": "Candidate transform_enabled of a connection (subscriptions have none)."},
			"transform_expression": {"description": "Candidate JSONata expression, tested instead of the saved one. Connection and subscription dry runs only."},
		},
		reflect.TypeFor[wireSource](): {
			"type":                {"enum": sourceTypes},
			"status":              {"enum": statuses},
			"template":            {"enum": templateNames()},
			"verification_type":   {"enum": enumOf[VerificationType]()},
			"dedup_strategy":      {"enum": enumOf[DedupStrategy]()},
			"schema_action":       {"enum": enumOf[SchemaAction]()},
			"ingest_url":          {"format": "uri"},
			"verification_secret": {"description": "Masked (••••abcd): the secret is write-only."},
		},
		reflect.TypeFor[wireDestination](): {
			"type":               {"description": destinationType},
			"method":             {"enum": methods},
			"status":             {"enum": statuses},
			"auth_type":          {"enum": enumOf[AuthType]()},
			"retry_backoff_type": {"enum": enumOf[BackoffType]()},
		},
		reflect.TypeFor[wireConnection](): {"status": {"enum": statuses}},
		reflect.TypeFor[wireTopic](): {
			"status":      {"enum": enumOf[TopicStatus]()},
			"publish_url": {"format": "uri"},
		},
		reflect.TypeFor[wireEvent]():        eventDocs(enum(ingestMethods...)),
		reflect.TypeFor[wireEventSummary](): eventDocs(enum(ingestMethods...)),
		reflect.TypeFor[wireAttempt](): {
			"status":       {"enum": enumOf[AttemptStatus]()},
			"trigger_type": {"enum": enumOf[Trigger]()},
		},
		reflect.TypeFor[wireCircuit](): {"state": {"enum": enumOf[CircuitState]()}},
		reflect.TypeFor[wireAPIKey](): {
			"scopes": {"items": schema{"type": "string", "enum": enum(ScopeEnvironment, ScopeOrg, "*")},
				"description": "env or org; [\"*\"] for keys made before scopes existed (environment keys)."},
			"key": {"type": "string", "pattern": apiKeyPattern.String(), "description": "The key itself: only in the answer that creates it."},
		},
		reflect.TypeFor[templateDoc](): {
			"name":              {"enum": templateNames()},
			"verification_type": {"enum": enumOf[VerificationType]()},
		},
		reflect.TypeFor[RuleResult](): {"op": {"enum": enumOf[FilterOp]()}},
		reflect.TypeFor[signature.SigningConfig](): {
			"scheme":                     {"description": "hmac (the default; hmac_sha256 and hmac_sha1 are accepted) or standard_webhooks."},
			"algorithm":                  {"description": "sha256 (the default) or sha1, for hmac."},
			"secret":                     {"description": "The signing key (whsec_… for standard_webhooks)."},
			"previous_secret_expires_at": {"format": "date-time"},
		},
	}
}

// documentedFields is fieldDocs, with replayFieldDocs, built once.
var documentedFields = sync.OnceValue(func() map[reflect.Type]map[string]schema {
	docs := fieldDocs()
	maps.Copy(docs, replayFieldDocs())
	return docs
})

// jsonValueTypes are, per params type, the JSON columns whose value a Go
// type describes.
var jsonValueTypes = map[reflect.Type]map[string]reflect.Type{
	reflect.TypeFor[DestinationParams](): {"signing_config": reflect.TypeFor[signature.SigningConfig]()},
}

// eventDocs documents the fields of events and event summaries.
func eventDocs(methods []any) map[string]schema {
	return map[string]schema{
		"method":              {"enum": methods},
		"status":              {"enum": enumOf[EventStatus]()},
		"dedup_status":        {"enum": enumOf[DedupStatus]()},
		"verification_status": {"enum": enumOf[VerificationStatus]()},
		"payload_encoding":    {"enum": enum("base64"), "description": "base64 when payload is the body base64-encoded (it is not UTF-8)."},
		"payload":             {"description": "The body: its JSON value when it is JSON, else its text (see payload_encoding); null when empty."},
	}
}

// intsAny converts a list of ints for a JSON value.
func intsAny(v []int) []any {
	out := make([]any, len(v))
	for i, n := range v {
		out[i] = n
	}
	return out
}
