package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// Rollups are the tables of 0003_rollups.sql: InsertEvent and Complete add
// to the rows of their backend's shard, CompactRollups folds past hours
// into shard 0, readers sum the shards.

// rollupCompactInterval is how often a Store compacts rollups in the
// background.
const rollupCompactInterval = time.Minute

// rollupHour is the hour of t's rollup.
func rollupHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// rollupBucket is the SQL of the start of a rollup's bucket: its hour, or
// with $6 its UTC day.
const rollupBucket = `CASE WHEN $6 THEN date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' ELSE hour END`

// rollupWhere selects the rows of a query: tenant $1/$2, ID $3 (all when
// empty) in column idCol, hours in [$4, $5).
func rollupWhere(idCol string) string {
	return `org_id = $1 AND env_id = $2 AND ($3 = '' OR ` + idCol + ` = $3) AND hour >= $4 AND hour < $5`
}

// rollupArgs are the arguments $1-$7 of a rollup query (limit $7, none
// when q.Limit is below 1).
func rollupArgs(q store.RollupQuery) []any {
	to := q.To
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var limit *int
	if q.Limit > 0 {
		limit = &q.Limit
	}
	return []any{q.Tenant.OrgID, q.Tenant.EnvID, q.ID, q.Bucket(q.From), to, q.Daily, limit}
}

// EventRollups implements store.RollupStore in one statement.
func (s *Store) EventRollups(ctx context.Context, q store.RollupQuery) ([]store.EventRollup, error) {
	const op = "event rollups"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.sql(`SELECT source_id, `+rollupBucket+` AS bucket, sum(count)::bigint
		FROM {s}.event_rollups WHERE `+rollupWhere("source_id")+`
		GROUP BY source_id, bucket ORDER BY source_id, bucket LIMIT $7`), rollupArgs(q)...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.EventRollup, error) {
		var r store.EventRollup
		err := row.Scan(&r.SourceID, &r.Bucket, &r.Events)
		r.Bucket = r.Bucket.UTC()
		return r, err
	})
	return out, s.wrap(op, err)
}

// DeliveryRollups implements store.RollupStore in one statement.
func (s *Store) DeliveryRollups(ctx context.Context, q store.RollupQuery) ([]store.DeliveryRollup, error) {
	const op = "delivery rollups"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.sql(`SELECT destination_id, `+rollupBucket+` AS bucket, sum(attempts)::bigint,
			sum(successes)::bigint, sum(failures)::bigint, sum(dead_letters)::bigint, {s}.histogram_sum(latency)
		FROM {s}.delivery_rollups WHERE `+rollupWhere("destination_id")+`
		GROUP BY destination_id, bucket ORDER BY destination_id, bucket LIMIT $7`), rollupArgs(q)...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DeliveryRollup, error) {
		var (
			r       store.DeliveryRollup
			latency []int64
		)
		err := row.Scan(&r.DestinationID, &r.Bucket, &r.Attempts, &r.Successes, &r.Failures, &r.DeadLetters, &latency)
		r.Bucket, r.Latency = r.Bucket.UTC(), store.Histogram(latency)
		return r, err
	})
	return out, s.wrap(op, err)
}

// rollupTables are the rollup tables with the columns that name a rollup
// (all but the shard), and for those that add up how to sum them and add
// a sum to a row.
var rollupTables = []struct {
	name string
	keys []string
	sums []rollupSum
}{
	{"event_rollups", []string{"org_id", "env_id", "hour", "source_id"}, []rollupSum{added("count")}},
	{"delivery_rollups", []string{"org_id", "env_id", "hour", "destination_id"}, []rollupSum{
		added("attempts"), added("successes"), added("failures"), added("dead_letters"),
		{"latency", "{s}.histogram_sum(latency)", "latency = {s}.histogram_add(r.latency, excluded.latency)"},
	}},
}

// rollupSum is a column that adds up: the SQL of its sum over rows, and
// of adding excluded's to row r's.
type rollupSum struct{ col, total, add string }

// added is a count: summed, and added to.
func added(col string) rollupSum {
	return rollupSum{col, "sum(" + col + ")::bigint", col + " = r." + col + " + excluded." + col}
}

// PruneRollups implements store.RollupStore, in statements of at most
// pruneBatch×10 rows of one table, skipping rows locked by a writer or a
// compaction.
func (s *Store) PruneRollups(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "prune rollups"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	pruned := 0
	for _, t := range rollupTables {
		for {
			tag, err := s.pool.Exec(ctx, s.sql(`DELETE FROM {s}.`+t.name+` WHERE ctid = ANY(ARRAY(
				SELECT ctid FROM {s}.`+t.name+` WHERE hour < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`), cutoff, 10*pruneBatch)
			if err != nil {
				return pruned, s.wrap(op, err)
			}
			pruned += int(tag.RowsAffected())
			if tag.RowsAffected() < 10*pruneBatch {
				break
			}
		}
	}
	return pruned, nil
}

// CompactRollups folds the rows of the rollups of hours before the current
// one (by the database's clock) into one row each (shard 0), leaving the
// sums the same. The Store does so every minute in the background. It
// never waits for a writer: rows a transaction has locked are left to the
// next compaction (so writers, which may wait for it, cannot deadlock with
// it), and so is everything while another process compacts.
func (s *Store) CompactRollups(ctx context.Context) error {
	const op = "compact rollups"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	return s.wrap(op, s.alone(ctx, "compact", func(tx pgx.Tx) error {
		for _, t := range rollupTables {
			var cols, total, add []string
			for _, c := range t.sums {
				cols, total, add = append(cols, c.col), append(total, c.total), append(add, c.add)
			}
			keys, sums := strings.Join(t.keys, ", "), strings.Join(cols, ", ")
			_, err := tx.Exec(ctx, s.sql(`WITH moved AS (
				DELETE FROM {s}.`+t.name+` WHERE ctid = ANY(ARRAY(SELECT ctid FROM {s}.`+t.name+` WHERE shard <> 0
					AND hour < date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FOR UPDATE SKIP LOCKED))
				RETURNING `+keys+`, `+sums+`
			)
			INSERT INTO {s}.`+t.name+` AS r (`+keys+`, shard, `+sums+`)
			SELECT `+keys+`, 0, `+strings.Join(total, ", ")+` FROM moved GROUP BY `+keys+` ORDER BY `+keys+`
			ON CONFLICT (`+keys+`, shard) DO UPDATE SET `+strings.Join(add, ", ")))
			if err != nil {
				return err
			}
		}
		return nil
	}))
}
