package hookstream

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaError reports a body that a JSON Schema rejected (422 at ingest
// and publish).
type SchemaError struct {
	// Errors lists each violation as "<instance path>: <reason>".
	Errors []string
}

// Error returns the message the REST API shows.
func (e *SchemaError) Error() string { return "Payload does not match the JSON Schema" }

// MaxSchemaBytes bounds a JSON Schema: compiling one takes time that grows
// faster than its size.
const MaxSchemaBytes = 64 << 10

// compileSchema compiles a JSON Schema (drafts 4, 6, 7, 2019-09 and 2020-12
// by its $schema; 2020-12 when it names none). References to other
// documents are refused: a schema must be self-contained, so compiling one
// never reads a file or the network.
func compileSchema(raw []byte) (*jsonschema.Schema, error) {
	if len(raw) > MaxSchemaBytes {
		return nil, fmt.Errorf("is larger than %d bytes", MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, errors.New("is not JSON")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("mem:///schema.json")
}

// validateSchema checks a JSON body against a compiled schema. A body that
// is not JSON fails with a single violation.
func validateSchema(s *jsonschema.Schema, body []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return &SchemaError{Errors: []string{"body is not valid JSON"}}
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &SchemaError{Errors: []string{err.Error()}}
	}
	var out []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil {
			loc := u.InstanceLocation
			if loc == "" {
				loc = "/"
			}
			out = append(out, fmt.Sprintf("%s: %s", loc, u.Error.String()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{ve.Error()}
	}
	return &SchemaError{Errors: out}
}
