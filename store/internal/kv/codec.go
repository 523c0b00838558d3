package kv

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// The hot records (events, deliveries, attempts, event states) are kept in
// a compact binary form: a leading format byte, recCompactIDs, then fields in a
// fixed order per record type, each self-delimiting:
//
//   - numbers are varints (unsigned, or zigzag for signed ones);
//   - strings are a uvarint length and the bytes;
//   - "words", fields that mostly hold one of a few known strings (states,
//     triggers, methods, header names and common values), are a uvarint
//     code: 0 and a string, or the index (from 1) of a reference (see
//     below) or of an entry of the words table;
//   - IDs (id fields) of the form hookstream makes, a known prefix and 32
//     lowercase hex digits, are the prefix's code in idPrefixes (from 1)
//     and the 16 bytes the digits spell; any other ID is 0 and a string;
//   - maps are a uvarint of their length plus one (0 for nil, so nil and
//     empty maps stay apart), then sorted key and value words;
//   - times are a tag byte: zero time; UTC nanoseconds since the epoch; the
//     same relative to the first time of the record; or time.MarshalBinary
//     for other offsets and for times out of the nanosecond range. Like
//     JSON, they keep the instant and offset, not the zone's name, and a
//     time at offset 0 comes back in UTC;
//   - an event's body is the rest of its record, raw, after a flags byte
//     (records.go).
//
// Records written before this format are an 8-byte big-endian sequence
// number and JSON: their first byte is 0 (for any sequence number below
// 2^56), so the first byte tells the two apart; both are read.

// The first byte of a record in the binary format: recCompactIDs, which
// new records have, stores their ID fields as id fields; recBinary, of
// earlier versions, as strings.
const (
	recBinary     = 0x01
	recCompactIDs = 0x02
)

// isLegacy reports whether v is a record of the JSON era (seq + JSON).
func isLegacy(v []byte) bool { return len(v) > 0 && v[0] != recBinary && v[0] != recCompactIDs }

// words are the strings that "word" fields encode as one byte. Append only:
// a code, once written, must keep its meaning.
var words = [...]string{
	"",
	// delivery states, attempt statuses, triggers, event statuses
	"pending", "succeeded", "dead", "success", "failed",
	"initial", "retry", "manual", "replay",
	"received", "processing", "delivered",
	"unique", "duplicate", "verified", "unverified", "schema_invalid",
	// methods
	"POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
	// header names, canonical
	"Accept", "Accept-Encoding", "Authorization", "Cache-Control", "Connection",
	"Content-Encoding", "Content-Length", "Content-Type", "Date", "Etag",
	"Host", "Idempotency-Key", "Server", "Strict-Transport-Security",
	"Traceparent", "Transfer-Encoding", "User-Agent", "Vary", "Via",
	"X-Amzn-Trace-Id", "X-Cache", "X-Content-Type-Options", "X-Forwarded-For",
	"X-Forwarded-Proto", "X-Frame-Options", "X-Powered-By", "X-Request-Id",
	"X-Runtime", "Webhook-Id", "Webhook-Signature", "Webhook-Timestamp",
	"Cf-Ray", "Alt-Svc", "Access-Control-Allow-Origin", "Keep-Alive",
	// common values
	"application/json", "application/json; charset=utf-8", "text/plain",
	"text/plain; charset=utf-8", "text/html; charset=utf-8",
	"application/x-www-form-urlencoded", "keep-alive", "close", "gzip",
	"*/*", "nginx", "cloudflare", "chunked", "nosniff", "0", "1", "2",
	"Go-http-client/1.1", "Go-http-client/2.0", "hookstream",
}

// idPrefixes are the prefixes of the IDs that id fields store in 16 bytes.
// Append only: a code, once written, must keep its meaning.
var idPrefixes = [...]string{
	"evt_", "dlv_", "da_", "src_", "dst_", "conn_", "sub_", "top_", "org_", "env_", "rpl_",
}

// compactID returns the code of s's prefix and the bytes of its digits,
// when s is a known prefix and 32 lowercase hex digits.
func compactID(s string) (code uint64, raw [16]byte, ok bool) {
	for i, p := range idPrefixes {
		digits, found := strings.CutPrefix(s, p)
		if !found {
			continue
		}
		if len(digits) != 32 || !isLowerHex(digits) {
			return 0, raw, false
		}
		hex.Decode(raw[:], []byte(digits))
		return uint64(i) + 1, raw, true
	}
	return 0, raw, false
}

// isLowerHex reports whether s is lowercase hex digits only (the only
// digits that compactID's decoding gives back unchanged).
func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// idValueMark starts the value of an index entry that names an ID in the
// compact form (idValue). IDs are UTF-8, whose bytes are never 0xFF, so an
// ID written as its bytes, as earlier versions wrote every one, never
// starts with it.
const idValueMark = 0xFF

// idValue returns the value of an index entry that names id: idValueMark
// and an id field for IDs of the form hookstream makes (18 bytes instead
// of 36), the ID's bytes otherwise.
func idValue(id string) []byte {
	code, raw, ok := compactID(id)
	if !ok {
		return []byte(id)
	}
	return append(binary.AppendUvarint([]byte{idValueMark}, code), raw[:]...)
}

// readIDValue returns the ID an index entry's value v names (idValue);
// ok is false for a malformed compact value.
func readIDValue(v []byte) (id string, ok bool) {
	if len(v) == 0 || v[0] != idValueMark {
		return string(v), true
	}
	r := &dec{b: v[1:]}
	id = r.id()
	return id, r.done()
}

var wordCodes = func() map[string]uint64 {
	m := make(map[string]uint64, len(words))
	for i, w := range words {
		m[w] = uint64(i) + 1
	}
	return m
}()

// Time tags.
const (
	timeZero     = 0
	timeUTC      = 1 // varint nanoseconds since the epoch
	timeRelative = 2 // varint nanoseconds after the record's base time
	timeBinary   = 3 // length and time.MarshalBinary
)

// enc appends fields to a record.
type enc struct {
	b       []byte
	base    int64 // UnixNano of the first UTC time written
	hasBase bool
	refs    []string // strings words may refer to, before the table
}

func newEnc(size int) *enc { return &enc{b: append(make([]byte, 0, size), recCompactIDs)} }

func (e *enc) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *enc) varint(n int64)   { e.b = binary.AppendVarint(e.b, n) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) word(s string) {
	for i, r := range e.refs {
		if r == s && s != "" {
			e.uvarint(uint64(i) + 1)
			return
		}
	}
	if c, ok := wordCodes[s]; ok {
		e.uvarint(uint64(len(e.refs)) + c)
		return
	}
	e.uvarint(0)
	e.str(s)
}

func (e *enc) id(s string) {
	if code, raw, ok := compactID(s); ok {
		e.uvarint(code)
		e.b = append(e.b, raw[:]...)
		return
	}
	e.uvarint(0)
	e.str(s)
}

func (e *enc) strMap(m map[string]string) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.word(k)
		e.word(m[k])
	}
}

func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, timeZero)
		return
	}
	if _, offset := t.Zone(); offset == 0 { // UTC, as JSON reads "Z" back
		t = t.UTC()
		if n := t.UnixNano(); time.Unix(0, n).Equal(t) {
			if e.hasBase {
				e.b = append(e.b, timeRelative)
				e.varint(n - e.base)
				return
			}
			e.base, e.hasBase = n, true
			e.b = append(e.b, timeUTC)
			e.varint(n)
			return
		}
	}
	data, err := t.MarshalBinary()
	if err != nil { // an offset that is not a whole minute: keep the instant
		data, _ = t.UTC().MarshalBinary()
	}
	e.b = append(e.b, timeBinary)
	e.uvarint(uint64(len(data)))
	e.b = append(e.b, data...)
}

// dec reads fields of a record; a read past the end or of a malformed
// field sets bad and returns zero values from then on.
type dec struct {
	b          []byte
	bad        bool
	base       int64
	hasBase    bool
	refs       []string
	compactIDs bool // a recCompactIDs record: recordID reads id fields
}

// newDec returns a decoder of the binary record v (its format byte
// skipped).
func newDec(v []byte) *dec {
	if len(v) == 0 || (v[0] != recBinary && v[0] != recCompactIDs) {
		return &dec{bad: true}
	}
	return &dec{b: v[1:], compactIDs: v[0] == recCompactIDs}
}

func (d *dec) uvarint() uint64 {
	if d.bad {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) varint() int64 {
	if d.bad {
		return 0
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) int() int { return int(d.varint()) }

func (d *dec) bool() bool {
	if d.bad || len(d.b) == 0 || d.b[0] > 1 {
		d.bad = true
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

// u8 reads one raw byte.
func (d *dec) u8() byte {
	if d.bad || len(d.b) == 0 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) bytes() []byte {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) word() string {
	c := d.uvarint()
	switch {
	case d.bad:
		return ""
	case c == 0:
		return d.str()
	case c <= uint64(len(d.refs)):
		return d.refs[c-1]
	case c-uint64(len(d.refs)) <= uint64(len(words)):
		return words[c-uint64(len(d.refs))-1]
	}
	d.bad = true
	return ""
}

func (d *dec) id() string {
	c := d.uvarint()
	switch {
	case d.bad:
		return ""
	case c == 0:
		return d.str()
	case c > uint64(len(idPrefixes)) || len(d.b) < 16:
		d.bad = true
		return ""
	}
	s := idPrefixes[c-1] + hex.EncodeToString(d.b[:16])
	d.b = d.b[16:]
	return s
}

// recordID reads an ID field of a record: an id field in records of
// recCompactIDs, a string in those of recBinary.
func (d *dec) recordID() string {
	if d.compactIDs {
		return d.id()
	}
	return d.str()
}

func (d *dec) strMap() map[string]string {
	n := d.uvarint()
	if d.bad || n == 0 {
		return nil
	}
	n--
	if n > uint64(len(d.b)) { // every entry takes two bytes at least
		d.bad = true
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.word()
		m[k] = d.word()
	}
	return m
}

func (d *dec) time() time.Time {
	if d.bad || len(d.b) == 0 {
		d.bad = true
		return time.Time{}
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case timeZero:
		return time.Time{}
	case timeUTC:
		n := d.varint()
		d.base, d.hasBase = n, true
		return time.Unix(0, n).UTC()
	case timeRelative:
		if !d.hasBase {
			d.bad = true
			return time.Time{}
		}
		return time.Unix(0, d.base+d.varint()).UTC()
	case timeBinary:
		var t time.Time
		if data := d.bytes(); !d.bad && t.UnmarshalBinary(data) != nil {
			d.bad = true
		}
		return t
	}
	d.bad = true
	return time.Time{}
}

// rest returns what is left of the record.
func (d *dec) rest() []byte {
	if d.bad {
		return nil
	}
	v := d.b
	d.b = nil
	return v
}

// done reports whether the record was read whole and well formed.
func (d *dec) done() bool { return !d.bad && len(d.b) == 0 }
