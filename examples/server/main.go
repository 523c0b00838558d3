// Command server serves hookstream's full /v1 REST API and delivers events:
// a complete webhook gateway, on an embedded bbolt file (one process) or on
// PostgreSQL (any number of processes sharing one queue). The web dashboard
// (Router.Dashboard) is served at /: sign in with an API key.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db hookstream.db | -db postgres://user:pass@host:5432/db] [-pg-schema hookstream] [-api-key hs_live_...] [-allow-private-networks] [-max-conns N] [-metrics=false] [-access-log]
//
// Every flag falls back to an environment variable (HOOKSTREAM_ADDR,
// HOOKSTREAM_DB, HOOKSTREAM_PG_SCHEMA, HOOKSTREAM_API_KEY,
// HOOKSTREAM_ALLOW_PRIVATE_NETWORKS, HOOKSTREAM_MAX_CONNS,
// HOOKSTREAM_METRICS, HOOKSTREAM_ACCESS_LOG).
// Without an API key, one is generated on first start and printed once.
//
// A -db that starts with postgres:// or postgresql:// is a PostgreSQL
// connection URL (pgxpool's: pool_max_conns=N sets the pool size): the
// server opens store/postgres on it, in the schema -pg-schema ("hookstream"
// by default; created, and migrated, on open), instead of a bbolt file.
// Several servers may run on one database and schema: they share the queue,
// circuit states and max_concurrency, and each sees the others'
// configuration changes within Config.ConfigTTL (5 s). Any other -db is the
// path of a bbolt file, which one process owns.
//
// The server keeps at most -max-conns client connections open: by default
// 80% of the process's limit on open files minus 1,100 (for the database
// and outgoing deliveries), 14,900 with a limit of 20,000. At the cap, a new
// connection makes room by closing the connection idle longest, else the
// oldest one that has not sent a complete request header; when every
// connection is serving a request, the new one is closed. Idle keep-alive
// connections close after 30 s, request headers must arrive within 10 s and
// a whole request (a 1 MiB body, say) within 60 s.
//
// GET /metrics serves the Router's OpenTelemetry metrics (and the Go
// runtime's) as Prometheus text, through OpenTelemetry's Prometheus
// exporter, without an API key; -metrics=false turns it off (a 404).
// -access-log logs every request at INFO. The start-up line says where the
// server listens, whether deliveries may reach private networks, and where
// its metrics are.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/connlimit"
	"github.com/hookstream-go/hookstream/store/postgres"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", env("HOOKSTREAM_ADDR", "127.0.0.1:8080"), "listen address (env HOOKSTREAM_ADDR)")
	dbPath := flag.String("db", env("HOOKSTREAM_DB", "hookstream.db"),
		"bbolt database file, or a PostgreSQL URL (postgres://… or postgresql://…) (env HOOKSTREAM_DB)")
	pgSchema := flag.String("pg-schema", env("HOOKSTREAM_PG_SCHEMA", postgres.DefaultSchema),
		"PostgreSQL schema of the tables, created and migrated on open; only with a PostgreSQL -db (env HOOKSTREAM_PG_SCHEMA)")
	apiKey := flag.String("api-key", env("HOOKSTREAM_API_KEY", ""), "API key to register for the default tenant (env HOOKSTREAM_API_KEY)")
	allowPrivate := flag.Bool("allow-private-networks", envBool("HOOKSTREAM_ALLOW_PRIVATE_NETWORKS"),
		"let deliveries reach loopback and private addresses (env HOOKSTREAM_ALLOW_PRIVATE_NETWORKS)")
	defaultRetention, err := envDuration("HOOKSTREAM_RETENTION", hookstream.DefaultRetention)
	if err != nil {
		return err
	}
	retention := flag.Duration("retention", defaultRetention,
		"how long finished events are kept before they are pruned in the background; 0 keeps them for ever (env HOOKSTREAM_RETENTION)")
	defaultMaxConns, err := envInt("HOOKSTREAM_MAX_CONNS", connlimit.DefaultMax())
	if err != nil {
		return err
	}
	maxConns := flag.Int("max-conns", defaultMaxConns, fmt.Sprintf("most client connections open at once; at the cap the longest idle, "+
		"else the oldest without a complete request header, is closed for a new one (env HOOKSTREAM_MAX_CONNS; "+
		"by default 80%% of the open-file limit minus %d)", connlimit.DefaultReserve))
	metricsOn := flag.Bool("metrics", envBoolOr("HOOKSTREAM_METRICS", true),
		"serve Prometheus metrics at "+metricsPath+", without an API key (env HOOKSTREAM_METRICS)")
	accessLog := flag.Bool("access-log", envBoolOr("HOOKSTREAM_ACCESS_LOG", false), "log every request (env HOOKSTREAM_ACCESS_LOG)")
	flag.Parse()
	if *maxConns <= 0 {
		return fmt.Errorf("-max-conns must be positive, got %d", *maxConns)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := &hookstream.Config{Logger: log, AllowPrivateNetworks: *allowPrivate, Retention: *retention}
	if *retention <= 0 {
		cfg.Retention = hookstream.KeepForever
	}
	var metrics http.Handler
	if *metricsOn {
		mp, h, err := newMetrics()
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		defer mp.Shutdown(context.Background())
		cfg.MeterProvider, metrics = mp, h
	}
	var requests *slog.Logger
	if *accessLog {
		requests = log
	}
	var (
		router *hookstream.Router
		dbDesc = *dbPath // what the log says of the database
	)
	if isPostgresURL(*dbPath) {
		dbDesc = redactURL(*dbPath)
		openCtx, cancel := context.WithTimeout(ctx, time.Minute)
		st, err := postgres.Open(openCtx, *dbPath, &postgres.Options{Schema: *pgSchema})
		cancel()
		if err != nil {
			return fmt.Errorf("open %s (schema %s): %w", dbDesc, *pgSchema, err)
		}
		// Router.Close does not close a store passed to New: close it
		// after the Router (deferred calls run last first).
		defer st.Close()
		if router, err = hookstream.New(st, cfg); err != nil {
			return err
		}
	} else {
		if pgSchemaSet() {
			return fmt.Errorf("-pg-schema (or HOOKSTREAM_PG_SCHEMA) needs a PostgreSQL -db (postgres://…), not the bbolt file %q", *dbPath)
		}
		if router, err = hookstream.Open(*dbPath, cfg); err != nil {
			return err
		}
	}
	defer router.Close()

	srv := &http.Server{
		// The REST handler serves /v1/ and answers its unknown paths, and
		// paths a ServeMux would redirect (//, .., encoded slashes), with
		// a JSON 404 itself; GET /metrics serves the metrics and the
		// dashboard every other path.
		Handler: serverHandler(apiAndDashboard(router), metrics, requests),
		// A slow sender has 10 s for the header and 60 s for the whole
		// request: 1 MiB at 18 KiB/s. net/http starts the write timeout
		// once the header is read, so it covers the body too, plus 30 s for
		// the handler and the response.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	limiter := connlimit.New(*maxConns)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// Only now that the server listens: a start that fails (the port is
	// taken) neither prints a first-start key nor creates one nobody saw,
	// and the key works by the time the log says the server listens.
	if err := bootstrapKey(ctx, router, *apiKey); err != nil {
		ln.Close()
		return err
	}
	attrs := []any{"addr", "http://" + ln.Addr().String(), "db", dbDesc}
	if isPostgresURL(*dbPath) {
		attrs = append(attrs, "schema", *pgSchema)
	}
	privateNetworks := "refused (deliveries to loopback and private addresses fail; -allow-private-networks allows them)"
	if *allowPrivate {
		privateNetworks = "allowed (-allow-private-networks)"
	}
	metricsAt := "off (-metrics=false)"
	if *metricsOn {
		metricsAt = "http://" + ln.Addr().String() + metricsPath
	}
	attrs = append(attrs, "max_conns", limiter.Max(), "private_networks", privateNetworks, "metrics", metricsAt)
	log.Info("hookstream listening", attrs...)

	schedulerDone := make(chan error, 1)
	go func() { schedulerDone <- router.Run(ctx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- limiter.Serve(srv, ln) }()
	defer func() {
		s := limiter.Stats()
		log.Info("connections", "accepted", s.Accepted, "open", s.Open, "closed_idle_for_room", s.ClosedIdle,
			"closed_pending_for_room", s.ClosedPending, "rejected", s.Rejected, "file_limit_errors", s.FileLimitErrors)
	}()

	select {
	case <-ctx.Done():
	case err := <-serveDone:
		stop()
		<-schedulerDone
		return err
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Error("shutdown", "error", err)
	}
	if err := <-serveDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-schedulerDone
}

// apiAndDashboard serves the REST API under /v1 and the dashboard at /.
func apiAndDashboard(router *hookstream.Router) http.Handler {
	api, dashboard := router.Handler(), router.Dashboard()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/v1" || strings.HasPrefix(req.URL.Path, "/v1/") {
			api.ServeHTTP(w, req)
			return
		}
		dashboard.ServeHTTP(w, req)
	})
}

// bootstrapKey registers the given API key for the default tenant, or,
// when none is given and the tenant has no key yet, creates one and prints
// it once. Both are org keys. run calls it once the server listens.
func bootstrapKey(ctx context.Context, router *hookstream.Router, key string) error {
	if _, err := router.EnsureEnvironment(ctx, "Default"); err != nil {
		return err
	}
	if key != "" {
		_, err := router.RegisterAPIKey(ctx, "server", key)
		if errors.Is(err, hookstream.ErrConflict) {
			// Another server on the same PostgreSQL database registered
			// the key at the same moment: it is there now.
			_, err = router.RegisterAPIKey(ctx, "server", key)
		}
		return err
	}
	keys, err := router.ListAPIKeys(ctx, hookstream.ListParams{Limit: 1})
	if err != nil || len(keys.Items) > 0 {
		return err
	}
	_, key, err = router.CreateAPIKey(ctx, hookstream.APIKeyParams{Name: "server", Scopes: []string{hookstream.ScopeOrg}})
	if err != nil {
		return err
	}
	fmt.Printf("Created an API key for the default environment (shown only once):\n\n  %s\n\n", key)
	return nil
}

// isPostgresURL reports whether -db names a PostgreSQL database rather
// than a bbolt file.
func isPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// redactURL returns a PostgreSQL URL fit for a log: without its password.
func redactURL(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…" // unparsable: say nothing of it
	}
	return u.Redacted()
}

// pgSchemaSet reports whether -pg-schema or HOOKSTREAM_PG_SCHEMA was given.
func pgSchemaSet() bool {
	set := os.Getenv("HOOKSTREAM_PG_SCHEMA") != ""
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "pg-schema" })
	return set
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func envBool(name string) bool { return envBoolOr(name, false) }

// envBoolOr is the boolean in the environment variable, or def when it is
// unset or not a boolean.
func envBoolOr(name string, def bool) bool {
	b, err := strconv.ParseBool(os.Getenv(name))
	if err != nil {
		return def
	}
	return b
}
