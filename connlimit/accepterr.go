//go:build !plan9

package connlimit

import (
	"errors"
	"syscall"
)

// isFileLimit reports whether an accept failed because the process or the
// system ran out of file descriptors.
func isFileLimit(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
