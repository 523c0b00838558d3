package transform

import "regexp"

// kind is the type of a syntax node, as the reference implementation's
// processed syntax tree names them.
type kind uint8

const (
	kPath kind = iota
	kName
	kLiteral // string, number, boolean, null
	kString  // a string literal (a name when used as a path step)
	kWildcard
	kDescendant
	kParent
	kVariable
	kRegex
	kBinary    // arithmetic, comparison, concatenation, in, range
	kAnd       // and
	kOr        // or
	kNegate    // unary -
	kArray     // array constructor
	kObject    // object constructor
	kBlock     // ( ...; ... )
	kCondition // ? :
	kBind      // :=
	kFunction  // call
	kPartial   // call with ? placeholders
	kLambda
	kApply     // ~>
	kTransform // | pattern | update, delete |
	kSort      // ^( ... ) step
	kCoalesce  // ??
	kElvis     // ?:
	kPlaceholder
)

// node is a processed syntax node: the shape the reference's evaluator
// walks, built from jparse's tree by convert.
type node struct {
	kind  kind
	op    string // binary operator; name of a name or variable step
	value any    // literal value
	regex *regexp.Regexp
	// regexCost is the regex's program size in sixteenths of a scan step
	// per byte (at least one): RE2 runs in time proportional to the
	// input times the program.
	regexCost int

	lhs, rhs *node

	steps              []*node  // path
	names              []string // path: its steps' names, when all are plain names (see markNamePaths)
	keepSingletonArray bool     // path: some step ends with []
	keepArray          bool     // step: ends with []
	consarray          bool     // array constructor as a path's first or last step

	exprs    []*node    // block, array constructor items
	pairs    [][2]*node // object constructor
	group    [][2]*node // group-by {...} on a path or step
	hasGroup bool

	predicate []stage // filters on a non-step expression
	stages    []stage // filters and index bindings of a step

	// Tuple streams: focus (@$v) and index (#$i) bindings, the parent
	// operator's slots.
	tuple         bool
	focus         string
	index         string
	ancestor      *slot
	seekingParent []*slot
	slot          *slot // kParent

	procedure *node   // kFunction, kPartial
	args      []*node // kFunction, kPartial

	params    []string   // kLambda
	signature *signature // kLambda, when typed
	body      *node      // kLambda
	thunk     bool       // kLambda: a tail call

	cond, then, els *node // kCondition

	pattern, update, delete *node // kTransform

	terms []sortTerm // kSort
}

// stage is a step's filter predicate or index binding.
type stage struct {
	filter *node  // a predicate, or nil
	index  string // an index variable when filter is nil
}

type sortTerm struct {
	descending bool
	expr       *node
}

// slot ties a parent operator (%) to the step whose context it reads.
type slot struct {
	label string
	level int
	index int
}

// walk calls visit for n and every node below it, parents first.
func walk(n *node, visit func(*node)) {
	if n == nil {
		return
	}
	visit(n)
	for _, c := range []*node{n.lhs, n.rhs, n.procedure, n.body, n.cond, n.then, n.els, n.pattern, n.update, n.delete} {
		walk(c, visit)
	}
	for _, list := range [][]*node{n.steps, n.exprs, n.args} {
		for _, c := range list {
			walk(c, visit)
		}
	}
	for _, pairs := range [][][2]*node{n.pairs, n.group} {
		for _, p := range pairs {
			walk(p[0], visit)
			walk(p[1], visit)
		}
	}
	for _, stages := range [][]stage{n.stages, n.predicate} {
		for _, s := range stages {
			walk(s.filter, visit)
		}
	}
	for _, t := range n.terms {
		walk(t.expr, visit)
	}
}

// markNamePaths sets names on every path below root whose steps are all
// plain names (a.b.c: no predicate, index or focus binding, parent
// operator, group or []), which the evaluator may walk object by object
// (evalNames) instead of through a sequence per step.
func markNamePaths(root *node) {
	walk(root, func(n *node) {
		if n.kind != kPath || n.hasGroup || n.keepSingletonArray || n.tuple || len(n.seekingParent) > 0 || n.focus != "" || n.index != "" {
			return
		}
		names := make([]string, len(n.steps))
		for i, s := range n.steps {
			if s.kind != kName || len(s.stages) > 0 || len(s.predicate) > 0 || s.hasGroup || s.tuple || s.focus != "" ||
				s.index != "" || s.keepArray || s.consarray || s.ancestor != nil || len(s.seekingParent) > 0 || s.slot != nil {
				return
			}
			names[i] = s.op
		}
		n.names = names
	})
}
