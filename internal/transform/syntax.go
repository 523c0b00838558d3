package transform

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/blues/jsonata-go/jparse"
)

// Limits on the source, protecting the parser (jparse recurses on the Go
// stack).
const (
	// MaxExpressionBytes bounds the length of an expression.
	MaxExpressionBytes = 64 << 10
	// MaxNesting bounds the nesting of brackets in an expression.
	MaxNesting = 200
)

// marker starts the names the pre-pass gives to syntax jparse does not
// know. It is a private-use character; expressions may not contain it.
const marker = '\uE000'

const (
	markParent   = string(marker) + "%"
	markIndex    = string(marker) + "#"
	markFocus    = string(marker) + "@"
	markCoalesce = string(marker) + "coalesce"
	markElvis    = string(marker) + "elvis"
)

// parse parses a JSONata expression into a processed syntax tree.
func parse(expr string) (_ *node, err error) {
	if len(expr) > MaxExpressionBytes {
		return nil, &CompileError{Reason: fmt.Sprintf("expression longer than %d bytes", MaxExpressionBytes), Position: -1}
	}
	if !utf8.ValidString(expr) {
		return nil, &CompileError{Reason: "expression is not valid UTF-8", Position: -1}
	}
	src, err := prepass(expr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			if a, ok := v.(abort); ok {
				err = a.err
				return
			}
			err = &CompileError{Reason: fmt.Sprintf("cannot parse expression: %v", v), Position: -1}
		}
	}()
	root, err := jparse.Parse(src)
	if err != nil {
		pos := -1
		if e, ok := err.(*jparse.Error); ok {
			pos = e.Position
		}
		return nil, &CompileError{Reason: "syntax error: " + strings.ReplaceAll(err.Error(), string(marker), ""), Position: pos}
	}
	c := &converter{}
	n := c.convert(root)
	if n.kind == kPath && len(n.seekingParent) > 0 {
		// A parent operator with no step to read it from.
		throwCompile("S0217", "the object representing the 'parent' cannot be derived from this expression")
	}
	return n, nil
}

func throwCompile(code, format string, args ...any) {
	throw(&CompileError{Reason: fmt.Sprintf(format, args...) + " (" + code + ")", Position: -1})
}

// prepass rewrites the syntax of JSONata 2.x that jparse does not parse
// into forms it does, marked so that convert recognises them:
//
//	%           `\uE000%`                  a path step
//	step#$i     step.`\uE000#i`            a pseudo step
//	step@$v     step.`\uE000@v`            a pseudo step
//	a ?? b      a ~> $\uE000coalesce ~> b  same precedence as ~>
//	a ?: b      a ~> $\uE000elvis ~> b
//
// It also removes /* comments */, and refuses '!' and '~' outside '!='
// and '~>' (jparse's lexer never returns on them in some positions), and
// brackets nested deeper than MaxNesting.
func prepass(src string) (string, error) {
	var out strings.Builder
	out.Grow(len(src) + 16)
	operand := false  // the last token ends an operand: '/' divides, '%' is modulo
	afterDot := false // the last token is the '.' of a path
	depth := 0
	fail := func(i int, format string, args ...any) (string, error) {
		return "", &CompileError{Reason: "syntax error: " + fmt.Sprintf(format, args...), Position: i}
	}
	if i := strings.IndexRune(src, marker); i >= 0 {
		return fail(i, "unsupported character U+E000")
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v':
			out.WriteByte(c)
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return fail(i, "comment has no closing tag (S0106)")
			}
			out.WriteByte(' ')
			i += end + 4
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return fail(i, "string literal must be terminated by a matching quote (S0101)")
			}
			lit := src[i : j+1]
			// A string literal as a path step is a name ("a"."b" is a.b):
			// jparse refuses literals there.
			if afterDot || nextIsDot(src, j+1) {
				if name, ok := unquote(lit); ok {
					lit = "`" + name + "`"
				}
			}
			out.WriteString(lit)
			i = j + 1
			operand = true
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return fail(i, "quoted property name must be terminated with a backquote (S0105)")
			}
			out.WriteString(src[i : i+j+2])
			i += j + 2
			operand = true
		case c == '/' && !operand:
			j := regexEnd(src, i+1)
			if j < 0 {
				return fail(i, "no terminating / in regular expression (S0302)")
			}
			if j == i+1 {
				return fail(i, "empty regular expressions are not allowed (S0301)")
			}
			k := j + 1
			for k < len(src) && strings.IndexByte("imsg", src[k]) >= 0 {
				k++
			}
			out.WriteString(src[i : j+1])
			out.WriteString(strings.ReplaceAll(src[j+1:k], "g", "")) // g changes nothing
			i = k
			operand = true
		case c == '%' && !operand:
			out.WriteString("`" + markParent + "`")
			i++
			operand = true
		case c == '#' || c == '@':
			j := i + 1
			for j < len(src) && strings.IndexByte(" \t\n\r\v", src[j]) >= 0 {
				j++
			}
			if j >= len(src) || src[j] != '$' {
				return fail(i, "the right side of %c must be a variable name (S0214)", c)
			}
			k := j + 1
			for k < len(src) && isNameByte(src[k]) {
				k++
			}
			mark := markIndex
			if c == '@' {
				mark = markFocus
			}
			out.WriteString(".`" + mark + src[j+1:k] + "`")
			i = k
			operand = true
		case c == '?' && i+1 < len(src) && src[i+1] == '?':
			out.WriteString(" ~> $" + markCoalesce + " ~> ")
			i += 2
			operand = false
		case c == '?' && i+1 < len(src) && src[i+1] == ':' && !strings.HasPrefix(src[i+1:], ":="):
			out.WriteString(" ~> $" + markElvis + " ~> ")
			i += 2
			operand = false
		case c == '!' && !strings.HasPrefix(src[i:], "!="):
			return fail(i, "unexpected character '!'")
		case c == '~' && !strings.HasPrefix(src[i:], "~>"):
			return fail(i, "unexpected character '~'")
		case c == '(' || c == '[' || c == '{':
			depth++
			if depth > MaxNesting {
				return fail(i, "expression nested more than %d levels", MaxNesting)
			}
			out.WriteByte(c)
			i++
			operand = false
		case c == ')' || c == ']' || c == '}':
			depth--
			out.WriteByte(c)
			i++
			operand = true
			if c == ')' {
				// A function's type signature: copy it untouched.
				if n := signatureAfter(src, i); n > 0 {
					out.WriteString(src[i : i+n])
					i += n
					operand = false
				}
			}
		case c == '*':
			if i+1 < len(src) && src[i+1] == '*' {
				out.WriteString("**")
				i += 2
			} else {
				out.WriteByte('*')
				i++
			}
			operand = !operand // a wildcard is an operand, a product is not
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isNameByte(src[j]) || src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9') {
				if (src[j] == 'e' || src[j] == 'E') && j+1 < len(src) && (src[j+1] == '+' || src[j+1] == '-') {
					j++
				}
				j++
			}
			out.WriteString(src[i:j])
			i = j
			operand = true
		case isNameByte(c) || c == '$' || c >= utf8.RuneSelf:
			j := i + 1
			for j < len(src) && (isNameByte(src[j]) || src[j] >= utf8.RuneSelf) {
				j++
			}
			word := src[i:j]
			out.WriteString(word)
			i = j
			switch word {
			case "and", "or", "in":
				// An operator after an operand, a name otherwise.
				operand = !operand
			default:
				operand = true
			}
		default:
			out.WriteByte(c)
			i++
			operand = false
			if c == '.' && !(i < len(src) && src[i] == '.') && !(i >= 2 && src[i-2] == '.') {
				afterDot = true
				continue
			}
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' {
			afterDot = false
		}
	}
	return out.String(), nil
}

// nextIsDot reports whether the next token from i is '.' (not '..').
func nextIsDot(src string, i int) bool {
	for i < len(src) && strings.IndexByte(" \t\n\r\v", src[i]) >= 0 {
		i++
	}
	return i < len(src) && src[i] == '.' && !(i+1 < len(src) && src[i+1] == '.')
}

// unquote returns the text of a string literal, if it can be written as
// a backquoted name.
func unquote(lit string) (string, bool) {
	body := lit[1 : len(lit)-1]
	if strings.ContainsAny(body, "`\n") {
		return "", false
	}
	if !strings.Contains(body, "\\") {
		return body, true
	}
	n, err := parse(lit)
	if err != nil || n.kind != kString {
		return "", false
	}
	name := n.value.(string)
	return name, !strings.ContainsAny(name, "`\n")
}

// isNameByte reports whether c continues a name or variable (jparse ends
// them at whitespace and operator characters).
func isNameByte(c byte) bool {
	if c >= utf8.RuneSelf {
		return false
	}
	return strings.IndexByte(" \t\n\r\v[]{}().,;:?+-*/%|=<>^&!~\"'`#@", c) < 0
}

// regexEnd returns the index of the '/' closing a regex that starts at i,
// or -1: it skips escapes and ignores '/' inside brackets, as the lexers
// do.
func regexEnd(src string, i int) int {
	depth := 0
	for ; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '\n':
			return -1
		case '/':
			if depth <= 0 {
				return i
			}
		}
	}
	return -1
}

// maxSignature bounds the length of a function type signature.
const maxSignature = 256

// signatureAfter returns the length of a function type signature
// ("<n-s?:s>", after optional spaces) starting at i when the ')' before i
// closes a lambda's parameter list, or 0.
func signatureAfter(src string, i int) int {
	j := i
	for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
		j++
	}
	if j >= len(src) || src[j] != '<' {
		return 0
	}
	// Only after function(...) or λ(...).
	open := strings.LastIndexByte(src[:i], '(')
	if open < 0 {
		return 0
	}
	head := strings.TrimRight(src[:open], " \t\n\r")
	if !strings.HasSuffix(head, "function") && !strings.HasSuffix(head, "λ") {
		return 0
	}
	d := 0
	// A signature is short: looking no further than maxSignature keeps
	// this scan, made at every ')' before a '<', linear overall.
	for k := j; k < len(src) && k < j+maxSignature; k++ {
		switch src[k] {
		case '<':
			d++
		case '>':
			d--
			if d == 0 {
				return k + 1 - i
			}
		case '{':
			return 0
		}
	}
	return 0
}

// regexCost is a regex's program size in units of 16 instructions (at
// least 1).
func regexCost(re *regexp.Regexp) int {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return 1
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return 1
	}
	return max(1, len(prog.Inst)/16)
}

// converter turns jparse's tree into the processed tree, as the
// reference's post-parse stage (processAST) does.
type converter struct {
	ancestorLabel int
	ancestry      []*node
}

func (c *converter) convert(n jparse.Node) *node {
	switch n := n.(type) {
	case *jparse.StringNode:
		return &node{kind: kString, value: n.Value}
	case *jparse.NumberNode:
		return &node{kind: kLiteral, value: n.Value}
	case *jparse.BooleanNode:
		return &node{kind: kLiteral, value: n.Value}
	case *jparse.NullNode:
		return &node{kind: kLiteral, value: null}
	case *jparse.RegexNode:
		return &node{kind: kRegex, regex: n.Value, regexCost: regexCost(n.Value)}
	case *jparse.VariableNode:
		return &node{kind: kVariable, op: n.Name}
	case *jparse.NameNode:
		return c.path([]jparse.Node{n}, false)
	case *jparse.PathNode:
		return c.path(n.Steps, n.KeepArrays)
	case *jparse.WildcardNode:
		return &node{kind: kWildcard}
	case *jparse.DescendentNode:
		return &node{kind: kDescendant}
	case *jparse.NegationNode:
		rhs := c.convert(n.RHS)
		if rhs.kind == kLiteral {
			if f, ok := rhs.value.(float64); ok {
				rhs.value = -f
				return rhs
			}
		}
		res := &node{kind: kNegate, rhs: rhs}
		pushAncestry(res, rhs)
		return res
	case *jparse.RangeNode:
		return c.binary("..", n.LHS, n.RHS)
	case *jparse.ArrayNode:
		res := &node{kind: kArray}
		for _, it := range n.Items {
			v := c.convert(it)
			pushAncestry(res, v)
			res.exprs = append(res.exprs, v)
		}
		return res
	case *jparse.ObjectNode:
		res := &node{kind: kObject}
		for _, p := range n.Pairs {
			k := c.convert(p[0])
			pushAncestry(res, k)
			v := c.convert(p[1])
			pushAncestry(res, v)
			res.pairs = append(res.pairs, [2]*node{k, v})
		}
		return res
	case *jparse.BlockNode:
		res := &node{kind: kBlock}
		for _, e := range n.Exprs {
			part := c.convert(e)
			pushAncestry(res, part)
			if part.consarray || (part.kind == kPath && len(part.steps) > 0 && part.steps[0].consarray) {
				res.consarray = true
			}
			res.exprs = append(res.exprs, part)
		}
		return res
	case *jparse.ConditionalNode:
		res := &node{kind: kCondition, cond: c.convert(n.If)}
		pushAncestry(res, res.cond)
		res.then = c.convert(n.Then)
		pushAncestry(res, res.then)
		if n.Else != nil {
			res.els = c.convert(n.Else)
			pushAncestry(res, res.els)
		}
		return res
	case *jparse.AssignmentNode:
		res := &node{kind: kBind, op: n.Name, rhs: c.convert(n.Value)}
		pushAncestry(res, res.rhs)
		return res
	case *jparse.NumericOperatorNode:
		return c.binary(n.Type.String(), n.LHS, n.RHS)
	case *jparse.ComparisonOperatorNode:
		return c.binary(n.Type.String(), n.LHS, n.RHS)
	case *jparse.StringConcatenationNode:
		return c.binary("&", n.LHS, n.RHS)
	case *jparse.BooleanOperatorNode:
		res := c.binary(n.Type.String(), n.LHS, n.RHS)
		if res.op == "and" {
			res.kind = kAnd
		} else {
			res.kind = kOr
		}
		return res
	case *jparse.FunctionCallNode:
		return c.call(kFunction, n.Func, n.Args)
	case *jparse.PartialNode:
		return c.call(kPartial, n.Func, n.Args)
	case *jparse.PlaceholderNode:
		return &node{kind: kPlaceholder}
	case *jparse.LambdaNode:
		return c.lambda(n, nil)
	case *jparse.TypedLambdaNode:
		return c.lambda(n.LambdaNode, n)
	case *jparse.FunctionApplicationNode:
		return c.apply(n)
	case *jparse.ObjectTransformationNode:
		res := &node{kind: kTransform, pattern: c.convert(n.Pattern), update: c.convert(n.Updates)}
		if n.Deletes != nil {
			res.delete = c.convert(n.Deletes)
		}
		return res
	case *jparse.PredicateNode:
		res := c.convert(n.Expr)
		for _, f := range n.Filters {
			c.addPredicate(res, f)
		}
		return res
	case *jparse.GroupNode:
		res := c.convert(n.Expr)
		if res.hasGroup {
			throwCompile("S0210", "each step can only have one grouping expression")
		}
		res.hasGroup = true
		for _, p := range n.ObjectNode.Pairs {
			res.group = append(res.group, [2]*node{c.convert(p[0]), c.convert(p[1])})
		}
		return res
	case *jparse.SortNode:
		res := c.convert(n.Expr)
		if res.kind != kPath {
			res = &node{kind: kPath, steps: []*node{res}}
		}
		sortStep := &node{kind: kSort}
		for _, t := range n.Terms {
			e := c.convert(t.Expr)
			pushAncestry(sortStep, e)
			sortStep.terms = append(sortStep.terms, sortTerm{descending: t.Dir == jparse.SortDescending, expr: e})
		}
		res.steps = append(res.steps, sortStep)
		c.resolveAncestry(res)
		return res
	}
	throwCompile("S0206", "unknown expression type %T", n)
	return nil
}

func (c *converter) binary(op string, l, r jparse.Node) *node {
	res := &node{kind: kBinary, op: op, lhs: c.convert(l), rhs: c.convert(r)}
	pushAncestry(res, res.lhs)
	pushAncestry(res, res.rhs)
	return res
}

// addPredicate adds a filter [f] to res: a stage of its last step when res
// is a path, a predicate otherwise.
func (c *converter) addPredicate(res *node, f jparse.Node) {
	step := res
	stages := &res.predicate
	if res.kind == kPath {
		step = res.steps[len(res.steps)-1]
		stages = &step.stages
	}
	if step.hasGroup {
		throwCompile("S0209", "a predicate cannot follow a grouping expression in a step")
	}
	*stages = append(*stages, c.filter(step, f))
}

// filter converts a predicate [f] of step, resolving the parent slots it
// seeks against the step.
func (c *converter) filter(step *node, f jparse.Node) stage {
	pred := c.convert(f)
	if len(pred.seekingParent) > 0 {
		for _, s := range pred.seekingParent {
			if s.level == 1 {
				c.seekParent(step, s)
			} else {
				s.level--
			}
		}
		pushAncestry(step, pred)
	}
	return stage{filter: pred}
}

// path converts jparse's flattened path steps, as the reference's '.'
// operator processing does.
func (c *converter) path(steps []jparse.Node, keepArrays bool) *node {
	res := &node{kind: kPath}
	for i, s := range steps {
		// Markers of #$i and @$v bind to the step before them.
		if m, filters, ok := markerStep(s); ok && i > 0 {
			prev := res.steps[len(res.steps)-1]
			if strings.HasPrefix(m, markFocus) {
				if len(prev.stages) > 0 || len(prev.predicate) > 0 {
					throwCompile("S0215", "a context variable binding must precede any predicates on a step")
				}
				if prev.kind == kSort {
					throwCompile("S0216", "a context variable binding must precede the 'order-by' clause on a step")
				}
				prev.focus = strings.TrimPrefix(m, markFocus)
			} else if len(prev.stages) == 0 {
				prev.index = strings.TrimPrefix(m, markIndex)
			} else {
				prev.stages = append(prev.stages, stage{index: strings.TrimPrefix(m, markIndex)})
			}
			prev.tuple = true
			for _, f := range filters {
				c.addPredicate(res, f)
			}
			continue
		}
		step := c.step(s)
		if i == 0 && step.kind == kParent {
			res.seekingParent = []*slot{step.slot}
		}
		if step.kind == kPath {
			if step.hasGroup {
				res.group, res.hasGroup = step.group, true
			}
			res.steps = append(res.steps, step.steps...)
			res.seekingParent = append(res.seekingParent, step.seekingParent...)
		} else {
			if step.predicate != nil {
				step.stages = step.predicate
				step.predicate = nil
			}
			res.steps = append(res.steps, step)
		}
		// The reference resolves parent slots as each '.' adds a step.
		if len(res.steps) > 1 {
			c.resolveAncestry(res)
		}
	}
	for _, s := range res.steps {
		if s.kind == kString {
			s.kind, s.op = kName, s.value.(string)
		}
		if s.kind == kLiteral {
			throwCompile("S0213", "the literal value %v cannot be used as a step within a path expression", s.value)
		}
		if s.keepArray {
			res.keepSingletonArray = true
		}
	}
	if keepArrays {
		res.keepSingletonArray = true
		last := res.steps[len(res.steps)-1]
		last.keepArray = true
	}
	if first := res.steps[0]; first.kind == kArray {
		first.consarray = true
	}
	if last := res.steps[len(res.steps)-1]; last.kind == kArray {
		last.consarray = true
	}
	return res
}

// markerStep recognises the pseudo steps of #$i and @$v (with any filters
// that followed them).
func markerStep(s jparse.Node) (string, []jparse.Node, bool) {
	var filters []jparse.Node
	if p, ok := s.(*jparse.PredicateNode); ok {
		s, filters = p.Expr, p.Filters
	}
	name, ok := s.(*jparse.NameNode)
	if !ok {
		return "", nil, false
	}
	if strings.HasPrefix(name.Value, markIndex) || strings.HasPrefix(name.Value, markFocus) {
		return name.Value, filters, true
	}
	return "", nil, false
}

// step converts one path step.
func (c *converter) step(s jparse.Node) *node {
	if name, ok := s.(*jparse.NameNode); ok {
		if name.Value == markParent {
			res := &node{kind: kParent, slot: &slot{label: fmt.Sprintf("!%d", c.ancestorLabel), level: 1, index: len(c.ancestry)}}
			c.ancestorLabel++
			c.ancestry = append(c.ancestry, res)
			return res
		}
		return &node{kind: kName, op: name.Value}
	}
	if p, ok := s.(*jparse.PredicateNode); ok {
		step := c.step(p.Expr)
		if step.kind == kPath {
			for _, f := range p.Filters {
				c.addPredicate(step, f)
			}
			return step
		}
		for _, f := range p.Filters {
			step.stages = append(step.stages, c.filter(step, f))
		}
		return step
	}
	return c.convert(s)
}

func (c *converter) call(k kind, fn jparse.Node, args []jparse.Node) *node {
	res := &node{kind: k}
	for _, a := range args {
		v := c.convert(a)
		pushAncestry(res, v)
		res.args = append(res.args, v)
	}
	res.procedure = c.convert(fn)
	return res
}

func (c *converter) lambda(n *jparse.LambdaNode, typed *jparse.TypedLambdaNode) *node {
	res := &node{kind: kLambda, params: n.ParamNames}
	if typed != nil {
		var b strings.Builder
		b.WriteByte('<')
		for _, p := range typed.In {
			b.WriteString(p.String())
		}
		b.WriteByte('>')
		sig, err := parseSignature(b.String())
		if err != nil {
			throw(err)
		}
		res.signature = sig
	}
	res.body = tailCallOptimize(c.convert(n.Body))
	return res
}

// apply converts ~>, and the ?? and ?: operators the pre-pass turned into
// a ~> $marker ~> b.
func (c *converter) apply(n *jparse.FunctionApplicationNode) *node {
	if inner, ok := n.LHS.(*jparse.FunctionApplicationNode); ok {
		if v, ok := inner.RHS.(*jparse.VariableNode); ok && (v.Name == markCoalesce || v.Name == markElvis) {
			k := kCoalesce
			if v.Name == markElvis {
				k = kElvis
			}
			res := &node{kind: k, lhs: c.convert(inner.LHS), rhs: c.convert(n.RHS)}
			pushAncestry(res, res.lhs)
			pushAncestry(res, res.rhs)
			return res
		}
	}
	if v, ok := n.RHS.(*jparse.VariableNode); ok && (v.Name == markCoalesce || v.Name == markElvis) {
		throwCompile("S0207", "unexpected end of expression")
	}
	res := &node{kind: kApply, lhs: c.convert(n.LHS), rhs: c.convert(n.RHS)}
	if r := res.rhs; r.kind == kPath && len(r.steps) == 1 && r.steps[0].kind == kFunction && r.keepSingletonArray {
		// x ~> $f(...)[]: jparse wraps the call in a path for the [].
		res.rhs = r.steps[0]
	}
	res.keepArray = res.lhs.keepArray || res.rhs.keepArray
	return res
}

// tailCallOptimize marks a lambda body's calls in tail position as thunks,
// which the trampoline in apply evaluates without growing the stack.
func tailCallOptimize(e *node) *node {
	switch {
	case e.kind == kFunction && len(e.predicate) == 0:
		return &node{kind: kLambda, thunk: true, body: e}
	case e.kind == kCondition:
		e.then = tailCallOptimize(e.then)
		if e.els != nil {
			e.els = tailCallOptimize(e.els)
		}
	case e.kind == kBlock && len(e.exprs) > 0:
		e.exprs[len(e.exprs)-1] = tailCallOptimize(e.exprs[len(e.exprs)-1])
	}
	return e
}

func pushAncestry(res, value *node) {
	if len(value.seekingParent) == 0 && value.kind != kParent {
		return
	}
	slots := value.seekingParent
	if value.kind == kParent {
		slots = append(slots, value.slot)
	}
	res.seekingParent = append(res.seekingParent, slots...)
}

func (c *converter) seekParent(n *node, s *slot) *slot {
	switch n.kind {
	case kName, kWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				c.ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case kParent:
		s.level++
	case kBlock:
		if len(n.exprs) > 0 {
			n.tuple = true
			s = c.seekParent(n.exprs[len(n.exprs)-1], s)
		}
	case kPath:
		n.tuple = true
		i := len(n.steps) - 1
		s = c.seekParent(n.steps[i], s)
		i--
		for s.level > 0 && i >= 0 {
			s = c.seekParent(n.steps[i], s)
			i--
		}
	default:
		throwCompile("S0217", "the object representing the 'parent' cannot be derived from this expression")
	}
	return s
}

func (c *converter) resolveAncestry(path *node) {
	last := path.steps[len(path.steps)-1]
	slots := last.seekingParent
	if last.kind == kParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i := len(path.steps) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.steps[i]
			i--
			for i >= 0 && step.focus != "" && path.steps[i].focus != "" {
				step = path.steps[i]
				i--
			}
			s = c.seekParent(step, s)
		}
	}
}
