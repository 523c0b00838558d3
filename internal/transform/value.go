package transform

import (
	"math"
)

// Values. The evaluator works on these Go types, mirroring the reference
// implementation's JavaScript values:
//
//	undefined       nil
//	null            null (the jsonNull sentinel)
//	number          float64
//	string          string
//	boolean         bool
//	array, sequence *array
//	object          *object (keys in insertion order)
//	function        *lambda, *builtin, *regexFunc, *transformer, *chain
//
// Tuple streams (paths with focus, index or parent bindings) carry *tuple
// items inside a sequence.

// jsonNull is the type of JSON null.
type jsonNull struct{}

// null is JSON null.
var null = jsonNull{}

// array is a JSON array or a sequence. Sequences are the reference's
// result collections: they flatten into enclosing paths and collapse to
// their single item, unless keepSingleton is set.
type array struct {
	items         []any
	sequence      bool // a result sequence, not a JSON array
	keepSingleton bool // [] in the path: do not collapse a singleton
	cons          bool // built by an array constructor
	outerWrapper  bool // a JSON array wrapped as the single input
	tupleStream   bool // items are *tuple
}

func newSequence(items ...any) *array {
	return &array{items: items, sequence: true}
}

// singleton is a sequence of one item, made in one allocation.
type singleton struct {
	array
	item [1]any
}

// newSingleton is newSequence(v) in one allocation.
func newSingleton(v any) *array {
	s := &singleton{item: [1]any{v}}
	s.array = array{items: s.item[:], sequence: true}
	return &s.array
}

func (a *array) push(v any) { a.items = append(a.items, v) }

// object is a JSON object. Keys keep their insertion order, as JavaScript
// objects do for non-integer keys.
type object struct {
	keyIndex
	vals []any
	// input marks an object of a decoded input, which evaluations share:
	// nothing may change it (a transform changes only its copies).
	input bool
}

// keyIndex is an ordered list of names, searched in order while short
// and through a map once it holds more than indexAt.
type keyIndex struct {
	keys  []string
	index map[string]int
}

const indexAt = 12

func (x *keyIndex) find(k string) int {
	if x.index != nil {
		if i, ok := x.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range x.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// add appends k, which must not be there.
func (x *keyIndex) add(k string) {
	x.keys = append(x.keys, k)
	if x.index != nil {
		x.index[k] = len(x.keys) - 1
	} else if len(x.keys) > indexAt {
		x.reindex()
	}
}

func (x *keyIndex) reindex() {
	x.index = make(map[string]int, 2*len(x.keys))
	for i, key := range x.keys {
		x.index[key] = i
	}
}

// Objects of 2 to 8 members, most of those an expression builds, are made
// in one allocation with their member slices, in two size classes: at
// most half of the room is unused, so an object takes at most 1.5 times
// what the budget charges for it (sizeHeader, sizeEntry).
type (
	object4 struct {
		object
		keys [4]string
		vals [4]any
	}
	object8 struct {
		object
		keys [8]string
		vals [8]any
	}
)

// newObject returns an empty object with room for capacity members.
func newObject(capacity int) *object {
	switch {
	case capacity <= 1:
	case capacity <= 4:
		s := new(object4)
		s.object.keys, s.object.vals = s.keys[:0], s.vals[:0]
		return &s.object
	case capacity <= 8:
		s := new(object8)
		s.object.keys, s.object.vals = s.keys[:0], s.vals[:0]
		return &s.object
	}
	return &object{keyIndex: keyIndex{keys: make([]string, 0, capacity)}, vals: make([]any, 0, capacity)}
}

func (o *object) get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// set replaces the value of k, or appends k.
func (o *object) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.add(k)
	o.vals = append(o.vals, v)
}

func (o *object) remove(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.index != nil {
		o.reindex()
	}
}

func (o *object) len() int { return len(o.keys) }

// tuple is one item of a tuple stream: the context value '@' and the
// variables bound along the path.
type tuple struct {
	at    any
	names []string
	vals  []any
}

func (t *tuple) bind(name string, v any) {
	for i, n := range t.names {
		if n == name {
			t.vals[i] = v
			return
		}
	}
	t.names = append(t.names, name)
	t.vals = append(t.vals, v)
}

func (t *tuple) copy() *tuple {
	return &tuple{
		at:    t.at,
		names: append([]string(nil), t.names...),
		vals:  append([]any(nil), t.vals...),
	}
}

func isNumber(v any) bool {
	f, ok := v.(float64)
	return ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func isFunction(v any) bool {
	switch v.(type) {
	case *lambda, *builtin, *regexFunc, *transformer:
		return true
	}
	return false
}

// asItems returns v's items if v is an array, or v alone.
func asItems(v any) []any {
	if a, ok := v.(*array); ok {
		return a.items
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func isArrayOfStrings(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, it := range a.items {
		if _, ok := it.(string); !ok {
			return false
		}
	}
	return true
}

func isArrayOfNumbers(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, it := range a.items {
		if !isNumber(it) {
			return false
		}
	}
	return true
}

// deepEqual is the reference's isDeepEqual: JSON equality, charging a
// step per array item or object entry compared.
func deepEqual(bud *budget, a, b any) bool {
	switch x := a.(type) {
	case *array:
		y, ok := b.(*array)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		bud.step(len(x.items))
		for i := range x.items {
			if !deepEqual(bud, x.items[i], y.items[i]) {
				return false
			}
		}
		return true
	case *object:
		y, ok := b.(*object)
		if !ok || x.len() != y.len() {
			return false
		}
		bud.step(x.len())
		for i, k := range x.keys {
			v, ok := y.get(k)
			if !ok || !deepEqual(bud, x.vals[i], v) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		if ok && len(x) == len(y) {
			bud.step(len(x) / 64)
		}
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case jsonNull:
		_, ok := b.(jsonNull)
		return ok
	case nil:
		return b == nil
	}
	return a == b
}

// typeName is the reference's $type.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return ""
	case jsonNull:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case *array:
		return "array"
	case *object, *tuple:
		return "object"
	}
	if isFunction(v) {
		return "function"
	}
	return "object"
}
