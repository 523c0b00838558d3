package xpath

import (
	"math"
	"strconv"
	"unicode/utf16"

	"github.com/hookstream-go/hookstream/internal/transform/js"
)

// DecimalFormat holds the options of $formatNumber's third argument
// (decimal-separator, grouping-separator, exponent-separator, infinity,
// minus-sign, NaN, percent, per-mille, zero-digit, digit,
// pattern-separator), each defaulting to the reference's default (see
// DefaultDecimalFormat). Start from DefaultDecimalFormat and override the
// fields the caller supplied: an empty field is used as an empty string, as
// the reference does with an empty option.
//
// The reference works on JavaScript (UTF-16) strings: a "character" of the
// picture is a UTF-16 code unit and only single-unit options can match one,
// so options outside the Basic Multilingual Plane, or longer than one
// character, behave as they do in jsonata-js.
type DecimalFormat struct {
	DecimalSeparator  string // "decimal-separator", default "."
	GroupingSeparator string // "grouping-separator", default ","
	ExponentSeparator string // "exponent-separator", default "e"
	Infinity          string // "infinity", default "Infinity" (unused by the reference)
	MinusSign         string // "minus-sign", default "-"
	NaN               string // "NaN", default "NaN" (unused by the reference)
	Percent           string // "percent", default "%"
	PerMille          string // "per-mille", default "‰" (U+2030)
	ZeroDigit         string // "zero-digit", default "0"
	Digit             string // "digit", default "#"
	PatternSeparator  string // "pattern-separator", default ";"
}

// DefaultDecimalFormat returns the defaults.
func DefaultDecimalFormat() DecimalFormat {
	return DecimalFormat{
		DecimalSeparator:  ".",
		GroupingSeparator: ",",
		ExponentSeparator: "e",
		Infinity:          "Infinity",
		MinusSign:         "-",
		NaN:               "NaN",
		Percent:           "%",
		PerMille:          "\u2030",
		ZeroDigit:         "0",
		Digit:             "#",
		PatternSeparator:  ";",
	}
}

// numMaxOutput caps the length in bytes of FormatNumber's result (the
// package-wide maxOutput, 64 KiB).
const numMaxOutput = maxOutput

// numCodeTooLong is the code of the error for a result beyond numMaxOutput:
// the package's codeLimit, as the reference has no such limit.
const numCodeTooLong = codeLimit

// numMessages are the reference's messages for the picture errors.
func numMessage(code string) string {
	switch code {
	case "D3080":
		return "The picture string must only contain a maximum of two sub-pictures"
	case "D3081":
		return "The sub-picture must not contain more than one instance of the 'decimal-separator' character"
	case "D3082":
		return "The sub-picture must not contain more than one instance of the 'percent' character"
	case "D3083":
		return "The sub-picture must not contain more than one instance of the 'per-mille' character"
	case "D3084":
		return "The sub-picture must not contain both a 'percent' and a 'per-mille' character"
	case "D3085":
		return "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"
	case "D3086":
		return "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
	case "D3087":
		return "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"
	case "D3088":
		return "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"
	case "D3089":
		return "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character"
	case "D3090":
		return "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"
	case "D3091":
		return "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"
	case "D3092":
		return "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"
	case "D3093":
		return "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"
	}
	return code
}

func numErr(code string) *Error { return &Error{Code: code, Message: numMessage(code)} }

func numTooLong() *Error {
	return &Error{Code: numCodeTooLong, Message: "The result of $formatNumber would exceed " + strconv.Itoa(numMaxOutput) + " bytes"}
}

// numPow10 is JavaScript's Math.pow(10, n) for an integer n >= -1, which V8
// computes with fdlibm and which is not correctly rounded for some n.
func numPow10(n int) float64 {
	switch n {
	case 26:
		return math.Float64frombits(0x4554adf4b7320334) // 9.999999999999999e+25
	case 29:
		return math.Float64frombits(0x45f431e0fae6d722) // 1.0000000000000001e+29
	case 34:
		return math.Float64frombits(0x46fed09bead87c04) // 1.0000000000000001e+34
	case 36:
		return math.Float64frombits(0x476812f9cf7920e2) // 9.999999999999999e+35
	case 39:
		return math.Float64frombits(0x48078287f49c4a1e) // 1.0000000000000001e+39
	case 42:
		return math.Float64frombits(0x48a6f578c4e0a060) // 9.999999999999999e+41
	case 49:
		return math.Float64frombits(0x4a1b5e7e08ca3a90) // 1.0000000000000001e+49
	case 58:
		return math.Float64frombits(0x4bf97d4df19d6058) // 1.0000000000000001e+58
	case 61:
		return math.Float64frombits(0x4c98e45e1df3b016) // 1.0000000000000001e+61
	case 70:
		return math.Float64frombits(0x4e772ebad6ddc73c) // 9.999999999999999e+69
	case 95:
		return math.Float64frombits(0x53a7f85de8ad5c4e) // 9.999999999999999e+94
	case 96:
		return math.Float64frombits(0x53ddf67562d8b362) // 9.999999999999999e+95
	case 111:
		return math.Float64frombits(0x56fa9cbc59b83a3e) // 1.0000000000000001e+111
	case 126:
		return math.Float64frombits(0x5a17a2ecc414a040) // 1.0000000000000001e+126
	case 136:
		return math.Float64frombits(0x5c2b843422e3a84c) // 9.999999999999999e+135
	case 142:
		return math.Float64frombits(0x5d6a3de04895e46c) // 9.999999999999999e+141
	case 165:
		return math.Float64frombits(0x62315d847ad00088) // 1.0000000000000001e+165
	case 166:
		return math.Float64frombits(0x6265b4e5998400aa) // 1.0000000000000001e+166
	case 169:
		return math.Float64frombits(0x630532a837eae8a6) // 1.0000000000000001e+169
	case 187:
		return math.Float64frombits(0x66c262dfeebbb0fa) // 1.0000000000000001e+187
	case 191:
		return math.Float64frombits(0x679671b25aec1d88) // 9.999999999999999e+190
	case 210:
		return math.Float64frombits(0x6b88557f31326bbc) // 1.0000000000000001e+210
	case 215:
		return math.Float64frombits(0x6c9290ba9a38c7d2) // 1.0000000000000001e+215
	case 218:
		return math.Float64frombits(0x6d3221563a9b7322) // 9.999999999999999e+217
	case 225:
		return math.Float64frombits(0x6ea59ce797fb8180) // 1.0000000000000001e+225
	case 232:
		return math.Float64frombits(0x7019c3bc80c85c7e) // 9.999999999999999e+231
	case 242:
		return math.Float64frombits(0x722dfe729b9ff152) // 9.999999999999999e+241
	case 244:
		return math.Float64frombits(0x72976ec98994f488) // 9.999999999999999e+243
	case 260:
		return math.Float64frombits(0x75ea03fde214caf0) // 9.999999999999999e+259
	case 273:
		return math.Float64frombits(0x789d9388b3aa30a6) // 1.0000000000000001e+273
	case 274:
		return math.Float64frombits(0x78d27c35704a5e68) // 1.0000000000000001e+274
	case 275:
		return math.Float64frombits(0x79071b42cc5cf602) // 1.0000000000000001e+275
	case 279:
		return math.Float64frombits(0x79dc34c70a777a4c) // 9.999999999999999e+278
	case 284:
		return math.Float64frombits(0x7ae585041b2c477e) // 9.999999999999999e+283
	case 290:
		return math.Float64frombits(0x7c2485ce9e7a065e) // 9.999999999999999e+289
	case 294:
		return math.Float64frombits(0x7cf90d56b873f4c6) // 9.999999999999999e+293
	}
	return math.Pow10(n)
}

// numStr is a JavaScript string: a sequence of UTF-16 code units.
type numStr []uint16

func numU16(s string) numStr { return numStr(utf16.Encode([]rune(s))) }

func (s numStr) eq(t numStr) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// isUnit reports whether t is the single code unit c (a JavaScript
// one-character string comparison ch === t).
func (t numStr) isUnit(c uint16) bool { return len(t) == 1 && t[0] == c }

// indexOf is String.prototype.indexOf(sub, from).
func (s numStr) indexOf(sub numStr, from int) int {
	from = max(0, min(from, len(s)))
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i : i+len(sub)].eq(sub) {
			return i
		}
	}
	return -1
}

// lastIndexOf is String.prototype.lastIndexOf(sub).
func (s numStr) lastIndexOf(sub numStr) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if s[i : i+len(sub)].eq(sub) {
			return i
		}
	}
	return -1
}

func (s numStr) contains(sub numStr) bool { return s.indexOf(sub, 0) != -1 }

// charAt is String.prototype.charAt(i): one unit, or empty out of range.
func (s numStr) charAt(i int) numStr {
	if i < 0 || i >= len(s) {
		return nil
	}
	return s[i : i+1]
}

// substring is String.prototype.substring(a, b): clamped, swapped if needed.
func (s numStr) substring(a, b int) numStr {
	a = max(0, min(a, len(s)))
	b = max(0, min(b, len(s)))
	if a > b {
		a, b = b, a
	}
	return s[a:b]
}

// sliceIndex resolves a String.prototype.slice index (negative from the end).
func (s numStr) sliceIndex(i int) int {
	if i < 0 {
		return max(0, len(s)+i)
	}
	return min(i, len(s))
}

// insert is [s.slice(0, i), g, s.slice(i)].join(”).
func (s numStr) insert(i int, g numStr) numStr {
	i = s.sliceIndex(i)
	out := make(numStr, 0, len(s)+len(g))
	out = append(out, s[:i]...)
	out = append(out, g...)
	return append(out, s[i:]...)
}

// split is String.prototype.split(sep).
func (s numStr) split(sep numStr) []numStr {
	if len(sep) == 0 {
		out := make([]numStr, len(s))
		for i := range s {
			out[i] = s[i : i+1]
		}
		return out
	}
	var out []numStr
	start := 0
	for {
		i := s.indexOf(sep, start)
		if i < 0 {
			break
		}
		out = append(out, s[start:i])
		start = i + len(sep)
	}
	return append(out, s[start:])
}

// numContext is the resolved decimal format.
type numContext struct {
	decimal, grouping, exponent, minus, percent, perMille, zero, digit, pattern numStr
	family                                                                      []uint16 // the decimal digit family; empty if zero-digit is empty
}

func (c *numContext) inFamily(u uint16) bool {
	for _, f := range c.family {
		if f == u {
			return true
		}
	}
	return false
}

// isActive is activeChars.indexOf(ch) !== -1 for the one-unit string ch.
func (c *numContext) isActive(u uint16) bool {
	return c.inFamily(u) || c.decimal.isUnit(u) || c.exponent.isUnit(u) ||
		c.grouping.isUnit(u) || c.digit.isUnit(u) || c.pattern.isUnit(u)
}

func (c *numContext) countFamily(s numStr) int {
	n := 0
	for _, u := range s {
		if c.inFamily(u) {
			n++
		}
	}
	return n
}

func (c *numContext) isDigitOrFamily(u uint16) bool { return c.inFamily(u) || c.digit.isUnit(u) }

// numParts is the reference's splitParts result.
type numParts struct {
	prefix, suffix, active, mantissa, integer, fractional, sub numStr
	exponent                                                   numStr
	hasExponent                                                bool
}

func (c *numContext) splitParts(sub numStr) numParts {
	var prefix, suffix numStr
	for i, u := range sub {
		if c.isActive(u) && !c.exponent.isUnit(u) {
			prefix = sub[:i]
			break
		}
	}
	for i := len(sub) - 1; i >= 0; i-- {
		if u := sub[i]; c.isActive(u) && !c.exponent.isUnit(u) {
			suffix = sub[i+1:]
			break
		}
	}
	p := numParts{prefix: prefix, suffix: suffix, sub: sub}
	p.active = sub.substring(len(prefix), len(sub)-len(suffix))
	expPos := sub.indexOf(c.exponent, len(prefix))
	if expPos == -1 || expPos > len(sub)-len(suffix) {
		p.mantissa = p.active
	} else {
		p.mantissa = p.active.substring(0, expPos)
		p.exponent = p.active.substring(expPos+1, len(p.active))
		p.hasExponent = true
	}
	decPos := p.mantissa.indexOf(c.decimal, 0)
	if decPos == -1 {
		p.integer = p.mantissa
		p.fractional = suffix
	} else {
		p.integer = p.mantissa.substring(0, decPos)
		p.fractional = p.mantissa.substring(decPos+1, len(p.mantissa))
	}
	return p
}

// validate checks a sub-picture (F&O 4.7.3); as in the reference, the last
// failing rule determines the error.
func (c *numContext) validate(p numParts) error {
	code := ""
	sub := p.sub
	decPos := sub.indexOf(c.decimal, 0)
	if decPos != sub.lastIndexOf(c.decimal) {
		code = "D3081"
	}
	if sub.indexOf(c.percent, 0) != sub.lastIndexOf(c.percent) {
		code = "D3082"
	}
	if sub.indexOf(c.perMille, 0) != sub.lastIndexOf(c.perMille) {
		code = "D3083"
	}
	if sub.contains(c.percent) && sub.contains(c.perMille) {
		code = "D3084"
	}
	valid := false
	for _, u := range p.mantissa {
		if c.isDigitOrFamily(u) {
			valid = true
			break
		}
	}
	if !valid {
		code = "D3085"
	}
	for _, u := range p.active {
		if !c.isActive(u) {
			code = "D3086"
			break
		}
	}
	if decPos != -1 {
		if sub.charAt(decPos-1).eq(c.grouping) || sub.charAt(decPos+1).eq(c.grouping) {
			code = "D3087"
		}
	} else if p.integer.charAt(len(p.integer) - 1).eq(c.grouping) {
		code = "D3088"
	}
	gg := append(append(numStr{}, c.grouping...), c.grouping...)
	if sub.contains(gg) {
		code = "D3089"
	}
	if pos := p.integer.indexOf(c.digit, 0); pos != -1 && c.countFamily(p.integer.substring(0, pos)) > 0 {
		code = "D3090"
	}
	if pos := p.fractional.lastIndexOf(c.digit); pos != -1 && c.countFamily(p.fractional.substring(pos, len(p.fractional))) > 0 {
		code = "D3091"
	}
	if p.hasExponent && len(p.exponent) > 0 && (sub.contains(c.percent) || sub.contains(c.perMille)) {
		code = "D3092"
	}
	if p.hasExponent && (len(p.exponent) == 0 || c.countFamily(p.exponent) != len(p.exponent)) {
		code = "D3093"
	}
	if code != "" {
		return numErr(code)
	}
	return nil
}

// numPicture is the reference's analyse result (F&O 4.7.4).
type numPicture struct {
	integerGroupingPositions    []int
	regularGrouping             int
	minimumIntegerPartSize      int
	scalingFactor               int
	prefix                      numStr
	fractionalGroupingPositions []int
	minimumFractionalPartSize   int
	maximumFractionalPartSize   int
	minimumExponentSize         int
	suffix                      numStr
	picture                     numStr
}

// groupingPositions is the reference's getGroupingPositions, including its
// use of the integer part to find every separator after the first.
func (c *numContext) groupingPositions(p numParts, part numStr, toLeft bool) []int {
	// prefix counts of digit characters in part, for O(1) substring counts
	pre := make([]int, len(part)+1)
	for i, u := range part {
		pre[i+1] = pre[i]
		if c.isDigitOrFamily(u) {
			pre[i+1]++
		}
	}
	var positions []int
	pos := part.indexOf(c.grouping, 0)
	for pos != -1 {
		at := max(0, min(pos, len(part)))
		if toLeft {
			positions = append(positions, pre[at])
		} else {
			positions = append(positions, pre[len(part)]-pre[at])
		}
		next := p.integer.indexOf(c.grouping, pos+1)
		if next != -1 && next <= pos { // only with an empty separator, which validate rejects
			break
		}
		pos = next
	}
	return positions
}

func numGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// regular returns the regular grouping interval of positions, or 0.
func numRegular(positions []int) int {
	if len(positions) == 0 {
		return 0
	}
	factor := positions[0]
	for _, p := range positions[1:] {
		factor = numGCD(factor, p)
	}
	have := make(map[int]bool, len(positions))
	for _, p := range positions {
		have[p] = true
	}
	for i := 1; i <= len(positions); i++ {
		if !have[i*factor] {
			return 0
		}
	}
	return factor
}

func (c *numContext) analyse(p numParts) numPicture {
	v := numPicture{prefix: p.prefix, suffix: p.suffix, picture: p.sub}
	v.integerGroupingPositions = c.groupingPositions(p, p.integer, false)
	v.regularGrouping = numRegular(v.integerGroupingPositions)
	v.fractionalGroupingPositions = c.groupingPositions(p, p.fractional, true)
	v.minimumIntegerPartSize = c.countFamily(p.integer)
	v.scalingFactor = v.minimumIntegerPartSize
	v.minimumFractionalPartSize = c.countFamily(p.fractional)
	for _, u := range p.fractional {
		if c.isDigitOrFamily(u) {
			v.maximumFractionalPartSize++
		}
	}
	if v.minimumIntegerPartSize == 0 && v.maximumFractionalPartSize == 0 {
		if p.hasExponent {
			v.minimumFractionalPartSize = 1
			v.maximumFractionalPartSize = 1
		} else {
			v.minimumIntegerPartSize = 1
		}
	}
	if p.hasExponent && v.minimumIntegerPartSize == 0 && p.integer.contains(c.digit) {
		v.minimumIntegerPartSize = 1
	}
	if v.minimumIntegerPartSize == 0 && v.minimumFractionalPartSize == 0 {
		v.minimumFractionalPartSize = 1
	}
	if p.hasExponent {
		v.minimumExponentSize = c.countFamily(p.exponent)
	}
	return v
}

// makeString is the reference's makeString: |x|.toFixed(dp) with the
// digits mapped onto the decimal digit family.
func (c *numContext) makeString(x float64, dp int) (numStr, error) {
	s, err := js.ToFixed(math.Abs(x), dp)
	if err != nil {
		// The reference's uncoded RangeError from toFixed (more than 100
		// fractional digits) becomes the package's limit error.
		return nil, &Error{Code: codeLimit, Message: err.Error()}
	}
	out := make(numStr, 0, len(s))
	mapDigits := !c.zero.isUnit('0')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if mapDigits && ch >= '0' && ch <= '9' {
			if d := int(ch - '0'); d < len(c.family) {
				out = append(out, c.family[d])
			}
			continue
		}
		out = append(out, uint16(ch))
	}
	return out, nil
}

// numRepeat is new Array(n + 1).join(s), checked against the output cap.
func numRepeat(s numStr, n int) (numStr, error) {
	if n <= 0 || len(s) == 0 {
		return nil, nil
	}
	if n > numMaxOutput/len(s) {
		return nil, numTooLong()
	}
	out := make(numStr, 0, n*len(s))
	for range n {
		out = append(out, s...)
	}
	return out, nil
}

// numMaxScale bounds the mantissa scaling loops: a finite float64 reaches
// any power of ten representable in it within ~650 steps of ×10 or ÷10.
const numMaxScale = 2200

// FormatNumber formats value per an XPath F&O 3.1 picture, as $formatNumber
// does in jsonata-js 2.2.2, including that implementation's quirks (it
// works on UTF-16 code units, rounds with $round's half-to-even rule, and
// formats digits with JavaScript's toFixed, so at most 100 fractional
// digits are allowed and |value| >= 1e21 comes out in exponent form).
//
// Errors are *Error values with the reference's codes D3080–D3093, or the
// package's limit code D3150 for more than 100 fractional digits (the
// reference fails there with an uncoded JavaScript RangeError from toFixed,
// whose message is kept) and for a result that would exceed 64 KiB.
//
// Deviations, where the reference does not terminate or fails with a
// JavaScript TypeError: an infinite value with an exponent picture is
// formatted with exponent 0 (the reference loops forever); an empty picture
// split by an empty pattern-separator is treated as one empty sub-picture
// (D3085); an empty zero-digit no longer hangs the zero stripping. NaN and
// the infinities are otherwise formatted exactly as the reference does
// (toFixed's "NaN"/"Infinity" text run through the picture), ignoring the
// NaN and Infinity fields like the reference.
func FormatNumber(value float64, picture string, f DecimalFormat) (string, error) {
	c := &numContext{
		decimal:  numU16(f.DecimalSeparator),
		grouping: numU16(f.GroupingSeparator),
		exponent: numU16(f.ExponentSeparator),
		minus:    numU16(f.MinusSign),
		percent:  numU16(f.Percent),
		perMille: numU16(f.PerMille),
		zero:     numU16(f.ZeroDigit),
		digit:    numU16(f.Digit),
		pattern:  numU16(f.PatternSeparator),
	}
	if len(c.zero) > 0 {
		c.family = make([]uint16, 10)
		for i := range c.family {
			c.family[i] = c.zero[0] + uint16(i) // String.fromCharCode wraps at 2^16
		}
	}
	subs := numU16(picture).split(c.pattern)
	if len(subs) > 2 {
		return "", numErr("D3080")
	}
	if len(subs) == 0 {
		subs = []numStr{nil}
	}
	parts := make([]numParts, len(subs))
	for i, s := range subs {
		parts[i] = c.splitParts(s)
	}
	for _, p := range parts {
		if err := c.validate(p); err != nil {
			return "", err
		}
	}
	pics := make([]numPicture, 0, 2)
	for _, p := range parts {
		pics = append(pics, c.analyse(p))
	}
	if len(pics) == 1 {
		neg := pics[0]
		neg.prefix = append(append(numStr{}, c.minus...), neg.prefix...)
		pics = append(pics, neg)
	}

	pic := pics[1]
	if value >= 0 {
		pic = pics[0]
	}
	adjusted := value
	if pic.picture.contains(c.percent) {
		adjusted = value * 100
	} else if pic.picture.contains(c.perMille) {
		adjusted = value * 1000
	}

	mantissa := adjusted
	exponent, hasExponent := 0, false
	if pic.minimumExponentSize != 0 {
		hasExponent = true
		maxMantissa := numPow10(pic.scalingFactor)
		minMantissa := numPow10(pic.scalingFactor - 1)
		if mantissa != 0 && !math.IsInf(mantissa, 0) && !math.IsNaN(mantissa) {
			for i := 0; i < numMaxScale && math.Abs(mantissa) < minMantissa; i++ {
				mantissa *= 10
				exponent--
			}
			for i := 0; i < numMaxScale && math.Abs(mantissa) > maxMantissa; i++ {
				mantissa /= 10
				exponent++
			}
		}
	}

	rounded := js.Round(mantissa, pic.maximumFractionalPartSize)
	str, err := c.makeString(rounded, pic.maximumFractionalPartSize)
	if err != nil {
		return "", err
	}
	if i := str.indexOf(numStr{'.'}, 0); i == -1 {
		str = append(str, c.decimal...)
	} else {
		str = append(append(append(numStr{}, str[:i]...), c.decimal...), str[i+1:]...)
	}
	for len(str) > 0 && str.charAt(0).eq(c.zero) {
		str = str[1:]
	}
	for len(str) > 0 && str.charAt(len(str)-1).eq(c.zero) {
		str = str[:len(str)-1]
	}

	decPos := str.indexOf(c.decimal, 0)
	padLeft := pic.minimumIntegerPartSize - decPos
	padRight := pic.minimumFractionalPartSize - (len(str) - decPos - 1)
	left, err := numRepeat(c.zero, padLeft)
	if err != nil {
		return "", err
	}
	right, err := numRepeat(c.zero, padRight)
	if err != nil {
		return "", err
	}
	if len(left)+len(str)+len(right) > numMaxOutput {
		return "", numTooLong()
	}
	str = append(append(append(numStr{}, left...), str...), right...)
	decPos = str.indexOf(c.decimal, 0)

	if pic.regularGrouping > 0 {
		groups := numFloorDiv(decPos-1, pic.regularGrouping)
		if groups > 0 && len(str)+groups*len(c.grouping) > numMaxOutput {
			return "", numTooLong()
		}
		for g := 1; g <= groups; g++ {
			str = str.insert(decPos-g*pic.regularGrouping, c.grouping)
		}
	} else {
		if len(str)+len(pic.integerGroupingPositions)*len(c.grouping) > numMaxOutput {
			return "", numTooLong()
		}
		for _, pos := range pic.integerGroupingPositions {
			str = str.insert(decPos-pos, c.grouping)
			decPos++
		}
	}

	decPos = str.indexOf(c.decimal, 0)
	if len(str)+len(pic.fractionalGroupingPositions)*len(c.grouping) > numMaxOutput {
		return "", numTooLong()
	}
	for _, pos := range pic.fractionalGroupingPositions {
		str = str.insert(pos+decPos+1, c.grouping)
	}

	decPos = str.indexOf(c.decimal, 0)
	if !pic.picture.contains(c.decimal) || decPos == len(str)-1 {
		str = str.substring(0, len(str)-1)
	}

	if hasExponent {
		se, err := c.makeString(float64(exponent), 0)
		if err != nil {
			return "", err
		}
		pad, err := numRepeat(c.zero, pic.minimumExponentSize-len(se))
		if err != nil {
			return "", err
		}
		se = append(pad, se...)
		str = append(str, c.exponent...)
		if exponent < 0 {
			str = append(str, c.minus...)
		}
		str = append(str, se...)
	}

	if len(pic.prefix)+len(str)+len(pic.suffix) > numMaxOutput {
		return "", numTooLong()
	}
	out := append(append(append(numStr{}, pic.prefix...), str...), pic.suffix...)
	s := string(utf16.Decode(out))
	if len(s) > numMaxOutput {
		return "", numTooLong()
	}
	return s, nil
}

// numFloorDiv is Math.floor(a / b) for b > 0.
func numFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
