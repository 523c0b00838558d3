package transform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blues/jsonata-go/jparse"
)

// FuzzCompile checks that Compile never panics, that it reports every
// refusal as a *CompileError, that children misses no sub-expression, and
// that every accepted expression evaluates (to a result or an error)
// without crashing the process and stops soon after its deadline.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.jsonata"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		`$`, `{"a": b.c[0]}`, `$map(a, function($v){ $v })`, `($f := function($n){ $f($n) }; $f(0))`,
		`[1..5].($ * 2)`, `a ~> $uppercase()`, `$ ~> |a|{"b": 1}|`, `a{b: $sum(c)}`, `a^(>b)`, `**.x`,
		`($x := 1; $x := $x & $x; [$x])`, `function($a)<n:n>{ $a }(1)`, "`function`($a)<n>{$a}", `λ ($a) <s-:s> {$a}`, `$substring(?, 1)("abc")`,
		`/[a-z]+/i`, `$reduce(a, function($x, $y){ $x & $y }, "")`, `(((((1)))))`, `-(-(1))`, `a.*.b`,
	} {
		f.Add(s)
	}
	input := []byte(`{"a": [1, "x", null, {"b": 2, "c": [3]}], "b": {"c": [{"d": 1}]}, "s": "abc"}`)
	c, err := NewCache(&Config{Timeout: 20 * time.Millisecond, MaxRunaway: 1 << 20, CacheSize: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if checkSignatures(expr) == nil {
			if root, err := parseRecovered(expr); err == nil {
				checkChildren(t, root)
			}
		}
		p, err := c.Compile(expr)
		if err != nil {
			var cerr *CompileError
			if !errors.As(err, &cerr) {
				t.Fatalf("Compile(%q) error %v is %T, want *CompileError", expr, err, err)
			}
			return
		}
		checkReferencedBuiltins(t, p)
		_, _ = p.Eval(context.Background(), input)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Wait(ctx); err != nil {
			t.Fatalf("%q still running 5s after its 20ms deadline", expr)
		}
	})
}

// parseRecovered is jparse.Parse, whose lexer can panic on malformed
// UTF-8, with the panic returned as an error (as Compile does).
func parseRecovered(expr string) (_ jparse.Node, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return jparse.Parse(expr)
}
