package js

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// NumberToString formats f as JavaScript's Number.prototype.toString()
// (String(f)) does: the shortest digit string that round-trips, in plain
// notation for 1e-6 <= |f| < 1e21 and in exponent form ("1e+21", "1.5e-7")
// outside that range. Both zeros format as "0"; NaN and the infinities format
// as "NaN", "Infinity" and "-Infinity".
func NumberToString(f float64) string {
	switch {
	case isSafeInteger(f):
		return strconv.FormatInt(int64(f), 10)
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	case f < 0:
		return "-" + NumberToString(-f)
	}
	digits, n := numShortest(f)
	return numLayout(digits, n)
}

// AppendNumber appends NumberToString(f) to buf.
func AppendNumber(buf []byte, f float64) []byte {
	if isSafeInteger(f) {
		return strconv.AppendInt(buf, int64(f), 10)
	}
	return append(buf, NumberToString(f)...)
}

// isSafeInteger reports whether f is an integer of at most 53 bits, which
// JavaScript writes as its decimal digits, as strconv does (both zeros
// write "0").
func isSafeInteger(f float64) bool { return f == math.Trunc(f) && math.Abs(f) <= 1<<53 }

// numShortest returns the shortest round-trip decimal digits of the finite,
// positive f and the exponent n such that f = 0.digits × 10^n.
func numShortest(f float64) (string, int) {
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return strings.Replace(mant, ".", "", 1), e + 1
}

// numLayout lays out the digits of a positive number whose value is
// 0.digits × 10^n the way ECMAScript's Number::toString does.
func numLayout(digits string, n int) string {
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	e := n - 1
	sign := "+"
	if e < 0 {
		sign = "-"
		e = -e
	}
	mant := digits[:1]
	if k > 1 {
		mant += "." + digits[1:]
	}
	return mant + "e" + sign + strconv.Itoa(e)
}

// numExact returns the exact decimal expansion of the finite, positive f as
// significant digits (no leading or trailing zeros) and the exponent n such
// that f = 0.digits × 10^n. A float64 has at most 767 significant digits.
func numExact(f float64) (string, int) {
	s := strconv.FormatFloat(f, 'e', 770, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	return digits, e + 1
}

// numRoundHalfUp rounds the digit string 0.digits × 10^n (exact, no leading
// zero) to keep significant digits, ties away from zero, as the ECMAScript
// toFixed and toPrecision algorithms require ("pick the larger n"). It
// returns the rounded digits (possibly empty, meaning zero) and the new
// exponent.
func numRoundHalfUp(digits string, n, keep int) (string, int) {
	if keep < 0 {
		return "", n
	}
	if keep >= len(digits) {
		return digits, n
	}
	up := digits[keep] >= '5'
	b := []byte(digits[:keep])
	if !up {
		return string(b), n
	}
	i := len(b) - 1
	for i >= 0 && b[i] == '9' {
		b[i] = '0'
		i--
	}
	if i < 0 {
		return "1" + string(b), n + 1
	}
	b[i]++
	return string(b), n
}

// ToFixed formats f as JavaScript's Number.prototype.toFixed(digits):
// exactly digits fractional digits, the exact binary value rounded half away
// from zero, and String(f) for |f| >= 1e21 and for NaN and the infinities.
// Like JavaScript it fails (with a RangeError-coded *Error) when digits is
// outside 0..100.
func ToFixed(f float64, digits int) (string, error) {
	if digits < 0 || digits > 100 {
		return "", &Error{Code: "RangeError", Message: "toFixed() digits argument must be between 0 and 100"}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1e21 {
		return NumberToString(f), nil
	}
	sign := ""
	if f < 0 {
		sign = "-"
		f = -f
	}
	var m string // the integer round(f × 10^digits), as digits
	if f == 0 {
		m = "0"
	} else {
		d, n := numExact(f)
		r, rn := numRoundHalfUp(d, n, n+digits)
		// r × 10^(rn - len(r)) is the value; scale by 10^digits.
		z := rn + digits - len(r)
		switch {
		case r == "":
			m = "0"
		case z >= 0:
			m = r + strings.Repeat("0", z)
		default: // cannot happen: r has at most rn+digits digits
			m = r[:len(r)+z]
		}
	}
	if digits == 0 {
		return sign + m, nil
	}
	if len(m) <= digits {
		m = strings.Repeat("0", digits+1-len(m)) + m
	}
	return sign + m[:len(m)-digits] + "." + m[len(m)-digits:], nil
}

// numToPrecision15 returns Number(f.toPrecision(15)) for a finite, non-zero
// f: f rounded to 15 significant decimal digits, ties away from zero.
func numToPrecision15(f float64) float64 {
	neg := f < 0
	a := math.Abs(f)
	// strconv rounds the exact value half to even; that differs from
	// toPrecision only on an exact tie, which needs a 16-digit expansion
	// ending in 5.
	s := strconv.FormatFloat(a, 'e', 14, 64)
	if t := strconv.FormatFloat(a, 'e', 15, 64); t[16] == '5' {
		d, n := numExact(a)
		r, rn := numRoundHalfUp(d, n, 15)
		s = "0." + r + "e" + strconv.Itoa(rn)
	}
	v, _ := strconv.ParseFloat(s, 64)
	if neg {
		v = -v
	}
	return v
}

// FormatForString formats a number the way JSONata's $string and string
// concatenation do: integers as String(f); other numbers as
// String(Number(f.toPrecision(15))), so 0.1+0.2 gives "0.3". NaN and the
// infinities format as NumberToString does (the reference rejects them with
// D3001 before formatting; that check is the caller's).
func FormatForString(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) || f == math.Trunc(f) {
		return NumberToString(f)
	}
	return NumberToString(numToPrecision15(f))
}

// ParseNumber converts a string as JSONata's $number does. The reference
// accepts:
//
//   - JSON-like decimal numbers matching ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$
//     (leading zeros allowed, no "+", no ".5" or "5."), when finite;
//   - strings matched by its regular expression
//     /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/, converted with
//     JavaScript's Number(). Because of the regular expression's
//     precedence, this matches any string that starts with a hexadecimal
//     literal, contains an octal literal or ends with a binary literal;
//     Number() then yields the literal's value for a clean (whitespace
//     trimmed) literal and NaN otherwise — "0x1g" gives NaN. ParseNumber
//     reproduces that: it returns (NaN, true) where the reference returns
//     NaN, and ±Inf for literals beyond the float64 range.
//
// ok is false where the reference raises D3030.
func ParseNumber(s string) (float64, bool) {
	if numIsDecimal(s) {
		f, err := strconv.ParseFloat(s, 64)
		if (err != nil && !isRangeErr(err)) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	if numPrefixedMatch(s) {
		return numJSNumberPrefixed(s), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// numIsDecimal reports whether s matches ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$.
func numIsDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

func numIsDigit(c byte, base int) bool {
	switch base {
	case 2:
		return c == '0' || c == '1'
	case 8:
		return c >= '0' && c <= '7'
	default:
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
}

// numLiteralAt returns the length of the longest prefixed literal
// 0[xX]hex+ / 0[oO]oct+ / 0[bB]bin+ (the kind given by letter) starting at
// s[i], or 0.
func numLiteralAt(s string, i int, lower byte, base int) int {
	if i+2 >= len(s) || s[i] != '0' || s[i+1]|0x20 != lower || !numIsDigit(s[i+2], base) {
		return 0
	}
	j := i + 3
	for j < len(s) && numIsDigit(s[j], base) {
		j++
	}
	return j - i
}

// numPrefixedMatch reports whether the reference's
// /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/ matches s.
func numPrefixedMatch(s string) bool {
	if numLiteralAt(s, 0, 'x', 16) > 0 {
		return true
	}
	for i := 0; i+2 < len(s); i++ {
		if numLiteralAt(s, i, 'o', 8) > 0 {
			return true
		}
		if n := numLiteralAt(s, i, 'b', 2); n > 0 && i+n == len(s) {
			return true
		}
	}
	return false
}

// numIsJSSpace reports whether r is JavaScript WhiteSpace or LineTerminator,
// the characters Number() trims.
func numIsJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0xFEFF, 0x2028, 0x2029:
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// numJSNumberPrefixed is JavaScript's Number(s) for a string that contains
// one of the letters x, o or b (so it can only be a prefixed integer
// literal, possibly surrounded by white space, or NaN).
func numJSNumberPrefixed(s string) float64 {
	t := strings.TrimFunc(s, numIsJSSpace)
	if len(t) < 3 || t[0] != '0' {
		return math.NaN()
	}
	var base int
	switch t[1] | 0x20 {
	case 'x':
		base = 16
	case 'o':
		base = 8
	case 'b':
		base = 2
	default:
		return math.NaN()
	}
	for i := 2; i < len(t); i++ {
		if !numIsDigit(t[i], base) {
			return math.NaN()
		}
	}
	n, ok := new(big.Int).SetString(t[2:], base)
	if !ok {
		return math.NaN()
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}
