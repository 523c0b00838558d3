package hookstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookstream-go/hookstream/store"
)

// EnvironmentParams creates or updates an environment.
type EnvironmentParams struct {
	Name *string `json:"name" limit:"200"`
	Slug *string `json:"slug" limit:"100"`
}

// orgScope returns the record scope of environments: the organization of
// ctx's caller, with no environment.
func (r *Router) orgScope(ctx context.Context) Tenant {
	return Tenant{OrgID: r.caller(ctx).creds.Tenant.OrgID}
}

// CreateEnvironment creates an environment in ctx's organization; it needs
// the org scope (ErrForbidden). Create an API key for it (CreateAPIKey with
// its EnvID) to act in it: that is how a second tenant is made.
func (r *Router) CreateEnvironment(ctx context.Context, p EnvironmentParams) (*Environment, error) {
	if err := r.requireOrgScope(ctx, "create environments"); err != nil {
		return nil, err
	}
	env := &store.Environment{}
	if err := p.apply(env); err != nil {
		return nil, err
	}
	now := r.now()
	env.Meta = store.Meta{ID: newID(prefixEnvironment), OrgID: r.orgScope(ctx).OrgID, CreatedAt: now, UpdatedAt: now}
	if err := r.store.Create(ctx, env); err != nil {
		return nil, fmt.Errorf("create environment: %w", storeError(err, "Environment"))
	}
	return newEnvironment(env), nil
}

// EnsureEnvironment makes sure ctx's own environment has a record (named
// name), creating it when missing. Servers call it at start-up for the
// tenant of their bootstrap API key.
func (r *Router) EnsureEnvironment(ctx context.Context, name string) (*Environment, error) {
	t := r.caller(ctx).creds.Tenant
	env, err := r.GetEnvironment(ctx, t.EnvID)
	if !errors.Is(err, ErrNotFound) {
		return env, err
	}
	now := r.now()
	rec := &store.Environment{Meta: store.Meta{ID: t.EnvID, OrgID: t.OrgID, CreatedAt: now, UpdatedAt: now}, Name: name}
	if err := checkSlug(&rec.Slug, name); err != nil {
		return nil, err
	}
	if err := r.store.Create(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("ensure environment: %w", err)
	}
	return newEnvironment(rec), nil
}

// visibleEnvironment reports whether ctx's caller may see the environment
// id: any of its organization with the org scope, else only its own.
func (r *Router) visibleEnvironment(ctx context.Context, id string) bool {
	c := r.caller(ctx).creds
	return c.Org || id == c.Tenant.EnvID
}

// GetEnvironment returns an environment of ctx's organization (only the
// caller's own without the org scope).
func (r *Router) GetEnvironment(ctx context.Context, id string) (*Environment, error) {
	env, err := r.getEnvironment(ctx, id)
	if err != nil {
		return nil, err
	}
	return newEnvironment(env), nil
}

func (r *Router) getEnvironment(ctx context.Context, id string) (*store.Environment, error) {
	if !r.visibleEnvironment(ctx, id) {
		return nil, withMessage(ErrNotFound, "Environment not found")
	}
	env := &store.Environment{Meta: store.Meta{ID: id, OrgID: r.orgScope(ctx).OrgID}}
	if err := r.store.Get(ctx, env); err != nil {
		return nil, storeError(err, "Environment")
	}
	return env, nil
}

// ListEnvironments lists the environments of ctx's organization, newest
// first; without the org scope, only the caller's own.
func (r *Router) ListEnvironments(ctx context.Context, p ListParams) (Page[*Environment], error) {
	if own := r.caller(ctx).creds; !own.Org {
		// An environment key sees its own environment only: one page.
		env, err := r.GetEnvironment(ctx, own.Tenant.EnvID)
		if errors.Is(err, ErrNotFound) {
			return Page[*Environment]{}, nil
		}
		if err != nil {
			return Page[*Environment]{}, err
		}
		return Page[*Environment]{Items: []*Environment{env}}, nil
	}
	page, err := r.store.List(ctx, p.query(store.KindEnvironment, r.orgScope(ctx)))
	if err != nil {
		return Page[*Environment]{}, fmt.Errorf("list environments: %w", err)
	}
	out := Page[*Environment]{NextCursor: page.NextCursor}
	for _, item := range page.Items {
		out.Items = append(out.Items, newEnvironment(item.(*store.Environment)))
	}
	return out, nil
}

// UpdateEnvironment renames an environment the caller can see.
func (r *Router) UpdateEnvironment(ctx context.Context, id string, p EnvironmentParams) (*Environment, error) {
	env, err := r.getEnvironment(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.apply(env); err != nil {
		return nil, err
	}
	env.UpdatedAt = r.now()
	if err := r.store.Update(ctx, env); err != nil {
		return nil, fmt.Errorf("update environment: %w", storeError(err, "Environment"))
	}
	return newEnvironment(env), nil
}

// DeleteEnvironment deletes an environment of ctx's organization and
// revokes its API keys. The caller's own environment cannot be deleted
// (ErrConflict), so an organization always keeps one; another environment
// needs the org scope (without it, ErrNotFound). Resources in it stay
// stored but unreachable.
func (r *Router) DeleteEnvironment(ctx context.Context, id string) error {
	own := r.caller(ctx).creds.Tenant
	if id == own.EnvID {
		return withMessage(ErrConflict, "Cannot delete the environment of the current API key")
	}
	if _, err := r.GetEnvironment(ctx, id); err != nil {
		return err
	}
	envTenant := Tenant{OrgID: own.OrgID, EnvID: id}
	keys, err := store.ListAll[*store.APIKey](ctx, r.store, store.ListQuery{Kind: store.KindAPIKey, Tenant: envTenant})
	if err != nil {
		return fmt.Errorf("delete environment: %w", err)
	}
	for _, k := range keys {
		if err := r.store.Delete(ctx, store.KindAPIKey, envTenant, k.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete environment: revoke key: %w", err)
		}
	}
	return storeError(r.store.Delete(ctx, store.KindEnvironment, r.orgScope(ctx), id), "Environment")
}

func (p *EnvironmentParams) apply(env *store.Environment) (err error) {
	defer func() { err = forResource(err, "environment") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&env.Name, p.Name)
	set(&env.Slug, p.Slug)
	if err := required("name", env.Name); err != nil {
		return err
	}
	return checkSlug(&env.Slug, env.Name)
}
