// Command bench measures hookstream end to end against raw baselines run in
// the same process, back to back, on the same machine: every scenario is a
// figure of the library and a baseline that shows what the hardware and the
// standard library manage doing the same work without it.
//
// Usage:
//
//	go run ./bench                       # every scenario, a table on stdout
//	go run ./bench -json                 # the same as {"scenarios": [...]}
//	go run ./bench -scenarios e2e,latency_1k -duration 5s
//
// Flags:
//
//	-duration d        measuring window of each scenario (default 3s)
//	-concurrency n     senders, raw-loop clients and delivery workers (default 64)
//	-scenarios a,b     run a subset (names below; default all)
//	-backlog n         deliveries piled up by the backlog scenario (default 1000000)
//	-drain-timeout d   longest wait for a backlog or an e2e run to be delivered
//	-json              print JSON instead of a table
//	-postgres url      run the pg_* scenarios on this PostgreSQL database
//	                   (default $HOOKSTREAM_BENCH_POSTGRES_URL; without
//	                   either they are skipped, with a line saying so)
//	-pg-conns n        connections of each PostgreSQL pool, the Routers'
//	                   and the raw loops' (default -concurrency)
//	-cpuprofile file   write a CPU profile of the run (and file.childN of
//	                   each pg_two_processes child) for go tool pprof
//	-soak d            length of the retention soak (default 2m)
//	-soak-retention d  its Config.Retention (default 20s)
//	-soak-rate n       its ingest rate in events/s (default 2000)
//
// Scenarios and their baselines (all on a temporary bbolt file in
// os.MkdirTemp, removed at the end, delivering over loopback to net/http
// receivers on 127.0.0.1 that answer 200 with a 2-byte body; the payload is
// a 1 KiB JSON webhook; one source, destination and connection):
//
//	ingest_go         Router.Ingest, Run not started           bbolt_batch: raw DB.Batch puts of the same bytes
//	ingest_http       Router.Handler() over loopback HTTP       bare_handler: a handler that reads the body
//	e2e               Run + ingest for the window; completion   raw_http_loop: net/http POSTs to the receiver
//	                  rate, and e2e_during_ingest
//	e2e_memory        e2e on store/memory                       raw_http_loop
//	latency_200       open-loop ingest at 200/s: p50..max       raw_open_loop: the same schedule posted directly
//	latency_1k        open-loop ingest at 1,000/s               raw_open_loop
//	fanout_100        a topic with 100 subscriptions            raw_http_loop
//	filter_transform  e2e with 5 matching rules + a transform   e2e: the mean of runs right before and after
//	backlog           -backlog events to a paused destination:  targets (64 MiB, the 1 KiB body), e2e for
//	                  peak heap, RssAnon, file bytes/event,     the drain
//	                  then the drain rate once resumed
//
// The PostgreSQL scenarios each run on a fresh schema of the -postgres
// database, dropped at the end (see postgres.go for the details):
//
//	pg_ingest         Router.Ingest over store/postgres        pgx_insert: INSERT of the body, one commit each
//	pg_e2e            e2e over store/postgres; completion and  pgx_insert_done: INSERT, then UPDATE ... SET
//	                  rate during ingest; then again with the  done, each its own commit
//	                  destination's default max_concurrency
//	                  (pg_e2e_default_cap)
//	pg_two_processes  e2e from two child processes (this       pg_one_process: the same with one child
//	                  binary re-executed), one database
//
// Opt-in scenarios, run only when -scenarios names them:
//
//	retention         a -soak at -soak-rate events/s with       file_at_half_time; before_pruning: the
//	                  Config.Retention -soak-retention: the     ingest p99 of the first retention
//	                  file at the end, the ingest p99 while     window
//	                  pruning
//
// Ratios are value/baseline_value, or baseline_value/value for rows whose
// lower_is_better is true (latencies, memory, file size): a ratio above 1
// always means better than the baseline. Progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// options are the command's flags.
type options struct {
	duration     time.Duration
	concurrency  int
	backlog      int
	drainTimeout time.Duration
	json         bool
	pgURL        string // "" skips the pg_* scenarios
	pgConns      int
	cpuProfile   string
	// soak, soakRetention and soakRate shape the opt-in retention soak.
	soak, soakRetention time.Duration
	soakRate            int
}

// Row is one line of the report.
type Row struct {
	Name          string  `json:"name"`
	Value         float64 `json:"value"`
	Unit          string  `json:"unit"`
	Baseline      string  `json:"baseline"`
	BaselineValue float64 `json:"baseline_value"`
	Ratio         float64 `json:"ratio"`
	LowerIsBetter bool    `json:"lower_is_better"`
}

// row builds a Row, computing its ratio.
func row(name string, value float64, unit, baseline string, baselineValue float64, lowerIsBetter bool) Row {
	r := Row{Name: name, Value: value, Unit: unit, Baseline: baseline, BaselineValue: baselineValue, LowerIsBetter: lowerIsBetter}
	switch {
	case lowerIsBetter && value > 0:
		r.Ratio = baselineValue / value
	case !lowerIsBetter && baselineValue > 0:
		r.Ratio = value / baselineValue
	}
	return r
}

// scenario is one entry of the menu.
type scenario struct {
	name string
	run  func(ctx context.Context, b *bench) ([]Row, error)
	// postgres: the scenario needs -postgres, and is skipped without.
	postgres bool
}

var scenarios = []scenario{
	{"ingest_go", runIngestGo, false},
	{"ingest_http", runIngestHTTP, false},
	{"e2e", runE2E, false},
	{"e2e_memory", runE2EMemory, false},
	{"latency_200", func(ctx context.Context, b *bench) ([]Row, error) { return runLatency(ctx, b, "latency_200", 200) }, false},
	{"latency_1k", func(ctx context.Context, b *bench) ([]Row, error) { return runLatency(ctx, b, "latency_1k", 1000) }, false},
	{"fanout_100", runFanout, false},
	{"filter_transform", runFilterTransform, false},
	{"backlog", runBacklog, false},
	{"pg_ingest", runPGIngest, true},
	{"pg_e2e", runPGE2E, true},
	{"pg_two_processes", runPGTwoProcesses, true},
}

// optIn are scenarios run only when -scenarios names them: soaks longer
// than a default run should take.
var optIn = []scenario{
	{"retention", runRetention, false},
}

// bench is the state shared by the scenarios of one run.
type bench struct {
	opts options
	dir  string // temporary directory of the bbolt files
	nth  int    // files opened so far, to name the next one
	// cached baselines and figures other scenarios compare with.
	rawLoop *float64
	e2e     *float64
	// pgInsert and pgInsertDone are the raw pgx loops' rates.
	pgInsert, pgInsertDone *float64
	pgSchemas              int // schemas created so far, to name the next one
}

func main() {
	var o options
	var list string
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "measuring window of each scenario")
	flag.IntVar(&o.concurrency, "concurrency", 64, "concurrent senders, raw-loop clients and delivery workers")
	flag.StringVar(&list, "scenarios", "", "comma-separated scenarios to run (default all): "+names())
	flag.IntVar(&o.backlog, "backlog", 1_000_000, "deliveries piled up by the backlog scenario")
	flag.DurationVar(&o.drainTimeout, "drain-timeout", 0, "longest wait for deliveries to complete (default 10x -duration, at least 20s)")
	flag.BoolVar(&o.json, "json", false, "print {\"scenarios\": [...]} as JSON")
	flag.StringVar(&o.pgURL, "postgres", os.Getenv(postgresURLEnv), "PostgreSQL URL of the pg_* scenarios (default $"+postgresURLEnv+"; none: skipped)")
	flag.IntVar(&o.pgConns, "pg-conns", 0, "connections of each PostgreSQL pool (default -concurrency)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	flag.DurationVar(&o.soak, "soak", defaultSoak, "length of the retention soak")
	flag.DurationVar(&o.soakRetention, "soak-retention", defaultSoakRetention, "Config.Retention of the retention soak")
	flag.IntVar(&o.soakRate, "soak-rate", defaultSoakRate, "events/s ingested by the retention soak")
	child := flag.Bool(childFlag, false, "internal: run as a child process of pg_two_processes (its spec on stdin)")
	flag.Parse()
	if *child {
		os.Exit(runChild())
	}
	if o.duration <= 0 || o.concurrency <= 0 || o.backlog <= 0 || o.soak <= 0 || o.soakRetention <= 0 || o.soakRate <= 0 {
		fatalf("-duration, -concurrency, -backlog and the -soak flags must be positive")
	}
	if o.drainTimeout <= 0 {
		o.drainTimeout = max(10*o.duration, 20*time.Second)
	}
	if o.pgConns <= 0 {
		o.pgConns = o.concurrency
	}
	selected, err := pick(list)
	if err != nil {
		fatalf("%v", err)
	}
	// The engine logs delivery failures; only errors matter here.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))

	dir, err := os.MkdirTemp("", "hookstream-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	b := &bench{opts: o, dir: dir}
	start := time.Now()
	progress("hookstream bench: %d CPUs, GOMAXPROCS %d, %s, duration %v, concurrency %d, backlog %d, files in %s",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), o.duration, o.concurrency, o.backlog, dir)
	stopProfile := func() {}
	if o.cpuProfile != "" {
		if stopProfile, err = startCPUProfile(o.cpuProfile); err != nil {
			fatalf("%v", err)
		}
	}
	var rows []Row
	failed := false
	ctx := context.Background()
	for _, s := range selected {
		if s.postgres && o.pgURL == "" {
			progress("== %s skipped: no PostgreSQL database (give -postgres <url> or set %s)", s.name, postgresURLEnv)
			continue
		}
		// The previous scenario's garbage (a memory store's whole
		// content, say) is collected now, not during this one.
		runtime.GC()
		debug.FreeOSMemory()
		t0 := time.Now()
		progress("== %s", s.name)
		rs, err := s.run(ctx, b)
		if err != nil {
			failed = true
			progress("%s FAILED: %v", s.name, err)
		}
		rows = append(rows, rs...)
		progress("== %s done in %v", s.name, time.Since(t0).Round(100*time.Millisecond))
	}
	stopProfile()
	if err := os.RemoveAll(dir); err != nil {
		progress("remove %s: %v", dir, err)
	}
	progress("total run time %v", time.Since(start).Round(100*time.Millisecond))
	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []Row{}
		}
		if err := enc.Encode(struct {
			Scenarios []Row `json:"scenarios"`
		}{rows}); err != nil {
			fatalf("%v", err)
		}
	} else {
		printTable(os.Stdout, rows)
	}
	if failed {
		os.Exit(1)
	}
}

func names() string {
	var ns []string
	for _, s := range slices.Concat(scenarios, optIn) {
		ns = append(ns, s.name)
	}
	return strings.Join(ns, ",")
}

// pick returns the scenarios named in list (all when empty), in menu order.
func pick(list string) ([]scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		found := false
		for _, s := range slices.Concat(scenarios, optIn) {
			found = found || s.name == n
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", n, names())
		}
		want[n] = true
	}
	var out []scenario
	for _, s := range slices.Concat(scenarios, optIn) {
		if want[s.name] {
			out = append(out, s)
		}
	}
	return out, nil
}

func printTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tvalue\tunit\tbaseline\tbaseline value\tratio\t")
	for _, r := range rows {
		ratio := fmt.Sprintf("%.3f", r.Ratio)
		if r.LowerIsBetter {
			ratio += " (lower is better)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, num(r.Value), r.Unit, r.Baseline, num(r.BaselineValue), ratio)
	}
	tw.Flush()
}

// num formats a figure with a precision that suits its size.
func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// progress prints a timestamped line to stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.0")}, args...)...)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}
