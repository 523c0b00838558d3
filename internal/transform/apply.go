package transform

import "regexp"

// lambda is a function value: a closure over a lambda expression, or the
// partial application of a lambda or a built-in.
type lambda struct {
	node  *node // kLambda
	input any
	env   *frame
	// Partial applications: the remaining parameters, and the built-in
	// they apply when native is set.
	partial bool
	params  []string
	native  *builtin
}

func (l *lambda) paramNames() []string {
	if l.partial {
		return l.params
	}
	return l.node.params
}

// builtin is a function implemented in Go.
type builtin struct {
	name  string
	sig   *signature
	arity int // declared parameters, as JavaScript's Function.length
	fn    func(e *evaluator, c *callCtx, args []any) any
}

// callCtx is a built-in's view of its call: the context value and scope.
type callCtx struct {
	input any
	env   *frame
}

// regexFunc is a regular expression literal used as a value.
type regexFunc struct {
	re   *regexp.Regexp
	cost int // see node.regexCost
}

// transformer is the function an object transformation |...|...| makes.
type transformer struct {
	node *node
	env  *frame
}

// arity is the reference's getFunctionArity.
func arity(f any) int {
	switch x := f.(type) {
	case *lambda:
		if x.native != nil && !x.partial {
			return x.native.arity
		}
		return len(x.paramNames())
	case *builtin:
		return x.arity
	case *transformer:
		return 1
	case *regexFunc:
		return 2
	}
	return 0
}

func (e *evaluator) evalFunction(expr *node, input any, env *frame, context any, hasContext bool) any {
	proc := e.eval(expr.procedure, input, env)
	if proc == nil && expr.procedure.kind == kPath && len(expr.procedure.steps) > 0 {
		if _, ok := env.lookup(expr.procedure.steps[0].op); ok {
			throwf("T1005", "attempted to invoke a non-function; did you mean $%s?", expr.procedure.steps[0].op)
		}
	}
	args := make([]any, 0, len(expr.args)+1)
	if hasContext {
		args = append(args, context)
	}
	for _, a := range expr.args {
		args = append(args, e.eval(a, input, env))
	}
	return e.apply(proc, args, input, env)
}

// apply calls proc, running tail calls in a loop (the reference's
// trampoline).
func (e *evaluator) apply(proc any, args []any, input any, env *frame) any {
	result := e.applyInner(proc, args, input, env)
	for {
		l, ok := result.(*lambda)
		if !ok || l.node == nil || !l.node.thunk || l.partial {
			return result
		}
		call := l.node.body
		next := e.eval(call.procedure, l.input, l.env)
		nargs := make([]any, len(call.args))
		for i, a := range call.args {
			nargs[i] = e.eval(a, l.input, l.env)
		}
		result = e.applyInner(next, nargs, input, env)
	}
}

func (e *evaluator) applyInner(proc any, args []any, input any, env *frame) any {
	e.b.step(1)
	switch f := proc.(type) {
	case *lambda:
		if f.node != nil && f.node.signature != nil && !f.partial {
			args = f.node.signature.validate(e.b, args, input, "")
		}
		return e.applyLambda(f, args)
	case *builtin:
		if f.sig != nil {
			args = f.sig.validate(e.b, args, input, f.name)
		}
		return f.fn(e, &callCtx{input: input, env: env}, args)
	case *transformer:
		args = transformSignature.validate(e.b, args, input, "")
		return e.runTransform(f, args[0])
	case *regexFunc:
		if len(args) == 0 {
			return nil
		}
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		from := 0
		if len(args) > 1 {
			if f, ok := args[1].(float64); ok {
				from = int(f)
			}
		}
		return e.regexMatchObject(f, s, from)
	}
	throwf("T1006", "attempted to invoke a non-function")
	return nil
}

func (e *evaluator) applyLambda(l *lambda, args []any) any {
	env := newFrame(l.env)
	names := l.paramNames()
	e.b.charge(2*sizeHeader + len(names)*(sizeItem+sizeEntry))
	for i, p := range names {
		var v any
		if i < len(args) {
			v = args[i]
		}
		env.bind(p, v)
	}
	if l.native != nil {
		// A partially applied built-in: its arguments are all bound.
		nargs := make([]any, len(l.native.argNames()))
		for i, n := range l.native.argNames() {
			nargs[i] = env.get(n)
		}
		// Trailing undefined arguments are missing, not undefined.
		for len(nargs) > 0 && nargs[len(nargs)-1] == nil {
			nargs = nargs[:len(nargs)-1]
		}
		return e.applyInner(l.native, nargs, l.input, env)
	}
	return e.eval(l.node.body, l.input, env)
}

// argNames names a built-in's parameters for partial application.
func (b *builtin) argNames() []string {
	names := make([]string, b.arity)
	for i := range names {
		names[i] = string(rune('\uE100' + i))
	}
	return names
}

func (e *evaluator) evalPartial(expr *node, input any, env *frame) any {
	args := make([]any, len(expr.args))
	for i, a := range expr.args {
		if a.kind == kPlaceholder {
			args[i] = placeholder{}
		} else {
			args[i] = e.eval(a, input, env)
		}
	}
	proc := e.eval(expr.procedure, input, env)
	if proc == nil && expr.procedure.kind == kPath && len(expr.procedure.steps) > 0 {
		if _, ok := env.lookup(expr.procedure.steps[0].op); ok {
			throwf("T1007", "attempted to partially apply a non-function; did you mean $%s?", expr.procedure.steps[0].op)
		}
	}
	switch f := proc.(type) {
	case *lambda:
		return partialLambda(f, f.paramNames(), args, env)
	case *builtin:
		base := &lambda{native: f, env: env, input: input}
		return partialLambda(base, f.argNames(), args, env)
	}
	throwf("T1008", "attempted to partially apply a non-function")
	return nil
}

// placeholder is a ? argument of a partial application.
type placeholder struct{}

func partialLambda(f *lambda, params []string, args []any, env *frame) *lambda {
	parent := f.env
	if parent == nil {
		parent = env
	}
	fenv := newFrame(parent)
	var unbound []string
	for i, p := range params {
		var a any
		if i < len(args) {
			a = args[i]
		}
		if _, ok := a.(placeholder); ok {
			unbound = append(unbound, p)
		} else {
			fenv.bind(p, a)
		}
	}
	return &lambda{node: f.node, input: f.input, env: fenv, partial: true, params: unbound, native: f.native}
}

func (e *evaluator) evalApply(expr *node, input any, env *frame) any {
	lhs := e.eval(expr.lhs, input, env)
	if expr.rhs.kind == kFunction {
		return e.evalFunction(expr.rhs, input, env, lhs, true)
	}
	fn := e.eval(expr.rhs, input, env)
	if !isFunction(fn) {
		throwf("T2006", "the right side of the function application operator ~> must be a function")
	}
	if isFunction(lhs) {
		return composition(lhs, fn)
	}
	return e.apply(fn, []any{lhs}, nil, env)
}

// composition is f ~> g: a function applying f then g.
func composition(f, g any) *builtin {
	return &builtin{name: "", arity: 1, fn: func(e *evaluator, c *callCtx, args []any) any {
		return e.apply(g, []any{e.apply(f, args, nil, c.env)}, nil, c.env)
	}}
}

var transformSignature = mustSignature("<(oa):o>")

// runTransform applies an object transformation to a copy of obj.
func (e *evaluator) runTransform(t *transformer, obj any) any {
	if obj == nil {
		return nil
	}
	clone := t.env.get("clone")
	if !isFunction(clone) {
		throwf("T2013", "the transform expression clones the input object using the $clone() function; this has been overridden in the current scope by a non-function")
	}
	result := e.apply(clone, []any{obj}, nil, t.env)
	expr := t.node
	matches := e.eval(expr.pattern, result, t.env)
	if matches == nil {
		return result
	}
	for _, m := range asItems(matches) {
		update := e.eval(expr.update, m, t.env)
		if update != nil {
			u, ok := update.(*object)
			if !ok {
				throwf("T2011", "the insert/update clause of the transform expression must evaluate to an object: %s", describe(update))
			}
			if mo, ok := m.(*object); ok && !mo.input {
				e.b.charge(u.len() * sizeEntry)
				for i, k := range u.keys {
					mo.set(k, u.vals[i])
				}
			}
		}
		if expr.delete != nil {
			dels := e.eval(expr.delete, m, t.env)
			if dels == nil {
				continue
			}
			items := asItems(dels)
			for _, d := range items {
				if _, ok := d.(string); !ok {
					throwf("T2012", "the delete clause of the transform expression must evaluate to a string or array of strings: %s", describe(dels))
				}
			}
			if mo, ok := m.(*object); ok && !mo.input {
				for _, d := range items {
					mo.remove(d.(string))
				}
			}
		}
	}
	return result
}
