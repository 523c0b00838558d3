package hookstream

import (
	"context"
	"regexp"
	"strings"

	"github.com/hookstream-go/hookstream/store"
)

// Page is one page of a newest-first listing; pass NextCursor back in the
// listing's Cursor for the next one.
type Page[T any] struct {
	Items []T
	// NextCursor is empty on the last page.
	NextCursor string
	// Total counts every item the listing matches, for the listings that
	// count them (events and delivery attempts); the others leave it 0.
	Total int
}

// mapPage converts a page of store records.
func mapPage[S, T any](p store.Page[S], convert func(S) T) Page[T] {
	out := Page[T]{NextCursor: p.NextCursor, Items: make([]T, len(p.Items))}
	for i, item := range p.Items {
		out.Items[i] = convert(item)
	}
	return out
}

// ListParams selects a page of a listing.
type ListParams struct {
	// Cursor continues a listing from a previous page's NextCursor.
	Cursor string
	// Limit is the page size. Defaults to DefaultPageLimit; at most
	// MaxPageLimit.
	Limit int
}

// Page sizes of listings.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

func (p ListParams) query(kind store.Kind, t Tenant, refersTo ...store.Ref) store.ListQuery {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultPageLimit
	}
	limit = min(limit, MaxPageLimit)
	return store.ListQuery{Kind: kind, Tenant: t, Cursor: p.Cursor, Limit: limit, RefersTo: refersTo}
}

// createResource fills rec's Meta (a new ID, ctx's tenant, timestamps) and
// stores it.
func (r *Router) createResource(ctx context.Context, rec store.Resource, prefix string) error {
	m := rec.GetMeta()
	t := r.tenant(ctx)
	now := r.now()
	m.ID, m.OrgID, m.EnvID = newID(prefix), t.OrgID, t.EnvID
	m.CreatedAt, m.UpdatedAt = now, now
	return r.store.Create(ctx, rec)
}

// getResource loads the resource with rec's kind and the given ID from ctx's
// tenant into rec.
func (r *Router) getResource(ctx context.Context, rec store.Resource, id string) error {
	t := r.tenant(ctx)
	m := rec.GetMeta()
	m.ID, m.OrgID, m.EnvID = id, t.OrgID, t.EnvID
	return r.store.Get(ctx, rec)
}

// updateResource loads the resource into rec, lets apply change it, and
// stores the result. The store keeps CreatedAt; UpdatedAt becomes now.
func (r *Router) updateResource(ctx context.Context, rec store.Resource, id string, apply func() error) error {
	if err := r.getResource(ctx, rec, id); err != nil {
		return err
	}
	if err := apply(); err != nil {
		return err
	}
	rec.GetMeta().UpdatedAt = r.now()
	return r.store.Update(ctx, rec)
}

// listResources lists one page of ctx's tenant's resources of a kind as T.
func listResources[T store.Resource](ctx context.Context, r *Router, kind store.Kind, p ListParams, refersTo ...store.Ref) (store.Page[T], error) {
	page, err := r.store.List(ctx, p.query(kind, r.tenant(ctx), refersTo...))
	if err != nil {
		return store.Page[T]{}, err
	}
	out := store.Page[T]{NextCursor: page.NextCursor, Items: make([]T, len(page.Items))}
	for i, item := range page.Items {
		out.Items[i] = item.(T)
	}
	return out, nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// checkSlug validates a slug, deriving it from name when empty.
func checkSlug(slug *string, name string) error {
	if *slug == "" {
		*slug = slugify(name)
	}
	if !slugPattern.MatchString(*slug) {
		return invalid("slug", "must match pattern ^[a-z0-9-]+$")
	}
	return nil
}

// slugify derives a slug from a name: lower case, runs of other characters
// replaced by one hyphen.
func slugify(name string) string {
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			hyphen = false
		} else if !hyphen && b.Len() > 0 {
			b.WriteByte('-')
			hyphen = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// oneOf checks that a non-empty value is one of allowed.
func oneOf[S ~string](field, value string, allowed ...S) error {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if value == string(a) {
			return nil
		}
		names[i] = string(a)
	}
	return invalid(field, "must be one of %s", strings.Join(names, ", "))
}

// required checks that a string field is not empty.
func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalid(field, "is required")
	}
	return nil
}

// setString copies the typed string *p into *dst when p is not nil.
func setString[S ~string](dst *string, p *S) {
	if p != nil {
		*dst = string(*p)
	}
}

// set copies *p into *dst when p is not nil: PATCH semantics.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// resourceNames maps the IDs of resources of a kind to their names, in one
// store call (a resource deleted since has no name).
func resourceNames(ctx context.Context, r *Router, kind store.Kind, t Tenant, ids []string) (map[string]string, error) {
	rs, err := r.store.GetMany(ctx, kind, t, ids)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(rs))
	for _, res := range rs {
		switch res := res.(type) {
		case *store.Source:
			names[res.ID] = res.Name
		case *store.Destination:
			names[res.ID] = res.Name
		}
	}
	return names, nil
}

// pageCounters reads the activity counters of resources in one store call,
// one per resource in order.
func pageCounters[T store.Resource](ctx context.Context, r *Router, items []T) ([]store.Counter, error) {
	ids := make([]string, len(items))
	for i, item := range items {
		ids[i] = item.GetMeta().ID
	}
	return r.store.Counters(ctx, ids)
}
