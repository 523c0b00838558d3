package js

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
)

// Base64Encode is the reference's $base64encode under Node.js:
// Buffer.from(s, 'binary').toString('base64'). Each UTF-16 code unit of s
// contributes its low byte (so "é" encodes as 0xE9 and "€", U+20AC, as
// 0xAC); the bytes are encoded with the standard, padded alphabet. Invalid
// UTF-8 in s is read as U+FFFD.
func Base64Encode(s string) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, len(units))
	for i, u := range units {
		b[i] = byte(u)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// b64Value maps a byte to its 6-bit value in Node's lenient base64 decoder,
// which accepts both the standard and the URL-safe alphabet, or -1.
func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}

// Base64Decode is the reference's $base64decode under Node.js:
// Buffer.from(s, 'base64').toString('binary'). Node's decoder is lenient: it
// reads the low byte of each UTF-16 code unit, skips characters outside
// both base64 alphabets (white space included), stops at the first '=',
// and decodes a trailing partial group of 2 or 3 characters to 1 or 2
// bytes. Each decoded byte becomes the character with that code (Latin-1).
// It never fails; the error result is always nil and exists for symmetry
// with the other decoders.
func Base64Decode(s string) (string, error) {
	var out strings.Builder
	var acc uint32
	n := 0
	for _, u := range utf16.Encode([]rune(s)) {
		c := byte(u)
		if c == '=' {
			break
		}
		v := b64Value(c)
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		switch n {
		case 2:
			out.WriteRune(rune(acc >> 4 & 0xFF))
		case 3:
			out.WriteRune(rune(acc >> 2 & 0xFF))
		case 4:
			out.WriteRune(rune(acc & 0xFF))
			acc, n = 0, 0
		}
	}
	return out.String(), nil
}
