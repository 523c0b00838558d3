package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileItems returns a body of n items {"id":i,"name":"item-i","price":i}
// under "items".
func hostileItems(n int) []byte { return hostileItemsPriced(n, func(i int) int { return i }) }

// hostileItemsPriced is hostileItems with item i's price price(i).
func hostileItemsPriced(n int, price func(int) int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"items": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"id": %d, "name": "item-%d", "price": %d}`, i, i, price(i))
	}
	b.WriteString("]}")
	return b.Bytes()
}

// What a hostile case must end with.
const (
	wantResult  = "result"   // a result, no error
	wantBudget  = "budget"   // a *BudgetError (of limit, when set)
	wantEval    = "evalerr"  // an *EvalError
	wantOutput  = "toolarge" // ErrOutputTooLarge
	wantNothing = "nothing"  // ErrNoResult
)

type hostileCase struct {
	name  string
	expr  string
	body  []byte
	want  string
	limit string // for wantBudget: "steps", "bytes" or "depth"; "" for any
	code  string // for wantEval: the error code; "" for any
	check func(t *testing.T, out []byte)
	skip  string // a known bug: the subtest is skipped with this reason
}

func hostileCases() []hostileCase {
	big := hostileItems(10_000)
	reversed := hostileItemsPriced(10_000, func(i int) int { return 10_000 - i })
	empty := []byte(`{}`)
	return []hostileCase{
		{name: "formatNumber_exponent_negative", expr: `$formatNumber(amount, "0.00e0")`, body: []byte(`{"amount": -5}`), want: wantResult,
			check: wantJSON(`"-5.00e0"`)},
		{name: "formatNumber_exponent_zero", expr: `$formatNumber(amount, "0.00e0")`, body: []byte(`{"amount": 0}`), want: wantResult,
			check: wantJSON(`"0.00e0"`)},
		{name: "parent_per_item", expr: `$count(items.($$.items))`, body: big, want: wantBudget},
		{name: "nested_ranges", expr: `[1..1e4].([1..1e4])`, body: empty, want: wantBudget},
		// 10,000 items sort within the default budget.
		{name: "sort_lambda_10k", expr: `$sort(items, function($a,$b){$a.price > $b.price})`, body: big, want: wantResult,
			check: wantSorted(10_000)},
		{name: "sort_lambda_10k_reversed", expr: `$sort(items, function($a,$b){$a.price > $b.price})`, body: reversed, want: wantResult,
			check: wantSorted(10_000)},
		// A one-parameter callback is refused by $reduce, as in the reference.
		{name: "reduce_one_param", expr: `$reduce([1..40], function($acc){$acc & $acc}, "x")`, body: empty, want: wantEval, code: "D3050"},
		{name: "reduce_string_doubling", expr: `$reduce([1..40], function($acc, $v){$acc & $acc}, "x")`, body: empty, want: wantBudget, limit: "bytes"},
		{name: "recursion_deep", expr: `($f := function($n){$n + $f($n+1)}; $f(0))`, body: empty, want: wantBudget, limit: "depth"},
		// A tail call uses no depth: 100,001 calls fit the step budget…
		{name: "recursion_tail", expr: `($f := function($n){$n > 100000 ? $n : $f($n+1)}; $f(0))`, body: empty, want: wantResult,
			check: wantJSON(`100001`)},
		// …and 10,000,001 do not.
		{name: "recursion_tail_1e7", expr: `($f := function($n){$n > 1e7 ? $n : $f($n+1)}; $f(0))`, body: empty, want: wantBudget, limit: "steps"},
		{name: "pad_1e9", expr: `$pad("", 1e9)`, body: empty, want: wantBudget, limit: "bytes"},
		{name: "join_1e6_strings", expr: `$join([1..1e6].$string())`, body: empty, want: wantBudget},
		{name: "distinct_parent_objects", expr: `$distinct(items.{"a": $$.items})`, body: big, want: wantBudget},
		// No item equals the array: nothing, quickly.
		{name: "predicate_parent_compare", expr: `items[$ = $$.items]`, body: big, want: wantNothing},
		{name: "eval_nested_range", expr: `$eval("$eval(\"[1..1e7]\")")`, body: empty, want: wantBudget},
		// RE2 does not backtrack, and nothing matches.
		{name: "regex_backtracking", expr: `$match($string(items), /(a|aa)+$/)`, body: big, want: wantNothing},
		{name: "replace_doubling_callback", expr: `$replace($string(items), /./, function($m){$m.match & $m.match})`, body: big, want: wantBudget},
		// Built-ins over a large array, once per item: each call is charged.
		{name: "max_of_a_variable_per_item", expr: `($x := items.price; items.($max($x)))`, body: big, want: wantBudget, limit: "steps"},
		{name: "sum_of_a_variable_per_item", expr: `($x := items.price; $count(items.($sum($x))))`, body: big, want: wantBudget, limit: "steps"},
		{name: "predicate_array_per_item", expr: `items[$$.items]`, body: big, want: wantBudget, limit: "steps"},
		{name: "long_picture_per_item", expr: `($p := $pad("", 60000, "#"); items.$formatNumber(price, $p))`, body: big, want: wantBudget, limit: "steps"},
		{name: "long_date_picture_per_item", expr: `($p := $pad("", 30000, "[D]"); items.$fromMillis(price, $p))`, body: big, want: wantBudget},
		// The parser refuses a timestamp and picture this long outright (D3150).
		{name: "long_date_parse_per_item", expr: `($p := $pad("", 30000, "[D]"); items.$toMillis($pad("", 10000, "1"), $p))`, body: big, want: wantEval},
		{name: "long_integer_picture_per_item", expr: `($p := $pad("", 60000, "#") & "0"; items.$formatInteger(price, $p))`, body: big, want: wantBudget},
		// Found by an audit of the charges: each ran for seconds, or
		// allocated gigabytes, before it was charged.
		{name: "signature_backtracking", expr: `(function($p0,$p1,$p2,$p3,$p4,$p5,$p6,$p7,$p8,$p9,$p10,$p11,$p12,$p13,$p14)<n+n+n+n+n+n+n+n+n+n+n+n+n+n+s>{1})(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)`, body: empty, want: wantEval},
		{name: "group_many_items_one_key", expr: `$count([1..20000]{"k": $}.k)`, body: empty, want: wantResult},
		{name: "lookup_large_arrays", expr: `($o:={"a":[1..100000]}; $l:=[1..300].$o; $count($lookup($l,"a")))`, body: empty, want: wantBudget},
		{name: "many_variables", expr: manyVariables, body: empty, want: wantResult},
		{name: "pad_long_string_per_item", expr: `($s:=$pad("",1e6,"a"); $count([1..20000].$pad($s,1)))`, body: empty, want: wantBudget},
		{name: "large_regex_program", expr: `($s:=$pad("",1e6,"a"); $count([1..3].$contains($s,/[ab]{1000}c/)))`, body: empty, want: wantBudget},
		{name: "equal_long_strings", expr: `($a:=$pad("",1e7,"a"); $b:=$pad("",1e7,"a"); $count([1..5000][$a = $b]))`, body: empty, want: wantBudget},
		{name: "compare_long_strings", expr: `($a:=$pad("",1e7,"a"); $count([1..100][$a <= $a]))`, body: empty, want: wantBudget},
		{name: "distinct_long_strings", expr: `($a:=$pad("",1e7,"a"); $count($distinct([1..2000].$a)))`, body: empty, want: wantBudget},
		{name: "regex_from_far_offset", expr: `($s:=$pad("",1e6,"a")&"x"; $r:=/x/; $count([1..5000].$r($s,1000000)))`, body: empty, want: wantBudget},
		{name: "format_number_many_options", expr: `($o:=$merge([1..50000].{$string($):"x"}); $count([1..200].$formatNumber(1,"0",$o)))`, body: empty, want: wantBudget},
		{name: "split_20MB_by_char", expr: `$count($split($pad("",2e7,"a"),""))`, body: empty, want: wantBudget},
		{name: "split_limit", expr: `$count($split($pad("",2e7,"a"),"a", 1))`, body: empty, want: wantResult},
		{name: "replace_whole_match_thousands_of_times", expr: `($s:=$pad("",100000,"a"); $length($replace($s,/a+/,$join([1..3000].("$0")))))`, body: empty, want: wantBudget},
		{name: "trim_10MB", expr: `$count([1..3].$trim($pad("",1e7,"a ")))`, body: empty, want: wantBudget},
		{name: "format_base_nan_radix", expr: `$formatBase(1, 0/0)`, body: empty, want: wantEval},
		// A 30 MB string (within the byte budget) matched a character at a
		// time: the search itself stops within the budget.
		{name: "replace_every_char_of_30MB", expr: `$replace($pad("", 3e7, "a"), /./, "b")`, body: empty, want: wantBudget},
		// 500,000 one-character strings fit the budget; the result does not fit the output limit.
		{name: "split_every_char", expr: `$split($string(items), "")`, body: big, want: wantOutput},
		// 30,000 one-entry objects: within every limit.
		{name: "spread_items", expr: `$spread(items)`, body: big, want: wantResult},
		{name: "descendants_nested", expr: `**.**`, body: big, want: wantOutput},
		// 500 KB of JSON: within the byte budget and the output limit.
		{name: "string_whole_body", expr: `$string($)`, body: big, want: wantResult,
			check: func(t *testing.T, out []byte) {
				if len(out) < len(big) {
					t.Errorf("result of %d bytes, want at least the body's %d", len(out), len(big))
				}
			}},
	}
}

// wantJSON checks that the output is want.
func wantJSON(want string) func(t *testing.T, out []byte) {
	return func(t *testing.T, out []byte) {
		t.Helper()
		if string(out) != want {
			t.Errorf("result = %s, want %s", out, want)
		}
	}
}

// wantSorted checks that the output is n items sorted by ascending price.
func wantSorted(n int) func(t *testing.T, out []byte) {
	return func(t *testing.T, out []byte) {
		t.Helper()
		var items []struct{ Price float64 }
		if err := json.Unmarshal(out, &items); err != nil {
			t.Fatalf("result is not an array of items: %v", err)
		}
		if len(items) != n {
			t.Fatalf("%d items, want %d", len(items), n)
		}
		for i := 1; i < n; i++ {
			if items[i-1].Price > items[i].Price {
				t.Fatalf("item %d (price %v) sorts before item %d (price %v)", i-1, items[i-1].Price, i, items[i].Price)
			}
		}
	}
}

// checkHostile checks the outcome of c.
func checkHostile(t *testing.T, c hostileCase, out []byte, err error) {
	t.Helper()
	var be *BudgetError
	var ee *EvalError
	switch c.want {
	case wantResult:
		if err != nil {
			t.Fatalf("error %v, want a result", err)
		}
		if c.check != nil {
			c.check(t, out)
		}
	case wantBudget:
		if !errors.As(err, &be) {
			t.Fatalf("got %s, want a *BudgetError", describeOutcome(out, err))
		}
		if c.limit != "" && be.Limit != c.limit {
			t.Fatalf("budget error %q (limit %s), want limit %s", err, be.Limit, c.limit)
		}
	case wantEval:
		if !errors.As(err, &ee) {
			t.Fatalf("got %s, want an *EvalError", describeOutcome(out, err))
		}
		if c.code != "" && ee.Code != c.code {
			t.Fatalf("eval error %v, want code %s", err, c.code)
		}
	case wantOutput:
		if !errors.Is(err, ErrOutputTooLarge) {
			t.Fatalf("got %s, want ErrOutputTooLarge", describeOutcome(out, err))
		}
	case wantNothing:
		if !errors.Is(err, ErrNoResult) {
			t.Fatalf("got %s, want ErrNoResult", describeOutcome(out, err))
		}
	default:
		t.Fatalf("bad want %q", c.want)
	}
}

// describeOutcome renders a result or an error for a failure message.
func describeOutcome(out []byte, err error) string {
	if err != nil {
		return fmt.Sprintf("error %T %q", err, err)
	}
	if len(out) > 200 {
		return fmt.Sprintf("a result of %d bytes: %s...", len(out), out[:200])
	}
	return "result " + string(out)
}

// TestHostile evaluates expressions built to exhaust time, memory or the
// stack; each must stop on its budget (or return its result). The cases
// run one at a time so that the heap figures logged are their own.
func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			p, err := Compile(c.expr)
			if err != nil {
				t.Fatalf("Compile(%q): %v", c.expr, err)
			}
			in, err := ParseInput(c.body)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out, err := p.EvalInput(context.Background(), in)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%-60q body %7d B: %-60s %8s  heap in use %6.1f -> %6.1f MiB, allocated %7.1f MiB",
				c.expr, len(c.body), shortOutcome(out, err), elapsed.Round(time.Microsecond),
				mib(before.HeapInuse), mib(after.HeapInuse), mib(after.TotalAlloc-before.TotalAlloc))
			checkHostile(t, c, out, err)
		})
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// shortOutcome renders an outcome in one short line for the log.
func shortOutcome(out []byte, err error) string {
	if err != nil {
		s := err.Error()
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
	if len(out) > 30 {
		return "result of " + strconv.Itoa(len(out)) + " B"
	}
	return "result " + string(out)
}

// concurrentCase is a normal transform evaluated concurrently.
type concurrentCase struct {
	p    *Program
	body []byte
	in   *Input // shared by every goroutine
	want []byte
}

// TestEval_Concurrent evaluates three normal transforms from 8 goroutines
// while another runs hostile ones, and compares every result with the
// sequential one.
func TestEval_Concurrent(t *testing.T) {
	t.Parallel()
	order, err := os.ReadFile(filepath.Join("testdata", "bench_order.json"))
	if err != nil {
		t.Fatal(err)
	}
	specs := []struct{ expr, body string }{
		{benchExpr, string(order)},
		{`$sort(items, function($a, $b){$a.price < $b.price})[[0..2]].{"n": $uppercase(name), "p": $formatNumber(price, "#,##0.00")}`, string(hostileItems(50))},
		{`{"words": $split(text, " ") ~> $map(function($w, $i){$i & ":" & $w}), "n": $count($match(text, /o/)), "r": $replace(text, /(\w+)@(\w+)/, "$2 at $1")}`, `{"text": "hello world from ann@example foo"}`},
	}
	cases := make([]concurrentCase, len(specs))
	for i, s := range specs {
		p, err := Compile(s.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", s.expr, err)
		}
		in, err := ParseInput([]byte(s.body))
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.Eval(context.Background(), []byte(s.body))
		if err != nil {
			t.Fatalf("Eval(%q): %v", s.expr, err)
		}
		cases[i] = concurrentCase{p: p, body: []byte(s.body), in: in, want: want}
	}

	hostile := hostileCases()
	hostilePrograms := make([]*Program, 0, len(hostile))
	hostileInputs := make([]*Input, 0, len(hostile))
	for _, c := range hostile {
		if c.skip != "" {
			continue
		}
		p, err := Compile(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		in, err := ParseInput(c.body)
		if err != nil {
			t.Fatal(err)
		}
		hostilePrograms = append(hostilePrograms, p)
		hostileInputs = append(hostileInputs, in)
	}

	const workers, evals = 8, 500
	ctx := context.Background()
	done := make(chan struct{})
	hostileDone := make(chan struct{})
	go func() { // hostile evaluations until the workers finish
		defer close(hostileDone)
		for i := 0; ; i++ {
			select {
			case <-done:
				if i >= len(hostilePrograms) {
					return
				}
			default:
			}
			k := i % len(hostilePrograms)
			if _, err := hostilePrograms[k].EvalInput(ctx, hostileInputs[k]); err != nil && !isBudgetOrEval(err) {
				// A result is fine; an internal error is not.
				if errors.Is(err, ErrOutputTooLarge) || errors.Is(err, ErrNoResult) {
					continue
				}
				t.Errorf("hostile %q: %v", hostilePrograms[k].String(), err)
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range evals {
				c := cases[(w+i)%len(cases)]
				var out []byte
				var err error
				if i%2 == 0 {
					out, err = c.p.Eval(ctx, c.body)
				} else {
					out, err = c.p.EvalInput(ctx, c.in)
				}
				if err != nil {
					t.Errorf("worker %d eval %d of %q: %v", w, i, c.p.String(), err)
					return
				}
				if !bytes.Equal(out, c.want) {
					t.Errorf("worker %d eval %d of %q:\ngot  %s\nwant %s", w, i, c.p.String(), out, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	<-hostileDone
}

// isBudgetOrEval reports whether err is a *BudgetError or an *EvalError.
func isBudgetOrEval(err error) bool {
	var be *BudgetError
	var ee *EvalError
	return errors.As(err, &be) || errors.As(err, &ee)
}

// manyVariables binds 5,000 variables in one block and reads the last
// 300,000 times.
var manyVariables = func() string {
	var b strings.Builder
	b.WriteString("(")
	for i := range 5000 {
		fmt.Fprintf(&b, "$a%d:=0;", i)
	}
	b.WriteString("$count([1..300000].$a4999))")
	return b.String()
}()

// TestEval_TransformLeavesSharedInputAlone: a |...|...| pattern reaching
// outside its copy ($$) must not change the decoded input, which other
// evaluations share.
func TestEval_TransformLeavesSharedInputAlone(t *testing.T) {
	t.Parallel()
	in, err := ParseInput([]byte(`{"a":{"b":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	mutate, err := Compile(`$ ~> |$$.a|{"injected": true}, "b"|`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mutate.EvalInput(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	identity, err := Compile(`$`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := identity.EvalInput(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"a":{"b":1}}`; got != want {
		t.Errorf("input after the transform = %s, want %s", got, want)
	}
}
