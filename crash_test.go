package hookstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// crashChildEnv marks the child process of TestRouter_Ingest_Crash and
// names its database file.
const crashChildEnv = "HOOKSTREAM_CRASH_CHILD_DB"

// crashAddrPrefix starts the line on which the child prints its address.
const crashAddrPrefix = "hookstream-crash-addr="

// TestCrashHelper is the child process of TestRouter_Ingest_Crash: it opens
// the database file and serves the REST handler until it is killed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("the child process of TestRouter_Ingest_Crash")
	}
	r, err := Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	fmt.Printf("%s%s\n", crashAddrPrefix, ln.Addr())
	err = http.Serve(ln, r.Handler()) // until SIGKILL
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(2)
}

// TestRouter_Ingest_Crash checks the durability promise of spec §3.1: a 200
// means the event is on disk with its deliveries. A child process serves
// ingest on a bbolt file; the parent keeps 32 requests in flight, and once
// 200 of them were acknowledged it kills the child with SIGKILL. Then it
// reopens the file: every acknowledged event must be there with exactly
// one pending delivery per matching connection, and no event may be there
// without its deliveries.
func TestRouter_Ingest_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	const (
		workers     = 32
		ackTarget   = 200  // kill once this many were acknowledged
		maxRequests = 5000 // bound, should the kill never come
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "hookstream.db")

	// The configuration: every event goes to "all" (active) and "held"
	// (paused, so its delivery is held); kind "a" also goes to "only-a";
	// "off" (disabled) gets nothing.
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := mustSource(t, r, SourceParams{Name: ptr("Crash")})
	dst := mustDestination(t, r, "Sink")
	all := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("all")})
	onlyA := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("only-a"), FilterRules: FilterRules{{Field: "payload.kind", Op: "eq", Value: "a"}}})
	held := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("held"), Status: ptr(StatusPaused)})
	off := mustConnection(t, r, src, dst, ConnectionParams{Name: ptr("off"), Status: ptr(StatusDisabled)})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitOnce sync.Once
	var waitErr error
	wait := func() error {
		waitOnce.Do(func() { waitErr = cmd.Wait() })
		return waitErr
	}
	defer func() {
		cmd.Process.Kill()
		wait()
	}()
	addr := ""
	lines := bufio.NewScanner(stdout)
	for addr == "" && lines.Scan() {
		addr, _ = strings.CutPrefix(lines.Text(), crashAddrPrefix)
	}
	if addr == "" {
		t.Fatalf("the child printed no address (%v)\nstderr: %s", lines.Err(), stderr.String())
	}
	go io.Copy(io.Discard, stdout) // never block the child on its stdout

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	post := func(n int64) (string, error) {
		kind := "b"
		if n%2 == 0 {
			kind = "a"
		}
		return postIngest(ctx, client, addr, src.ID, fmt.Sprintf(`{"n":%d,"kind":%q}`, n, kind))
	}

	var (
		next, inFlight, inFlightAtKill, sent atomic.Int64
		mu                                   sync.Mutex
		acked                                = map[string]int64{} // event ID → n
		failedBeforeKill                     []error
		killed                               = make(chan struct{})
		killOnce                             sync.Once
	)
	kill := func() {
		killOnce.Do(func() {
			// Closed first, so that no failure the kill causes is taken
			// for one before it.
			close(killed)
			inFlightAtKill.Store(inFlight.Load())
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Errorf("kill: %v", err)
			}
		})
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-killed:
					return
				default:
				}
				n := next.Add(1)
				if n > maxRequests {
					kill()
					return
				}
				sent.Add(1)
				inFlight.Add(1)
				id, err := post(n)
				inFlight.Add(-1)
				mu.Lock()
				switch {
				case err == nil:
					acked[id] = n
					if len(acked) == ackTarget {
						mu.Unlock()
						kill()
						mu.Lock()
					}
				case !isClosed(killed):
					failedBeforeKill = append(failedBeforeKill, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := wait(); err == nil {
		t.Errorf("the child exited cleanly, want killed\nstderr: %s", stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("timed out: %v", ctx.Err())
	}
	for _, err := range failedBeforeKill {
		t.Errorf("request failed before the kill: %v", err)
	}

	// Reopen the file the killed process left behind.
	r, err = Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer r.Close()
	rctx := context.Background()
	stored := map[string]*Event{}
	cursor := ""
	for {
		page, err := r.ListEvents(rctx, ListEventsParams{ListParams: ListParams{Cursor: cursor, Limit: MaxPageLimit}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Items {
			stored[ev.ID] = ev
		}
		if cursor = page.NextCursor; cursor == "" {
			if page.Total != len(stored) {
				t.Errorf("ListEvents total %d, but %d events listed", page.Total, len(stored))
			}
			break
		}
	}
	for id, n := range acked {
		if stored[id] == nil {
			t.Errorf("acknowledged event %s (n=%d) is not on disk", id, n)
		}
	}

	// Every stored event, acknowledged or not, has exactly its deliveries.
	var kindA int64
	for id, ev := range stored {
		var body struct {
			N    int64  `json:"n"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(ev.Body, &body); err != nil {
			t.Fatalf("event %s: body %q: %v", id, ev.Body, err)
		}
		if n, ok := acked[id]; ok && n != body.N {
			t.Errorf("event %s: body n=%d, acknowledged for n=%d", id, body.N, n)
		}
		want := map[string]bool{all.ID: false, held.ID: true} // connection → held
		if body.Kind == "a" {
			want[onlyA.ID] = false
			kindA++
		}
		ds, err := r.Store().ListDeliveries(rctx, Tenant{OrgID: ev.OrgID, EnvID: ev.EnvID}, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != len(want) {
			t.Errorf("event %s (kind %s): %d deliveries, want %d", id, body.Kind, len(ds), len(want))
		}
		for _, d := range ds {
			h, ok := want[d.ConnectionID]
			if !ok || d.Held != h || d.State != store.DeliveryPending || d.DestinationID != dst.ID || d.EventID != id {
				t.Errorf("event %s: unexpected delivery %+v", id, d)
			}
			delete(want, d.ConnectionID)
		}
	}
	counters, err := r.Store().Counters(rctx, []string{src.ID, all.ID, onlyA.ID, held.ID, off.ID})
	if err != nil {
		t.Fatal(err)
	}
	total := int64(len(stored))
	for i, want := range []int64{total, total, kindA, total, 0} {
		if counters[i].Count != want {
			t.Errorf("counter %d: %d, want %d (counters must move with the events)", i, counters[i].Count, want)
		}
	}
	t.Logf("sent %d requests, %d acknowledged with 200, %d in flight at SIGKILL; on disk after reopen: %d events (%d acknowledged, %d unacknowledged but stored)",
		sent.Load(), len(acked), inFlightAtKill.Load(), len(stored), len(acked), len(stored)-countIn(stored, acked))
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func countIn(stored map[string]*Event, acked map[string]int64) int {
	n := 0
	for id := range acked {
		if stored[id] != nil {
			n++
		}
	}
	return n
}
