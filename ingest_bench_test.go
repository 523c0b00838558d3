package hookstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	bbolt "go.etcd.io/bbolt"
)

// ingestBenchWriters are the numbers of concurrent ingests measured. They are
// exact goroutine counts, not b.SetParallelism multipliers (which scale with
// GOMAXPROCS), so that the figures compare across machines.
var ingestBenchWriters = []int{1, 8, 64}

// BenchmarkIngest measures durable ingest on a bbolt file: 1 KB JSON
// bodies, a source with two filtered connections (every event matches the
// first, every other event the second), by number of concurrent writers:
//
//   - GoAPI: Router.Ingest;
//   - HTTP: the REST handler's ServeHTTP, in process;
//   - HTTPServer: a real HTTP server on loopback, with a keep-alive client;
//   - StoreInsertEvent: the store's InsertEvent alone, with the records
//     Ingest would write (no routing, no HTTP): the ceiling of the above;
//   - BoltUpdate, BoltBatch: bbolt itself putting as many bytes per event,
//     one transaction each (Update) or coalesced by bbolt's Batch (its
//     default 10 ms MaxBatchDelay).
//
// The writers count is the outer level, so the variants compared at one
// count run close together in time. Each reports events/s.
func BenchmarkIngest(b *testing.B) {
	size := ingestBenchRecordSize(b)
	variants := []struct {
		name string
		run  func(b *testing.B, writers int)
	}{
		{"GoAPI", func(b *testing.B, w int) {
			r, srcID := benchIngestRouter(b)
			ctx := context.Background()
			ingestRunWriters(b, w, func(i int) error {
				_, err := r.Ingest(ctx, srcID, ingestBenchRequest(srcID, i))
				return err
			})
		}},
		{"HTTP", func(b *testing.B, w int) {
			r, srcID := benchIngestRouter(b)
			h := r.Handler()
			ingestRunWriters(b, w, func(i int) error {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, ingestBenchRequest(srcID, i))
				if rec.Code != http.StatusOK {
					return fmt.Errorf("status %d: %s", rec.Code, rec.Body)
				}
				return nil
			})
		}},
		{"HTTPServer", func(b *testing.B, w int) {
			r, srcID := benchIngestRouter(b)
			srv := httptest.NewServer(r.Handler())
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: w}}
			defer client.CloseIdleConnections()
			url := srv.URL + "/v1/ingest/" + srcID
			ingestRunWriters(b, w, func(i int) error {
				res, err := client.Post(url, "application/json", bytes.NewReader(ingestBenchBody(i)))
				if err != nil {
					return err
				}
				defer res.Body.Close()
				if _, err := io.Copy(io.Discard, res.Body); err != nil {
					return err
				}
				if res.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", res.StatusCode)
				}
				return nil
			})
		}},
		{"StoreInsertEvent", func(b *testing.B, w int) {
			r, srcID := benchIngestRouter(b)
			ctx := context.Background()
			sr, err := r.routes().forSource(ctx, srcID)
			if err != nil {
				b.Fatal(err)
			}
			s := r.Store()
			ingestRunWriters(b, w, func(i int) error {
				ev, ds := ingestBenchRecords(srcID, sr.routes, i)
				return s.InsertEvent(ctx, ev, ds)
			})
		}},
		{"BoltUpdate", func(b *testing.B, w int) {
			db := ingestBenchBolt(b)
			ingestRunWriters(b, w, func(i int) error {
				return db.Update(func(tx *bbolt.Tx) error { return ingestBenchPut(tx, i, size) })
			})
		}},
		{"BoltBatch", func(b *testing.B, w int) {
			db := ingestBenchBolt(b)
			ingestRunWriters(b, w, func(i int) error {
				return db.Batch(func(tx *bbolt.Tx) error { return ingestBenchPut(tx, i, size) })
			})
		}},
	}
	for _, w := range ingestBenchWriters {
		for _, v := range variants {
			b.Run(fmt.Sprintf("writers=%d/%s", w, v.name), func(b *testing.B) { v.run(b, w) })
		}
	}
}

// ingestRunWriters calls fn b.N times from writers goroutines and reports
// events/s.
func ingestRunWriters(b *testing.B, writers int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := fn(int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// benchIngestRouter opens a Router on a bbolt file with a source and two
// filtered connections.
func benchIngestRouter(b *testing.B) (*Router, string) {
	b.Helper()
	r, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r, benchIngestSource(b, r)
}

// benchIngestSource creates a source with two filtered connections.
func benchIngestSource(b *testing.B, r *Router) string {
	b.Helper()
	ctx := context.Background()
	src, err := r.CreateSource(ctx, SourceParams{Name: ptr("Orders")})
	if err != nil {
		b.Fatal(err)
	}
	for i, rule := range []FilterRule{
		{Field: "payload.type", Op: "eq", Value: "order.created"},
		{Field: "payload.amount", Op: "gte", Value: 500},
	} {
		dst, err := r.CreateDestination(ctx, DestinationParams{Name: ptr(fmt.Sprintf("D%d", i)), URL: ptr("https://example.com/hook")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.CreateConnection(ctx, ConnectionParams{
			SourceID: src.ID, DestinationID: dst.ID, Name: ptr(fmt.Sprintf("c%d", i)), FilterRules: FilterRules{rule},
		}); err != nil {
			b.Fatal(err)
		}
	}
	return src.ID
}

// ingestBenchBody is a 1 KB JSON order; odd i have amount ≥ 500.
func ingestBenchBody(i int) []byte {
	head := fmt.Sprintf(`{"type":"order.created","id":"ord_%010d","amount":%d,"currency":"usd","customer":{"id":"cus_1","email":"a@example.com"},"items":[{"sku":"A-1","qty":2},{"sku":"B-2","qty":1}],"note":"`, i, (i%2)*1000)
	return []byte(head + strings.Repeat("x", 1024-len(head)-2) + `"}`)
}

func ingestBenchRequest(sourceID string, i int) *http.Request {
	req := httptest.NewRequest("POST", "/v1/ingest/"+sourceID, bytes.NewReader(ingestBenchBody(i)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bench/1.0")
	return req
}

// ingestBenchRecords is what Ingest stores for ingestBenchBody(i) along routes (the
// first matches every event, the second odd ones).
func ingestBenchRecords(sourceID string, routes []*compiledRoute, i int) (*store.Event, []*store.Delivery) {
	now := time.Now().UTC()
	ev := &store.Event{
		ID: newID(prefixEvent), OrgID: DefaultOrgID, EnvID: DefaultEnvID, SourceID: sourceID, Method: "POST",
		Headers:     map[string]string{"Content-Type": "application/json", "User-Agent": "bench/1.0", "Content-Length": "1024"},
		ContentType: "application/json", SourceIP: "192.0.2.1", Body: ingestBenchBody(i),
		VerificationStatus: "unverified", DedupStatus: store.DedupUnique, ReceivedAt: now, SourceName: "Orders", SourceSlug: "orders",
	}
	ds := make([]*store.Delivery, min(1+i%2, len(routes)))
	for j := range ds {
		ds[j] = newDelivery(ev, routes[j], now)
	}
	return ev, ds
}

// ingestBenchRecordSize is the average encoded size of an event's records.
func ingestBenchRecordSize(b *testing.B) int {
	size := 0
	for i := range 2 {
		routes := []*compiledRoute{
			{connectionID: newID(prefixConnection), destinationID: newID(prefixDestination)},
			{connectionID: newID(prefixConnection), destinationID: newID(prefixDestination)},
		}
		ev, ds := ingestBenchRecords(newID(prefixSource), routes, i)
		for _, v := range append([]any{ev}, ingestAnySlice(ds)...) {
			data, err := json.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			size += len(data)
		}
	}
	return size / 2
}

func ingestAnySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func ingestBenchBolt(b *testing.B) *bbolt.DB {
	b.Helper()
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("events"))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return db
}

func ingestBenchPut(tx *bbolt.Tx, i, size int) error {
	return tx.Bucket([]byte("events")).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), make([]byte, size))
}
