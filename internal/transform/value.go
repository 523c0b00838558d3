package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// null is jsonata-go's JSON null: a nil *interface{}. A nil interface{}
// (what encoding/json produces for null) is treated as a missing value.
var null = (*any)(nil)

// decodeInput parses body into the values jsonata-go evaluates, with JSON
// null preserved as null.
func decodeInput(body []byte) (any, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	return withNulls(v), nil
}

func withNulls(v any) any {
	switch t := v.(type) {
	case nil:
		return null
	case map[string]any:
		for k, e := range t {
			t[k] = withNulls(e)
		}
	case []any:
		for i, e := range t {
			t[i] = withNulls(e)
		}
	}
	return v
}

// errTooLarge is returned by the encoder when the output exceeds its
// budget.
var errTooLarge = errors.New("too large")

// encodeResult encodes an evaluation result as JSON of at most max bytes.
// The result must be an object or an array. Object keys are sorted, as
// encoding/json sorts them; HTML characters are not escaped.
func encodeResult(v any, max int) ([]byte, error) {
	switch rv := deref(reflect.ValueOf(v)); rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
	case reflect.Invalid:
		return nil, fmt.Errorf("%w, got null", ErrNotObject)
	case reflect.String:
		return nil, fmt.Errorf("%w, got a string", ErrNotObject)
	case reflect.Bool:
		return nil, fmt.Errorf("%w, got a boolean", ErrNotObject)
	case reflect.Float64, reflect.Int:
		return nil, fmt.Errorf("%w, got a number", ErrNotObject)
	default:
		return nil, fmt.Errorf("%w, got %s", ErrNotObject, rv.Type())
	}
	e := encoder{max: max}
	if err := e.value(reflect.ValueOf(v), 0); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrOutputTooLarge, max)
		}
		return nil, err
	}
	return e.buf, nil
}

// deref follows interfaces and pointers; the result is invalid for nil.
func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// encoder writes JSON into buf and stops once buf would exceed max bytes,
// so an oversized result costs at most max bytes of output.
type encoder struct {
	buf []byte
	max int
}

const maxEncodeDepth = 10000

func (e *encoder) grow(n int) error {
	if len(e.buf)+n > e.max {
		return errTooLarge
	}
	return nil
}

func (e *encoder) write(s string) error {
	if err := e.grow(len(s)); err != nil {
		return err
	}
	e.buf = append(e.buf, s...)
	return nil
}

var typeMarshaler = reflect.TypeFor[json.Marshaler]()

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > maxEncodeDepth {
		return errors.New("result nests too deeply")
	}
	if v.IsValid() && v.Kind() != reflect.Interface && v.Type().Implements(typeMarshaler) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return e.write("null")
		}
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			return err
		}
		return e.write(c.String())
	}
	switch v.Kind() {
	case reflect.Invalid:
		return e.write("null")
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return e.write("null")
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Bool:
		if v.Bool() {
			return e.write("true")
		}
		return e.write("false")
	case reflect.Float32, reflect.Float64:
		return e.float(v.Float())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.write(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.write(strconv.FormatUint(v.Uint(), 10))
	case reflect.String:
		return e.string(v.String())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return e.write("null")
		}
		if err := e.write("["); err != nil {
			return err
		}
		for i := range v.Len() {
			if i > 0 {
				if err := e.write(","); err != nil {
					return err
				}
			}
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		return e.write("]")
	case reflect.Map:
		if v.IsNil() {
			return e.write("null")
		}
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("cannot encode a map keyed by %s", v.Type().Key())
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch x, y := a.String(), b.String(); {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		if err := e.write("{"); err != nil {
			return err
		}
		for i, k := range keys {
			if i > 0 {
				if err := e.write(","); err != nil {
					return err
				}
			}
			if err := e.string(k.String()); err != nil {
				return err
			}
			if err := e.write(":"); err != nil {
				return err
			}
			if err := e.value(v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
		return e.write("}")
	case reflect.Func:
		return e.write(`""`)
	}
	if v.CanInterface() {
		// Anything else jsonata-go may produce (a struct, ...).
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return err
		}
		return e.write(string(b))
	}
	return fmt.Errorf("cannot encode %s", v.Type())
}

// float writes f as encoding/json does.
func (e *encoder) float(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("cannot encode number %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return e.write(string(b))
}

const hex = "0123456789abcdef"

// string writes s as a JSON string: invalid UTF-8 becomes U+FFFD, control
// characters and U+2028/U+2029 are escaped.
func (e *encoder) string(s string) error {
	// Each byte expands to at most 6 bytes; check the common case cheaply.
	if err := e.grow(len(s) + 2); err != nil {
		return err
	}
	start := len(e.buf)
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				e.buf = append(e.buf, '\\', c)
			case c >= 0x20:
				e.buf = append(e.buf, c)
			case c == '\n':
				e.buf = append(e.buf, '\\', 'n')
			case c == '\r':
				e.buf = append(e.buf, '\\', 'r')
			case c == '\t':
				e.buf = append(e.buf, '\\', 't')
			default:
				e.buf = append(e.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				e.buf = append(e.buf, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				e.buf = append(e.buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			default:
				e.buf = append(e.buf, s[i:i+size]...)
			}
			i += size
		}
		if len(e.buf) > e.max {
			e.buf = e.buf[:start]
			return errTooLarge
		}
	}
	e.buf = append(e.buf, '"')
	if len(e.buf) > e.max {
		return errTooLarge
	}
	return nil
}
