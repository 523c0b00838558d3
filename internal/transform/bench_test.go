package transform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonata "github.com/blues/jsonata-go"
)

// benchExpr is a typical webhook reshape: paths, a predicate, a path
// over line items building objects, $sum of qty*price, $uppercase, string
// concatenation, $join, conditionals and an object constructor.
const benchExpr = `{
  "id": "ORD-" & $string(order.number),
  "customer": $uppercase(order.customer.firstName & " " & order.customer.lastName),
  "email": $lowercase(order.customer.email),
  "ship_to": order.shipping.address.(street & ", " & postalCode & " " & city & ", " & country),
  "items": order.lineItems[qty > 0].{"sku": sku, "name": name, "amount": qty * price, "tags": $join(tags, ",")},
  "subtotal": $sum(order.lineItems.(qty * price)),
  "discount": $sum(order.discounts.amount),
  "priority": order.shipping.method = "express" ? "high" : "normal",
  "tier": $sum(order.lineItems.(qty * price)) > 250 ? "gold" : "standard",
  "skus": $join(order.lineItems[qty > 0].sku, "|")
}`

// benchBody returns testdata/bench_order.json.
func benchBody(b *testing.B) []byte {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "bench_order.json"))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// benchDecode decodes body with encoding/json, as jsonata-go needs.
func benchDecode(body []byte) (any, error) {
	var v any
	err := json.Unmarshal(body, &v)
	return v, err
}

// benchCheckSame fails b unless Program.Eval and jsonata-go give the same
// result for benchExpr on body, so the two benchmarks measure the same
// work.
func benchCheckSame(b *testing.B, p *Program, e *jsonata.Expr, body []byte) {
	b.Helper()
	ours, err := p.Eval(context.Background(), body)
	if err != nil {
		b.Fatalf("Program.Eval: %v", err)
	}
	in, err := benchDecode(body)
	if err != nil {
		b.Fatal(err)
	}
	theirs, err := e.Eval(in)
	if err != nil {
		b.Fatalf("jsonata-go Eval: %v", err)
	}
	theirsJSON, err := json.Marshal(theirs)
	if err != nil {
		b.Fatal(err)
	}
	var a, c any
	if err := json.Unmarshal(ours, &a); err != nil {
		b.Fatalf("Program.Eval returned invalid JSON %s: %v", ours, err)
	}
	if err := json.Unmarshal(theirsJSON, &c); err != nil {
		b.Fatal(err)
	}
	if !reflect.DeepEqual(a, c) {
		b.Fatalf("results differ:\nours:       %s\njsonata-go: %s", ours, theirsJSON)
	}
}

// benchSetup compiles benchExpr with both evaluators and checks that
// they agree.
func benchSetup(b *testing.B) (*Program, []byte) {
	b.Helper()
	body := benchBody(b)
	p, err := Compile(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	e, err := jsonata.Compile(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	benchCheckSame(b, p, e, body)
	return p, body
}

func BenchmarkProgram_Eval(b *testing.B) {
	p, body := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Eval(ctx, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaseline_JsonataGo(b *testing.B) {
	body := benchBody(b)
	p, err := Compile(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	e, err := jsonata.Compile(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	benchCheckSame(b, p, e, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		in, err := benchDecode(body)
		if err != nil {
			b.Fatal(err)
		}
		out, err := e.Eval(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProgram_EvalInput(b *testing.B) {
	p, body := benchSetup(b)
	in, err := ParseInput(body)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.EvalInput(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInput(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseInput(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProgram_Eval_parallel(b *testing.B) {
	p, body := benchSetup(b)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Eval(ctx, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}
