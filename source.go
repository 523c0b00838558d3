package hookstream

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hookstream-go/hookstream/internal/signature"
	"github.com/hookstream-go/hookstream/store"
)

// Source defaults.
const (
	// DefaultDedupWindowSeconds is how long a dedup key is remembered.
	DefaultDedupWindowSeconds = 300
)

// SourceParams creates or updates a source. Nil fields are left unset: on
// create they take their defaults, on update they keep their value. A JSON
// field set to the literal null clears it.
type SourceParams struct {
	Name                    *string           `json:"name" limit:"200"`
	Slug                    *string           `json:"slug" limit:"100"`
	Description             *string           `json:"description" limit:"2000"`
	Template                *string           `json:"template" limit:"64"`
	Type                    *string           `json:"type" limit:"64"`
	SourceConfig            json.RawMessage   `json:"source_config" limit:"16384"`
	VerificationEnabled     *bool             `json:"verification_enabled"`
	VerificationType        *VerificationType `json:"verification_type" limit:"64"`
	VerificationSecret      *string           `json:"verification_secret" limit:"1024"`
	VerificationHeader      *string           `json:"verification_header" limit:"256"`
	VerificationConfig      json.RawMessage   `json:"verification_config" limit:"16384"`
	DedupEnabled            *bool             `json:"dedup_enabled"`
	DedupStrategy           *DedupStrategy    `json:"dedup_strategy" limit:"64"`
	DedupField              *string           `json:"dedup_field" limit:"256"`
	DedupWindowSeconds      *int              `json:"dedup_window_seconds"`
	IPAllowlist             []string          `json:"ip_allowlist" limit:"500,item=64"`
	IPDenylist              []string          `json:"ip_denylist" limit:"500,item=64"`
	SchemaValidationEnabled *bool             `json:"schema_validation_enabled"`
	JSONSchema              json.RawMessage   `json:"json_schema" limit:"65536"`
	SchemaAction            *SchemaAction     `json:"schema_action" limit:"64"`
	Status                  *Status           `json:"status" limit:"64"`
}

// CreateSource creates a source. The name is required; the slug defaults to
// one derived from the name and must be unique in the environment
// (ErrConflict). A template pre-fills the verification scheme and header.
func (r *Router) CreateSource(ctx context.Context, p SourceParams) (*Source, error) {
	src := &store.Source{
		Type:               "http",
		Status:             string(StatusActive),
		DedupStrategy:      "payload_hash",
		DedupWindowSeconds: DefaultDedupWindowSeconds,
		SchemaAction:       "reject",
	}
	if err := p.apply(src); err != nil {
		return nil, err
	}
	if err := r.createResource(ctx, src, prefixSource); err != nil {
		return nil, fmt.Errorf("create source: %w", storeError(err, "Source"))
	}
	r.configChanged()
	return newSource(src, store.Counter{}), nil
}

// GetSource returns the source with the given ID, or ErrNotFound.
func (r *Router) GetSource(ctx context.Context, id string) (*Source, error) {
	src := new(store.Source)
	if err := r.getResource(ctx, src, id); err != nil {
		return nil, storeError(err, "Source")
	}
	return r.withSourceCounters(ctx, src)
}

// ListSources lists sources, newest first.
func (r *Router) ListSources(ctx context.Context, p ListParams) (Page[*Source], error) {
	page, err := listResources[*store.Source](ctx, r, store.KindSource, p)
	if err != nil {
		return Page[*Source]{}, fmt.Errorf("list sources: %w", err)
	}
	counters, err := pageCounters(ctx, r, page.Items)
	if err != nil {
		return Page[*Source]{}, fmt.Errorf("list sources: %w", err)
	}
	out := Page[*Source]{NextCursor: page.NextCursor}
	for i, src := range page.Items {
		out.Items = append(out.Items, newSource(src, counters[i]))
	}
	return out, nil
}

// UpdateSource changes the fields set in p.
func (r *Router) UpdateSource(ctx context.Context, id string, p SourceParams) (*Source, error) {
	src := new(store.Source)
	if err := r.updateResource(ctx, src, id, func() error { return p.apply(src) }); err != nil {
		return nil, fmt.Errorf("update source: %w", storeError(err, "Source"))
	}
	r.configChanged()
	return r.withSourceCounters(ctx, src)
}

// DeleteSource deletes a source. It fails with ErrConflict while
// connections use it: delete them first.
func (r *Router) DeleteSource(ctx context.Context, id string) error {
	err := r.store.Delete(ctx, store.KindSource, r.tenant(ctx), id)
	if err != nil {
		return fmt.Errorf("delete source: %w", deleteError(err, "Source", "connections"))
	}
	r.configChanged()
	return nil
}

func (r *Router) withSourceCounters(ctx context.Context, src *store.Source) (*Source, error) {
	c, err := pageCounters(ctx, r, []*store.Source{src})
	if err != nil {
		return nil, err
	}
	return newSource(src, c[0]), nil
}

// deleteError translates a store error of a Delete.
func deleteError(err error, name, users string) error {
	if err == nil {
		return nil
	}
	if isConflict(err) {
		return withMessage(ErrConflict, name+" is in use by "+users+": delete them first")
	}
	return storeError(err, name)
}

// apply writes p into src and validates the result.
func (p *SourceParams) apply(src *store.Source) (err error) {
	defer func() { err = forResource(err, "source") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&src.Name, p.Name)
	set(&src.Slug, p.Slug)
	set(&src.Description, p.Description)
	set(&src.Type, p.Type)
	setJSON(&src.SourceConfig, keepMasked(p.SourceConfig, src.SourceConfig))
	set(&src.VerificationEnabled, p.VerificationEnabled)
	if p.VerificationSecret != nil && !signature.IsMasked(*p.VerificationSecret) {
		src.VerificationSecret = *p.VerificationSecret
	}
	set(&src.VerificationHeader, p.VerificationHeader)
	setJSON(&src.VerificationConfig, keepMasked(p.VerificationConfig, src.VerificationConfig))
	set(&src.DedupEnabled, p.DedupEnabled)
	setString(&src.DedupStrategy, p.DedupStrategy)
	set(&src.DedupField, p.DedupField)
	set(&src.DedupWindowSeconds, p.DedupWindowSeconds)
	setList(&src.IPAllowlist, p.IPAllowlist)
	setList(&src.IPDenylist, p.IPDenylist)
	set(&src.SchemaValidationEnabled, p.SchemaValidationEnabled)
	setJSON(&src.JSONSchema, p.JSONSchema)
	setString(&src.SchemaAction, p.SchemaAction)
	setString(&src.Status, p.Status)
	if p.VerificationType != nil {
		src.VerificationType = normalizeScheme(string(*p.VerificationType))
	}
	if p.Template != nil {
		if err := applyTemplate(src, *p.Template, p); err != nil {
			return err
		}
	}
	if p.VerificationEnabled == nil && p.configuresVerification() {
		src.VerificationEnabled = true
	}
	return validateSource(src)
}

// configuresVerification reports whether p sets a verification type or
// secret: that turns verification on unless p says verification_enabled:
// false, so a source is never half-configured (a secret that nothing
// checks).
func (p *SourceParams) configuresVerification() bool {
	return p.VerificationType != nil && *p.VerificationType != "" ||
		p.VerificationSecret != nil && *p.VerificationSecret != "" && !signature.IsMasked(*p.VerificationSecret)
}

func validateSource(src *store.Source) error {
	if err := required("name", src.Name); err != nil {
		return err
	}
	if err := checkSlug(&src.Slug, src.Name); err != nil {
		return err
	}
	if err := oneOf("type", src.Type, "http", "websocket"); err != nil {
		return err
	}
	if err := oneOf("status", src.Status, StatusActive, StatusPaused, StatusDisabled); err != nil {
		return err
	}
	if err := validateVerification(src); err != nil {
		return err
	}
	if err := oneOf("dedup_strategy", src.DedupStrategy, "payload_hash", "header_field", "body_field"); err != nil {
		return err
	}
	if src.DedupEnabled && src.DedupStrategy != "payload_hash" && src.DedupField == "" {
		return invalid("dedup_field", "is required for dedup_strategy %s", src.DedupStrategy)
	}
	if src.DedupWindowSeconds < 1 || src.DedupWindowSeconds > 30*24*3600 {
		return invalid("dedup_window_seconds", "must be between 1 and 2592000")
	}
	for field, list := range map[string][]string{"ip_allowlist": src.IPAllowlist, "ip_denylist": src.IPDenylist} {
		for i, s := range list {
			if _, err := parsePrefix(s); err != nil {
				return invalid(fmt.Sprintf("%s[%d]", field, i), "%v", err)
			}
		}
	}
	if err := oneOf("schema_action", src.SchemaAction, "reject", "warn"); err != nil {
		return err
	}
	if src.SchemaValidationEnabled && len(src.JSONSchema) == 0 {
		return invalid("json_schema", "is required when schema_validation_enabled is true")
	}
	if len(src.JSONSchema) > 0 {
		if _, err := compileSchema(src.JSONSchema); err != nil {
			return invalid("json_schema", "does not compile: %v", err)
		}
	}
	for field, raw := range map[string]json.RawMessage{"source_config": src.SourceConfig, "verification_config": src.VerificationConfig} {
		if err := checkObject(field, raw); err != nil {
			return err
		}
	}
	return nil
}
