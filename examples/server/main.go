// Command server serves hookstream's full /v1 REST API on an embedded bbolt
// file, and delivers events: a complete webhook gateway in one process.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db hookstream.db] [-api-key hs_live_...] [-allow-private-networks] [-max-conns N]
//
// Every flag falls back to an environment variable (HOOKSTREAM_ADDR,
// HOOKSTREAM_DB, HOOKSTREAM_API_KEY, HOOKSTREAM_ALLOW_PRIVATE_NETWORKS,
// HOOKSTREAM_MAX_CONNS).
// Without an API key, one is generated on first start and printed once.
//
// The server keeps at most -max-conns client connections open: by default
// 80% of the process's limit on open files minus 1,100 (for the database
// and outgoing deliveries), 14,900 with a limit of 20,000. At the cap, a new
// connection makes room by closing the connection idle longest, else the
// oldest one that has not sent a complete request header; when every
// connection is serving a request, the new one is closed. Idle keep-alive
// connections close after 30 s, request headers must arrive within 10 s and
// a whole request (a 1 MiB body, say) within 60 s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/connlimit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", env("HOOKSTREAM_ADDR", "127.0.0.1:8080"), "listen address (env HOOKSTREAM_ADDR)")
	dbPath := flag.String("db", env("HOOKSTREAM_DB", "hookstream.db"), "bbolt database file (env HOOKSTREAM_DB)")
	apiKey := flag.String("api-key", env("HOOKSTREAM_API_KEY", ""), "API key to register for the default tenant (env HOOKSTREAM_API_KEY)")
	allowPrivate := flag.Bool("allow-private-networks", envBool("HOOKSTREAM_ALLOW_PRIVATE_NETWORKS"),
		"let deliveries reach loopback and private addresses (env HOOKSTREAM_ALLOW_PRIVATE_NETWORKS)")
	defaultMaxConns, err := envInt("HOOKSTREAM_MAX_CONNS", connlimit.DefaultMax())
	if err != nil {
		return err
	}
	maxConns := flag.Int("max-conns", defaultMaxConns, fmt.Sprintf("most client connections open at once; at the cap the longest idle, "+
		"else the oldest without a complete request header, is closed for a new one (env HOOKSTREAM_MAX_CONNS; "+
		"by default 80%% of the open-file limit minus %d)", connlimit.DefaultReserve))
	flag.Parse()
	if *maxConns <= 0 {
		return fmt.Errorf("-max-conns must be positive, got %d", *maxConns)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	router, err := hookstream.Open(*dbPath, &hookstream.Config{Logger: log, AllowPrivateNetworks: *allowPrivate})
	if err != nil {
		return err
	}
	defer router.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv := &http.Server{
		// The REST handler serves /v1/ and answers every other path, and
		// paths a ServeMux would redirect (//, .., encoded slashes), with
		// a JSON 404 itself.
		Handler: router.Handler(),
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
	log.Info("hookstream listening", "addr", "http://"+ln.Addr().String(), "db", *dbPath, "max_conns", limiter.Max())

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

// bootstrapKey registers the given API key for the default tenant, or,
// when none is given and the tenant has no key yet, creates one and prints
// it once. Both are org keys. run calls it once the server listens.
func bootstrapKey(ctx context.Context, router *hookstream.Router, key string) error {
	if _, err := router.EnsureEnvironment(ctx, "Default"); err != nil {
		return err
	}
	if key != "" {
		_, err := router.RegisterAPIKey(ctx, "server", key)
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

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
