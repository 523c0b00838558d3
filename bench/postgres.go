package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The PostgreSQL scenarios run when -postgres (or the environment variable
// postgresURLEnv) names a database, and are skipped otherwise. Each opens
// its store, or its raw loop's table, on a schema of its own
// (bench_<name>_<pid>_<n>), dropped at its end, so runs never see each
// other's rows. The Routers' pools and the raw loops' pools have -pg-conns
// connections each (default -concurrency), so a raw loop's clients and a
// Router's ingest goroutines reach the server the same way.
//
//	pg_ingest         Router.Ingest (Run not started) from -concurrency
//	                  goroutines, against pgx_insert: the same goroutines
//	                  each INSERT a 1 KiB body into a table of their own
//	                  schema (bigint primary key, bytea, boolean), one
//	                  autocommitted statement, so one commit, per event.
//	pg_e2e            e2e over the store (ingest for the window, Run
//	                  started, a loopback receiver), completion rate and
//	                  rate delivered while ingest ran, against
//	                  pgx_insert_done: the INSERT, then UPDATE ... SET done
//	                  = true WHERE id = $1, each its own commit: the least
//	                  a durable queue writes per delivered event (stored
//	                  before the sender's 200, done once delivered).
//	                  pg_e2e_vs_convoy compares the completion rate with
//	                  Convoy's 150-200 deliveries/s on this machine type
//	                  (PostgreSQL + Redis, the figure; the ratio is
//	                  to the upper end, 200).
//	pg_two_processes  two child processes (this binary re-executed with
//	                  -pg-child), each a Router with its own Store on one
//	                  schema, each ingesting from -concurrency goroutines
//	                  with Run started, delivering to one receiver in this
//	                  process; against pg_one_process, the same with one
//	                  child (itself against pgx_insert_done).
//
// When the database has the pg_stat_statements extension, each scenario
// resets it and prints its heaviest statements to stderr at its end, with
// the WAL's flushes (pg_stat_wal), to see what bounds a figure.
const postgresURLEnv = "HOOKSTREAM_BENCH_POSTGRES_URL"

// convoyDeliveries is the upper end of Convoy's 150-200 deliveries/s on
// this machine type, the figure to beat tenfold.
const convoyDeliveries = 200

// pgSchema returns the name of a new schema for name.
func (b *bench) pgSchema(name string) string {
	b.pgSchemas++
	return fmt.Sprintf("bench_%s_%d_%d", name, os.Getpid(), b.pgSchemas)
}

// dropSchema drops schema and everything in it.
func dropSchema(ctx context.Context, url, schema string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// openPostgres opens a store/postgres Store on schema with the bench's
// pool size.
func openPostgres(ctx context.Context, url, schema string, conns int) (*postgres.Store, error) {
	s, err := postgres.Open(ctx, url, &postgres.Options{Schema: schema, MaxConns: int32(conns)})
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return s, nil
}

// openPostgresRoute opens a Router on a store/postgres Store on a fresh
// schema; the route's close closes the store and drops the schema.
func (b *bench) openPostgresRoute(ctx context.Context, name string, cfg *hookstream.Config) (*route, error) {
	url, schema := b.opts.pgURL, b.pgSchema(name)
	s, err := openPostgres(ctx, url, schema, b.opts.pgConns)
	if err != nil {
		return nil, err
	}
	cleanup := func() {
		if err := s.Close(); err != nil {
			progress("close postgres store: %v", err)
		}
		if err := dropSchema(context.Background(), url, schema); err != nil {
			progress("drop schema %s: %v", schema, err)
		}
	}
	r, err := hookstream.New(s, cfg)
	if err != nil {
		cleanup()
		return nil, err
	}
	return &route{r: r, schema: schema, cleanup: cleanup}, nil
}

// runPGIngest measures Router.Ingest (Run not started) over store/postgres
// against the raw INSERT loop.
func runPGIngest(ctx context.Context, b *bench) ([]Row, error) {
	rt, err := b.newRoute(ctx, "postgres", "ingest", b.config(), b.httpDestination("http://127.0.0.1:9/hook"), hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	stats := b.pgStats(ctx)
	ingest := func(seq int64) error { return rt.ingest(ctx, seq) }
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), ingest); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	stats.reset()
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, func(seq int64) error { return ingest(seq + b.warmup()) })
	if err != nil {
		return nil, err
	}
	got := perSecond(n, d)
	progress("pg_ingest: %d events in %v: %.0f events/s", n, d.Round(time.Millisecond), got)
	stats.report("pg_ingest", d)
	raw, err := b.pgxLoop(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("pgx_insert: %w", err)
	}
	return []Row{row("pg_ingest", got, "events/s", "pgx_insert", raw, false)}, nil
}

// runPGE2E is e2e over store/postgres, against the raw INSERT-then-UPDATE
// loop, and the completion rate against Convoy's.
func runPGE2E(ctx context.Context, b *bench) ([]Row, error) {
	stats := b.pgStats(ctx)
	stats.reset()
	t0 := time.Now()
	res, err := b.e2eRun(ctx, "postgres", "pg_e2e", b.httpDestination, hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	stats.report("pg_e2e (warm-up, window and drain)", time.Since(t0))
	// The same with the destination's max_concurrency left at its default
	// (10), as most destinations are: what a cap's slots cost in round
	// trips shows here.
	stats.reset()
	t0 = time.Now()
	capped, err := b.e2eRun(ctx, "postgres", "pg_e2e_default_cap", defaultCapDestination, hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	stats.report("pg_e2e_default_cap (warm-up, window and drain)", time.Since(t0))
	raw, err := b.pgxLoop(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("pgx_insert_done: %w", err)
	}
	return []Row{
		row("pg_e2e", res.completion, "deliveries/s", "pgx_insert_done", raw, false),
		row("pg_e2e_during_ingest", res.during, "deliveries/s", "pgx_insert_done", raw, false),
		row("pg_e2e_vs_convoy", res.completion, "deliveries/s", "convoy_200", convoyDeliveries, false),
		row("pg_e2e_default_cap", capped.completion, "deliveries/s", "pgx_insert_done", raw, false),
	}, nil
}

// defaultCapDestination is an http destination to url with every setting
// at its default, max_concurrency (10) included.
func defaultCapDestination(url string) hookstream.DestinationParams {
	return hookstream.DestinationParams{URL: ptr(url)}
}

// pgxLoop is the raw baseline of the PostgreSQL scenarios, measured once
// per run each: -concurrency goroutines on a pool of -pg-conns connections,
// each event an INSERT of the 1 KiB body and, with done, an UPDATE that
// marks it done, each statement autocommitted (its own transaction and
// commit, flushed to the WAL before it returns: synchronous_commit as the
// server has it). It returns events per second.
func (b *bench) pgxLoop(ctx context.Context, done bool) (float64, error) {
	name, cached := "pgx_insert", &b.pgInsert
	if done {
		name, cached = "pgx_insert_done", &b.pgInsertDone
	}
	if *cached != nil {
		return **cached, nil
	}
	url, schema := b.opts.pgURL, b.pgSchema("raw")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return 0, err
	}
	cfg.MaxConns = int32(b.opts.pgConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	q := pgx.Identifier{schema}.Sanitize()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+q+"; CREATE TABLE "+q+".events (id bigint PRIMARY KEY, body bytea NOT NULL, done boolean NOT NULL DEFAULT false)"); err != nil {
		return 0, err
	}
	defer func() {
		if err := dropSchema(context.Background(), url, schema); err != nil {
			progress("drop schema %s: %v", schema, err)
		}
	}()
	insert := "INSERT INTO " + q + ".events (id, body) VALUES ($1, $2)"
	update := "UPDATE " + q + ".events SET done = true WHERE id = $1"
	work := func(seq int64) error {
		if _, err := pool.Exec(ctx, insert, seq, payload(seq)); err != nil {
			return err
		}
		if !done {
			return nil
		}
		tag, err := pool.Exec(ctx, update, seq)
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("update of %d changed %d rows", seq, tag.RowsAffected())
		}
		return err
	}
	if _, _, err := closedLoop(b.opts.concurrency, time.Now().Add(time.Minute), b.warmup(), work); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	stats := b.pgStats(ctx)
	stats.reset()
	n, d, err := closedLoop(b.opts.concurrency, time.Now().Add(b.opts.duration), 0, func(seq int64) error { return work(seq + b.warmup()) })
	if err != nil {
		return 0, err
	}
	rate := perSecond(n, d)
	progress("%s: %d events in %v: %.0f events/s", name, n, d.Round(time.Millisecond), rate)
	stats.report(name, d)
	*cached = &rate
	return rate, nil
}

// pgStats reads pg_stat_statements and pg_stat_wal, when the database has
// them, to show what a scenario spent its server time on.
type pgStats struct {
	ctx  context.Context
	url  string
	conn *pgx.Conn // nil: no pg_stat_statements
}

func (b *bench) pgStats(ctx context.Context) *pgStats {
	st := &pgStats{ctx: ctx, url: b.opts.pgURL}
	conn, err := pgx.Connect(ctx, st.url)
	if err != nil {
		progress("pg_stat_statements: %v", err)
		return st
	}
	if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		conn.Close(ctx)
		return st
	}
	st.conn = conn
	return st
}

// reset starts counting from now.
func (st *pgStats) reset() {
	if st.conn == nil {
		return
	}
	if _, err := st.conn.Exec(st.ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		progress("pg_stat_statements reset: %v", err)
	}
	// pg_stat_wal is PostgreSQL 14's; before it, report leaves the WAL out.
	st.conn.Exec(st.ctx, "SELECT pg_stat_reset_shared('wal')")
}

// report prints the heaviest statements since reset (d ago), the WAL's
// flushes, and closes the connection.
func (st *pgStats) report(name string, d time.Duration) {
	if st.conn == nil {
		return
	}
	defer st.conn.Close(st.ctx)
	rows, err := st.conn.Query(st.ctx, `
		SELECT calls, total_exec_time, rows, regexp_replace(query, '\s+', ' ', 'g')
		FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'
		ORDER BY total_exec_time DESC LIMIT 8`)
	if err != nil {
		progress("pg_stat_statements: %v", err)
		return
	}
	var lines []string
	for rows.Next() {
		var (
			calls, nrows int64
			total        float64
			query        string
		)
		if err := rows.Scan(&calls, &total, &nrows, &query); err != nil {
			progress("pg_stat_statements: %v", err)
			return
		}
		if len(query) > 110 {
			query = query[:110] + "..."
		}
		lines = append(lines, fmt.Sprintf("  %8d calls %9.0f ms (%6.3f ms each, %5.1f rows) %s", calls, total, total/float64(max(calls, 1)), float64(nrows)/float64(max(calls, 1)), query))
	}
	if rows.Err() != nil {
		progress("pg_stat_statements: %v", rows.Err())
		return
	}
	var records, syncs, writes int64
	var walBytes float64
	if err := st.conn.QueryRow(st.ctx, "SELECT wal_records, wal_bytes::float8, wal_sync, wal_write FROM pg_stat_wal").Scan(&records, &walBytes, &syncs, &writes); err == nil {
		lines = append(lines, fmt.Sprintf("  WAL: %d records, %.1f MiB, %d flushes (%.0f/s), %d writes over %v",
			records, walBytes/mib, syncs, perSecond(syncs, d), writes, d.Round(time.Millisecond)))
	}
	progress("%s: server time by statement (pg_stat_statements):\n%s", name, strings.Join(lines, "\n"))
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			progress("cpu profile: %v", err)
		}
	}, nil
}
