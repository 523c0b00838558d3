package js

// Error is a JSONata-style error raised by this package. Code is the
// reference's error code (for example "D3140") and Message the reference's
// message with its placeholders filled in.
type Error struct {
	Code    string
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }
