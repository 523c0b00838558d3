package hookstream

import (
	"context"
	"slices"
)

// Credentials are what a caller may act for: the tenant it belongs to and
// whether it holds the organization scope.
//
// A caller without the organization scope (an environment key) acts in its
// own environment only: other environments, their API keys and their data
// do not exist for it. A caller with it (an org key) also manages the
// organization's environments and API keys, and may act in any environment
// of its organization. No caller ever reaches another organization.
type Credentials struct {
	// Tenant is the caller's own organization and environment, where it acts
	// unless it names another environment.
	Tenant Tenant
	// Org grants the organization scope.
	Org bool
}

// API key scopes, as the REST API shows them in a key's scopes.
const (
	// ScopeEnvironment acts in the key's own environment only.
	ScopeEnvironment = "env"
	// ScopeOrg manages the organization's environments and keys, and acts in
	// any of its environments.
	ScopeOrg = "org"
)

// scopesOf returns the scopes of an API key holding the org scope or not.
func scopesOf(org bool) []string {
	if org {
		return []string{ScopeOrg}
	}
	return []string{ScopeEnvironment}
}

// hasOrgScope reports whether a stored key's scopes grant the org scope.
// Keys made before scopes existed hold "*": they are environment keys.
func hasOrgScope(scopes []string) bool { return slices.Contains(scopes, ScopeOrg) }

// caller is what a context acts as: its credentials, and the tenant it acts
// in (its own, or another environment of its organization it named).
type caller struct {
	creds  Credentials
	acting Tenant
}

type callerKey struct{}

// WithCredentials returns a context whose Go API calls act as c, in c's own
// tenant.
func WithCredentials(ctx context.Context, c Credentials) context.Context {
	return context.WithValue(ctx, callerKey{}, caller{creds: c, acting: c.Tenant})
}

// WithTenant returns a context whose Go API calls act for tenant t, as an
// environment key of t would: t's own environment only. Use WithCredentials
// to manage t's organization.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return WithCredentials(ctx, Credentials{Tenant: t})
}

// caller returns what ctx acts as. A context that carries nothing acts as
// the embedder itself: the default tenant, with the organization scope.
func (r *Router) caller(ctx context.Context) caller {
	if c, ok := ctx.Value(callerKey{}).(caller); ok {
		return c
	}
	t := r.cfg.DefaultTenant
	return caller{creds: Credentials{Tenant: t, Org: true}, acting: t}
}

// tenant returns the tenant ctx acts in.
func (r *Router) tenant(ctx context.Context) Tenant { return r.caller(ctx).acting }

// actIn returns a context acting in the tenant that a request named with
// orgID and envID (either may be empty: the caller's own). An environment
// outside the caller's reach is refused, never replaced by the caller's own:
// another organization, or another environment without the org scope, is
// ErrForbidden; an environment its organization does not have is
// ErrNotFound.
func (r *Router) actIn(ctx context.Context, orgID, envID string) (context.Context, error) {
	c := r.caller(ctx)
	own := c.creds.Tenant
	if orgID != "" && orgID != own.OrgID {
		return nil, withMessage(ErrForbidden, "API key cannot act for organization "+orgID)
	}
	if envID == "" || envID == c.acting.EnvID {
		return ctx, nil
	}
	if envID != own.EnvID {
		if !c.creds.Org {
			return nil, withMessage(ErrForbidden, "API key cannot act for environment "+envID)
		}
		if _, err := r.GetEnvironment(ctx, envID); err != nil {
			return nil, err
		}
	}
	c.acting = Tenant{OrgID: own.OrgID, EnvID: envID}
	return context.WithValue(ctx, callerKey{}, c), nil
}

// requireOrgScope refuses a caller without the organization scope.
func (r *Router) requireOrgScope(ctx context.Context, action string) error {
	if r.caller(ctx).creds.Org {
		return nil
	}
	return withMessage(ErrForbidden, "API key needs the org scope to "+action)
}
