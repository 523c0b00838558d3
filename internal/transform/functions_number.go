package transform

import (
	"math"
	"strconv"

	"github.com/hookstream-go/hookstream/internal/transform/js"
)

func registerNumberFunctions() {
	def("number", "<(nsb)-:n>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		switch x := a[0].(type) {
		case nil:
			return nil
		case float64:
			return x
		case bool:
			if x {
				return 1.0
			}
			return 0.0
		case string:
			e.b.step(len(x)/16 + 1)
			if f, ok := js.ParseNumber(x); ok {
				return f
			}
		}
		throwf("D3030", "unable to cast value to a number: %s", describe(a[0]))
		return nil
	})
	unary := func(name string, f func(float64) float64) {
		def(name, "<n-:n>", 1, func(e *evaluator, _ *callCtx, a []any) any {
			if a[0] == nil {
				return nil
			}
			return f(a[0].(float64))
		})
	}
	unary("floor", math.Floor)
	unary("ceil", math.Ceil)
	unary("abs", math.Abs)
	def("sqrt", "<n-:n>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		f := a[0].(float64)
		if f < 0 {
			throwf("D3060", "the sqrt function cannot be applied to a negative number: %s", js.NumberToString(f))
		}
		return math.Sqrt(f)
	})
	def("power", "<n-n:n>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		r := math.Pow(a[0].(float64), numArg(a, 1))
		if math.IsNaN(r) || math.IsInf(r, 0) {
			throwf("D3061", "the power function has resulted in a value that cannot be represented as a JSON number: base=%s, exponent=%s",
				js.NumberToString(a[0].(float64)), js.NumberToString(numArg(a, 1)))
		}
		return r
	})
	def("round", "<n-n?:n>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		precision := 0
		if p, ok := arg(a, 1).(float64); ok {
			precision = int(math.Max(-400, math.Min(400, p)))
		}
		return js.Round(a[0].(float64), precision)
	})
}

// numArg returns args[i] as a number, NaN when it is undefined (as
// JavaScript's arithmetic on undefined).
func numArg(args []any, i int) float64 {
	if f, ok := arg(args, i).(float64); ok {
		return f
	}
	return math.NaN()
}

// formatRadix is JavaScript's Number.prototype.toString(radix) for the
// integers $formatBase passes it.
func formatRadix(v float64, radix int) string {
	if math.Abs(v) < 1<<63 {
		return strconv.FormatInt(int64(v), radix)
	}
	return js.NumberToString(v)
}
