package kv

import (
	"bytes"
	"encoding/binary"
	"time"
)

// key builds a bucket key from components whose byte order is their
// natural order: strings (escaped and terminated, so a string component is
// never a prefix of another), then fixed-width numbers and times.
type key []byte

// newKey returns an empty key with room for a typical index key.
func newKey() key { return make(key, 0, 64) }

// str appends s: every 0x00 becomes 0x00 0xFF, and 0x00 0x01 terminates.
func (k key) str(s string) key {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			k = append(k, 0, 0xFF)
		} else {
			k = append(k, s[i])
		}
	}
	return append(k, 0, 1)
}

// u64 appends n big-endian.
func (k key) u64(n uint64) key { return binary.BigEndian.AppendUint64(k, n) }

// inv appends ^n, so that larger numbers sort first.
func (k key) inv(n uint64) key { return k.u64(^n) }

// time appends t in time order.
func (k key) time(t time.Time) key { return k.u64(timeBits(t)) }

// newest appends t so that later times sort first.
func (k key) newest(t time.Time) key { return k.inv(timeBits(t)) }

// next returns the smallest key after every key that starts with k, which
// must end with a string component.
func (k key) next() key {
	n := append(key(nil), k...)
	n[len(n)-1]++
	return n
}

// timeBits maps t to an unsigned number in time order; the zero time maps
// to 0, before every other time.
func timeBits(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()) ^ 1<<63
}

// bitsTime is the inverse of timeBits, in UTC.
func bitsTime(b uint64) time.Time {
	if b == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(b^1<<63)).UTC()
}

// readStr reads a string component from the start of b and returns the
// rest; ok is false when b does not start with one.
func readStr(b []byte) (s string, rest []byte, ok bool) {
	escaped := false
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0 {
			continue
		}
		switch b[i+1] {
		case 1:
			if escaped {
				return string(bytes.ReplaceAll(b[:i], []byte{0, 0xFF}, []byte{0})), b[i+2:], true
			}
			return string(b[:i]), b[i+2:], true
		case 0xFF:
			escaped = true
			i++
		default:
			return "", nil, false
		}
	}
	return "", nil, false
}

// readU64 reads a number from the start of b and returns the rest.
func readU64(b []byte) (n uint64, rest []byte, ok bool) {
	if len(b) < 8 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint64(b), b[8:], true
}
