package hookstream

import (
	"errors"
	"fmt"

	"github.com/hookstream-go/hookstream/store"
)

// Errors callers branch on with errors.Is. The REST handler maps each to its
// status code; the error's message is what the API shows.
var (
	// ErrNotFound: the resource does not exist in the caller's tenant
	// (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a slug or subscription is taken, or a resource is still
	// in use (409).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the request is refused (403), e.g. a disabled source or
	// a blocked IP.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: no valid credentials (401), e.g. a missing API key or
	// a webhook signature that does not verify.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrTooLarge: a body exceeds its limit (413).
	ErrTooLarge = errors.New("body too large")
)

// ValidationError reports an invalid input field (400).
type ValidationError struct {
	// Field names the offending field, e.g. "slug" or "filter_rules[2]".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns the message the REST API shows.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("Invalid body: '%s' %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// messageError is a sentinel kind with the message shown to API clients.
type messageError struct {
	kind error
	msg  string
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.kind }

func withMessage(kind error, msg string) error { return &messageError{kind: kind, msg: msg} }

// storeError translates a store error into the Router's error for a
// resource called name (e.g. "Source").
func storeError(err error, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return withMessage(ErrNotFound, name+" not found")
	case errors.Is(err, store.ErrConflict):
		return withMessage(ErrConflict, "Slug already exists")
	}
	return err
}
