package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Program is a compiled transform expression. It is immutable and safe for
// concurrent use: every evaluation runs on the caller's goroutine with
// state of its own.
type Program struct {
	expr   string
	root   *node
	input  *need // what the expression can read of its input (projectInput)
	limits limits
	output int           // MaxOutputBytes
	slots  chan struct{} // the Cache's evaluation slots; nil: unbounded
}

// Compile compiles expr with the default limits. It returns a
// *CompileError for an invalid expression.
func Compile(expr string) (*Program, error) {
	return compile(expr, Config{}.withDefaults())
}

func compile(expr string, cfg Config) (*Program, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	if err := checkFunctions(root); err != nil {
		return nil, err
	}
	markNamePaths(root)
	return &Program{
		expr:   expr,
		root:   root,
		input:  projectInput(root),
		limits: limits{steps: int64(cfg.MaxSteps), bytes: int64(cfg.MaxBytes), depth: cfg.MaxDepth},
		output: cfg.MaxOutputBytes,
	}, nil
}

// String returns the expression.
func (p *Program) String() string { return p.expr }

// Input is a decoded JSON body. It is read-only: one Input may be shared
// by any number of evaluations, concurrently, so a body read by several
// transforms is decoded once.
type Input struct {
	value any
}

// ParseInput decodes a JSON body. An empty body (or only white space) is
// the undefined input: an expression may still produce a result from it.
// It returns an error wrapping ErrInvalidInput when the body is not JSON.
func ParseInput(body []byte) (*Input, error) { return parseInput(body, everything) }

// parseInput is ParseInput building only what nd reads.
func parseInput(body []byte, nd *need) (*Input, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return &Input{}, nil
	}
	v, err := decodeProjected(body, nd)
	if err != nil {
		return nil, err
	}
	return &Input{value: v}, nil
}

// Eval evaluates the program against a JSON body (empty: the undefined
// input) and returns the result's JSON encoding, which may be any JSON
// value. It returns ErrNoResult when
// the expression evaluates to nothing, a *BudgetError when the evaluation
// exceeds a limit, an *EvalError for a runtime error, and ctx's error when
// ctx is done first.
func (p *Program) Eval(ctx context.Context, body []byte) ([]byte, error) {
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	in, err := parseInput(body, p.input)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, in.value, nil)
}

// EvalInput is Eval on a decoded body.
func (p *Program) EvalInput(ctx context.Context, in *Input) ([]byte, error) {
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return p.run(ctx, in.value, nil)
}

// acquire waits for an evaluation slot (see Config.MaxConcurrent).
func (p *Program) acquire(ctx context.Context) (release func(), err error) {
	if p.slots == nil {
		return func() {}, nil
	}
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// EvalBindings is Eval with extra variables: bindings maps names (without
// '$') to JSON values. A nil body means the input is undefined.
func (p *Program) EvalBindings(ctx context.Context, body []byte, bindings map[string][]byte) ([]byte, error) {
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var input any
	if body != nil {
		v, err := decodeProjected(body, p.input)
		if err != nil {
			return nil, err
		}
		input = v
	}
	vars := make(map[string]any, len(bindings))
	for name, raw := range bindings {
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("binding %s: %w", name, err)
		}
		vars[name] = v
	}
	return p.run(ctx, input, vars)
}

// run evaluates on the calling goroutine. Every abort (an evaluation
// error, an exceeded budget, a cancelled context) and any panic end here.
func (p *Program) run(ctx context.Context, input any, vars map[string]any) (out []byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &evaluator{b: newBudget(ctx, p.limits), now: time.Now()}
	defer func() {
		if v := recover(); v != nil {
			out = nil
			if a, ok := v.(abort); ok {
				err = a.err
				return
			}
			err = fmt.Errorf("transform: internal error: %v\n%s", v, debug.Stack())
		}
	}()
	env := newFrame(nil)
	for name, v := range vars {
		env.bind(name, v)
	}
	env.bind("$", input)
	if a, ok := input.(*array); ok && !a.sequence {
		input = &array{items: []any{a}, sequence: true, outerWrapper: true}
	}
	result := e.eval(p.root, input, env)
	if result == nil {
		return nil, ErrNoResult
	}
	// Room for a typical webhook body at once, rather than growing to it.
	enc := encoder{max: p.output, buf: make([]byte, 0, min(outputRoom, p.output+1))}
	if err := enc.encode(result, 0); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrOutputTooLarge, p.output)
		}
		return nil, fmt.Errorf("transform: %w", err)
	}
	if len(enc.buf) > p.output {
		return nil, fmt.Errorf("%w (limit %d bytes)", ErrOutputTooLarge, p.output)
	}
	return enc.buf, nil
}

// outputRoom is the room an evaluation's output starts with.
const outputRoom = 1024

// checkFunctions refuses calls of $names that are neither built-ins nor
// bound anywhere in the expression: they can only fail.
func checkFunctions(root *node) error {
	bound := map[string]bool{}
	var calls []string
	walk(root, func(n *node) {
		switch n.kind {
		case kBind:
			bound[n.op] = true
		case kLambda:
			for _, p := range n.params {
				bound[p] = true
			}
		case kFunction, kPartial:
			if n.procedure.kind == kVariable {
				calls = append(calls, n.procedure.op)
			}
		}
		for _, name := range []string{n.focus, n.index} {
			if name != "" {
				bound[name] = true
			}
		}
		for _, stages := range [][]stage{n.stages, n.predicate} {
			for _, s := range stages {
				if s.index != "" {
					bound[s.index] = true
				}
			}
		}
	})
	for _, name := range calls {
		if _, ok := builtins[name]; !ok && !bound[name] && name != "" && name != "$" {
			return &CompileError{Reason: fmt.Sprintf("unknown function $%s", name), Position: -1}
		}
	}
	return nil
}
