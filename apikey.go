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
	// Authenticate returns the tenant req acts for, or an error wrapping
	// ErrUnauthorized. r is the Router serving the request.
	Authenticate(r *Router, req *http.Request) (Tenant, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(r *Router, req *http.Request) (Tenant, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *Router, req *http.Request) (Tenant, error) {
	return f(r, req)
}

// APIKeyAuthenticator authenticates with an API key in the X-API-Key header
// or as "Authorization: Bearer <key>". It is the default Authenticator; an
// embedder's own Authenticator can fall back to it.
type APIKeyAuthenticator struct{}

// Authenticate looks the request's API key up.
func (APIKeyAuthenticator) Authenticate(r *Router, req *http.Request) (Tenant, error) {
	key := req.Header.Get("X-API-Key")
	if key == "" {
		auth := req.Header.Get("Authorization")
		if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			key = strings.TrimSpace(auth[7:])
		}
	}
	if key == "" {
		return Tenant{}, withMessage(ErrUnauthorized, "Missing API key")
	}
	return r.AuthenticateKey(req.Context(), key)
}

// apiKeyPattern is the shape of an API key.
var apiKeyPattern = regexp.MustCompile(`^hs_(live|test)_[0-9a-f]{64}$`)

// APIKey describes an API key; the key itself is never stored.
type APIKey = store.APIKey

// APIKeyParams creates an API key.
type APIKeyParams struct {
	// Name labels the key.
	Name string `json:"name"`
	// EnvID is the environment of the caller's organization the key acts
	// for. Defaults to the caller's environment.
	EnvID string `json:"env_id"`
}

// CreateAPIKey creates an API key for an environment of ctx's organization
// and returns it with the key, which is shown only this once.
func (r *Router) CreateAPIKey(ctx context.Context, p APIKeyParams) (*APIKey, string, error) {
	t := r.tenant(ctx)
	if err := required("name", p.Name); err != nil {
		return nil, "", err
	}
	if p.EnvID != "" && p.EnvID != t.EnvID {
		if _, err := r.GetEnvironment(ctx, p.EnvID); err != nil {
			return nil, "", err
		}
		t.EnvID = p.EnvID
	}
	key := "hs_live_" + randomHex(32)
	k, err := r.storeAPIKey(ctx, t, p.Name, key)
	return k, key, err
}

// RegisterAPIKey stores a key the caller chose (for example from a
// configuration file) for ctx's tenant. Registering a key that exists
// already is not an error.
func (r *Router) RegisterAPIKey(ctx context.Context, name, key string) (*APIKey, error) {
	if !apiKeyPattern.MatchString(key) {
		return nil, invalid("key", "must be hs_live_ or hs_test_ followed by 64 lowercase hex digits")
	}
	existing := new(store.APIKey)
	err := r.store.Lookup(ctx, existing, store.APIKeyHashKey(hashKey(key)))
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return r.storeAPIKey(ctx, r.tenant(ctx), name, key)
}

func (r *Router) storeAPIKey(ctx context.Context, t Tenant, name, key string) (*APIKey, error) {
	now := r.now()
	k := &store.APIKey{
		Meta:      store.Meta{ID: prefixAPIKey + randomHex(8), OrgID: t.OrgID, EnvID: t.EnvID, CreatedAt: now, UpdatedAt: now},
		Name:      name,
		KeyHash:   hashKey(key),
		KeyPrefix: key[:12],
		Scopes:    []string{"*"},
	}
	if err := r.store.Create(ctx, k); err != nil {
		return nil, fmt.Errorf("create api key: %w", storeError(err, "API key"))
	}
	return k, nil
}

// ListAPIKeys lists ctx's tenant's API keys, newest first.
func (r *Router) ListAPIKeys(ctx context.Context, p ListParams) (Page[*APIKey], error) {
	return listResources[*store.APIKey](ctx, r, store.KindAPIKey, p, nil)
}

// RevokeAPIKey deletes an API key of ctx's organization; it stops working
// at once.
func (r *Router) RevokeAPIKey(ctx context.Context, id string) error {
	k := new(store.APIKey)
	err := r.store.Lookup(ctx, k, store.IDKey(id))
	if err == nil && k.OrgID != r.tenant(ctx).OrgID {
		err = store.ErrNotFound
	}
	if err == nil {
		err = r.store.Delete(ctx, store.KindAPIKey, k.Tenant(), id)
	}
	return storeError(err, "API key")
}

// AuthenticateKey returns the tenant of an API key, or ErrUnauthorized.
func (r *Router) AuthenticateKey(ctx context.Context, key string) (Tenant, error) {
	if !apiKeyPattern.MatchString(key) {
		return Tenant{}, withMessage(ErrUnauthorized, "Invalid API key")
	}
	k := new(store.APIKey)
	if err := r.store.Lookup(ctx, k, store.APIKeyHashKey(hashKey(key))); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Tenant{}, withMessage(ErrUnauthorized, "Invalid API key")
		}
		return Tenant{}, err
	}
	return k.Tenant(), nil
}

// hashKey returns the hex SHA-256 of an API key. Keys carry 256 random
// bits, so a fast hash is enough: there is nothing to brute-force.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
