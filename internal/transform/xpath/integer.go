package xpath

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// FormatInteger formats an integer per an XPath picture ($formatInteger):
// decimal digit patterns with grouping separators (any Unicode decimal digit
// family), 'a'/'A' letter sequences, 'i'/'I' roman numerals, 'w'/'W'/'Ww'
// words (English, as the reference), ordinal modifiers ';o' / 'o'.
//
// The value is rounded down to an integer first. NaN and ±Inf return an
// *Error with code D3151; results longer than 64 KiB one with code D3150.
func FormatInteger(value float64, picture string) (string, error) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return "", rangeError("Cannot format %v as an integer", value)
	}
	format, err := analyseIntegerPicture(picture)
	if err != nil {
		return "", err
	}
	out, err := formatIntegerValue(math.Floor(value), format)
	if err != nil {
		return "", err
	}
	if len(out) > maxOutput {
		return "", limitError("The formatted integer exceeds %d bytes", maxOutput)
	}
	return out, nil
}

// ParseInteger is the inverse ($parseInteger); ok=false when the string does
// not match the picture (the reference returns undefined then).
//
// Like the reference, the string is not validated against the picture: it
// is read as the picture's format reads it (a decimal pattern reads a
// leading integer, as JavaScript's parseInt does), and ok is false when
// that yields no number. A result too large to be finite returns an *Error
// with code D3151.
func ParseInteger(s, picture string) (value float64, ok bool, err error) {
	format, err := analyseIntegerPicture(picture)
	if err != nil {
		return 0, false, err
	}
	if format.primary == formatSequence {
		return 0, false, newError("D3130", format.token)
	}
	v := parseIntegerValue(s, format)
	switch {
	case math.IsNaN(v):
		return 0, false, nil
	case math.IsInf(v, 0):
		return 0, false, rangeError("The parsed integer %q is too large", s)
	}
	return v, true, nil
}

// primaryFormat is the kind of numbering an integer picture selects.
type primaryFormat int

const (
	formatDecimal primaryFormat = iota
	formatLetters
	formatRoman
	formatWords
	formatSequence
)

// letterCase is the case of letters, numerals and words.
type letterCase int

const (
	caseLower letterCase = iota
	caseUpper
	caseTitle
)

// separator is a grouping-separator-sign at position digits from the right.
type separator struct {
	position int
	char     string
}

// integerFormat is an analysed integer picture.
type integerFormat struct {
	primary primaryFormat
	letters letterCase
	ordinal bool

	// Decimal digit patterns only.
	zeroCode        rune // zero of the decimal digit family
	mandatoryDigits int
	optionalDigits  int
	regular         bool        // grouping repeats every group.position digits
	group           separator   // the repeating separator, when regular
	separators      []separator // by increasing position, when not regular
	parseWidth      int         // exact digit count when parsing, or 0

	token string // the picture, for formatSequence
}

// decimalGroups holds the zero of each Unicode decimal digit family the
// reference recognises.
var decimalGroups = [...]rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

// digitFamily returns the zero of the decimal digit family r belongs to.
func digitFamily(r rune) (rune, bool) {
	for _, zero := range decimalGroups {
		if r >= zero && r <= zero+9 {
			return zero, true
		}
	}
	return 0, false
}

// analyseIntegerPicture analyses an integer picture as the reference does.
func analyseIntegerPicture(picture string) (*integerFormat, error) {
	f := &integerFormat{primary: formatDecimal}
	primary := picture
	if semi := strings.LastIndexByte(picture, ';'); semi >= 0 {
		primary = picture[:semi]
		f.ordinal = strings.HasPrefix(picture[semi+1:], "o")
	}
	switch primary {
	case "A":
		f.primary, f.letters = formatLetters, caseUpper
	case "a":
		f.primary = formatLetters
	case "I":
		f.primary, f.letters = formatRoman, caseUpper
	case "i":
		f.primary = formatRoman
	case "W":
		f.primary, f.letters = formatWords, caseUpper
	case "Ww":
		f.primary, f.letters = formatWords, caseTitle
	case "w":
		f.primary = formatWords
	default:
		if err := f.analyseDigits(primary); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// analyseDigits fills in a decimal digit pattern, or marks the picture as
// an unsupported numbering sequence when it has no mandatory digit.
func (f *integerFormat) analyseDigits(primary string) error {
	runes := []rune(primary)
	var seps []separator
	position := 0
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i]
		if zero, ok := digitFamily(r); ok {
			if f.mandatoryDigits > 0 && zero != f.zeroCode {
				return newError("D3131", nil)
			}
			f.zeroCode = zero
			f.mandatoryDigits++
			position++
			continue
		}
		if r == '#' {
			f.optionalDigits++
			position++
			continue
		}
		seps = append(seps, separator{position: position, char: string(r)})
	}
	if f.mandatoryDigits == 0 {
		f.primary = formatSequence
		f.token = primary
		return nil
	}
	if step := regularStep(seps); step > 0 {
		f.regular = true
		f.group = separator{position: step, char: seps[0].char}
	} else {
		f.separators = seps
	}
	return nil
}

// regularStep returns the interval of grouping separators that are all the
// same character and equally spaced from the right, or 0.
func regularStep(seps []separator) int {
	if len(seps) == 0 {
		return 0
	}
	factor := 0
	for _, s := range seps {
		if s.char != seps[0].char {
			return 0
		}
		factor = gcd(factor, s.position)
	}
	if factor == 0 {
		return 0
	}
	have := make(map[int]bool, len(seps))
	for _, s := range seps {
		have[s.position] = true
	}
	for i := 1; i <= len(seps); i++ {
		if !have[i*factor] {
			return 0
		}
	}
	return factor
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// formatIntegerValue formats an integral value with an analysed picture.
func formatIntegerValue(value float64, f *integerFormat) (string, error) {
	negative := value < 0
	value = math.Abs(value)
	var out string
	switch f.primary {
	case formatLetters:
		a := 'a'
		if f.letters == caseUpper {
			a = 'A'
		}
		out = decimalToLetters(value, a)
	case formatRoman:
		roman, err := decimalToRoman(value)
		if err != nil {
			return "", err
		}
		out = roman
		if f.letters == caseUpper {
			out = strings.ToUpper(out)
		}
	case formatWords:
		out = numberToWords(value, f.ordinal)
		switch f.letters {
		case caseUpper:
			out = strings.ToUpper(out)
		case caseLower:
			out = strings.ToLower(out)
		}
	case formatDecimal:
		out = f.formatDecimal(value)
	default:
		return "", newError("D3130", f.token)
	}
	if negative {
		out = "-" + out
	}
	return out, nil
}

// formatDecimal formats a non-negative value with a decimal digit pattern.
func (f *integerFormat) formatDecimal(value float64) string {
	digits := []rune(jsNumberString(value))
	if pad := f.mandatoryDigits - len(digits); pad > 0 {
		digits = append([]rune(strings.Repeat("0", pad)), digits...)
	}
	if f.zeroCode != '0' {
		for i, r := range digits {
			digits[i] = r + f.zeroCode - '0'
		}
	}
	var b strings.Builder
	n := len(digits)
	next := 0 // index into f.separators, walked from the left (largest position)
	seps := f.separators
	for i, r := range digits {
		right := n - i // digits at and right of i
		if f.regular {
			if i > 0 && right%f.group.position == 0 {
				b.WriteString(f.group.char)
			}
		} else {
			// Separators beyond the leftmost digit are dropped (the
			// reference would prefix them).
			for k := len(seps) - 1 - next; k >= 0 && seps[k].position >= right; k = len(seps) - 1 - next {
				if seps[k].position == right && i > 0 {
					b.WriteString(seps[k].char)
				}
				next++
			}
		}
		b.WriteRune(r)
	}
	for k := len(seps) - 1 - next; k >= 0; k-- {
		if seps[k].position == 0 {
			b.WriteString(seps[k].char)
		}
	}
	out := b.String()
	if f.ordinal {
		out += ordinalSuffix(out)
	}
	return out
}

// ordinalSuffix returns the English ordinal suffix for formatted digits.
func ordinalSuffix(s string) string {
	last, size := utf8.DecodeLastRuneInString(s)
	prev, _ := utf8.DecodeLastRuneInString(s[:len(s)-size])
	if prev == '1' && len(s) > size {
		return "th"
	}
	switch last {
	case '1':
		return "st"
	case '2':
		return "nd"
	case '3':
		return "rd"
	}
	return "th"
}

// jsNumberString renders a non-negative integral value as JavaScript's
// String(number) does.
func jsNumberString(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 0):
		return "Infinity"
	case v < 1e21:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'e', -1, 64)
}

// decimalToLetters converts a value to spreadsheet-style column letters.
// The loop runs at most log26(MaxFloat64) ≈ 218 times.
func decimalToLetters(value float64, a rune) string {
	var letters []rune
	for value > 0 {
		letters = append(letters, rune(math.Mod(value-1, 26))+a)
		value = math.Floor((value - 1) / 26)
	}
	for i, j := 0, len(letters)-1; i < j; i, j = i+1, j-1 {
		letters[i], letters[j] = letters[j], letters[i]
	}
	return string(letters)
}

var romanNumerals = [...]struct {
	value   float64
	numeral string
}{
	{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"},
	{50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"},
}

// decimalToRoman converts a value to lower-case roman numerals.
func decimalToRoman(value float64) (string, error) {
	if value/1000 > maxOutput {
		return "", limitError("The value %v is too large to format as roman numerals", value)
	}
	var b strings.Builder
	for _, n := range romanNumerals {
		for value >= n.value {
			b.WriteString(n.numeral)
			value -= n.value
		}
	}
	return b.String(), nil
}

var (
	fewWords = [...]string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
		"Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords = [...]string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
		"Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords    = [...]string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudeWords = [...]string{"Thousand", "Million", "Billion", "Trillion"}
)

// numberToWords converts a non-negative integral value to English words in
// title case, as the reference does.
func numberToWords(value float64, ordinal bool) string {
	if math.IsNaN(value) {
		return "NaN"
	}
	var b strings.Builder
	writeWords(&b, value, false, ordinal, 0)
	return b.String()
}

// maxWordsDepth bounds the recursion of writeWords; MaxFloat64 needs about
// 30 levels.
const maxWordsDepth = 64

func writeWords(b *strings.Builder, num float64, prev, ord bool, depth int) {
	if depth > maxWordsDepth {
		return
	}
	switch {
	case num <= 19:
		if prev {
			b.WriteString(" and ")
		}
		if ord {
			b.WriteString(ordinalWords[int(num)])
		} else {
			b.WriteString(fewWords[int(num)])
		}
	case num < 100:
		if prev {
			b.WriteString(" and ")
		}
		tens, rem := int(num)/10, int(num)%10
		word := decadeWords[tens-2]
		switch {
		case rem > 0:
			b.WriteString(word)
			b.WriteByte('-')
			writeWords(b, float64(rem), false, ord, depth+1)
		case ord:
			b.WriteString(word[:len(word)-1] + "ieth")
		default:
			b.WriteString(word)
		}
	case num < 1000:
		if prev {
			b.WriteString(", ")
		}
		hundreds, rem := int(num)/100, math.Mod(num, 100)
		b.WriteString(fewWords[hundreds] + " Hundred")
		if rem > 0 {
			writeWords(b, rem, true, ord, depth+1)
		} else if ord {
			b.WriteString("th")
		}
	default:
		mag := magnitude(num)
		factor := math.Pow(10, float64(mag*3))
		mant := math.Floor(num / factor)
		rem := num - mant*factor
		if prev {
			b.WriteString(", ")
		}
		writeWords(b, mant, false, false, depth+1)
		b.WriteString(" " + magnitudeWords[mag-1])
		if rem > 0 {
			writeWords(b, rem, true, ord, depth+1)
		} else if ord {
			b.WriteString("th")
		}
	}
}

// magnitude returns floor(log10(num)/3) capped at the largest magnitude
// word, for num >= 1000, computed exactly.
func magnitude(num float64) int {
	switch {
	case num >= 1e12:
		return 4
	case num >= 1e9:
		return 3
	case num >= 1e6:
		return 2
	}
	return 1
}

// wordEntry is one word the words format reads, in the reference's order.
type wordEntry struct {
	word  string
	value float64
}

// wordList lists the words the words format reads, in the order the
// reference's lookup object holds them (which decides regex alternation).
var wordList = buildWordList()

func buildWordList() []wordEntry {
	var list []wordEntry
	for i, w := range fewWords {
		list = append(list, wordEntry{strings.ToLower(w), float64(i)})
	}
	for i, w := range ordinalWords {
		list = append(list, wordEntry{strings.ToLower(w), float64(i)})
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		v := float64((i + 2) * 10)
		list = append(list, wordEntry{lw, v}, wordEntry{lw[:len(lw)-1] + "ieth", v})
	}
	list = append(list, wordEntry{"hundredth", 100})
	for i, w := range magnitudeWords {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		list = append(list, wordEntry{lw, v}, wordEntry{lw + "th", v})
	}
	return list
}

// wordValues maps each word of wordList to its value.
var wordValues = buildWordValues()

func buildWordValues() map[string]float64 {
	values := make(map[string]float64, len(wordList))
	for _, e := range wordList {
		values[e.word] = e.value
	}
	return values
}

// wordValue looks up the value of a lower-case word; NaN when unknown.
func wordValue(word string) float64 {
	if v, ok := wordValues[word]; ok {
		return v
	}
	return math.NaN()
}

// wordsToNumber converts lower-case English words to a value; NaN when a
// word is unknown.
func wordsToNumber(text string) float64 {
	segs := []float64{0}
	for _, part := range splitWords(text) {
		value := wordValue(part)
		top := segs[len(segs)-1]
		segs = segs[:len(segs)-1]
		if value < 100 {
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+value)
		} else {
			// Also reached for NaN, as in the reference.
			segs = append(segs, top*value)
		}
	}
	sum := 0.0
	for _, s := range segs {
		sum += s
	}
	return sum
}

// splitWords splits text as the reference's /,\s|\sand\s|[\s\\-]/ does.
func splitWords(text string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(text); {
		if n := wordBreak(text[i:]); n > 0 {
			parts = append(parts, text[start:i])
			i += n
			start = i
			continue
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return append(parts, text[start:])
}

// wordBreak returns the length of a word separator at the start of s, or 0.
func wordBreak(s string) int {
	if strings.HasPrefix(s, ",") {
		if n := spaceAt(s[1:]); n > 0 {
			return 1 + n
		}
	}
	if n := spaceAt(s); n > 0 {
		if rest := s[n:]; strings.HasPrefix(rest, "and") {
			if m := spaceAt(rest[3:]); m > 0 {
				return n + 3 + m
			}
		}
		return n
	}
	if strings.HasPrefix(s, "\\") || strings.HasPrefix(s, "-") {
		return 1
	}
	return 0
}

// spaceAt returns the byte length of a JavaScript \s character starting s,
// or 0.
func spaceAt(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if size > 0 && jsIsSpace(r) {
		return size
	}
	return 0
}

// jsIsSpace reports whether r matches JavaScript's \s.
func jsIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

var romanValues = map[rune]float64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}

// romanToDecimal converts upper-case roman numerals; NaN for other
// characters.
func romanToDecimal(roman string) float64 {
	decimal, max := 0.0, 1.0
	runes := []rune(roman)
	for i := len(runes) - 1; i >= 0; i-- {
		value, ok := romanValues[runes[i]]
		if !ok {
			return math.NaN()
		}
		if value < max {
			decimal -= value
		} else {
			max = value
			decimal += value
		}
	}
	return decimal
}

// lettersToDecimal converts spreadsheet-style letters, counting UTF-16 code
// units as the reference does; any character contributes its offset from a.
func lettersToDecimal(letters string, a rune) float64 {
	units := utf16.Encode([]rune(letters))
	decimal := 0.0
	for i := range units {
		unit := units[len(units)-1-i]
		decimal += float64(int(unit)-int(a)+1) * pow26(i)
	}
	return decimal
}

// powers26 holds 26^i correctly rounded, for as long as it is finite.
var powers26 = buildPowers26()

func buildPowers26() []float64 {
	var powers []float64
	n := big.NewInt(1)
	for {
		f, _ := new(big.Float).SetInt(n).Float64()
		if math.IsInf(f, 0) {
			return powers
		}
		powers = append(powers, f)
		n.Mul(n, big.NewInt(26))
	}
}

// pow26 returns 26^i. It is exact up to 26^14; above 2^53, where the
// reference's Math.pow may differ in the last bit, it is correctly rounded.
func pow26(i int) float64 {
	if i < len(powers26) {
		return powers26[i]
	}
	return math.Inf(1)
}

// parseIntegerValue reads s with an analysed picture as the reference's
// parse functions do; NaN when s yields no number.
func parseIntegerValue(s string, f *integerFormat) float64 {
	switch f.primary {
	case formatLetters:
		if f.letters == caseUpper {
			return lettersToDecimal(s, 'A')
		}
		return lettersToDecimal(s, 'a')
	case formatRoman:
		if f.letters != caseUpper {
			s = strings.ToUpper(s)
		}
		return romanToDecimal(s)
	case formatWords:
		return wordsToNumber(asciiLower(s))
	case formatDecimal:
		return f.parseDecimal(s)
	}
	return math.NaN()
}

// parseDecimal reads digits written with a decimal digit pattern.
func (f *integerFormat) parseDecimal(s string) float64 {
	if f.ordinal {
		runes := []rune(s)
		s = string(runes[:max(len(runes)-2, 0)])
	}
	if f.regular {
		s = strings.ReplaceAll(s, f.group.char, "")
	} else if len(f.separators) > 0 {
		seps := make(map[string]bool, len(f.separators))
		for _, sep := range f.separators {
			seps[sep.char] = true
		}
		s = strings.Map(func(r rune) rune {
			if seps[string(r)] {
				return -1
			}
			return r
		}, s)
	}
	if f.zeroCode != '0' {
		runes := []rune(s)
		for i, r := range runes {
			r = r - f.zeroCode + '0'
			if r < 0 || r > utf8.MaxRune {
				return math.NaN()
			}
			runes[i] = r
		}
		s = string(runes)
	}
	return jsParseInt(s)
}

// asciiLower lower-cases ASCII letters only; no word the words format
// reads contains any other letter.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// jsParseInt reads a leading integer as JavaScript's parseInt(s) does
// (leading white space, a sign, "0x" for hexadecimal); NaN when there are
// no digits.
func jsParseInt(s string) float64 {
	for {
		n := spaceAt(s)
		if n == 0 {
			break
		}
		s = s[n:]
	}
	sign := 1.0
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	hex := len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
	if hex {
		s = s[2:]
	}
	n := 0
	for n < len(s) && isDigit(s[n], hex) {
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	var v float64
	if hex {
		v, _ = strconv.ParseFloat("0x"+s[:n]+"p0", 64)
	} else {
		v, _ = strconv.ParseFloat(s[:n], 64)
	}
	return sign * v
}

func isDigit(c byte, hex bool) bool {
	if c >= '0' && c <= '9' {
		return true
	}
	return hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
}
