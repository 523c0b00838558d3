package transform

import (
	"bytes"
	"context"
	"testing"
)

// unmarkNamePaths undoes markNamePaths: every path below root is then
// evaluated through its sequences.
func unmarkNamePaths(root *node) { walk(root, func(n *node) { n.names = nil }) }

// slowPaths returns a copy of p that evaluates every path through its
// sequences.
func slowPaths(t testing.TB, p *Program) *Program {
	t.Helper()
	q, err := compile(p.expr, Config{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	unmarkNamePaths(q.root)
	return q
}

// evalBoth evaluates p and slowPaths(p) on body and fails t unless they
// agree on the result or on failing.
func evalBoth(t testing.TB, p *Program, body []byte) {
	t.Helper()
	ctx := context.Background()
	fast, errFast := p.Eval(ctx, body)
	slow, errSlow := slowPaths(t, p).Eval(ctx, body)
	if (errFast == nil) != (errSlow == nil) || !bytes.Equal(fast, slow) {
		t.Errorf("%s on %s:\nnames walked: %s, %v\nsequences:    %s, %v", p.expr, body, fast, errFast, slow, errSlow)
	}
}

// TestEvalNames_SameAsSequences checks that paths of plain names give what
// the general path evaluation gives, where the walk takes its short cut
// and where it must not: arrays on the way or at the end, scalars,
// undefined, constructed arrays and sequences, functions.
func TestEvalNames_SameAsSequences(t *testing.T) {
	bodies := []string{
		`{"a":{"b":{"c":1}}}`,
		`{"a":{"b":[{"c":1},{"c":[2,3]},{"d":4}]}}`,
		`{"a":[{"b":{"c":5}},{"b":{"c":6}}]}`,
		`{"a":{"b":[]}}`,
		`{"a":{"b":[[1,2],[3]]}}`,
		`{"a":{"b":null}}`,
		`{"a":"text","n":7}`,
		`[{"a":{"b":1}},{"a":{"b":2}}]`,
		`[]`,
		`{"a":{"b":{"c":{}}}}`,
		``,
	}
	exprs := []string{
		`a`, `a.b`, `a.b.c`, `a.b.c.d`, `n.x`, `a.x.y`,
		`{"v": a.b.c, "w": a.b}`,
		`a.b.c + 1`,
		`$count(a.b)`,
		`[a.b]`,
		`a.b[0]`,
		`($x := {"p": [1,2]}; $x.p)`,
		`($x := {"p": {"q": [3]}}; $x.p.q)`,
		`($x := {"p": a.b}; $x.p.c)`,
		`($f := {"g": function($v){$v * 2}}; $f.g(3))`,
		`a.b.(c)`,
		`$.a.b`,
		`a.b.c ~> $string()`,
	}
	for _, expr := range exprs {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		for _, body := range bodies {
			evalBoth(t, p, []byte(body))
		}
	}
}

// TestMarkNamePaths lists which paths take the walk (the expression's
// own path; paths inside it may be marked on their own).
func TestMarkNamePaths(t *testing.T) {
	for expr, want := range map[string]bool{
		`a.b.c`:     true,
		"`a b`.c":   true,
		`a.b[0]`:    false,
		`a.b[]`:     false,
		`a.*.c`:     false,
		`a.b#$i`:    false,
		`a@$x.b`:    false,
		`a.b.%`:     false,
		`a.b{c: d}`: false,
		`a.$x`:      false,
		`a.b^(c)`:   false,
	} {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		if marked := p.root.names != nil; marked != want {
			t.Errorf("%s: a path of names marked: %v, want %v", expr, marked, want)
		}
	}
}
