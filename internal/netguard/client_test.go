package netguard

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newServer starts an httptest server on 127.0.0.1 answering 200 "ok".
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestNewClient_Loopback(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name         string
		allowPrivate bool
		url          string
		wantBlocked  bool
	}{
		{"guarded", false, srv.URL, true},
		{"allowed", true, srv.URL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewClient(Config{AllowPrivate: tt.allowPrivate})
			resp, err := get(t, c, tt.url)
			if tt.wantBlocked {
				if !errors.Is(err, ErrBlocked) {
					t.Fatalf("GET %s = %v, want ErrBlocked", tt.url, err)
				}
				var be *BlockedError
				if !errors.As(err, &be) || be.Reason != "loopback address" ||
					!strings.Contains(err.Error(), "netguard: refusing to connect to 127.0.0.1 (loopback address)") {
					t.Fatalf("GET %s = %v, want a loopback refusal naming 127.0.0.1", tt.url, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET %s = %v", tt.url, err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Fatalf("GET %s = %d %q, want 200 ok", tt.url, resp.StatusCode, body)
			}
		})
	}
}

// TestNewClient_ResolvedName checks that the guard applies to the address a
// host name resolves to: a resolver that answers 127.0.0.1 for
// rebind.example (as a rebinding attacker's DNS would) gets it refused.
func TestNewClient_ResolvedName(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://rebind.example.:" + port + "/"
	resolver, queries := fakeResolver(t, net.IPv4(127, 0, 0, 1))

	c := NewClient(Config{Resolver: resolver})
	_, err := get(t, c, url)
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "refusing to connect to 127.0.0.1 (loopback address)") {
		t.Fatalf("GET %s = %v, want ErrBlocked for 127.0.0.1", url, err)
	}
	if queries.Load() == 0 {
		t.Fatal("the fake resolver was not asked")
	}

	c = NewClient(Config{Resolver: resolver, AllowPrivate: true})
	resp, err := get(t, c, url)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s with AllowPrivate = %v, %v; want 200", url, resp, err)
	}
}

func TestNewClient_NoRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/target" {
			followed.Add(1)
			return
		}
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		http.Redirect(w, r, "/target", code)
	}))
	t.Cleanup(srv.Close)

	c := NewClient(Config{AllowPrivate: true})
	for _, code := range []int{301, 302, 303, 307, 308} {
		resp, err := get(t, c, srv.URL+"/start?code="+strconv.Itoa(code))
		if err != nil {
			t.Fatalf("GET = %v", err)
		}
		if resp.StatusCode != code || resp.Header.Get("Location") != "/target" {
			t.Errorf("GET = %d Location %q, want %d /target", resp.StatusCode, resp.Header.Get("Location"), code)
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect followed %d times", n)
	}
}

func TestNewClient_HTTP2(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := NewClient(Config{AllowPrivate: true, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig})
	resp, err := get(t, c, srv.URL)
	if err != nil {
		t.Fatalf("GET = %v", err)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}

	// Guarded, the TLS server is refused before any handshake.
	c = NewClient(Config{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig})
	if _, err := get(t, c, srv.URL); !errors.Is(err, ErrBlocked) {
		t.Errorf("guarded GET = %v, want ErrBlocked", err)
	}
}

func TestNewDialer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { ln.Close() })

	ctx := context.Background()
	if _, err := NewDialer(Config{}).DialContext(ctx, "tcp", ln.Addr().String()); !errors.Is(err, ErrBlocked) {
		t.Errorf("guarded dial = %v, want ErrBlocked", err)
	}
	conn, err := NewDialer(Config{AllowPrivate: true}).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("allowed dial = %v", err)
	}
	conn.Close()
}

func TestNewTransport_Settings(t *testing.T) {
	t.Parallel()
	tr := NewTransport(Config{MaxConnsPerHost: 7})
	if tr.Proxy != nil {
		t.Error("Proxy is set: a proxy would bypass the guard")
	}
	if !tr.ForceAttemptHTTP2 {
		t.Error("HTTP/2 not attempted")
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.IdleConnTimeout != 90*time.Second ||
		tr.ResponseHeaderTimeout != 0 || tr.MaxIdleConnsPerHost != 100 || tr.MaxIdleConns != 1000 ||
		tr.MaxConnsPerHost != 7 || tr.MaxResponseHeaderBytes != 256<<10 {
		t.Errorf("transport settings %+v", tr)
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion < 0x0303 {
		t.Error("TLS below 1.2 allowed")
	}
	if d := NewDialer(Config{}); d.Timeout != 10*time.Second || d.Control == nil {
		t.Errorf("dialer %+v", d)
	}
	c := NewClient(Config{})
	if c.Timeout != 0 || c.Jar != nil || c.CheckRedirect == nil {
		t.Errorf("client %+v", c)
	}
}

// fakeResolver returns a resolver whose DNS server, in process, answers
// every A query with ip and every other query with no records. It counts
// the queries.
func fakeResolver(t *testing.T, ip net.IP) (*net.Resolver, *atomic.Int32) {
	t.Helper()
	var (
		wg      sync.WaitGroup
		queries atomic.Int32
	)
	t.Cleanup(wg.Wait)
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			client, server := net.Pipe()
			wg.Go(func() {
				defer server.Close()
				for {
					var n uint16
					if err := binary.Read(server, binary.BigEndian, &n); err != nil {
						return
					}
					q := make([]byte, n)
					if _, err := io.ReadFull(server, q); err != nil {
						return
					}
					queries.Add(1)
					resp := dnsAnswer(q, ip.To4())
					if resp == nil {
						return
					}
					out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
					if _, err := server.Write(append(out, resp...)); err != nil {
						return
					}
				}
			})
			return client, nil
		},
	}
	return r, &queries
}

// dnsAnswer builds the response to the DNS query q: an A record holding ip
// for an A query, no records otherwise. It returns nil for a query it
// cannot read.
func dnsAnswer(q []byte, ip net.IP) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	for i < len(q) && q[i] != 0 { // the question's name
		i += int(q[i]) + 1
	}
	end := i + 1 + 4 // zero label, type, class
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	resp := append([]byte(nil), q[:2]...) // ID
	resp = append(resp, 0x81, 0x80, 0, 1) // response, RD, RA, NOERROR; 1 question
	if qtype == 1 {
		resp = append(resp, 0, 1)
	} else {
		resp = append(resp, 0, 0)
	}
	resp = append(resp, 0, 0, 0, 0)   // no authority or additional records
	resp = append(resp, q[12:end]...) // the question
	if qtype == 1 {
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		resp = append(resp, ip...)
	}
	return resp
}
