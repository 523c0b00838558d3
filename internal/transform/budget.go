package transform

import "context"

// Defaults of the evaluation budget (Config).
const (
	// DefaultMaxSteps bounds the work of one evaluation: syntax nodes
	// visited, items produced, and built-in work (comparisons of a sort,
	// bytes scanned by a regular expression, characters built), counted
	// proportionally.
	DefaultMaxSteps = 2_000_000
	// DefaultMaxBytes bounds the bytes of values one evaluation builds
	// (strings, array items, object entries), counted as they are built,
	// whether or not they are kept.
	DefaultMaxBytes = 32 << 20
	// DefaultMaxDepth bounds the nesting of evaluation: nested
	// expressions and non-tail function calls.
	DefaultMaxDepth = 2000
)

// Approximate sizes charged for values built.
const (
	sizeItem   = 16 // an array item (an interface value)
	sizeEntry  = 40 // an object entry (key header and value)
	sizeHeader = 48 // an array, object or closure
)

// ctxCheckEvery is how many steps pass between checks of the context.
const ctxCheckEvery = 1024

// budget is the account of one evaluation. Every charge is deterministic
// except the context check, which only turns a cancelled context into an
// error.
type budget struct {
	ctx             context.Context
	steps, maxSteps int64
	bytes, maxBytes int64
	depth, maxDepth int
	nextCtxCheck    int64
}

func newBudget(ctx context.Context, l limits) *budget {
	return &budget{ctx: ctx, maxSteps: l.steps, maxBytes: l.bytes, maxDepth: l.depth, nextCtxCheck: ctxCheckEvery}
}

// step charges n steps.
func (b *budget) step(n int) {
	b.steps += int64(n)
	if b.steps > b.maxSteps {
		throw(&BudgetError{Limit: "steps", Max: b.maxSteps})
	}
	if b.steps >= b.nextCtxCheck {
		b.nextCtxCheck = b.steps + ctxCheckEvery
		if err := b.ctx.Err(); err != nil {
			throw(err)
		}
	}
}

// charge charges n bytes of values built.
func (b *budget) charge(n int) {
	b.bytes += int64(n)
	if b.bytes > b.maxBytes {
		throw(&BudgetError{Limit: "bytes", Max: b.maxBytes})
	}
}

// enter and leave bracket one level of nesting.
func (b *budget) enter() {
	b.depth++
	if b.depth > b.maxDepth {
		throw(&BudgetError{Limit: "depth", Max: int64(b.maxDepth)})
	}
}

func (b *budget) leave() { b.depth-- }

// remainingBytes is what may still be built.
func (b *budget) remainingBytes() int {
	r := b.maxBytes - b.bytes
	if r < 0 {
		return 0
	}
	if r > 1<<40 {
		return 1 << 40
	}
	return int(r)
}

// limits are the budget's maxima.
type limits struct {
	steps, bytes int64
	depth        int
}
