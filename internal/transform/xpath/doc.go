// Package xpath formats and parses numbers and dates with XPath/XQuery F&O
// 3.1 picture strings, as JSONata 2.x does.
//
// The date/time and integer functions port jsonata-js 2.2.2
// (src/datetime.js), including its JavaScript Date semantics: timestamps
// are milliseconds since the epoch in the proleptic Gregorian calendar,
// restricted to the range of a JavaScript Date (±8.64e15 ms), and years 0
// to 99 given to Date.UTC are read as 1900 to 1999 exactly where the
// reference calls Date.UTC.
//
// Every function's work and output is bounded: outputs are capped at
// 64 KiB, width modifiers at 1000, and no loop depends on the magnitude of
// a float input. Exceeding a bound returns an *Error with code D3150; a
// non-finite or out-of-range value returns an *Error with code D3151.
package xpath
