package xpath

import (
	"fmt"
	"strings"
)

// Error is a dynamic error raised while analysing a picture string or
// formatting or parsing a value. Code is the JSONata error code (D3110,
// D3130-D3136 as the reference uses them, and D3150/D3151 for the limits
// this package adds); Message is a human-readable description.
type Error struct{ Code, Message string }

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Error codes this package adds to the reference's.
const (
	// codeLimit: a width modifier, digit count, output or parse input
	// exceeds the package's bounds.
	codeLimit = "D3150"
	// codeRange: a value is not finite or lies outside the range of a
	// JavaScript Date, or a timezone offset cannot be read.
	codeRange = "D3151"
)

// Limits that keep every function's work and output bounded.
const (
	// maxOutput caps the length in bytes of any formatted result.
	maxOutput = 64 << 10
	// maxWidth caps width modifiers and minimum digit counts in date/time
	// markers.
	maxWidth = 1000
	// maxMatchWork caps the product of input length and compiled pattern
	// size when parsing a timestamp against a picture.
	maxMatchWork = 1 << 22
)

// messages holds the reference's message templates; {{value}} is replaced.
var messages = map[string]string{
	"D3110": "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
	"D3130": "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation",
	"D3131": "In a decimal digit pattern, all digits must be from the same decimal group",
	"D3132": "Unknown component specifier {{value}} in date/time picture string",
	"D3133": "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}",
	"D3134": "The timezone integer format specifier cannot have more than four digits",
	"D3135": "No matching closing bracket ']' in date/time picture string",
	"D3136": "The date/time picture string is missing specifiers required to parse the timestamp",
}

// newError returns the reference's error for code, with value substituted.
func newError(code string, value any) *Error {
	msg := messages[code]
	if value != nil {
		msg = strings.ReplaceAll(msg, "{{value}}", fmt.Sprint(value))
	}
	return &Error{Code: code, Message: msg}
}

// limitError reports that what exceeds the package's bounds.
func limitError(format string, args ...any) *Error {
	return &Error{Code: codeLimit, Message: fmt.Sprintf(format, args...)}
}

// rangeError reports a value outside the representable range.
func rangeError(format string, args ...any) *Error {
	return &Error{Code: codeRange, Message: fmt.Sprintf(format, args...)}
}
