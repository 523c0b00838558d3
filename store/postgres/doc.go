// Package postgres provides a store.Store in PostgreSQL (13 or later),
// for gateways that run as several processes sharing one queue.
//
//	s, err := postgres.Open(ctx, "postgres://user:pass@db:5432/app", nil)
//	if err != nil { ... }
//	router, err := hookstream.New(s, nil)
//
// The Store implements store.BatchLeaser (leases across destinations in
// one statement, with the events' bodies, capped by max_concurrency across
// processes), store.Notifier (LISTEN/NOTIFY) and store.TxEventInserter (an
// event written in the caller's pgx.Tx). It does not implement
// store.LocalQueue: every lease is a durable row with a token, since
// another process may hold it.
//
// # Schema and migrations
//
// The tables live in one schema (Options.Schema, "hookstream" by
// default), so several gateways, or test runs, can share a database. Open
// applies the embedded migrations (migrations/NNNN_name.sql) that the
// schema's schema_migrations table does not list, in one transaction that
// first takes pg_advisory_xact_lock of the schema: processes that start at
// once run them one after the other, the later ones finding nothing to do.
// Migrations only add, so a process of an older release keeps working on a
// schema a newer one migrated.
//
// Configuration has one table per kind (sources, destinations,
// connections, topics, subscriptions, environments, api_keys): the
// resource as JSON in data (type json, which keeps the bytes as written),
// plus the columns that constraints and lookups need. The constraints are
// PostgreSQL's, not code:
//
//   - primary keys on id (IDs are per kind), and UNIQUE (id, org_id,
//     env_id) as the target of references that must stay in one tenant;
//   - <kind>_slug: unique slugs per environment (per organization for
//     environments), partial (a non-empty slug), so resources without one never
//     collide; api_keys.key_hash and subscriptions (topic_id,
//     destination_id) unique;
//   - foreign keys from connections to sources and destinations, and from
//     subscriptions to topics and destinations, on (id, org_id, env_id): a
//     create or update whose reference is missing or in another tenant
//     fails (store.ErrNotFound), and so does deleting a referenced
//     resource (store.ErrConflict).
//
// Events (events), their deliveries (deliveries), attempts (attempts),
// dedup keys (dedup_keys), activity counters (counters) and circuit state
// (circuits) have a column per field. Deliveries and attempts reference
// their event ON DELETE CASCADE, so pruning an event takes them along.
//
// Replay jobs (replay_jobs, migration 0002) are kept like configuration,
// as JSON in data, with their status and claim (lease_owner, lease_until)
// as columns too: ClaimReplays locks the running jobs whose lease has
// expired FOR UPDATE SKIP LOCKED through the partial index
// replay_jobs_running (created_at, seq) WHERE status = 'running', and
// SaveReplay compares lease_owner under the row's lock. A replay's walk is
// a keyset scan of events_list forwards; with a connection, each event's
// deliveries are probed through deliveries_event.
//
// # Indexes, and what each serves
//
// The queue's indexes are partial, so the finished deliveries that
// accumulate until retention prunes them cost them nothing:
//
//   - deliveries_due (destination_id, next_at, seq) WHERE pending and not
//     held: Lease and LeaseBatch read the oldest due deliveries of a
//     destination in order and stop at the limit; DueDestinations skips
//     from destination to destination (a recursive query, two probes per
//     destination, whatever the backlog).
//   - deliveries_leased (destination_id, next_at) WHERE pending with a
//     lease token: counts a destination's unexpired leases of other
//     owners for LeaseRequest.MaxInFlight, reading the leases in flight
//     only.
//   - deliveries_held (connection_id) WHERE pending and held: ReleaseHeld
//     and HeldConnections.
//   - deliveries_event (event_id, seq): ListDeliveries, and the cascade of
//     a pruned event.
//
// Listings are keyset scans, newest first, of (tenant, time, seq)
// indexes read backwards, so a page costs its own rows whatever its
// depth: events_list (org_id, env_id, received_at, seq), events_source
// (source_id, received_at, seq) for the common "events of this source",
// attempts_list, attempts_event, attempts_destination and attempts_dlq
// (partial, is_dlq: the dead-letter view), and each configuration table's
// <kind>_list and <kind>_org_list. events_received (received_at) serves
// PruneEvents, oldest first, and dedup_keys_expiry its sweep of dedup keys.
// The events table is filled to 90% per page, so that the updates of an
// event's status, pending and dead (no indexed column) stay HOT.
//
// Measured on 1,000,000 events, deliveries and attempts (2 CPUs): leasing
// 110 deliveries across 3 destinations, with the events joined in and one
// destination capped, 6.6 ms; DueDestinations over 20 destinations,
// 1.7 ms; a page of events or of dead letters, under 1 ms; pruning 500
// events with their deliveries and attempts, 28 ms. Counting is what
// costs: see Caveats.
//
// # Writes, round trips and durability
//
// Every method is atomic, and its write is committed when it returns: as
// durable as the server's synchronous_commit makes a commit (on, the
// default: on disk, or on a synchronous standby when one is configured).
// One exception: LeaseBatch commits asynchronously, since a lease lost in
// a crash of the server only makes its delivery due again.
// The writes the contract batches take one round trip each:
//
//   - InsertEvent is one statement: it claims the dedup key, inserts the
//     event and its deliveries (unnest of arrays) and advances the
//     counters, and a taken event or delivery ID (store.ErrConflict) rolls
//     it all back. Concurrent calls are group-committed: four committers
//     each take the inserts waiting (up to 64), send their statements in
//     one pgx batch and commit once, each advancing counters in a shard
//     of its own, so groups of one process never wait for each other's
//     counter rows. A group tallies its counter and rollup increments and
//     writes each of those rows once, in key order, as its last statement
//     (a group's events mostly share them: written per event, each would
//     be locked and rewritten once per event; tallied, an ingested event
//     writes 11–12 WAL records instead of 15–16, and pg_ingest gained
//     10–20%, BENCHMARKS.md). Without dedup keys (no event of the group
//     can be a duplicate, so the tally is known beforehand) the batch
//     holds the tally too and is one implicit transaction, committed by
//     its Sync: one round trip per group; with them, the tally follows
//     the batch's results in an explicit transaction (four round trips).
//     Sending a group's statements one at a time instead (a round trip
//     each) held pg_ingest at 0.27–0.31× pgx_insert, against 0.42–0.49×
//     batched. A group whose transaction fails (a taken ID aborts it)
//     runs its inserts again one by one, so each call gets its own
//     outcome. Measured by bench (pg_ingest, 64 concurrent ingests, 2
//     CPUs shared with the server): 2,600–3,200 events/s one commit per
//     insert, 4,000–5,800 grouped; delivered while ingest runs
//     (pg_e2e_during_ingest) 430–440/s, 1,700–2,350/s grouped.
//     InsertEventTx runs in the caller's transaction, ungrouped.
//   - Complete is one pgx batch, which PostgreSQL runs as one implicit
//     transaction: it locks the outcomes' deliveries, then their events,
//     each in ID order (two processes never deadlock on them), then one
//     statement applies every outcome whose token is current, derives the
//     events' status, inserts the attempts and advances the destinations'
//     counters.
//   - LeaseBatch is one statement (after the advisory locks of the capped
//     destinations, in the same batch), CompleteAndLease both in one batch,
//     so the slots that the outcomes free are leased at once.
//
// Updates of configuration run in a short transaction; resuming a
// connection releases its held deliveries in it.
//
// No row is written by every ingest of a tenant. The per-source and
// per-connection counters are sharded: each write adds to one of
// Options.CounterShards rows of its counter (its committer's shard, or one
// chosen at random for InsertEventTx), and Counters sums them. Measured with 16 concurrent ingests of one source
// (1 KiB events, one delivery each, fsync on, 2 CPUs): one row per counter
// gave 1,485 events/s, 16 shards 4,423 events/s, and no counters at all
// about 4,100 events/s, so sharding removes the counter's cost. Deriving
// counts on read instead would count pruned events out and cost a scan
// per read. Event totals per tenant are derived on read (see Caveats).
//
// Metrics rollups (0003_rollups.sql: event_rollups and delivery_rollups,
// one row per tenant, source or destination, hour and shard, latency
// histograms as arrays) are written by the same statements as the events
// and attempts they count (or, for grouped inserts, by the group's last
// statement). Their shard is the writing connection's backend PID, which
// no other transaction in progress has, so no two writers ever wait for
// the same rollup row; every minute, CompactRollups folds the rows of
// past hours into shard 0 (never waiting for a writer: it skips locked
// rows), so a rollup keeps about one row per hour, and reads sum the
// shards of the hours they ask for.
//
// # Notifications
//
// When a write makes deliveries due (InsertEvent with an unheld
// delivery, Requeue without a lease, ReleaseHeld, resuming a connection,
// Complete with a retry or release), the store sends pg_notify on the
// schema's channel, "hookstream_<schema>": after the write committed, in a
// statement of its own, at most once per Options.NotifyInterval (requests
// in between are sent as one). So an ingest never waits for PostgreSQL's
// notification queue lock, and a notification lost with its process only
// delays the others until they poll. InsertEventTx notifies inside the
// caller's transaction, so the notification goes out on its commit.
//
// Listen starts one listener per Store: a connection of its own, outside
// the pool, that LISTENs and wakes every channel Listen returned. When it
// loses its connection (or a ping after 30 s of silence fails), it wakes
// the channels at once and at each reconnection attempt, every
// Options.ReconnectInterval, so schedulers poll while notifications cannot
// arrive, and once more when it listens again, for what it missed.
// Schedulers poll at their PollInterval anyway: notifications cut the
// latency, they are not needed for correctness.
//
// # Several processes
//
// Any number of processes may open one schema at once:
//
//   - Leases are exclusive: the lease statement locks the deliveries it
//     takes FOR UPDATE SKIP LOCKED, so concurrent leases never take the
//     same one, and gives each a new token (gen_random_uuid). A process
//     that dies holding leases loses them when they expire; its tokens are
//     refused from then on (store.ErrLeaseLost). RenewLeases
//     (store.LeaseRenewer) extends the leases of attempts under way, so a
//     Router leases for hookstream.LeaseTerm (15 s) and renews: a dead
//     process's deliveries are due again within that term. A renewal
//     locks its rows in ID order and skips those another transaction
//     holds, so it never waits and cannot deadlock with Complete.
//   - max_concurrency holds across processes: a LeaseRequest with
//     MaxInFlight takes the destination's transaction-level advisory lock
//     before it counts the requester's InFlight and the unexpired leases
//     of every other owner (tokens are the owner's mark followed by a
//     random UUID), so two processes never count at once. (Requeue with a
//     lease, a manual retry, bypasses the cap.)
//   - Circuit transitions are compare-and-swap on circuits.version
//     (SwapCircuit); PutCircuit (a reset) advances the version and the
//     epoch, so a transition computed before it fails.
//   - A delivery inserted held, because its process saw its connection
//     paused, is stored unheld when the stored connection is not paused;
//     InsertEvent locks that connection row FOR SHARE, so a concurrent
//     resume either sees the held delivery and releases it or is seen
//     resumed.
//
// # Caveats
//
//   - Times are stored with PostgreSQL's resolution, microseconds.
//   - Text columns hold valid UTF-8 without NUL bytes: other bytes of
//     strings (header values, errors) become U+FFFD. Bodies (the event's,
//     an attempt's response) are bytea and kept exactly.
//   - ListEvents and ListAttempts count every match for Total: an index
//     scan of the tenant's entries, about 85 ms per 250,000 events on 2
//     CPUs, and a table scan when a filter has no index (status: 180 ms
//     for 1,000,000 events).
//   - ListQuery.RefersTo becomes equalities on the reference columns
//     (connections' source_id and destination_id, subscriptions' topic_id
//     and destination_id), served by their indexes; GetMany is one
//     statement on the primary key.
//   - Retention deletes at most 500 events per statement, and delivered
//     and pruned rows become dead tuples that autovacuum reclaims: keep
//     autovacuum on for the events, deliveries and attempts tables.
//   - Planner statistics: every Options.AnalyzeInterval (2 s), one process
//     analyzes the growing tables that have doubled in size since their
//     last analysis or vacuum (AnalyzeGrowing), so that no cached plan
//     made for a small table goes on scanning it as it grows.
//   - Pool size: each process holds up to Options.MaxConns connections
//     plus one for Listen; size the server's max_connections for every
//     process.
package postgres
