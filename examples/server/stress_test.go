package main

import (
	"bufio"
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/connlimit"
)

// The crowd of TestServer_Stress.
const (
	stressIdleClients   = 20000 // idle keep-alive clients
	stressSlowloris     = 500   // clients sending a header byte every stressSlowlorisEvery
	stressUploaders     = 100   // clients each sending a 1 MiB body over stressUploadTime
	stressProbeDuration = 20 * time.Second
	stressProbeBudget   = time.Second // every probe must answer within this

	stressSlowlorisEvery = 2 * time.Second
	stressUploadSize     = 1 << 20
	stressUploadChunk    = 16 << 10
	stressUploadTime     = 16 * time.Second
	stressReconnectPause = 3 * time.Second // before a client the server closed comes back (jittered: 1.5 to 4.5 s)
	stressFileReserve    = 200             // descriptors a crowd process keeps for itself
	stressMaxCrowds      = 16              // crowd processes at most
	stressSourceAddrs    = 64              // loopback source addresses the crowd comes from (Linux)
)

// TestServer_Stress runs the real server binary against a crowd of 20,000
// idle keep-alive clients, 500 slowloris clients and 100 slow uploaders, all
// coming back a few seconds after the server closes them, and requires
// every health and ingest probe meanwhile to answer within a second, and
// no slow upload to be cut (and some to complete). The crowd runs in child processes (this
// test binary, running TestServer_StressCrowd), as many as their limit on
// open files needs: together they hold more connections than the server's
// own limit allows, as in the measurement of issue 12. It needs
// HOOKSTREAM_STRESS=1:
//
//	HOOKSTREAM_STRESS=1 go test -run TestServer_Stress -v ./examples/server/
//
// HOOKSTREAM_STRESS_BIN runs that server binary instead of building this
// one (a profiling build, or an older server to compare).
func TestServer_Stress(t *testing.T) {
	if os.Getenv("HOOKSTREAM_STRESS") != "1" {
		t.Skip("stress test of 20,000 loopback connections, about 30 s: set HOOKSTREAM_STRESS=1 to run it")
	}
	srv := stressStart(t)
	source := srv.createSource(t)
	if srv.maxConns != "" {
		t.Logf("server: max_conns %s", srv.maxConns)
	}

	plans := stressPlans(srv.addr, source)
	crowds := make([]*stressCrowd, len(plans))
	for i, plan := range plans {
		crowds[i] = stressStartCrowd(t, plan)
	}
	var ready stressFigures
	for i, c := range crowds {
		f, err := c.wait(c.ready, 3*time.Minute)
		if err != nil {
			t.Fatalf("crowd process %d did not get ready: %v", i, err)
		}
		ready.add(f)
	}
	t.Logf("crowd of %d processes ready: %s", len(crowds), ready)

	cpu := func() (server, crowd time.Duration) {
		for _, c := range crowds {
			crowd += stressCPU(c.cmd.Process.Pid)
		}
		return stressCPU(srv.cmd.Process.Pid), crowd
	}
	cpuServer, cpuCrowd := cpu()
	probes := stressProbe(t, srv.addr, source, stressProbeDuration)
	endServer, endCrowd := cpu()

	for _, c := range crowds {
		c.stdin.Close() // the crowd's signal to report and leave
	}
	var during stressFigures
	for i, c := range crowds {
		f, err := c.wait(c.done, time.Minute)
		if err != nil {
			t.Errorf("crowd process %d did not report: %v", i, err)
		}
		during.add(f)
	}
	stats := srv.stop(t)

	stressReport(t, probes)
	t.Logf("crowd when the probing ended: %s", during)
	if endServer > 0 || endCrowd > 0 {
		t.Logf("CPU time during the %v of probes: server %v, crowd %v", stressProbeDuration,
			(endServer - cpuServer).Round(10*time.Millisecond), (endCrowd - cpuCrowd).Round(10*time.Millisecond))
	}
	t.Logf("server: %s", stats)
	if during.UploadsCut > 0 {
		t.Errorf("%d slow uploads were cut mid-request", during.UploadsCut)
	}
	if during.UploadsBadStatus > 0 {
		t.Errorf("%d slow uploads were answered with a status other than 200", during.UploadsBadStatus)
	}
	if during.UploadsOK == 0 {
		t.Errorf("no slow upload completed")
	}
}

// TestServer_StressCrowd is one crowd process of TestServer_Stress: it runs
// the share of the crowd that HOOKSTREAM_STRESS_CROWD describes (fewer
// idle clients if its limit on open files says so), reports its figures on
// stdout when ready and again when its stdin closes, and leaves.
func TestServer_StressCrowd(t *testing.T) {
	env := os.Getenv("HOOKSTREAM_STRESS_CROWD")
	if env == "" {
		t.Skip("a crowd process of TestServer_Stress, which sets HOOKSTREAM_STRESS_CROWD")
	}
	var plan stressPlan
	if err := json.Unmarshal([]byte(env), &plan); err != nil {
		t.Fatal(err)
	}
	if limit, ok := connlimit.FileLimit(); ok {
		budget := int(limit) - stressOpenFiles() - stressFileReserve - plan.Slowloris - plan.Uploaders
		plan.Idle = max(min(plan.Idle, budget), 0)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var crowd sync.WaitGroup
	var st stressStats
	defer func() { cancel(); crowd.Wait() }()
	st.idleClients.Store(int64(plan.Idle))

	var established sync.WaitGroup
	established.Add(plan.Idle)
	dialSlots := make(chan struct{}, 50) // first connections: no SYN flood
	for i := range plan.Idle {
		d := stressDialer(plan.First + i)
		crowd.Go(func() { stressIdleClient(ctx, d, plan.Addr, &st, dialSlots, established.Done) })
	}
	established.Wait()
	established.Add(plan.Slowloris)
	for i := range plan.Slowloris {
		d := stressDialer(plan.First + plan.Idle + i)
		crowd.Go(func() { stressSlowlorisClient(ctx, d, plan.Addr, plan.Source, &st, established.Done) })
	}
	for i := range plan.Uploaders {
		d := stressDialer(plan.First + plan.Idle + plan.Slowloris + i)
		delay := time.Duration(i) * stressUploadTime / time.Duration(plan.Uploaders) // spread the uploads' ends
		crowd.Go(func() { stressUploader(ctx, d, plan.Addr, plan.Source, delay, &st) })
	}
	established.Wait()
	stressEmit("ready", st.figures())

	io.Copy(io.Discard, os.Stdin) // until the parent closes it
	f := st.figures()
	cancel()
	crowd.Wait()
	stressEmit("done", f)
}

// stressPlan is one crowd process's share of the crowd.
type stressPlan struct {
	Addr, Source               string
	Idle, Slowloris, Uploaders int
	First                      int // the index of its first client among all, for its source addresses
}

// stressPlans splits the crowd among as many processes as the test's limit
// on open files needs (the children inherit it).
func stressPlans(addr, source string) []stressPlan {
	total := stressIdleClients + stressSlowloris + stressUploaders
	n := 1
	if limit, ok := connlimit.FileLimit(); ok {
		perProcess := max(int(limit)-stressFileReserve-64, 1)
		n = min((total+perProcess-1)/perProcess, stressMaxCrowds)
	}
	plans := make([]stressPlan, n)
	first := 0
	for i := range plans {
		share := func(all int) int {
			if i < all%n {
				return all/n + 1
			}
			return all / n
		}
		plans[i] = stressPlan{Addr: addr, Source: source, Idle: share(stressIdleClients),
			Slowloris: share(stressSlowloris), Uploaders: share(stressUploaders), First: first}
		first += plans[i].Idle + plans[i].Slowloris + plans[i].Uploaders
	}
	return plans
}

// stressCrowd is a crowd process.
type stressCrowd struct {
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	ready, done chan stressFigures
	exited      chan struct{}

	mu   sync.Mutex
	tail []string // its last output lines
}

// stressStartCrowd starts a crowd process (this test binary) on plan.
func stressStartCrowd(t *testing.T, plan stressPlan) *stressCrowd {
	t.Helper()
	env, _ := json.Marshal(plan)
	c := &stressCrowd{ready: make(chan stressFigures, 1), done: make(chan stressFigures, 1), exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestServer_StressCrowd$", "-test.count=1", "-test.timeout=30m")
	c.cmd.Env = append(os.Environ(), "HOOKSTREAM_STRESS_CROWD="+string(env))
	c.cmd.Stderr = os.Stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reports := map[string]chan stressFigures{"ready": c.ready, "done": c.done}
	go func() {
		defer close(c.exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "stresscrowd "); ok {
				kind, js, _ := strings.Cut(rest, " ")
				var f stressFigures
				if ch := reports[kind]; ch != nil && json.Unmarshal([]byte(js), &f) == nil {
					ch <- f
					continue
				}
			}
			c.mu.Lock()
			if c.tail = append(c.tail, line); len(c.tail) > 20 {
				c.tail = c.tail[1:]
			}
			c.mu.Unlock()
		}
		c.cmd.Wait()
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		select {
		case <-c.exited:
		case <-time.After(time.Minute):
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// wait returns the figures the crowd reports on ch, or an error if it exits
// or d passes first.
func (c *stressCrowd) wait(ch chan stressFigures, d time.Duration) (stressFigures, error) {
	select {
	case f := <-ch:
		return f, nil
	case <-c.exited:
		select {
		case f := <-ch:
			return f, nil
		default:
		}
	case <-time.After(d):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return stressFigures{}, fmt.Errorf("no report; its last output:\n%s", strings.Join(c.tail, "\n"))
}

// stressEmit writes a crowd process's report for the parent.
func stressEmit(kind string, f stressFigures) {
	js, _ := json.Marshal(f)
	fmt.Printf("stresscrowd %s %s\n", kind, js)
}

// stressStats counts what a crowd process sees.
type stressStats struct {
	idleClients, idleLive, idleClosed, idleErrors atomic.Int64
	slowLive, slowClosed                          atomic.Int64
	uploadsLive, uploadsOK, uploadsCut            atomic.Int64
	uploadsRefused, uploadsBadStatus, dials       atomic.Int64
}

func (s *stressStats) figures() stressFigures {
	return stressFigures{
		IdleClients: s.idleClients.Load(), IdleLive: s.idleLive.Load(), IdleClosed: s.idleClosed.Load(), IdleErrors: s.idleErrors.Load(),
		SlowLive: s.slowLive.Load(), SlowClosed: s.slowClosed.Load(),
		UploadsLive: s.uploadsLive.Load(), UploadsOK: s.uploadsOK.Load(), UploadsCut: s.uploadsCut.Load(),
		UploadsRefused: s.uploadsRefused.Load(), UploadsBadStatus: s.uploadsBadStatus.Load(), Dials: s.dials.Load(),
	}
}

// stressFigures is a snapshot of stressStats, or their sum over the crowd
// processes.
type stressFigures struct {
	IdleClients, IdleLive, IdleClosed, IdleErrors int64
	SlowLive, SlowClosed                          int64
	UploadsLive, UploadsOK, UploadsCut            int64
	UploadsRefused, UploadsBadStatus, Dials       int64
}

func (f *stressFigures) add(g stressFigures) {
	f.IdleClients += g.IdleClients
	f.IdleLive += g.IdleLive
	f.IdleClosed += g.IdleClosed
	f.IdleErrors += g.IdleErrors
	f.SlowLive += g.SlowLive
	f.SlowClosed += g.SlowClosed
	f.UploadsLive += g.UploadsLive
	f.UploadsOK += g.UploadsOK
	f.UploadsCut += g.UploadsCut
	f.UploadsRefused += g.UploadsRefused
	f.UploadsBadStatus += g.UploadsBadStatus
	f.Dials += g.Dials
}

func (f stressFigures) String() string {
	return fmt.Sprintf("idle clients %d (live %d, closed by the server %d, errors %d); "+
		"slowloris live %d, closed by the server %d; uploads live %d, done %d, cut %d, refused before the header %d, bad status %d; dials %d",
		f.IdleClients, f.IdleLive, f.IdleClosed, f.IdleErrors, f.SlowLive, f.SlowClosed,
		f.UploadsLive, f.UploadsOK, f.UploadsCut, f.UploadsRefused, f.UploadsBadStatus, f.Dials)
}

// stressIdleClient makes one request on a keep-alive connection and keeps it
// open, idle, until the server closes it; then it comes back. Its first
// connection takes one of dialSlots until answered; established is called
// once, after that first attempt.
func stressIdleClient(ctx context.Context, d *net.Dialer, addr string, st *stressStats, dialSlots chan struct{}, established func()) {
	select {
	case dialSlots <- struct{}{}:
	case <-ctx.Done():
		established()
		return
	}
	first := true
	release := func() {
		if first {
			first = false
			<-dialSlots
			established()
		}
	}
	defer release()
	for ctx.Err() == nil {
		stressIdleRound(ctx, d, addr, st, release)
		release()
		stressPause(ctx, stressReconnectPause)
	}
}

// stressIdleRound is one connection of an idle client; answered is called
// when its request is.
func stressIdleRound(ctx context.Context, d *net.Dialer, addr string, st *stressStats, answered func()) {
	c, err := stressDial(ctx, d, addr, st)
	if err != nil {
		return
	}
	defer c.Close()
	stopClose := context.AfterFunc(ctx, func() { c.Close() })
	defer stopClose()
	r := bufio.NewReader(c)
	if _, err := io.WriteString(c, "GET /v1/health HTTP/1.1\r\nHost: stress\r\n\r\n"); err != nil {
		st.idleErrors.Add(1)
		return
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a server out of descriptors never answers
	res, err := http.ReadResponse(r, nil)
	if err == nil {
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if err != nil {
		if ctx.Err() == nil {
			st.idleErrors.Add(1)
		}
		return
	}
	c.SetReadDeadline(time.Time{})
	answered()
	st.idleLive.Add(1)
	defer st.idleLive.Add(-1)
	r.ReadByte() // until the server closes the idle connection (or ctx ends)
	if ctx.Err() == nil {
		st.idleClosed.Add(1)
	}
}

// stressSlowlorisClient starts a request header and sends one more byte of
// it every stressSlowlorisEvery, never ending it; closed, it comes back.
func stressSlowlorisClient(ctx context.Context, d *net.Dialer, addr, source string, st *stressStats, established func()) {
	once := sync.OnceFunc(established)
	defer once()
	for ctx.Err() == nil {
		c, err := stressDial(ctx, d, addr, st)
		if err != nil {
			stressPause(ctx, stressReconnectPause)
			continue
		}
		stopClose := context.AfterFunc(ctx, func() { c.Close() })
		_, err = fmt.Fprintf(c, "POST /v1/ingest/%s HTTP/1.1\r\nHost: stress\r\nX-Slow: ", source)
		if err == nil {
			once()
			st.slowLive.Add(1)
			var b [1]byte
			for {
				c.SetReadDeadline(time.Now().Add(stressSlowlorisEvery))
				if _, err = c.Read(b[:]); !os.IsTimeout(err) {
					break // closed by the server (or ctx)
				}
				if _, err = c.Write([]byte("x")); err != nil {
					break
				}
			}
			st.slowLive.Add(-1)
			if ctx.Err() == nil {
				st.slowClosed.Add(1)
			}
		}
		stopClose()
		c.Close()
		stressPause(ctx, stressReconnectPause)
	}
}

// stressUploader posts 1 MiB bodies to the ingest endpoint, each over
// stressUploadTime, one connection per upload, after an initial delay.
func stressUploader(ctx context.Context, d *net.Dialer, addr, source string, delay time.Duration, st *stressStats) {
	stressPause(ctx, delay)
	pad := stressUploadSize - len(`{"pad":""}`)
	body := []byte(`{"pad":"` + strings.Repeat("x", pad) + `"}`)
	for ctx.Err() == nil {
		stressUpload(ctx, d, addr, source, body, st)
	}
}

func stressUpload(ctx context.Context, d *net.Dialer, addr, source string, body []byte, st *stressStats) {
	c, err := stressDial(ctx, d, addr, st)
	if err != nil {
		stressPause(ctx, stressReconnectPause)
		return
	}
	defer c.Close()
	stopClose := context.AfterFunc(ctx, func() { c.Close() })
	defer stopClose()
	header := fmt.Sprintf("POST /v1/ingest/%s HTTP/1.1\r\nHost: stress\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", source, len(body))
	if _, err := io.WriteString(c, header); err != nil {
		st.uploadsRefused.Add(1) // closed before the header arrived
		stressPause(ctx, stressReconnectPause)
		return
	}
	st.uploadsLive.Add(1)
	defer st.uploadsLive.Add(-1)
	every := stressUploadTime / time.Duration(len(body)/stressUploadChunk)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for sent := 0; sent < len(body); sent += stressUploadChunk {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := c.Write(body[sent:min(sent+stressUploadChunk, len(body))]); err != nil {
			if ctx.Err() == nil {
				st.uploadsCut.Add(1)
			}
			return
		}
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		st.uploadsCut.Add(1)
	case res.StatusCode != http.StatusOK:
		st.uploadsBadStatus.Add(1)
	default:
		st.uploadsOK.Add(1)
	}
}

// stressProbeResult is one probe's timing.
type stressProbeResult struct {
	kind           string
	at             time.Duration // since the probing started
	connect, total time.Duration
}

// stressProbe calls /v1/health and an ingest, each on a fresh connection as
// a prober would, for d; it fails the test for every probe that fails or
// takes longer than stressProbeBudget.
func stressProbe(t *testing.T, addr, source string, d time.Duration) []stressProbeResult {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var results []stressProbeResult
	slow := 0
	start := time.Now()
	probe := func(kind string, newReq func() *http.Request) {
		var connectStart, connectDone time.Time
		trace := &httptrace.ClientTrace{
			ConnectStart: func(string, string) { connectStart = time.Now() },
			ConnectDone:  func(string, string, error) { connectDone = time.Now() },
		}
		t0 := time.Now()
		res, err := client.Do(newReq().WithContext(httptrace.WithClientTrace(context.Background(), trace)))
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		r := stressProbeResult{kind: kind, at: t0.Sub(start), connect: connectDone.Sub(connectStart), total: time.Since(t0)}
		results = append(results, r)
		switch {
		case err != nil:
			t.Errorf("%s probe: %v after %v", kind, err, r.total)
		case res.StatusCode != http.StatusOK:
			t.Errorf("%s probe: status %d, want 200", kind, res.StatusCode)
		case r.total > stressProbeBudget:
			if slow++; slow <= 10 {
				t.Errorf("%s probe at %v took %v (connect %v), over %v", kind, r.at.Round(time.Millisecond), r.total, r.connect, stressProbeBudget)
			}
		}
	}
	for n := 0; time.Since(start) < d; n++ {
		probe("health", func() *http.Request {
			req, _ := http.NewRequest("GET", "http://"+addr+"/v1/health", nil)
			return req
		})
		probe("ingest", func() *http.Request {
			req, _ := http.NewRequest("POST", "http://"+addr+"/v1/ingest/"+source, strings.NewReader(fmt.Sprintf(`{"probe":%d}`, n)))
			req.Header.Set("Content-Type", "application/json")
			return req
		})
		time.Sleep(50 * time.Millisecond) // pacing, not synchronisation
	}
	if slow > 10 {
		t.Errorf("%d probes in all took longer than %v", slow, stressProbeBudget)
	}
	return results
}

// stressReport logs the probes' latencies by kind, and the slowest probes.
func stressReport(t *testing.T, results []stressProbeResult) {
	for _, kind := range []string{"health", "ingest"} {
		var lat, conn []time.Duration
		for _, r := range results {
			if r.kind == kind {
				lat, conn = append(lat, r.total), append(conn, r.connect)
			}
		}
		if len(lat) == 0 {
			t.Errorf("no %s probe answered", kind)
			continue
		}
		slices.Sort(lat)
		slices.Sort(conn)
		q := func(d []time.Duration, p int) time.Duration { return d[(len(d)-1)*p/100].Round(time.Microsecond) }
		t.Logf("%s probes: %d, p50 %v, p99 %v, max %v (connect: p50 %v, max %v)", kind, len(lat),
			q(lat, 50), q(lat, 99), q(lat, 100), q(conn, 50), q(conn, 100))
	}
	slowest := slices.Clone(results)
	slices.SortFunc(slowest, func(a, b stressProbeResult) int { return int(b.total - a.total) })
	for _, r := range slowest[:min(5, len(slowest))] {
		t.Logf("  slow probe: %s at %v: %v (connect %v)", r.kind, r.at.Round(time.Millisecond), r.total.Round(time.Microsecond), r.connect.Round(time.Microsecond))
	}
}

func stressDial(ctx context.Context, d *net.Dialer, addr string, st *stressStats) (net.Conn, error) {
	st.dials.Add(1)
	return d.DialContext(ctx, "tcp", addr)
}

// stressDialer returns the dialer of client i. On Linux the crowd comes
// from stressSourceAddrs loopback addresses (127.0.0.2 on), as a real crowd
// would from many: from 127.0.0.1 alone, its 20,000 connections would
// nearly exhaust the ephemeral ports of one address pair, and every
// connect would spend milliseconds of kernel time searching for a free
// one. The probes come from 127.0.0.1.
func stressDialer(i int) *net.Dialer {
	if runtime.GOOS != "linux" {
		return &net.Dialer{}
	}
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%stressSourceAddrs))}}
}

// stressPause waits d or until ctx ends.
func stressPause(ctx context.Context, d time.Duration) {
	jittered := d/2 + rand.N(d+1)
	select {
	case <-ctx.Done():
	case <-time.After(jittered):
	}
}

// stressOpenFiles counts the test process's open descriptors (Linux), or
// guesses.
func stressOpenFiles() int {
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		return len(fds)
	}
	return 64
}

// stressCPU returns the CPU time a process has used so far (Linux), or 0.
func stressCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// stressServer is the server binary running as a child process.
type stressServer struct {
	cmd      *exec.Cmd
	addr     string
	key      string
	maxConns string
	exited   chan struct{}

	mu    sync.Mutex
	stats string   // its final "connections" log line
	tail  []string // its last log lines
}

var (
	stressListening = regexp.MustCompile(`msg="hookstream listening" addr=http://(\S+)(?: .*max_conns=(\d+))?`)
	stressConnStats = regexp.MustCompile(`msg=connections (.*)`)
)

// stressStart builds the server (or takes the binary HOOKSTREAM_STRESS_BIN
// names) and starts it on a loopback port with a new database and API key.
func stressStart(t *testing.T) *stressServer {
	t.Helper()
	dir := t.TempDir()
	bin := os.Getenv("HOOKSTREAM_STRESS_BIN") // a profiling build, say
	if bin == "" {
		bin = filepath.Join(dir, "server")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	var raw [32]byte
	cryptorand.Read(raw[:])
	s := &stressServer{key: "hs_live_" + hex.EncodeToString(raw[:]), exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "hookstream.db"), "-api-key", s.key)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan []string, 1)
	go func() {
		defer close(s.exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := stressListening.FindStringSubmatch(line); m != nil {
				listening <- m
			}
			s.mu.Lock()
			if m := stressConnStats.FindStringSubmatch(line); m != nil {
				s.stats = m[1]
			}
			if s.tail = append(s.tail, line); len(s.tail) > 20 {
				s.tail = s.tail[1:]
			}
			s.mu.Unlock()
		}
		s.cmd.Wait()
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	select {
	case m := <-listening:
		s.addr, s.maxConns = m[1], m[2]
	case <-s.exited:
		t.Fatalf("the server exited: %s", s.logTail())
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not log where it listens: %s", s.logTail())
	}
	return s
}

func (s *stressServer) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// createSource creates a source through the API and returns its id.
func (s *stressServer) createSource(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/v1/sources", bytes.NewReader([]byte(`{"name":"stress"}`)))
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Source struct {
			ID string `json:"id"`
		} `json:"source"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated || out.Source.ID == "" {
		t.Fatalf("create source: %d %v %+v", res.StatusCode, err, out)
	}
	return out.Source.ID
}

// stop interrupts the server, waits for it to exit and returns its final
// connection figures.
func (s *stressServer) stop(t *testing.T) string {
	t.Helper()
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		t.Fatalf("the server did not stop within a minute: %s", s.logTail())
	}
	if s.cmd.ProcessState != nil && !s.cmd.ProcessState.Success() {
		t.Errorf("server: %v: %s", s.cmd.ProcessState, s.logTail())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stats == "" {
		return "no connection figures logged"
	}
	return s.stats
}
