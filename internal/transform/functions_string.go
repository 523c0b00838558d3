package transform

import (
	"errors"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hookstream-go/hookstream/internal/transform/js"
	"github.com/hookstream-go/hookstream/internal/transform/xpath"
)

func registerStringFunctions() {
	def("string", "<x-b?:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return e.stringify(a[0], arg(a, 1) == true)
	})
	def("substring", "<s-nn?:s>", 3, fnSubstring)
	def("substringBefore", "<s-s:s>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		s, sep := a[0].(string), strOr(arg(a, 1), "undefined")
		e.b.step(len(s) / 16)
		if i := strings.Index(s, sep); i >= 0 {
			return s[:i]
		}
		return s
	})
	def("substringAfter", "<s-s:s>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		s, sep := a[0].(string), strOr(arg(a, 1), "undefined")
		e.b.step(len(s) / 16)
		if i := strings.Index(s, sep); i >= 0 {
			return s[i+len(sep):]
		}
		return s
	})
	def("lowercase", "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return e.built(strings.ToLower(a[0].(string)))
	})
	def("uppercase", "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		// JavaScript's toUpperCase maps ß to SS.
		return e.built(strings.ToUpper(strings.ReplaceAll(a[0].(string), "ß", "SS")))
	})
	def("length", "<s-:n>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		e.b.step(len(s) / 16)
		return float64(utf8.RuneCountInString(s))
	})
	def("trim", "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return e.built(trim(a[0].(string)))
	})
	def("pad", "<s-ns?:s>", 3, fnPad)
	def("contains", "<s-(sf):b>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil || arg(a, 1) == nil {
			return nil
		}
		s := a[0].(string)
		e.b.step(len(s)/16 + 1)
		switch p := a[1].(type) {
		case string:
			return strings.Contains(s, p)
		case *regexFunc:
			e.b.step(len(s) * p.cost / 8)
			return p.re.MatchString(s)
		}
		throwf("T1010", "the matcher function argument passed to function $contains does not return the correct object structure")
		return nil
	})
	def("match", "<s-f<s:o>n?:a<o>>", 3, fnMatch)
	def("replace", "<s-(sf)(sf)n?:s>", 4, fnReplace)
	def("split", "<s-(sf)n?:a<s>>", 3, fnSplit)
	def("join", "<a<s>s?:s>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		sep := strOr(arg(a, 1), "")
		items := asItems(a[0])
		n := len(sep) * len(items)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.(string)
			n += len(parts[i])
		}
		e.b.step(len(items))
		e.b.charge(n)
		return strings.Join(parts, sep)
	})
	def("base64encode", "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		return e.built(js.Base64Encode(a[0].(string)))
	})
	def("base64decode", "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		s, err := js.Base64Decode(a[0].(string))
		if err != nil {
			throwJS(err, "D3150")
		}
		return e.built(s)
	})
	url := func(name string, f func(string) (string, error)) {
		def(name, "<s-:s>", 1, func(e *evaluator, _ *callCtx, a []any) any {
			if a[0] == nil {
				return nil
			}
			s, err := f(a[0].(string))
			if err != nil {
				throwf("D3140", "malformed URL passed to $%s(): %s", name, describe(a[0]))
			}
			return e.built(s)
		})
	}
	url("encodeUrlComponent", js.EncodeURIComponent)
	url("encodeUrl", js.EncodeURI)
	url("decodeUrlComponent", js.DecodeURIComponent)
	url("decodeUrl", js.DecodeURI)
	def("formatNumber", "<n-so?:s>", 3, fnFormatNumber)
	def("formatBase", "<n-n?:s>", 2, fnFormatBase)
	def("formatInteger", "<n-s:s>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		e.scanPicture(strOr(arg(a, 1), ""))
		s, err := xpath.FormatInteger(a[0].(float64), strOr(arg(a, 1), ""))
		if err != nil {
			throwJS(err, "D3130")
		}
		return e.built(s)
	})
	def("parseInteger", "<s-s:n>", 2, func(e *evaluator, _ *callCtx, a []any) any {
		if a[0] == nil {
			return nil
		}
		e.scan(len(a[0].(string)))
		e.scanPicture(strOr(arg(a, 1), ""))
		v, ok, err := xpath.ParseInteger(a[0].(string), strOr(arg(a, 1), ""))
		if err != nil {
			throwJS(err, "D3130")
		}
		if !ok {
			return nil
		}
		return v
	})
}

// trim is the reference's $trim: runs of spaces, tabs and line breaks
// become one space, and none is left at either end.
func trim(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteByte(c)
		}
	}
	return b.String()
}

// scan charges the work of reading strings of these lengths (a picture,
// an input) in proportion.
func (e *evaluator) scan(lengths ...int) {
	n := 0
	for _, l := range lengths {
		n += l
	}
	e.b.step(n/16 + 1)
}

// scanPicture charges the work of an XPath picture string, which costs
// far more per byte than a plain scan (about 50 ns for a number picture,
// 200 ns for a date picture: one step a byte).
func (e *evaluator) scanPicture(picture string) {
	e.b.step(len(picture) + 1)
}

// built charges a string a built-in produced and returns it.
func (e *evaluator) built(s string) string {
	e.b.step(len(s)/16 + 1)
	e.b.charge(len(s))
	return s
}

func strOr(v any, def string) string {
	if s, ok := v.(string); ok {
		return s
	}
	return def
}

// throwJS rethrows an error of the xpath or js packages with its code.
func throwJS(err error, fallback string) {
	var xe *xpath.Error
	if errors.As(err, &xe) {
		throwf(xe.Code, "%s", xe.Message)
	}
	var je *js.Error
	if errors.As(err, &je) {
		throwf(je.Code, "%s", je.Message)
	}
	throwf(fallback, "%v", err)
}

// stringify is the reference's $string: strings unchanged, functions "",
// other values as JSON with numbers to 15 significant digits. The result
// is bounded by the byte budget.
func (e *evaluator) stringify(v any, pretty bool) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			throwf("D3001", "attempting to invoke string function on Infinity or NaN")
		}
		return js.FormatForString(x)
	}
	if isFunction(v) {
		return ""
	}
	if a, ok := v.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		v = a.items[0]
	}
	enc := encoder{max: e.b.remainingBytes(), precision15: true}
	if pretty {
		enc.indent = "  "
	}
	if err := enc.encode(v, 0); err != nil {
		if errors.Is(err, errTooLarge) {
			throw(&BudgetError{Limit: "bytes", Max: e.b.maxBytes})
		}
		throw(err)
	}
	e.b.step(len(enc.buf)/16 + 1)
	e.b.charge(len(enc.buf))
	return string(enc.buf)
}

func fnSubstring(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	runes := []rune(a[0].(string))
	e.b.step(len(runes)/16 + 1)
	e.b.charge(len(runes) * 4)
	n := len(runes)
	start := int(jsTrunc(numArg(a, 1), n))
	if n+start < 0 {
		start = 0
	}
	if l, ok := arg(a, 2).(float64); ok {
		if l <= 0 {
			return ""
		}
		length := int(jsTrunc(l, n))
		end := start + length
		if start < 0 {
			end = n + start + length
		}
		return string(slice(runes, start, end))
	}
	return string(slice(runes, start, n))
}

// jsTrunc bounds a JavaScript index to ±2n, which slices the same.
func jsTrunc(f float64, n int) float64 {
	f = math.Trunc(f)
	if math.IsNaN(f) {
		return 0
	}
	return math.Max(math.Min(f, float64(2*n+1)), float64(-2*n-1))
}

// slice is JavaScript's Array.prototype.slice.
func slice(r []rune, start, end int) []rune {
	n := len(r)
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	start, end = min(start, n), min(end, n)
	if start >= end {
		return nil
	}
	return r[start:end]
}

// maxPadWidth bounds $pad's width (a string of that many characters is
// charged to the byte budget as it is built).
func fnPad(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	s := a[0].(string)
	e.b.step(len(s)/16 + 1)
	width := math.Trunc(numArg(a, 1))
	char := strOr(arg(a, 2), "")
	if char == "" {
		char = " "
	}
	padLen := math.Abs(width) - float64(utf8.RuneCountInString(s))
	if !(padLen > 0) { // NaN for an undefined width
		return s
	}
	e.b.charge(int(math.Min(padLen, float64(e.b.remainingBytes()+1))) * len(char) / max(1, utf8.RuneCountInString(char)))
	n := int(padLen)
	e.b.step(n/16 + 1)
	runes := utf8.RuneCountInString(char)
	pad := strings.Repeat(char, (n+runes-1)/runes)
	if cut := n % runes; cut != 0 {
		// Drop the runes past n from the last repetition.
		end := len(pad) - len(char)
		for range cut {
			_, size := utf8.DecodeRuneInString(pad[end:])
			end += size
		}
		pad = pad[:end]
	}
	if width > 0 {
		return s + pad
	}
	return pad + s
}

// matches finds up to limit (all when limit < 0) matches of re in s,
// refusing an empty match after the first, as the reference does
// (D1004), and charging the scan to the budget.
func (e *evaluator) matches(rf *regexFunc, s string, limit int) [][]int {
	re := rf.re
	e.b.step(len(s)*rf.cost/8 + 1)
	// Find no more matches than the budget could pay for (one step and
	// the offsets' bytes each), so the search cannot allocate past it.
	locSize := 24 + 16*(re.NumSubexp()+1)
	n := int(min(e.b.maxSteps-e.b.steps, int64(e.b.remainingBytes()/locSize))) + 1
	if limit >= 0 {
		n = min(n, limit)
	}
	locs := re.FindAllStringSubmatchIndex(s, n)
	e.b.step(len(locs))
	e.b.charge(len(locs) * locSize)
	for i, l := range locs {
		if i > 0 && l[0] == l[1] {
			throwf("D1004", "regular expression matches zero length string")
		}
	}
	return locs
}

// utf16Indexer converts increasing byte offsets of s into UTF-16
// indexes (JavaScript's string positions), scanning s once in all.
type utf16Indexer struct {
	s        string
	off, idx int
}

func (u *utf16Indexer) at(byteOff int) int {
	if byteOff < u.off {
		u.off, u.idx = 0, 0
	}
	for _, r := range u.s[u.off:byteOff] {
		if r >= 0x10000 {
			u.idx += 2
		} else {
			u.idx++
		}
	}
	u.off = byteOff
	return u.idx
}

func groupsOf(s string, loc []int) *array {
	g := &array{}
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			g.push("")
			continue
		}
		g.push(s[loc[i]:loc[i+1]])
	}
	return g
}

func (e *evaluator) regexMatchObject(rf *regexFunc, s string, from int) any {
	if from < 0 || from > len(s) {
		return nil
	}
	e.b.step(from/16 + 1)
	locs := e.matches(rf, s[from:], 1)
	if len(locs) == 0 {
		return nil
	}
	l := locs[0]
	u := utf16Indexer{s: s}
	o := newObject(4)
	o.set("match", s[from+l[0]:from+l[1]])
	o.set("start", float64(u.at(from+l[0])))
	o.set("end", float64(u.at(from+l[1])))
	o.set("groups", groupsOf(s[from:], l))
	return o
}

func limitArg(a []any, i int, code, what string) int {
	v := arg(a, i)
	if v == nil {
		return -1
	}
	f := v.(float64)
	if f < 0 {
		throwf(code, "%s", what)
	}
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}

func fnMatch(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	s := a[0].(string)
	limit := limitArg(a, 2, "D3040", "third argument of match function must evaluate to a positive number")
	result := newSequence()
	if limit == 0 {
		return result
	}
	re, ok := a[1].(*regexFunc)
	if !ok {
		throwf("T1010", "the matcher function argument passed to function $match does not return the correct object structure")
	}
	u := utf16Indexer{s: s}
	for _, l := range e.matches(re, s, limit) {
		o := newObject(3)
		o.set("match", s[l[0]:l[1]])
		o.set("index", float64(u.at(l[0])))
		o.set("groups", groupsOf(s, l))
		e.b.charge(sizeHeader + 3*sizeEntry + (l[1] - l[0]))
		result.push(o)
	}
	return result
}

func fnReplace(e *evaluator, c *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	s := a[0].(string)
	if p, ok := a[1].(string); ok && p == "" {
		throwf("D3010", "second argument of replace function cannot be an empty string")
	}
	limit := limitArg(a, 3, "D3011", "fourth argument of replace function must evaluate to a positive number")
	if limit == 0 {
		return s
	}
	var out strings.Builder
	write := func(str string) {
		e.b.charge(len(str))
		out.WriteString(str)
	}
	switch p := a[1].(type) {
	case string:
		repl, ok := a[2].(string)
		if !ok {
			throwf("D3012", "attempted to replace a matched string with a non-string value")
		}
		pos, count := 0, 0
		for limit < 0 || count < limit {
			e.b.step(1)
			i := strings.Index(s[pos:], p)
			if i < 0 {
				break
			}
			write(s[pos : pos+i])
			write(repl)
			pos += i + len(p)
			count++
		}
		write(s[pos:])
		return out.String()
	case *regexFunc:
		locs := e.matches(p, s, limit)
		if len(locs) == 0 {
			return s
		}
		pos := 0
		u := utf16Indexer{s: s}
		for _, l := range locs {
			write(s[pos:l[0]])
			var r string
			switch repl := a[2].(type) {
			case string:
				r = substitute(e.b, repl, s, l)
			default:
				e.b.charge(2*sizeHeader + 4*sizeEntry + len(l)/2*sizeItem)
				m := newObject(4)
				m.set("match", s[l[0]:l[1]])
				m.set("start", float64(u.at(l[0])))
				m.set("end", float64(u.at(l[1])))
				m.set("groups", groupsOf(s, l))
				res := e.apply(repl, []any{m}, nil, c.env)
				str, ok := res.(string)
				if !ok {
					throwf("D3012", "attempted to replace a matched string with a non-string value")
				}
				r = str
			}
			write(r)
			pos = l[1]
		}
		write(s[pos:])
		return out.String()
	}
	throwf("T1010", "the matcher function argument passed to function $replace does not return the correct object structure")
	return nil
}

// substitute expands $0, $1… and $$ in a replacement string, as the
// reference does.
func substitute(b *budget, repl, s string, loc []int) string {
	groups := groupsOf(s, loc).items
	var out strings.Builder
	write := func(str string) {
		b.charge(len(str))
		out.WriteString(str)
	}
	pos := 0
	for {
		i := strings.IndexByte(repl[pos:], '$')
		if i < 0 || pos >= len(repl) {
			break
		}
		i += pos
		out.WriteString(repl[pos:i])
		pos = i + 1
		if pos >= len(repl) {
			out.WriteByte('$')
			break
		}
		switch c := repl[pos]; {
		case c == '$':
			out.WriteByte('$')
			pos++
		case c == '0':
			write(s[loc[0]:loc[1]])
			pos++
		default:
			maxDigits := 1
			if len(groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(groups))))) + 1
			}
			digits := 0
			for digits < maxDigits && pos+digits < len(repl) && repl[pos+digits] >= '0' && repl[pos+digits] <= '9' {
				digits++
			}
			if digits == 0 {
				out.WriteByte('$')
				continue
			}
			idx := atoi(repl[pos : pos+digits])
			if digits > 1 && idx > len(groups) {
				digits--
				idx = atoi(repl[pos : pos+digits])
			}
			if len(groups) > 0 && idx >= 1 && idx <= len(groups) {
				write(groups[idx-1].(string))
			}
			pos += len(itoa(idx))
		}
	}
	if pos < len(repl) {
		out.WriteString(repl[pos:])
	}
	return out.String()
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func fnSplit(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	s := a[0].(string)
	limit := limitArg(a, 2, "D3020", "third argument of split function must evaluate to a positive number")
	result := &array{}
	if limit == 0 {
		return result
	}
	push := func(str string) {
		e.b.charge(sizeItem + len(str))
		result.push(str)
	}
	switch sep := a[1].(type) {
	case string:
		full := func() bool { return limit >= 0 && len(result.items) >= limit }
		if sep == "" {
			for i := 0; i < len(s) && !full(); {
				_, size := utf8.DecodeRuneInString(s[i:])
				e.b.step(1)
				push(s[i : i+size])
				i += size
			}
			break
		}
		rest := s
		for !full() {
			e.b.step(1)
			i := strings.Index(rest, sep)
			if i < 0 {
				push(rest)
				break
			}
			push(rest[:i])
			rest = rest[i+len(sep):]
		}
	case *regexFunc:
		locs := e.matches(sep, s, limit)
		if len(locs) == 0 {
			push(s)
			return result
		}
		start := 0
		for _, l := range locs {
			push(s[start:l[0]])
			start = l[1]
		}
		if limit < 0 || len(locs) < limit {
			push(s[start:])
		}
	default:
		throwf("T1010", "the matcher function argument passed to function $split does not return the correct object structure")
	}
	return result
}

func fnFormatNumber(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	f := xpath.DefaultDecimalFormat()
	if o, ok := arg(a, 2).(*object); ok {
		e.b.step(o.len())
		for i, k := range o.keys {
			if s, ok := o.vals[i].(string); ok {
				setDecimalFormat(&f, k, s)
			}
		}
	}
	e.scanPicture(strOr(arg(a, 1), ""))
	s, err := xpath.FormatNumber(a[0].(float64), strOr(arg(a, 1), ""), f)
	if err != nil {
		throwJS(err, "D3080")
	}
	return e.built(s)
}

func fnFormatBase(e *evaluator, _ *callCtx, a []any) any {
	if a[0] == nil {
		return nil
	}
	v := js.Round(a[0].(float64), 0)
	radix := 10.0
	if r, ok := arg(a, 1).(float64); ok {
		radix = js.Round(r, 0)
	}
	if !(radix >= 2 && radix <= 36) { // NaN too
		throwf("D3100", "the radix of the formatBase function must be between 2 and 36; it was given %v", radix)
	}
	return e.built(formatRadix(v, int(radix)))
}

// compareUTF16 compares strings in UTF-16 code unit order, as JavaScript
// does.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := utf16Unit(ra), utf16Unit(rb)
			if ua != ub {
				if ua < ub {
					return -1
				}
				return 1
			}
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// utf16Unit is the first UTF-16 code unit of r.
func utf16Unit(r rune) rune {
	if r >= 0x10000 {
		r1, _ := utf16.EncodeRune(r)
		return r1
	}
	return r
}

// setDecimalFormat sets the $formatNumber option named k.
func setDecimalFormat(f *xpath.DecimalFormat, k, v string) {
	switch k {
	case "decimal-separator":
		f.DecimalSeparator = v
	case "grouping-separator":
		f.GroupingSeparator = v
	case "exponent-separator":
		f.ExponentSeparator = v
	case "infinity":
		f.Infinity = v
	case "minus-sign":
		f.MinusSign = v
	case "NaN":
		f.NaN = v
	case "percent":
		f.Percent = v
	case "per-mille":
		f.PerMille = v
	case "zero-digit":
		f.ZeroDigit = v
	case "digit":
		f.Digit = v
	case "pattern-separator":
		f.PatternSeparator = v
	}
}
