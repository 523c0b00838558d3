package transform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func newCache(t *testing.T, cfg *Config) *Cache {
	t.Helper()
	c, err := NewCache(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Wait(ctx); err != nil {
			t.Errorf("Wait: %v", err)
		}
	})
	return c
}

// relaxed is for tests about results, not timing: a generous deadline
// keeps them deterministic on a loaded machine under -race.
var relaxed = func() *Cache {
	c, err := NewCache(&Config{Timeout: time.Minute})
	if err != nil {
		panic(err)
	}
	return c
}()

func eval(t *testing.T, expr, input string) (string, error) {
	t.Helper()
	p, err := relaxed.Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	out, err := p.Eval(context.Background(), []byte(input))
	return string(out), err
}

func TestProgram_Eval(t *testing.T) {
	t.Parallel()
	t.Run("results", testEvalResults)
	t.Run("golden", testEvalGolden)
	t.Run("nulls", testEvalNulls)
	t.Run("errors", testEvalErrors)
	t.Run("applyTwice", testEvalApplyTwice)
	t.Run("concurrent", testEvalConcurrent)
	t.Run("outputLimit", testEvalOutputLimit)
	t.Run("timeout", testEvalTimeout)
	t.Run("contextDeadline", testEvalContextDeadline)
}

func TestCache_Eval(t *testing.T) {
	t.Parallel()
	t.Run("runaway", testCacheEvalRunaway)
}

func testEvalResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, input, want string
	}{
		{"reshape", `{"id": order.id, "who": order.customer.name}`, `{"order": {"id": 7, "customer": {"name": "Ada"}}}`, `{"id":7,"who":"Ada"}`},
		{"array result", `items.sku`, `{"items": [{"sku": "a"}, {"sku": "b"}]}`, `["a","b"]`},
		{"whole input", `$`, `{"b": [1, 2.5, true, null, "x"], "a": {}}`, `{"a":{},"b":[1,2.5,true,null,"x"]}`},
		{"root", `$$`, `[1]`, `[1]`},
		{"no html escaping", `{"s": s}`, `{"s": "<a href=\"x\">&</a>"}`, `{"s":"<a href=\"x\">&</a>"}`},
		{"escapes", `{"s": s}`, `{"s": "tab\tnl\nq\"bs\\ctl\u0001 \u2028"}`, `{"s":"tab\tnl\nq\"bs\\ctl\u0001 \u2028"}`},
		{"numbers", `{"a": 1e21, "b": 1e-7, "c": 0.1, "d": -0, "e": 123456789012}`, `{}`, `{"a":1e+21,"b":1e-7,"c":0.1,"d":-0,"e":123456789012}`},
		{"ints from built-ins", `{"n": $length("héllo"), "c": $count([1, 2])}`, `{}`, `{"c":2,"n":5}`},
		{"reassignment in order", `($s := a; $s := $s & "-" & b; {"s": $s})`, `{"a": "x", "b": "y"}`, `{"s":"x-y"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eval(t, tt.expr, tt.input)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("Eval = %s, want %s", got, tt.want)
			}
		})
	}
}

func testEvalNulls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, input, want string
	}{
		{`{"x": a}`, `{"a": null}`, `{"x":null}`},
		{`{"e": $exists(a), "m": $exists(missing)}`, `{"a": null}`, `{"e":true,"m":false}`},
		{`{"isNull": a = null, "type": $type(a)}`, `{"a": null}`, `{"isNull":true,"type":"null"}`},
		{`[a, b, a]`, `{"a": null, "b": 1}`, `[null,1,null]`},
		{`{"items": items}`, `{"items": [null, {"x": null}]}`, `{"items":[null,{"x":null}]}`},
		{`{"n": $count(items)}`, `{"items": [null, null]}`, `{"n":2}`},
		{`$`, `{"a": null}`, `{"a":null}`},
		{`{"x": null}`, `{}`, `{"x":null}`},
		{`$ ~> |$|{"c": 1}|`, `{"a": null}`, `{"a":null,"c":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := eval(t, tt.expr, tt.input)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("Eval = %s, want %s", got, tt.want)
			}
		})
	}
}

func testEvalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, input string
		want              error
		msg               string
	}{
		{"string result", `"x"`, `{}`, ErrNotObject, "got a string"},
		{"number result", `1 + 1`, `{}`, ErrNotObject, "got a number"},
		{"boolean result", `true`, `{}`, ErrNotObject, "got a boolean"},
		{"null result", `null`, `{}`, ErrNotObject, "got null"},
		{"null input", `$`, `null`, ErrNotObject, "got null"},
		{"function result", `$uppercase`, `{}`, nil, "function"},
		{"nothing", `missing`, `{}`, ErrNoResult, ""},
		{"invalid input", `$`, `{"a":`, ErrInvalidInput, ""},
		{"empty input", `$`, ``, ErrInvalidInput, ""},
		{"type error", `{"x": "a" + 1}`, `{}`, nil, `left side of the "+" operator must evaluate to a number`},
		{"$error", `$error("boom")`, `{}`, nil, "boom"},
		{"panic", `{"x": $panic("kaboom")}`, `{}`, nil, "evaluation panicked: kaboom"},
		{"pad width", `{"x": $pad("x", 1e9)}`, `{}`, nil, "$pad width"},
		{"doubling accumulator", `{"x": $reduce([1..40], function($acc, $v){ $acc & $acc }, "xx")}`, `{}`, nil, "intermediate string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := relaxed.Compile(tt.expr)
			if err != nil {
				// A function result is refused before evaluation.
				if tt.want == nil && strings.Contains(err.Error(), tt.msg) {
					return
				}
				t.Fatalf("Compile: %v", err)
			}
			out, err := p.Eval(context.Background(), []byte(tt.input))
			if err == nil {
				t.Fatalf("Eval = %s, want an error", out)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Eval error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Eval error = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

// testEvalApplyTwice: jsonata-go rewrites x ~> $f() in place, so a
// reused compiled expression would pass x twice on its second evaluation.
func testEvalApplyTwice(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, input, want string }{
		{`{"s": name ~> $uppercase()}`, `{"name": "ada"}`, `{"s":"ADA"}`},
		{`{"s": name ~> $substring(1, 2)}`, `{"name": "ada"}`, `{"s":"da"}`},
		{`items ~> $map(function($v){ $v * 2 })`, `{"items": [1, 2]}`, `[2,4]`},
		{`{"s": $ ~> $lookup("a") ~> $string()}`, `{"a": 5}`, `{"s":"5"}`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			p, err := relaxed.Compile(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 100; i++ {
				out, err := p.Eval(context.Background(), []byte(tt.input))
				if err != nil || string(out) != tt.want {
					t.Fatalf("evaluation %d = %s, %v; want %s", i, out, err, tt.want)
				}
			}
		})
	}
}

func testEvalOutputLimit(t *testing.T) {
	t.Parallel()
	c := newCache(t, &Config{MaxOutputBytes: 64, Timeout: time.Minute})
	input := `{"s": "` + strings.Repeat("x", 100) + `", "short": "abc"}`
	tests := []struct {
		expr string
		ok   bool
	}{
		{`{"s": short}`, true},
		{`{"s": s}`, false},
		{`[short, short, short, short, short, short, short, short, short, short, short]`, false},
		{`{"a": {"b": {"c": [1, 2, 3]}}}`, true},
	}
	for _, tt := range tests {
		out, err := c.Eval(context.Background(), tt.expr, []byte(input))
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v", tt.expr, err)
		case !tt.ok && !errors.Is(err, ErrOutputTooLarge):
			t.Errorf("%s = %s, %v; want ErrOutputTooLarge", tt.expr, out, err)
		case len(out) > 64:
			t.Errorf("%s: %d bytes", tt.expr, len(out))
		}
	}
}

func testEvalTimeout(t *testing.T) {
	t.Parallel()
	c := newCache(t, &Config{Timeout: 5 * time.Millisecond})
	// Quadratic in the input: seconds of work, stopped at a callback soon
	// after the deadline.
	var b strings.Builder
	b.WriteString(`{"items": [0`)
	for i := 1; i < 4000; i++ {
		fmt.Fprintf(&b, ",%d", i)
	}
	b.WriteString(`]}`)
	expr := `{"n": $count($map(items, function($a){ $map(items, function($b){ $a + $b }) }))}`

	start := time.Now()
	_, err := c.Eval(context.Background(), expr, []byte(b.String()))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Eval error = %v, want ErrTimeout", err)
	}
	// The abandoned evaluation stops at its next callback.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		t.Fatalf("abandoned evaluation still running: %v", err)
	}
	t.Logf("timed out and stopped after %v", time.Since(start))
}

func testEvalContextDeadline(t *testing.T) {
	t.Parallel()
	c := newCache(t, nil)
	gate, _ := newGate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := c.Eval(ctx, fmt.Sprintf(`{"x": $block(%q)}`, gate), []byte(`{}`))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Eval error = %v, want ErrTimeout and context.DeadlineExceeded", err)
	}

	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.Eval(cancelled, `$`, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Eval error = %v, want context.Canceled", err)
	}
}

// testCacheEvalRunaway: an evaluation that cannot be stopped keeps its
// goroutine after its deadline; at MaxRunaway such evaluations, new ones
// are refused, and a slow evaluation never stalls the others.
func testCacheEvalRunaway(t *testing.T) {
	t.Parallel()
	c := newCache(t, &Config{Timeout: 20 * time.Millisecond, MaxRunaway: 2})
	ctx := context.Background()
	block := func(name string) string { return fmt.Sprintf(`{"x": $block(%q)}`, name) }
	g1, release1 := newGate(t)
	g2, release2 := newGate(t)

	if _, err := c.Eval(ctx, block(g1), []byte(`{}`)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("first Eval error = %v, want ErrTimeout", err)
	}
	// One runaway: other evaluations still run, concurrently.
	for range 3 {
		if out, err := c.Eval(ctx, `{"ok": true}`, []byte(`{}`)); err != nil || string(out) != `{"ok":true}` {
			t.Fatalf("Eval beside a runaway = %s, %v", out, err)
		}
	}
	if _, err := c.Eval(ctx, block(g2), []byte(`{}`)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Eval error = %v, want ErrTimeout", err)
	}
	// Two runaways: refused.
	if _, err := c.Eval(ctx, `{"ok": true}`, []byte(`{}`)); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("Eval at the runaway limit: %v, want ErrOverloaded", err)
	}

	release1()
	release2()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Eval(ctx, `{"ok": true}`, []byte(`{}`)); err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("Eval after the runaways finished = %s, %v", out, err)
	}
}

func TestCache_Compile(t *testing.T) {
	t.Parallel()
	c := newCache(t, &Config{CacheSize: 2})
	p1, err := c.Compile(`{"a": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Compile(`{"a": 1}`); again != p1 {
		t.Error("Compile of a cached expression returned a new program")
	}
	if _, err := c.Compile(`{"b": 2}`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile(`{"c": 3}`); err != nil {
		t.Fatal(err)
	}
	if n := c.Len(); n != 2 {
		t.Errorf("Len = %d, want 2", n)
	}
	if again, _ := c.Compile(`{"a": 1}`); again == p1 {
		t.Error("the least recently used program was not evicted")
	}
	var cerr *CompileError
	if _, err := c.Compile(`{`); !errors.As(err, &cerr) {
		t.Errorf("Compile error = %v, want *CompileError", err)
	}
	if p1.String() != `{"a": 1}` {
		t.Errorf("String = %q", p1.String())
	}
}

func TestNewCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Timeout: -1}, "Config.Timeout"},
		{Config{MaxOutputBytes: -1}, "Config.MaxOutputBytes"},
		{Config{MaxRunaway: -1}, "Config.MaxRunaway"},
		{Config{CacheSize: -1}, "Config.CacheSize"},
	}
	for _, tt := range tests {
		if _, err := NewCache(&tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewCache(%+v) error = %v, want it to name %s", tt.cfg, err, tt.want)
		}
	}
	c, err := NewCache(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.r.timeout != DefaultTimeout || c.r.maxOutput != DefaultMaxOutputBytes || c.r.maxRunaway != DefaultMaxRunaway || c.size != DefaultCacheSize {
		t.Errorf("defaults not applied: %+v, size %d", c.r, c.size)
	}
}
