package hookstream

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hookstream-go/hookstream/internal/filter"
	"github.com/tidwall/gjson"
)

// FilterRule is one filter rule (spec §3.2): the field at Field, compared by
// Op (eq, neq, contains, gt, gte, lt, lte, exists, in) with Value.
//
// Fields are payload.<dot.path> (numeric segments index arrays; a
// backslash makes the next character literal, e.g. payload.a\.b for the key
// "a.b"), headers.<name> (case-insensitive), method, content_type,
// source_ip and topic. Comparisons are strict: no type coercion, and a
// missing field equals nothing. Value is any JSON-encodable value; use
// json.RawMessage("null") for JSON null, since a nil Value means "no value"
// (which only exists allows, meaning true).
type FilterRule struct {
	Field string   `json:"field" limit:"256"`
	Op    FilterOp `json:"op" limit:"32"`
	Value any      `json:"value,omitempty" limit:"4096"`
}

// FilterRules is a list of rules that must all match (an empty list
// matches everything). Its JSON form is validated as it is decoded: rules
// may name the operator "op" or "operator".
type FilterRules []FilterRule

// UnmarshalJSON decodes and validates rules; a problem is a
// *ValidationError naming the rule's index. An empty object ({}) is not a
// rule and is dropped: hookstream's own examples send "filter_rules": [{}]
// to mean no filter.
func (rs *FilterRules) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		*rs = nil
		return nil
	}
	rules, err := filter.Parse(dropEmptyRules(data))
	if err != nil {
		return ruleError(err)
	}
	out := make(FilterRules, len(rules))
	for i, r := range rules {
		out[i] = FilterRule{Field: r.Field, Op: FilterOp(r.Op)}
		if r.Value != nil {
			out[i].Value = r.Value
		}
	}
	*rs = out
	return nil
}

// dropEmptyRules removes the empty objects from a JSON array of rules
// (anything else is returned as it is, for filter.Parse to judge).
func dropEmptyRules(data []byte) []byte {
	var items []json.RawMessage
	if json.Unmarshal(data, &items) != nil {
		return data
	}
	kept := items[:0]
	for _, item := range items {
		var obj map[string]json.RawMessage
		if json.Unmarshal(item, &obj) == nil && obj != nil && len(obj) == 0 {
			continue
		}
		kept = append(kept, item)
	}
	if len(kept) == len(items) {
		return data
	}
	out, err := json.Marshal(kept)
	if err != nil {
		return data
	}
	return out
}

// encode validates the rules and returns their stored JSON form (nil for
// no rules).
func (rs FilterRules) encode() (json.RawMessage, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal([]FilterRule(rs))
	if err != nil {
		return nil, invalid("filter_rules", "has a value that is not JSON: %v", err)
	}
	rules, err := filter.Parse(raw)
	if err != nil {
		return nil, ruleError(err)
	}
	if _, err := filter.Compile(rules); err != nil {
		return nil, ruleError(err)
	}
	return json.Marshal(rules)
}

// ruleError turns a filter error into a validation error.
func ruleError(err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		field, reason, _ := strings.Cut(fe.Error(), ": ")
		return &ValidationError{Field: field, Reason: reason}
	}
	return invalid("filter_rules", "%v", err)
}

// compileFilter compiles stored rules into a matcher.
func compileFilter(raw json.RawMessage) (*filter.Matcher, error) {
	m, err := filter.CompileJSON(raw)
	if err != nil {
		return nil, ruleError(err)
	}
	return m, nil
}

// newMatchInput prepares one event for every matcher that routes it.
func newMatchInput(body []byte, contentType, method, sourceIP, topic string, h http.Header) *filter.Event {
	return filter.NewEvent(filter.Input{
		Body: body, Headers: h, Method: method, ContentType: contentType, SourceIP: sourceIP, Topic: topic,
	})
}

// bodyField returns the value at a dot path of a JSON body (raw JSON for
// objects and arrays), or "" when absent or null. Every segment is matched
// literally: no gjson wildcard or modifier runs.
func bodyField(body []byte, path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		segs[i] = gjson.Escape(s)
	}
	v := gjson.GetBytes(body, strings.Join(segs, "."))
	if !v.Exists() || v.Type == gjson.Null {
		return ""
	}
	if v.Type == gjson.String {
		return v.Str
	}
	return v.Raw
}
