package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/hookstream-go/hookstream"
)

// childFlag is the flag that makes the bench binary a child of
// pg_two_processes: it reads a childSpec as the first line of its stdin,
// answers on stdout with childMsg lines, and its progress goes to stderr.
//
// The protocol: the child opens its Store and Router, starts Run, ingests
// its warm-up and says {"ready": true}; on the line "go" it ingests for
// the window and says {"ingested": n, "seconds": s}; it keeps delivering
// until its stdin closes, then stops Run (letting attempts under way
// finish), closes and exits 0. Any failure is {"error": "..."} and exit 1.
const childFlag = "pg-child"

// childSpec is what a child is told to do.
type childSpec struct {
	URL        string        `json:"url"`
	Schema     string        `json:"schema"`
	SourceID   string        `json:"source_id"`
	Index      int           `json:"index"` // this child's number, 0..Of-1
	Of         int           `json:"of"`    // how many children ingest
	Workers    int           `json:"workers"`
	Conns      int           `json:"conns"`
	Warm       int64         `json:"warm"`
	Duration   time.Duration `json:"duration"`
	CPUProfile string        `json:"cpu_profile,omitempty"`
}

// seq is the payload sequence number of a child's local'th event: the
// children's numbers interleave, so every event has its own.
func (sp *childSpec) seq(local int64) int64 { return local*int64(sp.Of) + int64(sp.Index) }

// childMsg is a line a child writes.
type childMsg struct {
	Ready    bool    `json:"ready,omitempty"`
	Ingested int64   `json:"ingested,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// runChild is main in a child; it returns the exit code.
func runChild() int {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) int {
		out.Encode(childMsg{Error: err.Error()})
		return 1
	}
	if !in.Scan() {
		return fail(fmt.Errorf("no spec on stdin: %v", in.Err()))
	}
	var sp childSpec
	if err := json.Unmarshal(in.Bytes(), &sp); err != nil {
		return fail(fmt.Errorf("spec: %w", err))
	}
	if sp.CPUProfile != "" {
		stop, err := startCPUProfile(sp.CPUProfile)
		if err != nil {
			return fail(err)
		}
		defer stop()
	}
	ctx := context.Background()
	s, err := openPostgres(ctx, sp.URL, sp.Schema, sp.Conns)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	r, err := hookstream.New(s, &hookstream.Config{AllowPrivateNetworks: true, Workers: sp.Workers})
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	stopRun := runRouter(r)
	rt := &route{r: r, srcID: sp.SourceID}
	ingest := func(local int64) error { return rt.ingest(ctx, sp.seq(local)) }
	if _, _, err := closedLoop(sp.Workers, time.Now().Add(time.Minute), sp.Warm, ingest); err != nil {
		stopRun()
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	out.Encode(childMsg{Ready: true})
	if !in.Scan() || in.Text() != "go" {
		stopRun()
		return fail(fmt.Errorf("want go on stdin, got %q (%v)", in.Text(), in.Err()))
	}
	n, d, err := closedLoop(sp.Workers, time.Now().Add(sp.Duration), 0, func(local int64) error { return ingest(local + sp.Warm) })
	if err != nil {
		stopRun()
		return fail(err)
	}
	out.Encode(childMsg{Ingested: n, Seconds: d.Seconds()})
	for in.Scan() { // deliver until stdin closes
	}
	stopRun()
	return 0
}

// child is a running child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	msgs  chan childMsg // closed when its stdout ends
	exit  chan error    // its exit status, once
}

// startChild re-executes this binary with -pg-child and sends it sp.
func startChild(sp childSpec) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-"+childFlag)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, msgs: make(chan childMsg, 4), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m childMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = childMsg{Error: fmt.Sprintf("unreadable line %q", sc.Text())}
			}
			c.msgs <- m
		}
		close(c.msgs)
		c.exit <- cmd.Wait()
	}()
	spec, err := json.Marshal(sp)
	if err == nil {
		_, err = fmt.Fprintf(stdin, "%s\n", spec)
	}
	if err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// next returns the child's next message, an error if it failed, ended or
// said nothing within timeout.
func (c *child) next(timeout time.Duration) (childMsg, error) {
	select {
	case m, ok := <-c.msgs:
		switch {
		case !ok:
			return m, errors.New("child ended")
		case m.Error != "":
			return m, errors.New(m.Error)
		}
		return m, nil
	case <-time.After(timeout):
		return childMsg{}, fmt.Errorf("child said nothing for %v", timeout)
	}
}

// stop closes the child's stdin, so it stops delivering and exits, and
// waits for it, killing it after timeout.
func (c *child) stop(timeout time.Duration) error {
	c.stdin.Close()
	for range c.msgs { // unread messages
	}
	select {
	case err := <-c.exit:
		return err
	case <-time.After(timeout):
		c.cmd.Process.Kill()
		return fmt.Errorf("child %d did not exit within %v; killed", c.cmd.Process.Pid, timeout)
	}
}

// kill ends the child at once.
func (c *child) kill() {
	c.stdin.Close()
	c.cmd.Process.Kill()
}

// runPGTwoProcesses measures e2e with one, then two, child processes on a
// fresh schema each, and compares two with one.
func runPGTwoProcesses(ctx context.Context, b *bench) ([]Row, error) {
	one, err := b.pgProcesses(ctx, 1)
	if err != nil {
		return nil, fmt.Errorf("one process: %w", err)
	}
	two, err := b.pgProcesses(ctx, 2)
	if err != nil {
		return nil, fmt.Errorf("two processes: %w", err)
	}
	raw, err := b.pgxLoop(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("pgx_insert_done: %w", err)
	}
	return []Row{
		row("pg_one_process", one.completion, "deliveries/s", "pgx_insert_done", raw, false),
		row("pg_two_processes", two.completion, "deliveries/s", "pg_one_process", one.completion, false),
		row("pg_two_processes_during_ingest", two.during, "deliveries/s", "pg_one_process_during_ingest", one.during, false),
		row("pg_two_processes_vs_raw", two.completion, "deliveries/s", "pgx_insert_done", raw, false),
	}, nil
}

// pgProcesses runs n child processes, each a Router on one fresh schema
// ingesting from -concurrency goroutines with -concurrency workers, for
// the window, and counts their deliveries at a receiver in this process
// until every event arrived.
func (b *bench) pgProcesses(ctx context.Context, n int) (e2eResult, error) {
	var res e2eResult
	name := fmt.Sprintf("pg_processes_%d", n)
	rc, err := startReceiver(nil)
	if err != nil {
		return res, err
	}
	defer rc.close()
	// This process only configures (its Router never runs).
	rt, err := b.newRoute(ctx, "postgres", fmt.Sprintf("procs%d", n), b.config(), b.httpDestination(rc.url), hookstream.ConnectionParams{})
	if err != nil {
		return res, err
	}
	defer rt.close()
	warm := b.warmup()
	var children []*child
	defer func() {
		for _, c := range children {
			if err := c.stop(b.opts.drainTimeout + time.Minute); err != nil {
				progress("%s: %v", name, err)
			}
		}
	}()
	for i := range n {
		sp := childSpec{URL: b.opts.pgURL, Schema: rt.schema, SourceID: rt.srcID, Index: i, Of: n,
			Workers: b.opts.concurrency, Conns: b.opts.pgConns, Warm: warm, Duration: b.opts.duration}
		if b.opts.cpuProfile != "" {
			sp.CPUProfile = fmt.Sprintf("%s.child%d-of-%d", b.opts.cpuProfile, i, n)
		}
		c, err := startChild(sp)
		if err != nil {
			return res, err
		}
		children = append(children, c)
	}
	for i, c := range children {
		if _, err := c.next(b.opts.drainTimeout + time.Minute); err != nil {
			return res, fmt.Errorf("child %d warm-up: %w", i, err)
		}
	}
	if !rc.waitUniq(int64(n)*warm, b.opts.drainTimeout) {
		return res, fmt.Errorf("warm-up: %d of %d delivered after %v", rc.uniq.Load(), int64(n)*warm, b.opts.drainTimeout)
	}
	base := rc.uniq.Load()
	stats := b.pgStats(ctx)
	stats.reset()
	start := time.Now()
	for i, c := range children {
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			return res, fmt.Errorf("child %d: %w", i, err)
		}
	}
	for i, c := range children {
		m, err := c.next(b.opts.duration + time.Minute)
		if err != nil {
			return res, fmt.Errorf("child %d: %w", i, err)
		}
		res.ingested += m.Ingested
		progress("%s: child %d ingested %d in %.3fs (%.0f/s)", name, i, m.Ingested, m.Seconds, float64(m.Ingested)/max(m.Seconds, 1e-9))
	}
	d := time.Since(start)
	atEnd := rc.uniq.Load() - base
	res.during = perSecond(atEnd, d)
	progress("%s: ingested %d in %v (%.0f/s); %d delivered meanwhile (%.0f/s); waiting for the rest",
		name, res.ingested, d.Round(time.Millisecond), perSecond(res.ingested, d), atEnd, res.during)
	complete := rc.waitUniq(base+res.ingested, b.opts.drainTimeout+d)
	got := rc.uniq.Load() - base
	res.completion = perSecond(got, rc.lastAt().Sub(start))
	if !complete {
		progress("%s: WARNING only %d of %d delivered within %v; completion rate is over what arrived", name, got, res.ingested, b.opts.drainTimeout)
	}
	progress("%s: %d delivered in %v: completion %.0f deliveries/s, %.0f/s after ingest ended (%d duplicate deliveries in all)",
		name, got, rc.lastAt().Sub(start).Round(time.Millisecond), res.completion, perSecond(got-atEnd, rc.lastAt().Sub(start.Add(d))), rc.dups())
	stats.report(name+" (window and drain)", rc.lastAt().Sub(start))
	return res, nil
}
