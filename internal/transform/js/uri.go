package js

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

const (
	// uriUnreservedMarks are the characters besides ASCII letters and digits
	// that encodeURIComponent leaves alone.
	uriUnreservedMarks = "-_.!~*'()"
	// uriReserved are the characters encodeURI additionally leaves alone and
	// decodeURI does not decode (";/?:@&=+$," plus "#").
	uriReserved = ";/?:@&=+$,#"
)

// EncodeURIComponent is JavaScript's encodeURIComponent: every character
// except ASCII letters, digits and -_.!~*'() is replaced by the
// percent-encoding (upper-case hex) of its UTF-8 bytes. Invalid UTF-8 in s
// (the Go counterpart of a lone surrogate) fails with D3140.
func EncodeURIComponent(s string) (string, error) {
	return uriEncode(s, uriUnreservedMarks, "encodeUrlComponent")
}

// EncodeURI is JavaScript's encodeURI: like EncodeURIComponent but it also
// leaves the URI reserved characters ;/?:@&=+$,# unescaped.
func EncodeURI(s string) (string, error) {
	return uriEncode(s, uriUnreservedMarks+uriReserved, "encodeUrl")
}

// DecodeURIComponent is JavaScript's decodeURIComponent: every %XX escape
// sequence, which must form valid UTF-8 (no overlong forms, surrogates or
// code points beyond U+10FFFF), is decoded; other characters are copied.
// Malformed input fails with D3140.
func DecodeURIComponent(s string) (string, error) {
	return uriDecode(s, "", "decodeUrlComponent")
}

// DecodeURI is JavaScript's decodeURI: like DecodeURIComponent except that an
// escape decoding to one of the reserved characters ;/?:@&=+$,# is kept as
// written (so "%2F" stays "%2F").
func DecodeURI(s string) (string, error) {
	return uriDecode(s, uriReserved, "decodeUrl")
}

// uriError is the reference's D3140 error for function fn and input s.
func uriError(fn, s string) *Error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // cannot fail for a string
	return &Error{
		Code:    "D3140",
		Message: "Malformed URL passed to $" + fn + "(): " + strings.TrimSuffix(buf.String(), "\n"),
	}
}

func uriIsAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func uriEncode(s, keep, fn string) (string, error) {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if uriIsAlnum(c) || strings.IndexByte(keep, c) >= 0 {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", uriError(fn, s)
		}
		for j := i; j < i+size; j++ {
			b.WriteByte('%')
			b.WriteByte(hex[s[j]>>4])
			b.WriteByte(hex[s[j]&15])
		}
		i += size
	}
	return b.String(), nil
}

func uriUnhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// uriOctet decodes the escape %XX at s[k:k+3].
func uriOctet(s string, k int) (byte, bool) {
	if k+2 >= len(s) || s[k] != '%' {
		return 0, false
	}
	hi, ok1 := uriUnhex(s[k+1])
	lo, ok2 := uriUnhex(s[k+2])
	return hi<<4 | lo, ok1 && ok2
}

// uriDecode is the ECMAScript Decode abstract operation; escapes decoding to
// an ASCII character in reserved are copied verbatim.
func uriDecode(s, reserved, fn string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	var octets [4]byte
	for k := 0; k < len(s); {
		if s[k] != '%' {
			b.WriteByte(s[k])
			k++
			continue
		}
		start := k
		c, ok := uriOctet(s, k)
		if !ok {
			return "", uriError(fn, s)
		}
		k += 3
		if c < 0x80 {
			if strings.IndexByte(reserved, c) >= 0 {
				b.WriteString(s[start:k])
			} else {
				b.WriteByte(c)
			}
			continue
		}
		n := 0
		for x := c; x&0x80 != 0; x <<= 1 {
			n++
		}
		if n == 1 || n > 4 {
			return "", uriError(fn, s)
		}
		octets[0] = c
		for j := 1; j < n; j++ {
			o, ok := uriOctet(s, k)
			if !ok || o&0xC0 != 0x80 {
				return "", uriError(fn, s)
			}
			octets[j] = o
			k += 3
		}
		if !utf8.Valid(octets[:n]) {
			return "", uriError(fn, s)
		}
		b.Write(octets[:n])
	}
	return b.String(), nil
}
