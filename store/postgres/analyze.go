package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// analyzeMinPages is the size, in pages, from which a table that was
// never analyzed is analyzed by the Store.
const analyzeMinPages = 16

// analyzedTables are the tables that grow with traffic.
var analyzedTables = []string{"events", "deliveries", "attempts", "dedup_keys"}

// grownTablesSQL names the tables of analyzedTables (in schema $1) whose
// size is at least $3 pages and at least twice the size their last
// analysis (or vacuum) recorded, pg_class.relpages.
const grownTablesSQL = `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind = 'r'
		AND pg_relation_size(c.oid) >= greatest($3, 2 * c.relpages::bigint) * current_setting('block_size')::bigint
	ORDER BY c.relname`

// AnalyzeGrowing refreshes the planner statistics of the store's growing
// tables (events, deliveries, attempts, dedup keys) that have doubled in
// size since PostgreSQL last recorded their size (by an analysis or a
// vacuum), from 16 pages (128 KiB) on.
// The Store does so every Options.AnalyzeInterval in the background, one
// process at a time (an advisory lock).
//
// Why: PostgreSQL keeps one plan per prepared statement once it has
// judged a generic plan good enough, and plans again only when the
// statistics of a table it reads change. A plan made while a new table
// held a few hundred rows scans the whole table, and goes on doing so
// as the table grows, until autovacuum analyzes it: on a fresh database
// under load, a minute or more of every completion and lease reading
// every delivery, which let delivery fall behind ingest for good. With
// the tables analyzed as they double, no plan outlives the size it was
// made for by more than twice: a table of N pages is analyzed here about
// log2(N/16) times in its life, and autovacuum, which analyzes at every
// 10% of change, usually comes first once it is large.
func (s *Store) AnalyzeGrowing(ctx context.Context) error {
	const op = "analyze growing tables"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	return s.wrap(op, s.alone(ctx, "analyze", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, grownTablesSQL, s.schema, analyzedTables, analyzeMinPages)
		if err != nil {
			return err
		}
		grown, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(grown) == 0 {
			return err
		}
		// Autovacuum may be analyzing one of them; rather than wait, leave
		// it to the next pass.
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '1s'"); err != nil {
			return err
		}
		for _, t := range grown {
			if _, err := tx.Exec(ctx, "ANALYZE "+s.quoted+"."+pgx.Identifier{t}.Sanitize()); err != nil {
				return err
			}
		}
		return nil
	}))
}
