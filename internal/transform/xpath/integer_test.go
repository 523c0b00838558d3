package xpath

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Cases from the JSONata test suite, group function-formatInteger
// (formatInteger.json, by index); formatInteger/0 passes undefined and is
// the caller's concern.
func TestFormatInteger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   float64
		picture string
		want    string
		code    string
	}{
		{name: "formatInteger/1", value: 123, picture: "000", want: "123"},
		{name: "formatInteger/2", value: 123, picture: "0000", want: "0123"},
		{name: "formatInteger/3", value: -3, picture: "0000", want: "-0003"},
		{name: "formatInteger/4", value: 1234, picture: "0;c", want: "1234"},
		{name: "formatInteger/5", value: 1234, picture: "###0", want: "1234"},
		{name: "formatInteger/6", value: 12, picture: "###0", want: "12"},
		{name: "formatInteger/7", value: 12.6, picture: "###0", want: "12"},
		{name: "formatInteger/8", value: 123, picture: "000;o", want: "123rd"},
		{name: "formatInteger/9", value: 1, picture: "0;o", want: "1st"},
		{name: "formatInteger/10", value: 28, picture: "#0;o", want: "28th"},
		{name: "formatInteger/11", value: 1234, picture: "###0;o", want: "1234th"},
		{name: "formatInteger/12", value: 12, picture: "###0;o", want: "12th"},
		{name: "formatInteger/13", value: 12340, picture: "###١", want: "١٢٣٤٠"},
		{name: "formatInteger/14", value: 12340, picture: "###０", want: "１２３４０"},
		{name: "formatInteger/15", value: 12340, picture: "##0０", code: "D3131"},
		{name: "formatInteger/16", value: 12, picture: "#,##0", want: "12"},
		{name: "formatInteger/17", value: 1200, picture: "#,##0", want: "1,200"},
		{name: "formatInteger/18", value: 120000, picture: "#,##0", want: "120,000"},
		{name: "formatInteger/19", value: 12345678, picture: "#,##0", want: "12,345,678"},
		{name: "formatInteger/20", value: 1234567890, picture: "#,##0", want: "1,234,567,890"},
		{name: "formatInteger/21", value: 1234567890, picture: "#,###,##0", want: "1,234,567,890"},
		{name: "formatInteger/22", value: 1234567890, picture: "#:###,##0", want: "1234:567,890"},
		{name: "formatInteger/23", value: 1234567890, picture: "##,##,##0", want: "12345,67,890"},
		{name: "formatInteger/24", value: 0, picture: "I", want: ""},
		{name: "formatInteger/25", value: 1984, picture: "I", want: "MCMLXXXIV"},
		{name: "formatInteger/26", value: 99, picture: "i", want: "xcix"},
		{name: "formatInteger/27", value: 12, picture: "w", want: "twelve"},
		{name: "formatInteger/28", value: 20, picture: "w", want: "twenty"},
		{name: "formatInteger/29", value: 34, picture: "w", want: "thirty-four"},
		{name: "formatInteger/30", value: 99, picture: "W", want: "NINETY-NINE"},
		{name: "formatInteger/31", value: 100, picture: "w", want: "one hundred"},
		{name: "formatInteger/32", value: 555, picture: "W", want: "FIVE HUNDRED AND FIFTY-FIVE"},
		{name: "formatInteger/33", value: 555, picture: "Ww", want: "Five Hundred and Fifty-Five"},
		{name: "formatInteger/34", value: 919, picture: "w", want: "nine hundred and nineteen"},
		{name: "formatInteger/35", value: 730, picture: "w", want: "seven hundred and thirty"},
		{name: "formatInteger/36", value: 1000, picture: "w", want: "one thousand"},
		{name: "formatInteger/37", value: 3730, picture: "w", want: "three thousand, seven hundred and thirty"},
		{name: "formatInteger/38", value: 327730, picture: "w", want: "three hundred and twenty-seven thousand, seven hundred and thirty"},
		{name: "formatInteger/39", value: 4327730, picture: "w", want: "four million, three hundred and twenty-seven thousand, seven hundred and thirty"},
		{name: "formatInteger/40", value: 1000000000001, picture: "w", want: "one trillion and one"},
		{name: "formatInteger/41", value: 1234567890123, picture: "w", want: "one trillion, two hundred and thirty-four billion, five hundred and sixty-seven million, eight hundred and ninety thousand, one hundred and twenty-three"},
		{name: "formatInteger/42", value: 1000000000000000, picture: "w", want: "one thousand trillion"},
		{name: "formatInteger/43", value: 1e+46, picture: "w", want: "ten billion trillion trillion trillion"},
		{name: "formatInteger/44", value: 1234567890123456, picture: "w", want: "one thousand, two hundred and thirty-four trillion, five hundred and sixty-seven billion, eight hundred and ninety million, one hundred and twenty-three thousand, four hundred and fifty-six"},
		{name: "formatInteger/45", value: 12, picture: "w;o", want: "twelfth"},
		{name: "formatInteger/46", value: 20, picture: "w;o", want: "twentieth"},
		{name: "formatInteger/47", value: 34, picture: "w;o", want: "thirty-fourth"},
		{name: "formatInteger/48", value: 99, picture: "W;o", want: "NINETY-NINTH"},
		{name: "formatInteger/49", value: 100, picture: "w;o", want: "one hundredth"},
		{name: "formatInteger/50", value: 555, picture: "W;o", want: "FIVE HUNDRED AND FIFTY-FIFTH"},
		{name: "formatInteger/51", value: 919, picture: "w;o", want: "nine hundred and nineteenth"},
		{name: "formatInteger/52", value: 730, picture: "w;o", want: "seven hundred and thirtieth"},
		{name: "formatInteger/53", value: 1000, picture: "w;o", want: "one thousandth"},
		{name: "formatInteger/54", value: 3731, picture: "w;o", want: "three thousand, seven hundred and thirty-first"},
		{name: "formatInteger/55", value: 327713, picture: "w;o", want: "three hundred and twenty-seven thousand, seven hundred and thirteenth"},
		{name: "formatInteger/56", value: 4327732, picture: "w;o", want: "four million, three hundred and twenty-seven thousand, seven hundred and thirty-second"},
		{name: "formatInteger/57", value: 1000000000001, picture: "w;o", want: "one trillion and first"},
		{name: "formatInteger/58", value: 1, picture: "A", want: "A"},
		{name: "formatInteger/59", value: 12, picture: "a", want: "l"},
		{name: "formatInteger/60", value: 26, picture: "a", want: "z"},
		{name: "formatInteger/61", value: 27, picture: "a", want: "aa"},
		{name: "formatInteger/62", value: 300, picture: "A", want: "KN"},
		{name: "formatInteger/63", value: 123456, picture: "A", want: "FZPH"},
		{name: "formatInteger/64", value: 123456, picture: "α", code: "D3130"},
		// Beyond the suite.
		{name: "negative letters", value: -3, picture: "a", want: "-c"},
		{name: "huge decimal", value: 1e21, picture: "0", want: "1e+21"},
		{name: "padding", value: 7, picture: "0,000", want: "0,007"},
		{name: "short irregular", value: 12, picture: "#:###,##0", want: "12"},
		{name: "trailing separator", value: 12, picture: "0,", want: "12,"},
		{name: "ordinal teen", value: 112, picture: "0;o", want: "112th"},
		{name: "ordinal words zero", value: 0, picture: "w;o", want: "zeroth"},
		{name: "empty picture", value: 1, picture: "", code: "D3130"},
		{name: "huge roman", value: 1e300, picture: "I", code: codeLimit},
		{name: "words max", value: math.MaxFloat64, picture: "w", want: maxWords},
		{name: "NaN", value: math.NaN(), picture: "0", code: codeRange},
		{name: "Inf", value: math.Inf(1), picture: "0", code: codeRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FormatInteger(tt.value, tt.picture)
			checkResult(t, got, err, tt.want, tt.code)
		})
	}
}

// Cases from the JSONata test suite, group function-parseInteger
// (parseInteger.json, by index); parseInteger/0 passes undefined.
func TestParseInteger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		s         string
		picture   string
		want      float64
		undefined bool
		code      string
	}{
		{name: "parseInteger/1", s: "123", picture: "000", want: 123},
		{name: "parseInteger/2", s: "0123", picture: "0000", want: 123},
		{name: "parseInteger/3", s: "1234", picture: "0", want: 1234},
		{name: "parseInteger/4", s: "1234", picture: "###0", want: 1234},
		{name: "parseInteger/5", s: "12", picture: "###0", want: 12},
		{name: "parseInteger/6", s: "123rd", picture: "000;o", want: 123},
		{name: "parseInteger/7", s: "1st", picture: "0;o", want: 1},
		{name: "parseInteger/8", s: "28th", picture: "#0;o", want: 28},
		{name: "parseInteger/9", s: "1234th", picture: "###0;o", want: 1234},
		{name: "parseInteger/10", s: "12th", picture: "###0;o", want: 12},
		{name: "parseInteger/11", s: "١٢٣٤٠", picture: "###١", want: 12340},
		{name: "parseInteger/12", s: "１２３４０", picture: "###０", want: 12340},
		{name: "parseInteger/13", s: "12", picture: "#,##0", want: 12},
		{name: "parseInteger/14", s: "1,200", picture: "#,##0", want: 1200},
		{name: "parseInteger/15", s: "12,345,678", picture: "#,##0", want: 12345678},
		{name: "parseInteger/16", s: "1,234,567,890", picture: "#,##0", want: 1234567890},
		{name: "parseInteger/17", s: "1,234,567,890", picture: "#,###,##0", want: 1234567890},
		{name: "parseInteger/18", s: "1234:567,890", picture: "#:###,##0", want: 1234567890},
		{name: "parseInteger/19", s: "12345,67,890", picture: "##,##,##0", want: 1234567890},
		{name: "parseInteger/20", s: "", picture: "I", want: 0},
		{name: "parseInteger/21", s: "MCMLXXXIV", picture: "I", want: 1984},
		{name: "parseInteger/22", s: "xcix", picture: "i", want: 99},
		{name: "parseInteger/23", s: "twelve", picture: "w", want: 12},
		{name: "parseInteger/24", s: "twenty", picture: "w", want: 20},
		{name: "parseInteger/25", s: "thirty-four", picture: "w", want: 34},
		{name: "parseInteger/26", s: "NINETY-NINE", picture: "W", want: 99},
		{name: "parseInteger/27", s: "one hundred", picture: "w", want: 100},
		{name: "parseInteger/28", s: "FIVE HUNDRED AND FIFTY-FIVE", picture: "W", want: 555},
		{name: "parseInteger/29", s: "Five Hundred and Fifty-Five", picture: "Ww", want: 555},
		{name: "parseInteger/30", s: "nine hundred and nineteen", picture: "w", want: 919},
		{name: "parseInteger/31", s: "seven hundred and thirty", picture: "w", want: 730},
		{name: "parseInteger/32", s: "one thousand", picture: "w", want: 1000},
		{name: "parseInteger/33", s: "three thousand, seven hundred and thirty", picture: "w", want: 3730},
		{name: "parseInteger/34", s: "three hundred and twenty-seven thousand, seven hundred and thirty", picture: "w", want: 327730},
		{name: "parseInteger/35", s: "four million, three hundred and twenty-seven thousand, seven hundred and thirty", picture: "w", want: 4327730},
		{name: "parseInteger/36", s: "one trillion and one", picture: "w", want: 1000000000001},
		{name: "parseInteger/37", s: "one trillion, two hundred and thirty-four billion, five hundred and sixty-seven million, eight hundred and ninety thousand, one hundred and twenty-three", picture: "w", want: 1234567890123},
		{name: "parseInteger/38", s: "one thousand trillion", picture: "w", want: 1000000000000000},
		{name: "parseInteger/39", s: "ten billion trillion trillion trillion", picture: "w", want: 1e+46},
		{name: "parseInteger/40", s: "twelfth", picture: "w;o", want: 12},
		{name: "parseInteger/41", s: "twentieth", picture: "w;o", want: 20},
		{name: "parseInteger/42", s: "thirty-fourth", picture: "w;o", want: 34},
		{name: "parseInteger/43", s: "NINETY-NINTH", picture: "W;o", want: 99},
		{name: "parseInteger/44", s: "one hundredth", picture: "w;o", want: 100},
		{name: "parseInteger/45", s: "FIVE HUNDRED AND FIFTY-FIFTH", picture: "W;o", want: 555},
		{name: "parseInteger/46", s: "nine hundred and nineteenth", picture: "w;o", want: 919},
		{name: "parseInteger/47", s: "seven hundred and thirtieth", picture: "w;o", want: 730},
		{name: "parseInteger/48", s: "Seven Hundred and Thirty-Third", picture: "Ww;o", want: 733},
		{name: "parseInteger/49", s: "one thousandth", picture: "w;o", want: 1000},
		{name: "parseInteger/50", s: "three thousand, seven hundred and thirty-first", picture: "w;o", want: 3731},
		{name: "parseInteger/51", s: "three hundred and twenty-seven thousand, seven hundred and thirteenth", picture: "w;o", want: 327713},
		{name: "parseInteger/52", s: "four million, three hundred and twenty-seven thousand, seven hundred and thirty-second", picture: "w;o", want: 4327732},
		{name: "parseInteger/53", s: "one trillion and first", picture: "w;o", want: 1000000000001},
		{name: "parseInteger/54", s: "A", picture: "A", want: 1},
		{name: "parseInteger/55", s: "l", picture: "a", want: 12},
		{name: "parseInteger/56", s: "z", picture: "a", want: 26},
		{name: "parseInteger/57", s: "aa", picture: "a", want: 27},
		{name: "parseInteger/58", s: "KN", picture: "A", want: 300},
		{name: "parseInteger/59", s: "FZPH", picture: "A", want: 123456},
		{name: "parseInteger/60", s: "50", picture: "#", code: "D3130"},
		// Beyond the suite.
		{name: "unknown word", s: "twelve bananas", picture: "w", undefined: true},
		{name: "no digits", s: "abc", picture: "0", undefined: true},
		{name: "leading digits", s: "12abc", picture: "0", want: 12},
		{name: "bad roman", s: "MCMZ", picture: "I", undefined: true},
		{name: "regular non-comma separator", s: "1.234", picture: "#.##0", want: 1234},
		{name: "too many letters", s: strings300z, picture: "a", code: codeRange},
		{name: "mixed families", s: "1", picture: "0０", code: "D3131"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := ParseInteger(tt.s, tt.picture)
			checkNumber(t, got, ok, err, tt.want, tt.undefined, tt.code)
		})
	}
}

// maxWords is MaxFloat64 in words, as the reference writes it.
const maxWords = "one hundred and seventy-nine million, seven hundred and sixty-nine thousand, three hundred and thirteen trillion, four hundred and eighty-six billion, two hundred and thirty-one million, five hundred and thirty-nine thousand, seven hundred and twelve trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion trillion"

var strings300z = strings.Repeat("z", 300)

// checkResult compares a string result or an error code with the expected.
func checkResult(t *testing.T, got string, err error, want, code string) {
	t.Helper()
	if code != "" {
		var xerr *Error
		if !errors.As(err, &xerr) || xerr.Code != code {
			t.Fatalf("got %q, %v; want error %s", got, err, code)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// checkNumber compares a parsed number, undefined or an error code with the
// expected.
func checkNumber(t *testing.T, got float64, ok bool, err error, want float64, undefined bool, code string) {
	t.Helper()
	switch {
	case code != "":
		var xerr *Error
		if !errors.As(err, &xerr) || xerr.Code != code {
			t.Fatalf("got %v, %v, %v; want error %s", got, ok, err, code)
		}
	case undefined:
		if err != nil || ok {
			t.Fatalf("got %v, %v, %v; want undefined", got, ok, err)
		}
	case err != nil || !ok || got != want:
		t.Fatalf("got %v, %v, %v; want %v", got, ok, err, want)
	}
}

func FuzzFormatInteger(f *testing.F) {
	for _, seed := range []struct {
		v float64
		p string
	}{{123, "#,##0"}, {-1e308, "w;o"}, {1e300, "I"}, {math.Inf(-1), "a"}, {1e21, "###١"}, {12, "#:###,##0;o"}, {0, ""}} {
		f.Add(seed.v, seed.p)
	}
	f.Fuzz(func(t *testing.T, v float64, picture string) {
		out, err := FormatInteger(v, picture)
		if err == nil && len(out) > maxOutput {
			t.Fatalf("output of %d bytes", len(out))
		}
	})
}

func FuzzParseInteger(f *testing.F) {
	for _, seed := range []struct{ s, p string }{{"1,234", "#,##0"}, {"one trillion and first", "w;o"}, {"MCMLXXXIV", "I"}, {"zzzz", "a"}, {"0x1F", "0"}, {"١٢", "#١"}} {
		f.Add(seed.s, seed.p)
	}
	f.Fuzz(func(t *testing.T, s, picture string) {
		_, _, _ = ParseInteger(s, picture)
	})
}
