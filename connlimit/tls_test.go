package connlimit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookstream-go/hookstream/connlimit"
)

// The Limiter finds its connection under the *tls.Conn that the server's
// hook reports, for HTTP/1.1 and HTTP/2.
func TestLimiter_ConnState_tls(t *testing.T) {
	t.Parallel()
	for _, proto := range []int{1, 2} {
		t.Run(map[int]string{1: "HTTP1", 2: "HTTP2"}[proto], func(t *testing.T) {
			t.Parallel()
			lim := connlimit.New(1)
			ts := httptest.NewUnstartedServer(testHandler)
			ts.EnableHTTP2 = proto == 2
			ts.Listener = lim.Listener(ts.Listener)
			ts.Config.ConnState = lim.ConnState // httptest calls it from its own hook
			ts.StartTLS()
			t.Cleanup(ts.Close)

			for i := range 3 { // one connection each: the second and third make room
				tr := ts.Client().Transport.(*http.Transport).Clone()
				t.Cleanup(tr.CloseIdleConnections)
				res, err := (&http.Client{Transport: tr}).Get(ts.URL)
				if err != nil {
					t.Fatalf("GET %d: %v", i, err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK || string(body) != "ok" || res.ProtoMajor != proto {
					t.Fatalf("GET %d: %s %d %q %v, want HTTP/%d 200 \"ok\"", i, res.Proto, res.StatusCode, body, err, proto)
				}
				s := waitStats(t, lim, "the connection to be idle", func(s connlimit.Stats) bool { return s.Idle == 1 })
				if s.ClosedIdle != uint64(i) || s.Open != 1 {
					t.Fatalf("after GET %d: stats %+v, want ClosedIdle %d, Open 1", i, s, i)
				}
			}
		})
	}
}
