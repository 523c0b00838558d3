package transform

import "strings"

// A projection is what an expression can read of its input, found before
// it runs, so that the decoder builds only those parts of a body: a
// reshape that picks a dozen fields of a webhook need not allocate the
// rest. The analysis is conservative: where it cannot tell what is read
// (a variable bound in the expression, a function value, the parent
// operator, $eval, ...), the whole input is decoded, exactly as without
// it. What is skipped is still checked to be JSON.

// need is what an expression can read of an input value: all of it, or
// some of its fields, each with its own need. Arrays are transparent: an
// array's items have the array's need, as path steps map over them. A nil
// *need is a value nothing reads, which the decoder skips.
type need struct {
	all    bool
	fields map[string]*need
}

// everything is the need of a value read whole.
var everything = &need{all: true}

// child is the need of the field k of a value with need nd.
func (nd *need) child(k string) *need {
	if nd == nil || nd.all {
		return nd
	}
	return nd.fields[k]
}

// projectInput returns what the expression rooted at root can read of its
// input: everything when it can read all of it or the analysis cannot
// tell.
func projectInput(root *node) *need {
	a := &projection{root: &need{}}
	a.full(a.eval(root, []*need{a.root})) // the result is output whole
	if a.unknown || a.root.all {
		return everything
	}
	return a.root
}

// projection is the state of an analysis.
type projection struct {
	root *need
	// unknown: the expression can read the input in a way the analysis
	// does not follow.
	unknown bool
}

// full marks values as read whole.
func (a *projection) full(ns []*need) {
	for _, n := range ns {
		n.all, n.fields = true, nil
	}
}

// value analyzes n used as a value (output, compared, converted, passed
// to a function): whatever input it returns is read whole.
func (a *projection) value(n *node, ctx []*need) { a.full(a.eval(n, ctx)) }

// eval analyzes n evaluated with a context drawn from the values ctx, and
// returns the input values its result can hold (none for the values it
// builds itself).
func (a *projection) eval(n *node, ctx []*need) []*need {
	if n == nil || a.unknown {
		return nil
	}
	if n.tuple || n.focus != "" || n.index != "" || n.ancestor != nil || len(n.seekingParent) > 0 || n.slot != nil {
		a.unknown = true // tuple streams and the parent operator read around the context
		return nil
	}
	var res []*need
	switch n.kind {
	case kPath:
		res = ctx
		for _, s := range n.steps {
			res = a.step(s, res)
		}
	case kName:
		res = fields(ctx, n.op)
	case kLiteral, kString, kRegex:
	case kVariable:
		switch n.op {
		case "": // the context
			res = ctx
		case "$": // the input
			res = []*need{a.root}
		default: // bound by the caller: the analysis does not follow it
			a.unknown = true
		}
	case kWildcard, kDescendant:
		a.full(ctx)
		res = ctx
	case kBinary, kAnd, kOr:
		a.value(n.lhs, ctx)
		a.value(n.rhs, ctx)
	case kNegate:
		a.value(n.rhs, ctx)
	case kArray:
		for _, e := range n.exprs {
			res = append(res, a.eval(e, ctx)...)
		}
	case kObject:
		for _, p := range n.pairs {
			a.value(p[0], ctx)
			a.value(p[1], ctx)
		}
	case kBlock:
		for i, e := range n.exprs {
			r := a.eval(e, ctx)
			if i == len(n.exprs)-1 {
				res = r
			} else {
				a.full(r)
			}
		}
	case kCondition:
		a.value(n.cond, ctx)
		res = append(a.eval(n.then, ctx), a.eval(n.els, ctx)...)
	case kCoalesce:
		res = append(a.eval(n.lhs, ctx), a.eval(n.rhs, ctx)...)
	case kElvis:
		lhs := a.eval(n.lhs, ctx)
		a.full(lhs) // its truth is read
		res = append(lhs, a.eval(n.rhs, ctx)...)
	case kSort:
		for _, t := range n.terms {
			a.value(t.expr, ctx)
		}
		res = ctx
	case kFunction:
		a.call(n.procedure, n.args, 0, ctx)
	case kApply:
		a.value(n.lhs, ctx)
		switch n.rhs.kind {
		case kFunction:
			a.call(n.rhs.procedure, n.rhs.args, 1, ctx)
		case kVariable:
			a.call(n.rhs, nil, 1, ctx)
		default:
			a.unknown = true
		}
	default: // bindings, lambdas, partial application, transforms
		a.unknown = true
	}
	for _, p := range n.predicate {
		a.filter(p.filter, res)
	}
	if n.hasGroup {
		for _, p := range n.group {
			a.value(p[0], res)
			a.value(p[1], res)
		}
		res = nil
	}
	return res
}

// step analyzes a path step evaluated on each of the values ctx.
func (a *projection) step(s *node, ctx []*need) []*need {
	res := a.eval(s, ctx)
	for _, st := range s.stages {
		if st.filter == nil {
			a.unknown = true // an index binding
			continue
		}
		a.filter(st.filter, res)
	}
	return res
}

// filter analyzes a predicate on the values ctx: a number (an index) reads
// nothing; anything else is read as a value of each item.
func (a *projection) filter(f *node, ctx []*need) {
	if f.kind == kLiteral {
		return
	}
	a.value(f, ctx)
}

// call analyzes a call of the built-in procedure with args (and before
// them, extra arguments supplied by ~>): the arguments are read whole,
// and so is the context when the built-in may take it in place of a
// missing argument of a type that can hold input (an object or array).
func (a *projection) call(procedure *node, args []*node, extra int, ctx []*need) {
	b, ok := builtins[procedure.op]
	if procedure.kind != kVariable || !ok || b.name == "eval" {
		a.unknown = true // a function value, or $eval's expression of its own
		return
	}
	for _, arg := range args {
		a.value(arg, ctx)
	}
	if b.sig.mayTakeContainerContext(extra + len(args)) {
		a.full(ctx)
	}
}

// fields returns the needs of the field name of the values ns.
func fields(ns []*need, name string) []*need {
	res := make([]*need, 0, len(ns))
	for _, n := range ns {
		if n.all {
			res = append(res, n)
			continue
		}
		c := n.fields[name]
		if c == nil {
			c = &need{}
			if n.fields == nil {
				n.fields = map[string]*need{}
			}
			n.fields[name] = c
		}
		res = append(res, c)
	}
	return res
}

// argSymbols are the signature symbols an argument can have.
const argSymbols = "asnblfom"

// maxContextCheckArgs bounds the calls whose argument types
// mayTakeContainerContext enumerates (8 symbols per argument); a call
// with more is assumed to take the context.
const maxContextCheckArgs = 4

// mayTakeContainerContext reports whether a call with n arguments can
// have the context substituted for a contextable parameter that accepts
// objects or arrays, for some types of its arguments.
func (sig *signature) mayTakeContainerContext(n int) bool {
	contextable := false
	for _, p := range sig.params {
		if p.context && strings.ContainsAny(p.class, "oa") {
			contextable = true
		}
	}
	if !contextable {
		return false
	}
	if n > maxContextCheckArgs {
		return true
	}
	supplied := make([]byte, n)
	var try func(i int) bool
	try = func(i int) bool {
		if i == n {
			m, ok := sig.match(string(supplied))
			if !ok {
				return false
			}
			for pi, p := range sig.params {
				if p.context && m[pi] == "" {
					return true
				}
			}
			return false
		}
		for j := range len(argSymbols) {
			supplied[i] = argSymbols[j]
			if try(i + 1) {
				return true
			}
		}
		return false
	}
	return try(0)
}
