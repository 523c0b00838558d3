package transform

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/blues/jsonata-go/jparse"
)

func TestCompile(t *testing.T) {
	t.Parallel()
	t.Run("accepts", testCompileAccepts)
	t.Run("rejects", testCompileRejects)
	t.Run("acceptedTerminate", testCompileAcceptedTerminate)
	t.Run("referencedBuiltins", testCompileReferencedBuiltins)
}

func testCompileAccepts(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		`{"id": id, "total": $sum(items.(price * qty)), "skus": items.sku}`,
		`$map(items, function($i){ {"sku": $i.sku, "name": $uppercase($i.name)} })`,
		`($fmt := function($i){ $i.sku & "-" & $string($i.qty) }; {"lines": items.$fmt($)})`,
		`($f := function($x){ $x * 2 }; $g := function($x){ $f($x) + 1 }; {"v": $g(1)})`,
		`($h := $f; $f := function($x){ $x }; {"v": $h(1)})`,
		`{"v": (function($x){ $x + 1 })(1)}`,
		`{"v": $reduce(items, function($a, $b){ $a + $b.qty }, 0)}`,
		`{"v": $sort(items, function($a, $b){ $a.qty > $b.qty })}`,
		`{"v": $filter(items, function($i){ $i.qty > 1 }), "w": $single(items, function($i){ $i.sku = "a" })}`,
		`{"v": $each(obj, function($v, $k){ $k & "=" & $v }), "w": obj.$sift(function($v){ $v = 1 })}`,
		`{"v": $replace(s, /(\w+)/, function($m){ $uppercase($m.match) }), "w": s.$replace("a", "b")}`,
		`{"v": items ~> $map(function($i){ $i.sku })}`,
		`{"v": $map(items, $string), "w": $map(items.sku, $uppercase)}`,
		`{"v": $map(items, $substring(?, 0, 1))}`,
		`($p := $substring(?, 0, 1); {"v": $p("abc")})`,
		`$ ~> |$|{"x": 1}, ["secret"]|`,
		`($t := |items|{"seen": true}|; $t($))`,
		`{"r": [1..100].($ * 2), "s": [-5..5]}`,
		`($r := [1..100]; {"r": [1..100].($r)})`,
		`{"r": [1..5000], "s": [1..5000]}`,
		`{"g": items{sku: $sum(qty)}, "o": items^(>qty).sku}`,
		`{"n": $now() != "", "m": $millis() > 0}`,
		`($x := 1; $x := $x + 1; {"x": $x})`,
		`{"v": function($x){ $x }($) }`,
		`{"v": cond ? items[0] : items[1]}`,
		`($a := $; $b := {"x": $a, "y": $a}; $c := {"x": $b, "y": $b}; {"c": $c})`,
		`{"x": a}.x`,
	} {
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			if _, err := Compile(expr); err != nil {
				t.Errorf("Compile: %v", err)
			}
		})
	}
}

func testCompileRejects(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1)
	long := `{"x": "` + strings.Repeat("a", MaxExpressionBytes) + `"}`
	tests := []struct {
		name, expr, want string
	}{
		{"syntax", `{"a": }`, "syntax error"},
		{"self recursion", `($f := function($n){ $f($n + 1) }; $f(0))`, "recursive function $f"},
		{"recursion with base case", `($fact := function($n){ $n <= 1 ? 1 : $n * $fact($n - 1) }; {"v": $fact(5)})`, "recursive function $fact"},
		{"mutual recursion", `($f := function(){ $g() }; $g := function(){ $f() }; {"v": $f()})`, "recursive functions are not allowed: $f → $g → $f"},
		{"recursion through $map", `($walk := function($n){ $map($n.children, $walk) }; {"v": $walk($)})`, "recursive function $walk"},
		{"recursion through an alias", `($f := function(){ $h() }; $h := $f; {"v": $f()})`, "recursive functions"},
		{"recursion through a partial", `($f := function($a, $b){ $g($a) }; $g := $f(?, 1); {"v": $g(1)})`, "recursive functions"},
		{"recursion in a transform", `($t := |$|{"x": $t(a)}|; $t($))`, "recursive function $t"},
		{"self application", `(function($f){ $f($f) })(function($f){ $f($f) })`, "cannot call parameter $f"},
		{"Y combinator", `(function($f){ (function($x){ $x($x) })(function($x){ $f($x($x)) }) })(function($r){ $r })`, "cannot call parameter"},
		{"function via reduce accumulator", `$reduce([1, 2], function($a, $b){ $a($a, $b) }, function($a, $b){ $a($a, $b) })`, "cannot call parameter $a"},
		{"function as reduce init", `($f := function($a, $b){ $a }; $reduce([1], $f, $f))`, "used as a value"},
		{"function in an array", `($f := function(){ 1 }; {"v": [$f]})`, "used as a value"},
		{"function in an object", `{"next": function(){ 1 }}`, "used as a value"},
		{"function as argument", `($f := function($g){ 1 }; {"v": $f(function(){ 2 })})`, "used as a value"},
		{"function returning a function", `($f := function(){ function(){ 1 } }; {"v": $f()()})`, "used as a value"},
		{"function as operand", `($f := function(){ 1 }; {"v": $f & ""})`, "used as a value"},
		{"built-in as value", `{"v": $string($uppercase)}`, "used as a value"},
		{"function composition", `($f := $uppercase ~> $trim; {"v": $f(" a ")})`, "used as a value"},
		{"call of a name", `{"v": obj.f()}`, "cannot call f"},
		{"call of a path", `{"v": ($.f)()}`, "cannot call"},
		{"unknown function", `{"v": $nope(1)}`, "unknown function $nope"},
		{"function and parameter", `($f := function(){ 1 }; $g := function($f){ $f }; {"v": $g(1)})`, "$f is both a function and a parameter"},
		{"redefine built-in", `($string := function($x){ $x }; {"v": $string(1)})`, "cannot assign to $string"},
		{"parameter shadows built-in", `$map(items, function($count){ $count })`, "shadows a built-in"},
		{"huge range", `{"r": [1..100000]}`, "at most 10000"},
		{"nested ranges", `[1..1e4].([1..1e4])`, "rebuilt for every item"},
		{"ranges in total", `{"r": [1..5000], "s": [1..5001]}`, "at most 10000"},
		{"range in a function", `$map(items, function($i){ [1..3] })`, "rebuilt for every item"},
		{"range in a predicate", `items[[0..2]]`, "rebuilt for every item"},
		{"range in a sort term", `items^([1..2])`, "rebuilt for every item"},
		{"cubic range", `($r := [1..1000]; {"n": $count($r.($r.($r)))})`, "over 1000 times"},
		{"range of input", `{"r": [1..n]}`, "bounds must be integer constants"},
		{"fractional range", `{"r": [1..2.5]}`, "bounds must be integer constants"},
		{"assignment in an object", `{"a": $x := 1}`, "must be a statement of a block"},
		{"assignment in an array", `($x := "a"; [1..10].[$x := $x & $x]; {"n": $length($x)})`, "must be a statement of a block"},
		{"assignment as argument", `($x := "a"; [1..10].$string($x := $x & $x); {"x": $x})`, "must be a statement of a block"},
		{"chained assignment", `($x := $y := 1; {"x": $x})`, "must be a statement of a block"},
		{"doubling chain", `($a := "ab"; $b := $a & $a; $c := $b & $b; $d := $c & $c; $e := $d & $d; $f := $e & $e; $g := $f & $f; $h := $g & $g; $i := $h & $h; $j := $i & $i; $k := $j & $j; {"x": $k})`, "over 1000 times"},
		{"doubling reassignment", `($x := "ab"; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; $x := $x & $x; {"x": $x})`, "over 1000 times"},
		{"doubling closure", `($x := "ab"; $d := function(){ $x & $x }; $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); $x := $d(); {"x": $x})`, "over 1000 times"},
		{"doubling blocks", `($x := "ab"; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; ($x := $x & $x; {"x": $x})))))))))))`, "over 1000 times"},
		{"doubling calls", `($d := function($s){ $s & $s }; {"x": $d($d($d($d($d($d($d($d($d($d("ab"))))))))))})`, "over 1000 times"},
		{"doubling arrays", `($a := [$, $]; $b := [$a, $a]; $c := [$b, $b]; $d := [$c, $c]; $e := [$d, $d]; $f := [$e, $e]; $g := [$f, $f]; $h := [$g, $g]; $i := [$h, $h]; $j := [$i, $i]; {"j": $j})`, "over 1000 times"},
		{"doubling objects", `($o := {"a": $}; $p := {"a": $o, "b": $o}; $q := {"a": $p, "b": $p}; $r := {"a": $q, "b": $q}; $s := {"a": $r, "b": $r}; $t := {"a": $s, "b": $s}; $u := {"a": $t, "b": $t}; $v := {"a": $u, "b": $u}; $w := {"a": $v, "b": $v}; $x := {"a": $w, "b": $w}; $y := {"a": $x, "b": $x}; {"s": $string($y)})`, "over 1000 times"},
		{"parser hang", `function($a)<n !>{$a}`, "unsupported '!' after a function type signature"},
		{"parser hang with backticks", "`function`($a)<n !>{$a}", "unsupported '!'"},
		{"parser hang with tilde", "(function($a)<n>{$a}; $x ~ 1)", "unsupported '~'"},
		{"parser panic", "0!骬", "cannot parse expression"},
		{"too deep", deep, "nests deeper"},
		{"too long", long, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.expr)
			var cerr *CompileError
			if !errors.As(err, &cerr) {
				t.Fatalf("Compile error = %v (%T), want *CompileError", err, err)
			}
			if !strings.Contains(cerr.Reason, tt.want) {
				t.Errorf("Compile error = %q, want it to contain %q", cerr.Reason, tt.want)
			}
		})
	}
}

// testCompileAcceptedTerminate evaluates accepted expressions that come
// close to the limits.
func testCompileAcceptedTerminate(t *testing.T) {
	t.Parallel()
	c := newCache(t, &Config{Timeout: time.Minute})
	for _, expr := range []string{
		`($r := [1..100]; {"n": $count($r.($r))})`,
		`($a := "ab"; $b := $a & $a; $c := $b & $b; $d := $c & $c; {"n": $length($d)})`,
		`($r := [1..100]; {"v": $map($r, function($i){ $map($r, function($j){ $i * $j }) }) ~> $count()})`,
	} {
		if _, err := c.Eval(context.Background(), expr, []byte(`{}`)); err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

// reflectChildren finds a node's sub-expressions by reflection: every
// field holding a Node, a []Node, a [][2]Node or a []SortTerm, looking
// through embedded structs. It checks that children misses none.
func reflectChildren(n jparse.Node) []jparse.Node {
	var out []jparse.Node
	nodeType := reflect.TypeFor[jparse.Node]()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return
		}
		for i := range v.NumField() {
			f, sf := v.Field(i), v.Type().Field(i)
			switch {
			case sf.Anonymous:
				walk(f)
			case sf.Type == nodeType:
				if !f.IsNil() {
					out = append(out, f.Interface().(jparse.Node))
				}
			case sf.Type == reflect.TypeFor[[]jparse.Node]():
				out = append(out, f.Interface().([]jparse.Node)...)
			case sf.Type == reflect.TypeFor[[][2]jparse.Node]():
				for _, p := range f.Interface().([][2]jparse.Node) {
					out = append(out, p[0], p[1])
				}
			case sf.Type == reflect.TypeFor[[]jparse.SortTerm]():
				for _, t := range f.Interface().([]jparse.SortTerm) {
					out = append(out, t.Expr)
				}
			}
		}
	}
	walk(reflect.ValueOf(n))
	return out
}

// checkChildren compares children with reflectChildren over a whole tree.
func checkChildren(t *testing.T, n jparse.Node) {
	t.Helper()
	got, err := children(n)
	if err != nil {
		t.Fatalf("children(%T): %v", n, err)
	}
	want := reflectChildren(n)
	if len(got) != len(want) {
		t.Fatalf("children(%T %s) = %d nodes, reflection finds %d", n, n, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("children(%T %s)[%d] = %s, reflection finds %s", n, n, i, got[i], want[i])
		}
		checkChildren(t, got[i])
	}
}

func TestChildren(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		`a.b[0].c{"k": v}^(>x, <y).*.**`,
		`($x := 1; -$x + [1..3][0] * 2 / 3 % 4 - (true and false or null) & "s")`,
		`$f(?, 1) ~> $g() ~> |a|{"b": 1}, ["c"]| ~> function($v)<n:n>{ $v }`,
		`(x ? y : z; a in b; a != b; a <= b; /re/i)`,
		`λ($a){ $a }(1)`,
		`$map(x, function($v, $i){ $v[$i > 1] })`,
	} {
		root, err := jparse.Parse(expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		checkChildren(t, root)
	}
}
