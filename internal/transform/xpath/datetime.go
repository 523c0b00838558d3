package xpath

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatDateTime formats milliseconds since the epoch ($fromMillis). picture
// "" means ISO 8601 with milliseconds as the reference
// ("2017-11-07T15:07:54.972Z" for UTC); timezone "" means UTC, otherwise
// "±HHMM" as the reference accepts.
//
// The timezone is read as the reference reads it: parseInt(timezone) gives
// hours = floor(n/100) and minutes = n%100, so "-0530" is taken as -6 hours
// and -30 minutes, as in jsonata-js. A timezone without digits, a
// non-finite millis or a time outside the range of a JavaScript Date
// returns an *Error with code D3151.
func FormatDateTime(millis float64, picture, timezone string) (string, error) {
	offHours, offMinutes := 0.0, 0.0
	if timezone != "" {
		n := jsParseInt(timezone)
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", rangeError("The timezone %q is not of the form ±HHMM", timezone)
		}
		offHours, offMinutes = math.Floor(n/100), math.Mod(n, 100)
	}
	if picture == "" {
		picture = iso8601Picture
	}
	parts, err := analyseDateTimePicture(picture)
	if err != nil {
		return "", err
	}
	t := timeClip(millis + (60*offHours+offMinutes)*60*1000)
	if math.IsNaN(t) {
		return "", rangeError("The timestamp %v is outside the range of a date", millis)
	}
	f := &dateFormatter{t: t, date: time.UnixMilli(int64(t)).UTC(), offHours: offHours, offMinutes: offMinutes}
	var b strings.Builder
	for i := range parts {
		s, err := f.format(&parts[i])
		if err != nil {
			return "", err
		}
		b.WriteString(s)
		if b.Len() > maxOutput {
			return "", limitError("The formatted date/time exceeds %d bytes", maxOutput)
		}
	}
	return b.String(), nil
}

// ParseDateTime parses a timestamp per a picture ($toMillis). picture ""
// means ISO 8601 as the reference's $toMillis accepts it; ok=false when the
// string does not match (the reference returns undefined).
//
// Components the picture leaves out before the first one it gives are
// taken from the current time, as the reference takes them from the
// evaluation's $now(); those after the last one it gives default to their
// minimum. Without a picture, a string the reference's ISO 8601 pattern
// rejects returns *Error D3110, and so does one it accepts but JavaScript's
// Date.parse would not (month 13, an offset without a time); a date-time
// without an offset, local time in JavaScript, is read as UTC. A result
// outside the range of a JavaScript Date gives ok=false.
func ParseDateTime(s, picture string) (millis float64, ok bool, err error) {
	if picture == "" {
		return parseISO8601(s)
	}
	return parseDateTimeAt(s, picture, float64(time.Now().UnixMilli()))
}

// iso8601Picture is the picture used when none is given.
const iso8601Picture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

// partKind tells literal text from a variable marker.
type partKind int

const (
	literalPart partKind = iota
	markerPart
)

// unset marks an absent width.
const unset = -1

// datePart is one literal or variable marker of an analysed picture.
type datePart struct {
	kind    partKind
	literal string

	component     rune
	presentation1 string
	presentation2 byte
	names         letterCase
	hasNames      bool
	hasWidth      bool
	minWidth      int // or unset
	maxWidth      int // or unset
	integer       *integerFormat
	yearDigits    int // §9.8.4.4: digits kept of the year, or -1
}

// defaultPresentation returns the default presentation modifier of a
// component, or false for an unknown component.
func defaultPresentation(c rune) (string, bool) {
	switch c {
	case 'Y', 'M', 'D', 'd', 'W', 'w', 'X', 'x', 'H', 'h', 'f':
		return "1", true
	case 'F', 'P', 'C', 'E':
		return "n", true
	case 'm', 's':
		return "01", true
	case 'Z', 'z':
		return "01:01", true
	}
	return "", false
}

// analyseDateTimePicture splits a picture into literals and markers (§9.8.4.1).
func analyseDateTimePicture(picture string) ([]datePart, error) {
	var parts []datePart
	addLiteral := func(start, end int) {
		if end > start {
			lit := strings.ReplaceAll(picture[start:end], "]]", "]")
			parts = append(parts, datePart{kind: literalPart, literal: lit})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] != '[' {
			pos++
			continue
		}
		if pos+1 < len(picture) && picture[pos+1] == '[' {
			addLiteral(start, pos)
			parts = append(parts, datePart{kind: literalPart, literal: "["})
			pos += 2
			start = pos
			continue
		}
		addLiteral(start, pos)
		end := strings.IndexByte(picture[pos:], ']')
		if end < 0 {
			return nil, newError("D3135", nil)
		}
		end += pos
		part, err := analyseMarker(stripSpace(picture[pos+1 : end]))
		if err != nil {
			return nil, err
		}
		if part.integer != nil && part.integerValued() {
			// An integer right after another needs a fixed parse width.
			if n := len(parts); n > 0 && parts[n-1].integer != nil {
				parts[n-1].integer.parseWidth = parts[n-1].integer.mandatoryDigits
			}
		}
		parts = append(parts, part)
		pos = end + 1
		start = pos
	}
	addLiteral(start, pos)
	return parts, nil
}

// integerValued reports whether the component is formatted as an integer
// (the reference's 'YMDdFWwXxHhmsf').
func (p *datePart) integerValued() bool {
	return strings.ContainsRune("YMDdFWwXxHhmsf", p.component) && !p.hasNames
}

// stripSpace removes JavaScript white space.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if jsIsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// analyseMarker analyses the inside of a variable marker.
func analyseMarker(marker string) (datePart, error) {
	part := datePart{kind: markerPart, minWidth: unset, maxWidth: unset, yearDigits: -1}
	c, size := utf8.DecodeRuneInString(marker)
	if size == 0 {
		return part, newError("D3132", "")
	}
	part.component = c
	presMod := marker[size:]
	if comma := strings.LastIndexByte(marker, ','); comma >= 0 && comma >= size {
		if err := part.analyseWidth(marker[comma+1:]); err != nil {
			return part, err
		}
		presMod = marker[size:comma]
	}
	switch {
	case len(presMod) == 0:
		def, ok := defaultPresentation(c)
		if !ok {
			return part, newError("D3132", string(c))
		}
		part.presentation1 = def
	case len(presMod) > 1 && strings.IndexByte("atco", presMod[len(presMod)-1]) >= 0:
		part.presentation2 = presMod[len(presMod)-1]
		part.presentation1 = presMod[:len(presMod)-1]
	default:
		part.presentation1 = presMod
	}
	if err := part.analysePresentation(); err != nil {
		return part, err
	}
	return part, nil
}

// analyseWidth reads a width modifier "min[-max]" (§9.8.4.2).
func (p *datePart) analyseWidth(mod string) error {
	p.hasWidth = true
	minMod, maxMod, hasMax := strings.Cut(mod, "-")
	var err error
	if p.minWidth, err = parseWidth(minMod); err != nil {
		return err
	}
	if hasMax {
		if p.maxWidth, err = parseWidth(maxMod); err != nil {
			return err
		}
	}
	return nil
}

// parseWidth reads one width as parseInt does; "*" and non-numbers are
// unset and negative widths are 0.
func parseWidth(s string) (int, error) {
	if s == "*" {
		return unset, nil
	}
	n := jsParseInt(s)
	switch {
	case math.IsNaN(n):
		return unset, nil
	case n > maxWidth:
		return 0, limitError("The width modifier %q exceeds %d", s, maxWidth)
	case n < 0:
		return 0, nil
	}
	return int(n), nil
}

// analysePresentation derives names or the integer format of a marker.
func (p *datePart) analysePresentation() error {
	pm := p.presentation1
	switch {
	case strings.HasPrefix(pm, "n"):
		p.hasNames, p.names = true, caseLower
	case strings.HasPrefix(pm, "Nn"):
		p.hasNames, p.names = true, caseTitle
	case strings.HasPrefix(pm, "N"):
		p.hasNames, p.names = true, caseUpper
	case strings.ContainsRune("YMDdFWwXxHhmsf", p.component):
		pattern := pm
		if p.presentation2 != 0 {
			pattern += ";" + string(p.presentation2)
		}
		f, err := analyseIntegerPicture(pattern)
		if err != nil {
			return err
		}
		p.integer = f
		if p.minWidth != unset && f.mandatoryDigits < p.minWidth {
			f.mandatoryDigits = p.minWidth
		}
		if p.component == 'Y' {
			p.analyseYear()
		}
	}
	if p.component == 'Z' || p.component == 'z' {
		f, err := analyseIntegerPicture(p.presentation1)
		if err != nil {
			return err
		}
		p.integer = f
	}
	if p.integer != nil && p.integer.mandatoryDigits > maxWidth {
		return limitError("The marker [%c%s] has more than %d digits", p.component, p.presentation1, maxWidth)
	}
	return nil
}

// analyseYear sets the number of year digits kept (§9.8.4.4).
func (p *datePart) analyseYear() {
	f := p.integer
	if p.maxWidth != unset {
		p.yearDigits = p.maxWidth
		f.mandatoryDigits = p.maxWidth
		return
	}
	if f.primary == formatDecimal {
		if w := f.mandatoryDigits + f.optionalDigits; w >= 2 {
			p.yearDigits = w
		}
	}
}

var (
	dayNames   = [...]string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

const msPerDay = 1000 * 60 * 60 * 24

// dateFormatter formats the markers of one timestamp.
type dateFormatter struct {
	t                    float64 // the time, already shifted to the timezone
	date                 time.Time
	offHours, offMinutes float64
}

// format renders one part.
func (f *dateFormatter) format(p *datePart) (string, error) {
	if p.kind == literalPart {
		return p.literal, nil
	}
	switch c := p.component; {
	case strings.ContainsRune("YMDdFWwXxHhms", c):
		return f.formatInteger(p)
	case c == 'f':
		if p.integer == nil {
			return "", newError("D3133", string(c))
		}
		return formatIntegerValue(fragment(f.t, f.date, 'f'), p.integer)
	case c == 'Z' || c == 'z':
		return f.formatTimezone(p)
	case c == 'P':
		if p.hasNames && p.names == caseUpper {
			return strings.ToUpper(ampm(f.date)), nil
		}
		return ampm(f.date), nil
	case c == 'C' || c == 'E':
		return "ISO", nil
	}
	return "", newError("D3132", string(p.component))
}

// formatInteger renders an integer-valued component (§9.8.4.3).
func (f *dateFormatter) formatInteger(p *datePart) (string, error) {
	value := fragment(f.t, f.date, p.component)
	if p.component == 'Y' && p.yearDigits != -1 {
		value = math.Mod(value, math.Pow(10, float64(p.yearDigits)))
	}
	if !p.hasNames {
		return formatIntegerValue(value, p.integer)
	}
	var name string
	switch p.component {
	case 'M', 'x':
		name = monthNames[int(value)-1]
	case 'F':
		name = dayNames[int(value)]
	default:
		return "", newError("D3133", string(p.component))
	}
	switch p.names {
	case caseUpper:
		name = strings.ToUpper(name)
	case caseLower:
		name = strings.ToLower(name)
	}
	if p.maxWidth != unset && len(name) > p.maxWidth {
		name = name[:p.maxWidth]
	}
	return name, nil
}

// formatTimezone renders a Z or z marker (§9.8.4.6).
func (f *dateFormatter) formatTimezone(p *datePart) (string, error) {
	offset := f.offHours*100 + f.offMinutes
	var s string
	var err error
	switch digits := p.integer.mandatoryDigits; {
	case p.integer.primary == formatDecimal && p.integer.regular:
		s, err = formatIntegerValue(offset, p.integer)
	case p.integer.primary == formatDecimal && (digits == 1 || digits == 2):
		s, err = formatIntegerValue(f.offHours, p.integer)
		if err == nil && f.offMinutes != 0 {
			s += ":" + twoDigits(f.offMinutes)
		}
	case p.integer.primary == formatDecimal && (digits == 3 || digits == 4):
		s, err = formatIntegerValue(offset, p.integer)
	default:
		return "", newError("D3134", nil)
	}
	if err != nil {
		return "", err
	}
	if offset >= 0 {
		s = "+" + s
	}
	if p.component == 'z' {
		s = "GMT" + s
	}
	if offset == 0 && p.presentation2 == 't' {
		s = "Z"
	}
	return s, nil
}

// twoDigits formats an integer with at least two digits, as the
// reference's formatInteger(n, '00').
func twoDigits(n float64) string {
	s := strconv.FormatFloat(math.Abs(n), 'f', -1, 64)
	if len(s) < 2 {
		s = "0" + s
	}
	if n < 0 {
		s = "-" + s
	}
	return s
}

func ampm(d time.Time) string {
	if d.Hour() >= 12 {
		return "pm"
	}
	return "am"
}

// fragment returns a component of the time t (ms, d its UTC date), as the
// reference's getDateTimeFragment; P, Z, z, C and E are not numeric and
// return 0.
func fragment(t float64, d time.Time, component rune) float64 {
	year, month, day := float64(d.Year()), float64(d.Month()-1), float64(d.Day())
	switch component {
	case 'Y':
		return year
	case 'M':
		return month + 1
	case 'D':
		return day
	case 'd':
		return (dateUTC(year, month, day, 0, 0, 0, 0)-dateUTC(year, 0, 1, 0, 0, 0, 0))/msPerDay + 1
	case 'F':
		if wd := d.Weekday(); wd != time.Sunday {
			return float64(wd)
		}
		return 7
	case 'W':
		return weekInYear(year, month, day)
	case 'w':
		return weekInMonth(year, month, day)
	case 'X':
		start, end := startOfFirstWeek(year, 0), startOfFirstWeek(year+1, 0)
		switch {
		case t < start:
			return year - 1
		case t >= end:
			return year + 1
		}
		return year
	case 'x':
		start, end := startOfFirstWeek(year, month), startOfFirstWeek(nextMonth(year, month))
		switch {
		case t < start:
			_, m := previousMonth(year, month)
			return m + 1
		case t >= end:
			_, m := nextMonth(year, month)
			return m + 1
		}
		return month + 1
	case 'H':
		return float64(d.Hour())
	case 'h':
		if h := d.Hour() % 12; h != 0 {
			return float64(h)
		}
		return 12
	case 'm':
		return float64(d.Minute())
	case 's':
		return float64(d.Second())
	case 'f':
		return float64(d.Nanosecond() / 1e6)
	}
	return 0
}

// weekInYear returns the ISO week number of a date.
func weekInYear(year, month, day float64) float64 {
	start := startOfFirstWeek(year, 0)
	today := dateUTC(year, month, day, 0, 0, 0, 0)
	week := deltaWeeks(start, today)
	if week > 52 {
		if today >= startOfFirstWeek(year+1, 0) {
			week = 1
		}
	} else if week < 1 {
		week = deltaWeeks(startOfFirstWeek(year-1, 0), today)
	}
	return math.Floor(week)
}

// weekInMonth returns the week of the month of a date, weeks starting on
// Monday and the first week holding the month's first Thursday.
func weekInMonth(year, month, day float64) float64 {
	start := startOfFirstWeek(year, month)
	today := dateUTC(year, month, day, 0, 0, 0, 0)
	week := deltaWeeks(start, today)
	if week > 4 {
		if today >= startOfFirstWeek(nextMonth(year, month)) {
			week = 1
		}
	} else if week < 1 {
		week = deltaWeeks(startOfFirstWeek(previousMonth(year, month)), today)
	}
	return math.Floor(week)
}

func nextMonth(year, month float64) (float64, float64) {
	if month == 11 {
		return year + 1, 0
	}
	return year, month + 1
}

func previousMonth(year, month float64) (float64, float64) {
	if month == 0 {
		return year - 1, 11
	}
	return year, month - 1
}

func deltaWeeks(start, end float64) float64 {
	return (end-start)/(msPerDay*7) + 1
}

// startOfFirstWeek returns the Monday starting week 1 of a month (month 0
// for the year): the week holding the month's first Thursday.
func startOfFirstWeek(year, month float64) float64 {
	first := dateUTC(year, month, 1, 0, 0, 0, 0)
	dow := weekDay(first)
	if dow == 0 {
		dow = 7
	}
	if dow > 4 {
		return first + (8-dow)*msPerDay
	}
	return first - (dow-1)*msPerDay
}

// weekDay returns the day of the week of t, 0 for Sunday, NaN for NaN.
func weekDay(t float64) float64 {
	wd := math.Mod(math.Floor(t/msPerDay)+4, 7)
	if wd < 0 {
		wd += 7
	}
	return wd
}

// dateUTC is JavaScript's Date.UTC, including its reading of years 0 to 99
// as 1900 to 1999; NaN outside the range of a Date.
func dateUTC(year, month, day, h, m, s, ms float64) float64 {
	y := math.Trunc(year)
	if y >= 0 && y <= 99 {
		y += 1900
	}
	return makeTime(y, month, day, h, m, s, ms)
}

// makeTime is MakeDate(MakeDay(...), MakeTime(...)) then TimeClip.
func makeTime(year, month, day, h, m, s, ms float64) float64 {
	args := [...]float64{year, month, day, h, m, s, ms}
	for i, a := range args {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return math.NaN()
		}
		args[i] = math.Trunc(a)
	}
	y := args[0] + math.Floor(args[1]/12)
	mn := math.Mod(args[1], 12)
	if mn < 0 {
		mn += 12
	}
	if math.Abs(y) > 1e6 {
		// Beyond ±8.64e15 ms whatever the other arguments can reasonably be.
		return math.NaN()
	}
	days := float64(daysFromCivil(int64(y), int64(mn)+1, 1)) + args[2] - 1
	tod := float64(float64(args[3]*3600000+args[4]*60000)+args[5]*1000) + args[6]
	return timeClip(float64(days*msPerDay) + tod)
}

// timeClip is JavaScript's TimeClip: NaN outside ±8.64e15, else truncated.
func timeClip(t float64) float64 {
	if math.IsNaN(t) || math.Abs(t) > 8.64e15 {
		return math.NaN()
	}
	return math.Trunc(t) + 0
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// matcher matches and reads one part of a picture when parsing.
type matcher struct {
	regex     string
	component rune
	parse     func(string) (float64, bool) // nil for literals; false: undefined
	width     int                          // bytes a fixed-width part needs
}

// wordsRegex matches numbers in words, alternatives in the reference's order.
var wordsRegex = buildWordsRegex()

func buildWordsRegex() string {
	alts := make([]string, 0, len(wordList)+2)
	for _, e := range wordList {
		alts = append(alts, e.word)
	}
	alts = append(alts, "and", `[\-, ]`)
	return "(?:" + strings.Join(alts, "|") + ")+"
}

// integerMatcher returns the pattern and reader of an integer format.
func integerMatcher(f *integerFormat) (matcher, error) {
	m := matcher{}
	switch f.primary {
	case formatLetters:
		m.regex = "[a-z]+"
		if f.letters == caseUpper {
			m.regex = "[A-Z]+"
		}
	case formatRoman:
		m.regex = "[mdclxvi]+"
		if f.letters == caseUpper {
			m.regex = "[MDCLXVI]+"
		}
	case formatWords:
		m.regex = wordsRegex
	case formatDecimal:
		m.regex = "[0-9]+"
		if f.parseWidth > 0 {
			m.regex = "[0-9]{" + strconv.Itoa(f.parseWidth) + "}"
			m.width = f.parseWidth
		}
		if f.ordinal {
			m.regex += "(?:th|st|nd|rd)"
		}
	default:
		return m, newError("D3130", f.token)
	}
	m.parse = func(s string) (float64, bool) { return parseIntegerValue(s, f), true }
	return m, nil
}

// partMatcher returns the matcher of one analysed part.
func partMatcher(p *datePart) (matcher, error) {
	switch {
	case p.kind == literalPart:
		return matcher{regex: regexp.QuoteMeta(p.literal), width: len(p.literal)}, nil
	case p.component == 'Z' || p.component == 'z':
		return timezoneMatcher(p), nil
	case p.component == 'f':
		return matcher{regex: "[0-9]+", component: 'f', parse: parseFraction}, nil
	case p.integer != nil:
		m, err := integerMatcher(p.integer)
		m.component = p.component
		return m, err
	}
	return nameMatcher(p)
}

// parseFraction reads fractional seconds as milliseconds, from the first
// three digits.
func parseFraction(s string) (float64, bool) {
	v, _ := strconv.ParseFloat("0."+s[:min(len(s), 3)], 64)
	return v * 1000, true
}

// timezoneMatcher matches a Z or z marker; it reads minutes east of UTC.
func timezoneMatcher(p *datePart) matcher {
	sep := ""
	if p.integer.primary == formatDecimal && p.integer.regular {
		sep = p.integer.group.char
	}
	m := matcher{component: p.component, regex: "[-+][0-9]+"}
	if p.component == 'z' {
		m.regex = "GMT" + m.regex
	}
	if sep != "" {
		m.regex += regexp.QuoteMeta(sep) + "[0-9]+"
	}
	gmt := p.component == 'z'
	m.parse = func(s string) (float64, bool) {
		if gmt {
			s = s[3:]
		}
		// As the reference: the minutes carry no sign, so "-05:30" reads
		// as -4:30.
		var hours, minutes float64
		if sep != "" {
			i := strings.Index(s, sep)
			hours, minutes = jsParseInt(s[:i]), jsParseInt(s[i+len(sep):])
		} else if len(s)-1 <= 2 {
			hours = jsParseInt(s)
		} else {
			hours, minutes = jsParseInt(s[:3]), jsParseInt(s[3:])
		}
		return hours*60 + minutes, true
	}
	return m
}

// nameMatcher matches month, day and am/pm names.
func nameMatcher(p *datePart) (matcher, error) {
	lookup := map[string]float64{}
	truncate := func(name string) string {
		if p.maxWidth > 0 && len(name) > p.maxWidth {
			return name[:p.maxWidth]
		}
		return name
	}
	switch p.component {
	case 'M', 'x':
		for i, name := range monthNames {
			lookup[truncate(name)] = float64(i + 1)
		}
	case 'F':
		for i, name := range dayNames[1:] {
			lookup[truncate(name)] = float64(i + 1)
		}
	case 'P':
		lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
	default:
		return matcher{}, newError("D3133", string(p.component))
	}
	return matcher{regex: "[a-zA-Z]+", component: p.component, parse: func(s string) (float64, bool) {
		v, ok := lookup[s]
		return v, ok
	}}, nil
}

// component is a parsed component value: absent, undefined or a number.
type component struct {
	defined bool
	value   float64
}

// parseDateTimeAt parses s with a picture, taking unspecified leading
// components from now (ms since the epoch).
func parseDateTimeAt(s, picture string, now float64) (float64, bool, error) {
	parts, err := analyseDateTimePicture(picture)
	if err != nil {
		return 0, false, err
	}
	matchers := make([]matcher, len(parts))
	var b strings.Builder
	b.WriteString("(?i)^")
	need := 0
	for i := range parts {
		if matchers[i], err = partMatcher(&parts[i]); err != nil {
			return 0, false, err
		}
		need += matchers[i].width
		b.WriteString("(" + matchers[i].regex + ")")
	}
	b.WriteString("$")
	if need > len(s) {
		return 0, false, nil // fixed-width parts need more than s holds
	}
	if len(s)*b.Len() > maxMatchWork {
		return 0, false, limitError("The timestamp and picture are too long to match")
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return 0, false, limitError("The date/time picture is too complex to parse with: %v", err)
	}
	groups := re.FindStringSubmatch(s)
	if groups == nil {
		return 0, false, nil
	}
	comps := map[rune]component{}
	for i, m := range matchers {
		if m.parse != nil {
			v, ok := m.parse(groups[i+1])
			comps[m.component] = component{defined: ok, value: v}
		}
	}
	if len(comps) == 0 {
		return 0, false, nil
	}
	millis, err := assembleTime(comps, now)
	if err != nil || math.IsNaN(millis) {
		return 0, false, err
	}
	return millis, true, nil
}

// Masks of the components that make up a date and a time, as the
// reference's: bits of YXMxWwdD and of PHhmsf.
const (
	dateMaskA = 0b10100001 // Y M D
	dateMaskB = 0b10000010 // Y d
	dateMaskC = 0b01010100 // X x w (F)
	dateMaskD = 0b01001000 // X W (F)
	timeMaskA = 0b010111   // H m s f
	timeMaskB = 0b101111   // P h m s f
)

// mask returns the bits of the components in order that hold a truthy
// value (JavaScript truthiness: 0 and NaN do not count).
func mask(comps map[rune]component, order string) int {
	m := 0
	for _, c := range order {
		m <<= 1
		if v := comps[c]; v.defined && v.value != 0 && !math.IsNaN(v.value) {
			m++
		}
	}
	return m
}

func isType(typ, m int) bool { return ^typ&m == 0 && typ&m != 0 }

// assembleTime turns parsed components into ms since the epoch, defaulting
// the missing ones as the reference does.
func assembleTime(comps map[rune]component, now float64) (float64, error) {
	dm := mask(comps, "YXMxWwdD")
	dateA := isType(dateMaskA, dm)
	dateB := !dateA && isType(dateMaskB, dm)
	dateC := isType(dateMaskC, dm)
	dateD := !dateC && isType(dateMaskD, dm)
	tm := mask(comps, "PHhmsf")
	timeA := isType(timeMaskA, tm)
	timeB := !timeA && isType(timeMaskB, tm)

	order := "YMD"
	switch {
	case dateB:
		order = "YD" // sic: the reference's order for {Y, d}
	case dateC:
		order = "XxwF"
	case dateD:
		order = "XWF"
	}
	if timeB {
		order += "Phmsf"
	} else {
		order += "Hmsf"
	}
	nowDate := time.UnixMilli(int64(now)).UTC()
	started, ended := false, false
	for _, c := range order {
		if comps[c].defined {
			started = true
			if ended {
				return 0, newError("D3136", nil)
			}
			continue
		}
		v := 0.0
		switch {
		case started && strings.ContainsRune("MDd", c):
			v = 1
		case started:
		case c != 'P': // the reference's am/pm fragment never equals 1
			v = fragment(now, nowDate, c)
		}
		comps[c] = component{defined: true, value: v}
		ended = ended || started
	}
	if dateC || dateD {
		return 0, newError("D3136", nil)
	}
	val := func(c rune) float64 { return comps[c].value }
	month := 0.0
	if m := val('M'); m > 0 {
		month = m - 1
	}
	day := val('D')
	if dateB {
		derived := dateUTC(val('Y'), 0, 1, 0, 0, 0, 0) + (val('d')-1)*msPerDay
		if t := timeClip(derived); math.IsNaN(t) {
			month, day = math.NaN(), math.NaN()
		} else {
			d := time.UnixMilli(int64(t)).UTC()
			month, day = float64(d.Month()-1), float64(d.Day())
		}
	}
	hour := val('H')
	if timeB {
		hour = val('h')
		if hour == 12 {
			hour = 0
		}
		if val('P') == 1 {
			hour += 12
		}
	}
	millis := dateUTC(val('Y'), month, day, hour, val('m'), val('s'), val('f'))
	if z := tzValue(comps); z != 0 && !math.IsNaN(z) {
		millis -= z * 60 * 1000
	}
	return millis, nil
}

// tzValue returns the reference's (components.Z || components.z).
func tzValue(comps map[rune]component) float64 {
	if z := comps['Z']; z.defined && z.value != 0 && !math.IsNaN(z.value) {
		return z.value
	}
	if z := comps['z']; z.defined {
		return z.value
	}
	return 0
}

// iso8601Regexp is the reference's test for a timestamp without a picture.
var iso8601Regexp = regexp.MustCompile(`^(\d{4})(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

// parseISO8601 converts an ISO 8601 timestamp as the reference's $toMillis
// does without a picture: a string its pattern rejects is error D3110.
func parseISO8601(s string) (float64, bool, error) {
	g := iso8601Regexp.FindStringSubmatch(s)
	if g == nil {
		return 0, false, newError("D3110", s)
	}
	millis := isoMillis(g)
	if math.IsNaN(millis) {
		return 0, false, newError("D3110", s)
	}
	return millis, true, nil
}

// isoMillis interprets the groups of iso8601Regexp as JavaScript's
// Date.parse does for the date-time string format; NaN when invalid.
func isoMillis(g []string) float64 {
	num := func(s string) float64 { v, _ := strconv.Atoi(s); return float64(v) }
	year, month, day := num(g[1]), 1.0, 1.0
	if g[2] != "" {
		month = num(g[2][1:])
	}
	if g[3] != "" {
		if g[2] == "" {
			return math.NaN() // YYYY-DD is not a date form
		}
		day = num(g[3][1:])
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return math.NaN()
	}
	var h, m, sec, ms float64
	if g[4] != "" {
		h, m, sec = num(g[4][1:3]), num(g[4][4:6]), num(g[4][7:9])
	}
	if g[5] != "" {
		if g[4] == "" {
			return math.NaN() // a fraction needs a time
		}
		frac := (g[5][1:] + "00")[:3]
		ms = num(frac)
	}
	if h > 24 || h == 24 && (m != 0 || sec != 0 || ms != 0) {
		return math.NaN()
	}
	offset := 0.0
	if tz := g[6]; tz != "" && tz != "Z" {
		if g[4] == "" {
			return math.NaN() // a numeric offset needs a time
		}
		digits := strings.ReplaceAll(tz[1:], ":", "")
		oh, om := num(digits[:2]), num(digits[2:])
		if oh > 23 {
			return math.NaN()
		}
		offset = oh*60 + om
		if tz[0] == '-' {
			offset = -offset
		}
	}
	t := makeTime(year, month-1, day, h, m, sec, ms)
	return timeClip(t - offset*60*1000)
}
