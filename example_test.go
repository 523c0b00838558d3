package hookstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/memory"
)

func ptr[T any](v T) *T { return &v }

// A source routed to a destination through a filter rule and a transform,
// checked with a dry run before any event arrives.
func ExampleRouter_CreateConnection() {
	ctx := context.Background()
	router, _ := hookstream.New(memory.New(), nil)

	src, _ := router.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Shop")})
	dst, _ := router.CreateDestination(ctx, hookstream.DestinationParams{
		Name: ptr("Billing"), URL: ptr("https://billing.example.com/hooks"),
	})
	conn, err := router.CreateConnection(ctx, hookstream.ConnectionParams{
		SourceID: src.ID, DestinationID: dst.ID, Name: ptr("paid orders"),
		FilterRules:         hookstream.FilterRules{{Field: "payload.status", Op: "eq", Value: "paid"}},
		TransformEnabled:    ptr(true),
		TransformExpression: ptr(`{"order": id, "cents": total * 100}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, payload := range []string{`{"id": "o1", "status": "paid", "total": 12.5}`, `{"id": "o2", "status": "open", "total": 3}`} {
		res, _ := router.TestConnection(ctx, conn.ID, hookstream.TestParams{Payload: json.RawMessage(payload)})
		fmt.Printf("matched=%v observed=%s transformed=%s\n", res.Matched, res.Rules[0].Observed, res.Transformed)
	}
	// Output:
	// matched=true observed="paid" transformed={"order":"o1","cents":1250}
	// matched=false observed="open" transformed=
}

// Errors carry the REST API's messages and sentinels to branch on.
func ExampleRouter_CreateConnection_unknownSource() {
	ctx := context.Background()
	router, _ := hookstream.New(memory.New(), nil)
	dst, _ := router.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("D"), URL: ptr("https://example.com")})
	_, err := router.CreateConnection(ctx, hookstream.ConnectionParams{
		SourceID: "src_00000000000000000000000000000000", DestinationID: dst.ID, Name: ptr("x"),
	})
	fmt.Println(err, errors.Is(err, hookstream.ErrNotFound))
	// Output: hookstream: source or destination not found true
}

// Ingest stores an event with one pending delivery per matching
// connection, durably, before it answers.
func ExampleRouter_Ingest() {
	ctx := context.Background()
	router, _ := hookstream.New(memory.New(), nil)
	src, _ := router.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Shop")})
	dst, _ := router.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("D"), URL: ptr("https://example.com")})
	router.CreateConnection(ctx, hookstream.ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("all")})

	req := httptest.NewRequest("POST", "/v1/ingest/"+src.ID, strings.NewReader(`{"id": "o1"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := router.Ingest(ctx, src.ID, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, _ := router.GetEvent(ctx, res.EventID)
	fmt.Println(res.Deliveries, ev.Status, string(ev.Body))
	// Output: 1 processing {"id": "o1"}
}

// Graceful shutdown: cancelling Run's context (or calling Close) stops it
// taking work; the attempts under way finish and are recorded, within
// Config.DrainTimeout, and Run returns.
func ExampleRouter_Run_gracefulShutdown() {
	router, _ := hookstream.New(memory.New(), &hookstream.Config{DrainTimeout: 10 * time.Second})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()

	// ... serve webhooks until the process is told to stop ...

	stop()
	fmt.Println("Run:", <-done)
	fmt.Println("Close:", router.Close())
	fmt.Println("Run after Close:", router.Run(context.Background()))
	// Output:
	// Run: <nil>
	// Close: <nil>
	// Run after Close: hookstream: the Router is closed
}

// A replay of the last hour's events of a source to a destination: sent
// again oldest first, paced, each as one attempt that is not retried.
func ExampleRouter_StartReplay() {
	ctx := context.Background()
	received := make(chan string, 10)
	router, _ := hookstream.New(memory.New(), &hookstream.Config{Providers: map[string]hookstream.Provider{
		"inbox": hookstream.FuncProvider(func(_ context.Context, msg *hookstream.Message) error {
			received <- string(msg.Body)
			return nil
		}),
	}})
	defer router.Close()
	src, _ := router.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Shop")})
	dst, _ := router.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr("Inbox"), Type: ptr("inbox")})
	for _, order := range []string{"o1", "o2", "o3"} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"id": "`+order+`"}`))
		req.Header.Set("Content-Type", "application/json")
		router.Ingest(ctx, src.ID, req)
	}

	go router.Run(ctx) // Run drives replay jobs
	now := time.Now()
	job, err := router.StartReplay(ctx, hookstream.ReplayParams{
		DestinationID: dst.ID, SourceID: src.ID, From: now.Add(-time.Hour), To: now.Add(time.Minute), RateLimit: 100,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status, job.Total)
	for range job.Total {
		fmt.Println(<-received)
	}
	// Output:
	// running 3
	// {"id": "o1"}
	// {"id": "o2"}
	// {"id": "o3"}
}
