// Package filter implements hookstream's routing filters: a list of rules
// such as {"field": "payload.type", "op": "eq", "value": "order.created"},
// all of which must match an event for it to be routed (an empty list
// matches everything).
//
// Rules are parsed and validated once ([Parse], [Compile], [CompileJSON]);
// every problem is reported as an [*Error] naming the rule's index, so a
// bad rule is a 400 at create time rather than a surprise at delivery
// time. A compiled [Matcher] is safe for concurrent use.
//
// An event is prepared once with [NewEvent] and can then be matched by any
// number of matchers. Payload rules read the raw body with gjson: the body
// is validated as JSON once per event (lazily, on the first payload rule)
// and never unmarshalled.
//
// # Fields
//
//   - payload.<path>: a dot path into the JSON body. Numeric segments index
//     arrays (payload.items.0.sku) and also match object keys made of
//     digits; a segment with a leading zero ("01") only matches an object
//     key. "payload" alone is the whole body. A backslash escapes the next
//     character, so a key containing a dot is written payload.a\.b and a
//     key containing a backslash payload.a\\b. Every other character,
//     including gjson's special characters (* ? # @ | ! = and spaces), is
//     matched literally: a rule path can never run a gjson wildcard, query
//     or modifier. Empty keys cannot be addressed.
//   - headers.<name>: a request header, case-insensitive. Repeated headers
//     are joined with ", ".
//   - method, source_ip, topic: the request method (as received), the client
//     address and, for topic events, the topic slug.
//   - content_type: the media type of the Content-Type header, lower-cased
//     and without parameters ("application/json"); the raw header is
//     available as headers.content-type.
//
// A field that is empty or absent is missing.
//
// # Bodies
//
// A body whose Content-Type is application/x-www-form-urlencoded is parsed
// into a JSON object whose values are strings; a key repeated in the form
// becomes an array of its strings in order. Any other body is used as JSON
// when it is valid JSON. A body that is not valid JSON (or a form that
// cannot be parsed) has no payload: every payload field is missing, so
// eq, contains, gt, gte, lt, lte and in are false, while neq and
// exists:false are true.
//
// # Operators
//
// Comparisons use strict JSON types with no coercion ("1" does not equal 1);
// numbers compare numerically as IEEE-754 doubles (1 equals 1.0), objects and
// arrays compare structurally (object key order is irrelevant, array order
// is not; an object with duplicate keys equals nothing). A missing field
// equals nothing, so neq on a missing field is true and eq is false. null
// equals only JSON null.
//
//	eq, neq    the field equals / does not equal the rule value
//	contains   a string field contains the rule string, or an array field
//	           has an element equal to the rule value
//	gt gte lt lte
//	           the field is a number and compares so with the (number) value
//	exists     value true (the default): the field is present, even if null;
//	           value false: the field is missing
//	in         the field equals one element of the (array) value
package filter
