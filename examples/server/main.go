// Command server serves hookstream's full /v1 REST API on an embedded bbolt
// file, and delivers events: a complete webhook gateway in one process.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db hookstream.db] [-api-key hs_live_...] [-allow-private-networks]
//
// Every flag falls back to an environment variable (HOOKSTREAM_ADDR,
// HOOKSTREAM_DB, HOOKSTREAM_API_KEY, HOOKSTREAM_ALLOW_PRIVATE_NETWORKS).
// Without an API key, one is generated on first start and printed once.
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
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	router, err := hookstream.Open(*dbPath, &hookstream.Config{Logger: log, AllowPrivateNetworks: *allowPrivate})
	if err != nil {
		return err
	}
	defer router.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bootstrapKey(ctx, router, *apiKey); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/v1/", router.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log.Info("hookstream listening", "addr", "http://"+ln.Addr().String(), "db", *dbPath)

	schedulerDone := make(chan error, 1)
	go func() { schedulerDone <- router.Run(ctx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()

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
// it once.
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
	_, key, err = router.CreateAPIKey(ctx, hookstream.APIKeyParams{Name: "server"})
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

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
