package transform

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// builtins is the JSONata function library, by name. It is built once and
// never changed.
var builtins = map[string]*builtin{}

// def registers a built-in; arity is the number of declared parameters.
func def(name, sig string, arity int, fn func(e *evaluator, c *callCtx, args []any) any) {
	builtins[name] = &builtin{name: name, sig: mustSignature(sig), arity: arity, fn: fn}
}

// arg returns args[i], or nil when absent.
func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func init() {
	def("sum", "<a<n>:n>", 1, fnSum)
	def("count", "<a:n>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return 0.0
		}
		return float64(len(asItems(a[0])))
	})
	def("max", "<a<n>:n>", 1, func(e *evaluator, _ *callCtx, a []any) any { return extreme(e.b, a[0], 1) })
	def("min", "<a<n>:n>", 1, func(e *evaluator, _ *callCtx, a []any) any { return extreme(e.b, a[0], -1) })
	def("average", "<a<n>:n>", 1, func(e *evaluator, c *callCtx, a []any) any {
		items := asItems(a[0])
		if len(items) == 0 {
			return nil
		}
		return fnSum(e, c, a).(float64) / float64(len(items))
	})
	def("boolean", "<x-:b>", 1, func(e *evaluator, _ *callCtx, a []any) any { return boolean(e.b, a[0]) })
	def("not", "<x-:b>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return !boolize(e.b, a[0])
	})
	def("exists", "<x:b>", 1, func(e *evaluator, _ *callCtx, a []any) any { return a[0] != nil })
	def("type", "<x:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return typeName(a[0])
	})
	def("append", "<xx:a>", 2, func(e *evaluator, _ *callCtx, a []any) any { return appendValues(e.b, a[0], a[1]) })
	def("lookup", "<x-s:x>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[1] == nil {
			return nil
		}
		return lookupField(e.b, a[0], a[1].(string))
	})
	def("keys", "<x-:a<s>>", 1, func(e *evaluator, _ *callCtx, a []any) any { return keysOf(e.b, a[0]) })
	def("spread", "<x-:a<o>>", 1, func(e *evaluator, _ *callCtx, a []any) any { return spread(e.b, a[0]) })
	def("merge", "<a<o>:o>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		out := newObject(4)
		for _, it := range asItems(a[0]) {
			if o, ok := it.(*object); ok {
				e.b.step(o.len())
				e.b.charge(o.len() * sizeEntry)
				for i, k := range o.keys {
					out.set(k, o.vals[i])
				}
			}
		}
		return out
	})
	def("reverse", "<a:a>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		arr, ok := a[0].(*array)
		if !ok || len(arr.items) <= 1 {
			return a[0]
		}
		e.b.step(len(arr.items))
		e.b.charge(len(arr.items) * sizeItem)
		out := &array{items: make([]any, len(arr.items))}
		for i, v := range arr.items {
			out.items[len(arr.items)-1-i] = v
		}
		return out
	})
	def("distinct", "<x:x>", 1, fnDistinct)
	def("shuffle", "<a:a>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		arr, ok := a[0].(*array)
		if !ok || len(arr.items) <= 1 {
			return a[0]
		}
		e.b.step(len(arr.items))
		e.b.charge(len(arr.items) * sizeItem)
		out := &array{items: append([]any(nil), arr.items...)}
		rand.Shuffle(len(out.items), func(i, j int) { out.items[i], out.items[j] = out.items[j], out.items[i] })
		return out
	})
	def("sort", "<af?:a>", 2, fnSort)
	def("zip", "<a+>", 0, func(e *evaluator, _ *callCtx, a []any) any {
		if len(a) == 0 {
			return &array{}
		}
		n := math.MaxInt
		for _, x := range a {
			n = min(n, len(asItems(x)))
		}
		if n == math.MaxInt {
			n = 0
		}
		e.b.step(n * len(a))
		e.b.charge(n * (sizeHeader + len(a)*sizeItem))
		out := &array{items: make([]any, n)}
		for i := range n {
			t := &array{items: make([]any, len(a))}
			for j, x := range a {
				t.items[j] = asItems(x)[i]
			}
			out.items[i] = t
		}
		return out
	})
	def("error", "<s?:x>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		msg := "$error() function evaluated"
		if s, ok := arg(a, 0).(string); ok {
			msg = s
		}
		throwf("D3137", "%s", msg)
		return nil
	})
	def("assert", "<bs?:x>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] != true {
			msg := "$assert() statement failed"
			if s, ok := arg(a, 1).(string); ok {
				msg = s
			}
			throwf("D3141", "%s", msg)
		}
		return nil
	})
	def("map", "<af>", 2, fnMap)
	def("filter", "<af>", 2, fnFilter)
	def("single", "<af?>", 2, fnSingle)
	def("reduce", "<afj?:j>", 3, fnReduce)
	def("sift", "<o-f?:o>", 2, fnSift)
	def("each", "<o-f:a>", 2, fnEach)
	def("clone", "<(oa)-:o>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return clone(e.b, a[0])
	})
	def("eval", "<sx?:x>", 2, fnEval)
	def("now", "<s?s?:s>", 2, fnNow)
	def("millis", "<:n>", 0, func(e *evaluator, _ *callCtx, a []any) any {
		return float64(e.now.UnixMilli())
	})
	def("random", "<:n>", 0, func(e *evaluator, _ *callCtx, a []any) any { return rand.Float64() })
	registerStringFunctions()
	registerNumberFunctions()
}

func fnSum(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	total := 0.0
	items := asItems(a[0])
	e.b.step(len(items))
	for _, v := range items {
		total += v.(float64)
	}
	return total
}

func extreme(b *budget, v any, sign float64) any {
	items := asItems(v)
	if len(items) == 0 {
		return nil
	}
	b.step(len(items))
	best := items[0].(float64)
	for _, it := range items[1:] {
		if f := it.(float64); (f-best)*sign > 0 {
			best = f
		}
	}
	return best
}

func keysOf(b *budget, v any) any {
	result := newSequence()
	switch x := v.(type) {
	case *array:
		seen := map[string]bool{}
		for _, it := range x.items {
			for _, k := range asItems(keysOf(b, it)) {
				if ks := k.(string); !seen[ks] {
					seen[ks] = true
					result.push(ks)
				}
			}
		}
	case *object:
		b.step(x.len())
		b.charge(x.len() * sizeItem)
		for _, k := range x.keys {
			result.push(k)
		}
	}
	return result
}

func spread(b *budget, v any) any {
	switch x := v.(type) {
	case *array:
		result := newSequence()
		for _, it := range x.items {
			b.step(1)
			if s := spread(b, it); s != nil {
				items := asItems(s)
				b.charge(len(items) * sizeItem)
				result.items = append(result.items, items...)
			}
		}
		return result
	case *object:
		result := newSequence()
		b.step(x.len())
		b.charge(x.len() * (sizeHeader + sizeEntry))
		for i, k := range x.keys {
			o := newObject(1)
			o.set(k, x.vals[i])
			result.push(o)
		}
		return result
	}
	return v
}

func fnDistinct(e *evaluator, _ *callCtx, a []any) any {
	arr, ok := a[0].(*array)
	if !ok || len(arr.items) <= 1 {
		return a[0]
	}
	results := &array{sequence: arr.sequence}
	seen := map[any]bool{}
	var complexItems []any
	e.b.step(len(arr.items))
	for _, v := range arr.items {
		switch v.(type) {
		case *array, *object:
			dup := false
			for _, c := range complexItems {
				e.b.step(1)
				if deepEqual(e.b, v, c) {
					dup = true
					break
				}
			}
			if !dup {
				complexItems = append(complexItems, v)
				results.push(v)
			}
		default:
			if s, ok := v.(string); ok {
				e.b.step(len(s) / 64)
			}
			if !seen[v] {
				seen[v] = true
				results.push(v)
			}
		}
	}
	e.b.charge(len(results.items) * sizeItem)
	return results
}

func fnSort(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	if len(arr.items) <= 1 {
		return arr
	}
	var swap func(x, y any) bool
	if cmp := arg(a, 1); cmp != nil {
		swap = func(x, y any) bool { return boolize(e.b, e.apply(cmp, []any{x, y}, nil, c.env)) }
	} else {
		switch {
		case e.arrayOfNumbers(arr):
			swap = func(x, y any) bool { return x.(float64) > y.(float64) }
		case e.arrayOfStrings(arr):
			swap = func(x, y any) bool {
				e.b.step(min(len(x.(string)), len(y.(string))) / 64)
				return compareUTF16(x.(string), y.(string)) > 0
			}
		default:
			throwf("D3070", "the single argument form of the sort function can only be applied to an array of strings or an array of numbers; use the second argument to specify a comparison function")
		}
	}
	e.b.charge(len(arr.items) * sizeItem) // the merge buffer
	return &array{items: mergeSort(e.b, arr.items, swap)}
}

// hofArgs builds a higher-order function's callback arguments: the value,
// then the index (or key) and the whole structure if the callback takes
// them.
func hofArgs(f any, v, index, whole any) []any {
	n := arity(f)
	args := []any{v}
	if n >= 2 {
		args = append(args, index)
	}
	if n >= 3 {
		args = append(args, whole)
	}
	return args
}

func fnMap(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	result := newSequence()
	arr := a[0].(*array)
	for i, v := range arr.items {
		res := e.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, c.env)
		if res != nil {
			result.push(res)
		}
	}
	e.b.charge(len(result.items) * sizeItem)
	return result
}

func fnFilter(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	result := newSequence()
	arr := a[0].(*array)
	for i, v := range arr.items {
		if boolize(e.b, e.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, c.env)) {
			result.push(v)
		}
	}
	e.b.charge(len(result.items) * sizeItem)
	return result
}

func fnSingle(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	found := false
	var result any
	for i, v := range arr.items {
		pass := true
		if f := arg(a, 1); f != nil {
			pass = boolize(e.b, e.apply(f, hofArgs(f, v, float64(i), arr), nil, c.env))
		}
		if pass {
			if found {
				throwf("D3138", "the $single() function expected exactly 1 matching result; instead it matched more")
			}
			found, result = true, v
		}
	}
	if !found {
		throwf("D3139", "the $single() function expected exactly 1 matching result; instead it matched 0")
	}
	return result
}

func fnReduce(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	f := a[1]
	n := arity(f)
	if n < 2 {
		throwf("D3050", "the second argument of reduce function must be a function with at least two arguments")
	}
	items := asItems(a[0])
	var result any
	i := 0
	if init := arg(a, 2); init == nil && len(items) > 0 {
		result = items[0]
		i = 1
	} else {
		result = init
	}
	for ; i < len(items); i++ {
		args := []any{result, items[i]}
		if n >= 3 {
			args = append(args, float64(i))
		}
		if n >= 4 {
			args = append(args, a[0])
		}
		result = e.apply(f, args, nil, c.env)
	}
	return result
}

func fnSift(e *evaluator, c *callCtx, a []any) any {
	o, ok := a[0].(*object)
	if !ok {
		return nil
	}
	result := newObject(o.len())
	for i, k := range o.keys {
		if boolize(e.b, e.apply(a[1], hofArgs(a[1], o.vals[i], k, o), nil, c.env)) {
			result.set(k, o.vals[i])
		}
	}
	e.b.charge(result.len() * sizeEntry)
	if result.len() == 0 {
		return nil
	}
	return result
}

func fnEach(e *evaluator, c *callCtx, a []any) any {
	o, ok := a[0].(*object)
	if !ok {
		return nil
	}
	result := newSequence()
	for i, k := range o.keys {
		res := e.apply(a[1], hofArgs(a[1], o.vals[i], k, o), nil, c.env)
		if res != nil {
			result.push(res)
		}
	}
	e.b.charge(len(result.items) * sizeItem)
	return result
}

// clone deep-copies a JSON value, as the reference's JSON round trip does
// (functions become "", undefined object values disappear).
func clone(b *budget, v any) any {
	b.step(1)
	switch x := v.(type) {
	case *array:
		b.charge(sizeHeader + len(x.items)*sizeItem)
		out := &array{items: make([]any, len(x.items))}
		for i, it := range x.items {
			if it == nil {
				out.items[i] = null
				continue
			}
			out.items[i] = clone(b, it)
		}
		return out
	case *object:
		b.charge(sizeHeader + x.len()*sizeEntry)
		out := newObject(x.len())
		for i, k := range x.keys {
			if x.vals[i] == nil {
				continue
			}
			out.set(k, clone(b, x.vals[i]))
		}
		return out
	case *tuple:
		return clone(b, x.at)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return null
		}
	}
	if isFunction(v) {
		return ""
	}
	return v
}

func fnEval(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	input := c.input
	if len(a) > 1 && a[1] != nil {
		input = a[1]
		if arr, ok := input.(*array); ok && !arr.sequence {
			input = &array{items: []any{arr}, sequence: true, outerWrapper: true}
		}
	}
	src := a[0].(string)
	e.b.step(len(src))
	ast, err := parse(src)
	if err != nil {
		throwf("D3120", "syntax error in expression passed to $eval: %v", err)
	}
	return e.eval(ast, input, c.env)
}

// describe renders a value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case string:
		return strconv.Quote(x)
	}
	e := encoder{max: 200}
	if err := e.encode(v, 0); err != nil {
		return typeName(v)
	}
	s := string(e.buf)
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return strings.ToValidUTF8(s, "")
}
