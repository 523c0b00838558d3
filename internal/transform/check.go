package transform

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/blues/jsonata-go/jparse"
)

// Static limits enforced by Compile.
const (
	// MaxExpressionBytes is the longest expression Compile accepts.
	MaxExpressionBytes = 32 << 10
	// MaxDepth is the deepest syntax tree Compile accepts.
	MaxDepth = 256
	// MaxRangeItems bounds the total size of all range expressions
	// ([a..b]) in one expression.
	MaxRangeItems = 10000
)

// The rules enforced here are described in the package documentation.
// Why they bound recursion: a function value can only be called, bound to
// a variable, or handed to a built-in that calls it with data, so
// functions never flow into data and parameters only ever hold data; only
// named functions and literals can be called, so a parameter is never
// called; and the graph of which named function's definition refers to
// which is acyclic. No evaluation can therefore call a function from
// within itself, and the call depth is bounded by the expression.

// slot is what a position in the tree may hold.
type slot uint8

const (
	slotData    slot = iota // data only
	slotFunc                // a function or data
	slotDiscard             // anything: the value is thrown away
)

type analysis struct {
	funcs    map[string]bool            // variables that may hold a function
	params   map[string]bool            // lambda parameter names
	assigns  map[string][]jparse.Node   // assigned values by variable
	edges    map[string]map[string]bool // function name → functions its definitions refer to
	names    map[string]bool            // every $name the expression refers to
	apply    bool                       // the expression uses ~>
	rangeSum float64
}

// analyze checks root against the rules above.
func analyze(root jparse.Node) (*analysis, error) {
	a := &analysis{
		funcs:   map[string]bool{},
		params:  map[string]bool{},
		names:   map[string]bool{},
		assigns: map[string][]jparse.Node{},
		edges:   map[string]map[string]bool{},
	}
	if err := a.collect(root, 0, true, false); err != nil {
		return nil, err
	}
	// A variable may hold a function if any value assigned to it may be
	// one; iterate, since that depends on other variables.
	for changed := true; changed; {
		changed = false
		for name, values := range a.assigns {
			if a.funcs[name] {
				continue
			}
			for _, v := range values {
				if a.mayBeFunc(v) {
					a.funcs[name] = true
					changed = true
					break
				}
			}
		}
	}
	for name := range a.params {
		if a.funcs[name] {
			return nil, fmt.Errorf("$%s is both a function and a parameter name", name)
		}
	}
	if err := a.check(root, slotData); err != nil {
		return nil, err
	}
	for name, values := range a.assigns {
		if !a.funcs[name] {
			continue
		}
		for _, v := range values {
			a.refs(name, v)
		}
	}
	if err := a.acyclic(); err != nil {
		return nil, err
	}
	if err := a.bound(root); err != nil {
		return nil, err
	}
	return a, nil
}

// children returns a node's direct sub-expressions. It fails on a node
// type it does not know, so an unknown construct is rejected, not skipped.
func children(n jparse.Node) ([]jparse.Node, error) {
	switch n := n.(type) {
	case *jparse.StringNode, *jparse.NumberNode, *jparse.BooleanNode, *jparse.NullNode,
		*jparse.RegexNode, *jparse.VariableNode, *jparse.NameNode, *jparse.WildcardNode,
		*jparse.DescendentNode, *jparse.PlaceholderNode:
		return nil, nil
	case *jparse.PathNode:
		return n.Steps, nil
	case *jparse.NegationNode:
		return []jparse.Node{n.RHS}, nil
	case *jparse.RangeNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	case *jparse.ArrayNode:
		return n.Items, nil
	case *jparse.ObjectNode:
		return pairs(n), nil
	case *jparse.BlockNode:
		return n.Exprs, nil
	case *jparse.ConditionalNode:
		return nonNil(n.If, n.Then, n.Else), nil
	case *jparse.AssignmentNode:
		return []jparse.Node{n.Value}, nil
	case *jparse.GroupNode:
		return append([]jparse.Node{n.Expr}, pairs(n.ObjectNode)...), nil
	case *jparse.PredicateNode:
		return append([]jparse.Node{n.Expr}, n.Filters...), nil
	case *jparse.SortNode:
		out := []jparse.Node{n.Expr}
		for _, t := range n.Terms {
			out = append(out, t.Expr)
		}
		return out, nil
	case *jparse.LambdaNode:
		return []jparse.Node{n.Body}, nil
	case *jparse.TypedLambdaNode:
		return []jparse.Node{n.Body}, nil
	case *jparse.ObjectTransformationNode:
		return nonNil(n.Pattern, n.Updates, n.Deletes), nil
	case *jparse.PartialNode:
		return append([]jparse.Node{n.Func}, n.Args...), nil
	case *jparse.FunctionCallNode:
		return append([]jparse.Node{n.Func}, n.Args...), nil
	case *jparse.FunctionApplicationNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	case *jparse.NumericOperatorNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	case *jparse.ComparisonOperatorNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	case *jparse.BooleanOperatorNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	case *jparse.StringConcatenationNode:
		return []jparse.Node{n.LHS, n.RHS}, nil
	}
	return nil, fmt.Errorf("unsupported construct %T", n)
}

func pairs(o *jparse.ObjectNode) []jparse.Node {
	if o == nil {
		return nil
	}
	out := make([]jparse.Node, 0, 2*len(o.Pairs))
	for _, p := range o.Pairs {
		out = append(out, p[0], p[1])
	}
	return out
}

func nonNil(nodes ...jparse.Node) []jparse.Node {
	out := nodes[:0]
	for _, n := range nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// collect records names, assignments, parameters and ~>, and checks the
// depth, names, ranges and where assignments are. stmt reports whether n is
// a statement: the whole expression, a function body or an expression of a
// block. iter reports whether n may be evaluated once per item of some
// data: inside a function body, a path step after the first, a predicate,
// a sort term, a grouping or an object transformation.
func (a *analysis) collect(n jparse.Node, depth int, stmt, iter bool) error {
	if depth > MaxDepth {
		return fmt.Errorf("expression nests deeper than %d", MaxDepth)
	}
	switch n := n.(type) {
	case *jparse.VariableNode:
		a.names[n.Name] = true
	case *jparse.AssignmentNode:
		if n.Name == "" || n.Name == "$" || isBuiltin(n.Name) {
			return fmt.Errorf("cannot assign to $%s", n.Name)
		}
		if !stmt {
			// Elsewhere (an object value, an array item, an argument) the
			// assignment binds in the enclosing block on every iteration,
			// so a value could grow with each item.
			return fmt.Errorf("assignment to $%s must be a statement of a block: ($%s := ...; ...)", n.Name, n.Name)
		}
		a.assigns[n.Name] = append(a.assigns[n.Name], n.Value)
	case *jparse.LambdaNode:
		if err := a.addParams(n.ParamNames); err != nil {
			return err
		}
	case *jparse.TypedLambdaNode:
		if err := a.addParams(n.ParamNames); err != nil {
			return err
		}
	case *jparse.FunctionApplicationNode:
		a.apply = true
	case *jparse.RangeNode:
		if iter {
			// Built afresh for every item of the data, it would multiply
			// with the data's size, which the range limit cannot bound.
			return fmt.Errorf("range %s is inside a function, a path step or a predicate, where it is rebuilt for every item; assign it to a variable first: ($r := [%s]; ...)", n, n)
		}
		if err := a.addRange(n); err != nil {
			return err
		}
	}
	kids, err := children(n)
	if err != nil {
		return err
	}
	switch n.(type) {
	case *jparse.BlockNode, *jparse.LambdaNode, *jparse.TypedLambdaNode:
		stmt = true
	default:
		stmt = false
	}
	for i, k := range kids {
		kiter := iter
		switch n.(type) {
		case *jparse.LambdaNode, *jparse.TypedLambdaNode, *jparse.SortNode, *jparse.GroupNode,
			*jparse.ObjectTransformationNode:
			kiter = kiter || i > 0 || isLambda(n)
		case *jparse.PathNode, *jparse.PredicateNode:
			kiter = kiter || i > 0
		}
		if err := a.collect(k, depth+1, stmt, kiter); err != nil {
			return err
		}
	}
	return nil
}

func isLambda(n jparse.Node) bool {
	switch n.(type) {
	case *jparse.LambdaNode, *jparse.TypedLambdaNode, *jparse.ObjectTransformationNode:
		return true
	}
	return false
}

func (a *analysis) addParams(names []string) error {
	for _, p := range names {
		if p == "" || p == "$" || isBuiltin(p) {
			return fmt.Errorf("parameter $%s shadows a built-in", p)
		}
		a.params[p] = true
	}
	return nil
}

func (a *analysis) addRange(n *jparse.RangeNode) error {
	lo, ok1 := constInt(n.LHS)
	hi, ok2 := constInt(n.RHS)
	if !ok1 || !ok2 {
		return fmt.Errorf("range %s: bounds must be integer constants", n)
	}
	a.rangeSum += math.Max(hi-lo+1, 0)
	if a.rangeSum > MaxRangeItems {
		return fmt.Errorf("range %s: ranges allow at most %d items in total", n, MaxRangeItems)
	}
	return nil
}

func constInt(n jparse.Node) (float64, bool) {
	switch n := n.(type) {
	case *jparse.NumberNode:
		return n.Value, n.Value == math.Trunc(n.Value) && math.Abs(n.Value) < 1<<53
	case *jparse.NegationNode:
		v, ok := constInt(n.RHS)
		return -v, ok
	}
	return 0, false
}

// mayBeFunc reports whether n may evaluate to a function.
func (a *analysis) mayBeFunc(n jparse.Node) bool {
	switch n := n.(type) {
	case *jparse.LambdaNode, *jparse.TypedLambdaNode, *jparse.PartialNode, *jparse.ObjectTransformationNode:
		return true
	case *jparse.VariableNode:
		return a.funcs[n.Name] || isBuiltin(n.Name)
	case *jparse.BlockNode:
		return len(n.Exprs) > 0 && a.mayBeFunc(n.Exprs[len(n.Exprs)-1])
	case *jparse.ConditionalNode:
		return a.mayBeFunc(n.Then) || (n.Else != nil && a.mayBeFunc(n.Else))
	case *jparse.AssignmentNode:
		return a.mayBeFunc(n.Value)
	}
	// Paths, predicates, operators, constructors and calls yield data:
	// their operands are data, and functions return data.
	return false
}

// check enforces the slot rules on n, which sits in slot s.
func (a *analysis) check(n jparse.Node, s slot) error {
	if s == slotData && a.mayBeFunc(n) {
		return fmt.Errorf("function %s used as a value: a function can only be called, assigned to a variable, or passed to a built-in that calls it", snippet(n))
	}
	switch n := n.(type) {
	case *jparse.AssignmentNode:
		vs := slotData
		if a.funcs[n.Name] {
			vs = slotFunc
		}
		return a.check(n.Value, vs)
	case *jparse.BlockNode:
		for i, e := range n.Exprs {
			es := slotDiscard
			if i == len(n.Exprs)-1 {
				es = s
			}
			if err := a.check(e, es); err != nil {
				return err
			}
		}
		return nil
	case *jparse.ConditionalNode:
		if err := a.check(n.If, slotData); err != nil {
			return err
		}
		if err := a.check(n.Then, s); err != nil {
			return err
		}
		if n.Else != nil {
			return a.check(n.Else, s)
		}
		return nil
	case *jparse.FunctionCallNode:
		return a.checkCall(n.Func, n.Args, 0)
	case *jparse.PartialNode:
		return a.checkCall(n.Func, n.Args, 0)
	case *jparse.FunctionApplicationNode:
		if err := a.check(n.LHS, slotData); err != nil {
			return err
		}
		switch rhs := n.RHS.(type) {
		case *jparse.FunctionCallNode:
			// x ~> $f(a) calls $f(x, a).
			return a.checkCall(rhs.Func, rhs.Args, 1)
		case *jparse.PartialNode, *jparse.ObjectTransformationNode:
			return a.check(rhs, slotFunc)
		}
		if err := a.checkCallee(n.RHS); err != nil {
			return err
		}
		return a.check(n.RHS, slotFunc)
	}
	kids, err := children(n)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if _, ok := k.(*jparse.PlaceholderNode); ok {
			return fmt.Errorf("placeholder ? outside a function call")
		}
		if err := a.check(k, slotData); err != nil {
			return err
		}
	}
	return nil
}

// checkCallee checks that n is something that may be called: a built-in,
// a variable assigned a function, or a function literal.
func (a *analysis) checkCallee(n jparse.Node) error {
	for {
		b, ok := n.(*jparse.BlockNode)
		if !ok || len(b.Exprs) != 1 {
			break
		}
		n = b.Exprs[0]
	}
	switch n := n.(type) {
	case *jparse.VariableNode:
		if a.funcs[n.Name] || isBuiltin(n.Name) {
			return nil
		}
		if a.params[n.Name] {
			return fmt.Errorf("cannot call parameter $%s: only built-ins, variables assigned a function and function literals can be called", n.Name)
		}
		return fmt.Errorf("unknown function $%s", n.Name)
	case *jparse.LambdaNode, *jparse.TypedLambdaNode:
		return nil
	}
	return fmt.Errorf("cannot call %s: only built-ins, variables assigned a function and function literals can be called", snippet(n))
}

// checkCall checks a call of fn with args; offset is 1 when ~> supplies
// the first argument.
func (a *analysis) checkCall(fn jparse.Node, args []jparse.Node, offset int) error {
	if err := a.checkCallee(fn); err != nil {
		return err
	}
	if err := a.check(fn, slotFunc); err != nil {
		return err
	}
	builtin := ""
	if v, ok := fn.(*jparse.VariableNode); ok && isBuiltin(v.Name) {
		builtin = v.Name
	}
	arity := len(args) + offset
	for i, arg := range args {
		if _, ok := arg.(*jparse.PlaceholderNode); ok {
			continue
		}
		s := slotData
		if callbackArg(builtin, arity, i+offset) {
			s = slotFunc
		}
		if err := a.check(arg, s); err != nil {
			return err
		}
	}
	return nil
}

// callbackArg reports whether argument pos of a call of the built-in with
// arity arguments is one the built-in calls (rather than keeps or returns).
// It follows jsonata-go v1.5.4's signatures and context handlers.
func callbackArg(builtin string, arity, pos int) bool {
	switch builtin {
	case "map", "filter", "reduce", "single", "sort", "each":
		return pos == 1
	case "sift":
		// $sift(fn) applies fn to the context.
		return (arity == 1 && pos == 0) || (arity > 1 && pos == 1)
	case "contains", "split", "match", "replace":
		// Every parameter is a string, a number or a function that is
		// called with a match; a function in a string or number position
		// is a type error, never kept.
		return true
	}
	return false
}

// refs records, for the function variable name, every function variable
// the definition n refers to.
func (a *analysis) refs(name string, n jparse.Node) {
	if v, ok := n.(*jparse.VariableNode); ok && a.funcs[v.Name] {
		if a.edges[name] == nil {
			a.edges[name] = map[string]bool{}
		}
		a.edges[name][v.Name] = true
	}
	kids, _ := children(n) // known node types: checked by collect
	for _, k := range kids {
		a.refs(name, k)
	}
}

// acyclic reports a cycle in the function reference graph.
func (a *analysis) acyclic() error {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case active:
			i := len(path) - 1
			for path[i] != n {
				i--
			}
			cycle := append(append([]string(nil), path[i:]...), n)
			if len(cycle) == 2 {
				return fmt.Errorf("recursive function $%s is not allowed", n)
			}
			return fmt.Errorf("recursive functions are not allowed: $%s", strings.Join(cycle, " → $"))
		case done:
			return nil
		}
		state[n] = active
		path = append(path, n)
		for _, m := range sortedKeys(a.edges[n]) {
			if err := visit(m); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, n := range sortedKeys(a.edges) {
		if err := visit(n); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// snippet renders n for an error message.
func snippet(n jparse.Node) string {
	s := n.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
