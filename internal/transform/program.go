package transform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jparse"
)

// Program is a compiled transform expression. It is safe for concurrent
// use.
type Program struct {
	expr string
	// fresh is set for expressions using ~>: jsonata-go rewrites the
	// syntax tree of x ~> $f() in place on each evaluation, so such an
	// expression is compiled afresh for every evaluation.
	fresh bool
	// builtins are the built-ins the expression refers to: jsonata-go
	// finds a function only by looking up a $name of the syntax tree, so
	// these are all it can reach.
	builtins []string
	pool     sync.Pool // *instance
	r        *runner
}

// instance is one private compilation of a Program: its own syntax tree
// and its own copies of the built-ins. One evaluation uses it at a time.
type instance struct {
	expr *jsonata.Expr
	run  *run // the current evaluation, set by the evaluating goroutine
}

// Compile validates expr and compiles it with the default limits. It
// returns a *CompileError for an invalid or refused expression. Programs
// compiled by Compile share one runaway limit (see Config.MaxRunaway).
func Compile(expr string) (*Program, error) {
	return compile(expr, defaultRunner)
}

var defaultRunner = newRunner(Config{}.withDefaults())

func compile(expr string, r *runner) (_ *Program, err error) {
	if len(expr) > MaxExpressionBytes {
		return nil, &CompileError{Reason: fmt.Sprintf("expression longer than %d bytes", MaxExpressionBytes)}
	}
	if err := checkSignatures(expr); err != nil {
		return nil, &CompileError{Reason: err.Error()}
	}
	defer func() {
		// jparse re-panics on unexpected parser states.
		if v := recover(); v != nil {
			err = &CompileError{Reason: fmt.Sprintf("cannot parse expression: %v", v)}
		}
	}()
	root, err := jparse.Parse(expr)
	if err != nil {
		return nil, &CompileError{Reason: "syntax error: " + err.Error()}
	}
	a, err := analyze(root)
	if err != nil {
		return nil, &CompileError{Reason: err.Error()}
	}
	p := &Program{expr: expr, fresh: a.apply, builtins: referencedBuiltins(a.names), r: r}
	// Compile one instance now: it proves jsonata-go accepts the
	// expression, and serves the first evaluation.
	inst, err := p.newInstance()
	if err != nil {
		return nil, &CompileError{Reason: err.Error()}
	}
	if !p.fresh {
		p.pool.Put(inst)
	}
	return p, nil
}

// checkSignatures refuses input on which jparse never returns. Its lexer
// makes no progress on a '!' not followed by '=' or a '~' not followed by
// '>', and the loop reading a function's type signature (function($a)<n:n>)
// only stops at '{' or the end. So once an expression has a type
// signature, such a character anywhere after it (conservatively, even in a
// string) is refused.
func checkSignatures(expr string) error {
	for i := 0; i < len(expr); i++ {
		rest := expr[i:]
		var n int
		switch {
		case strings.HasPrefix(rest, "function"):
			n = len("function")
		case strings.HasPrefix(rest, "λ"):
			n = len("λ")
		default:
			continue
		}
		j := i + n
		if j < len(expr) && expr[j] == '`' { // `function` is a lambda too
			j++
		}
		j += whitespace(expr[j:])
		if j >= len(expr) || expr[j] != '(' {
			continue
		}
		k := strings.IndexByte(expr[j:], ')')
		if k < 0 {
			return nil
		}
		k += j + 1
		k += whitespace(expr[k:])
		if k >= len(expr) || expr[k] != '<' {
			continue
		}
		for m := k; m < len(expr); m++ {
			switch c := expr[m]; {
			case c == '!' && !strings.HasPrefix(expr[m:], "!="),
				c == '~' && !strings.HasPrefix(expr[m:], "~>"):
				return fmt.Errorf("unsupported %q after a function type signature", c)
			}
		}
		return nil
	}
	return nil
}

func whitespace(s string) int {
	n := 0
	for n < len(s) && strings.IndexByte(" \t\n\r\v", s[n]) >= 0 {
		n++
	}
	return n
}

// String returns the expression.
func (p *Program) String() string { return p.expr }

func (p *Program) newInstance() (*instance, error) {
	e, err := jsonata.Compile(p.expr)
	if err != nil {
		return nil, err
	}
	inst := &instance{expr: e}
	vars := make(map[string]any, len(p.builtins))
	exts := map[string]jsonata.Extension{}
	for _, name := range p.builtins {
		if ext, ok := testBuiltins[name]; ok {
			exts[name] = ext
			continue
		}
		vars[name] = newBuiltin(name, inst)
	}
	if err := e.RegisterVars(vars); err != nil {
		return nil, err
	}
	if err := e.RegisterExts(exts); err != nil {
		return nil, err
	}
	return inst, nil
}

func (p *Program) getInstance() (*instance, error) {
	if !p.fresh {
		if inst, ok := p.pool.Get().(*instance); ok {
			return inst, nil
		}
	}
	return p.newInstance()
}

// Eval evaluates the program against the JSON body and returns the result
// as JSON, which must be an object or an array. The evaluation is bounded
// by the program's timeout or ctx's deadline, whichever comes first, and by
// its output limit; see the package documentation for the errors.
func (p *Program) Eval(ctx context.Context, body []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	input, err := decodeInput(body)
	if err != nil {
		return nil, err
	}
	return p.r.eval(ctx, p, input)
}

// evaluate runs one evaluation on the calling goroutine.
func (p *Program) evaluate(r *run, input any) (out []byte, err error) {
	inst, err := p.getInstance()
	if err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			// The instance may be left inconsistent: drop it.
			err = fmt.Errorf("transform: evaluation panicked: %v", v)
			return
		}
		inst.run = nil
		if !p.fresh {
			p.pool.Put(inst)
		}
	}()
	inst.run = r
	v, err := inst.expr.Eval(input)
	switch {
	case errors.Is(err, jsonata.ErrUndefined):
		return nil, ErrNoResult
	case err != nil:
		return nil, fmt.Errorf("transform: %w", err)
	}
	return encodeResult(v, p.r.maxOutput)
}

// runner applies the limits of a Config and accounts for evaluations.
type runner struct {
	timeout    time.Duration
	maxOutput  int
	maxRunaway int

	mu       sync.Mutex
	inflight int           // evaluations whose goroutine is running
	runaway  int           // of which abandoned after their deadline
	idle     chan struct{} // closed when inflight drops to zero
}

func newRunner(cfg Config) *runner {
	return &runner{
		timeout:    cfg.Timeout,
		maxOutput:  cfg.MaxOutputBytes,
		maxRunaway: cfg.MaxRunaway,
	}
}

// evaluation is the handshake between the caller and the goroutine of one
// evaluation; state moves from pending to exactly one of finished and
// abandoned, under runner.mu.
type evaluation struct {
	run   run
	state int
	done  chan result
}

const (
	pending = iota
	finished
	abandoned
)

type result struct {
	out []byte
	err error
}

func (r *runner) eval(ctx context.Context, p *Program, input any) ([]byte, error) {
	r.mu.Lock()
	if r.runaway >= r.maxRunaway {
		r.mu.Unlock()
		return nil, ErrOverloaded
	}
	r.inflight++
	r.mu.Unlock()

	ev := &evaluation{done: make(chan result, 1)}
	go r.work(ev, p, input)

	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	var err error
	select {
	case res := <-ev.done:
		return res.out, res.err
	case <-timer.C:
		err = ErrTimeout
	case <-ctx.Done():
		err = ctx.Err()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %w", ErrTimeout, err)
		}
	}

	r.mu.Lock()
	if ev.state == pending {
		// The goroutine cannot be stopped; it stops at its next built-in
		// call or callback, or when it completes.
		ev.state = abandoned
		ev.run.cancelled.Store(true)
		r.runaway++
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()
	res := <-ev.done // finished just now
	return res.out, res.err
}

func (r *runner) work(ev *evaluation, p *Program, input any) {
	out, err := p.evaluate(&ev.run, input)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	if r.inflight == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
	if ev.state == abandoned {
		r.runaway--
		return
	}
	ev.state = finished
	ev.done <- result{out, err}
}

// wait blocks until no evaluation goroutine is running or ctx is done.
func (r *runner) wait(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.inflight == 0 {
			r.mu.Unlock()
			return nil
		}
		if r.idle == nil {
			r.idle = make(chan struct{})
		}
		idle := r.idle
		r.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until every evaluation of the programs returned by the
// package-level Compile, including those abandoned after their deadline,
// has finished, or ctx is done.
func Wait(ctx context.Context) error { return defaultRunner.wait(ctx) }
