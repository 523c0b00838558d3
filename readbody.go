package hookstream

import (
	"errors"
	"io"
)

// maxPresized bounds the buffer readBody makes before any byte arrives: a
// client that declares a large body and sends it slowly holds no more
// memory than it sent, beyond this.
const maxPresized = 16 << 10

// readBody reads r to its end, but no more than limit+1 bytes (so that a
// caller sees a body over limit), into a buffer sized once when size, a
// declared Content-Length (-1 for unknown), fits the limit and
// maxPresized. A body that is not the size it declares is still read
// whole: longer, the rest is appended; shorter, what came is returned.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	if size < 0 || size > limit || size > maxPresized {
		return io.ReadAll(lr)
	}
	buf := make([]byte, size)
	n, err := io.ReadFull(lr, buf)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return buf[:n], nil
	case err != nil:
		return buf[:n], err
	}
	// All that was declared came; look for more without allocating for
	// the common case, the end.
	var probe [1]byte
	for {
		m, err := lr.Read(probe[:])
		if m > 0 {
			rest, err := io.ReadAll(lr)
			return append(append(buf, probe[0]), rest...), err
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
