package filter

import (
	"encoding/binary"
	"math/bits"
)

// validJSON reports whether data is one valid JSON value (RFC 8259), with
// optional surrounding white space: what json.Valid reports. It is the
// per-event check before payload rules read the body, so it is written for
// speed: iterative (no recursion, whatever the nesting), and scanning the
// inside of strings eight bytes at a time.
func validJSON(data []byte) bool {
	// stack holds the open containers: '{' or '['.
	var stack []byte
	i := skipSpace(data, 0)
	for {
		// A value is expected at i.
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '{':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			stack = append(stack, '{')
			var ok bool
			if i, ok = objectKey(data, i); !ok {
				return false
			}
			continue
		case c == '[':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			stack = append(stack, '[')
			continue
		case c == '"':
			var ok bool
			if i, ok = validString(data, i+1); !ok {
				return false
			}
		case c == '-' || c >= '0' && c <= '9':
			var ok bool
			if i, ok = validNumber(data, i); !ok {
				return false
			}
		default:
			var ok bool
			if i, ok = validLiteral(data, i); !ok {
				return false
			}
		}
		// A value ended at i: close containers, or expect the next one.
		for {
			i = skipSpace(data, i)
			if len(stack) == 0 {
				return i == len(data)
			}
			if i >= len(data) {
				return false
			}
			top := stack[len(stack)-1]
			switch {
			case data[i] == ',' && top == '[':
				i = skipSpace(data, i+1)
			case data[i] == ',' && top == '{':
				var ok bool
				if i, ok = objectKey(data, skipSpace(data, i+1)); !ok {
					return false
				}
			case data[i] == ']' && top == '[', data[i] == '}' && top == '{':
				stack = stack[:len(stack)-1]
				i++
				continue
			default:
				return false
			}
			break
		}
	}
}

// objectKey reads `"key" :` at i and returns where the value starts.
func objectKey(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false
	}
	i, ok := validString(data, i+1)
	if !ok {
		return i, false
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return i, false
	}
	return skipSpace(data, i+1), true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special reports, for each byte of w, whether it is a quote, a backslash
// or a control character, as a mask with the high bit of such bytes set.
func special(w uint64) uint64 {
	quote := w ^ (lows * '"')
	backslash := w ^ (lows * '\\')
	// x-lows has its high bit set where x was 0 (or at least 0x81); &^x
	// keeps only bytes of x below 0x80, so only true zeros and, for the
	// control test, bytes below 0x20 remain.
	zero := func(x uint64) uint64 { return (x - lows) &^ x & highs }
	control := (w - lows*0x20) &^ w & highs
	return zero(quote) | zero(backslash) | control
}

// validString scans a string whose opening quote is before i and returns
// the index after its closing quote.
func validString(data []byte, i int) (int, bool) {
	for {
		for i+8 <= len(data) {
			m := special(binary.LittleEndian.Uint64(data[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(data) {
			return i, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c < ' ':
			return i, false
		case c == '\\':
			if i+1 >= len(data) {
				return i, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++ // a plain byte found by the tail loop
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}

func validLiteral(data []byte, i int) (int, bool) {
	for _, lit := range []string{"true", "false", "null"} {
		if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
			return i + len(lit), true
		}
	}
	return i, false
}
