package transform

import (
	"errors"
	"fmt"
	"math"

	"github.com/blues/jsonata-go/jparse"
)

// MaxAmplification bounds how many times larger than its input (plus its
// literals) any value of an expression may be, as estimated by Compile's
// static size analysis.
const MaxAmplification = 1000

// rangeItemsPerUnit is how many numbers of a range count as one unit of
// size: all ranges together take at most half the amplification limit.
const rangeItemsPerUnit = 2 * MaxRangeItems / MaxAmplification

// maxBoundSteps bounds the work of the size analysis, which re-analyses a
// function body at each call.
const maxBoundSteps = 200000

// The size analysis rejects expressions that can build values
// exponentially larger than their input with no loop at all: a chain of
// variables or nested calls that each double a string ($b := $a & $a;
// $c := $b & $b; ...), an array or an object. jsonata-go cannot be
// interrupted while it concatenates, so such an expression would exhaust
// memory before any deadline.
//
// Sizes are counted in units of the input plus the expression's literals:
// a literal, a scalar result and a reference to input data ($, $$, a path)
// count 1, a range one per rangeItemsPerUnit numbers; concatenation, array
// and object constructors add their parts; a mapping (a path step that is
// an expression, $map, a group) multiplies the size of the sequence by the
// size of each result; variables and function results are tracked through
// the evaluation order of blocks (as jsonata-go binds them), and a function
// body is sized at each call with its arguments' sizes. Any value larger
// than MaxAmplification units is rejected. How many items an input array
// has is not known statically, so a mapping that copies data from outside
// the item for every item (items.($$ & "")) is bounded only per item.

// errTooBig reports an amplification over the limit.
var errTooBig = errors.New("too big")

// sizeScope is a lexical scope of the size analysis, filled in evaluation
// order as jsonata-go fills its environments.
type sizeScope struct {
	parent *sizeScope
	vars   map[string]*sizeBinding
	ctx    float64 // the size of $
}

type sizeBinding struct {
	size float64
	// fn is the function value of a variable assigned a function, defined
	// in scope def.
	fn  jparse.Node
	def *sizeScope
}

func (s *sizeScope) lookup(name string) *sizeBinding {
	for ; s != nil; s = s.parent {
		if b, ok := s.vars[name]; ok {
			return b
		}
	}
	return nil
}

func (s *sizeScope) child(ctx float64) *sizeScope {
	return &sizeScope{parent: s, vars: map[string]*sizeBinding{}, ctx: ctx}
}

type sizer struct {
	a     *analysis
	steps int
}

// bound runs the size analysis on root.
func (a *analysis) bound(root jparse.Node) error {
	z := &sizer{a: a}
	_, err := z.size(root, (&sizeScope{}).child(1))
	switch {
	case errors.Is(err, errTooBig):
		return fmt.Errorf("expression could build values over %d times the size of its input (a chain of variables or calls that each duplicate a value?)", MaxAmplification)
	case err != nil:
		return err
	}
	return nil
}

func (z *sizer) limit(v float64) (float64, error) {
	if v > MaxAmplification || math.IsNaN(v) {
		return 0, errTooBig
	}
	return v, nil
}

func (z *sizer) size(n jparse.Node, sc *sizeScope) (float64, error) {
	if z.steps++; z.steps > maxBoundSteps {
		return 0, errors.New("expression too complex to analyse")
	}
	v, err := z.node(n, sc)
	if err != nil {
		return 0, err
	}
	return z.limit(v)
}

func (z *sizer) sum(sc *sizeScope, nodes ...jparse.Node) (float64, error) {
	total := 0.0
	for _, n := range nodes {
		if n == nil {
			continue
		}
		v, err := z.size(n, sc)
		if err != nil {
			return 0, err
		}
		total += v
	}
	return z.limit(total)
}

func (z *sizer) node(n jparse.Node, sc *sizeScope) (float64, error) {
	switch n := n.(type) {
	case *jparse.StringNode, *jparse.NumberNode, *jparse.BooleanNode, *jparse.NullNode, *jparse.RegexNode:
		return 1, nil
	case *jparse.NameNode, *jparse.WildcardNode, *jparse.DescendentNode:
		return sc.ctx, nil
	case *jparse.VariableNode:
		switch n.Name {
		case "":
			return sc.ctx, nil
		case "$":
			return 1, nil
		}
		if b := sc.lookup(n.Name); b != nil && b.fn == nil {
			return b.size, nil
		}
		return 0, nil // a function, or undefined
	case *jparse.LambdaNode, *jparse.TypedLambdaNode, *jparse.PartialNode,
		*jparse.ObjectTransformationNode, *jparse.PlaceholderNode:
		return 0, nil // a function value: sized where it is called
	case *jparse.RangeNode:
		// Counted as one unit per rangeItemsPerUnit numbers: ranges are
		// built once (never inside an iteration), so only their use
		// through variables in nested mappings can multiply.
		lo, _ := constInt(n.LHS)
		hi, _ := constInt(n.RHS)
		return math.Max(1, (hi-lo+1)/rangeItemsPerUnit), nil
	case *jparse.NegationNode, *jparse.NumericOperatorNode, *jparse.ComparisonOperatorNode,
		*jparse.BooleanOperatorNode:
		// Scalars.
		kids, _ := children(n)
		if _, err := z.sum(sc, kids...); err != nil {
			return 0, err
		}
		return 1, nil
	case *jparse.StringConcatenationNode:
		return z.sum(sc, n.LHS, n.RHS)
	case *jparse.ArrayNode:
		return z.sum(sc, n.Items...)
	case *jparse.ObjectNode:
		return z.sum(sc, pairs(n)...)
	case *jparse.PathNode:
		return z.path(n, sc)
	case *jparse.PredicateNode:
		v, err := z.size(n.Expr, sc)
		if err != nil {
			return 0, err
		}
		if _, err := z.sum(sc.child(v), n.Filters...); err != nil {
			return 0, err
		}
		return v, nil
	case *jparse.GroupNode:
		v, err := z.size(n.Expr, sc)
		if err != nil {
			return 0, err
		}
		each, err := z.sum(sc.child(v), pairs(n.ObjectNode)...)
		if err != nil {
			return 0, err
		}
		return z.limit(v * each)
	case *jparse.SortNode:
		v, err := z.size(n.Expr, sc)
		if err != nil {
			return 0, err
		}
		for _, t := range n.Terms {
			if _, err := z.size(t.Expr, sc.child(v)); err != nil {
				return 0, err
			}
		}
		return v, nil
	case *jparse.ConditionalNode:
		if _, err := z.size(n.If, sc); err != nil {
			return 0, err
		}
		t, err := z.size(n.Then, sc)
		if err != nil {
			return 0, err
		}
		e := 0.0
		if n.Else != nil {
			if e, err = z.size(n.Else, sc); err != nil {
				return 0, err
			}
		}
		return math.Max(t, e), nil
	case *jparse.BlockNode:
		inner := sc.child(sc.ctx)
		v := 0.0
		for _, e := range n.Exprs {
			var err error
			if v, err = z.size(e, inner); err != nil {
				return 0, err
			}
		}
		return v, nil
	case *jparse.AssignmentNode:
		// A statement: it binds in the scope it runs in.
		if z.a.funcs[n.Name] {
			sc.vars[n.Name] = &sizeBinding{fn: n.Value, def: sc}
			return 0, nil
		}
		v, err := z.size(n.Value, sc)
		if err != nil {
			return 0, err
		}
		sc.vars[n.Name] = &sizeBinding{size: v}
		return v, nil
	case *jparse.FunctionCallNode:
		return z.call(n.Func, n.Args, nil, sc)
	case *jparse.FunctionApplicationNode:
		lhs, err := z.size(n.LHS, sc)
		if err != nil {
			return 0, err
		}
		if c, ok := n.RHS.(*jparse.FunctionCallNode); ok {
			return z.call(c.Func, c.Args, []float64{lhs}, sc)
		}
		return z.apply(n.RHS, []float64{lhs}, sc, sc.ctx)
	}
	return 0, fmt.Errorf("unsupported construct %T", n)
}

// path sizes a path: navigation steps (names, wildcards, predicates on
// them) select parts of their input; any other step is evaluated once per
// item, so it multiplies.
func (z *sizer) path(n *jparse.PathNode, sc *sizeScope) (float64, error) {
	v := 0.0
	for i, step := range n.Steps {
		if i == 0 {
			var err error
			if v, err = z.size(step, sc); err != nil {
				return 0, err
			}
			continue
		}
		if navigation(step) {
			if _, err := z.size(step, sc.child(v)); err != nil {
				return 0, err
			}
			continue
		}
		each, err := z.size(step, sc.child(v))
		if err != nil {
			return 0, err
		}
		if v, err = z.limit(v * math.Max(each, 1)); err != nil {
			return 0, err
		}
	}
	return v, nil
}

func navigation(step jparse.Node) bool {
	switch s := step.(type) {
	case *jparse.NameNode, *jparse.WildcardNode, *jparse.DescendentNode:
		return true
	case *jparse.PredicateNode:
		return navigation(s.Expr)
	case *jparse.SortNode:
		return navigation(s.Expr)
	}
	return false
}

// call sizes a call of fn with args; pre holds the sizes of arguments
// supplied before args (by ~>).
func (z *sizer) call(fn jparse.Node, args []jparse.Node, pre []float64, sc *sizeScope) (float64, error) {
	sizes := append([]float64(nil), pre...)
	var callbacks []jparse.Node
	for _, arg := range args {
		if z.a.mayBeFunc(arg) {
			sizes = append(sizes, 0)
			callbacks = append(callbacks, arg)
			continue
		}
		callbacks = append(callbacks, nil)
		v, err := z.size(arg, sc)
		if err != nil {
			return 0, err
		}
		sizes = append(sizes, v)
	}
	if v, ok := fn.(*jparse.VariableNode); ok && isBuiltin(v.Name) {
		return z.builtin(v.Name, sizes, callbacks, len(pre), sc)
	}
	return z.apply(fn, sizes, sc, sc.ctx)
}

// apply sizes the result of calling the function value fn, found in scope
// sc, with arguments of the given sizes.
func (z *sizer) apply(fn jparse.Node, args []float64, sc *sizeScope, ctx float64) (float64, error) {
	if z.steps++; z.steps > maxBoundSteps {
		return 0, errors.New("expression too complex to analyse")
	}
	arg := func(i int) float64 {
		if i < len(args) {
			return args[i]
		}
		return 0
	}
	switch f := fn.(type) {
	case *jparse.VariableNode:
		if isBuiltin(f.Name) {
			return z.builtin(f.Name, args, nil, 0, sc)
		}
		b := sc.lookup(f.Name)
		if b == nil || b.fn == nil {
			return 0, nil // not a function: a runtime error
		}
		return z.apply(b.fn, args, b.def, b.def.ctx)
	case *jparse.LambdaNode:
		return z.lambda(f.ParamNames, f.Body, args, sc, ctx)
	case *jparse.TypedLambdaNode:
		return z.lambda(f.ParamNames, f.Body, args, sc, ctx)
	case *jparse.PartialNode:
		var full []float64
		for _, a := range f.Args {
			if _, ok := a.(*jparse.PlaceholderNode); ok {
				full = append(full, arg(0))
				if len(args) > 0 {
					args = args[1:]
				}
				continue
			}
			if z.a.mayBeFunc(a) {
				full = append(full, 0)
				continue
			}
			v, err := z.size(a, sc)
			if err != nil {
				return 0, err
			}
			full = append(full, v)
		}
		if v, ok := f.Func.(*jparse.VariableNode); ok && isBuiltin(v.Name) {
			return z.builtin(v.Name, full, f.Args, 0, sc)
		}
		return z.apply(f.Func, full, sc, ctx)
	case *jparse.ObjectTransformationNode:
		in := arg(0)
		upd, err := z.sum(sc.child(in), f.Pattern, f.Updates, f.Deletes)
		if err != nil {
			return 0, err
		}
		return z.limit(in * (1 + upd))
	case *jparse.BlockNode:
		if len(f.Exprs) == 0 {
			return 0, nil
		}
		inner := sc.child(ctx)
		for _, e := range f.Exprs[:len(f.Exprs)-1] {
			if _, err := z.size(e, inner); err != nil {
				return 0, err
			}
		}
		return z.apply(f.Exprs[len(f.Exprs)-1], args, inner, ctx)
	case *jparse.ConditionalNode:
		t, err := z.apply(f.Then, args, sc, ctx)
		if err != nil {
			return 0, err
		}
		e := 0.0
		if f.Else != nil {
			if e, err = z.apply(f.Else, args, sc, ctx); err != nil {
				return 0, err
			}
		}
		return math.Max(t, e), nil
	case *jparse.AssignmentNode:
		return z.apply(f.Value, args, sc, ctx)
	}
	return 0, nil // not a function: a runtime error
}

func (z *sizer) lambda(params []string, body jparse.Node, args []float64, def *sizeScope, ctx float64) (float64, error) {
	sc := def.child(ctx)
	for i, p := range params {
		v := 0.0
		if i < len(args) {
			v = args[i]
		}
		sc.vars[p] = &sizeBinding{size: v}
	}
	return z.size(body, sc)
}

// builtin sizes a call of a built-in. callbacks holds the function-valued
// argument nodes (nil elsewhere), offset the number of leading arguments
// without a node.
func (z *sizer) builtin(name string, args []float64, callbacks []jparse.Node, offset int, sc *sizeScope) (float64, error) {
	arg := func(i int) float64 {
		if i < len(args) {
			return args[i]
		}
		return 0
	}
	total := 0.0
	for _, v := range args {
		total += v
	}
	// cb sizes the result of the function argument at position i, called
	// with arguments of the given sizes; 0 without one.
	cb := func(i int, with ...float64) (float64, error) {
		i -= offset
		if i < 0 || i >= len(callbacks) || callbacks[i] == nil {
			return 0, nil
		}
		return z.apply(callbacks[i], with, sc, sc.ctx)
	}
	switch name {
	case "length", "number", "abs", "floor", "ceil", "round", "power", "sqrt", "random",
		"sum", "max", "min", "average", "boolean", "not", "exists", "count", "formatBase",
		"toMillis", "type", "error", "millis", "now", "contains":
		// Scalars (and their callbacks' results are discarded).
		for i := range callbacks {
			if _, err := cb(i+offset, arg(0)); err != nil {
				return 0, err
			}
		}
		return 1, nil
	case "formatNumber", "fromMillis":
		return z.limit(1 + total)
	case "base64encode":
		return z.limit(2 * total)
	case "encodeUrl", "encodeUrlComponent":
		return z.limit(3 * total)
	case "string":
		// Pretty-printing adds indentation.
		return z.limit(2 * total)
	case "join":
		return z.limit(arg(0) * (1 + arg(1)))
	case "replace", "split", "match":
		// Every match of the pattern in the string can be replaced by the
		// replacement (a string or a function's result).
		var repl float64
		for i := range callbacks {
			r, err := cb(i+offset, total)
			if err != nil {
				return 0, err
			}
			repl = math.Max(repl, r)
		}
		return z.limit(total * (1 + repl + total))
	case "map", "each":
		r, err := cb(1, arg(0), 1, arg(0))
		if err != nil {
			return 0, err
		}
		return z.limit(arg(0) * math.Max(r, 1))
	case "filter", "single", "sort", "sift":
		for i := range callbacks {
			if _, err := cb(i+offset, arg(0), arg(0), arg(0)); err != nil {
				return 0, err
			}
		}
		return arg(0), nil
	case "reduce":
		// The accumulator's growth over the iterations is checked at run
		// time, on each call of the function.
		r, err := cb(1, arg(0)+arg(2), arg(0), 1, arg(0))
		if err != nil {
			return 0, err
		}
		return z.limit(math.Max(r, arg(0)+arg(2)))
	}
	// Everything else returns at most its arguments: substring, trim,
	// uppercase, pad (width bounded at run time), append, merge, keys, ...
	for i := range callbacks {
		if _, err := cb(i+offset, total); err != nil {
			return 0, err
		}
	}
	return z.limit(math.Max(total, 1))
}
