package transform

import (
	"errors"
	"fmt"
	"strconv"
)

// CompileError reports an expression Compile rejects: a syntax error, an
// unknown function, or a source too long or too deeply nested. Reason
// names the problem; Position, when known, is the byte offset in the
// expression where it was found.
type CompileError struct {
	Reason   string
	Position int // -1 when unknown
}

// Error returns "transform: " followed by the reason (and the position).
func (e *CompileError) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("transform: %s (at offset %d)", e.Reason, e.Position)
	}
	return "transform: " + e.Reason
}

// EvalError is a runtime error of an expression: a type error, a failed
// built-in, an $error() call. Code is the reference implementation's
// error code (T2001, D3030, ...); Message explains it.
type EvalError struct {
	Code    string
	Message string
}

// Error returns "transform: " followed by the message and the code.
func (e *EvalError) Error() string {
	return "transform: " + e.Message + " (" + e.Code + ")"
}

// BudgetError reports an evaluation stopped because it exceeded one of
// its limits: "steps", "bytes" or "depth". It is deterministic: the same
// expression on the same input exceeds the same limit under any load.
type BudgetError struct {
	Limit string // "steps", "bytes" or "depth"
	Max   int64  // the limit that was exceeded
}

// Error names the limit, e.g. "transform exceeded its step budget
// (1,000,000)".
func (e *BudgetError) Error() string {
	what := map[string]string{"steps": "step budget", "bytes": "memory budget (bytes)", "depth": "recursion depth limit"}[e.Limit]
	return fmt.Sprintf("transform exceeded its %s (%s)", what, grouped(e.Max))
}

// grouped formats n with thousands separators.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Evaluation errors other than *EvalError and *BudgetError. Every error
// Eval returns except a cancelled context is deterministic for a given
// expression and input: retrying it is pointless.
var (
	// ErrInvalidInput means the body is not JSON.
	ErrInvalidInput = errors.New("transform: input is not valid JSON")
	// ErrNoResult means the expression evaluated to nothing (undefined).
	ErrNoResult = errors.New("transform: expression returned nothing")
	// ErrOutputTooLarge means the encoded result exceeds the output limit.
	ErrOutputTooLarge = errors.New("transform: result too large")
)

// evalErr builds an *EvalError from a code and a message.
func evalErr(code, format string, args ...any) *EvalError {
	return &EvalError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// throw aborts the evaluation with err; Program recovers it.
func throw(err error) { panic(abort{err}) }

// throwf aborts the evaluation with an *EvalError.
func throwf(code, format string, args ...any) { throw(evalErr(code, format, args...)) }

// abort carries an evaluation error up the stack to the recover in
// Program.run.
type abort struct{ err error }
