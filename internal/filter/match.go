package filter

import (
	"encoding/json"

	"github.com/tidwall/gjson"
)

// Matcher is a compiled rule list. The zero Matcher and a nil *Matcher
// have no rules and match every event. A Matcher is safe for concurrent use.
type Matcher struct {
	rules []compiledRule
}

type compiledRule struct {
	index  int
	src    Rule
	field  field
	op     Op
	value  value
	exists bool // the wanted presence for exists
}

// Compile validates rules and compiles them into a Matcher. An invalid rule
// is reported as an *Error.
func Compile(rules []Rule) (*Matcher, error) {
	m := &Matcher{rules: make([]compiledRule, 0, len(rules))}
	for i, r := range rules {
		c, err := compileRule(i, r)
		if err != nil {
			return nil, err
		}
		m.rules = append(m.rules, c)
	}
	return m, nil
}

// CompileJSON parses a JSON array of rules (see Parse) and compiles it.
func CompileJSON(raw []byte) (*Matcher, error) {
	rules, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return Compile(rules)
}

// Rules returns a copy of the matcher's rules.
func (m *Matcher) Rules() []Rule {
	if m == nil {
		return nil
	}
	rules := make([]Rule, len(m.rules))
	for i, c := range m.rules {
		rules[i] = c.src
	}
	return rules
}

// Match reports whether ev satisfies every rule.
func (m *Matcher) Match(ev *Event) bool {
	if m == nil {
		return true
	}
	for i := range m.rules {
		if !m.rules[i].match(ev.lookup(&m.rules[i].field)) {
			return false
		}
	}
	return true
}

// RuleResult is the outcome of one rule for the dry run.
type RuleResult struct {
	// Index is the rule's position in the list.
	Index int `json:"index"`
	// Field and Op are the rule's field path and operator.
	Field string `json:"field"`
	Op    Op     `json:"op"`
	// Matched reports whether the rule matched.
	Matched bool `json:"matched"`
	// Observed is the field's JSON value, nil (JSON null) when missing.
	Observed json.RawMessage `json:"observed"`
}

// Explain evaluates every rule against ev (without stopping at the first
// failure) and reports each outcome with the observed value. The event
// matches when every result matched.
func (m *Matcher) Explain(ev *Event) []RuleResult {
	if m == nil {
		return []RuleResult{}
	}
	out := make([]RuleResult, len(m.rules))
	for i := range m.rules {
		c := &m.rules[i]
		r := ev.lookup(&c.field)
		out[i] = RuleResult{
			Index:    c.index,
			Field:    c.src.Field,
			Op:       c.op,
			Matched:  c.match(r),
			Observed: observed(r),
		}
	}
	return out
}

func observed(r gjson.Result) json.RawMessage {
	switch {
	case !r.Exists():
		return nil
	case r.Raw != "":
		return json.RawMessage(r.Raw)
	}
	// A synthetic string result (header, method, ...).
	b, _ := json.Marshal(r.Str)
	return b
}

func (c *compiledRule) match(r gjson.Result) bool {
	switch c.op {
	case OpEq:
		return equal(r, &c.value)
	case OpNeq:
		return !equal(r, &c.value)
	case OpContains:
		return contains(r, &c.value)
	case OpGt:
		return r.Type == gjson.Number && r.Num > c.value.num
	case OpGte:
		return r.Type == gjson.Number && r.Num >= c.value.num
	case OpLt:
		return r.Type == gjson.Number && r.Num < c.value.num
	case OpLte:
		return r.Type == gjson.Number && r.Num <= c.value.num
	case OpExists:
		return r.Exists() == c.exists
	case OpIn:
		return in(r, &c.value)
	}
	return false
}

// lookup returns the field's value in ev; a result that does not exist
// when the field is missing. Non-payload fields are strings.
func (ev *Event) lookup(f *field) gjson.Result {
	var s string
	switch f.kind {
	case fieldPayload:
		p, ok := ev.payloadJSON()
		switch {
		case !ok:
			return gjson.Result{}
		case f.path == "":
			return gjson.Parse(p)
		}
		return gjson.Get(p, f.path)
	case fieldHeader:
		v, ok := headerValue(ev.in.Headers, f.header)
		if !ok {
			return gjson.Result{}
		}
		return gjson.Result{Type: gjson.String, Str: v}
	case fieldMethod:
		s = ev.in.Method
	case fieldContentType:
		s = ev.mediaType
	case fieldSourceIP:
		s = ev.in.SourceIP
	case fieldTopic:
		s = ev.in.Topic
	}
	if s == "" {
		return gjson.Result{}
	}
	return gjson.Result{Type: gjson.String, Str: s}
}
