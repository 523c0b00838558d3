package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	jsonata "github.com/blues/jsonata-go"
)

// benchExpr is a typical reshape.
const benchExpr = `{
  "order_id": data.id,
  "email": data.customer.email,
  "name": data.customer.first_name & " " & data.customer.last_name,
  "total": data.total_price,
  "currency": data.currency,
  "items": data.line_items.{"sku": sku, "qty": quantity, "amount": price * quantity},
  "vip": "vip" in data.tags
}`

// benchInput is testdata/order.json compacted: a 2 KB order webhook.
func benchInput(b *testing.B) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "order.json"))
	if err != nil {
		b.Fatal(err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		b.Fatal(err)
	}
	return c.Bytes()
}

// benchCompile compiles expr in a cache whose deadline is generous enough
// for a loaded machine: the benchmarks measure throughput.
func benchCompile(b *testing.B, expr string) (*Program, error) {
	c, err := NewCache(&Config{Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return c.Compile(expr)
}

func BenchmarkProgram_Eval(b *testing.B) {
	input := benchInput(b)
	p, err := benchCompile(b, benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Eval(ctx, input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProgram_Eval_parallel(b *testing.B) {
	input := benchInput(b)
	p, err := benchCompile(b, benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Eval(ctx, input); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkProgram_Eval_apply measures an expression using ~>, which is
// compiled afresh for every evaluation.
func BenchmarkProgram_Eval_apply(b *testing.B) {
	input := benchInput(b)
	p, err := benchCompile(b, `{"skus": data.line_items.sku ~> $join(",")}`)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Eval(ctx, input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaseline_JsonataEvalBytes is plain jsonata-go on the same
// expression and input (sequential only: it is not safe for concurrent
// use), for the cost of containment.
func BenchmarkBaseline_JsonataEvalBytes(b *testing.B) {
	input := benchInput(b)
	e := jsonata.MustCompile(benchExpr)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EvalBytes(input); err != nil {
			b.Fatal(err)
		}
	}
}
