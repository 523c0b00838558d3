package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is a loopback webhook receiver: a net/http server on
// 127.0.0.1:0 (keep-alive on) that reads each request's body and answers
// with status (200 unless set) and a 2-byte body. It counts the requests it
// answered 200 and the distinct "seq" fields of their bodies, remembers
// when the last new seq arrived, and hands each body's seq to onSeq when
// set.
type receiver struct {
	url    string
	srv    *http.Server
	ln     net.Listener
	status atomic.Int32
	count  atomic.Int64 // requests answered 200
	uniq   atomic.Int64 // distinct "seq" among them
	last   atomic.Int64 // UnixNano of the last new seq answered 200
	// lastAny is the UnixNano of the last request answered 200.
	lastAny atomic.Int64
	mu      sync.Mutex
	seen    []uint64 // bit set of the seqs answered 200
	// onSeq, when not nil, receives each delivered body's "seq" and its
	// arrival time.
	onSeq func(seq int64, at time.Time)
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// startReceiver starts a receiver; onSeq may be nil.
func startReceiver(onSeq func(seq int64, at time.Time)) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{ln: ln, url: "http://" + ln.Addr().String() + "/hook", onSeq: onSeq}
	rc.status.Store(http.StatusOK)
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(req.Body)
	now := time.Now()
	status := int(rc.status.Load())
	if err != nil {
		status = http.StatusBadRequest
	}
	if status == http.StatusOK {
		if seq, ok := parseSeq(buf.Bytes()); ok {
			if rc.onSeq != nil {
				rc.onSeq(seq, now)
			}
			if rc.firstTime(seq) {
				rc.uniq.Add(1)
				rc.last.Store(now.UnixNano())
			}
		}
		rc.count.Add(1)
		rc.lastAny.Store(now.UnixNano())
	}
	bodyPool.Put(buf)
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(status)
	io.WriteString(w, "ok")
}

// firstTime marks seq seen and reports whether it was not before.
func (rc *receiver) firstTime(seq int64) bool {
	if seq < 0 {
		return false
	}
	w, bit := int(seq/64), uint64(1)<<(seq%64)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if w >= len(rc.seen) {
		rc.seen = append(rc.seen, make([]uint64, w+1-len(rc.seen)+len(rc.seen)/2)...)
	}
	if rc.seen[w]&bit != 0 {
		return false
	}
	rc.seen[w] |= bit
	return true
}

// dups is how many requests answered 200 repeated a seq.
func (rc *receiver) dups() int64 { return rc.count.Load() - rc.uniq.Load() }

// waitCount waits until the receiver counted at least n requests, or the
// timeout passes; it reports whether n was reached.
func (rc *receiver) waitCount(n int64, timeout time.Duration) bool {
	return waitFor(&rc.count, n, timeout)
}

// waitUniq waits until the receiver saw at least n distinct seqs, or the
// timeout passes; it reports whether n was reached.
func (rc *receiver) waitUniq(n int64, timeout time.Duration) bool {
	return waitFor(&rc.uniq, n, timeout)
}

func waitFor(c *atomic.Int64, n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for c.Load() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// lastAt is the arrival time of the last new seq answered 200.
func (rc *receiver) lastAt() time.Time { return time.Unix(0, rc.last.Load()) }

// close stops the receiver at once (Shutdown would wait 5 s for
// connections a client dialled but never used).
func (rc *receiver) close() { rc.srv.Close() }

// rawClient is a keep-alive client with an idle connection per sender.
func rawClient(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     time.Minute,
	}}
}

// post sends body to url with the headers of a hookstream delivery and
// fails unless the answer is 200.
func post(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "hookstream-bench/1.0")
	h.Set("X-hookstream-Event-Id", "evt_bench")
	h.Set("X-hookstream-Delivery-Attempt", "1")
	h.Set("X-hookstream-Timestamp", time.Now().UTC().Format(time.RFC3339))
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", url, res.StatusCode)
	}
	return nil
}
