package connlimit_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hookstream-go/hookstream/connlimit"
)

func ExampleLimiter_Serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	lim := connlimit.New(100) // or connlimit.New(connlimit.DefaultMax())
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
	go lim.Serve(srv, ln)
	defer srv.Close()

	res, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	s := lim.Stats()
	fmt.Println(res.Status, string(body))
	fmt.Println("max", s.Max, "accepted", s.Accepted, "closed for room", s.ClosedForRoom())
	// Output:
	// 200 OK hello
	// max 100 accepted 1 closed for room 0
}
