package js

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

// The expected values below were generated with jsonata 2.2.2 under Node.js
// 20 (String(v), $string, $number, $round, encodeURIComponent & co.,
// $base64encode/$base64decode).

func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func TestNumberToString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   float64
		want string
	}{
		{"0", 0, "0"},
		{"-0", math.Copysign(0, -1), "0"},
		{"1", 1, "1"},
		{"-1", -1, "-1"},
		{"0.1", 0.1, "0.1"},
		{"0.1+0.2", 0.30000000000000004, "0.30000000000000004"},
		{"1e21", 1e21, "1e+21"},
		{"1e20", 100000000000000000000, "100000000000000000000"},
		{"123456789012345678", 123456789012345680, "123456789012345680"},
		{"1e-6", 0.000001, "0.000001"},
		{"1e-7", 1e-7, "1e-7"},
		{"1.5e-7", 1.5e-7, "1.5e-7"},
		{"5e-324", 5e-324, "5e-324"},
		{"max", 1.7976931348623157e308, "1.7976931348623157e+308"},
		{"NaN", math.NaN(), "NaN"},
		{"Inf", math.Inf(1), "Infinity"},
		{"-Inf", math.Inf(-1), "-Infinity"},
		{"22/7", 3.142857142857143, "3.142857142857143"},
		{"1e100", 1e100, "1e+100"},
		{"1e-100", 1e-100, "1e-100"},
		{"123.456", 123.456, "123.456"},
		{"-1.5e300", -1.5e300, "-1.5e+300"},
		{"2^53", 9007199254740992, "9007199254740992"},
		{"0.000001234", 0.000001234, "0.000001234"},
		{"123e-20", 1.23e-18, "1.23e-18"},
		{"1.2345e21", 1.2345e21, "1.2345e+21"},
		{"999999999999999999999", 1e21, "1e+21"},
	} {
		if got := NumberToString(tc.in); got != tc.want {
			t.Errorf("NumberToString(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestNumberToString_IntegersAsDigits: integers up to 2^53 take a fast
// path (their decimal digits) that must agree with the general shortest
// round-trip layout, and AppendNumber with NumberToString.
func TestNumberToString_IntegersAsDigits(t *testing.T) {
	t.Parallel()
	var ints []float64
	for i := -2000.0; i <= 2000; i++ {
		ints = append(ints, i)
	}
	for p := 1.0; p <= 1<<53; p *= 3 {
		ints = append(ints, p, -p, p+1, p-1)
	}
	ints = append(ints, 1<<53, -(1 << 53), 1<<53+2, 1e21-65536, 4200, 1718000000)
	for _, f := range ints {
		want := "0"
		if f != 0 {
			digits, n := numShortest(math.Abs(f))
			want = numLayout(digits, n)
			if f < 0 {
				want = "-" + want
			}
		}
		if got := NumberToString(f); got != want {
			t.Errorf("NumberToString(%v) = %q, want %q", f, got, want)
		}
		if got := string(AppendNumber([]byte("x"), f)); got != "x"+want {
			t.Errorf("AppendNumber(%v) = %q, want %q", f, got, "x"+want)
		}
	}
	for _, f := range []float64{0.5, -1.25, math.NaN(), math.Inf(1), math.Inf(-1), 1e300} {
		if got, want := string(AppendNumber(nil, f)), NumberToString(f); got != want {
			t.Errorf("AppendNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestFormatForString includes the number-formatting cases of the suite's
// function-string group (case000-case007, case030 and the sums of case008).
func TestFormatForString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{5, "5"},
		{3.142857142857143, "3.14285714285714"},
		{1e100, "1e+100"},
		{1e-100, "1e-100"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{100000000000000000000, "100000000000000000000"},
		{1e21, "1e+21"},
		{0.30000000000000004, "0.3"},
		{123456789012345680, "123456789012345680"},
		{100000000000000.5, "100000000000001"},
		{5890840712243076, "5890840712243076"},
		{39.4, "39.4"},
		{1004.9999999999999, "1005"},
		{-0.30000000000000004, "-0.3"},
		{90.57000000000001, "90.57"},   // suite function-string case008
		{245.79000000000002, "245.79"}, // suite function-string case008
		{0.000001234567890123456, "0.00000123456789012346"},
		{1.2345678901234568e-10, "1.23456789012346e-10"},
		{1e23, "1e+23"},
		{0.3333333333333333, "0.333333333333333"},
		{-0.6666666666666666, "-0.666666666666667"},
		{4.35, "4.35"},
		{1000000000000000.2, "1000000000000000"},
		{0.5, "0.5"},
		{-1e-7, "-1e-7"},
	} {
		if got := FormatForString(tc.in); got != tc.want {
			t.Errorf("FormatForString(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseNumber includes the string cases of the suite's function-number
// group (case003-case012, case018, case027-case033).
func TestParseNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"10", 10, true},
		{"-0.05", -0.05, true},
		{"1e2", 100, true},
		{"1.0e-2", 0.01, true},
		{"1e0", 1, true},
		{"10e500", 0, false},      // D3030
		{"Hello world", 0, false}, // D3030
		{"1/2", 0, false},         // D3030
		{"1234 hello", 0, false},  // D3030
		{"", 0, false},            // D3030
		{"[1]", 0, false},         // D3030
		{"00", 0, true},
		{"0123", 123, true},
		{"-007", -7, true},
		{"000.00123000", 0.00123, true},
		{"0x12", 18, true},
		{"0B101", 5, true},
		{"0O12", 10, true},
		{"0X1F", 31, true},
		{"0xff", 255, true},
		{"0b", 0, false}, // D3030
		{"0x", 0, false}, // D3030
		{"-0", math.Copysign(0, -1), true},
		{"1e-400", 0, true},
		{"+1", 0, false}, // D3030
		{".5", 0, false}, // D3030
		{"5.", 0, false}, // D3030
		{"1.", 0, false}, // D3030
		{"0x1g", math.NaN(), true},
		{"x0b1", math.NaN(), true},
		{" 0o17", 15, true},
		{"12 0o7", math.NaN(), true},
		{"0o8", 0, false},    // D3030
		{" 0x1F ", 0, false}, // D3030
		{"0x1F ", 31, true},
		{"1_000", 0, false},     // D3030
		{"Infinity", 0, false},  // D3030
		{"-Infinity", 0, false}, // D3030
		{"NaN", 0, false},       // D3030
		{"1E+2", 100, true},
		{"-1e-2", -0.01, true},
		{"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", math.Inf(1), true},
		{"0b111111111111111111111111111111111111111111111111111111111111", 1152921504606847000, true},
		{" 1", 0, false},       // D3030
		{"1 ", 0, false},       // D3030
		{"\t0b11\n", 0, false}, // D3030
	} {
		got, ok := ParseNumber(tc.in)
		if ok != tc.ok || (ok && !sameFloat(got, tc.want)) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRound includes the suite's function-round group (case000-case016).
func TestRound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in        float64
		precision int
		want      float64
	}{
		{4, 0, 4},
		{2.3, 0, 2},
		{2.7, 0, 3},
		{2.5, 0, 2},
		{3.5, 0, 4},
		{-0.5, 0, 0},
		{-0.3, 0, 0},
		{0.5, 0, 0},
		{-7.5, 0, -8},
		{-8.5, 0, -8},
		{4.49, 1, 4.5},
		{4.525, 2, 4.52},
		{4.515, 2, 4.52},
		{12345, -2, 12300},
		{12450, -2, 12400},
		{12350, -2, 12400},
		{6.022e-23, 24, 6e-23},
		{1.005, 2, 1},
		{2.675, 2, 2.68},
		{-2.5, 0, -2},
		{1.5, 0, 2},
		{0.125, 2, 0.12},
		{0.375, 2, 0.38},
		{1e21, 2, 1e21},
		{1.5e300, 10, math.NaN()},
		{1.7976931348623157e308, 1, math.NaN()},
		{5e-324, 400, 5e-324},
		{123.456, -1, 120},
		{-123.456, -5, 0},
		{1e-7, 7, 1e-7},
		{2.5e-7, 7, 2e-7},
		{3.5e-7, 7, 4e-7},
		{math.NaN(), 0, math.NaN()},
		{math.Inf(1), 0, math.Inf(1)},
		{math.Inf(1), 2, math.NaN()},
		{math.Copysign(0, -1), 0, 0},
		{-0.4, 1, -0.4},
		{9.995, 2, 10},
		{1234.5678, -3, 1000},
		{0.045, 2, 0.04},
	} {
		if got := Round(tc.in, tc.precision); !sameFloat(got, tc.want) {
			t.Errorf("Round(%v, %d) = %v, want %v", tc.in, tc.precision, got, tc.want)
		}
	}
}

// errURI marks an expected D3140 error in TestURI.
const errURI = "\x00error"

// TestURI includes the suite's function-encodeUrl, function-encodeUrlComponent,
// function-decodeUrl and function-decodeUrlComponent groups (case000 and
// case002 of each; case002 of the encoders is the lone surrogate "\uD800",
// covered by TestURIInvalidUTF8).
func TestURI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in                                               string
		encodeComponent, encode, decodeComponent, decode string
	}{
		{"https://mozilla.org/?x=шеллы", "https%3A%2F%2Fmozilla.org%2F%3Fx%3D%D1%88%D0%B5%D0%BB%D0%BB%D1%8B", "https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B", "https://mozilla.org/?x=шеллы", "https://mozilla.org/?x=шеллы"},
		{"?x=test", "%3Fx%3Dtest", "?x=test", "?x=test", "?x=test"},
		{"%3Fx%3Dtest", "%253Fx%253Dtest", "%253Fx%253Dtest", "?x=test", "%3Fx%3Dtest"},
		{"https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B", "https%3A%2F%2Fmozilla.org%2F%3Fx%3D%25D1%2588%25D0%25B5%25D0%25BB%25D0%25BB%25D1%258B", "https://mozilla.org/?x=%25D1%2588%25D0%25B5%25D0%25BB%25D0%25BB%25D1%258B", "https://mozilla.org/?x=шеллы", "https://mozilla.org/?x=шеллы"},
		{"%E0%A4%A", "%25E0%25A4%25A", "%25E0%25A4%25A", errURI, errURI},
		{"-_.!~*'()", "-_.!~*'()", "-_.!~*'()", "-_.!~*'()", "-_.!~*'()"},
		{";/?:@&=+$,#", "%3B%2F%3F%3A%40%26%3D%2B%24%2C%23", ";/?:@&=+$,#", ";/?:@&=+$,#", ";/?:@&=+$,#"},
		{" \"<>\\^`{|}", "%20%22%3C%3E%5C%5E%60%7B%7C%7D", "%20%22%3C%3E%5C%5E%60%7B%7C%7D", " \"<>\\^`{|}", " \"<>\\^`{|}"},
		{"€𝄞é", "%E2%82%AC%F0%9D%84%9E%C3%A9", "%E2%82%AC%F0%9D%84%9E%C3%A9", "€𝄞é", "€𝄞é"},
		{"%2F%2f%41%23", "%252F%252f%2541%2523", "%252F%252f%2541%2523", "//A#", "%2F%2fA%23"},
		{"%", "%25", "%25", errURI, errURI},
		{"%4", "%254", "%254", errURI, errURI},
		{"%G0", "%25G0", "%25G0", errURI, errURI},
		{"%C0%80", "%25C0%2580", "%25C0%2580", errURI, errURI},
		{"%ED%A0%80", "%25ED%25A0%2580", "%25ED%25A0%2580", errURI, errURI},
		{"%F4%90%80%80", "%25F4%2590%2580%2580", "%25F4%2590%2580%2580", errURI, errURI},
		{"%E2%82", "%25E2%2582", "%25E2%2582", errURI, errURI},
		{"%E2%82%AC", "%25E2%2582%25AC", "%25E2%2582%25AC", "€", "€"},
		{"%F0%9F%98%80", "%25F0%259F%2598%2580", "%25F0%259F%2598%2580", "😀", "😀"},
		{"%80", "%2580", "%2580", errURI, errURI},
		{"%FE", "%25FE", "%25FE", errURI, errURI},
		{"a%20b", "a%2520b", "a%2520b", "a b", "a b"},
		{" ", "%C2%A0", "%C2%A0", " ", " "},
	} {
		for _, f := range []struct {
			name string
			fn   func(string) (string, error)
			want string
		}{
			{"EncodeURIComponent", EncodeURIComponent, tc.encodeComponent},
			{"EncodeURI", EncodeURI, tc.encode},
			{"DecodeURIComponent", DecodeURIComponent, tc.decodeComponent},
			{"DecodeURI", DecodeURI, tc.decode},
		} {
			got, err := f.fn(tc.in)
			if f.want == errURI {
				var e *Error
				if !errors.As(err, &e) || e.Code != "D3140" {
					t.Errorf("%s(%q) = %q, %v; want D3140", f.name, tc.in, got, err)
				}
				continue
			}
			if err != nil || got != f.want {
				t.Errorf("%s(%q) = %q, %v; want %q", f.name, tc.in, got, err, f.want)
			}
		}
	}
}

func TestURIInvalidUTF8(t *testing.T) {
	t.Parallel()
	// "\xed\xa0\x80" is U+D800 in WTF-8, the Go-side form of a lone surrogate.
	for _, in := range []string{"\xed\xa0\x80", "a\xffb", "\xc3"} {
		for name, fn := range map[string]func(string) (string, error){"EncodeURIComponent": EncodeURIComponent, "EncodeURI": EncodeURI} {
			_, err := fn(in)
			var e *Error
			if !errors.As(err, &e) || e.Code != "D3140" {
				t.Errorf("%s(%q): got %v, want D3140", name, in, err)
			}
		}
	}
	_, err := DecodeURI("%E0%A4%A")
	if want := `Malformed URL passed to $decodeUrl(): "%E0%A4%A"`; err == nil || err.Error() != want {
		t.Errorf("DecodeURI message = %v, want %s", err, want)
	}
}

func TestBase64(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, encoded, decoded string
	}{
		{"", "", ""},
		{"a", "YQ==", ""},
		{"hello", "aGVsbG8=", "\u0085ée"},
		{"Hello, World!", "SGVsbG8sIFdvcmxkIQ==", "\u001dée¡j+\u0095"},
		{"é", "6Q==", ""},
		{"€", "rA==", ""},
		{"𝄞", "NB4=", ""},
		{"ÿþ", "//4=", ""},
		{"YQ", "WVE=", "a"},
		{"YQ==", "WVE9PQ==", "a"},
		{"Y Q==", "WSBRPT0=", "a"},
		{"YQ==YQ==", "WVE9PVlRPT0=", "a"},
		{"-_8", "LV84", "ûÿ"},
		{"Łł", "QUI=", "\u0000"},
		{"a", "YQ==", ""},
		{"****", "KioqKg==", ""},
		{"aGVsbG8=\n", "YUdWc2JHOD0K", "hello"},
		{"\u0000", "AA==", ""},
	} {
		if got := Base64Encode(tc.in); got != tc.encoded {
			t.Errorf("Base64Encode(%q) = %q, want %q", tc.in, got, tc.encoded)
		}
		if got, err := Base64Decode(tc.in); err != nil || got != tc.decoded {
			t.Errorf("Base64Decode(%q) = %q, %v; want %q", tc.in, got, err, tc.decoded)
		}
	}
}

func TestToFixed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     float64
		digits int
		want   string
	}{
		{0.5, 0, "1"},
		{1.5, 0, "2"},
		{2.5, 0, "3"},
		{-2.5, 0, "-3"},
		{1.25, 1, "1.3"},
		{1.005, 2, "1.00"},
		{0, 2, "0.00"},
		{math.Copysign(0, -1), 2, "0.00"},
		{1e21, 2, "1e+21"},
		{100000000000000000000, 2, "100000000000000000000.00"},
		{123.456, 100, "123.4560000000000030695446184836328029632568359375000000000000000000000000000000000000000000000000000000"},
		{5e-324, 3, "0.000"},
		{0.000001, 7, "0.0000010"},
		{1.45, 1, "1.4"},
		{8.345, 2, "8.35"},
		{math.NaN(), 2, "NaN"},
		{math.Inf(1), 0, "Infinity"},
		{-1.5, 0, "-2"},
		{999.995, 2, "1000.00"},
		{0.9999, 3, "1.000"},
	} {
		got, err := ToFixed(tc.in, tc.digits)
		if err != nil || got != tc.want {
			t.Errorf("ToFixed(%v, %d) = %q, %v; want %q", tc.in, tc.digits, got, err, tc.want)
		}
	}
	if _, err := ToFixed(1, 101); err == nil {
		t.Error("ToFixed(1, 101): want an error")
	}
}

func FuzzNumberToString(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, math.MaxFloat64, 123456789012345678} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		s := NumberToString(v)
		if math.IsNaN(v) {
			if s != "NaN" {
				t.Fatalf("NaN formats as %q", s)
			}
			return
		}
		if math.IsInf(v, 0) {
			return
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != v {
			t.Fatalf("NumberToString(%v) = %q, parses back as %v, %v", v, s, back, err)
		}
		_ = FormatForString(v)
		_ = Round(v, int(int8(bits)))
	})
}

func FuzzDecodeURIComponent(f *testing.F) {
	for _, s := range []string{"", "%3Fx%3Dtest", "%E0%A4%A", "%F0%9F%98%80", "%", "%C0%80", "a\xffb", "%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := DecodeURIComponent(s)
		_, _ = DecodeURI(s)
		e, encErr := EncodeURIComponent(s)
		if encErr == nil {
			back, err := DecodeURIComponent(e)
			if err != nil || back != s {
				t.Fatalf("DecodeURIComponent(EncodeURIComponent(%q)) = %q, %v", s, back, err)
			}
		}
		if err == nil && encErr == nil && d == s {
			return
		}
		_, _ = Base64Decode(s)
		_ = Base64Encode(s)
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0.05", "1e2", "10e500", "0x12", "0B101", "0O12", " 0o17", "0x1g", "", "1e-400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseNumber(s)
		if ok && numIsDecimal(s) && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ParseNumber(%q) = %v", s, v)
		}
	})
}
