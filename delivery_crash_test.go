package hookstream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// The crash test runs the gateway in a child process (this test binary,
// re-executed with TestDeliveryCrashHelper selected) so that it can be
// killed with SIGKILL while it delivers.
const (
	crashRoleEnv     = "HOOKSTREAM_CRASH_ROLE" // "child" in the helper process
	crashDBEnv       = "HOOKSTREAM_CRASH_DB"
	crashReceiverEnv = "HOOKSTREAM_CRASH_RECEIVER"
	crashReadyPrefix = "HOOKSTREAM_CRASH_READY "
)

// Parameters of the crash test.
const (
	crashEvents  = 3000
	crashSenders = 32
	// crashMaxConcurrency is the destination's max_concurrency: the number
	// of requests the killed process has in flight.
	crashMaxConcurrency = 32
	// crashReceiverDelay slows the receiver a little, as a real one is.
	crashReceiverDelay = 3 * time.Millisecond
	// crashTimeoutMS is the destination's timeout: with LeaseMargin 1 s and
	// the default transform timeout, a dead process's leases expire after
	// 3.25 s.
	crashTimeoutMS = 2000
	crashBudget    = 60 * time.Second
)

// TestDelivery_CrashRecovery kills the process delivering a backlog with
// SIGKILL and checks that a new process on the same bbolt file delivers
// every acknowledged event at least once: the leases of the dead process
// expire and its unfinished deliveries are attempted again.
//
// Once a third of the events are delivered, the receiver stops answering:
// it holds the requests that arrive, as a receiver stuck mid-request would,
// and the gateway is killed when its whole window (max_concurrency
// requests) hangs there. Those attempts never got their answer, so they
// count as not delivered: only their leases expiring brings them back.
func TestDelivery_CrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped under -short: it runs two gateway processes and kills one with SIGKILL (~6 s)")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("crash test needs SIGKILL and subprocesses, not available on %s", runtime.GOOS)
	}
	t.Parallel()
	deadline := time.Now().Add(crashBudget)
	rcv := newCrashReceiver(crashReceiverDelay, crashEvents/3)
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	t.Cleanup(rcv.releaseHeld) // before srv.Close, which waits for handlers
	dbFile := filepath.Join(t.TempDir(), "crash.db")

	first := startCrashChild(t, dbFile, srv.URL+"/hook")
	target := &crashTarget{changed: make(chan struct{})}
	target.set(first.addr, first.sourceID)

	// Send every event concurrently; a send that fails (the gateway was
	// killed under it) waits for the next gateway and is sent again, as a
	// webhook sender would retry. Only a 200 is an acknowledgement.
	var (
		ackMu sync.Mutex
		acked []string
		fails int
	)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: crashSenders}}
	defer client.CloseIdleConnections()
	jobs := make(chan int)
	var senders sync.WaitGroup
	for range crashSenders {
		senders.Go(func() {
			for n := range jobs {
				for {
					addr, srcID, gen := target.get()
					id, err := postIngest(context.Background(), client, addr, srcID, fmt.Sprintf(`{"type":"order.created","n":%d,"pad":%q}`, n, strings.Repeat("x", 200)))
					if err == nil {
						ackMu.Lock()
						acked = append(acked, id)
						ackMu.Unlock()
						break
					}
					ackMu.Lock()
					fails++
					ackMu.Unlock()
					if !target.waitChange(gen, time.Until(deadline)) {
						break // given up: the test fails below, not every event acknowledged
					}
				}
			}
		})
	}
	sendersDone := make(chan struct{})
	go func() {
		for n := range crashEvents {
			jobs <- n
		}
		close(jobs)
		senders.Wait()
		close(sendersDone)
	}()

	// Kill the gateway once a third is delivered and its whole window of
	// requests hangs at the receiver.
	if !rcv.waitFor(func() bool { return rcv.held >= crashMaxConcurrency }, time.Until(deadline)) {
		first.kill(t)
		t.Fatalf("the receiver holds %d requests, never %d (%d events delivered)", rcv.heldNow(), crashMaxConcurrency, rcv.deliveredNow())
	}
	heldAtKill, deliveredAtKill := rcv.heldNow(), rcv.deliveredNow()
	first.kill(t)
	rcv.releaseHeld()
	killedAt := time.Now()
	ackMu.Lock()
	ackedAtKill := len(acked)
	ackMu.Unlock()
	t.Logf("SIGKILL with %d events acknowledged, %d delivered, %d requests in flight", ackedAtKill, deliveredAtKill, heldAtKill)

	second := startCrashChild(t, dbFile, srv.URL+"/hook")
	if second.sourceID != first.sourceID {
		t.Fatalf("the restarted gateway serves source %s, want %s", second.sourceID, first.sourceID)
	}
	target.set(second.addr, second.sourceID)
	select {
	case <-sendersDone:
	case <-time.After(time.Until(deadline)):
		t.Fatal("the senders did not finish in time")
	}
	ackMu.Lock()
	ids := append([]string(nil), acked...)
	ackMu.Unlock()
	if len(ids) != crashEvents {
		t.Fatalf("%d of %d events acknowledged", len(ids), crashEvents)
	}

	// Every acknowledged event reaches the receiver, at least once.
	missing := func() []string {
		var out []string
		for _, id := range ids {
			if rcv.delivered[id] == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	allDelivered := rcv.waitFor(func() bool { return len(missing()) == 0 }, time.Until(deadline))
	recovered := time.Since(killedAt)
	// Retries still due (an attempt that timed out under load, though its
	// receiver answered) come within a few retry intervals: wait until the
	// receiver has been quiet that long before stopping the gateway, so
	// that nothing is left pending when it stops.
	for time.Now().Before(deadline) {
		rcv.mu.Lock()
		seen := rcv.requests
		rcv.mu.Unlock()
		if !rcv.waitFor(func() bool { return rcv.requests != seen }, 3*time.Second) {
			break // quiet for 3 s
		}
	}
	second.stop(t)
	rcv.mu.Lock()
	lost := missing()
	delivered, arrived, requests := len(rcv.delivered), len(rcv.arrivals), rcv.requests
	answeredTwice := 0
	for _, n := range rcv.delivered {
		if n > 1 {
			answeredTwice++
		}
	}
	rcv.mu.Unlock()
	t.Logf("acknowledged %d (%d sends failed and were retried); delivered %d distinct events in %v after the kill; "+
		"%d requests for %d distinct events: %d duplicates (%d events answered 200 twice); %d delivered but never acknowledged",
		len(ids), fails, delivered, recovered.Round(time.Millisecond),
		requests, arrived, requests-arrived, answeredTwice, delivered-len(ids))
	if !allDelivered || len(lost) > 0 {
		t.Fatalf("%d acknowledged events never reached the receiver within %v, e.g. %v", len(lost), crashBudget, lost[:min(len(lost), 5)])
	}
	if requests-arrived < crashMaxConcurrency {
		t.Errorf("%d duplicates, want at least the %d requests the killed process had in flight", requests-arrived, crashMaxConcurrency)
	}

	// The store agrees: every acknowledged event is delivered and no
	// delivery is left pending.
	r, err := Open(dbFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	for _, id := range ids {
		ev, err := r.GetEvent(ctx, id)
		if err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
		if ev.Status != store.EventDelivered {
			t.Errorf("event %s is %s, want delivered", id, ev.Status)
		}
	}
	if dests, _, err := r.store.DueDestinations(ctx, time.Now().Add(24*time.Hour)); err != nil || len(dests) > 0 {
		t.Errorf("deliveries still pending for %v (%v)", dests, err)
	}
}

// TestDeliveryCrashHelper is the gateway process of
// TestDelivery_CrashRecovery; it does nothing in a normal run.
func TestDeliveryCrashHelper(t *testing.T) {
	if os.Getenv(crashRoleEnv) != "child" {
		t.Skip("helper process of TestDelivery_CrashRecovery")
	}
	if err := runCrashChild(os.Getenv(crashDBEnv), os.Getenv(crashReceiverEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
}

// runCrashChild opens the gateway on dbFile (configuring it on first use),
// serves its REST API on a loopback port, announces the port and source
// on stdout, and delivers until stdin closes.
func runCrashChild(dbFile, receiverURL string) error {
	r, err := Open(dbFile, &Config{AllowPrivateNetworks: true, LeaseMargin: time.Second})
	if err != nil {
		return err
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srcs, err := r.ListSources(ctx, ListParams{})
	if err != nil {
		return err
	}
	var srcID string
	if len(srcs.Items) > 0 {
		srcID = srcs.Items[0].ID
	} else {
		src, err := r.CreateSource(ctx, SourceParams{Name: ptr("crash")})
		if err != nil {
			return err
		}
		dst, err := r.CreateDestination(ctx, DestinationParams{
			Name: ptr("receiver"), URL: ptr(receiverURL), TimeoutMS: ptr(crashTimeoutMS), MaxConcurrency: ptr(crashMaxConcurrency),
			// A slow attempt (a loaded CI machine) is retried within the
			// test's budget rather than after 30 s.
			RetryBackoffType: ptr(BackoffType("fixed")), RetryIntervals: []int{1}, RetryMaxAttempts: ptr(10),
		})
		if err != nil {
			return err
		}
		if _, err := r.CreateConnection(ctx, ConnectionParams{SourceID: src.ID, DestinationID: dst.ID, Name: ptr("crash")}); err != nil {
			return err
		}
		srcID = src.ID
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	go func() {
		io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop us
		cancel()
	}()
	fmt.Printf("%s%s %s\n", crashReadyPrefix, ln.Addr(), srcID)
	return r.Run(ctx)
}

// crashChild is a running gateway process.
type crashChild struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   *crashLog
	exited   chan struct{}
	addr     string
	sourceID string
}

// startCrashChild starts a gateway process on dbFile and waits until it
// serves.
func startCrashChild(t *testing.T, dbFile, receiverURL string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeliveryCrashHelper$")
	cmd.Env = append(os.Environ(), crashRoleEnv+"=child", crashDBEnv+"="+dbFile, crashReceiverEnv+"="+receiverURL)
	c := &crashChild{cmd: cmd, stderr: &crashLog{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), crashReadyPrefix); ok {
				ready <- line
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
	})
	select {
	case line := <-ready:
		c.addr, c.sourceID, _ = strings.Cut(line, " ")
	case <-c.exited:
		t.Fatalf("gateway process exited before serving: %v\n%s", cmd.ProcessState, c.stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("gateway process did not serve within 20 s\n%s", c.stderr)
	}
	return c
}

// kill ends the process with SIGKILL and waits for it to be gone.
func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill gateway: %v", err)
	}
	<-c.exited
}

// stop asks the process to finish (Run's context is cancelled when its
// stdin closes) and waits for it, killing it if it takes too long.
func (c *crashChild) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	select {
	case <-c.exited:
		if !c.cmd.ProcessState.Success() {
			t.Errorf("gateway process: %v\n%s", c.cmd.ProcessState, c.stderr)
		}
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		t.Errorf("gateway process did not stop within 10 s of its stdin closing\n%s", c.stderr)
	}
}

// crashTarget is the gateway the senders post to; a generation counter
// lets a sender whose gateway died wait for the next one.
type crashTarget struct {
	mu       sync.Mutex
	addr, id string
	gen      int
	changed  chan struct{} // closed when the target changes
}

func (tg *crashTarget) set(addr, sourceID string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.addr, tg.id = addr, sourceID
	tg.gen++
	close(tg.changed)
	tg.changed = make(chan struct{})
}

func (tg *crashTarget) get() (addr, sourceID string, gen int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.addr, tg.id, tg.gen
}

// waitChange waits until the target is no longer generation gen; false
// when it did not change within d.
func (tg *crashTarget) waitChange(gen int, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		tg.mu.Lock()
		if tg.gen != gen {
			tg.mu.Unlock()
			return true
		}
		ch := tg.changed
		tg.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}

// crashReceiver records the X-hookstream-Event-Id of every request and
// answers 200 after a short delay, until holdAfter distinct events are
// delivered: from then until releaseHeld it holds the requests that arrive
// without answering them, for as long as their sender waits.
type crashReceiver struct {
	delay     time.Duration
	holdAfter int

	mu        sync.Mutex
	arrivals  map[string]int // requests per event ID
	delivered map[string]int // 200 answers per event ID
	requests  int
	held      int           // requests held now, their gateway still waiting
	released  bool          // no more holding
	release   chan struct{} // closed by releaseHeld
	once      sync.Once
	changed   chan struct{} // closed and replaced on every change
}

func newCrashReceiver(delay time.Duration, holdAfter int) *crashReceiver {
	return &crashReceiver{
		delay: delay, holdAfter: holdAfter, arrivals: map[string]int{}, delivered: map[string]int{},
		release: make(chan struct{}), changed: make(chan struct{}),
	}
}

func (rc *crashReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body)
	id := req.Header.Get("X-Hookstream-Event-Id")
	rc.mu.Lock()
	rc.requests++
	rc.arrivals[id]++
	if !rc.released && len(rc.delivered) >= rc.holdAfter {
		rc.held++
		rc.signal()
		rc.mu.Unlock()
		select {
		case <-rc.release:
		case <-req.Context().Done(): // the gateway gave up (its timeout), or died
		}
		rc.mu.Lock()
		rc.held--
		rc.signal()
		rc.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.mu.Unlock()
	time.Sleep(rc.delay) // a receiver's work
	rc.mu.Lock()
	rc.delivered[id]++
	rc.signal()
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// signal wakes the waiters of waitFor; rc.mu is held.
func (rc *crashReceiver) signal() {
	close(rc.changed)
	rc.changed = make(chan struct{})
}

// releaseHeld lets the held requests go and stops holding new ones.
func (rc *crashReceiver) releaseHeld() {
	rc.mu.Lock()
	rc.released = true
	rc.mu.Unlock()
	rc.once.Do(func() { close(rc.release) })
}

func (rc *crashReceiver) heldNow() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.held
}

func (rc *crashReceiver) deliveredNow() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.delivered)
}

// waitFor waits until cond, called with rc.mu held, holds; it is checked
// again on every change. False when it does not hold within d.
func (rc *crashReceiver) waitFor(cond func() bool, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		rc.mu.Lock()
		if cond() {
			rc.mu.Unlock()
			return true
		}
		ch := rc.changed
		rc.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			rc.mu.Lock()
			defer rc.mu.Unlock()
			return cond()
		}
	}
}

// crashLog is a bytes.Buffer safe for a writing process and a reading
// test.
type crashLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *crashLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *crashLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
