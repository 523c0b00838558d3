package xpath

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func numFormat(opts map[string]string) DecimalFormat {
	f := DefaultDecimalFormat()
	for k, v := range opts {
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
		default:
			panic("unknown option " + k)
		}
	}
	return f
}

type numCase struct {
	name    string
	value   float64
	picture string
	opts    map[string]string
	want    string
	code    string
}

func numRun(t *testing.T, cases []numCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := FormatNumber(tc.value, tc.picture, numFormat(tc.opts))
			if tc.code != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code {
					t.Fatalf("FormatNumber(%v, %q) = %q, %v; want error %s", tc.value, tc.picture, got, err, tc.code)
				}
				if e.Message == "" {
					t.Fatalf("error %s has no message", e.Code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FormatNumber(%v, %q) = %q, %v; want %q", tc.value, tc.picture, got, err, tc.want)
			}
		})
	}
}

// TestFormatNumberSuite holds the JSONata test suite's function-formatNumber
// group, one case per line (case036, $formatNumber(foo, ...) with foo
// undefined, is the evaluator's concern and has no direct counterpart).
func TestFormatNumberSuite(t *testing.T) {
	t.Parallel()
	numRun(t, []numCase{
		{name: "case000", value: 12345.6, picture: "#,###.00", want: "12,345.60"},
		{name: "case001", value: 12345678.9, picture: "9,999.99", want: "12,345,678.90"},
		{name: "case002", value: 123412345678.9, picture: "9,9,99.99", want: "123412345,6,78.90"},
		{name: "case003", value: 1234.56789, picture: "9,999.999,999", want: "1,234.567,890"},
		{name: "case004", value: 123.9, picture: "9999", want: "0124"},
		{name: "case005", value: 0.14, picture: "01%", want: "14%"},
		{name: "case006", value: 0.4857, picture: "###.###‰", want: "485.7‰"},
		{name: "case007", value: 0.14, picture: "###pm", opts: map[string]string{"per-mille": "pm"}, want: "140pm"},
		{name: "case008", value: -6, picture: "000", want: "-006"},
		{name: "case009", value: 1234.5678, picture: "00.000e0", want: "12.346e2"},
		{name: "case010", value: 1234.5678, picture: "00.000e000", want: "12.346e002"},
		{name: "case011", value: 1234.5678, picture: "①①.①①①e①", opts: map[string]string{"zero-digit": "⑟"}, want: "①②.③④⑥e②"},
		{name: "case012", value: 0.234, picture: "0.0e0", want: "2.3e-1"},
		{name: "case013", value: 0.234, picture: "#.00e0", want: "0.23e0"},
		{name: "case014", value: 0.123, picture: "#.e9", want: "0.1e0"},
		{name: "case015", value: 0.234, picture: ".00e0", want: ".23e0"},
		{name: "case016", value: 2392.14 * (-36.58), picture: "000,000.000###;###,###.000###", want: "87,504.4812"},
		{name: "case017", value: 2.14 * 86.58, picture: "PREFIX##00.000###SUFFIX", want: "PREFIX185.2812SUFFIX"},
		{name: "case018", value: 1e20, picture: "#,######", want: "100,000000,000000,000000"},
		{name: "case019", value: 20, picture: "#;#;#", code: "D3080"},
		{name: "case020", value: 20, picture: "#.0.0", code: "D3081"},
		{name: "case021", value: 20, picture: "#0%%", code: "D3082"},
		{name: "case022", value: 20, picture: "#0‰‰", code: "D3083"},
		{name: "case023", value: 20, picture: "#0%‰", code: "D3084"},
		{name: "case024", value: 20, picture: ".e0", code: "D3085"},
		{name: "case025", value: 20, picture: "0+.e0", code: "D3086"},
		{name: "case026", value: 20, picture: "0,.e0", code: "D3087"},
		{name: "case027", value: 20, picture: "0,", code: "D3088"},
		{name: "case028", value: 20, picture: "0,,0", code: "D3089"},
		{name: "case029", value: 20, picture: "0#.e0", code: "D3090"},
		{name: "case030", value: 20, picture: "#0.#0e0", code: "D3091"},
		{name: "case031", value: 20, picture: "#0.0e0%", code: "D3092"},
		{name: "case032", value: 20, picture: "#0.0e0,0", code: "D3093"},
		{name: "case033", value: 2, picture: "000.000", want: "002.000"},
		{name: "case034", value: 2, picture: "AAA.AAA", opts: map[string]string{"zero-digit": "A"}, want: "AAC.AAA"},
		{name: "case035", value: 0.1, picture: "AeAAA", opts: map[string]string{"zero-digit": "A"}, want: "Be-AAB"},
	})
}

// TestFormatNumberBounded calls FormatNumber on the values and pictures
// that make naive ports (and, for ±Inf with an exponent, the reference)
// loop forever; it must return for every one of them.
func TestFormatNumberBounded(t *testing.T) {
	t.Parallel()
	values := []float64{0, math.Copysign(0, -1), -5, 5, 1e308, -1e308, 5e-324, -5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 1e21, 123.456}
	pictures := []string{"0.00e0", "#", "#,##0.00", "0", "00000000000000000000000000000000.0e0",
		"#.e9", ".00e0", "0%", "0‰", "#,#", "0.0#########", "000e00;(000e00)",
		strings.Repeat("0", 400) + "e0", "." + strings.Repeat("0", 100)}
	for _, v := range values {
		for _, p := range pictures {
			s, err := FormatNumber(v, p, DefaultDecimalFormat())
			if err == nil && (len(s) > numMaxOutput || !utf8.ValidString(s)) {
				t.Errorf("FormatNumber(%v, %q) = %q", v, p, s)
			}
		}
	}
}

func TestFormatNumberOutputCap(t *testing.T) {
	t.Parallel()
	f := DefaultDecimalFormat()
	_, err := FormatNumber(1e300, strings.Repeat("p", numMaxOutput)+"#", f)
	var e *Error
	if !errors.As(err, &e) || e.Code != numCodeTooLong {
		t.Fatalf("got %v, want %s", err, numCodeTooLong)
	}
	f = DefaultDecimalFormat()
	f.ZeroDigit = "0" + strings.Repeat("y", 100)
	_, err = FormatNumber(1, strings.Repeat("0", 1000), f)
	if !errors.As(err, &e) || e.Code != numCodeTooLong {
		t.Fatalf("got %v, want %s", err, numCodeTooLong)
	}
}

func FuzzFormatNumber(f *testing.F) {
	seeds := []struct {
		v float64
		p string
	}{
		{12345.6, "#,###.00"}, {123412345678.9, "9,9,99.99"}, {-5, "0.00e0"}, {0, "0.00e0"},
		{math.Inf(1), "0e0"}, {math.NaN(), "#"}, {5e-324, "0.0e0"}, {1e308, "#,##0.###"},
		{0.4857, "###.###‰"}, {-6, "000;(000)"}, {1234.5678, "①①.①①①e①"}, {1, ""}, {1, ";"},
	}
	for _, s := range seeds {
		f.Add(s.v, s.p, "", uint8(0))
	}
	f.Add(0.14, "###pm", "pm", uint8(7))
	f.Add(1234.5678, "①①.①①①e①", "⑟", uint8(8))
	f.Add(2.0, "AAA.AAA", "", uint8(1))
	f.Fuzz(func(t *testing.T, v float64, picture, opt string, which uint8) {
		df := DefaultDecimalFormat()
		fields := []*string{&df.DecimalSeparator, &df.GroupingSeparator, &df.ExponentSeparator,
			&df.Infinity, &df.MinusSign, &df.NaN, &df.Percent, &df.PerMille, &df.ZeroDigit,
			&df.Digit, &df.PatternSeparator}
		if int(which) < len(fields) {
			*fields[which] = opt
		}
		s, err := FormatNumber(v, picture, df)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("error %v is not a coded *Error", err)
			}
			return
		}
		if len(s) > numMaxOutput || !utf8.ValidString(s) {
			t.Fatalf("FormatNumber(%v, %q) = %d bytes", v, picture, len(s))
		}
	})
}

func TestFormatNumberTooManyFractionDigits(t *testing.T) {
	t.Parallel()
	_, err := FormatNumber(1, "0."+strings.Repeat("0", 101), DefaultDecimalFormat())
	var e *Error
	if !errors.As(err, &e) || e.Code != codeLimit || e.Message != "toFixed() digits argument must be between 0 and 100" {
		t.Fatalf("got %v, want the toFixed RangeError as %s", err, codeLimit)
	}
	got, err := FormatNumber(1, "0."+strings.Repeat("0", 100), DefaultDecimalFormat())
	if want := "1." + strings.Repeat("0", 100); err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}
