package signature

import "errors"

// Sentinel errors returned (wrapped in *Error) by Verify. Callers branch on
// them with errors.Is.
var (
	// ErrMissingHeader means a header the scheme needs is absent or empty.
	ErrMissingHeader = errors.New("missing signature header")
	// ErrMalformedHeader means a header is present but cannot be parsed.
	ErrMalformedHeader = errors.New("malformed signature header")
	// ErrSignatureMismatch means no signature in the request matches.
	ErrSignatureMismatch = errors.New("signature mismatch")
	// ErrOutsideTolerance means the signed timestamp is too far in the past
	// or the future.
	ErrOutsideTolerance = errors.New("timestamp outside tolerance")
	// ErrInvalidConfig is wrapped by every *ConfigError.
	ErrInvalidConfig = errors.New("invalid signature config")
)

// Error is a verification failure. Its message is safe to return to the
// sender of the webhook: it names the header involved, never the secret or a
// header's value.
type Error struct {
	// Err is one of ErrMissingHeader, ErrMalformedHeader,
	// ErrSignatureMismatch or ErrOutsideTolerance.
	Err error
	// Header is the name of the header involved, or empty.
	Header string
	// Reason is a short detail, or empty.
	Reason string
}

// Error returns e.g. "missing signature header X-Hub-Signature-256".
func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Header != "" {
		s += " " + e.Header
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the sentinel, so errors.Is(err, ErrSignatureMismatch) works.
func (e *Error) Unwrap() error { return e.Err }

// ConfigError reports a verification or signing configuration that cannot
// work. Field names the API field, e.g. "verification_secret" or
// "signing_config.algorithm".
type ConfigError struct {
	Field  string
	Reason string
}

// Error returns "<field>: <reason>".
func (e *ConfigError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

func missing(header string) error {
	return &Error{Err: ErrMissingHeader, Header: header}
}

func malformed(header, reason string) error {
	return &Error{Err: ErrMalformedHeader, Header: header, Reason: reason}
}

func mismatch(reason string) error {
	return &Error{Err: ErrSignatureMismatch, Reason: reason}
}

func outsideTolerance() error {
	return &Error{Err: ErrOutsideTolerance}
}
