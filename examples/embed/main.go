// Command embed mounts hookstream's REST API inside an existing service's
// own http.ServeMux, beside the service's own routes, and registers an
// in-process destination type whose deliveries call a Go function.
//
//	go run ./examples/embed [-addr 127.0.0.1:8081]
//
// It creates an API key for the default tenant and prints it in curl
// commands that call the service's route, ingest a webhook and list the
// sources through the mounted REST API. Its database is a temporary file,
// so each run starts afresh with a new key.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/hookstream-go/hookstream"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	dir, err := os.MkdirTemp("", "hookstream-embed")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	router, err := hookstream.Open(filepath.Join(dir, "hooks.db"), &hookstream.Config{
		Providers: map[string]hookstream.Provider{
			// Deliveries to destinations of type "inbox" call this function.
			"inbox": hookstream.FuncProvider(func(ctx context.Context, msg *hookstream.Message) error {
				fmt.Printf("delivered %s: %s\n", msg.EventID, msg.Body)
				return nil
			}),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer router.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Configure with the Go API: a source routed to the in-process inbox.
	src, err := router.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Orders")})
	if err != nil {
		log.Fatal(err)
	}
	dst, err := router.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("Inbox"), Type: ptr("inbox")})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := router.CreateConnection(ctx, hookstream.ConnectionParams{
		SourceID: src.ID, DestinationID: dst.ID, Name: ptr("orders to inbox"),
	}); err != nil {
		log.Fatal(err)
	}

	// A key for the REST API, for the default tenant (the one the Go API
	// acts for without WithTenant). The key itself is returned only here.
	_, key, err := router.CreateAPIKey(ctx, hookstream.APIKeyParams{Name: "embed"})
	if err != nil {
		log.Fatal(err)
	}

	// The service's own mux: its routes, and hookstream's under /v1/.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello from my service") })
	mux.Handle("/v1/", router.Handler())

	go router.Run(ctx)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Printf("my service on %s\n", base)
	fmt.Printf("  curl %s/hello\n", base)
	fmt.Printf("  curl -d '{\"order\":1}' %s/v1/ingest/%s\n", base, src.ID)
	fmt.Printf("  curl -H 'X-API-Key: %s' %s/v1/sources\n", key, base)
	srv := &http.Server{Handler: mux}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
