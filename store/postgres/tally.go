package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// A tally sums the counter and rollup increments of a group of inserts
// (insertgroup.go), which then writes each counter and rollup row once, at
// the end of its transaction, instead of once per event: every such write
// locks the row and makes a new version of it (two WAL records each), and
// a group's events mostly share their source's and connections' rows.
type tally struct {
	counters map[string]*tallyCount
	rollups  map[rollupKey]int64
}

// tallyCount is a counter's increment and its latest activity.
type tallyCount struct {
	count int64
	last  time.Time
}

// rollupKey is an event rollup row of this backend.
type rollupKey struct {
	org, env, source string
	hour             time.Time
}

func newTally() *tally {
	return &tally{counters: map[string]*tallyCount{}, rollups: map[rollupKey]int64{}}
}

// count adds n to counter id, active at t.
func (t *tally) count(id string, n int64, at time.Time) {
	if n <= 0 {
		return
	}
	c := t.counters[id]
	if c == nil {
		c = &tallyCount{last: at}
		t.counters[id] = c
	}
	c.count += n
	if at.After(c.last) {
		c.last = at
	}
}

// roll counts an event of source in the rollup of its tenant and hour.
func (t *tally) roll(org, env, source string, hour time.Time) {
	t.rollups[rollupKey{org, env, source, hour}]++
}

// flushTallySQL advances counters ($2-$4, in shard $1) and this backend's
// event rollups ($5-$9), each row once and in key order, so that two
// transactions writing rows they share lock them in one order.
const flushTallySQL = `
WITH cn AS (
	INSERT INTO {s}.counters AS c (id, shard, count, last)
	SELECT x.id, $1::smallint, x.count, x.last
	FROM unnest($2::text[], $3::bigint[], $4::timestamptz[]) AS x(id, count, last)
	ORDER BY x.id
	ON CONFLICT (id, shard) DO UPDATE SET count = c.count + excluded.count, last = greatest(c.last, excluded.last)
)
INSERT INTO {s}.event_rollups AS r (org_id, env_id, hour, source_id, shard, count)
SELECT x.org, x.env, x.hour, x.source, pg_backend_pid(), x.count
FROM unnest($5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::bigint[]) AS x(org, env, hour, source, count)
ORDER BY x.org, x.env, x.hour, x.source
ON CONFLICT (org_id, env_id, hour, source_id, shard) DO UPDATE SET count = r.count + excluded.count`

// queueTally queues in b the statement that writes t, counters in
// shard; it queues nothing for an empty tally. The statement orders the
// rows (in the database's collation, as every other writer of them does).
func (s *Store) queueTally(b *pgx.Batch, t *tally, shard int16) {
	if len(t.counters) == 0 && len(t.rollups) == 0 {
		return
	}
	var (
		ids                 []string
		counts, n           []int64
		lasts, hours        []time.Time
		orgs, envs, sources []string
	)
	for id, c := range t.counters {
		ids, counts, lasts = append(ids, id), append(counts, c.count), append(lasts, c.last)
	}
	for k, count := range t.rollups {
		orgs, envs, hours, sources, n = append(orgs, k.org), append(envs, k.env), append(hours, k.hour), append(sources, k.source), append(n, count)
	}
	b.Queue(s.sql(flushTallySQL), shard, ids, counts, lasts, orgs, envs, hours, sources, n)
}
