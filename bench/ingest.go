package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookstream-go/hookstream"
	bbolt "go.etcd.io/bbolt"
)

// recordOverhead is what the store writes beside the body of an event (its
// metadata, headers and one delivery), roughly: the raw baseline writes the
// body plus this many bytes per event.
const recordOverhead = 200

// warmup is how many events each ingest measurement sends before its window
// (routes compiled, files grown, connections opened).
func (b *bench) warmup() int64 { return int64(4 * b.opts.concurrency) }

// runIngestGo measures Router.Ingest (Run not started) against raw bbolt
// DB.Batch puts of the same bytes, both from -concurrency goroutines.
func runIngestGo(ctx context.Context, b *bench) ([]Row, error) {
	rt, err := b.newRoute(ctx, "bolt", "ingest-go", b.config(), b.httpDestination("http://127.0.0.1:9/hook"), hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	ingest := func(seq int64) error { return rt.ingest(ctx, seq) }
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), ingest); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, ingest)
	if err != nil {
		return nil, err
	}
	got := perSecond(n, d)
	progress("ingest_go: %d events in %v: %.0f events/s", n, d.Round(time.Millisecond), got)

	raw, err := b.boltBatch()
	if err != nil {
		return nil, fmt.Errorf("bbolt_batch: %w", err)
	}
	return []Row{row("ingest_go", got, "events/s", "bbolt_batch", raw, false)}, nil
}

// boltBatch is the baseline of ingest_go: the body and recordOverhead bytes
// per event put with DB.Batch into a fresh file opened with the options of
// store/bolt (fsync on, the map freelist).
func (b *bench) boltBatch() (float64, error) {
	path := b.newFile("bbolt-batch")
	defer os.Remove(path)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	bucket := []byte("events")
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		return 0, err
	}
	put := func(seq int64) error {
		value := append(payload(seq), make([]byte, recordOverhead)...)
		key := binary.BigEndian.AppendUint64(nil, uint64(seq))
		return db.Batch(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(key, value) })
	}
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), put); err != nil {
		return 0, err
	}
	// Keys continue after the warm-up's.
	offset := b.warmup() + 1
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, func(seq int64) error { return put(seq + offset) })
	if err != nil {
		return 0, err
	}
	progress("bbolt_batch: %d puts in %v: %.0f events/s", n, d.Round(time.Millisecond), perSecond(n, d))
	return perSecond(n, d), nil
}

// runIngestHTTP measures ingest through Router.Handler() on a loopback
// net/http server against the same client loop on a bare handler.
func runIngestHTTP(ctx context.Context, b *bench) ([]Row, error) {
	rt, err := b.newRoute(ctx, "bolt", "ingest-http", b.config(), b.httpDestination("http://127.0.0.1:9/hook"), hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	got, err := b.httpIngestLoop("ingest_http", rt.r.Handler(), "/v1/ingest/"+rt.srcID)
	if err != nil {
		return nil, err
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"event_id":"evt_00000000000000000000000000","source_id":"src_00000000000000000000000000"}`+"\n")
	})
	raw, err := b.httpIngestLoop("bare_handler", bare, "/v1/ingest/src_bare")
	if err != nil {
		return nil, fmt.Errorf("bare_handler: %w", err)
	}
	return []Row{row("ingest_http", got, "events/s", "bare_handler", raw, false)}, nil
}

// httpIngestLoop serves h on loopback and posts payloads to path from
// -concurrency goroutines sharing one keep-alive client; it returns the
// rate of 200 answers over the window.
func (b *bench) httpIngestLoop(name string, h http.Handler, path string) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	client := rawClient(b.opts.concurrency)
	defer client.CloseIdleConnections()
	url := "http://" + ln.Addr().String() + path
	send := func(seq int64) error {
		res, err := client.Post(url, "application/json", bytes.NewReader(payload(seq)))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", path, res.StatusCode)
		}
		return nil
	}
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), send); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, send)
	if err != nil {
		return 0, err
	}
	progress("%s: %d requests in %v: %.0f events/s", name, n, d.Round(time.Millisecond), perSecond(n, d))
	return perSecond(n, d), nil
}
