package hookstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/hookstream-go/hookstream/store"
)

// Authenticator authenticates REST API requests.
type Authenticator interface {
	// Authenticate returns what req may act for, or an error wrapping
	// ErrUnauthorized. r is the Router serving the request.
	Authenticate(r *Router, req *http.Request) (Credentials, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(r *Router, req *http.Request) (Credentials, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *Router, req *http.Request) (Credentials, error) {
	return f(r, req)
}

// APIKeyAuthenticator authenticates with an API key in the X-API-Key header
// or as "Authorization: Bearer <key>". It is the default Authenticator; an
// embedder's own Authenticator can fall back to it.
type APIKeyAuthenticator struct{}

// Authenticate looks the request's API key up.
func (APIKeyAuthenticator) Authenticate(r *Router, req *http.Request) (Credentials, error) {
	key := requestAPIKey(req)
	if key == "" {
		return Credentials{}, withMessage(ErrUnauthorized, "Missing API key")
	}
	return r.AuthenticateKey(req.Context(), key)
}

// requestAPIKey is the API key in req's X-API-Key or Authorization: Bearer
// header, or "".
func requestAPIKey(req *http.Request) string {
	if key := req.Header.Get("X-API-Key"); key != "" {
		return key
	}
	auth := req.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// apiKeyPattern is the shape of an API key.
var apiKeyPattern = regexp.MustCompile(`^hs_(live|test)_[0-9a-f]{64}$`)

// APIKeyParams creates an API key.
type APIKeyParams struct {
	// Name labels the key.
	Name string `json:"name" limit:"200"`
	// EnvID is the environment the key acts for. Defaults to the one the
	// caller acts in; another environment of the organization needs the org
	// scope (ErrForbidden without it).
	EnvID string `json:"env_id" limit:"64"`
	// Scopes are the key's scopes: ScopeEnvironment (the default) or
	// ScopeOrg, which only a caller holding the org scope may grant.
	Scopes []string `json:"scopes" limit:"2,item=16"`
}

// CreateAPIKey creates an API key for an environment of ctx's organization
// and returns it with the key, which is shown only this once.
func (r *Router) CreateAPIKey(ctx context.Context, p APIKeyParams) (_ *APIKey, _ string, err error) {
	defer func() { err = forResource(err, "API key") }()
	if err := checkLimits(&p); err != nil {
		return nil, "", err
	}
	if err := required("name", p.Name); err != nil {
		return nil, "", err
	}
	org, err := r.requestedOrgScope(ctx, p.Scopes)
	if err != nil {
		return nil, "", err
	}
	ctx, err = r.actIn(ctx, "", p.EnvID)
	if err != nil {
		return nil, "", err
	}
	key := "hs_live_" + randomHex(32)
	k, err := r.storeAPIKey(ctx, r.tenant(ctx), p.Name, key, org)
	return k, key, err
}

// requestedOrgScope validates the scopes asked for a new key and reports
// whether they include the org scope.
func (r *Router) requestedOrgScope(ctx context.Context, scopes []string) (bool, error) {
	org := false
	for i, s := range scopes {
		switch s {
		case ScopeEnvironment:
		case ScopeOrg:
			org = true
		default:
			return false, invalid(fmt.Sprintf("scopes[%d]", i), "must be one of %s, %s", ScopeEnvironment, ScopeOrg)
		}
	}
	if org {
		if err := r.requireOrgScope(ctx, "grant it"); err != nil {
			return false, err
		}
	}
	return org, nil
}

// RegisterAPIKey stores a key the caller chose (for example from a
// configuration file) for ctx's own tenant, with the caller's scope: a
// context carrying no credentials registers an org key. Registering a key
// that exists already updates its scope.
func (r *Router) RegisterAPIKey(ctx context.Context, name, key string) (*APIKey, error) {
	if !apiKeyPattern.MatchString(key) {
		return nil, invalid("key", "must be hs_live_ or hs_test_ followed by 64 lowercase hex digits")
	}
	c := r.caller(ctx).creds
	existing := new(store.APIKey)
	err := r.store.Lookup(ctx, existing, store.APIKeyHashKey(hashKey(key)))
	switch {
	case err == nil && existing.OrgID != c.Tenant.OrgID:
		return nil, withMessage(ErrConflict, "API key is registered in another organization")
	case err == nil && hasOrgScope(existing.Scopes) == c.Org:
		return newAPIKey(existing), nil
	case err == nil:
		existing.Scopes = scopesOf(c.Org)
		existing.UpdatedAt = r.now()
		if err := r.store.Update(ctx, existing); err != nil {
			return nil, fmt.Errorf("register api key: %w", err)
		}
		return newAPIKey(existing), nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return r.storeAPIKey(ctx, c.Tenant, name, key, c.Org)
}

func (r *Router) storeAPIKey(ctx context.Context, t Tenant, name, key string, org bool) (*APIKey, error) {
	now := r.now()
	k := &store.APIKey{
		Meta:      store.Meta{ID: prefixAPIKey + randomHex(8), OrgID: t.OrgID, EnvID: t.EnvID, CreatedAt: now, UpdatedAt: now},
		Name:      name,
		KeyHash:   hashKey(key),
		KeyPrefix: key[:12],
		Scopes:    scopesOf(org),
	}
	if err := r.store.Create(ctx, k); err != nil {
		return nil, fmt.Errorf("create api key: %w", storeError(err, "API key"))
	}
	return newAPIKey(k), nil
}

// ListAPIKeys lists the API keys of the environment ctx acts in, newest
// first.
func (r *Router) ListAPIKeys(ctx context.Context, p ListParams) (Page[*APIKey], error) {
	page, err := listResources[*store.APIKey](ctx, r, store.KindAPIKey, p)
	if err != nil {
		return Page[*APIKey]{}, fmt.Errorf("list api keys: %w", err)
	}
	return mapPage(page, newAPIKey), nil
}

// RevokeAPIKey deletes an API key; it stops working at once. A caller
// without the org scope revokes only its own environment's keys (others are
// ErrNotFound); with it, any key of its organization.
func (r *Router) RevokeAPIKey(ctx context.Context, id string) error {
	k := new(store.APIKey)
	err := r.store.Lookup(ctx, k, store.IDKey(id))
	if err == nil && (k.OrgID != r.orgScope(ctx).OrgID || !r.visibleEnvironment(ctx, k.EnvID)) {
		err = store.ErrNotFound
	}
	if err == nil {
		err = r.store.Delete(ctx, store.KindAPIKey, k.Tenant(), id)
	}
	return storeError(err, "API key")
}

// AuthenticateKey returns the credentials of an API key, or
// ErrUnauthorized.
func (r *Router) AuthenticateKey(ctx context.Context, key string) (Credentials, error) {
	if !apiKeyPattern.MatchString(key) {
		return Credentials{}, withMessage(ErrUnauthorized, "Invalid API key")
	}
	k := new(store.APIKey)
	if err := r.store.Lookup(ctx, k, store.APIKeyHashKey(hashKey(key))); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Credentials{}, withMessage(ErrUnauthorized, "Invalid API key")
		}
		return Credentials{}, err
	}
	return Credentials{Tenant: k.Tenant(), Org: hasOrgScope(k.Scopes)}, nil
}

// hashKey returns the hex SHA-256 of an API key. Keys carry 256 random
// bits, so a fast hash is enough: there is nothing to brute-force.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
