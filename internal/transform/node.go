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

	steps              []*node // path
	keepSingletonArray bool    // path: some step ends with []
	keepArray          bool    // step: ends with []
	consarray          bool    // array constructor as a path's first or last step

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
