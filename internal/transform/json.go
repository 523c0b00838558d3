package transform

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hookstream-go/hookstream/internal/transform/js"
)

// maxInputDepth bounds the nesting of a decoded input document.
const maxInputDepth = 512

// decodeJSON parses one JSON document into evaluator values, keeping the
// order of object keys (a repeated key keeps its first position and its
// last value, as JSON.parse does).
func decodeJSON(data []byte) (any, error) { return decodeProjected(data, everything) }

// decodeProjected is decodeJSON building only what nd reads (see need):
// the rest is checked and skipped.
func decodeProjected(data []byte, nd *need) (any, error) {
	// One copy of the body: the strings decoded without escapes are
	// substrings of it, allocated nothing more.
	d := decoder{data: string(data), stack: stacksPool.Get().(*stacks)}
	defer d.stack.release()
	d.skipSpace()
	v, err := d.value(0, nd)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after the document")
	}
	return v, nil
}

// decoder reads one document. Objects and arrays gather their members on
// the stacks and are made once, at their exact size, when they close; the
// objects and their key and value slices are carved from chunks shared by
// the document, so that a small object costs no allocation of its own.
type decoder struct {
	data  string
	pos   int
	stack *stacks
	// The unused parts of the current chunks.
	objChunk []object
	keyChunk []string
	valChunk []any
}

// stacks holds the members of the objects and arrays being decoded.
type stacks struct {
	keys []string
	vals []any
}

// stacksPool lends stacks to decodes, empty.
var stacksPool = sync.Pool{New: func() any { return new(stacks) }}

// maxPooledMembers is the largest stack the pool keeps: a document with
// more members at once does not leave its stacks' memory behind.
const maxPooledMembers = 1024

// release empties the stacks, dropping every pointer into the document,
// and gives them back to the pool.
func (s *stacks) release() {
	if cap(s.keys) > maxPooledMembers || cap(s.vals) > maxPooledMembers {
		return
	}
	clear(s.keys[:cap(s.keys)])
	clear(s.vals[:cap(s.vals)])
	s.keys, s.vals = s.keys[:0], s.vals[:0]
	stacksPool.Put(s)
}

// Chunk sizes: how many objects, and how many keys or values, a chunk
// holds (a larger object or array gets slices of its own).
const (
	objectChunk = 8
	memberChunk = 32
)

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrInvalidInput, d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes a value that nd reads; with a nil nd, it checks it and
// returns nil.
func (d *decoder) value(depth int, nd *need) (any, error) {
	if depth > maxInputDepth {
		return nil, d.errorf("nested more than %d levels", maxInputDepth)
	}
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth, nd)
	case c == '[':
		return d.array(depth, nd)
	case c == '"':
		s, err := d.string()
		if err != nil || nd == nil {
			return nil, err // a string nothing reads is not boxed
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(nd != nil)
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return null, nil
	}
	return nil, d.errorf("invalid character %q", d.data[d.pos])
}

func (d *decoder) literal(s string) bool {
	if len(d.data)-d.pos >= len(s) && d.data[d.pos:d.pos+len(s)] == s {
		d.pos += len(s)
		return true
	}
	return false
}

func (d *decoder) object(depth int, nd *need) (any, error) {
	d.pos++ // {
	keys, vals := len(d.stack.keys), len(d.stack.vals)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.makeObject(keys, vals, nd), nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected a string key")
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':'")
		}
		d.pos++
		d.skipSpace()
		child := nd.child(k)
		v, err := d.value(depth+1, child)
		if err != nil {
			return nil, err
		}
		if child != nil {
			d.stack.keys, d.stack.vals = append(d.stack.keys, k), append(d.stack.vals, v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.makeObject(keys, vals, nd), nil
		default:
			return nil, d.errorf("expected ',' or '}'")
		}
	}
}

// makeObject makes the object of the members gathered on the stacks above
// the heights keys and vals, and pops them; nil for an object nothing
// reads (nd nil, no members gathered).
func (d *decoder) makeObject(keys, vals int, nd *need) any {
	if nd == nil {
		return nil
	}
	n := len(d.stack.keys) - keys
	if len(d.objChunk) == 0 {
		d.objChunk = make([]object, objectChunk)
	}
	o := &d.objChunk[0]
	d.objChunk = d.objChunk[1:]
	o.keys, o.vals, o.input = carve(&d.keyChunk, n), carve(&d.valChunk, n), true
	for i, k := range d.stack.keys[keys:] {
		o.set(k, d.stack.vals[vals+i])
	}
	d.stack.keys, d.stack.vals = d.stack.keys[:keys], d.stack.vals[:vals]
	return o
}

// carve returns an empty slice with room for n from the chunk, which it
// refills when short; the slice's capacity ends at n, so an append to it
// never writes into the chunk.
func carve[T any](chunk *[]T, n int) []T {
	if n > memberChunk/2 {
		return make([]T, 0, n)
	}
	if len(*chunk) < n {
		*chunk = make([]T, memberChunk)
	}
	s := (*chunk)[:0:n]
	*chunk = (*chunk)[n:]
	return s
}

func (d *decoder) array(depth int, nd *need) (any, error) {
	d.pos++ // [
	base := len(d.stack.vals)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		if nd == nil {
			return nil, nil
		}
		return &array{}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth+1, nd)
		if err != nil {
			return nil, err
		}
		if nd != nil {
			d.stack.vals = append(d.stack.vals, v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			if nd == nil {
				return nil, nil
			}
			items := d.stack.vals[base:]
			a := &array{items: append(carve(&d.valChunk, len(items)), items...)}
			d.stack.vals = d.stack.vals[:base]
			return a, nil
		default:
			return nil, d.errorf("expected ',' or ']'")
		}
	}
}

// number reads a number, and converts it when keep.
func (d *decoder) number(keep bool) (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if !keep {
		return nil, nil
	}
	f, err := strconv.ParseFloat(d.data[start:d.pos], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, d.errorf("invalid number")
	}
	return f, nil
}

func (d *decoder) string() (string, error) {
	d.pos++ // "
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in string")
		}
		d.pos++
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				save := d.pos
				if d.literal("\\u") {
					if r2, ok := d.hex4(); ok {
						if dr := utf16.DecodeRune(r, r2); dr != utf8.RuneError {
							buf = utf8.AppendRune(buf, dr)
							continue
						}
					}
				}
				d.pos = save
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("invalid escape")
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(d.data[d.pos:d.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(n), true
}

// errTooLarge is returned by the encoder when the output exceeds its limit.
var errTooLarge = errors.New("too large")

// encoder writes values as JSON.stringify does: numbers in JavaScript's
// form, functions as "" (or left out as object values), keys in order.
type encoder struct {
	buf    []byte
	max    int    // the output limit in bytes
	indent string // "" for compact output
	// precision15 formats numbers as $string does (15 significant digits).
	precision15 bool
}

func (e *encoder) encode(v any, depth int) error {
	if len(e.buf) > e.max {
		return errTooLarge
	}
	if depth > maxEncodeDepth {
		return errors.New("value nested too deeply to encode")
	}
	switch x := v.(type) {
	case nil, jsonNull:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			e.buf = append(e.buf, "null"...)
		} else if e.precision15 {
			e.buf = append(e.buf, js.FormatForString(x)...)
		} else {
			e.buf = js.AppendNumber(e.buf, x)
		}
	case string:
		e.buf = appendQuoted(e.buf, x)
	case *array:
		e.buf = append(e.buf, '[')
		for i, it := range x.items {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			if isFunction(it) || it == nil {
				// JSON.stringify writes functions and undefined in arrays as null;
				// the reference's replacer writes functions as "".
				if isFunction(it) {
					e.buf = append(e.buf, `""`...)
				} else {
					e.buf = append(e.buf, "null"...)
				}
				continue
			}
			if err := e.encode(it, depth+1); err != nil {
				return err
			}
		}
		if len(x.items) > 0 {
			e.newline(depth)
		}
		e.buf = append(e.buf, ']')
	case *object:
		e.buf = append(e.buf, '{')
		n := 0
		for i, k := range x.keys {
			val := x.vals[i]
			if val == nil {
				continue
			}
			if n > 0 {
				e.buf = append(e.buf, ',')
			}
			n++
			e.newline(depth + 1)
			e.buf = appendQuoted(e.buf, k)
			e.buf = append(e.buf, ':')
			if e.indent != "" {
				e.buf = append(e.buf, ' ')
			}
			if isFunction(val) {
				e.buf = append(e.buf, `""`...)
				continue
			}
			if err := e.encode(val, depth+1); err != nil {
				return err
			}
		}
		if n > 0 {
			e.newline(depth)
		}
		e.buf = append(e.buf, '}')
	case *tuple:
		return e.encode(x.at, depth)
	default:
		if isFunction(v) {
			e.buf = append(e.buf, `""`...)
			return nil
		}
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

const maxEncodeDepth = 10000

func (e *encoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.indent...)
	}
}

// appendQuoted writes s as a JSON string, escaping as JSON.stringify does
// (no HTML escaping).
func appendQuoted(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"':
				buf = append(buf, '\\', '"')
			case '\\':
				buf = append(buf, '\\', '\\')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
