//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/jackc/pgx/v5"
)

// The sizes and timings of TestServer_PostgresThreeProcesses.
const (
	pgSenders   = 15   // load clients, 5 per process
	pgKillAfter = 2500 // load acknowledgements before the kill
	pgAfterKill = 2500 // load acknowledgements after the restart
	pgBudget    = 150 * time.Second
	// pgLoadTimeout is the load destination's timeout_ms; a lease of
	// one of its deliveries lasts at least pgLeaseTTL: hookstream.LeaseTerm,
	// shorter than the attempt's whole lease (the timeout, the
	// transform's allowance of 1 s and the default Config.LeaseMargin),
	// renewed while the attempt is under way.
	pgLoadTimeout = 5 * time.Second
	pgLeaseTTL    = min(hookstream.LeaseTerm, pgLoadTimeout+time.Second+hookstream.DefaultLeaseMargin)
	// pgLeaseSlack is how much sooner than pgLeaseTTL after the first
	// request a repeat may come and still be an expired lease's: the
	// time between the lease and the request.
	pgLeaseSlack = 2 * time.Second

	// pgHookHold is how long the receiver takes per load request; the
	// kill waits until its victim has pgKillInflight of them in flight.
	pgHookHold     = 20 * time.Millisecond
	pgKillInflight = 3
	pgKillWait     = 30 * time.Second

	pgCapped       = 2 // max_concurrency of the capped destination
	pgCappedEvents = 120
	pgCappedHold   = 25 * time.Millisecond // how long the receiver takes per capped request

	// pgConfigEvery is how often each process ingests an event while a
	// configuration change propagates: the resolution of the measurement.
	pgConfigEvery = 20 * time.Millisecond

	pgFlakyEvents    = 9
	pgFlakyThreshold = 3
	pgFlakyReset     = 1500 * time.Millisecond
)

// pgURLVars name the database the PostgreSQL tests run on, as in
// store/postgres.
var pgURLVars = []string{"HOOKSTREAM_TEST_POSTGRES_URL", "HOOKSTREAM_POSTGRES_URL"}

// pgTestURL returns the test database's URL, or skips the test.
func pgTestURL(t *testing.T) string {
	t.Helper()
	for _, v := range pgURLVars {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	t.Skip("set HOOKSTREAM_TEST_POSTGRES_URL (or HOOKSTREAM_POSTGRES_URL) to a PostgreSQL URL, e.g. " +
		"postgres://user@127.0.0.1:5432/db?sslmode=disable, to run the three-process PostgreSQL test " +
		"(it works in a schema of its own and drops it)")
	return ""
}

// TestServer_PostgresThreeProcesses runs three examples/server processes,
// started at once, on one PostgreSQL database and schema (a fresh one,
// dropped at the end), configures them through one of them (A), and checks
// what they share:
//
//   - at-least-once through a kill: 15 clients ingest through all three
//     (5 each). Once 2,500 events are acknowledged, whichever of B and C
//     first has 3 requests in flight at the receiver (which takes 20 ms a
//     request) is killed with SIGKILL and restarted on the same address;
//     the clients go on for 2,500 more. Every acknowledged event reaches
//     the receiver, and every duplicate is an expired lease's: its
//     previous request came from the killed process (the receiver
//     attributes each request to the process whose socket sent it,
//     through /proc on Linux) before the kill, and the repeat came at least
//     the lease's first term (hookstream.LeaseTerm, 15 s; renewals only
//     extend it) after it, less pgLeaseSlack, with the same X-hookstream-Delivery-Attempt (the
//     previous attempt's outcome was never recorded; a recorded failure
//     numbers the retry one more);
//   - configuration through one process reaches the others' routing
//     caches within Config.ConfigTTL: each process has the source cached
//     just before the change (the worst case), A creates a connection,
//     then changes its filter, while each process ingests an event every
//     20 ms. A routes by the change from its next event on, B and C from
//     some event on (never back), and that event's 200 comes within
//     ConfigTTL + 2 s of the change;
//   - max_concurrency across the processes: a destination with
//     max_concurrency 2, whose receiver takes 25 ms a request, gets 120
//     events through all three, and never has more than 2 requests in
//     flight (a cap per process would allow 6);
//   - the circuit across the processes: a failing receiver opens its
//     destination's circuit (threshold 3, reset 1.5 s); while it is open
//     (before next_probe_at), at most one request from each process that
//     had not yet seen it open (a scheduler caches circuit state and reads
//     it again when a compare-and-swap fails); from the probe time to the
//     next opening, at most one per process (the design is one probe: see
//     RELIABILITY.md). After two failed probes the receiver recovers: the
//     circuit closes and every event is delivered.
//
// It prints
//
//	acknowledged=N delivered=N duplicates=N lost=N kills=1
//
// and a line of the other figures, "postgres: …". It needs a database:
// HOOKSTREAM_TEST_POSTGRES_URL or HOOKSTREAM_POSTGRES_URL (.ci/run sets
// the latter); without one it skips, saying so.
// HOOKSTREAM_TEST_POSTGRES_KEEP=1 keeps the schema, to look into it.
func TestServer_PostgresThreeProcesses(t *testing.T) {
	dbURL := pgTestURL(t)
	start := time.Now()
	deadline := start.Add(pgBudget)
	schema := pgSchema(t, dbURL)
	bin := crashBuild(t)
	key := crashAPIKey(t)

	rcv := newPgReceiver()
	rsrv := httptest.NewUnstartedServer(rcv)
	rsrv.Config.ConnState = rcv.connState
	rsrv.Start()
	t.Cleanup(rsrv.Close)
	rcv.port = rsrv.Listener.Addr().(*net.TCPAddr).Port

	// Three servers, started at once: they migrate the new schema under
	// its advisory lock, one after the other, and register the same key.
	names := []string{"A", "B", "C"}
	addrs := pgFreeAddrs(t, len(names))
	procs := make([]*pgProc, len(names))
	for i := range procs {
		procs[i] = &pgProc{name: names[i], addr: addrs[i], tg: newCrashTarget()}
		procs[i].spawn(t, bin, dbURL, schema, key)
	}
	for _, p := range procs {
		p.waitListening(t)
		rcv.addPID(p.pid)
		p.tg.up()
	}
	t.Logf("three servers listening on schema %s: %s (pid %d), %s (pid %d), %s (pid %d)", schema,
		procs[0].addr, procs[0].pid, procs[1].addr, procs[1].pid, procs[2].addr, procs[2].pid)
	api := func(i int) *crashAPI {
		return &crashAPI{t: t, base: "http://" + procs[i].addr + "/v1", key: key, client: &http.Client{Timeout: 10 * time.Second}}
	}
	apiA := api(0)

	// All configuration is made through A.
	dest := func(name, path string, fields map[string]any) string {
		body := map[string]any{"name": name, "url": rsrv.URL + path}
		for k, v := range fields {
			body[k] = v
		}
		return apiA.create("destinations", body, "destination")
	}
	connect := func(src, dst, name string, rules any) string {
		body := map[string]any{"source_id": src, "destination_id": dst, "name": name}
		if rules != nil {
			body["filter_rules"] = rules
		}
		return apiA.create("connections", body, "connection")
	}
	srcLoad := apiA.create("sources", map[string]any{"name": "load"}, "source")
	connect(srcLoad, dest("load", "/hook", map[string]any{
		"timeout_ms": pgLoadTimeout.Milliseconds(), "max_concurrency": 48,
		"retry_backoff_type": "fixed", "retry_intervals": []int{1}, "retry_max_attempts": 10,
		"circuit_breaker_reset_ms": 1000,
	}), "load", nil)
	srcCfg := apiA.create("sources", map[string]any{"name": "config"}, "source")
	dstCfg := dest("config", "/config", map[string]any{"timeout_ms": 5000})
	srcCap := apiA.create("sources", map[string]any{"name": "capped"}, "source")
	dstCap := dest("capped", "/capped", map[string]any{"timeout_ms": 5000, "max_concurrency": pgCapped})
	connect(srcCap, dstCap, "capped", nil)
	srcFlaky := apiA.create("sources", map[string]any{"name": "flaky"}, "source")
	dstFlaky := dest("flaky", "/flaky", map[string]any{
		"timeout_ms": 2000, "max_concurrency": 1,
		"retry_backoff_type": "fixed", "retry_intervals": []int{1}, "retry_max_attempts": 10,
		"circuit_breaker_threshold": pgFlakyThreshold, "circuit_breaker_reset_ms": pgFlakyReset.Milliseconds(),
	})
	connect(srcFlaky, dstFlaky, "flaky", nil)

	// ---- At-least-once through a kill.
	var (
		next, ackN atomic.Int64
		stop       atomic.Bool
		mu         sync.Mutex
		acked      = map[string]int64{} // event ID → seq
		sendFails  int                  // failures the kill caused
		unexpected []error
	)
	pad := strings.Repeat("x", 200)
	var senders sync.WaitGroup
	for k := range pgSenders {
		p := procs[k%len(procs)]
		senders.Go(func() {
			for !stop.Load() {
				client, gen, ok := p.tg.wait(deadline)
				if !ok {
					return
				}
				seq := next.Add(1)
				id, err := crashIngest(client, p.addr, srcLoad, fmt.Sprintf(`{"seq":%d,"pad":%q}`, seq, pad))
				mu.Lock()
				switch {
				case err == nil:
					acked[id] = seq
					ackN.Add(1)
				case p.tg.isUp(gen):
					unexpected = append(unexpected, fmt.Errorf("via %s: %w", p.name, err))
				default:
					sendFails++
				}
				mu.Unlock()
			}
		})
	}
	stopSenders := func() {
		stop.Store(true)
		for _, p := range procs {
			p.tg.up() // wake the waiting ones
		}
		senders.Wait()
	}
	defer stopSenders()
	waitAcks := func(n int64) {
		t.Helper()
		for ackN.Load() < n {
			mu.Lock()
			bad := len(unexpected) > 0
			mu.Unlock()
			if bad {
				return // reported below
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d events acknowledged within %v", ackN.Load(), n, pgBudget)
			}
			time.Sleep(5 * time.Millisecond) // polling the senders' counter
		}
	}
	waitAcks(pgKillAfter)
	// Mid-flight: the victim is whichever of B and C first has
	// pgKillInflight requests in flight at the receiver; without
	// attribution (not Linux), C at once.
	victim := procs[2]
	if rcv.countWhere("/hook", func(r pgReq) bool { return r.pid != 0 }) > 0 {
		rcv.watchHook([]int{procs[1].pid, procs[2].pid}, pgKillInflight)
		select {
		case pid := <-rcv.watch:
			if pid == procs[1].pid {
				victim = procs[1]
			}
		case <-time.After(min(pgKillWait, time.Until(deadline))):
			rcv.mu.Lock()
			by := pgCountBy(rcv.reqs["/hook"])
			rcv.mu.Unlock()
			delivered := 0
			for _, n := range by {
				delivered += n
			}
			t.Fatalf("neither B nor C had %d requests in flight at the receiver within %v: %d events acknowledged, "+
				"%d requests delivered (by process: %v); delivery fell behind ingest", pgKillInflight, pgKillWait, ackN.Load(), delivered, by)
		}
		rcv.watchHook(nil, 0)
	}
	killedPID := victim.pid
	victim.tg.down()
	atKill := ackN.Load()
	rcv.mu.Lock()
	inflightAtKill := rcv.hookInflight[killedPID]
	rcv.mu.Unlock()
	victim.gw.kill(t)
	killedAt := time.Now()
	t.Logf("SIGKILL of %s (pid %d) after %d acknowledgements, sent with %d of its requests in flight at the receiver",
		victim.name, killedPID, atKill, inflightAtKill)
	victim.spawn(t, bin, dbURL, schema, key)
	victim.waitListening(t)
	rcv.addPID(victim.pid)
	victim.tg.up()
	t.Logf("%s restarted on %s (pid %d) %v after the kill", victim.name, victim.addr, victim.pid, time.Since(killedAt).Round(time.Millisecond))
	waitAcks(ackN.Load() + pgAfterKill)
	stopSenders()
	mu.Lock()
	for i, err := range unexpected {
		if i == 5 {
			t.Errorf("… and %d more", len(unexpected)-i)
			break
		}
		t.Errorf("ingest failed while its server was up: %v", err)
	}
	ids := make(map[string]int64, len(acked))
	for id, seq := range acked {
		ids[id] = seq
	}
	fails := sendFails
	mu.Unlock()

	// The phases below run while the killed process's leases expire.

	// ---- Configuration through A reaches B's and C's routing caches.
	// Each process ingests into the config source first, so that it has
	// the source cached (with no connection) just before the change: the
	// change then waits for about a whole ConfigTTL in B and C.
	for i, p := range procs {
		if _, err := crashIngest(p.tg.client, p.addr, srcCfg, `{"ph":0}`); err != nil {
			t.Fatalf("ingest through %s: %v", names[i], err)
		}
	}
	ttl := hookstream.DefaultConfigTTL
	created := time.Now()
	connCfg := connect(srcCfg, dstCfg, "config", []map[string]any{{"field": "payload.kind", "op": "eq", "value": "a"}})
	sentCreate := pgConfigPhase(t, procs, srcCfg, 1, created.Add(ttl+2*time.Second), rcv,
		func(int) string { return "a" },
		func(r pgReq, p int) bool { return r.body.Ph == 1 && r.body.P == p })
	updated := time.Now()
	if code, data := apiA.do("PATCH", "/connections/"+connCfg, map[string]any{
		"filter_rules": []map[string]any{{"field": "payload.kind", "op": "eq", "value": "b"}},
	}); code != http.StatusOK {
		t.Fatalf("PATCH /v1/connections/%s: %d %s", connCfg, code, data)
	}
	sentUpdate := pgConfigPhase(t, procs, srcCfg, 2, updated.Add(ttl+2*time.Second), rcv,
		func(n int) string { return []string{"a", "b"}[n%2] },
		func(r pgReq, p int) bool { return r.body.Ph == 2 && r.body.P == p && r.body.Kind == "b" })

	// ---- max_concurrency across the processes: 6 clients, 2 per
	// process, ingest 120 events at once.
	capIDs := pgIngestMany(t, procs, srcCap, pgCappedEvents, 6, 3)
	pgWaitFor(t, deadline, "every capped event delivered", func() bool {
		return rcv.deliveredAll("/capped", capIDs)
	})

	// ---- The circuit across the processes.
	rcv.failing.Store(true)
	flakyIDs := pgIngestMany(t, procs, srcFlaky, pgFlakyEvents, 3, 4)
	var circuits []pgCircuit // each distinct opening seen, in order
	apiB := api(1)
	observe := func() pgCircuit {
		c := pgGetCircuit(apiB, dstFlaky) // through B: the stored state
		if c.State == "open" && (len(circuits) == 0 || !c.OpenedAt.Equal(circuits[len(circuits)-1].OpenedAt)) {
			circuits = append(circuits, c)
		}
		return c
	}
	// Opened, then reopened by two failed probes.
	pgWaitFor(t, deadline, "the flaky destination's circuit opened, then reopened twice", func() bool {
		observe()
		return len(circuits) >= 3
	})
	rcv.failing.Store(false)
	recovered := time.Now()
	pgWaitFor(t, deadline, "the circuit closed after the receiver recovered", func() bool {
		return observe().State == "closed"
	})
	pgWaitFor(t, deadline, "every flaky event delivered", func() bool { return rcv.deliveredAll("/flaky", flakyIDs) })

	// ---- Drain: every acknowledged event reaches the receiver, then no
	// event is still processing (the killed process's leases expired and
	// their deliveries were made again).
	missing := func() []string {
		var out []string
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		for id := range ids {
			if len(rcv.reqs["/hook"][id]) == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling the receiver
	}
	for apiA.eventsTotal("processing") > 0 {
		if time.Now().After(deadline) {
			t.Errorf("%d events still processing after %v", apiA.eventsTotal("processing"), pgBudget)
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the servers' store
	}
	failed := apiA.eventsTotal("failed")
	for _, p := range procs {
		p.gw.stop(t)
	}

	// ---- Figures and checks.
	lost := missing()
	rcv.mu.Lock()
	hook := rcv.reqs["/hook"]
	delivered := len(ids) - len(lost)
	duplicates, expired, unacked, attributed, requests := 0, 0, 0, 0, 0
	var unexplained []string
	for id, reqs := range hook {
		requests += len(reqs)
		for _, r := range reqs {
			if r.pid != 0 {
				attributed++
			}
		}
		if seq, ok := ids[id]; !ok {
			unacked++
		} else if reqs[0].body.Seq != seq {
			t.Errorf("event %s acknowledged for seq %d, delivered with seq %d", id, seq, reqs[0].body.Seq)
		}
		for i := 1; i < len(reqs); i++ {
			duplicates++
			prev, cur := reqs[i-1], reqs[i]
			gap := cur.at.Sub(prev.at)
			// The same attempt number: the previous attempt's outcome was
			// never recorded (a recorded failure would number the retry
			// one more).
			ok := prev.at.Before(killedAt) && gap >= pgLeaseTTL-pgLeaseSlack && cur.attempt == prev.attempt
			if prev.pid != 0 {
				ok = ok && prev.pid == killedPID
			}
			if ok {
				expired++
			} else {
				unexplained = append(unexplained, fmt.Sprintf("event %s: request %d at %s from pid %d (attempt %s), again %v later from pid %d (attempt %s)",
					id, i, prev.at.Format("15:04:05.000"), prev.pid, prev.attempt, gap.Round(time.Millisecond), cur.pid, cur.attempt))
			}
		}
	}
	maxInflight, capBy, maxBy := rcv.maxInflight, pgCountBy(rcv.reqs["/capped"]), maps.Clone(rcv.maxBy)
	flaky := slices.Clone(rcv.flaky)
	rcv.mu.Unlock()

	line := fmt.Sprintf("acknowledged=%d delivered=%d duplicates=%d lost=%d kills=%d", len(ids), delivered, duplicates, len(lost), 1)
	fmt.Println(line)
	t.Logf("%s; %d sends failed under the kill; %d requests at the receiver, %d attributed to their process; %d events delivered that were stored but never acknowledged (the kill took their 200); %d events failed",
		line, fails, requests, attributed, unacked, failed)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged events never reached the receiver, e.g. %v", len(lost), lost[:min(len(lost), 5)])
	}
	if failed > 0 {
		t.Errorf("%d events failed (dead-lettered), want none", failed)
	}
	for i, u := range unexplained {
		if i == 10 {
			t.Errorf("… and %d more", len(unexplained)-i)
			break
		}
		t.Errorf("a duplicate no expired lease of the killed process explains: %s", u)
	}

	// Configuration propagation.
	prop := func(phase string, sent [][]pgSent, since time.Time, newRouting func(s pgSent, routed bool) bool) time.Duration {
		var worst time.Duration
		for p, events := range sent {
			first := -1
			for i, s := range events {
				isNew := newRouting(s, rcv.delivered("/config", s.id))
				switch {
				case isNew && first < 0:
					first = i
				case !isNew && first >= 0:
					t.Errorf("%s: %s routed event %d by the new configuration, then event %d by the old one", phase, names[p], first, i)
				}
			}
			if first < 0 {
				t.Errorf("%s: %s never routed by the new configuration (%d events)", phase, names[p], len(events))
				continue
			}
			upper := events[first].ack.Sub(since)
			lower := time.Duration(0)
			if first > 0 {
				lower = events[first-1].start.Sub(since)
			}
			worst = max(worst, upper)
			t.Logf("%s: %s routed by it from its event %d on: seen between %v and %v after the change", phase, names[p], first,
				lower.Round(time.Millisecond), upper.Round(time.Millisecond))
			if p == 0 && first != 0 {
				t.Errorf("%s: the process that made the change (A) routed %d events by the old configuration, want none", phase, first)
			}
			if upper > ttl+2*time.Second {
				t.Errorf("%s: %s saw the change %v after it, more than ConfigTTL (%v) + 2 s", phase, names[p], upper, ttl)
			}
		}
		return worst
	}
	worstCreate := prop("new connection", sentCreate, created, func(_ pgSent, routed bool) bool { return routed })
	worstUpdate := prop("filter change", sentUpdate, updated, func(s pgSent, routed bool) bool { return routed == (s.kind == "b") })

	// max_concurrency.
	t.Logf("capped destination (max_concurrency %d): at most %d requests in flight; requests per process %v, the most in flight per process %v",
		pgCapped, maxInflight, capBy, maxBy)
	if maxInflight > pgCapped {
		t.Errorf("the capped destination had %d requests in flight across the processes, want at most %d", maxInflight, pgCapped)
	}
	if len(capBy) < 2 {
		t.Logf("note: only %d process(es) delivered the capped events (attributed by pid %v)", len(capBy), capBy)
	}

	// The circuit: the requests that began while it was open (after the
	// opening was stored, and before next_probe_at), and those from its
	// probe time to the next opening (the probes, the last of which
	// failed and opened it again). An opening is decided at opened_at and
	// stored a round trip later: until then no other process can know of
	// it, and one whose attempts end faster than that round trip may make
	// several.
	stored := pgStoredOpenings(procs, dstFlaky)
	for _, r := range flaky {
		t.Logf("flaky destination: request at %s from pid %d, event …%s, attempt %s, answered %d",
			r.at.Format("15:04:05.000"), r.pid, r.id[len(r.id)-6:], r.attempt, r.status)
	}
	leaks, probes, windows := 0, 0, 0
	for i, c := range circuits {
		from := c.OpenedAt.Add(time.Millisecond) // the API gives whole milliseconds
		if i := slices.IndexFunc(stored, func(at time.Time) bool { return !at.Before(c.OpenedAt) }); i >= 0 {
			from = stored[i]
		}
		var in, probed int
		for _, r := range flaky {
			switch {
			case !r.at.Before(recovered):
				// Once the receiver answers again, a process that has
				// not attempted since the circuit opened still has it
				// closed in its cache, and delivers.
			case r.at.After(from) && r.at.Before(c.NextProbeAt):
				in++
			case i+1 < len(circuits) && !r.at.Before(c.NextProbeAt) && r.at.Before(circuits[i+1].OpenedAt.Add(time.Millisecond)):
				probed++
			}
		}
		t.Logf("circuit opened at %s (failures %d, stored by %s) until %s: %d requests began while it was open; %d from its probe time to the next opening",
			c.OpenedAt.Format("15:04:05.000"), c.FailureCount, from.Format("15:04:05.000"), c.NextProbeAt.Format("15:04:05.000"), in, probed)
		leaks += in
		if in > len(procs)-1 {
			t.Errorf("%d requests began while the circuit was open, want at most %d (one from each process that had not seen it open)", in, len(procs)-1)
		}
		if i+1 < len(circuits) {
			windows++
			probes += probed
			if probed > len(procs) {
				t.Errorf("%d requests from the probe time to the next opening, want at most %d (one per process)", probed, len(procs))
			}
		}
	}
	fmt.Printf("postgres: processes=3 restarted=1 expired_lease_duplicates=%d config_propagation_new=%v config_propagation_update=%v config_ttl=%v max_in_flight=%d/%d circuit_leaks=%d circuit_probes=%d/%d inflight_at_kill=%d elapsed=%v\n",
		expired, worstCreate.Round(time.Millisecond), worstUpdate.Round(time.Millisecond), ttl, maxInflight, pgCapped, leaks, probes, windows, inflightAtKill,
		time.Since(start).Round(time.Second))
}

// pgSchema returns a fresh schema name for this run, dropped with what it
// holds when the test ends.
func pgSchema(t *testing.T, dbURL string) string {
	t.Helper()
	name := "hstest_server_" + strings.ToLower(crashAPIKey(t)[8:16])
	t.Cleanup(func() {
		if os.Getenv("HOOKSTREAM_TEST_POSTGRES_KEEP") != "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// pgFreeAddrs returns n distinct loopback addresses with ports free a
// moment ago.
func pgFreeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		out = append(out, ln.Addr().String())
	}
	return out
}

// pgProc is one of the test's server processes, on a fixed address.
type pgProc struct {
	name, addr string
	tg         *crashTarget
	gw         *crashGateway
	pid        int
	listening  <-chan string
}

// pgStoredOpenings returns, in order, when the processes logged that they
// stored an opening of destination dst's circuit ("circuit changed" with
// to=open, logged once the store's compare-and-swap returned).
func pgStoredOpenings(procs []*pgProc, dst string) []time.Time {
	var at []time.Time
	for _, p := range procs {
		for _, line := range strings.Split(p.gw.log.String(), "\n") {
			if !strings.Contains(line, `msg="hookstream: circuit changed"`) || !strings.Contains(line, "destination_id="+dst+" ") ||
				!strings.Contains(line, " to=open ") {
				continue
			}
			stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
			if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil {
				at = append(at, t)
			}
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	return at
}

// spawn starts the server on PostgreSQL, without waiting for it.
func (p *pgProc) spawn(t *testing.T, bin, dbURL, schema, key string) {
	t.Helper()
	cmd := exec.Command(bin, "-addr", p.addr, "-db", dbURL, "-pg-schema", schema, "-api-key", key, "-allow-private-networks")
	cmd.Env = walkthroughEnv()
	g, listening := crashSpawn(t, p.name, cmd)
	p.gw, p.pid, p.listening = g, cmd.Process.Pid, listening
}

// waitListening waits until the server spawned last listens.
func (p *pgProc) waitListening(t *testing.T) {
	t.Helper()
	select {
	case line := <-p.listening:
		if !strings.Contains(line, "addr=http://"+p.addr+" ") {
			t.Fatalf("server %s listens elsewhere than %s: %s", p.name, p.addr, line)
		}
	case <-p.gw.exited:
		t.Fatalf("server %s exited before listening: %v\n%s", p.name, p.gw.cmd.ProcessState, p.gw.log)
	case <-time.After(60 * time.Second):
		t.Fatalf("server %s did not listen within 60 s\n%s", p.name, p.gw.log)
	}
}

// pgSent is an event a config phase ingested.
type pgSent struct {
	n          int
	kind, id   string
	start, ack time.Time
}

// pgConfigPhase has each process ingest events into src, of kind
// kindOf(n), one every pgConfigEvery, until the receiver got one of its
// events that seen accepts, or until. It returns each process's events, in
// order. Whether the others were routed is known once they are delivered.
func pgConfigPhase(t *testing.T, procs []*pgProc, src string, ph int, until time.Time, rcv *pgReceiver,
	kindOf func(n int) string, seen func(r pgReq, p int) bool) [][]pgSent {
	t.Helper()
	out := make([][]pgSent, len(procs))
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		client := &http.Client{Timeout: 10 * time.Second}
		wg.Go(func() {
			tick := time.NewTicker(pgConfigEvery) // the pace of the measurement, not a wait for anything
			defer tick.Stop()
			for n := 0; time.Now().Before(until); n++ {
				if rcv.countWhere("/config", func(r pgReq) bool { return seen(r, i) }) > 0 {
					return
				}
				s := pgSent{n: n, kind: kindOf(n), start: time.Now()}
				id, err := crashIngest(client, p.addr, src, fmt.Sprintf(`{"ph":%d,"p":%d,"n":%d,"kind":%q}`, ph, i, n, s.kind))
				if err != nil {
					errs[i] = fmt.Errorf("ingest through %s: %w", p.name, err)
					return
				}
				s.id, s.ack = id, time.Now()
				out[i] = append(out[i], s)
				<-tick.C
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// pgIngestMany ingests n events into src from clients goroutines, spread
// over the processes, and returns their IDs.
func pgIngestMany(t *testing.T, procs []*pgProc, src string, n, clients, ph int) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		ids  []string
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for c := range clients {
		p := procs[c%len(procs)]
		client := &http.Client{Timeout: 10 * time.Second}
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				id, err := crashIngest(client, p.addr, src, fmt.Sprintf(`{"ph":%d,"n":%d}`, ph, i))
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("ingest through %s: %w", p.name, err))
				} else {
					ids = append(ids, id)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Fatal(err)
	}
	return ids
}

// pgWaitFor polls cond until it holds, failing the test at deadline.
func pgWaitFor(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling
	}
}

// pgCircuit is a destination's circuit as the API shows it.
type pgCircuit struct {
	State        string
	FailureCount int
	OpenedAt     time.Time
	NextProbeAt  time.Time
}

func pgGetCircuit(api *crashAPI, dst string) pgCircuit {
	api.t.Helper()
	code, data := api.do("GET", "/destinations/"+dst+"/circuit", nil)
	var out struct {
		Circuit struct {
			State        string  `json:"state"`
			FailureCount int     `json:"failure_count"`
			OpenedAt     *string `json:"opened_at"`
			NextProbeAt  *string `json:"next_probe_at"`
		} `json:"circuit"`
	}
	if code != http.StatusOK || json.Unmarshal(data, &out) != nil {
		api.t.Fatalf("GET /v1/destinations/%s/circuit: %d %s", dst, code, data)
	}
	parse := func(s *string) time.Time {
		if s == nil {
			return time.Time{}
		}
		tm, err := time.Parse(time.RFC3339Nano, *s)
		if err != nil {
			api.t.Fatalf("circuit time %q: %v", *s, err)
		}
		return tm
	}
	c := out.Circuit
	return pgCircuit{State: c.State, FailureCount: c.FailureCount, OpenedAt: parse(c.OpenedAt), NextProbeAt: parse(c.NextProbeAt)}
}

// pgReq is a request the receiver got.
type pgReq struct {
	at      time.Time
	id      string // X-hookstream-Event-Id
	attempt string // X-hookstream-Delivery-Attempt
	pid     int    // the server process that sent it; 0: unknown
	status  int    // the receiver's answer
	body    struct {
		Seq  int64  `json:"seq"`
		Ph   int    `json:"ph"`
		P    int    `json:"p"`
		N    int    `json:"n"`
		Kind string `json:"kind"`
	}
}

// pgReceiver records every request by path and event ID. /capped holds
// each request pgCappedHold and counts those in flight; /flaky answers 500
// while failing is set; every other path answers 200 at once.
type pgReceiver struct {
	port    int // the receiver's port
	failing atomic.Bool

	mu    sync.Mutex
	pids  []int                         // the server processes, killed ones included
	conns map[string]int                // remote address → its process
	reqs  map[string]map[string][]pgReq // path → event ID → requests, in order
	flaky []pgReq                       // /flaky's requests, in order
	// /capped's requests in flight, in all and by process, and the most.
	inflight, maxInflight int
	inflightBy, maxBy     map[int]int
	// /hook's requests in flight by process; watch receives the first
	// of watchPIDs that has watchN of them.
	hookInflight map[int]int
	watchPIDs    []int
	watchN       int
	watch        chan int
}

func newPgReceiver() *pgReceiver {
	return &pgReceiver{conns: map[string]int{}, reqs: map[string]map[string][]pgReq{}, inflightBy: map[int]int{}, maxBy: map[int]int{},
		hookInflight: map[int]int{}, watch: make(chan int, 1)}
}

// watchHook arms watch for n /hook requests in flight at once from one of
// pids.
func (rc *pgReceiver) watchHook(pids []int, n int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.watchPIDs, rc.watchN = pids, n
}

func (rc *pgReceiver) addPID(pid int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.pids = append(rc.pids, pid)
}

func (rc *pgReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r := pgReq{at: time.Now(), id: req.Header.Get("X-hookstream-Event-Id"), attempt: req.Header.Get("X-hookstream-Delivery-Attempt"),
		pid: rc.pidOf(req.RemoteAddr), status: http.StatusOK}
	data, _ := io.ReadAll(req.Body)
	json.Unmarshal(data, &r.body)
	switch req.URL.Path {
	case "/hook":
		rc.mu.Lock()
		rc.hookInflight[r.pid]++
		if r.pid != 0 && slices.Contains(rc.watchPIDs, r.pid) && rc.hookInflight[r.pid] >= rc.watchN {
			select {
			case rc.watch <- r.pid:
			default:
			}
		}
		rc.mu.Unlock()
		time.Sleep(pgHookHold) // the receiver's work, so that a kill finds attempts in flight
		rc.mu.Lock()
		rc.hookInflight[r.pid]--
		rc.mu.Unlock()
	case "/capped":
		rc.mu.Lock()
		rc.inflight++
		rc.inflightBy[r.pid]++
		rc.maxInflight = max(rc.maxInflight, rc.inflight)
		rc.maxBy[r.pid] = max(rc.maxBy[r.pid], rc.inflightBy[r.pid])
		rc.mu.Unlock()
		time.Sleep(pgCappedHold) // the receiver's work, so that attempts overlap
		rc.mu.Lock()
		rc.inflight--
		rc.inflightBy[r.pid]--
		rc.mu.Unlock()
	case "/flaky":
		if rc.failing.Load() {
			r.status = http.StatusInternalServerError
		}
	}
	rc.mu.Lock()
	m := rc.reqs[req.URL.Path]
	if m == nil {
		m = map[string][]pgReq{}
		rc.reqs[req.URL.Path] = m
	}
	m[r.id] = append(m[r.id], r)
	if req.URL.Path == "/flaky" {
		rc.flaky = append(rc.flaky, r)
	}
	rc.mu.Unlock()
	w.WriteHeader(r.status)
}

// connState forgets a connection's process when it closes (its port may
// come back as another process's).
func (rc *pgReceiver) connState(c net.Conn, s http.ConnState) {
	if s == http.StateNew || s == http.StateClosed || s == http.StateHijacked {
		rc.mu.Lock()
		delete(rc.conns, c.RemoteAddr().String())
		rc.mu.Unlock()
	}
}

// pidOf returns the server process that holds the other end of the
// connection from remote, or 0 where that cannot be found.
func (rc *pgReceiver) pidOf(remote string) int {
	rc.mu.Lock()
	pid, ok := rc.conns[remote]
	pids := slices.Clone(rc.pids)
	rc.mu.Unlock()
	if ok {
		return pid
	}
	pid = socketPID(remote, rc.port, pids)
	rc.mu.Lock()
	rc.conns[remote] = pid
	rc.mu.Unlock()
	return pid
}

// socketPID finds, on Linux, which of pids holds the TCP socket from the
// port of remote to the receiver's port: the socket's inode in
// /proc/net/tcp, then the process with a descriptor on it. 0 elsewhere.
func socketPID(remote string, rcvPort int, pids []int) int {
	_, p, err := net.SplitHostPort(remote)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return 0
	}
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	local, rem := fmt.Sprintf(":%04X", port), fmt.Sprintf(":%04X", rcvPort)
	inode := ""
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], local) && strings.HasSuffix(f[2], rem) {
			inode = f[9]
			break
		}
	}
	if inode == "" || inode == "0" {
		return 0
	}
	link := "socket:[" + inode + "]"
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(dir + "/" + fd.Name()); err == nil && l == link {
				return pid
			}
		}
	}
	return 0
}

// countWhere counts the requests to path that f accepts.
func (rc *pgReceiver) countWhere(path string, f func(pgReq) bool) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, reqs := range rc.reqs[path] {
		for _, r := range reqs {
			if f(r) {
				n++
			}
		}
	}
	return n
}

// delivered reports whether path got a request for the event that it
// answered 200.
func (rc *pgReceiver) delivered(path, id string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, r := range rc.reqs[path][id] {
		if r.status == http.StatusOK {
			return true
		}
	}
	return false
}

// deliveredAll reports whether every event of ids was delivered to path.
func (rc *pgReceiver) deliveredAll(path string, ids []string) bool {
	for _, id := range ids {
		if !rc.delivered(path, id) {
			return false
		}
	}
	return true
}

// pgCountBy counts requests by process.
func pgCountBy(m map[string][]pgReq) map[int]int {
	out := map[int]int{}
	for _, reqs := range m {
		for _, r := range reqs {
			out[r.pid]++
		}
	}
	return out
}
