-- hookstream PostgreSQL schema, version 1. {s} is the store's schema
-- (Options.Schema), quoted. The package doc explains every index.

-- Configuration resources: one table per kind. data holds the resource as
-- encoding/json wrote it (type json keeps it byte for byte, so raw JSON
-- fields come back as they went in); the other columns are copies that
-- constraints, lookups and listings need. seq breaks ties of created_at.
-- UNIQUE (id, org_id, env_id) is the target of references that must stay
-- inside one tenant.

CREATE TABLE {s}.sources (
	id         text PRIMARY KEY,
	org_id     text NOT NULL,
	env_id     text NOT NULL,
	seq        bigint GENERATED ALWAYS AS IDENTITY,
	created_at timestamptz NOT NULL,
	slug       text NOT NULL,
	data       json NOT NULL,
	UNIQUE (id, org_id, env_id)
);
CREATE UNIQUE INDEX sources_slug ON {s}.sources (org_id, env_id, slug) WHERE slug <> '';
CREATE INDEX sources_list ON {s}.sources (org_id, env_id, created_at, seq);
CREATE INDEX sources_org_list ON {s}.sources (org_id, created_at, seq);

CREATE TABLE {s}.destinations (
	id         text PRIMARY KEY,
	org_id     text NOT NULL,
	env_id     text NOT NULL,
	seq        bigint GENERATED ALWAYS AS IDENTITY,
	created_at timestamptz NOT NULL,
	slug       text NOT NULL,
	data       json NOT NULL,
	UNIQUE (id, org_id, env_id)
);
CREATE UNIQUE INDEX destinations_slug ON {s}.destinations (org_id, env_id, slug) WHERE slug <> '';
CREATE INDEX destinations_list ON {s}.destinations (org_id, env_id, created_at, seq);
CREATE INDEX destinations_org_list ON {s}.destinations (org_id, created_at, seq);

CREATE TABLE {s}.topics (
	id         text PRIMARY KEY,
	org_id     text NOT NULL,
	env_id     text NOT NULL,
	seq        bigint GENERATED ALWAYS AS IDENTITY,
	created_at timestamptz NOT NULL,
	slug       text NOT NULL,
	data       json NOT NULL,
	UNIQUE (id, org_id, env_id)
);
CREATE UNIQUE INDEX topics_slug ON {s}.topics (org_id, env_id, slug) WHERE slug <> '';
CREATE INDEX topics_list ON {s}.topics (org_id, env_id, created_at, seq);
CREATE INDEX topics_org_list ON {s}.topics (org_id, created_at, seq);

CREATE TABLE {s}.environments (
	id         text PRIMARY KEY,
	org_id     text NOT NULL,
	env_id     text NOT NULL,
	seq        bigint GENERATED ALWAYS AS IDENTITY,
	created_at timestamptz NOT NULL,
	slug       text NOT NULL,
	data       json NOT NULL
);
CREATE UNIQUE INDEX environments_slug ON {s}.environments (org_id, env_id, slug) WHERE slug <> '';
CREATE INDEX environments_list ON {s}.environments (org_id, env_id, created_at, seq);
CREATE INDEX environments_org_list ON {s}.environments (org_id, created_at, seq);

CREATE TABLE {s}.api_keys (
	id         text PRIMARY KEY,
	org_id     text NOT NULL,
	env_id     text NOT NULL,
	seq        bigint GENERATED ALWAYS AS IDENTITY,
	created_at timestamptz NOT NULL,
	key_hash   text NOT NULL UNIQUE,
	data       json NOT NULL
);
CREATE INDEX api_keys_list ON {s}.api_keys (org_id, env_id, created_at, seq);
CREATE INDEX api_keys_org_list ON {s}.api_keys (org_id, created_at, seq);

-- A connection's source and destination must exist in its tenant, and
-- cannot be deleted while it points to them: foreign keys, not code.
CREATE TABLE {s}.connections (
	id             text PRIMARY KEY,
	org_id         text NOT NULL,
	env_id         text NOT NULL,
	seq            bigint GENERATED ALWAYS AS IDENTITY,
	created_at     timestamptz NOT NULL,
	source_id      text NOT NULL,
	destination_id text NOT NULL,
	paused         boolean NOT NULL,
	data           json NOT NULL,
	FOREIGN KEY (source_id, org_id, env_id) REFERENCES {s}.sources (id, org_id, env_id),
	FOREIGN KEY (destination_id, org_id, env_id) REFERENCES {s}.destinations (id, org_id, env_id)
);
CREATE INDEX connections_list ON {s}.connections (org_id, env_id, created_at, seq);
CREATE INDEX connections_org_list ON {s}.connections (org_id, created_at, seq);
CREATE INDEX connections_source ON {s}.connections (source_id);
CREATE INDEX connections_destination ON {s}.connections (destination_id);

CREATE TABLE {s}.subscriptions (
	id             text PRIMARY KEY,
	org_id         text NOT NULL,
	env_id         text NOT NULL,
	seq            bigint GENERATED ALWAYS AS IDENTITY,
	created_at     timestamptz NOT NULL,
	topic_id       text NOT NULL,
	destination_id text NOT NULL,
	data           json NOT NULL,
	UNIQUE (topic_id, destination_id),
	FOREIGN KEY (topic_id, org_id, env_id) REFERENCES {s}.topics (id, org_id, env_id),
	FOREIGN KEY (destination_id, org_id, env_id) REFERENCES {s}.destinations (id, org_id, env_id)
);
CREATE INDEX subscriptions_list ON {s}.subscriptions (org_id, env_id, created_at, seq);
CREATE INDEX subscriptions_org_list ON {s}.subscriptions (org_id, created_at, seq);
CREATE INDEX subscriptions_destination ON {s}.subscriptions (destination_id);

-- Events. Status, pending and dead follow the deliveries (Complete,
-- Requeue); nothing else changes. fillfactor leaves room on each page so
-- that those updates stay HOT (no indexed column changes).
CREATE TABLE {s}.events (
	id                  text PRIMARY KEY,
	org_id              text NOT NULL,
	env_id              text NOT NULL,
	seq                 bigint GENERATED ALWAYS AS IDENTITY,
	source_id           text NOT NULL,
	topic               text NOT NULL,
	method              text NOT NULL,
	headers             json,
	query_params        json,
	content_type        text NOT NULL,
	source_ip           text NOT NULL,
	body                bytea,
	verification_status text NOT NULL,
	verification_error  text NOT NULL,
	dedup_status        text NOT NULL,
	dedup_hash          text NOT NULL,
	dedup_key           text NOT NULL,
	dedup_until         timestamptz NOT NULL,
	status              text NOT NULL,
	received_at         timestamptz NOT NULL,
	source_name         text NOT NULL,
	source_slug         text NOT NULL,
	pending             integer NOT NULL,
	dead                integer NOT NULL
) WITH (fillfactor = 90);
CREATE INDEX events_list ON {s}.events (org_id, env_id, received_at, seq);
CREATE INDEX events_source ON {s}.events (source_id, received_at, seq);
CREATE INDEX events_received ON {s}.events (received_at);

-- Dedup keys, per source, until they expire.
CREATE TABLE {s}.dedup_keys (
	source_id  text NOT NULL,
	key        text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (source_id, key)
);
CREATE INDEX dedup_keys_expiry ON {s}.dedup_keys (expires_at);

-- Deliveries: the queue. A pending, unheld delivery is due when next_at is
-- not after now; a leased one has a lease_token and next_at at its expiry.
CREATE TABLE {s}.deliveries (
	id              text PRIMARY KEY,
	org_id          text NOT NULL,
	env_id          text NOT NULL,
	event_id        text NOT NULL REFERENCES {s}.events (id) ON DELETE CASCADE,
	seq             bigint GENERATED ALWAYS AS IDENTITY,
	connection_id   text NOT NULL,
	subscription_id text NOT NULL,
	destination_id  text NOT NULL,
	state           text NOT NULL CHECK (state IN ('pending', 'succeeded', 'dead')),
	held            boolean NOT NULL,
	next_at         timestamptz NOT NULL,
	lease_token     text,
	attempts        integer NOT NULL,
	trigger         text NOT NULL,
	no_retry        boolean NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
CREATE INDEX deliveries_event ON {s}.deliveries (event_id, seq);
CREATE INDEX deliveries_due ON {s}.deliveries (destination_id, next_at, seq)
	WHERE state = 'pending' AND NOT held;
CREATE INDEX deliveries_leased ON {s}.deliveries (destination_id, next_at)
	WHERE state = 'pending' AND lease_token IS NOT NULL;
CREATE INDEX deliveries_held ON {s}.deliveries (connection_id)
	WHERE state = 'pending' AND held;

CREATE TABLE {s}.attempts (
	id                      text PRIMARY KEY,
	org_id                  text NOT NULL,
	env_id                  text NOT NULL,
	seq                     bigint GENERATED ALWAYS AS IDENTITY,
	event_id                text NOT NULL REFERENCES {s}.events (id) ON DELETE CASCADE,
	delivery_id             text NOT NULL,
	connection_id           text NOT NULL,
	subscription_id         text NOT NULL,
	destination_id          text NOT NULL,
	request_url             text NOT NULL,
	request_method          text NOT NULL,
	request_headers         json,
	request_body_size       integer NOT NULL,
	response_status         integer NOT NULL,
	response_headers        json,
	response_body           bytea NOT NULL,
	response_body_truncated boolean NOT NULL,
	duration_ms             bigint NOT NULL,
	status                  text NOT NULL,
	error                   text NOT NULL,
	created_at              timestamptz NOT NULL,
	attempt_number          integer NOT NULL,
	next_retry_at           timestamptz NOT NULL,
	is_dlq                  boolean NOT NULL,
	dlq_at                  timestamptz NOT NULL,
	trigger                 text NOT NULL,
	connection_name         text NOT NULL,
	destination_name        text NOT NULL
);
CREATE INDEX attempts_list ON {s}.attempts (org_id, env_id, created_at, seq);
CREATE INDEX attempts_event ON {s}.attempts (event_id, created_at, seq);
CREATE INDEX attempts_destination ON {s}.attempts (destination_id, created_at, seq);
CREATE INDEX attempts_dlq ON {s}.attempts (org_id, env_id, created_at, seq) WHERE is_dlq;

-- Activity counters, sharded: each write adds to one of a few rows of its
-- counter (chosen at random), so concurrent ingests of one source do not
-- queue on one row lock. A read sums the shards.
CREATE TABLE {s}.counters (
	id    text NOT NULL,
	shard smallint NOT NULL,
	count bigint NOT NULL,
	last  timestamptz NOT NULL,
	PRIMARY KEY (id, shard)
);

-- Circuit-breaker state; version is compared by SwapCircuit.
CREATE TABLE {s}.circuits (
	destination_id     text PRIMARY KEY,
	state              text NOT NULL,
	failure_count      integer NOT NULL,
	opened_at          timestamptz NOT NULL,
	next_probe_at      timestamptz NOT NULL,
	last_transition_at timestamptz NOT NULL,
	version            bigint NOT NULL,
	epoch              bigint NOT NULL
);
