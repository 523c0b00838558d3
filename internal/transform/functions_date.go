package transform

import (
	"github.com/hookstream-go/hookstream/internal/transform/xpath"
)

func init() {
	def("fromMillis", "<n-s?s?:s>", 3, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		e.scanPicture(strOr(arg(a, 1), "") + strOr(arg(a, 2), ""))
		s, err := xpath.FormatDateTime(a[0].(float64), strOr(arg(a, 1), ""), strOr(arg(a, 2), ""))
		if err != nil {
			throwJS(err, "D3130")
		}
		return e.built(s)
	})
	def("toMillis", "<s-s?:n>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		e.scan(len(s))
		e.scanPicture(strOr(arg(a, 1), ""))
		v, ok, err := xpath.ParseDateTime(s, strOr(arg(a, 1), ""))
		if err != nil {
			throwJS(err, "D3110")
		}
		if !ok {
			return nil
		}
		return v
	})
}

// fnNow is $now(picture, timezone): the evaluation's start time.
func fnNow(e *evaluator, _ *callCtx, a []any) any {
	e.scanPicture(strOr(arg(a, 0), "") + strOr(arg(a, 1), ""))
	s, err := xpath.FormatDateTime(float64(e.now.UnixMilli()), strOr(arg(a, 0), ""), strOr(arg(a, 1), ""))
	if err != nil {
		throwJS(err, "D3130")
	}
	return e.built(s)
}
