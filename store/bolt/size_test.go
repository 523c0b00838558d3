package bolt

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
	bbolt "go.etcd.io/bbolt"
)

// TestFileBytesPerEvent measures what the store costs on disk per event:
// it inserts N events (a 1 KiB JSON body, one delivery each) through the
// store API, then delivers every one (a lease of 10, one Complete of 10
// successful attempts with realistic headers), and logs the file size per
// event with deliveries pending (a backlog) and after delivery, and the
// bytes written per event in each phase: bbolt's allocated page bytes
// (TxStats.PageAlloc, what its commits write but the meta page) and, on
// Linux, the bytes the process wrote (wchar of /proc/self/io).
//
// N defaults to 1000, to keep the test quick; set HOOKSTREAM_SIZE_N=20000
// for the figures of the README. IDs are made as the gateway makes them:
// 48-bit milliseconds, 6 bits of their fraction and 74 random bits for
// events, deliveries and attempts ("ordered"); the "random" run gives events and attempts fully
// random IDs, as earlier versions did, to show what scattered keys cost.
//
//	HOOKSTREAM_SIZE_N=20000 go test ./store/bolt -run FileBytesPerEvent -v
func TestFileBytesPerEvent(t *testing.T) {
	n := 1000
	if v := os.Getenv("HOOKSTREAM_SIZE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, ids := range []string{"ordered", "random"} {
		for _, writers := range []int{1, 16} {
			t.Run(fmt.Sprintf("ids=%s/writers=%d", ids, writers), func(t *testing.T) {
				measureBytes(t, n, writers, ids == "ordered")
			})
		}
	}
}

// orderedID returns prefix + 32 hex digits as the gateway makes them:
// 48-bit ms, 6 bits of the fraction of the ms, 74 random bits.
func orderedID(prefix string, now time.Time) string {
	var b [16]byte
	ns := now.UnixNano()
	rand.Read(b[6:])
	binary.BigEndian.PutUint64(b[:8], uint64(ns/1e6)<<16|uint64(ns%1e6)*64/1e6<<10|binary.BigEndian.Uint64(b[:8])&(1<<10-1))
	return prefix + hex.EncodeToString(b[:])
}

func randomID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// wchar returns the bytes this process wrote so far, or -1.
func wchar() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

var sizeBody = []byte(`{"type":"order.created","id":"ord_123","data":{"note":"` + strings.Repeat("x", 968) + `"}}`)

func measureBytes(t *testing.T, n, writers int, ordered bool) {
	path := filepath.Join(t.TempDir(), "size.db")
	s, err := Open(path, &Options{NoSync: os.Getenv("HOOKSTREAM_SIZE_SYNC") == ""})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id := func(prefix string, now time.Time) string {
		if ordered || prefix == "dlv_" {
			return orderedID(prefix, now)
		}
		return randomID(prefix)
	}
	start := time.Now().UTC()
	var next atomic.Int64
	parallel := func(fn func(i int) error) {
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Go(func() {
				for {
					i := int(next.Add(1))
					if i > n {
						return
					}
					if err := fn(i); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	pageAlloc := func() int64 { st := s.DB().Stats(); return st.TxStats.GetPageAlloc() }
	dataSize := func() (n int64) {
		s.DB().View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
		return n
	}
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	size0, alloc0, w0 := fileSize(), pageAlloc(), wchar()

	parallel(func(i int) error {
		now := time.Now().UTC()
		e := &store.Event{
			ID: id("evt_", now), OrgID: "org_1", EnvID: "env_1", SourceID: "src_1", Method: "POST",
			Headers: map[string]string{
				"Content-Type": "application/json", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
				"Stripe-Signature": "t=1700000000,v1=" + strings.Repeat("a", 64), "Accept": "*/*",
			},
			QueryParams: map[string]string{}, ContentType: "application/json", SourceIP: "203.0.113.7",
			Body: sizeBody, VerificationStatus: "verified", DedupStatus: store.DedupUnique, ReceivedAt: now,
			SourceName: "Stripe", SourceSlug: "stripe",
		}
		d := &store.Delivery{
			ID: id("dlv_", now), OrgID: "org_1", EnvID: "env_1", EventID: e.ID,
			ConnectionID: "conn_1", DestinationID: "dst_1", State: store.DeliveryPending,
			NextAt: start, Trigger: store.TriggerInitial, CreatedAt: now, UpdatedAt: now,
		}
		return s.InsertEvent(ctx, e, []*store.Delivery{d})
	})
	size1, alloc1, w1, data1 := fileSize(), pageAlloc(), wchar(), dataSize()
	logBuckets(t, s, n)

	next.Store(0)
	leaseAt := start.Add(time.Hour)
	delivered := atomic.Int64{}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for {
				ds, err := s.Lease(ctx, "dst_1", leaseAt, 10, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				outs := make([]store.Outcome, len(ds))
				for i, d := range ds {
					now := time.Now().UTC()
					outs[i] = store.Outcome{
						DeliveryID: d.ID, LeaseToken: d.LeaseToken, Result: store.ResultSuccess, Now: now,
						Attempt: &store.Attempt{
							ID: id("da_", now), OrgID: d.OrgID, EnvID: d.EnvID, EventID: d.EventID, DeliveryID: d.ID,
							ConnectionID: d.ConnectionID, SubscriptionID: d.SubscriptionID, DestinationID: d.DestinationID,
							RequestURL: "https://api.example.com/webhooks/orders", RequestMethod: "POST",
							RequestHeaders: map[string]string{
								"Content-Type": "application/json", "User-Agent": "hookstream/1.0",
								"X-Hookstream-Event-Id": d.EventID, "X-Hookstream-Delivery-Id": d.ID,
								"X-Hookstream-Timestamp": "1700000000", "X-Hookstream-Attempt": "1",
								"X-Hookstream-Signature": "v1," + strings.Repeat("b", 44), "Idempotency-Key": d.ID,
							},
							RequestBodySize: len(sizeBody), ResponseStatus: 200,
							ResponseHeaders: map[string]string{
								"Content-Type": "application/json", "Date": "Mon, 02 Jan 2006 15:04:05 GMT",
								"Content-Length": "2", "Server": "nginx", "X-Request-Id": randomID(""), "Connection": "keep-alive",
							},
							ResponseBody: "ok", DurationMS: 42, Status: store.AttemptSuccess, CreatedAt: now,
							AttemptNumber: 1, Trigger: store.TriggerInitial, ConnectionName: "orders", DestinationName: "orders-api",
						},
					}
				}
				errs2, err := s.Complete(ctx, outs)
				if err != nil {
					errs <- err
					return
				}
				for _, e := range errs2 {
					if e != nil {
						errs <- e
						return
					}
				}
				delivered.Add(int64(len(ds)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := delivered.Load(); got != int64(n) {
		t.Fatalf("delivered %d of %d", got, n)
	}
	size2, alloc2, w2, data2 := fileSize(), pageAlloc(), wchar(), dataSize()
	per := func(b int64) string { return fmt.Sprintf("%.0f B", float64(b)/float64(n)) }
	t.Logf("N=%d writers=%d ordered IDs=%v", n, writers, ordered)
	t.Logf("backlog:   file %s/event (%d bytes), pages in use %s/event", per(size1-size0), size1, per(data1))
	t.Logf("insert:    pages allocated %s/event, process wrote %s/event", per(alloc1-alloc0), per(w1-w0))
	t.Logf("delivered: file %s/event (%d bytes), pages in use %s/event", per(size2-size0), size2, per(data2))
	t.Logf("deliver:   pages allocated %s/event, process wrote %s/event", per(alloc2-alloc1), per(w2-w1))
	t.Logf("total:     pages allocated %s/delivered event, process wrote %s/delivered event", per(alloc2-alloc0), per(w2-w0))
}

// logBuckets logs the space each bucket takes per event, and the free
// pages of the file.
func logBuckets(t *testing.T, s *Store, n int) {
	st := s.DB().Stats()
	t.Logf("free pages %d, pending %d, freelist %d B", st.FreePageN, st.PendingPageN, st.FreelistInuse)
	err := s.DB().View(func(tx *bbolt.Tx) error {
		for _, name := range kv.Buckets {
			bs := tx.Bucket([]byte(name)).Stats()
			if bs.KeyN == 0 {
				continue
			}
			t.Logf("%-16s keys %6d  leaf %5.0f B/event (in use %3.0f%%)  branch %4.0f B/event  depth %d", name, bs.KeyN,
				float64(bs.LeafAlloc)/float64(n), 100*float64(bs.LeafInuse)/float64(max(bs.LeafAlloc, 1)),
				float64(bs.BranchAlloc)/float64(n), bs.Depth)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
