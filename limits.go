package hookstream

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input limits. Every string, list, map and JSON field of a params struct
// declares its maximum in a `limit` tag, which checkLimits enforces (a
// ValidationError naming the field) and the OpenAPI document publishes
// (maxLength, maxItems, maxProperties). Strings are counted in characters
// and must be valid UTF-8 without NUL; JSON values in bytes of their
// encoding. The tag's forms:
//
//	limit:"200"                  a string's characters, a list's items, a JSON value's bytes
//	limit:"100,item=64"          a list of strings: items, and each item's characters
//	limit:"50,key=256,value=8192" a map: entries, each key's and value's characters
//	limit:"id=src"               an ID of the kind whose prefix is src
//
// Lists of structs (filter rules) have their elements' fields checked by
// the elements' own tags.
const limitTag = "limit"

// maxIDLength bounds the IDs that requests name.
const maxIDLength = 64

// checkLimits checks every tagged field of the struct p points to, and
// writes the IDs it names in their prefixed form (the bare 32 hex digits of
// an ID are accepted too).
func checkLimits(p any) error {
	return checkStructLimits(reflect.ValueOf(p).Elem(), "")
}

func checkStructLimits(v reflect.Value, prefix string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		field := prefix + name
		fv := v.Field(i)
		if err := checkStrings(fv, field); err != nil {
			return err
		}
		tag, ok := f.Tag.Lookup(limitTag)
		if !ok {
			continue
		}
		if err := checkFieldLimit(fv, field, parseLimit(tag)); err != nil {
			return err
		}
	}
	return nil
}

// limit is a parsed limit tag.
type limit struct {
	max, item, key, value int
	// idPrefix is set for IDs.
	idPrefix string
}

func parseLimit(tag string) limit {
	var l limit
	for part := range strings.SplitSeq(tag, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			l.max, _ = strconv.Atoi(k)
			continue
		}
		n, _ := strconv.Atoi(v)
		switch k {
		case "item":
			l.item = n
		case "key":
			l.key = n
		case "value":
			l.value = n
		case "id":
			l.idPrefix, l.max = v, maxIDLength
		}
	}
	return l
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

func checkFieldLimit(v reflect.Value, field string, l limit) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == rawMessage:
		if v.Len() > l.max {
			return invalid(field, "must be at most %d bytes of JSON", l.max)
		}
	case v.Kind() == reflect.String:
		if l.idPrefix != "" {
			if err := checkID(field, v.String(), l.idPrefix); err != nil {
				return err
			}
			if v.CanSet() {
				v.SetString(canonicalID(l.idPrefix+"_", v.String()))
			}
			return nil
		}
		return checkLength(field, v.String(), l.max)
	case v.Kind() == reflect.Slice:
		if v.Len() > l.max {
			return invalid(field, "must have at most %d items", l.max)
		}
		for i := range v.Len() {
			item, name := v.Index(i), fmt.Sprintf("%s[%d]", field, i)
			switch {
			case item.Kind() == reflect.String && l.item > 0:
				if err := checkLength(name, item.String(), l.item); err != nil {
					return err
				}
			case item.Kind() == reflect.Struct:
				if err := checkStructLimits(item, name+"."); err != nil {
					return err
				}
			}
		}
	case v.Kind() == reflect.Map:
		if v.Len() > l.max {
			return invalid(field, "must have at most %d entries", l.max)
		}
		for it := v.MapRange(); it.Next(); {
			k := it.Key().String()
			if err := checkLength(field+" name", k, l.key); err != nil {
				return err
			}
			if s, ok := it.Value().Interface().(string); ok {
				if err := checkLength(field+"."+k, s, l.value); err != nil {
					return err
				}
			}
		}
	case v.Kind() == reflect.Interface:
		if v.IsNil() {
			return nil
		}
		b, err := json.Marshal(v.Interface())
		if err == nil && len(b) > l.max {
			return invalid(field, "must be at most %d bytes of JSON", l.max)
		}
	}
	return nil
}

// checkStrings checks that every string in v (a string, a pointer to one,
// a list or a map of them) is valid UTF-8 without NUL: values the store
// would otherwise keep rewritten or that break clients.
func checkStrings(v reflect.Value, field string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return checkStrings(v.Elem(), field)
		}
	case reflect.String:
		return checkText(field, v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			for i := range v.Len() {
				if err := checkText(fmt.Sprintf("%s[%d]", field, i), v.Index(i).String()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := checkText(field+" name", it.Key().String()); err != nil {
				return err
			}
			if it.Value().Kind() == reflect.String {
				if err := checkText(field+"."+it.Key().String(), it.Value().String()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkText refuses invalid UTF-8 and NUL.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(field, "must not contain NUL characters")
	}
	return nil
}

// checkLength refuses a string of more than max characters.
func checkLength(field, s string, max int) error {
	if max > 0 && len(s) > max && utf8.RuneCountInString(s) > max {
		return invalid(field, "must be at most %d characters", max)
	}
	return nil
}

// idPrefixes names the kinds of IDs by their prefix, for messages.
var idPrefixes = map[string]string{
	prefixSource: "source", prefixDestination: "destination", prefixConnection: "connection",
	prefixTopic: "topic", prefixSubscription: "subscription", prefixEnvironment: "environment",
}

var idHex = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkID checks an ID's form: its prefix and 32 lowercase hex digits, or
// the bare 32 hex digits.
func checkID(field, id, prefix string) error {
	if id == "" {
		return nil
	}
	if idHex.MatchString(strings.TrimPrefix(id, prefix+"_")) {
		return nil
	}
	return invalid(field, "must be a %s ID (%s_ followed by 32 lowercase hex digits)", idPrefixes[prefix+"_"], prefix)
}

// checkRawText scans a JSON text for what decoding would silently rewrite:
// bytes that are not UTF-8, NUL (\u0000) and lone UTF-16 surrogates
// (\ud800), and names the problem.
func checkRawText(field string, raw []byte) error {
	if !utf8.Valid(raw) {
		return invalid(field, "must be valid UTF-8")
	}
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			r, ok := hex4(raw, i+2)
			switch {
			case !ok:
			case r == 0:
				return invalid(field, "must not contain NUL characters")
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := hex4(raw, i+8)
				if !ok || i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
					return invalid(field, "must not contain lone UTF-16 surrogates")
				}
				i += 11
				continue
			case r >= 0xDC00 && r <= 0xDFFF:
				return invalid(field, "must not contain lone UTF-16 surrogates")
			}
			i += 5
		case c == '\\':
			i++
		}
	}
	return nil
}

// hex4 reads the 4 hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 16)
	return rune(n), err == nil
}
