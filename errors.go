package hookstream

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/hookstream-go/hookstream/store"
)

// Errors callers branch on with errors.Is. The REST handler maps each to its
// status code. ErrNotFound and ErrConflict are the store's own sentinels, so
// errors.Is holds with either package's.
var (
	// ErrNotFound: the resource does not exist in the caller's tenant
	// (404).
	ErrNotFound = store.ErrNotFound
	// ErrConflict: a slug or subscription is taken, or a resource is still
	// in use (409).
	ErrConflict = store.ErrConflict
	// ErrForbidden: the request is refused (403), e.g. a disabled source, a
	// blocked IP or an environment the caller cannot act for.
	ErrForbidden = errors.New("hookstream: forbidden")
	// ErrUnauthorized: no valid credentials (401), e.g. a missing API key or
	// a webhook signature that does not verify.
	ErrUnauthorized = errors.New("hookstream: unauthorized")
	// ErrTooLarge: a body exceeds its limit (413).
	ErrTooLarge = errors.New("hookstream: body too large")
)

// ValidationError reports an invalid input field (400).
type ValidationError struct {
	// Resource names the kind of resource the input is for, e.g.
	// "connection" (empty when the input is not a resource's).
	Resource string
	// Field names the offending field as the REST API spells it, e.g. "slug"
	// or "filter_rules[2]".
	Field string
	// Reason says what is wrong with it, e.g. "is required".
	Reason string
}

// Error returns a message such as "hookstream: connection name is required".
func (e *ValidationError) Error() string {
	subject := e.Field
	if e.Resource != "" {
		subject = e.Resource + " " + e.Field
	}
	return "hookstream: " + subject + " " + e.Reason
}

// wire is the message the REST API shows, e.g. "Invalid body: 'name' is
// required".
func (e *ValidationError) wire() string {
	return fmt.Sprintf("Invalid body: '%s' %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// forResource names the resource of a ValidationError err is, if it is one.
func forResource(err error, resource string) error {
	var ve *ValidationError
	if errors.As(err, &ve) && ve.Resource == "" {
		ve.Resource = resource
	}
	return err
}

// messageError is a sentinel kind with the message the REST API shows and
// the Go error text.
type messageError struct {
	kind error
	// wire is what API clients see, e.g. "Source not found".
	wire string
	// text is the Go error text; empty derives it from wire ("hookstream:
	// source not found").
	text string
}

func (e *messageError) Error() string {
	if e.text != "" {
		return e.text
	}
	return "hookstream: " + lowerFirst(e.wire)
}

func (e *messageError) Unwrap() error { return e.kind }

// withMessage returns an error of kind whose REST message is msg.
func withMessage(kind error, msg string) error { return &messageError{kind: kind, wire: msg} }

// lowerFirst lower-cases the first letter of a sentence, unless it starts
// an acronym ("API key …" stays).
func lowerFirst(s string) string {
	first, n := utf8.DecodeRuneInString(s)
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(first)) + s[n:]
}

// storeError translates a store error into the Router's error for a
// resource called name (e.g. "Source").
func storeError(err error, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return withMessage(ErrNotFound, name+" not found")
	case errors.Is(err, store.ErrConflict):
		return &messageError{kind: ErrConflict, wire: "Slug already exists", text: "hookstream: " + lowerFirst(name) + " slug already exists"}
	}
	return err
}
