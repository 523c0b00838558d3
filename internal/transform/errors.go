package transform

import "errors"

// CompileError reports an expression Compile rejects: a syntax error, or a
// construct refused because it could recurse without bound, allocate
// without bound or otherwise escape the evaluation limits. Reason names the
// problem.
type CompileError struct {
	Reason string
}

// Error returns "transform: " followed by the reason.
func (e *CompileError) Error() string { return "transform: " + e.Reason }

// Evaluation errors. Every error Eval returns, other than ErrOverloaded and
// a cancelled context, is deterministic for a given expression and input
// (up to timing, for ErrTimeout): retrying it is pointless.
var (
	// ErrInvalidInput means the body is not JSON.
	ErrInvalidInput = errors.New("transform: input is not valid JSON")
	// ErrNoResult means the expression evaluated to nothing (undefined).
	ErrNoResult = errors.New("transform: expression returned nothing")
	// ErrNotObject means the result is not a JSON object or array.
	ErrNotObject = errors.New("transform: result is not a JSON object or array")
	// ErrOutputTooLarge means the encoded result exceeds the output limit.
	ErrOutputTooLarge = errors.New("transform: result too large")
	// ErrTimeout means the evaluation overran its deadline.
	ErrTimeout = errors.New("transform: evaluation timed out")
	// ErrOverloaded means too many evaluations that overran their deadline
	// are still running; the evaluation was not attempted. It is transient.
	ErrOverloaded = errors.New("transform: too many runaway evaluations")
)
