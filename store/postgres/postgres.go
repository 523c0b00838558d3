package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultSchema is the PostgreSQL schema a Store keeps its tables in by
// default.
const DefaultSchema = "hookstream"

// DefaultCounterShards is how many rows each activity counter is spread
// over by default.
const DefaultCounterShards = 16

// DefaultNotifyInterval is the shortest time between two notifications a
// Store sends by default.
const DefaultNotifyInterval = 10 * time.Millisecond

// DefaultReconnectInterval is how long the listener waits, by default,
// between attempts to reconnect after losing its connection.
const DefaultReconnectInterval = time.Second

// DefaultAnalyzeInterval is how often, by default, a Store looks for
// grown tables to analyze.
const DefaultAnalyzeInterval = 2 * time.Second

// Options configures Open. A nil *Options, like every zero field, means
// the defaults.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables; Open
	// creates it when missing. Several stores (several gateways, or tests)
	// can share one database with a schema each. Defaults to DefaultSchema.
	Schema string
	// MaxConns is the size of the connection pool. Defaults to the
	// connection string's pool_max_conns, or pgxpool's default (the
	// greater of 4 and the number of CPUs).
	MaxConns int32
	// CounterShards is how many rows each activity counter is spread over:
	// more shards let more concurrent ingests of one source commit without
	// waiting for each other. Defaults to DefaultCounterShards.
	CounterShards int
	// NotifyInterval is the shortest time between two notifications this
	// Store sends to other processes' schedulers: notifications that fall
	// closer together are sent as one. Defaults to DefaultNotifyInterval.
	NotifyInterval time.Duration
	// ReconnectInterval is how long the listener of Listen waits between
	// attempts to reconnect after losing its connection; each attempt also
	// wakes the listening schedulers, so they poll while notifications
	// cannot arrive. Defaults to DefaultReconnectInterval.
	ReconnectInterval time.Duration
	// AnalyzeInterval is how often the Store looks for tables that have
	// doubled in size since PostgreSQL last recorded their size, and
	// analyzes them (see AnalyzeGrowing). Defaults to DefaultAnalyzeInterval; a
	// negative interval turns it off, leaving statistics to autovacuum.
	AnalyzeInterval time.Duration
}

// Store is a store.Store in a PostgreSQL database, shared by every process
// that opens it. Its methods are those of store.Store, store.BatchLeaser,
// store.LeaseRenewer, store.Notifier, store.ConfigNotifier and
// store.TxEventInserter[pgx.Tx], documented there; the package
// documentation says what each costs and guarantees.
type Store struct {
	pool     *pgxpool.Pool
	schema   string
	quoted   string // the schema as a quoted identifier
	channel  string // the LISTEN/NOTIFY channel
	lockBase string // prefix of advisory lock keys
	shards   int
	opts     Options

	closed atomic.Bool
	ctx    context.Context // cancelled by Close, for background work
	cancel context.CancelFunc
	wg     sync.WaitGroup

	queries sync.Map // SQL text with {s} -> SQL text with the schema

	notifyReq chan struct{}       // asks the notifier to send a notification
	inserts   chan *insertRequest // InsertEvent's, to the committers
	listeners listeners
}

var (
	_ store.Store                   = (*Store)(nil)
	_ store.BatchLeaser             = (*Store)(nil)
	_ store.Notifier                = (*Store)(nil)
	_ store.ConfigNotifier          = (*Store)(nil)
	_ store.TxEventInserter[pgx.Tx] = (*Store)(nil)
	_ store.LeaseRenewer            = (*Store)(nil)
)

// Open connects to the database of connString (a PostgreSQL URL or
// key=value string, as pgxpool.ParseConfig reads it), applies the
// migrations the schema lacks, and returns a Store over it. Several
// processes may open the same database at once: migrations run under an
// advisory lock, one process at a time, and each is applied once. Close the
// Store to release its connections.
func Open(ctx context.Context, connString string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	if o.CounterShards <= 0 {
		o.CounterShards = DefaultCounterShards
	}
	if o.CounterShards > 1<<15-1 {
		return nil, fmt.Errorf("postgres: open: CounterShards %d is more than %d", o.CounterShards, 1<<15-1)
	}
	if o.NotifyInterval <= 0 {
		o.NotifyInterval = DefaultNotifyInterval
	}
	if o.ReconnectInterval <= 0 {
		o.ReconnectInterval = DefaultReconnectInterval
	}
	if o.AnalyzeInterval == 0 {
		o.AnalyzeInterval = DefaultAnalyzeInterval
	}
	if o.MaxConns < 0 {
		return nil, fmt.Errorf("postgres: open: MaxConns %d is negative", o.MaxConns)
	}
	if len(o.Schema) > 63 {
		return nil, fmt.Errorf("postgres: open: Schema %q is longer than 63 bytes", o.Schema)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	channel := "hookstream_" + o.Schema
	if len(channel) > 63 {
		channel = channel[:63]
	}
	s := &Store{
		pool:      pool,
		schema:    o.Schema,
		quoted:    pgx.Identifier{o.Schema}.Sanitize(),
		channel:   channel,
		lockBase:  "hookstream/" + o.Schema + "/",
		shards:    o.CounterShards,
		opts:      o,
		notifyReq: make(chan struct{}, 1),
	}
	s.listeners.subs = map[chan struct{}]struct{}{}
	s.listeners.config = map[chan struct{}]struct{}{}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Go(s.runNotifier)
	s.startInsertCommitters()
	s.wg.Go(func() { s.every(rollupCompactInterval, s.CompactRollups) })
	if o.AnalyzeInterval > 0 {
		s.wg.Go(func() { s.every(o.AnalyzeInterval, s.AnalyzeGrowing) })
	}
	return s, nil
}

// Pool returns the store's connection pool, so an application can run its
// own statements, and begin the transactions that InsertEventTx writes in,
// on the same database. Never write hookstream's own tables.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema that holds the store's tables.
func (s *Store) Schema() string { return s.schema }

// Close stops the store's listener and notifier, waits for calls in
// progress, and closes its connections. Calls after Close, Close included,
// return store.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("postgres: close: %w", store.ErrClosed)
	}
	s.cancel()
	s.listeners.seal()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// every runs fn every interval until Close; a failed run leaves its work
// to the next.
func (s *Store) every(interval time.Duration, fn func(context.Context) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			_ = fn(s.ctx)
		}
	}
}

// alone runs fn in a transaction that holds the advisory lock of name, in
// one process at a time: while another holds it, alone does nothing.
func (s *Store) alone(ctx context.Context, name string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", s.lockBase+name).Scan(&locked); err != nil || !locked {
			return err
		}
		return fn(tx)
	})
}

// sql returns q with {s} replaced by the store's quoted schema.
func (s *Store) sql(q string) string {
	if v, ok := s.queries.Load(q); ok {
		return v.(string)
	}
	r := strings.ReplaceAll(q, "{s}", s.quoted)
	s.queries.Store(q, r)
	return r
}

// begin checks that the store is open and ctx not done, before a call.
func (s *Store) begin(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

// wrap prefixes err with the operation. An error of a call that Close
// overtook is store.ErrClosed.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() && !errors.Is(err, store.ErrClosed) && !isStoreError(err) {
		err = fmt.Errorf("%w (%v)", store.ErrClosed, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func isStoreError(err error) bool {
	for _, e := range []error{store.ErrNotFound, store.ErrConflict, store.ErrLeaseLost, store.ErrInvalidCursor} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// SQLSTATE codes the store maps to its sentinels.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// shard picks the counter shard of a write.
func (s *Store) shard() int16 { return int16(rand.IntN(s.shards)) }

// micros is d in whole microseconds, PostgreSQL's time resolution.
func micros(d time.Duration) int64 { return d.Microseconds() }

// utc returns t as read from a timestamptz column: the zero time (stored
// as year 1) as the zero time.Time, others in UTC.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// text makes s storable in a text column, which holds valid UTF-8 without
// NUL bytes: other bytes become U+FFFD.
func text(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= 0x80 {
			return sanitize(s)
		}
	}
	return s
}

func sanitize(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
