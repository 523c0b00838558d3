package filter

import (
	"net/textproto"
	"strings"

	"github.com/tidwall/gjson"
)

type fieldKind uint8

const (
	fieldPayload fieldKind = iota
	fieldHeader
	fieldMethod
	fieldContentType
	fieldSourceIP
	fieldTopic
)

// field is a parsed rule path.
type field struct {
	kind fieldKind
	// path is the gjson path for payload fields, every segment escaped;
	// empty means the whole payload.
	path string
	// header is the canonical header name for header fields.
	header string
}

// splitPath splits a rule path on unescaped dots; a backslash escapes the
// next character. It returns a reason when the path is malformed.
func splitPath(s string) ([]string, string) {
	var (
		segs []string
		cur  strings.Builder
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return nil, "ends with an unfinished escape"
			}
			i++
			cur.WriteByte(s[i])
		case '.':
			if cur.Len() == 0 {
				return nil, "has an empty segment"
			}
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() == 0 {
		return nil, "has an empty segment"
	}
	return append(segs, cur.String()), ""
}

func parseField(s string) (field, string) {
	segs, reason := splitPath(s)
	if reason != "" {
		return field{}, reason
	}
	root, rest := segs[0], segs[1:]
	switch root {
	case "payload":
		parts := make([]string, len(rest))
		for i, seg := range rest {
			parts[i] = escapeSegment(seg)
		}
		return field{kind: fieldPayload, path: strings.Join(parts, ".")}, ""
	case "headers":
		if len(rest) == 0 {
			return field{}, "needs a header name (headers.<name>)"
		}
		name := strings.Join(rest, ".")
		if !validHeaderName(name) {
			return field{}, "invalid header name"
		}
		return field{kind: fieldHeader, header: textproto.CanonicalMIMEHeaderKey(name)}, ""
	}
	var kind fieldKind
	switch root {
	case "method":
		kind = fieldMethod
	case "content_type":
		kind = fieldContentType
	case "source_ip":
		kind = fieldSourceIP
	case "topic":
		kind = fieldTopic
	default:
		return field{}, "unknown field root (want payload, headers, method, content_type, source_ip or topic)"
	}
	if len(rest) > 0 {
		return field{}, root + " has no sub-fields"
	}
	return field{kind: kind}, ""
}

// escapeSegment turns one literal key into a gjson path component that
// gjson matches literally: special characters are escaped by gjson.Escape,
// and a digit string with a leading zero gets its first digit escaped so
// gjson does not read it as an array index ("01" would otherwise index 1).
func escapeSegment(seg string) string {
	if len(seg) > 1 && seg[0] == '0' && allDigits(seg) {
		return `\` + seg
	}
	return gjson.Escape(seg)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
