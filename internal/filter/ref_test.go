package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// This file holds a straightforward reference implementation of the
// filter semantics on top of encoding/json: the fuzz oracle and the
// benchmark baseline.

// errDuplicateKey is returned by decodeStrict for objects with a repeated
// key, where encoding/json (last wins) and gjson (first wins) disagree.
var errDuplicateKey = errors.New("duplicate key")

// decodeStrict decodes one JSON value into nil, bool, float64, string,
// []any and map[string]any, as json.Unmarshal does, but rejects duplicate
// keys.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[k]; dup {
				return nil, errDuplicateKey
			}
			obj[k] = v
		}
		_, err := dec.Token()
		return obj, err
	case json.Number:
		f, _ := strconv.ParseFloat(string(t), 64)
		return f, nil
	default:
		return t, nil
	}
}

// refLookup walks doc along segs: object keys, and canonical array indexes.
func refLookup(doc any, segs []string) (any, bool) {
	for _, seg := range segs {
		switch t := doc.(type) {
		case map[string]any:
			v, ok := t[seg]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) || strconv.Itoa(i) != seg {
				return nil, false
			}
			doc = t[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// refMatch applies op to the observed value v (present reports whether
// the field exists) and the decoded rule value want.
func refMatch(op Op, v any, present bool, want any) bool {
	switch op {
	case OpEq:
		return present && reflect.DeepEqual(v, want)
	case OpNeq:
		return !present || !reflect.DeepEqual(v, want)
	case OpContains:
		if !present {
			return false
		}
		switch t := v.(type) {
		case string:
			w, ok := want.(string)
			return ok && strings.Contains(t, w)
		case []any:
			for _, e := range t {
				if reflect.DeepEqual(e, want) {
					return true
				}
			}
		}
		return false
	case OpGt, OpGte, OpLt, OpLte:
		n, ok := v.(float64)
		w := want.(float64)
		if !present || !ok {
			return false
		}
		switch op {
		case OpGt:
			return n > w
		case OpGte:
			return n >= w
		case OpLt:
			return n < w
		}
		return n <= w
	case OpExists:
		return present == (want == nil || want == true)
	case OpIn:
		if !present {
			return false
		}
		for _, e := range want.([]any) {
			if reflect.DeepEqual(v, e) {
				return true
			}
		}
		return false
	}
	panic("unknown op " + op)
}
