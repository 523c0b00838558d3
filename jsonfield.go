package hookstream

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/hookstream-go/hookstream/store"
)

// setJSON applies a JSON field of a params struct: nil keeps dst, the
// literal null clears it, anything else replaces it (compacted).
func setJSON(dst *json.RawMessage, p json.RawMessage) {
	switch {
	case p == nil:
	case isNull(p):
		*dst = nil
	default:
		var b bytes.Buffer
		if json.Compact(&b, p) != nil {
			*dst = append(json.RawMessage(nil), p...)
			return
		}
		*dst = b.Bytes()
	}
}

// setList applies a list field: nil keeps dst, anything else (an empty
// list too) replaces it.
func setList(dst *[]string, p []string) {
	if p != nil {
		*dst = append([]string{}, p...)
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// checkObject validates that a JSON field, when set, is a JSON object.
func checkObject(field string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return invalid(field, "must be a JSON object")
	}
	return nil
}

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
