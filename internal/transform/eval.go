package transform

import (
	"math"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform/js"
)

// frame is a scope of variable bindings.
type frame struct {
	keyIndex // the variables' names
	vals     []any
	parent   *frame
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) bind(name string, v any) {
	if i := f.find(name); i >= 0 {
		f.vals[i] = v
		return
	}
	f.add(name)
	f.vals = append(f.vals, v)
}

func (f *frame) lookup(name string) (any, bool) {
	for ; f != nil; f = f.parent {
		if i := f.find(name); i >= 0 {
			return f.vals[i], true
		}
	}
	if b, ok := builtins[name]; ok {
		return b, true
	}
	return nil, false
}

func (f *frame) get(name string) any {
	v, _ := f.lookup(name)
	return v
}

// evaluator holds the state of one evaluation.
type evaluator struct {
	b   *budget
	now time.Time // $now() and $millis() within this evaluation
}

// eval evaluates expr against input in env, as the reference's evaluate.
func (e *evaluator) eval(expr *node, input any, env *frame) any {
	e.b.enter()
	e.b.step(1)
	var result any
	switch expr.kind {
	case kPath:
		result = e.evalPath(expr, input, env)
	case kBinary:
		result = e.evalBinary(expr, input, env)
	case kAnd:
		result = boolize(e.b, e.eval(expr.lhs, input, env)) && boolize(e.b, e.eval(expr.rhs, input, env))
	case kOr:
		result = boolize(e.b, e.eval(expr.lhs, input, env)) || boolize(e.b, e.eval(expr.rhs, input, env))
	case kNegate:
		v := e.eval(expr.rhs, input, env)
		if v != nil {
			f, ok := v.(float64)
			if !ok {
				throwf("D1002", "cannot negate a non-numeric value: %s", describe(v))
			}
			result = -f
		}
	case kArray:
		result = e.evalArray(expr, input, env)
	case kObject:
		result = e.evalGroup(expr.pairs, input, env)
	case kName:
		result = lookupField(e.b, input, expr.op)
	case kString, kLiteral:
		result = expr.value
	case kWildcard:
		result = e.evalWildcard(input)
	case kDescendant:
		result = e.evalDescendants(input)
	case kParent:
		result = env.get(expr.slot.label)
	case kCondition:
		if boolean(e.b, e.eval(expr.cond, input, env)) == true {
			result = e.eval(expr.then, input, env)
		} else if expr.els != nil {
			result = e.eval(expr.els, input, env)
		}
	case kBlock:
		frame := newFrame(env)
		for _, x := range expr.exprs {
			result = e.eval(x, input, frame)
		}
	case kBind:
		result = e.eval(expr.rhs, input, env)
		env.bind(expr.op, result)
	case kRegex:
		result = &regexFunc{re: expr.regex, cost: expr.regexCost}
	case kFunction:
		result = e.evalFunction(expr, input, env, nil, false)
	case kVariable:
		result = e.evalVariable(expr, input, env)
	case kLambda:
		result = &lambda{node: expr, input: input, env: env}
	case kPartial:
		result = e.evalPartial(expr, input, env)
	case kApply:
		result = e.evalApply(expr, input, env)
	case kTransform:
		result = &transformer{node: expr, env: env}
	case kCoalesce:
		result = e.eval(expr.lhs, input, env)
		if result == nil {
			result = e.eval(expr.rhs, input, env)
		}
	case kElvis:
		result = e.eval(expr.lhs, input, env)
		if boolean(e.b, result) != true {
			result = e.eval(expr.rhs, input, env)
		}
	case kSort:
		result = e.evalSort(expr, asSequence(input), env)
	default:
		throwf("S0206", "unknown expression type")
	}

	for _, p := range expr.predicate {
		result = e.evalFilter(p.filter, result, env)
	}
	if expr.kind != kPath && expr.hasGroup {
		result = e.evalGroup(expr.group, result, env)
	}

	if a, ok := result.(*array); ok && a.sequence && !a.tupleStream {
		if expr.keepArray {
			a.keepSingleton = true
		}
		switch {
		case len(a.items) == 0:
			result = nil
		case len(a.items) == 1 && !a.keepSingleton:
			result = a.items[0]
		}
	}
	e.b.leave()
	return result
}

// asSequence wraps a non-array input in a sequence.
func asSequence(v any) *array {
	if a, ok := v.(*array); ok {
		return a
	}
	if v == nil {
		return newSequence()
	}
	return newSingleton(v)
}

func (e *evaluator) evalPath(expr *node, input any, env *frame) any {
	if expr.names != nil {
		if v, ok := e.evalNames(expr.names, input); ok {
			return v
		}
	}
	var inputSeq *array
	if a, ok := input.(*array); ok && expr.steps[0].kind != kVariable {
		inputSeq = a
	} else {
		// The reference's createSequence(input): one item, even undefined.
		inputSeq = newSingleton(input)
	}
	var resultSeq *array
	var result any
	isTuple := false
	var tuples *array
	for i, step := range expr.steps {
		if step.tuple {
			isTuple = true
		}
		if i == 0 && step.consarray {
			result = e.eval(step, inputSeq, env)
			resultSeq, _ = result.(*array)
			if resultSeq == nil && result != nil {
				resultSeq = newSingleton(result)
			}
		} else if isTuple {
			tuples = e.evalTupleStep(step, inputSeq, tuples, env)
		} else {
			resultSeq = e.evalStep(step, inputSeq, env, i == len(expr.steps)-1)
		}
		if !isTuple && (resultSeq == nil || len(resultSeq.items) == 0) {
			break
		}
		if step.focus == "" {
			inputSeq = resultSeq
		}
	}
	if isTuple {
		if expr.tuple {
			resultSeq = tuples
		} else {
			resultSeq = newSequence()
			if tuples != nil {
				resultSeq.items = make([]any, len(tuples.items))
				for i, t := range tuples.items {
					resultSeq.items[i] = t.(*tuple).at
				}
			}
		}
	}
	if expr.keepSingletonArray && resultSeq != nil {
		switch {
		case resultSeq.cons && !resultSeq.sequence:
			resultSeq = newSingleton(resultSeq)
		case !resultSeq.sequence:
			// An array of the input, which other evaluations may share:
			// flag a copy of its header.
			cp := *resultSeq
			resultSeq = &cp
		}
		resultSeq.keepSingleton = true
	}
	var out any
	if resultSeq != nil {
		out = resultSeq
	}
	if expr.hasGroup {
		if isTuple {
			out = e.evalGroup(expr.group, tuples, env)
		} else {
			out = e.evalGroup(expr.group, out, env)
		}
	}
	return out
}

// evalNames walks a path of plain names (markNamePaths) from one object
// to the next, with none of the singleton sequences evalPath makes per
// step, and gives the same result. It reports false where that would
// differ, at an array or a tuple stream (which evalPath flattens or
// binds): evalPath then evaluates the path from its start.
func (e *evaluator) evalNames(names []string, input any) (any, bool) {
	v := input
	for _, name := range names {
		switch x := v.(type) {
		case *object:
			e.b.step(1)
			v, _ = x.get(name)
		case *array, *tuple:
			return nil, false
		default:
			return nil, true // a name of undefined, or of a scalar, is undefined
		}
		if v == nil {
			return nil, true
		}
	}
	if a, ok := v.(*array); ok && (a.sequence || a.cons) {
		return nil, false
	}
	return v, true
}

func (e *evaluator) evalStep(expr *node, input *array, env *frame, last bool) *array {
	if expr.kind == kSort {
		res := e.evalSort(expr, input, env)
		if len(expr.stages) > 0 {
			res = e.evalStages(expr.stages, res, env)
		}
		return res
	}
	if len(input.items) == 1 {
		return e.evalStepOne(expr, input.items[0], env, last)
	}
	results := make([]any, 0, len(input.items))
	for _, item := range input.items {
		res := e.eval(expr, item, env)
		for _, s := range expr.stages {
			res = e.evalFilter(s.filter, res, env)
		}
		if res != nil {
			results = append(results, res)
		}
	}
	e.b.step(len(results))
	if last && len(results) == 1 {
		if a, ok := results[0].(*array); ok && !a.sequence {
			return a
		}
	}
	out := newSequence()
	n := 0
	for _, r := range results {
		if a, ok := r.(*array); ok && !a.cons {
			n += len(a.items)
		} else {
			n++
		}
	}
	e.b.step(n)
	e.b.charge(n * sizeItem)
	out.items = make([]any, 0, n)
	for _, r := range results {
		if a, ok := r.(*array); ok && !a.cons {
			out.items = append(out.items, a.items...)
		} else {
			out.items = append(out.items, r)
		}
	}
	return out
}

// evalStepOne is evalStep over a single item, without the intermediate
// slices.
func (e *evaluator) evalStepOne(expr *node, item any, env *frame, last bool) *array {
	res := e.eval(expr, item, env)
	for _, s := range expr.stages {
		res = e.evalFilter(s.filter, res, env)
	}
	e.b.step(1)
	switch a := res.(type) {
	case nil:
		return &array{sequence: true}
	case *array:
		if last && !a.sequence {
			return a
		}
		if !a.cons {
			e.b.step(len(a.items))
			e.b.charge(sizeHeader)
			// A fresh header over the same items; the full slice
			// expression makes an append copy them.
			return &array{sequence: true, items: a.items[:len(a.items):len(a.items)]}
		}
	}
	e.b.charge(sizeHeader + sizeItem)
	return newSingleton(res)
}

func (e *evaluator) evalStages(stages []stage, input *array, env *frame) *array {
	result := input
	for _, s := range stages {
		if s.filter != nil {
			result = asSequence(e.evalFilter(s.filter, result, env))
			continue
		}
		for i, t := range result.items {
			t.(*tuple).bind(s.index, float64(i))
		}
	}
	return result
}

func tupleFrame(env *frame, t *tuple) *frame {
	// Full slice expressions: a binding made in this frame must not write
	// into the tuple's arrays.
	return &frame{keyIndex: keyIndex{keys: t.names[:len(t.names):len(t.names)]}, vals: t.vals[:len(t.vals):len(t.vals)], parent: env}
}

func (e *evaluator) evalTupleStep(expr *node, input *array, tuples *array, env *frame) *array {
	if expr.kind == kSort {
		var result *array
		if tuples != nil {
			result = e.evalSort(expr, tuples, env)
		} else {
			sorted := e.evalSort(expr, input, env)
			result = &array{sequence: true, tupleStream: true}
			for i, v := range sorted.items {
				t := &tuple{at: v}
				if expr.index != "" {
					t.bind(expr.index, float64(i))
				}
				result.push(t)
			}
		}
		if len(expr.stages) > 0 {
			result = e.evalStages(expr.stages, result, env)
		}
		return result
	}
	result := &array{sequence: true, tupleStream: true}
	if tuples == nil {
		tuples = &array{items: make([]any, len(input.items))}
		for i, it := range input.items {
			tuples.items[i] = &tuple{at: it}
		}
	}
	for _, ti := range tuples.items {
		t := ti.(*tuple)
		res := e.eval(expr, t.at, tupleFrame(env, t))
		if res == nil {
			continue
		}
		resItems := asItems(res)
		resTuple := false
		if a, ok := res.(*array); ok {
			resTuple = a.tupleStream
		}
		e.b.step(len(resItems))
		e.b.charge(len(resItems) * (sizeHeader + sizeItem*len(t.names)))
		for bb, r := range resItems {
			nt := t.copy()
			if resTuple {
				rt := r.(*tuple)
				nt.at = rt.at
				for i, n := range rt.names {
					nt.bind(n, rt.vals[i])
				}
			} else {
				if expr.focus != "" {
					nt.bind(expr.focus, r)
					nt.at = t.at
				} else {
					nt.at = r
				}
				if expr.index != "" {
					nt.bind(expr.index, float64(bb))
				}
				if expr.ancestor != nil {
					nt.bind(expr.ancestor.label, t.at)
				}
			}
			result.push(nt)
		}
	}
	if len(expr.stages) > 0 {
		result = e.evalStages(expr.stages, result, env)
	}
	return result
}

func (e *evaluator) evalFilter(pred *node, input any, env *frame) any {
	results := newSequence()
	in, ok := input.(*array)
	if ok && in.tupleStream {
		results.tupleStream = true
	}
	if !ok {
		in = asSequence(input)
	}
	if pred.kind == kLiteral {
		if f, ok := pred.value.(float64); ok {
			idx := int(math.Floor(f))
			if idx < 0 {
				idx += len(in.items)
			}
			if idx >= 0 && idx < len(in.items) {
				item := in.items[idx]
				if a, ok := item.(*array); ok {
					return a
				}
				results.push(item)
			}
			return results
		}
	}
	e.b.step(len(in.items))
	for i, item := range in.items {
		context, fenv := item, env
		if in.tupleStream {
			t := item.(*tuple)
			context, fenv = t.at, tupleFrame(env, t)
		}
		res := e.eval(pred, context, fenv)
		if isNumber(res) {
			res = newSingleton(res)
		}
		if a, ok := res.(*array); ok && len(a.items) > 0 && e.arrayOfNumbers(a) {
			for _, n := range a.items {
				ii := int(math.Floor(n.(float64)))
				if ii < 0 {
					ii += len(in.items)
				}
				if ii == i {
					results.push(item)
				}
			}
		} else if boolean(e.b, res) == true {
			results.push(item)
		}
	}
	return results
}

// lookupField is the reference's lookup of a name in the input.
func lookupField(b *budget, input any, key string) any {
	switch x := input.(type) {
	case *array:
		b.step(len(x.items))
		result := newSequence()
		for _, it := range x.items {
			res := lookupField(b, it, key)
			if res == nil {
				continue
			}
			if a, ok := res.(*array); ok {
				b.step(len(a.items))
				b.charge(len(a.items) * sizeItem)
				result.items = append(result.items, a.items...)
			} else {
				b.charge(sizeItem)
				result.push(res)
			}
		}
		return result
	case *object:
		v, _ := x.get(key)
		return v
	case *tuple:
		return lookupField(b, x.at, key)
	}
	return nil
}

func (e *evaluator) evalArray(expr *node, input any, env *frame) any {
	result := &array{}
	for _, item := range expr.exprs {
		v := e.eval(item, input, env)
		if v == nil {
			continue
		}
		if item.kind == kArray {
			result.push(v)
		} else {
			result = appendValues(e.b, result, v).(*array)
		}
	}
	e.b.charge(sizeHeader + len(result.items)*sizeItem)
	if expr.consarray {
		result.cons = true
	}
	return result
}

// appendValues is the reference's $append.
func appendValues(b *budget, a1, a2 any) any {
	if a1 == nil {
		return a2
	}
	if a2 == nil {
		return a1
	}
	x, ok := a1.(*array)
	if !ok {
		x = newSingleton(a1)
	}
	y := asItems(a2)
	b.step(len(y))
	b.charge(len(y) * sizeItem)
	out := &array{sequence: x.sequence, keepSingleton: x.keepSingleton, cons: x.cons, outerWrapper: x.outerWrapper, tupleStream: x.tupleStream}
	out.items = make([]any, 0, len(x.items)+len(y))
	out.items = append(append(out.items, x.items...), y...)
	return out
}

func (e *evaluator) evalWildcard(input any) any {
	results := newSequence()
	if a, ok := input.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	if a, ok := input.(*array); ok {
		// JavaScript arrays are objects whose values are their items.
		results.items = flatten(e.b, a, nil)
		e.b.charge(len(results.items) * sizeItem)
		return results
	}
	o, ok := input.(*object)
	if !ok {
		return results
	}
	e.b.step(o.len())
	for _, v := range o.vals {
		if a, ok := v.(*array); ok {
			flat := flatten(e.b, a, nil)
			results.items = append(results.items, flat...)
		} else {
			results.push(v)
		}
	}
	e.b.charge(len(results.items) * sizeItem)
	return results
}

func flatten(b *budget, v any, into []any) []any {
	if a, ok := v.(*array); ok {
		b.step(len(a.items))
		for _, it := range a.items {
			into = flatten(b, it, into)
		}
		return into
	}
	return append(into, v)
}

func (e *evaluator) evalDescendants(input any) any {
	if input == nil {
		return nil
	}
	results := newSequence()
	e.descend(input, results, 0)
	e.b.charge(len(results.items) * sizeItem)
	if len(results.items) == 1 {
		return results.items[0]
	}
	return results
}

func (e *evaluator) descend(input any, results *array, depth int) {
	e.b.step(1)
	if depth > maxEncodeDepth {
		throw(&BudgetError{Limit: "depth", Max: maxEncodeDepth})
	}
	switch x := input.(type) {
	case *array:
		for _, m := range x.items {
			e.descend(m, results, depth+1)
		}
	case *object:
		results.push(x)
		for _, v := range x.vals {
			e.descend(v, results, depth+1)
		}
	default:
		results.push(input)
	}
}

func (e *evaluator) evalBinary(expr *node, input any, env *frame) any {
	lhs := e.eval(expr.lhs, input, env)
	rhs := e.eval(expr.rhs, input, env)
	switch expr.op {
	case "+", "-", "*", "/", "%":
		return numeric(expr.op, lhs, rhs)
	case "=":
		return lhs != nil && rhs != nil && deepEqual(e.b, lhs, rhs)
	case "!=":
		return lhs != nil && rhs != nil && !deepEqual(e.b, lhs, rhs)
	case "<", "<=", ">", ">=":
		if l, ok := lhs.(string); ok {
			if r, ok := rhs.(string); ok {
				e.b.step(min(len(l), len(r)) / 16)
			}
		}
		return compare(expr.op, lhs, rhs)
	case "&":
		var l, r string
		if lhs != nil {
			l = e.stringify(lhs, false)
		}
		if rhs != nil {
			r = e.stringify(rhs, false)
		}
		e.b.charge(len(l) + len(r))
		return l + r
	case "..":
		return e.evalRange(lhs, rhs)
	case "in":
		if lhs == nil || rhs == nil {
			return false
		}
		items := asItems(rhs)
		e.b.step(len(items))
		for _, v := range items {
			if s, ok := v.(string); ok {
				e.b.step(len(s) / 64)
			}
			if strictEqual(v, lhs) {
				return true
			}
		}
		return false
	}
	throwf("S0204", "unknown operator: %s", expr.op)
	return nil
}

// strictEqual is JavaScript's ===.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case float64, string, bool, jsonNull:
		return a == b
	case *array:
		y, ok := b.(*array)
		return ok && x == y
	case *object:
		y, ok := b.(*object)
		return ok && x == y
	}
	return false
}

func checkNumber(v any, code, side string, op string) (float64, bool) {
	if v == nil {
		return 0, false
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		throwf(code, "the %s side of the %s operator must evaluate to a number", side, op)
	}
	if math.IsInf(f, 0) {
		throwf("D1001", "number out of range: %v", f)
	}
	return f, true
}

func numeric(op string, lhs, rhs any) any {
	l, lok := checkNumber(lhs, "T2001", "left", op)
	r, rok := checkNumber(rhs, "T2002", "right", op)
	if !lok || !rok {
		return nil
	}
	var res float64
	switch op {
	case "+":
		res = l + r
	case "-":
		res = l - r
	case "*":
		res = l * r
	case "/":
		res = l / r
	case "%":
		res = math.Mod(l, r)
	}
	if math.IsInf(res, 0) {
		throwf("D1001", "number out of range: %s", js.NumberToString(res))
	}
	return res
}

func compare(op string, lhs, rhs any) any {
	comparable := func(v any) bool {
		switch v.(type) {
		case nil, string, float64:
			return true
		}
		return false
	}
	if !comparable(lhs) || !comparable(rhs) {
		throwf("T2010", "the expressions either side of operator %s must evaluate to numeric or string values", op)
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	switch l := lhs.(type) {
	case float64:
		r, ok := rhs.(float64)
		if !ok {
			throwf("T2009", "the values %s and %s either side of operator %s must be of the same data type", describe(lhs), describe(rhs), op)
		}
		switch op {
		case "<":
			return l < r
		case "<=":
			return l <= r
		case ">":
			return l > r
		default:
			return l >= r
		}
	default:
		ls := lhs.(string)
		r, ok := rhs.(string)
		if !ok {
			throwf("T2009", "the values %s and %s either side of operator %s must be of the same data type", describe(lhs), describe(rhs), op)
		}
		c := compareUTF16(ls, r)
		switch op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		default:
			return c >= 0
		}
	}
}

// maxRange is the reference's limit on a range's size.
const maxRange = 1e7

func (e *evaluator) evalRange(lhs, rhs any) any {
	l, lok := lhs.(float64)
	if lhs != nil && (!lok || l != math.Trunc(l) || math.IsInf(l, 0)) {
		throwf("T2003", "the left side of the range operator (..) must evaluate to an integer")
	}
	r, rok := rhs.(float64)
	if rhs != nil && (!rok || r != math.Trunc(r) || math.IsInf(r, 0)) {
		throwf("T2004", "the right side of the range operator (..) must evaluate to an integer")
	}
	if lhs == nil || rhs == nil || l > r {
		return nil
	}
	size := r - l + 1
	if size > maxRange {
		throwf("D2014", "the size of the sequence allocated by the range operator (..) must not exceed 1e7; attempted to allocate %v", size)
	}
	n := int(size)
	e.b.step(n)
	e.b.charge(n * sizeItem)
	out := &array{sequence: true, items: make([]any, n)}
	for i := range n {
		out.items[i] = l + float64(i)
	}
	return out
}

// evalGroup is the reference's object constructor and group-by.
func (e *evaluator) evalGroup(pairs [][2]*node, input any, env *frame) any {
	type group struct {
		data      any   // the first item
		more      []any // the items after it, flattened as $append does
		exprIndex int
	}
	in, _ := input.(*array)
	reduce := in != nil && in.tupleStream
	if in == nil && len(pairs) <= maxSmallObject {
		return e.evalObjectOne(pairs, input, env)
	}
	if in == nil {
		in = asSequence(input)
	}
	items := in.items
	if len(items) == 0 && !reduce {
		items = []any{nil}
	}
	groups := newObject(len(pairs))
	var entries []*group
	for _, item := range items {
		ctx, genv := item, env
		if reduce {
			t := item.(*tuple)
			ctx, genv = t.at, tupleFrame(env, t)
		}
		for pi, pair := range pairs {
			k := e.eval(pair[0], ctx, genv)
			if k == nil {
				continue
			}
			key, ok := k.(string)
			if !ok {
				throwf("T1003", "key in object structure must evaluate to a string; got: %s", describe(k))
			}
			if gv, ok := groups.get(key); ok {
				g := entries[int(gv.(float64))]
				if g.exprIndex != pi {
					throwf("D1009", "multiple key definitions evaluate to same key: %s", key)
				}
				items := asItems(item)
				e.b.step(len(items))
				e.b.charge(len(items) * sizeItem)
				g.more = append(g.more, items...)
			} else {
				groups.set(key, float64(len(entries)))
				entries = append(entries, &group{data: item, exprIndex: pi})
			}
		}
	}
	result := newObject(len(entries))
	e.b.charge(sizeHeader + len(entries)*sizeEntry)
	for i, key := range groups.keys {
		g := entries[i]
		if g.more != nil {
			first := asItems(g.data)
			g.data = &array{sequence: true, items: append(first[:len(first):len(first)], g.more...)}
		}
		ctx, genv := g.data, env
		if reduce {
			t := reduceTuples(e.b, g.data)
			ctx = t.at
			genv = tupleFrame(env, t)
		}
		v := e.eval(pairs[g.exprIndex][1], ctx, genv)
		if v != nil {
			result.set(key, v)
		}
	}
	return result
}

// maxSmallObject is the largest constructor evalObjectOne builds.
const maxSmallObject = 32

// evalObjectOne is evalGroup over a single context item: every key
// groups that item alone, so no groups are built. Keys are evaluated
// first, then values, as in evalGroup.
func (e *evaluator) evalObjectOne(pairs [][2]*node, item any, env *frame) any {
	var keys [maxSmallObject]string
	var pairOf [maxSmallObject]int
	n := 0
	for pi, pair := range pairs {
		k := e.eval(pair[0], item, env)
		if k == nil {
			continue
		}
		key, ok := k.(string)
		if !ok {
			throwf("T1003", "key in object structure must evaluate to a string; got: %s", describe(k))
		}
		for j := range n {
			if keys[j] == key {
				throwf("D1009", "multiple key definitions evaluate to same key: %s", key)
			}
		}
		keys[n], pairOf[n] = key, pi
		n++
	}
	e.b.charge(sizeHeader + n*sizeEntry)
	result := newObject(n)
	for j := range n {
		if v := e.eval(pairs[pairOf[j]][1], item, env); v != nil {
			result.add(keys[j])
			result.vals = append(result.vals, v)
		}
	}
	return result
}

func reduceTuples(b *budget, stream any) *tuple {
	a, ok := stream.(*array)
	if !ok {
		return stream.(*tuple)
	}
	first := a.items[0].(*tuple)
	result := first.copy()
	for _, ti := range a.items[1:] {
		t := ti.(*tuple)
		result.at = appendValues(b, result.at, t.at)
		for i, n := range t.names {
			var cur any
			for j, rn := range result.names {
				if rn == n {
					cur = result.vals[j]
				}
			}
			result.bind(n, appendValues(b, cur, t.vals[i]))
		}
	}
	return result
}

func (e *evaluator) evalVariable(expr *node, input any, env *frame) any {
	if expr.op == "" {
		if a, ok := input.(*array); ok && a.outerWrapper {
			return a.items[0]
		}
		return input
	}
	return env.get(expr.op)
}

// evalSort is the reference's order-by: a stable merge sort.
func (e *evaluator) evalSort(expr *node, input *array, env *frame) *array {
	isTuple := input.tupleStream
	less := func(a, b any) bool { // reports whether a and b must swap
		comp := 0
		for _, term := range expr.terms {
			if comp != 0 {
				break
			}
			ctxA, envA := a, env
			ctxB, envB := b, env
			if isTuple {
				ctxA, envA = a.(*tuple).at, tupleFrame(env, a.(*tuple))
				ctxB, envB = b.(*tuple).at, tupleFrame(env, b.(*tuple))
			}
			aa := e.eval(term.expr, ctxA, envA)
			bb := e.eval(term.expr, ctxB, envB)
			if aa == nil {
				if bb != nil {
					comp = 1
				}
				continue
			}
			if bb == nil {
				comp = -1
				continue
			}
			_, an := aa.(float64)
			_, as := aa.(string)
			_, bn := bb.(float64)
			_, bs := bb.(string)
			if !(an || as) || !(bn || bs) {
				throwf("T2008", "the expressions within an order-by clause must evaluate to numeric or string values")
			}
			if an != bn {
				throwf("T2007", "type mismatch when comparing values %s and %s in order-by clause", describe(aa), describe(bb))
			}
			c := 0
			if an {
				x, y := aa.(float64), bb.(float64)
				if x < y {
					c = -1
				} else if x > y {
					c = 1
				}
			} else {
				e.b.step(min(len(aa.(string)), len(bb.(string))) / 64)
				c = compareUTF16(aa.(string), bb.(string))
				if c < 0 {
					c = -1
				} else if c > 0 {
					c = 1
				}
			}
			if c == 0 {
				continue
			}
			comp = c
			if term.descending {
				comp = -comp
			}
		}
		return comp == 1
	}
	sorted := mergeSort(e.b, input.items, less)
	e.b.charge(len(input.items) * sizeItem) // the merge buffer
	out := &array{items: sorted, sequence: input.sequence, tupleStream: input.tupleStream}
	if !out.sequence && !isTuple {
		out.sequence = true
	}
	return out
}

// mergeSort sorts items stably with swap (the reference's comparator
// semantics: swap reports whether a must come after b), charging the
// budget per comparison.
func mergeSort(b *budget, items []any, swap func(a, b any) bool) []any {
	b.charge(len(items) * sizeItem)
	out := append([]any(nil), items...)
	if len(out) < 2 {
		return out
	}
	tmp := make([]any, len(out))
	var sortRange func(lo, hi int)
	sortRange = func(lo, hi int) {
		if hi-lo < 2 {
			return
		}
		mid := (lo + hi) / 2
		sortRange(lo, mid)
		sortRange(mid, hi)
		i, j, k := lo, mid, lo
		for i < mid && j < hi {
			b.step(1)
			if swap(out[i], out[j]) {
				tmp[k] = out[j]
				j++
			} else {
				tmp[k] = out[i]
				i++
			}
			k++
		}
		k += copy(tmp[k:], out[i:mid])
		copy(tmp[k:], out[j:hi])
		copy(out[lo:hi], tmp[lo:hi])
	}
	sortRange(0, len(out))
	return out
}

// boolean is the reference's $boolean: nil for undefined.
func boolean(b *budget, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *array:
		if len(x.items) == 1 {
			return boolean(b, x.items[0])
		}
		b.step(len(x.items))
		for _, it := range x.items {
			if boolean(b, it) == true {
				return true
			}
		}
		return false
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	case bool:
		return x
	case *object:
		return x.len() > 0
	case *tuple:
		return boolean(b, x.at)
	}
	return false
}

func boolize(b *budget, v any) bool { return boolean(b, v) == true }

// arrayOfNumbers and arrayOfStrings are isArrayOfNumbers and
// isArrayOfStrings, charged.
func (e *evaluator) arrayOfNumbers(a *array) bool {
	e.b.step(len(a.items))
	return isArrayOfNumbers(a)
}

func (e *evaluator) arrayOfStrings(a *array) bool {
	e.b.step(len(a.items))
	return isArrayOfStrings(a)
}
