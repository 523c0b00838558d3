// Command topics publishes order events to a topic with three subscribers
// — one filtered, one transformed, one plain — each an HTTP receiver on
// loopback, and prints what every receiver gets.
//
//	go run ./examples/topics
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream"
)

func main() {
	dir, err := os.MkdirTemp("", "hookstream-topics")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The receivers listen on loopback, which deliveries refuse unless
	// private networks are allowed.
	router, err := hookstream.Open(filepath.Join(dir, "hooks.db"), &hookstream.Config{AllowPrivateNetworks: true})
	if err != nil {
		log.Fatal(err)
	}
	defer router.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	topic, err := router.CreateTopic(ctx, hookstream.TopicParams{Name: ptr("Orders")})
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	subscribers := []struct {
		name string
		sub  hookstream.SubscribeParams
		want int // how many of the orders below it receives
	}{
		{"big-orders (filtered: total >= 100)", hookstream.SubscribeParams{
			FilterRules: hookstream.FilterRules{{Field: "payload.total", Op: "gte", Value: 100}},
		}, 2},
		{"analytics (transformed)", hookstream.SubscribeParams{
			TransformExpression: ptr(`{"order": id, "cents": total * 100, "items": $count(items)}`),
		}, 3},
		{"audit-log (plain)", hookstream.SubscribeParams{}, 3},
	}
	for _, s := range subscribers {
		url := receiver(s.name, &wg)
		wg.Add(s.want)
		dst, err := router.CreateDestination(ctx, hookstream.DestinationParams{Name: ptr(s.name), URL: ptr(url)})
		if err != nil {
			log.Fatal(err)
		}
		s.sub.DestinationID = dst.ID
		if _, err := router.Subscribe(ctx, topic.ID, s.sub); err != nil {
			log.Fatal(err)
		}
	}

	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	for _, order := range []map[string]any{
		{"id": "ord_1", "total": 250, "items": []string{"book", "lamp"}},
		{"id": "ord_2", "total": 12, "items": []string{"pen"}},
		{"id": "ord_3", "total": 100, "items": []string{"chair", "desk", "mat"}},
	} {
		body, _ := json.Marshal(order)
		res, err := router.Publish(ctx, topic.Slug, body)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("published %s as %s (%d deliveries)\n", order["id"], res.EventID, res.Deliveries)
	}

	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		log.Fatal("deliveries did not all arrive")
	}
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
}

// receiver starts an HTTP receiver on loopback that prints what it gets.
func receiver(name string, wg *sync.WaitGroup) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		fmt.Printf("  %-38s got %s (event %s, attempt %s)\n", name, body,
			r.Header.Get("X-hookstream-Event-Id"), r.Header.Get("X-hookstream-Delivery-Attempt"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		wg.Done()
	}))
	return "http://" + ln.Addr().String() + "/hooks"
}

func ptr[T any](v T) *T { return &v }
