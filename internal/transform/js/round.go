package js

import (
	"math"
	"strconv"
	"strings"
)

// Round is JSONata's $round(value, precision): round half to even at the
// given number of decimal places (a negative precision rounds to tens,
// hundreds, ...). It reproduces the reference exactly, including its
// decimal shifting through the JavaScript string form of the number
// (String(value) with the exponent adjusted, parsed back) and its rewriting
// of -0 as 0; so $round(2.5) is 2, $round(-0.5) is 0, $round(4.525, 2) is
// 4.52 and $round(1.005, 2) is 1. NaN and the infinities are returned as
// they come out of that computation (Round(Inf, 2) is NaN, as in the
// reference).
func Round(value float64, precision int) float64 {
	arg := value
	p := float64(precision)
	if precision != 0 {
		arg = roundShift(arg, p)
	}
	result := roundJSMathRound(arg)
	diff := result - arg
	if math.Abs(diff) == 0.5 && math.Abs(math.Mod(result, 2)) == 1 {
		result--
	}
	if precision != 0 {
		result = roundShift(result, -p)
	}
	if result == 0 {
		result = 0 // JSON doesn't do -0
	}
	return result
}

// roundShift evaluates the reference's
//
//	value = x.toString().split('e');
//	+(value[0] + 'e' + (value[1] ? (+value[1] + by) : by))
func roundShift(x, by float64) float64 {
	mant, exp, hasExp := strings.Cut(NumberToString(x), "e")
	e := by
	if hasExp {
		v, _ := strconv.Atoi(exp) // "+21" / "-7": always a small integer
		e = float64(v) + by
	}
	return roundJSToNumber(mant + "e" + NumberToString(e))
}

// roundJSToNumber is JavaScript's unary + applied to a string of the form
// mantissa "e" exponent built by roundShift: a decimal literal, or NaN when
// either half is not numeric ("Infinitye2", "1e1e+21").
func roundJSToNumber(s string) float64 {
	mant, exp, _ := strings.Cut(s, "e")
	if !roundIsDecimal(mant, true) || !roundIsDecimal(exp, false) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return math.NaN()
	}
	return f
}

// roundIsDecimal reports whether s is -?digits(.digits)? (frac allowed) or
// [+-]?digits (an exponent).
func roundIsDecimal(s string, frac bool) bool {
	if s != "" && (s[0] == '-' || (!frac && s[0] == '+')) {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && frac && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

// roundJSMathRound is JavaScript's Math.round: the nearest integer, ties
// toward +Infinity.
func roundJSMathRound(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	r := math.Floor(x)
	if x-r >= 0.5 {
		r++
	}
	if r == 0 && x < 0 {
		return math.Copysign(0, -1)
	}
	return r
}
