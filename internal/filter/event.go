package filter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Input is what a filter can see of one event.
type Input struct {
	// Body is the raw request body.
	Body []byte
	// Headers are the request headers; names are matched case-insensitively.
	Headers http.Header
	// Method is the request method, e.g. "POST".
	Method string
	// ContentType is the raw Content-Type value. When empty, the
	// Content-Type header is used.
	ContentType string
	// SourceIP is the client address.
	SourceIP string
	// Topic is the topic slug of a topic event, empty otherwise.
	Topic string
}

// Event is an Input prepared for matching. Prepare it once with NewEvent
// and share it across every Matcher that routes the event: the body is
// validated (or, for a form, converted) at most once. An Event is safe for
// concurrent use. The Event reads Input.Body in place, so neither Input nor
// the bytes of its Body may be modified while the Event is in use.
type Event struct {
	in        Input
	mediaType string

	once sync.Once
	// payload is the JSON document payload rules read; valid is false when
	// the body is neither valid JSON nor a parseable form.
	payload string
	valid   bool
}

// NewEvent prepares in for matching. It does no work on the body until a
// payload rule needs it.
func NewEvent(in Input) *Event {
	ct := in.ContentType
	if ct == "" && in.Headers != nil {
		ct, _ = headerValue(in.Headers, "Content-Type")
	}
	return &Event{in: in, mediaType: mediaType(ct)}
}

// Payload returns the JSON document payload rules are evaluated against
// (the body without surrounding whitespace, or the form converted to a
// JSON object) and whether there is one; it is false when the body is not
// valid JSON.
func (e *Event) Payload() ([]byte, bool) {
	p, ok := e.payloadJSON()
	return []byte(p), ok
}

func (e *Event) payloadJSON() (string, bool) {
	e.once.Do(e.preparePayload)
	return e.payload, e.valid
}

func (e *Event) preparePayload() {
	if e.mediaType == "application/x-www-form-urlencoded" {
		e.payload, e.valid = formJSON(e.in.Body)
		return
	}
	body := bytes.Trim(e.in.Body, " \t\r\n")
	if len(body) > 0 && validJSON(body) {
		// The body is read in place (Input must not be modified after
		// NewEvent): gjson lookups on the string then return substrings
		// without copying or allocating.
		e.payload, e.valid = unsafe.String(&body[0], len(body)), true
	}
}

// formJSON converts a form body to a JSON object: a key given once maps to
// its string, a repeated key to the array of its strings in order.
func formJSON(body []byte) (string, bool) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return "", false
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, k)
		b.WriteByte(':')
		vs := vals[k]
		if len(vs) == 1 {
			writeJSON(&b, vs[0])
			continue
		}
		writeJSON(&b, vs)
	}
	b.WriteByte('}')
	return b.String(), true
}

func writeJSON(b *strings.Builder, v any) {
	enc, _ := json.Marshal(v) // strings and string slices always marshal
	b.Write(enc)
}

// mediaType returns the lower-cased media type of a Content-Type value
// without its parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// headerValue returns the values of the header name (matched
// case-insensitively) joined with ", ", and whether the header is present.
// canonical must be in canonical form. When h holds the name under several
// spellings, the canonical one wins, else the values of every spelling are
// joined in sorted order of the spellings.
func headerValue(h http.Header, canonical string) (string, bool) {
	vs, ok := h[canonical]
	if !ok {
		var names []string
		for k := range h {
			if strings.EqualFold(k, canonical) {
				names = append(names, k)
			}
		}
		if len(names) == 0 {
			return "", false
		}
		sort.Strings(names)
		for _, k := range names {
			vs = append(vs, h[k]...)
		}
	}
	switch len(vs) {
	case 0:
		return "", true
	case 1:
		return vs[0], true
	}
	return strings.Join(vs, ", "), true
}
