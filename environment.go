package hookstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookstream-go/hookstream/store"
)

// Environment is a tenant of an organization: its ID is a tenant's EnvID.
type Environment = store.Environment

// EnvironmentParams creates or updates an environment.
type EnvironmentParams struct {
	Name *string `json:"name"`
	Slug *string `json:"slug"`
}

// orgScope returns the record scope of environments: the organization of
// ctx's tenant, with no environment.
func (r *Router) orgScope(ctx context.Context) Tenant {
	return Tenant{OrgID: r.tenant(ctx).OrgID}
}

// CreateEnvironment creates an environment in ctx's organization. Create an
// API key for it (CreateAPIKey with its EnvID) to act in it: that is how a
// second tenant is made.
func (r *Router) CreateEnvironment(ctx context.Context, p EnvironmentParams) (*Environment, error) {
	env := &Environment{}
	if err := p.apply(env); err != nil {
		return nil, err
	}
	now := r.now()
	env.Meta = store.Meta{ID: newID(prefixEnvironment), OrgID: r.orgScope(ctx).OrgID, CreatedAt: now, UpdatedAt: now}
	if err := r.store.Create(ctx, env); err != nil {
		return nil, fmt.Errorf("create environment: %w", storeError(err, "Environment"))
	}
	return env, nil
}

// EnsureEnvironment makes sure ctx's own environment has a record (named
// name), creating it when missing. Servers call it at start-up for the
// tenant of their bootstrap API key.
func (r *Router) EnsureEnvironment(ctx context.Context, name string) (*Environment, error) {
	t := r.tenant(ctx)
	env, err := r.GetEnvironment(ctx, t.EnvID)
	if !errors.Is(err, ErrNotFound) {
		return env, err
	}
	now := r.now()
	env = &Environment{Meta: store.Meta{ID: t.EnvID, OrgID: t.OrgID, CreatedAt: now, UpdatedAt: now}, Name: name}
	if err := checkSlug(&env.Slug, name); err != nil {
		return nil, err
	}
	if err := r.store.Create(ctx, env); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("ensure environment: %w", err)
	}
	return env, nil
}

// GetEnvironment returns an environment of ctx's organization.
func (r *Router) GetEnvironment(ctx context.Context, id string) (*Environment, error) {
	s := r.orgScope(ctx)
	env := &Environment{Meta: store.Meta{ID: id, OrgID: s.OrgID}}
	if err := r.store.Get(ctx, env); err != nil {
		return nil, storeError(err, "Environment")
	}
	return env, nil
}

// ListEnvironments lists the environments of ctx's organization.
func (r *Router) ListEnvironments(ctx context.Context, p ListParams) (Page[*Environment], error) {
	page, err := r.store.List(ctx, p.query(store.KindEnvironment, r.orgScope(ctx), nil))
	if err != nil {
		return Page[*Environment]{}, fmt.Errorf("list environments: %w", err)
	}
	out := Page[*Environment]{NextCursor: page.NextCursor}
	for _, item := range page.Items {
		out.Items = append(out.Items, item.(*Environment))
	}
	return out, nil
}

// UpdateEnvironment renames an environment.
func (r *Router) UpdateEnvironment(ctx context.Context, id string, p EnvironmentParams) (*Environment, error) {
	env, err := r.GetEnvironment(ctx, id)
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
	return env, nil
}

// DeleteEnvironment deletes an environment of ctx's organization and
// revokes its API keys. The caller's own environment cannot be deleted
// (ErrConflict). Resources in it stay stored but unreachable.
func (r *Router) DeleteEnvironment(ctx context.Context, id string) error {
	t := r.tenant(ctx)
	if id == t.EnvID {
		return withMessage(ErrConflict, "Cannot delete the environment of the current API key")
	}
	if _, err := r.GetEnvironment(ctx, id); err != nil {
		return err
	}
	envTenant := Tenant{OrgID: t.OrgID, EnvID: id}
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

func (p *EnvironmentParams) apply(env *Environment) error {
	set(&env.Name, p.Name)
	set(&env.Slug, p.Slug)
	if err := required("name", env.Name); err != nil {
		return err
	}
	return checkSlug(&env.Slug, env.Name)
}
