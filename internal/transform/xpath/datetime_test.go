package xpath

import (
	"math"
	"strings"
	"testing"
)

// Cases from the JSONata test suite, group function-fromMillis (case*.json,
// and formatDateTime.json by index); formatDateTime/66 is split into the
// three calls it makes.
func TestFormatDateTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		millis   float64
		picture  string
		timezone string
		want     string
		code     string
	}{
		{name: "case000", millis: 1, picture: "", timezone: "", want: "1970-01-01T00:00:00.001Z"},
		{name: "case001", millis: 1509380732935, picture: "", timezone: "", want: "2017-10-30T16:25:32.935Z"},
		{name: "formatDateTime/1", millis: 1521801216617, picture: "Hello", timezone: "", want: "Hello"},
		{name: "formatDateTime/2", millis: 1521801216617, picture: "Year: [Y0001]", timezone: "", want: "Year: 2018"},
		{name: "formatDateTime/3", millis: 1521801216617, picture: "Year: <[Y0001]>", timezone: "", want: "Year: <2018>"},
		{name: "formatDateTime/4", millis: 1521801216617, picture: "Year: <[Y9,999,*]>", timezone: "", want: "Year: <2,018>"},
		{name: "formatDateTime/5", millis: 1521801216617, picture: "[[Year: <[Y0001]>", timezone: "", want: "[Year: <2018>"},
		{name: "formatDateTime/6", millis: 1521801216617, picture: "Year]]: <[Y0001]>", timezone: "", want: "Year]: <2018>"},
		{name: "formatDateTime/7", millis: 1521801216617, picture: "[[Year]]: [[[Y0001]]]", timezone: "", want: "[Year]: [2018]"},
		{name: "formatDateTime/8", millis: 1521801216617, picture: "[D#1]/[M#1]/[Y0001]", timezone: "", want: "23/3/2018"},
		{name: "formatDateTime/9", millis: 1522616700000, picture: "[F0] [FNn]", timezone: "", want: "7 Sunday"},
		{name: "formatDateTime/10", millis: 1522703100000, picture: "[F0] [FNn]", timezone: "", want: "1 Monday"},
		{name: "formatDateTime/11", millis: 1521801216617, picture: "[Y0001]-[M01]-[D01]", timezone: "", want: "2018-03-23"},
		{name: "formatDateTime/12", millis: 1521801216617, picture: "[M01]/[D01]/[Y0001] at [H01]:[m01]:[s01]", timezone: "", want: "03/23/2018 at 10:33:36"},
		{name: "formatDateTime/13", millis: 1521801216617, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z01:01t]", timezone: "", want: "2018-03-23T10:33:36.617Z"},
		{name: "formatDateTime/14", millis: 1521801216617, picture: "[Y]-[ M01]-[D 01]T[H01 ]:[ m   ]:[s].[f0  01][Z01:\n 01t]", timezone: "", want: "2018-03-23T10:33:36.617Z"},
		{name: "formatDateTime/15", millis: 1521801216617, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]", timezone: "+0100", want: "2018-03-23T11:33:36.617+0100"},
		{name: "formatDateTime/16", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z01:01]", timezone: "", want: "2018-07-11T12:00:00+00:00"},
		{name: "formatDateTime/17", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z01:01t]", timezone: "", want: "2018-07-11T12:00:00Z"},
		{name: "formatDateTime/18", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z]", timezone: "-0500", want: "2018-07-11T07:00:00-05:00"},
		{name: "formatDateTime/19", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z0]", timezone: "-0500", want: "2018-07-11T07:00:00-5"},
		{name: "formatDateTime/20", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z]", timezone: "+1000", want: "2018-07-11T22:00:00+10:00"},
		{name: "formatDateTime/21", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z0]", timezone: "+1000", want: "2018-07-11T22:00:00+10"},
		{name: "formatDateTime/22", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][Z0]", timezone: "+0530", want: "2018-07-11T17:30:00+5:30"},
		{name: "formatDateTime/23", millis: 1531310400000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s][z]", timezone: "-0500", want: "2018-07-11T07:00:00GMT-05:00"},
		{name: "formatDateTime/24", millis: 1204405500000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]", timezone: "+0530", want: "2008-03-02T02:35:00.000+0530"},
		{name: "formatDateTime/25", millis: 1230757500000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]", timezone: "+0530", want: "2009-01-01T02:35:00.000+0530"},
		{name: "formatDateTime/26", millis: 1230757500000, picture: "[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z010101t]", timezone: "+0530", code: "D3134"},
		{name: "formatDateTime/27", millis: 1521801216617, picture: "[D#1,2]/[M1,2]/[Y,2]", timezone: "", want: "23/03/18"},
		{name: "formatDateTime/28", millis: 1521801216617, picture: "[D#1,2]/[M1,2]/[Y0001,2]", timezone: "", want: "23/03/2018"},
		{name: "formatDateTime/29", millis: 1521801216617, picture: "[D#1,2]/[M1,2]/[Y##01,2-2]", timezone: "", want: "23/03/18"},
		{name: "formatDateTime/30", millis: 1521801216617, picture: "[D#1,2]/[M1,2]/[Y0001,2-2]", timezone: "", want: "23/03/18"},
		{name: "formatDateTime/31", millis: 1521801216617, picture: "[D1] [M01] [YI]", timezone: "", want: "23 03 MMXVIII"},
		{name: "formatDateTime/32", millis: 1521801216617, picture: "[Da] [MA] [Yi]", timezone: "", want: "w C mmxviii"},
		{name: "formatDateTime/33", millis: 1521801216617, picture: "[D1o] [M01] [Y]", timezone: "", want: "23rd 03 2018"},
		{name: "formatDateTime/34", millis: 1521801216617, picture: "[Yw]", timezone: "", want: "two thousand and eighteen"},
		{name: "formatDateTime/35", millis: 1521801216617, picture: "[Dwo] [M01] [Y]", timezone: "", want: "twenty-third 03 2018"},
		{name: "formatDateTime/36", millis: 1521801216617, picture: "[D1o] [MNn] [Y]", timezone: "", want: "23rd March 2018"},
		{name: "formatDateTime/37", millis: 1521801216617, picture: "[D1o] [MN] [Y]", timezone: "", want: "23rd MARCH 2018"},
		{name: "formatDateTime/38", millis: 1521801216617, picture: "[FNn], [D1o] [MNn] [Y]", timezone: "", want: "Friday, 23rd March 2018"},
		{name: "formatDateTime/39", millis: 1521801216617, picture: "[FNn], the [Dwo] of [MNn] [Y] [E]", timezone: "", want: "Friday, the twenty-third of March 2018 ISO"},
		{name: "formatDateTime/40", millis: 1521801216617, picture: "[FNn,3-3], [D1o] [MNn,3-3] [Y] [C]", timezone: "", want: "Fri, 23rd Mar 2018 ISO"},
		{name: "formatDateTime/41", millis: 1521801216617, picture: "[F], [D]/[M]/[Y] [h]:[m]:[s] [P]", timezone: "", want: "friday, 23/3/2018 10:33:36 am"},
		{name: "formatDateTime/42", millis: 1204405500000, picture: "[F], [D]/[M]/[Y] [h]:[m]:[s] [P]", timezone: "", want: "saturday, 1/3/2008 9:05:00 pm"},
		{name: "formatDateTime/43", millis: 1199664000000, picture: "[F], [D]/[M]/[Y] [h]:[m]:[s] [P]", timezone: "", want: "monday, 7/1/2008 12:00:00 am"},
		{name: "formatDateTime/44", millis: 1514808000000, picture: "[dwo] day of the year", timezone: "", want: "first day of the year"},
		{name: "formatDateTime/45", millis: 1546257600000, picture: "[d] days in [Y0001]", timezone: "", want: "365 days in 2018"},
		{name: "formatDateTime/46", millis: 1483185600000, picture: "[d] days in [Y0001]", timezone: "", want: "366 days in 2016"},
		{name: "formatDateTime/47", millis: 1514808000000, picture: "Week: [W]", timezone: "", want: "Week: 1"},
		{name: "formatDateTime/48", millis: 1515326400000, picture: "Week: [W]", timezone: "", want: "Week: 1"},
		{name: "formatDateTime/49", millis: 1545739200000, picture: "Week: [W]", timezone: "", want: "Week: 52"},
		{name: "formatDateTime/50", millis: 1388577600000, picture: "Week: [W]", timezone: "", want: "Week: 1"},
		{name: "formatDateTime/51", millis: 1419854400000, picture: "Week: [W]", timezone: "", want: "Week: 1"},
		{name: "formatDateTime/52", millis: 1419768000000, picture: "Week: [W]", timezone: "", want: "Week: 52"},
		{name: "formatDateTime/53", millis: 1419336000000, picture: "Week: [W]", timezone: "", want: "Week: 52"},
		{name: "formatDateTime/54", millis: 1420113600000, picture: "Week: [W]", timezone: "", want: "Week: 1"},
		{name: "formatDateTime/55", millis: 1420459200000, picture: "Week: [W]", timezone: "", want: "Week: 2"},
		{name: "formatDateTime/56", millis: 1451304000000, picture: "Week: [W]", timezone: "", want: "Week: 53"},
		{name: "formatDateTime/57", millis: 1451563200000, picture: "Week: [W]", timezone: "", want: "Week: 53"},
		{name: "formatDateTime/58", millis: 1451736000000, picture: "Week: [W]", timezone: "", want: "Week: 53"},
		{name: "formatDateTime/59", millis: 1359460800000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 5 of January"},
		{name: "formatDateTime/60", millis: 1359633600000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 5 of January"},
		{name: "formatDateTime/61", millis: 1359720000000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 5 of January"},
		{name: "formatDateTime/62", millis: 1514808000000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 1 of January"},
		{name: "formatDateTime/63", millis: 1483272000000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 5 of December"},
		{name: "formatDateTime/64", millis: 1533038400000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 1 of August"},
		{name: "formatDateTime/65", millis: 1419940800000, picture: "Week: [w] of [xNn]", timezone: "", want: "Week: 1 of January"},
		{name: "formatDateTime/67", millis: 1521801216617, picture: "[F], [D]/[M]/[Y] [h]:[m]:[s] [PN]", timezone: "", want: "friday, 23/3/2018 10:33:36 AM"},
		{name: "formatDateTime/68", millis: 1521801216617, picture: "[F], [D]/[M]/[Y] [h]:[m]:[s] [Pn]", timezone: "", want: "friday, 23/3/2018 10:33:36 am"},
		{name: "formatDateTime/69", millis: 1419940800000, picture: "[YN]-[M]-[D]", timezone: "", code: "D3133"},
		{name: "formatDateTime/70", millis: 1419940800000, picture: "[YN]-[M", timezone: "", code: "D3135"},
		{name: "formatDateTime/66/0", millis: 1540127100000, picture: "", timezone: "", want: "2018-10-21T13:05:00.000Z"},
		{name: "formatDateTime/66/1", millis: 1540127100000, picture: "", timezone: "-0500", want: "2018-10-21T08:05:00.000-05:00"},
		{name: "formatDateTime/66/2", millis: 1540127100000, picture: "", timezone: "0000", want: "2018-10-21T13:05:00.000Z"},
		// Beyond the suite.
		{name: "before 1970", millis: -1, picture: "", timezone: "", want: "1969-12-31T23:59:59.999Z"},
		{name: "negative year", millis: -62198755200000, picture: "[Y0001]-[M01]-[D01] [E]", timezone: "", want: "-0001-01-01 ISO"},
		{name: "year 50", millis: -60589296000000, picture: "[Y]-[M]-[D] [d]", timezone: "", want: "50-1-1 1"},
		{name: "fraction", millis: 1.9, picture: "[f001]", timezone: "", want: "001"},
		{name: "negative zero", millis: math.Copysign(0, -1), picture: "", timezone: "", want: "1970-01-01T00:00:00.000Z"},
		{name: "max date keeps four year digits", millis: 8.64e15, picture: "", timezone: "", want: "5760-09-13T00:00:00.000Z"},
		{name: "min date", millis: -8.64e15, picture: "[Y]-[M]-[D] [FNn]", timezone: "", want: "-271821-4-20 Tuesday"},
		{name: "z half hour", millis: 0, picture: "[z]", timezone: "+0530", want: "GMT+05:30"},
		{name: "negative half hour as reference", millis: 0, picture: "[H01]:[m01] [Z]", timezone: "-0530", want: "17:30 -06:30"},
		{name: "upper names", millis: 1521801216617, picture: "[FN,2-2] [MN,3-3] [P]", timezone: "", want: "FR MAR am"},
		{name: "calendar", millis: 0, picture: "[C] [E]", timezone: "", want: "ISO ISO"},
		{name: "unknown component", millis: 0, picture: "[q1]", timezone: "", code: "D3132"},
		{name: "empty marker", millis: 0, picture: "[]", timezone: "", code: "D3132"},
		{name: "names for hours", millis: 0, picture: "[HN]", timezone: "", code: "D3133"},
		{name: "sequence", millis: 0, picture: "[Mα]", timezone: "", code: "D3130"},
		{name: "zone sequence", millis: 0, picture: "[ZN]", timezone: "", code: "D3134"},
		{name: "wide", millis: 0, picture: "[Y,1000]", timezone: "", want: strings.Repeat("0", 996) + "1970"},
		{name: "too wide", millis: 0, picture: "[Y,1001]", timezone: "", code: codeLimit},
		{name: "too long", millis: 0, picture: strings.Repeat("[Y,1000]", 70), timezone: "", code: codeLimit},
		{name: "NaN", millis: math.NaN(), picture: "", timezone: "", code: codeRange},
		{name: "Inf", millis: math.Inf(1), picture: "", timezone: "", code: codeRange},
		{name: "beyond date", millis: 1e308, picture: "", timezone: "", code: codeRange},
		{name: "bad timezone", millis: 0, picture: "", timezone: "EST", code: codeRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FormatDateTime(tt.millis, tt.picture, tt.timezone)
			checkResult(t, got, err, tt.want, tt.code)
		})
	}
}

// Cases from the JSONata test suite, group function-tomillis (case*.json,
// and parseDateTime.json by index); case013 is split into its two calls,
// parseDateTime/28 and /29 (which default to $now()) are in
// TestParseDateTimeDefaultsToNow.
func TestParseDateTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		s         string
		picture   string
		want      float64
		undefined bool
		code      string
	}{
		{name: "case001", s: "1970-01-01T00:00:00.001Z", picture: "", want: 1},
		{name: "case002", s: "2018-02-01T09:42:13.123+0000", picture: "", want: 1517478133123},
		{name: "case003", s: "2017-10-30", picture: "", want: 1509321600000},
		{name: "case004", s: "2017-10-30T15:28:34Z", picture: "", want: 1509377314000},
		{name: "case005", s: "2018", picture: "", want: 1514764800000},
		{name: "case007", s: "foo", picture: "", code: "D3110"},
		{name: "case008", s: "01-02-2018", picture: "", code: "D3110"},
		{name: "case009", s: "2018-02-03 11:15:33", picture: "", code: "D3110"},
		{name: "case010", s: "201802", picture: "[Y0001][M01]", want: 1517443200000},
		{name: "case011", s: "201802", picture: "[Y,*-4][M01]", want: 1517443200000},
		{name: "case012", s: "20180205", picture: "[Y0001][M01][D01]", want: 1517788800000},
		{name: "parseDateTime/1", s: "Hello", picture: "Hello", undefined: true},
		{name: "parseDateTime/2", s: "2018", picture: "[Y1]", want: 1514764800000},
		{name: "parseDateTime/3", s: "2018-03-27", picture: "[Y1]-[M01]-[D01]", want: 1522108800000},
		{name: "parseDateTime/4", s: "2018-03-27T14:03:00.123Z", picture: "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z", want: 1522159380123},
		{name: "parseDateTime/5", s: "27th 3 1976", picture: "[D1o] [M#1] [Y0001]", want: 196732800000},
		{name: "parseDateTime/6", s: "21st 12 1881", picture: "[D1o] [M01] [Y0001]", want: -2777932800000},
		{name: "parseDateTime/7", s: "2nd 12 2012", picture: "[D1o] [M01] [Y0001]", want: 1354406400000},
		{name: "parseDateTime/8", s: "MCMLXXXIV", picture: "[YI]", want: 441763200000},
		{name: "parseDateTime/9", s: "27 03 MMXVIII", picture: "[D1] [M01] [YI]", want: 1522108800000},
		{name: "parseDateTime/10", s: "27 iii MMXVIII", picture: "[D1] [Mi] [YI]", want: 1522108800000},
		{name: "parseDateTime/11", s: "w C mmxviii", picture: "[Da] [MA] [Yi]", want: 1521763200000},
		{name: "parseDateTime/12", s: "ae C mmxviii", picture: "[Da] [MA] [Yi]", want: 1522454400000},
		{name: "parseDateTime/13", s: "27th April 2008", picture: "[D1o] [MNn] [Y0001]", want: 1209254400000},
		{name: "parseDateTime/14", s: "21 August 2017", picture: "[D1] [MNn] [Y0001]", want: 1503273600000},
		{name: "parseDateTime/15", s: "2 Feb 2012", picture: "[D1] [MNn,3-3] [Y0001]", want: 1328140800000},
		{name: "parseDateTime/16", s: "one thousand, nine hundred and eighty-four", picture: "[Yw]", want: 441763200000},
		{name: "parseDateTime/17", s: "nineteen hundred and eighty-four", picture: "[Yw]", want: 441763200000},
		{name: "parseDateTime/18", s: "twenty-seven April 2008", picture: "[Dw] [MNn] [Y0001]", want: 1209254400000},
		{name: "parseDateTime/19", s: "twenty-seventh April 2008", picture: "[Dw] [MNn] [Y0001]", want: 1209254400000},
		{name: "parseDateTime/20", s: "twenty-first August two thousand and seventeen", picture: "[Dw] [MNn] [Yw]", want: 1503273600000},
		{name: "parseDateTime/21", s: "TWENTY-SECOND August two thousand and seventeen", picture: "[DW] [MNn] [Yw]", want: 1503360000000},
		{name: "parseDateTime/22", s: "Twentieth of August, two thousand and seventeen", picture: "[DW] of [MNn], [Yw]", want: 1503187200000},
		{name: "parseDateTime/23", s: "4/4/2018 12:06 am", picture: "[D1]/[M1]/[Y0001] [h]:[m] [P]", want: 1522800360000},
		{name: "parseDateTime/24", s: "4/4/2018 06:30 am", picture: "[D1]/[M1]/[Y0001] [h]:[m] [P]", want: 1522823400000},
		{name: "parseDateTime/25", s: "4/4/2018 12:06 pm", picture: "[D1]/[M1]/[Y0001] [h]:[m] [P]", want: 1522843560000},
		{name: "parseDateTime/26", s: "4/4/2018 11:30 pm", picture: "[D1]/[M1]/[Y0001] [h]:[m] [P]", want: 1522884600000},
		{name: "parseDateTime/27", s: "2018-094", picture: "[Y0001]-[d001]", want: 1522800000000},
		{name: "parseDateTime/34", s: "irrelevent string", picture: "[Y]-[M]-[D]", undefined: true},
		{name: "parseDateTime/35", s: "2018-05-22", picture: "[Y]-[M]-[q]", code: "D3132"},
		{name: "parseDateTime/36", s: "2018-05-22", picture: "[YN]-[M]-[D]", code: "D3133"},
		{name: "parseDateTime/37", s: "2018-22", picture: "[Y]-[D]", code: "D3136"},
		{name: "parseDateTime/38", s: "5-22 23:59", picture: "[M]-[D] [m]:[s]", code: "D3136"},
		{name: "parseDateTime/39", s: "2018-3-2-5", picture: "[X]-[x]-[w]-[F1]", code: "D3136"},
		{name: "parseDateTime/40", s: "2018-32-5", picture: "[X]-[W]-[F1]", code: "D3136"},
		{name: "case013/0", s: "2024-01-01T12:38:49Z", picture: "", want: 1704112729000},
		{name: "case013/1", s: "20240101123849", picture: "[Y0000][M00][D00][H00][m00][s00]", want: 1704112729000},
		// Beyond the suite.
		{name: "iso rolls over", s: "2018-02-30", picture: "", want: 1519948800000},
		{name: "iso month 13", s: "2018-13", picture: "", code: "D3110"},
		{name: "iso offset", s: "2018-01-01T10:00:00-0530", picture: "", want: 1514820600000},
		{name: "iso 24h", s: "2018-01-01T24:00:00Z", picture: "", want: 1514851200000},
		{name: "iso offset without time", s: "2018-0530", picture: "", code: "D3110"},
		{name: "two-digit year as Date.UTC", s: "18", picture: "[Y01]", want: -1640995200000},
		{name: "upper-case month names", s: "MARCH 2018", picture: "[MN] [Y]", want: 1514764800000},
		{name: "pm", s: "12:30 PM 1/1/2000", picture: "[h]:[m] [P] [D]/[M]/[Y]", want: 946729800000},
		{name: "name for hours", s: "x", picture: "[HN]", code: "D3133"},
		{name: "era", s: "ISO", picture: "[E]", code: "D3133"},
		{name: "wider than input", s: "2018", picture: "[Y0001][M01]", undefined: true},
		{name: "huge year", s: "99999999", picture: "[Y]", undefined: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := ParseDateTime(tt.s, tt.picture)
			checkNumber(t, got, ok, err, tt.want, tt.undefined, tt.code)
		})
	}
}

// Cases from the JSONata test suite that parse then format: function-tomillis
// parseDateTime.json (… ~> $fromMillis()) and function-fromMillis
// isoWeekDate.json ($fromMillis($toMillis(s, p), picture)).
func TestParseThenFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		s             string
		parsePicture  string
		formatPicture string
		want          string
	}{
		{name: "isoWeekDate/0", s: "2005-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2004-W53-6"},
		{name: "isoWeekDate/1", s: "2005-01-02", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2004-W53-7"},
		{name: "isoWeekDate/2", s: "2005-12-31", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2005-W52-6"},
		{name: "isoWeekDate/3", s: "2006-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2005-W52-7"},
		{name: "isoWeekDate/4", s: "2006-01-02", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2006-W01-1"},
		{name: "isoWeekDate/5", s: "2006-12-31", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2006-W52-7"},
		{name: "isoWeekDate/6", s: "2007-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2007-W01-1"},
		{name: "isoWeekDate/7", s: "2007-12-30", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2007-W52-7"},
		{name: "isoWeekDate/8", s: "2007-12-31", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2008-W01-1"},
		{name: "isoWeekDate/9", s: "2008-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2008-W01-2"},
		{name: "isoWeekDate/10", s: "2008-12-28", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2008-W52-7"},
		{name: "isoWeekDate/11", s: "2008-12-29", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W01-1"},
		{name: "isoWeekDate/12", s: "2008-12-30", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W01-2"},
		{name: "isoWeekDate/13", s: "2008-12-31", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W01-3"},
		{name: "isoWeekDate/14", s: "2009-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W01-4"},
		{name: "isoWeekDate/15", s: "2009-12-31", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W53-4"},
		{name: "isoWeekDate/16", s: "2010-01-01", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W53-5"},
		{name: "isoWeekDate/17", s: "2010-01-02", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W53-6"},
		{name: "isoWeekDate/18", s: "2010-01-03", parsePicture: "[Y]-[M]-[D]", formatPicture: "[X0001]-W[W01]-[F1]", want: "2009-W53-7"},
		{name: "parseDateTime/30", s: "Wednesday, 14th November 2018", parsePicture: "[FNn], [D1o] [MNn] [Y]", want: "2018-11-14T00:00:00.000Z"},
		{name: "parseDateTime/31", s: "Mon, Twelfth November 2018", parsePicture: "[FNn,*-3], [DWwo] [MNn] [Y]", want: "2018-11-12T00:00:00.000Z"},
		{name: "parseDateTime/32", s: "2018--180", parsePicture: "[Y]--[d]", want: "2018-06-29T00:00:00.000Z"},
		{name: "parseDateTime/33", s: "three hundred and sixty-fifth day of 2018", parsePicture: "[dwo] day of [Y]", want: "2018-12-31T00:00:00.000Z"},
		{name: "parseDateTime/41", s: "2020-09-09 08:00:00 +02:00", parsePicture: "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z]", want: "2020-09-09T06:00:00.000Z"},
		{name: "parseDateTime/42", s: "2020-09-09 08:00:00 GMT-05:00", parsePicture: "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z]", want: "2020-09-09T13:00:00.000Z"},
		{name: "parseDateTime/43", s: "2020-09-09 12:00:00 +05:30", parsePicture: "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z]", want: "2020-09-09T06:30:00.000Z"},
		{name: "parseDateTime/44", s: "2020-09-09 12:00:00 GMT-5", parsePicture: "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z01]", want: "2020-09-09T17:00:00.000Z"},
		{name: "parseDateTime/45", s: "2020-09-09 12:00:00 +0530", parsePicture: "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z0001]", want: "2020-09-09T06:30:00.000Z"},
		{name: "parseDateTime/46", s: "2026-04-08T19:05:04.01987", parsePicture: "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f1]", want: "2026-04-08T19:05:04.019Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			millis, ok, err := ParseDateTime(tt.s, tt.parsePicture)
			if err != nil || !ok {
				t.Fatalf("ParseDateTime: %v, %v, %v", millis, ok, err)
			}
			got, err := FormatDateTime(millis, tt.formatPicture, "")
			checkResult(t, got, err, tt.want, "")
		})
	}
}

// parseDateTime/28 and /29: components before the first given one come from
// now, those after it are zero.
func TestParseDateTimeDefaultsToNow(t *testing.T) {
	t.Parallel()
	const now = 1700000000123 // 2023-11-14T22:13:20.123Z
	millis, ok, err := parseDateTimeAt("13:45", "[H]:[m]", now)
	if err != nil || !ok {
		t.Fatalf("parseDateTimeAt: %v, %v, %v", millis, ok, err)
	}
	got, err := FormatDateTime(millis, "", "")
	checkResult(t, got, err, "2023-11-14T13:45:00.000Z", "")
}

func FuzzFormatDateTime(f *testing.F) {
	for _, seed := range []struct {
		millis        float64
		picture, zone string
	}{
		{1521801216617, "[FNn], [D1o] [MNn,3-3] [Y] [h]:[m01] [PN] [Z]", "+0530"},
		{-8.64e15, "[X0001]-W[W01]-[F1] [xNn] [w] [d]", "-0500"},
		{1e308, "", ""},
		{math.NaN(), "[Y]", "x"},
		{0, "[Y,1000-1000][[]]", "99999999999"},
		{0, "[Dwo] [Yw] [Mi] [Ha] [z0001t]", "0x10"},
	} {
		f.Add(seed.millis, seed.picture, seed.zone)
	}
	f.Fuzz(func(t *testing.T, millis float64, picture, zone string) {
		out, err := FormatDateTime(millis, picture, zone)
		if err == nil && len(out) > maxOutput {
			t.Fatalf("output of %d bytes", len(out))
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, seed := range []struct{ s, picture string }{
		{"2018-02-01T09:42:13.123+0000", ""},
		{"Mon, Twelfth November 2018", "[FNn,*-3], [DWwo] [MNn] [Y]"},
		{"2020-09-09 12:00:00 GMT-5", "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z01]"},
		{"4/4/2018 12:06 am", "[D1]/[M1]/[Y0001] [h]:[m] [P]"},
		{"2018--180", "[Y]--[d]"},
		{"99999999999999999999999", "[Y][M]"},
		{"2018-3-2-5", "[X]-[x]-[w]-[F1]"},
	} {
		f.Add(seed.s, seed.picture)
	}
	f.Fuzz(func(t *testing.T, s, picture string) {
		_, _, _ = ParseDateTime(s, picture)
	})
}
