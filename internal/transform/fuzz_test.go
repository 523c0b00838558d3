package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fuzzConfig is the small budget FuzzEval evaluates under.
var fuzzConfig = Config{MaxSteps: 20000, MaxBytes: 1 << 20, MaxDepth: 200, MaxOutputBytes: 64 << 10}

// fuzzExprs seeds FuzzEval and FuzzCompile: realistic transforms and
// hostile ones.
var fuzzExprs = []string{
	// realistic
	`order.customer.email`,
	`{"id": order.number, "email": $lowercase(order.customer.email)}`,
	`order.lineItems[qty > 1].sku`,
	`order.lineItems.{"sku": sku, "amount": qty * price}`,
	`$sum(order.lineItems.(qty * price))`,
	`$join(order.lineItems.name, ", ")`,
	`$uppercase(order.customer.firstName & " " & order.customer.lastName)`,
	`order.shipping.method = "express" ? "high" : "normal"`,
	`$map(order.lineItems, function($i){$i.price * 2})`,
	`$filter(order.lineItems, function($i){"gift" in $i.tags})`,
	`$reduce(order.lineItems, function($a, $i){$a + $i.qty}, 0)`,
	`order.lineItems^(>price).name`,
	`order.lineItems{sku: price}`,
	`$count(order.lineItems[tags = "mug"])`,
	`$keys(order.customer)`,
	`$string(order.totals)`,
	`$substring(order.customer.email, 0, 5)`,
	`$split(order.customer.email, "@")[1]`,
	`$replace(order.customer.email, /@.*/, "@example.org")`,
	`$formatNumber($sum(order.discounts.amount), "#,##0.00")`,
	`$exists(order.coupon) ? order.coupon : "none"`,
	`order.lineItems#$i[$i < 2].sku`,
	`order.lineItems@$l.tags@$t.{"sku": $l.sku, "tag": $t}`,
	`$ ~> |order.customer|{"email": "redacted"}|`,
	`($x := order.number; $x * 2)`,
	`[1, 2, 3][$ > 1]`,
	`"a" & 1 & true & null`,
	// hostile
	`[1..1e4].([1..1e4])`,
	`$count(items.($$.items))`,
	`$reduce([1..40], function($acc){$acc & $acc}, "x")`,
	`($f := function($n){$n + $f($n+1)}; $f(0))`,
	`($f := function($n){$n > 100000 ? $n : $f($n+1)}; $f(0))`,
	`$pad("", 1e9)`,
	`$join([1..1e6].$string())`,
	`$eval("$eval(\"[1..1e7]\")")`,
	`$match($string($), /(a|aa)+$/)`,
	`$replace($string($), /./, function($m){$m.match & $m.match})`,
	`$split($string($), "")`,
	`**.**`,
	`$formatNumber(-5, "0.00e0")`,
	`$sort(items, function($a,$b){$a.price > $b.price})`,
	`$distinct(items.{"a": $$.items})`,
	`$spread(items)`,
	`$string($, true)`,
	`function($x){$x}`,
	`$number("1e400")`,
	`1/0`,
	`$power(10, 400)`,
}

// fuzzInputs seeds FuzzEval's bodies.
var fuzzInputs = []string{
	`{"order":{"number":1,"customer":{"firstName":"Ann","lastName":"Lee","email":"Ann@X.io"},"shipping":{"method":"express"},"lineItems":[{"sku":"A","name":"a","qty":2,"price":1.5,"tags":["mug","gift"]},{"sku":"B","name":"b","qty":1,"price":3,"tags":[]}],"discounts":[{"amount":1}],"totals":{"grand":4}}}`,
	`{"items":[{"id":1,"name":"item-1","price":1},{"id":2,"name":"item-2","price":2},{"id":3,"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab","price":3}]}`,
	`[1,"two",null,true,{"a":[{"b":{"c":[]}}]},-0.5e3]`,
	`"just a string"`,
	`null`,
	`{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}`,
}

// fuzzKnownBugs lists the expressions of crashers in testdata/fuzz/FuzzEval
// whose bug is not fixed yet, and the bug. Remove an entry with its fix:
// the crasher then becomes a regression case.
var fuzzKnownBugs = map[string]string{}

// fuzzHang is how long a fuzzed call may take before it counts as a hang.
const fuzzHang = 10 * time.Second

// watchdog panics, crashing the fuzzing worker, unless stopped within d.
func watchdog(d time.Duration, what, expr string, body []byte) *time.Timer {
	return time.AfterFunc(d, func() {
		panic(fmt.Sprintf("%s of %q on %q has not returned after %v", what, expr, body, d))
	})
}

// fuzzCheckErr fails t when err reveals a bug: a recovered panic, or a
// runaway the budget should have stopped first.
func fuzzCheckErr(t *testing.T, expr string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), "internal error") {
		t.Fatalf("expression %q: %v", expr, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expression %q ran past the fuzz deadline without exceeding its budget", expr)
	}
}

func FuzzEval(f *testing.F) {
	for i, expr := range fuzzExprs {
		f.Add(expr, []byte(fuzzInputs[i%len(fuzzInputs)]))
	}
	for _, in := range fuzzInputs {
		f.Add(`$`, []byte(in))
	}
	cfg := fuzzConfig.withDefaults()
	f.Fuzz(func(t *testing.T, expr string, body []byte) {
		if why, ok := fuzzKnownBugs[expr]; ok {
			t.Skip(why)
		}
		p, err := compile(expr, cfg)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) returned %T %v, want *CompileError", expr, err, err)
			}
			return
		}
		in, err := ParseInput(body)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("ParseInput(%q) returned %v, want ErrInvalidInput", body, err)
			}
			return
		}
		// The deadline and the watchdog only catch a budget that fails to
		// bound the work: 20,000 steps take milliseconds. The watchdog
		// crashes the worker, so the fuzzer records the input.
		ctx, cancel := context.WithTimeout(context.Background(), fuzzHang)
		defer cancel()
		defer watchdog(2*fuzzHang, "Eval", expr, body).Stop()
		out, err := p.EvalInput(ctx, in)
		fuzzCheckErr(t, expr, err)
		if err != nil {
			return
		}
		if len(out) > cfg.MaxOutputBytes {
			t.Fatalf("expression %q: output of %d bytes exceeds MaxOutputBytes %d", expr, len(out), cfg.MaxOutputBytes)
		}
		if !json.Valid(out) {
			t.Fatalf("expression %q: output is not JSON: %q", expr, out)
		}
		fuzzCheckSlowPaths(t, p, in, expr, out)
		if d := evalBothWays(p, body, nil); d != "" {
			t.Fatalf("expression %q on %q: %s", expr, body, d)
		}
	})
}

// fuzzCheckSlowPaths evaluates p again with every path through its
// sequences (no evalNames walk) and fails t unless the result is out. The
// walk charges fewer steps, so a budget exceeded the slow way proves
// nothing; nor do expressions that read the clock or draw random numbers.
func fuzzCheckSlowPaths(t *testing.T, p *Program, in *Input, expr string, out []byte) {
	for _, f := range []string{"$random", "$now", "$millis", "$shuffle"} {
		if strings.Contains(expr, f) {
			return
		}
	}
	unmarkNamePaths(p.root)
	slow, err := p.EvalInput(context.Background(), in)
	var be *BudgetError
	if errors.As(err, &be) {
		return
	}
	if err != nil || !bytes.Equal(slow, out) {
		t.Fatalf("expression %q: %s walking its paths of names, %s (%v) through sequences", expr, out, slow, err)
	}
}

func FuzzCompile(f *testing.F) {
	for _, expr := range fuzzExprs {
		f.Add(expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		defer watchdog(fuzzHang, "Compile", expr, nil).Stop()
		p, err := Compile(expr)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) returned %T %v, want *CompileError", expr, err, err)
			}
			return
		}
		if p.String() != expr {
			t.Fatalf("String() = %q, want %q", p.String(), expr)
		}
	})
}
