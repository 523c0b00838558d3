package filter

import (
	"strings"

	"github.com/tidwall/gjson"
)

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// value is a rule value decoded once at compile time.
type value struct {
	kind kind
	b    bool
	num  float64
	str  string
	// paths holds an object's keys as escaped gjson paths; elems holds the
	// object's values (parallel to paths) or the array's elements.
	paths []string
	elems []value
}

// newValue decodes a valid JSON value. In an object the first occurrence
// of a duplicated key wins, as it does for gjson lookups.
func newValue(r gjson.Result) value {
	switch {
	case r.Type == gjson.Null:
		return value{kind: kindNull}
	case r.Type == gjson.True, r.Type == gjson.False:
		return value{kind: kindBool, b: r.Type == gjson.True}
	case r.Type == gjson.Number:
		return value{kind: kindNumber, num: r.Num}
	case r.Type == gjson.String:
		return value{kind: kindString, str: r.Str}
	case r.IsArray():
		v := value{kind: kindArray}
		r.ForEach(func(_, e gjson.Result) bool {
			v.elems = append(v.elems, newValue(e))
			return true
		})
		return v
	default:
		v := value{kind: kindObject}
		seen := make(map[string]bool)
		r.ForEach(func(k, e gjson.Result) bool {
			if !seen[k.Str] {
				seen[k.Str] = true
				v.paths = append(v.paths, gjson.Escape(k.Str))
				v.elems = append(v.elems, newValue(e))
			}
			return true
		})
		return v
	}
}

// equal reports whether the observed value r equals v: same JSON type and
// value. A missing r equals nothing.
func equal(r gjson.Result, v *value) bool {
	switch v.kind {
	case kindNull:
		return r.Type == gjson.Null && r.Exists()
	case kindBool:
		return (r.Type == gjson.True && v.b) || (r.Type == gjson.False && !v.b)
	case kindNumber:
		return r.Type == gjson.Number && r.Num == v.num
	case kindString:
		return r.Type == gjson.String && r.Str == v.str
	case kindArray:
		if !r.IsArray() {
			return false
		}
		i, ok := 0, true
		r.ForEach(func(_, e gjson.Result) bool {
			if i >= len(v.elems) || !equal(e, &v.elems[i]) {
				ok = false
				return false
			}
			i++
			return true
		})
		return ok && i == len(v.elems)
	default:
		if !r.IsObject() {
			return false
		}
		// Same number of members and every key of v present (first
		// occurrence) with an equal value. An object with a duplicated key
		// has more members than distinct keys, so it never equals v.
		n := 0
		r.ForEach(func(_, _ gjson.Result) bool {
			n++
			return true
		})
		if n != len(v.paths) {
			return false
		}
		for i, p := range v.paths {
			if !equal(r.Get(p), &v.elems[i]) {
				return false
			}
		}
		return true
	}
}

// contains reports whether r is a string containing the string v, or an
// array with an element equal to v.
func contains(r gjson.Result, v *value) bool {
	switch {
	case r.Type == gjson.String:
		return v.kind == kindString && strings.Contains(r.Str, v.str)
	case r.IsArray():
		found := false
		r.ForEach(func(_, e gjson.Result) bool {
			found = equal(e, v)
			return !found
		})
		return found
	}
	return false
}

// in reports whether r equals an element of the array v.
func in(r gjson.Result, v *value) bool {
	for i := range v.elems {
		if equal(r, &v.elems[i]) {
			return true
		}
	}
	return false
}
