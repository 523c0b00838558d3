-- hookstream PostgreSQL schema, version 3: hourly rollups of events and
-- delivery attempts (store.RollupStore), written by InsertEvent and
-- Complete in their own statements.
--
-- A write adds to the row of its key and hour whose shard is its
-- connection's backend PID: no two transactions in progress share a PID,
-- so concurrent ingests of one source never wait for each other's rollup
-- row. CompactRollups (every minute, in the background) folds the rows of
-- past hours into shard 0, which writers never use, so that a key keeps
-- about one row per hour; readers sum whatever rows there are.
--
-- The primary keys lead with (org_id, env_id, hour) for the range reads
-- of a tenant; *_hour serves PruneRollups and *_uncompacted (partial,
-- so small) the compaction.

CREATE TABLE {s}.event_rollups (
	org_id    text NOT NULL,
	env_id    text NOT NULL,
	hour      timestamptz NOT NULL,
	source_id text NOT NULL,
	shard     integer NOT NULL,
	count     bigint NOT NULL,
	PRIMARY KEY (org_id, env_id, hour, source_id, shard)
) WITH (fillfactor = 80);
CREATE INDEX event_rollups_hour ON {s}.event_rollups (hour);
CREATE INDEX event_rollups_uncompacted ON {s}.event_rollups (hour) WHERE shard <> 0;

-- Attempts per destination and hour: every attempt, successes, failures,
-- dead letters, and the histogram of their durations: element i counts
-- the attempts in bin i (store.HistogramBin of duration_ms, from 0).
CREATE TABLE {s}.delivery_rollups (
	org_id         text NOT NULL,
	env_id         text NOT NULL,
	hour           timestamptz NOT NULL,
	destination_id text NOT NULL,
	shard          integer NOT NULL,
	attempts       bigint NOT NULL,
	successes      bigint NOT NULL,
	failures       bigint NOT NULL,
	dead_letters   bigint NOT NULL,
	latency        bigint[] NOT NULL,
	PRIMARY KEY (org_id, env_id, hour, destination_id, shard)
) WITH (fillfactor = 80);
CREATE INDEX delivery_rollups_hour ON {s}.delivery_rollups (hour);
CREATE INDEX delivery_rollups_uncompacted ON {s}.delivery_rollups (hour) WHERE shard <> 0;

-- Histograms add up element by element (the shorter one padded with
-- zeros): histogram_add for two, histogram_sum as an aggregate.
CREATE FUNCTION {s}.histogram_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
	FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
CREATE AGGREGATE {s}.histogram_sum(bigint[]) (SFUNC = {s}.histogram_add, STYPE = bigint[], INITCOND = '{}');
