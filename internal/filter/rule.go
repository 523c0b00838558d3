package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// Op is a filter operator.
type Op string

// The operators of hookstream's filter table.
const (
	OpEq       Op = "eq"
	OpNeq      Op = "neq"
	OpContains Op = "contains"
	OpGt       Op = "gt"
	OpGte      Op = "gte"
	OpLt       Op = "lt"
	OpLte      Op = "lte"
	OpExists   Op = "exists"
	OpIn       Op = "in"
)

// Rule is one filter rule as stored: a field path, an operator and a JSON
// value. A nil Value means the rule has no value (allowed only for exists,
// where it means true); JSON null is the 4-byte value "null".
type Rule struct {
	Field string          `json:"field"`
	Op    Op              `json:"op"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Error reports an invalid filter rule list. Index is the position of the
// offending rule, or -1 when the list itself is malformed.
type Error struct {
	Index  int
	Reason string
}

// Error returns the problem in the form "filter_rules[2]: unknown op "foo"".
func (e *Error) Error() string {
	if e.Index < 0 {
		return "filter_rules: " + e.Reason
	}
	return "filter_rules[" + strconv.Itoa(e.Index) + "]: " + e.Reason
}

func errorf(index int, format string, args ...any) *Error {
	return &Error{Index: index, Reason: fmt.Sprintf(format, args...)}
}

// Parse decodes and validates a JSON array of rules. Each rule is an object
// with "field", "op" (or its alias "operator") and, depending on the
// operator, "value"; other keys are ignored. Empty input or JSON null means
// no rules. Every problem is returned as an *Error.
func Parse(raw []byte) ([]Rule, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if !validJSON(raw) {
		return nil, errorf(-1, "invalid JSON")
	}
	list := gjson.ParseBytes(raw)
	if !list.IsArray() {
		return nil, errorf(-1, "must be an array of rules")
	}
	var (
		rules []Rule
		err   error
	)
	list.ForEach(func(_, item gjson.Result) bool {
		var r Rule
		r, err = parseRule(len(rules), item)
		if err != nil {
			return false
		}
		rules = append(rules, r)
		return true
	})
	if err != nil {
		return nil, err
	}
	return rules, nil
}

func parseRule(i int, item gjson.Result) (Rule, error) {
	if !item.IsObject() {
		return Rule{}, errorf(i, "rule must be an object")
	}
	// A rule object's keys are unique in practice; as everywhere in this
	// package, the first occurrence of a duplicated key wins.
	var fieldV, opV, operatorV, valueV gjson.Result
	item.ForEach(func(k, v gjson.Result) bool {
		var dst *gjson.Result
		switch k.Str {
		case "field":
			dst = &fieldV
		case "op":
			dst = &opV
		case "operator":
			dst = &operatorV
		case "value":
			dst = &valueV
		default:
			return true
		}
		if !dst.Exists() {
			*dst = v
		}
		return true
	})

	var r Rule
	switch {
	case !fieldV.Exists():
		return Rule{}, errorf(i, "missing field")
	case fieldV.Type != gjson.String:
		return Rule{}, errorf(i, "'field' must be a string")
	}
	r.Field = fieldV.Str

	op := opV
	if !op.Exists() {
		op = operatorV
	}
	switch {
	case !op.Exists():
		return Rule{}, errorf(i, "missing op")
	case op.Type != gjson.String:
		return Rule{}, errorf(i, "'op' must be a string")
	case opV.Exists() && operatorV.Exists() && (operatorV.Type != gjson.String || operatorV.Str != opV.Str):
		return Rule{}, errorf(i, "'op' and 'operator' disagree")
	}
	r.Op = Op(op.Str)

	if valueV.Exists() {
		r.Value = json.RawMessage(valueV.Raw)
	}
	if _, err := compileRule(i, r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Validate reports the first invalid rule as an *Error, or nil.
func Validate(rules []Rule) error {
	for i, r := range rules {
		if _, err := compileRule(i, r); err != nil {
			return err
		}
	}
	return nil
}

func compileRule(i int, r Rule) (compiledRule, error) {
	c := compiledRule{index: i, src: r}
	if r.Field == "" {
		return c, errorf(i, "missing field")
	}
	f, reason := parseField(r.Field)
	if reason != "" {
		return c, errorf(i, "field %q: %s", r.Field, reason)
	}
	c.field = f

	var val gjson.Result
	if r.Value != nil {
		if !validJSON(r.Value) {
			return c, errorf(i, "value is not valid JSON")
		}
		val = gjson.ParseBytes(r.Value)
	}

	switch r.Op {
	case OpEq, OpNeq, OpContains:
		if !val.Exists() {
			return c, errorf(i, "'%s' needs a value", r.Op)
		}
		c.value = newValue(val)
	case OpGt, OpGte, OpLt, OpLte:
		if val.Type != gjson.Number {
			return c, errorf(i, "'%s' needs a number value", r.Op)
		}
		c.value = newValue(val)
	case OpExists:
		switch {
		case !val.Exists() || val.Type == gjson.True:
			c.exists = true
		case val.Type == gjson.False:
		default:
			return c, errorf(i, "'exists' needs a boolean value")
		}
	case OpIn:
		if !val.IsArray() {
			return c, errorf(i, "'in' needs an array value")
		}
		c.value = newValue(val)
	case "":
		return c, errorf(i, "missing op")
	default:
		return c, errorf(i, "unknown op %q", string(r.Op))
	}
	c.op = r.Op
	return c, nil
}
