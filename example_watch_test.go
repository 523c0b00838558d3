package hookstream_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/memory"
)

// Watching a source's events arrive, as GET /v1/ws streams them.
func ExampleRouter_Watch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the Watch: its channel closes
	router, _ := hookstream.New(memory.New(), nil)
	defer router.Close()
	src, _ := router.CreateSource(ctx, hookstream.SourceParams{Name: ptr("Shop")})

	feed, err := router.Watch(ctx, hookstream.WatchParams{Channels: []string{"events:" + src.ID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest("POST", "/v1/ingest/"+src.ID, strings.NewReader(`{"order": 1}`))
	res, _ := router.Ingest(ctx, src.ID, req)

	m := <-feed
	fmt.Println(m.Type, m.Event.ID == res.EventID, string(m.Event.Body))
	// Output: event true {"order": 1}
}
