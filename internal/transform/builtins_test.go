package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jparse"
)

// jsonataBaseEnv reads the names of jsonata-go's package-level built-ins
// from the source of the module version in use: the keys of the map
// literal passed to initBaseEnv in env.go.
func jsonataBaseEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/blues/jsonata-go").Output()
	if err != nil {
		t.Fatalf("locate jsonata-go: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "env.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "initBaseEnv" {
			return true
		}
		for _, elt := range call.Args[0].(*ast.CompositeLit).Elts {
			key := elt.(*ast.KeyValueExpr).Key.(*ast.BasicLit)
			name, err := strconv.Unquote(key.Value)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		return false
	})
	if len(names) == 0 {
		t.Fatalf("no initBaseEnv map literal in %s", file)
	}
	return names
}

// TestNewBuiltin proves that an instance never reaches a
// shared built-in: builtinNames is exactly jsonata-go's base environment,
// and each name resolves to the instance's private copy when the
// expression refers to it (TestCompile/referencedBuiltins checks that
// every reference is found).
func TestNewBuiltin(t *testing.T) {
	t.Parallel()
	want := jsonataBaseEnv(t)
	slices.Sort(want)
	got := slices.Sorted(slices.Values(builtinNames))
	if !slices.Equal(got, want) {
		t.Fatalf("builtinNames = %v\njsonata-go's base environment = %v", got, want)
	}

	seen := map[any]bool{}
	for _, name := range builtinNames {
		// Looking a function up does not call, so does not mutate, it.
		shared, err := jsonata.MustCompile("$" + name).Eval(nil)
		if err != nil {
			t.Fatal(err)
		}
		p := &Program{expr: "$" + name, builtins: referencedBuiltins(map[string]bool{name: true})}
		inst, err := p.newInstance()
		if err != nil {
			t.Fatal(err)
		}
		own, err := inst.expr.Eval(nil)
		if err != nil {
			t.Fatalf("$%s: %v", name, err)
		}
		b, ok := own.(*builtin)
		switch {
		case !ok:
			t.Errorf("$%s resolves to %T, want *builtin", name, own)
		case b.inner == shared:
			t.Errorf("$%s wraps the shared built-in", name)
		case seen[b.inner]:
			t.Errorf("$%s shares its copy", name)
		}
		seen[b.inner] = true
	}
}

// equivalence lists expressions exercising every built-in, including
// their context-argument forms; each is evaluated by an instance and by
// plain jsonata-go.
var equivalence = []string{
	`$string(obj)`, `$string(n)`, `name.$string()`, `$length(name)`, `name.$length()`,
	`$substring(name, 1, 3)`, `name.$substring(1)`, `$substringBefore(name, "_")`, `name.$substringBefore("_")`,
	`$substringAfter(name, "_")`, `name.$substringAfter("_")`, `$uppercase(name)`, `name.$uppercase()`,
	`$lowercase("AbC")`, `upper.$lowercase()`, `$pad(name, 12, "#")`, `name.$pad(-12)`, `$trim("  a  b ")`, `padded.$trim()`,
	`$contains(name, "_")`, `name.$contains(/\d/)`, `$split(name, "_")`, `name.$split("_", 1)`, `name.$split(/_/)`,
	`$join(tags, ",")`, `$match(name, /(\d+)/)`, `name.$match(/\d/)`, `$replace(name, "_", "-")`, `name.$replace(/\d/, "#")`,
	`$replace(name, /(\d)/, function($m){ $m.groups[0] & "!" })`, `$formatNumber(1234.5, "#,##0.00")`, `n.$formatNumber("0.0")`,
	`$formatBase(255, 16)`, `$base64encode(name)`, `$base64decode("YWJj")`, `$decodeUrl("a%20b")`, `$decodeUrlComponent("a%2Fb")`,
	`$encodeUrl("a b")`, `$encodeUrlComponent("a/b")`, `$number("12.5")`, `numstr.$number()`, `$abs(-2)`, `n.$abs()`, `$floor(n)`,
	`$ceil(n)`, `$round(2.555, 2)`, `n.$round()`, `$power(2, 10)`, `n.$power(3)`, `$sqrt(16)`, `$random() < 1`, `$sum(nums)`,
	`$max(nums)`, `$min(nums)`, `$average(nums)`, `$boolean(name)`, `name.$boolean()`, `$not(false)`, `yes.$not()`,
	`$exists(obj.a)`, `$distinct([1, 1, 2])`, `$count(nums)`, `$reverse(nums)`, `$sort(nums)`, `$sort(nums, function($a, $b){ $a < $b })`,
	`$count($shuffle(nums))`, `$zip(nums, tags)`, `$append(nums, tags)`, `$map(nums, function($v, $i){ $v * $i })`,
	`$filter(nums, function($v){ $v > 1 })`, `$reduce(nums, function($a, $b){ $a + $b }, 10)`, `$single(nums, function($v){ $v = 2 })`,
	`$sort($each(obj, function($v, $k){ $k & $v }))`, `$sift(obj, function($v){ $v > 1 })`, `obj.$sift(function($v, $k){ $k = "a" })`,
	`$sort($keys(obj))`, `$sort(obj.$keys())`, `$lookup(obj, "b")`, `obj.$lookup("a")`, `$count($spread(obj))`, `$count(obj.$spread())`, `$merge([obj, {"c": 3}])`,
	`$fromMillis(0)`, `zero.$fromMillis()`, `$toMillis("1970-01-01T00:00:01Z")`, `when.$toMillis()`, `$type(nums)`, `obj.$type()`,
	`$map(tags, $uppercase)`, `$map(tags, $substring(?, 0, 1))`, `$sort(tags)`, `$error("boom")`, `$substring(n)`,
}

const equivalenceInput = `{"name": "ada_42", "n": 2.5, "nums": [3, 1, 2], "tags": ["x", "y"], "obj": {"a": 1, "b": 2},
	"upper": "AbC", "padded": "  x ", "numstr": "3", "yes": true, "zero": 0, "when": "1970-01-01T00:00:01.000Z"}`

// TestBuiltin_Call checks that the private copies behave as jsonata-go's
// own built-ins.
func TestBuiltin_Call(t *testing.T) {
	t.Parallel()
	// Not parallel inside: plain jsonata-go must not evaluate
	// concurrently.
	covered := map[string]bool{}
	for _, expr := range equivalence {
		for _, name := range builtinNames {
			if strings.Contains(expr, "$"+name+"(") {
				covered[name] = true
			}
		}
		wrapped := `{"r": ` + expr + `}`
		got, err := eval(t, wrapped, equivalenceInput)
		if err != nil {
			got = "error: " + strings.TrimPrefix(err.Error(), "transform: ")
		}
		var in any
		if err := json.Unmarshal([]byte(equivalenceInput), &in); err != nil {
			t.Fatal(err)
		}
		var want string
		if v, err := jsonata.MustCompile(wrapped).Eval(in); err != nil {
			want = "error: " + err.Error()
		} else {
			b, err := encodeResult(v, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			want = string(b)
		}
		if got != want {
			t.Errorf("%s = %s, plain jsonata-go = %s", expr, got, want)
		}
	}
	for _, name := range builtinNames {
		if !covered[name] {
			t.Errorf("$%s is not exercised", name)
		}
	}
}

// testEvalConcurrent: jsonata-go's shared built-ins return other
// goroutines' data under concurrency (about 1 in 70 evaluations of
// name.$uppercase()). Run with -race.
func testEvalConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, evaluations = 8, 2000
	c := newCache(t, &Config{Timeout: time.Minute})
	exprs := []struct {
		expr string
		want func(name string, i int) string
	}{
		{`{"u": name.$uppercase()}`, func(name string, i int) string {
			return fmt.Sprintf(`{"u":%q}`, strings.ToUpper(name))
		}},
		{`{"m": $map(items, function($v){ $v.$lowercase() & $string($v.$length()) }), "s": name.$substring(1)}`, func(name string, i int) string {
			return fmt.Sprintf(`{"m":[%q,%q],"s":%q}`, strings.ToLower(name)+strconv.Itoa(len(name)), "x1", name[1:])
		}},
		{`{"f": $filter(nums, function($n){ $n % 2 = 0 }), "r": $reduce(nums, function($a, $b){ $a + $b }), "o": $sort(nums, function($a, $b){ $a < $b }), "one": $single(nums, function($n){ $n = i })}`, func(name string, i int) string {
			even := i
			if i%2 != 0 {
				even = i + 1
			}
			return fmt.Sprintf(`{"f":[%d],"o":[%d,%d],"one":%d,"r":%d}`, even, i+1, i, i, 2*i+1)
		}},
		{`{"e": $each(obj, function($v, $k){ $k & $v }), "s": $sift(obj, function($v){ $contains($v, name) }), "p": name.$pad(-20, "*")}`, func(name string, i int) string {
			return fmt.Sprintf(`{"e":"k%s","p":%q,"s":{"k":%q}}`, name, strings.Repeat("*", 20-len(name))+name, name)
		}},
		{`{"t": name ~> $replace("_", "-") ~> $uppercase(), "x": $split(name, "_")[1]}`, func(name string, i int) string {
			parts := strings.Split(name, "_")
			return fmt.Sprintf(`{"t":%q,"x":%q}`, strings.ToUpper(strings.ReplaceAll(name, "_", "-")), parts[1])
		}},
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	report := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, s)
	}
	for g := range goroutines {
		wg.Go(func() {
			wrong := 0
			for n := range evaluations {
				i := g*evaluations + n
				name := fmt.Sprintf("n%d_%d", g, n)
				input := fmt.Sprintf(`{"name": %q, "items": [%q, "X"], "nums": [%d, %d], "i": %d, "obj": {"k": %q}}`, name, name, i, i+1, i, name)
				e := exprs[n%len(exprs)]
				out, err := c.Eval(context.Background(), e.expr, []byte(input))
				if want := e.want(name, i); err != nil || string(out) != want {
					if wrong++; wrong <= 3 {
						report(fmt.Sprintf("%s on %s = %s, %v; want %s", e.expr, name, out, err, want))
					}
				}
			}
			if wrong > 0 {
				report(fmt.Sprintf("goroutine %d: %d wrong results", g, wrong))
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		t.Error(e)
	}
}

// astNames collects the names of every variable in the tree, walking it
// by reflection (independently of children).
func astNames(n jparse.Node, names map[string]bool) {
	if v, ok := n.(*jparse.VariableNode); ok {
		names[v.Name] = true
	}
	for _, k := range reflectChildren(n) {
		astNames(k, names)
	}
}

// checkReferencedBuiltins checks that p registers every built-in its
// expression refers to.
func checkReferencedBuiltins(t *testing.T, p *Program) {
	t.Helper()
	root, err := jparse.Parse(p.expr)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	astNames(root, names)
	for name := range names {
		if _, ok := templates[name]; ok && !slices.Contains(p.builtins, name) {
			t.Errorf("%s: $%s is not registered", p.expr, name)
		}
	}
}

func testCompileReferencedBuiltins(t *testing.T) {
	t.Parallel()
	for _, expr := range equivalence {
		p, err := Compile(`{"r": ` + expr + `}`)
		if err != nil {
			t.Fatal(err)
		}
		checkReferencedBuiltins(t, p)
	}
}
