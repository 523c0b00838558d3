package hookstream

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfig_withDefaults(t *testing.T) {
	t.Parallel()
	c, err := (*Config)(nil).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxBodyBytes != DefaultMaxBodyBytes || c.Workers != DefaultWorkers || c.TransformMaxSteps != DefaultTransformMaxSteps ||
		c.DefaultTenant != (Tenant{OrgID: DefaultOrgID, EnvID: DefaultEnvID}) || c.Logger == nil || c.Now == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	for _, bad := range []struct {
		cfg   Config
		field string
	}{
		{Config{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{Config{Workers: -1}, "Workers"},
		{Config{TrustedProxies: []string{"not-an-ip"}}, "TrustedProxies[0]"},
		{Config{DefaultTenant: Tenant{OrgID: "o"}}, "DefaultTenant"},
		{Config{Providers: map[string]Provider{"x": nil}}, "Providers"},
	} {
		if _, err := bad.cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), "Config."+bad.field) {
			t.Errorf("%+v: err = %v, want one naming Config.%s", bad.cfg, err, bad.field)
		}
	}
	in := &Config{TrustedProxies: []string{"10.0.0.0/8"}}
	out, _ := in.withDefaults()
	out.TrustedProxies[0] = "changed"
	if in.TrustedProxies[0] != "10.0.0.0/8" {
		t.Error("withDefaults aliased the caller's slice")
	}
}

func TestOpen_Reopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hooks.db")
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, dst, conn := fixture(t, r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gotSrc, err := r.GetSource(ctx, src.ID)
	if err != nil || gotSrc.Name != src.Name {
		t.Errorf("source after reopen: %v, %v", gotSrc, err)
	}
	if _, err := r.GetDestination(ctx, dst.ID); err != nil {
		t.Errorf("destination after reopen: %v", err)
	}
	gotConn, err := r.GetConnection(ctx, conn.ID)
	if err != nil || gotConn.SourceName != "Orders" {
		t.Errorf("connection after reopen: %v, %v", gotConn, err)
	}
}

func TestOpen_Locked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hooks.db")
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	r2, err := Open(path, nil)
	if err == nil {
		r2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !strings.Contains(err.Error(), "locked") {
		t.Errorf("err = %v, want it to say the file is locked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v, want about a second", d)
	}
}

func TestRouter_Sources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Stripe Live!"), Template: ptr("stripe"), VerificationSecret: ptr("whsec_abc")})
	if err != nil {
		t.Fatal(err)
	}
	if src.Slug != "stripe-live" || src.Type != "http" || src.Status != StatusActive || src.DedupWindowSeconds != 300 {
		t.Errorf("defaults: slug %q type %q status %q window %d", src.Slug, src.Type, src.Status, src.DedupWindowSeconds)
	}
	if !src.VerificationEnabled || src.VerificationType != "hmac_sha256" || src.VerificationHeader != "Stripe-Signature" {
		t.Errorf("stripe template pre-fill: %v %q %q", src.VerificationEnabled, src.VerificationType, src.VerificationHeader)
	}
	if _, err := r.CreateSource(ctx, SourceParams{Name: ptr("x"), Slug: ptr("stripe-live")}); !errors.Is(err, ErrConflict) || err.Error() != "create source: hookstream: source slug already exists" {
		t.Errorf("duplicate slug: err = %v", err)
	}
	if _, err := r.CreateSource(WithTenant(ctx, Tenant{OrgID: "org_b", EnvID: "env_b"}), SourceParams{Name: ptr("x"), Slug: ptr("stripe-live")}); err != nil {
		t.Errorf("same slug in another env: %v", err)
	}
	for _, c := range []struct {
		p     SourceParams
		field string
	}{
		{SourceParams{}, "name"},
		{SourceParams{Name: ptr("x"), Slug: ptr("Bad Slug")}, "slug"},
		{SourceParams{Name: ptr("x"), VerificationType: ptr(VerificationType("md5"))}, "verification_type"},
		{SourceParams{Name: ptr("x"), IPAllowlist: []string{"10.0.0.0/8", "nope"}}, "ip_allowlist[1]"},
		{SourceParams{Name: ptr("x"), DedupEnabled: ptr(true), DedupStrategy: ptr(DedupStrategy("header_field"))}, "dedup_field"},
		{SourceParams{Name: ptr("x"), Template: ptr("myspace")}, "template"},
		{SourceParams{Name: ptr("x"), SchemaValidationEnabled: ptr(true), JSONSchema: []byte(`{"type": 12}`)}, "json_schema"},
		{SourceParams{Name: ptr("x"), Status: ptr(Status("on"))}, "status"},
	} {
		_, err := r.CreateSource(ctx, c.p)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: err = %v, want a validation error on %s", c.p, err, c.field)
		}
	}
	got, err := r.UpdateSource(ctx, src.ID, SourceParams{Description: ptr("live keys"), IPDenylist: []string{"192.0.2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "live keys" || !slices.Equal(got.IPDenylist, []string{"192.0.2.1"}) || got.Name != src.Name {
		t.Errorf("after update: %+v", got)
	}
}

func TestRouter_Destinations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, nil)
	d, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Billing"), URL: ptr("https://example.com/h"), Timeout: ptr(5)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Method != "POST" || d.TimeoutMS != 5000 || !d.RetryEnabled || d.RetryMaxAttempts != 5 || d.RetryBackoffType != "exponential" ||
		!slices.Equal(d.RetryIntervals, []int{30, 300, 1800, 7200, 86400}) || !d.CircuitBreakerEnabled ||
		d.CircuitBreakerThreshold != 5 || d.CircuitBreakerResetMS != 60000 || d.MaxConcurrency != 10 || d.AuthType != "none" {
		t.Errorf("defaults: %+v", d)
	}
	for _, c := range []struct {
		p     DestinationParams
		field string
	}{
		{DestinationParams{URL: ptr("https://example.com")}, "name"},
		{DestinationParams{Name: ptr("x")}, "url"},
		{DestinationParams{Name: ptr("x"), URL: ptr("ftp://example.com")}, "url"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), Method: ptr("GET")}, "method"},
		{DestinationParams{Name: ptr("x"), Type: ptr("sqs")}, "type"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), AuthType: ptr(AuthType("bearer"))}, "auth_config"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), RetryBackoffType: ptr(BackoffType("random"))}, "retry_backoff_type"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), MaxConcurrency: ptr(0)}, "max_concurrency"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), Headers: map[string]string{"bad header": "v"}}, "headers"},
		{DestinationParams{Name: ptr("x"), URL: ptr("https://example.com"), SigningConfig: []byte(`{"algorithm": "md5", "secret": "s"}`)}, "signing_config"},
	} {
		_, err := r.CreateDestination(ctx, c.p)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: err = %v, want a validation error on %s", c.p, err, c.field)
		}
	}
}

func TestRouter_DestinationProviders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := setup(t, &Config{Providers: map[string]Provider{
		"inbox": FuncProvider(func(context.Context, *Message) error { return nil }),
	}})
	if _, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Inbox"), Type: ptr("inbox")}); err != nil {
		t.Errorf("registered type: %v", err)
	}
	if _, err := r.CreateDestination(ctx, DestinationParams{Name: ptr("Kafka"), Type: ptr("kafka")}); err == nil {
		t.Error("unregistered type: want a validation error")
	}
}

func TestParsePrefix(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1/32",
		"2001:db8::1":          "2001:db8::1/128",
		"10.1.2.3/8":           "10.0.0.0/8",
		"::ffff:192.0.2.7":     "192.0.2.7/32",
		"::ffff:192.0.2.0/120": "192.0.2.0/24",
		" 2001:db8::/32 ":      "2001:db8::/32",
	} {
		p, err := parsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "nope", "10.0.0.0/33", "1.2.3"} {
		if _, err := parsePrefix(bad); err == nil {
			t.Errorf("parsePrefix(%q) accepted", bad)
		}
	}
}

func TestRouter_Ingest_MasksCredentialHeaders(t *testing.T) {
	t.Parallel()
	r := setup(t, nil)
	src, _, _ := fixture(t, r)
	req := httptest.NewRequest("POST", "/v1/ingest/"+src.ID, strings.NewReader(`{}`))
	req.SetBasicAuth("postmark", "very-secret-password")
	req.Header.Set("Idempotency-Key", "abc")
	res, err := r.Ingest(context.Background(), src.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := r.GetEvent(context.Background(), res.EventID)
	if auth := ev.Headers["Authorization"]; strings.Contains(auth, "very-secret") || !strings.HasPrefix(auth, "••••") {
		t.Errorf("stored Authorization = %q, want it masked", auth)
	}
	if ev.Headers["Idempotency-Key"] != "abc" {
		t.Errorf("Idempotency-Key = %q, want it kept", ev.Headers["Idempotency-Key"])
	}
}

func TestCompileSchema_Size(t *testing.T) {
	t.Parallel()
	big := `{"enum": [` + strings.Repeat(`"aaaaaaaaaaaaaaaa",`, 4000) + `"a"]}`
	if _, err := compileSchema([]byte(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a %d-byte schema: err = %v, want refused", len(big), err)
	}
}
