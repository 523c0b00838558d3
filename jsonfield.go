package hookstream

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/hookstream-go/hookstream/internal/signature"
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

// keepMasked returns the JSON object p with every masked string value (as
// responses show secrets) replaced by the stored value of old, so a client
// that sends back what it read does not overwrite secrets with masks.
func keepMasked(p, old json.RawMessage) json.RawMessage {
	if len(p) == 0 || len(old) == 0 || !bytes.Contains(p, []byte("••••")) {
		return p
	}
	var next, prev map[string]any
	if json.Unmarshal(p, &next) != nil || json.Unmarshal(old, &prev) != nil {
		return p
	}
	restoreMasked(next, prev)
	out, err := json.Marshal(next)
	if err != nil {
		return p
	}
	return out
}

func restoreMasked(next, prev map[string]any) {
	for k, v := range next {
		switch v := v.(type) {
		case string:
			if signature.IsMasked(v) {
				if old, ok := prev[k]; ok {
					next[k] = old
				}
			}
		case map[string]any:
			if old, ok := prev[k].(map[string]any); ok {
				restoreMasked(v, old)
			}
		}
	}
}
