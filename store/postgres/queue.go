package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// deliveryCols returns the columns of a delivery in table alias t, as
// deliveryScan reads them.
func deliveryCols(t string) string {
	cols := []string{"id", "org_id", "env_id", "event_id", "connection_id", "subscription_id", "destination_id",
		"seq", "state", "held", "next_at", "lease_token", "attempts", "trigger", "no_retry", "created_at", "updated_at"}
	for i, c := range cols {
		cols[i] = t + "." + c
	}
	return strings.Join(cols, ", ")
}

// deliveryScan holds the scan targets of a delivery's columns.
type deliveryScan struct {
	d     store.Delivery
	seq   int64
	token *string
	trig  string
}

func (ds *deliveryScan) targets() []any {
	d := &ds.d
	return []any{&d.ID, &d.OrgID, &d.EnvID, &d.EventID, &d.ConnectionID, &d.SubscriptionID, &d.DestinationID,
		&ds.seq, &d.State, &d.Held, &d.NextAt, &ds.token, &d.Attempts, &ds.trig, &d.NoRetry, &d.CreatedAt, &d.UpdatedAt}
}

// delivery returns the scanned delivery.
func (ds *deliveryScan) delivery() *store.Delivery {
	d := ds.d
	d.Seq, d.Trigger = uint64(ds.seq), store.Trigger(ds.trig)
	if ds.token != nil {
		d.LeaseToken = *ds.token
	}
	d.NextAt, d.CreatedAt, d.UpdatedAt = utc(d.NextAt), utc(d.CreatedAt), utc(d.UpdatedAt)
	return &d
}

// DueDestinations implements store.Queue with a skip scan of the
// deliveries_due index: two index probes per destination with pending
// deliveries, whatever their number.
func (s *Store) DueDestinations(ctx context.Context, now time.Time) ([]string, time.Time, error) {
	const op = "due destinations"
	if err := s.begin(ctx, op); err != nil {
		return nil, time.Time{}, err
	}
	rows, err := s.pool.Query(ctx, s.sql(`
		WITH RECURSIVE dests AS (
			(SELECT destination_id FROM {s}.deliveries WHERE state = 'pending' AND NOT held ORDER BY destination_id LIMIT 1)
			UNION ALL
			SELECT (SELECT d.destination_id FROM {s}.deliveries d
				WHERE d.state = 'pending' AND NOT d.held AND d.destination_id > dests.destination_id
				ORDER BY d.destination_id LIMIT 1)
			FROM dests WHERE dests.destination_id IS NOT NULL
		)
		SELECT x.destination_id,
			-- A correlated LIMIT 1, not EXISTS: before autoanalyze has seen
			-- a new table, the planner turns EXISTS into a hashed subplan
			-- that reads every due delivery (350 ms for a backlog of 40,000);
			-- ORDER BY next_at keeps it on the (destination, next_at) index
			-- when a destination has only future retries.
			COALESCE((SELECT true FROM {s}.deliveries d WHERE d.destination_id = x.destination_id
				AND d.state = 'pending' AND NOT d.held AND d.next_at <= $1 ORDER BY d.next_at LIMIT 1), false),
			(SELECT min(d.next_at) FROM {s}.deliveries d WHERE d.destination_id = x.destination_id
				AND d.state = 'pending' AND NOT d.held AND d.next_at > $1)
		FROM dests x WHERE x.destination_id IS NOT NULL ORDER BY x.destination_id`), now)
	if err != nil {
		return nil, time.Time{}, s.wrap(op, err)
	}
	var (
		dests []string
		next  time.Time
	)
	for rows.Next() {
		var (
			dest  string
			due   bool
			after *time.Time
		)
		if err := rows.Scan(&dest, &due, &after); err != nil {
			rows.Close()
			return nil, time.Time{}, s.wrap(op, err)
		}
		if due {
			dests = append(dests, dest)
		}
		if after != nil && (next.IsZero() || after.Before(next)) {
			next = *after
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, s.wrap(op, err)
	}
	return dests, utc(next), nil
}

// leaseSQL leases, for each request (destination, limit, cap, TTL in
// microseconds, owner, the owner's deliveries in flight), up to limit due
// deliveries oldest first, locking them FOR UPDATE SKIP LOCKED so
// concurrent leases never take the same one; their tokens start with the
// owner. With a cap, the limit shrinks by the owner's in-flight count and
// the destination's unexpired leases of other owners (the
// deliveries_leased index; see store.LeaseRequest); the caller holds the
// destination's advisory lock, so no other process counts at the same
// time. {events} is where the events join in.
//
// The update and the events' join probe their primary keys through an
// array (= ANY (ARRAY(…))), not through the join alone: the planner
// cannot see LIMIT r.room, estimates c at a tenth of the due deliveries,
// and would hash-join a sequential scan of each table at every size (a
// lease took 120-400 ms under a backlog of 6,000-20,000 events, holding
// the destination's advisory lock); such an array it estimates at 10
// elements, whatever the tables' sizes. c is MATERIALIZED, evaluated
// once, so both of its uses see the rows it locked.
const leaseSQL = `
WITH r AS (
	SELECT r.dest, r.ttl, r.ord, r.owner, CASE WHEN r.cap > 0 THEN greatest(0, least(r.lim, r.cap - r.inflight - (
		SELECT count(*) FROM {s}.deliveries f
		WHERE f.destination_id = r.dest AND f.state = 'pending' AND f.lease_token IS NOT NULL AND f.next_at > $1
			AND (r.owner = '' OR NOT starts_with(f.lease_token, r.owner)))))
		ELSE r.lim END AS room
	FROM unnest($2::text[], $3::integer[], $4::integer[], $5::bigint[], $6::text[], $7::integer[])
		WITH ORDINALITY AS r(dest, lim, cap, ttl, owner, inflight, ord)
), c AS MATERIALIZED (
	SELECT d.id, d.next_at AS due_at, r.ttl, r.ord, r.owner FROM r CROSS JOIN LATERAL (
		SELECT d.id, d.next_at FROM {s}.deliveries d
		WHERE d.destination_id = r.dest AND d.state = 'pending' AND NOT d.held AND d.next_at <= $1
		ORDER BY d.next_at, d.seq
		LIMIT r.room
		FOR UPDATE SKIP LOCKED
	) d
), u AS (
	UPDATE {s}.deliveries d SET next_at = $1 + c.ttl * interval '1 microsecond', lease_token = c.owner || gen_random_uuid()::text
	FROM c WHERE d.id = ANY (ARRAY(SELECT id FROM c)) AND d.id = c.id
	RETURNING ` + "{dcols}" + `, c.ord, c.due_at
)
SELECT ` + "{ucols}" + `{ecols} FROM u {events} ORDER BY u.ord, u.due_at, u.seq`

// leaseStatement returns leaseSQL, joining the events when withEvents.
func leaseStatement(withEvents bool) string {
	r := strings.NewReplacer("{dcols}", deliveryCols("d"), "{ucols}", deliveryCols("u"), "{ecols}", "", "{events}", "")
	if withEvents {
		r = strings.NewReplacer("{dcols}", deliveryCols("d"), "{ucols}", deliveryCols("u"), "{ecols}", ", "+eventCols,
			"{events}", "JOIN {s}.events e ON e.id = ANY (ARRAY(SELECT event_id FROM u)) AND e.id = u.event_id")
	}
	return r.Replace(leaseSQL)
}

var (
	leaseOnlySQL   = leaseStatement(false)
	leaseEventsSQL = leaseStatement(true)
)

// Lease implements store.Queue in one statement (leaseSQL).
func (s *Store) Lease(ctx context.Context, destinationID string, now time.Time, limit int, ttl time.Duration) ([]*store.Delivery, error) {
	const op = "lease"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var leased []*store.Delivery
	err := s.queryLease(ctx, s.pool, now, []store.LeaseRequest{{DestinationID: destinationID, Limit: limit, TTL: ttl}}, false,
		func(ds *deliveryScan, _ *eventScan) error {
			leased = append(leased, ds.delivery())
			return nil
		})
	return leased, s.wrap(op, err)
}

// leaseArgs returns the arguments of leaseSQL after now.
func leaseArgs(reqs []store.LeaseRequest) []any {
	n := len(reqs)
	dests, limits, caps, ttls := make([]string, n), make([]int32, n), make([]int32, n), make([]int64, n)
	owners, inFlight := make([]string, n), make([]int32, n)
	for i, r := range reqs {
		dests[i], limits[i], caps[i], ttls[i] = r.DestinationID, int32(max(r.Limit, 0)), int32(max(r.MaxInFlight, 0)), micros(r.TTL)
		owners[i], inFlight[i] = text(r.Owner), int32(max(r.InFlight, 0))
	}
	return []any{dests, limits, caps, ttls, owners, inFlight}
}

// queryLease runs leaseSQL on q and calls fn with each leased delivery
// (and its event, with withEvents).
func (s *Store) queryLease(ctx context.Context, q querier, now time.Time, reqs []store.LeaseRequest, withEvents bool, fn func(*deliveryScan, *eventScan) error) error {
	stmt := leaseOnlySQL
	if withEvents {
		stmt = leaseEventsSQL
	}
	rows, err := q.Query(ctx, s.sql(stmt), append([]any{now}, leaseArgs(reqs)...)...)
	if err != nil {
		return err
	}
	return scanLeased(rows, withEvents, fn)
}

// scanLeased reads the rows of leaseSQL.
func scanLeased(rows pgx.Rows, withEvents bool, fn func(*deliveryScan, *eventScan) error) error {
	defer rows.Close()
	for rows.Next() {
		var (
			ds deliveryScan
			es eventScan
		)
		targets := ds.targets()
		if withEvents {
			targets = append(targets, es.targets()...)
		}
		if err := rows.Scan(targets...); err != nil {
			return err
		}
		if err := fn(&ds, &es); err != nil {
			return err
		}
	}
	return rows.Err()
}

// mergeRequests returns reqs with one request per destination (limits
// added, the smallest cap kept), and the capped destinations sorted.
func mergeRequests(reqs []store.LeaseRequest) (merged []store.LeaseRequest, capped []string) {
	at := map[string]int{}
	for _, r := range reqs {
		i, ok := at[r.DestinationID]
		if !ok {
			at[r.DestinationID] = len(merged)
			merged = append(merged, r)
			continue
		}
		m := &merged[i]
		m.Limit += r.Limit
		if r.MaxInFlight > 0 && (m.MaxInFlight == 0 || r.MaxInFlight < m.MaxInFlight) {
			m.MaxInFlight = r.MaxInFlight
		}
		m.TTL = max(m.TTL, r.TTL)
		m.InFlight = max(m.InFlight, r.InFlight) // one owner's count, given twice
	}
	for _, r := range merged {
		if r.MaxInFlight > 0 {
			capped = append(capped, r.DestinationID)
		}
	}
	slices.Sort(capped)
	return merged, capped
}

// lockDestinationsSQL takes the advisory locks of capped destinations, in
// the order given (sorted), until the end of the transaction.
const lockDestinationsSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1 || x, 0)) FROM unnest($2::text[]) AS x`

// asyncCommitSQL lets the transaction it runs in commit without waiting
// for its WAL to reach the disk.
const asyncCommitSQL = `SELECT set_config('synchronous_commit', 'off', true)`

// LeaseBatch implements store.BatchLeaser: one round trip, one implicit
// transaction (a pgx batch) that takes the advisory locks of the capped
// destinations and runs leaseSQL with the events joined in.
//
// The transaction commits asynchronously (synchronous_commit off, for it
// alone): it returns, and releases the destinations' advisory locks,
// without waiting for a WAL flush, which other leasers of a capped
// destination would wait behind. Its leases are visible to them at once;
// a crash of the server may lose the last of them, which makes their
// deliveries due again (an outcome under a lost lease is refused,
// store.ErrLeaseLost, and the delivery attempted again: at least once
// holds). A later synchronous commit, such as the outcome's, flushes the
// lease with it.
func (s *Store) LeaseBatch(ctx context.Context, now time.Time, reqs []store.LeaseRequest) ([]store.Leased, error) {
	const op = "lease batch"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(asyncCommitSQL)
	leased := s.queueLeaseBatch(b, now, reqs)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, s.wrap(op, err)
	}
	return *leased, nil
}

// queueLeaseBatch queues the statements of a LeaseBatch in b; the
// returned slice is filled when b runs.
func (s *Store) queueLeaseBatch(b *pgx.Batch, now time.Time, reqs []store.LeaseRequest) *[]store.Leased {
	leased := new([]store.Leased)
	merged, capped := mergeRequests(reqs)
	if len(merged) == 0 {
		return leased
	}
	if len(capped) > 0 {
		b.Queue(s.sql(lockDestinationsSQL), s.lockBase+"dest/", capped)
	}
	b.Queue(s.sql(leaseEventsSQL), append([]any{now}, leaseArgs(merged)...)...).Query(func(rows pgx.Rows) error {
		return scanLeased(rows, true, func(ds *deliveryScan, es *eventScan) error {
			e, err := es.event()
			if err != nil {
				return err
			}
			*leased = append(*leased, store.Leased{Delivery: ds.delivery(), Event: e})
			return nil
		})
	})
	return leased
}

// renewLeasesSQL moves to $3 the expiry of the current leases among
// deliveries $1 with tokens $2 (one element each), probing the primary
// key, and never shortens one. It locks them in ID order, as Complete
// does, and skips those another transaction holds (an outcome being
// recorded, mostly) rather than wait: a renewal never waits, so it cannot
// deadlock with a Complete (an UPDATE in join order did), and the next
// renewal takes a lease this one skipped.
const renewLeasesSQL = `WITH x AS MATERIALIZED (
	SELECT d.id FROM {s}.deliveries d JOIN unnest($1::text[], $2::text[]) AS r(id, token) ON d.id = r.id AND d.lease_token = r.token
	WHERE d.id = ANY ($1::text[]) AND d.state = 'pending' AND d.next_at < $3
	ORDER BY d.id FOR UPDATE OF d SKIP LOCKED
)
UPDATE {s}.deliveries d SET next_at = $3 FROM x WHERE d.id = ANY (ARRAY(SELECT id FROM x)) AND d.id = x.id`

// RenewLeases implements store.LeaseRenewer in one statement.
func (s *Store) RenewLeases(ctx context.Context, ds []*store.Delivery, until time.Time) error {
	const op = "renew leases"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	ids, tokens := make([]string, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		ids[i], tokens[i] = d.ID, d.LeaseToken
	}
	_, err := s.pool.Exec(ctx, s.sql(renewLeasesSQL), ids, tokens, until)
	return s.wrap(op, err)
}

// CompleteAndLease implements store.BatchLeaser: the outcomes and the
// leases are one implicit transaction in one round trip, and the leases
// see the slots the outcomes freed.
func (s *Store) CompleteAndLease(ctx context.Context, outcomes []store.Outcome, now time.Time, reqs []store.LeaseRequest) ([]error, []store.Leased, error) {
	const op = "complete and lease"
	if err := s.begin(ctx, op); err != nil {
		return nil, nil, err
	}
	b := &pgx.Batch{}
	c := s.queueComplete(b, outcomes)
	leased := s.queueLeaseBatch(b, now, reqs)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, s.wrap(op, err)
	}
	if c.notify {
		s.notify()
	}
	return c.errs(s, op), *leased, nil
}

// GetDelivery implements store.Queue.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	const op = "get delivery"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var ds deliveryScan
	err := s.pool.QueryRow(ctx, s.sql("SELECT "+deliveryCols("d")+" FROM {s}.deliveries d WHERE d.id = $1"), id).Scan(ds.targets()...)
	if err != nil {
		return nil, s.wrap(op, notFound(err))
	}
	return ds.delivery(), nil
}

// ListDeliveries implements store.Queue: the event's tenant check and its
// deliveries (index deliveries_event) in one round trip. It returns
// store.ErrNotFound when the event is not in tenant t.
func (s *Store) ListDeliveries(ctx context.Context, t store.Tenant, eventID string) ([]*store.Delivery, error) {
	const op = "list deliveries"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var (
		exists bool
		ds     []*store.Delivery
	)
	b := &pgx.Batch{}
	b.Queue(s.sql("SELECT EXISTS (SELECT FROM {s}.events WHERE id = $1 AND org_id = $2 AND env_id = $3)"), eventID, t.OrgID, t.EnvID).
		QueryRow(func(row pgx.Row) error { return row.Scan(&exists) })
	b.Queue(s.sql("SELECT "+deliveryCols("d")+" FROM {s}.deliveries d WHERE d.event_id = $1 AND d.org_id = $2 AND d.env_id = $3 ORDER BY d.seq"),
		eventID, t.OrgID, t.EnvID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var sc deliveryScan
			if err := rows.Scan(sc.targets()...); err != nil {
				return err
			}
			ds = append(ds, sc.delivery())
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, s.wrap(op, err)
	}
	if !exists {
		return nil, s.wrap(op, store.ErrNotFound)
	}
	return ds, nil
}

// requeueSQL makes a delivery pending again (leased to the caller when
// $5 > 0) and its event processing, in one statement that locks the
// delivery, then the event (the order Complete locks them in).
var requeueSQL = `
WITH old AS (
	SELECT id, state FROM {s}.deliveries WHERE id = $1 AND org_id = $2 AND env_id = $3 FOR UPDATE
), u AS (
	UPDATE {s}.deliveries d SET state = 'pending', held = false,
		next_at = $4::timestamptz + $5::bigint * interval '1 microsecond',
		lease_token = CASE WHEN $5::bigint > 0 THEN gen_random_uuid()::text END,
		trigger = $6, updated_at = $4
	FROM old WHERE d.id = old.id
	RETURNING ` + deliveryCols("d") + `, old.state AS old_state
), ev AS (
	UPDATE {s}.events e SET
		pending = e.pending + CASE WHEN u.old_state <> 'pending' THEN 1 ELSE 0 END,
		dead = e.dead - CASE WHEN u.old_state = 'dead' THEN 1 ELSE 0 END,
		status = 'processing'
	FROM u WHERE e.id = u.event_id
)
SELECT ` + deliveryCols("u") + ` FROM u`

// Requeue implements store.Queue in one statement; without a lease, it
// notifies listeners.
func (s *Store) Requeue(ctx context.Context, t store.Tenant, deliveryID string, trigger store.Trigger, now time.Time, lease time.Duration) (*store.Delivery, error) {
	const op = "requeue"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var ds deliveryScan
	err := s.pool.QueryRow(ctx, s.sql(requeueSQL), deliveryID, t.OrgID, t.EnvID, now, micros(max(lease, 0)), text(string(trigger))).
		Scan(ds.targets()...)
	if err != nil {
		return nil, s.wrap(op, notFound(err))
	}
	if lease <= 0 {
		s.notify()
	}
	return ds.delivery(), nil
}

// releaseHeldSQL makes the held deliveries of connection $1 due at $2
// (index deliveries_held).
const releaseHeldSQL = `UPDATE {s}.deliveries SET held = false, next_at = $2, updated_at = $2
	WHERE connection_id = $1 AND state = 'pending' AND held`

// ReleaseHeld implements store.Queue; it notifies listeners when it
// released any.
func (s *Store) ReleaseHeld(ctx context.Context, connectionID string, now time.Time) (int, error) {
	const op = "release held"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, s.sql(releaseHeldSQL), connectionID, now)
	if err != nil {
		return 0, s.wrap(op, err)
	}
	if tag.RowsAffected() > 0 {
		s.notify()
	}
	return int(tag.RowsAffected()), nil
}

// HeldConnections implements store.Queue from the deliveries_held index.
func (s *Store) HeldConnections(ctx context.Context) ([]store.HeldConnection, error) {
	const op = "held connections"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.sql(`SELECT DISTINCT ON (connection_id) connection_id, org_id, env_id
		FROM {s}.deliveries WHERE state = 'pending' AND held ORDER BY connection_id`))
	if err != nil {
		return nil, s.wrap(op, err)
	}
	held, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.HeldConnection, error) {
		var h store.HeldConnection
		err := row.Scan(&h.ConnectionID, &h.Tenant.OrgID, &h.Tenant.EnvID)
		return h, err
	})
	return held, s.wrap(op, err)
}
