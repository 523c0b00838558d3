package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// eventCols are the columns of an event, as scanEvent reads them.
const eventCols = `e.id, e.org_id, e.env_id, e.source_id, e.topic, e.method, e.headers, e.query_params,
	e.content_type, e.source_ip, e.body, e.verification_status, e.verification_error, e.dedup_status,
	e.dedup_hash, e.dedup_key, e.dedup_until, e.status, e.received_at, e.source_name, e.source_slug,
	e.pending, e.dead, e.traceparent`

// eventScan holds the scan targets of an event's columns.
type eventScan struct {
	e              store.Event
	headers, query []byte
}

func (es *eventScan) targets() []any {
	e := &es.e
	return []any{&e.ID, &e.OrgID, &e.EnvID, &e.SourceID, &e.Topic, &e.Method, &es.headers, &es.query,
		&e.ContentType, &e.SourceIP, &e.Body, &e.VerificationStatus, &e.VerificationError, &e.DedupStatus,
		&e.DedupHash, &e.DedupKey, &e.DedupUntil, &e.Status, &e.ReceivedAt, &e.SourceName, &e.SourceSlug,
		&e.Pending, &e.Dead, &e.Traceparent}
}

// event returns the scanned event.
func (es *eventScan) event() (*store.Event, error) {
	e := es.e
	if err := unmarshalMap(es.headers, &e.Headers); err != nil {
		return nil, err
	}
	if err := unmarshalMap(es.query, &e.QueryParams); err != nil {
		return nil, err
	}
	e.DedupUntil, e.ReceivedAt = utc(e.DedupUntil), utc(e.ReceivedAt)
	return &e, nil
}

// marshalMap encodes m as JSON, or nil (SQL NULL) for a nil map.
func marshalMap(m map[string]string) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return json.Marshal(m)
}

func unmarshalMap(b []byte, m *map[string]string) error {
	if b == nil {
		return nil
	}
	return json.Unmarshal(b, m)
}

// insertEventSQL stores an event, its deliveries, its dedup key and its
// counters in one statement, so in one round trip and atomically: the
// dedup key is claimed (or found unexpired: a duplicate, stored without
// deliveries), the event and deliveries inserted, the source's and
// connections' counters advanced in one shard, the event counted in its
// hourly rollup (in the row of this connection's backend, see
// 0003_rollups.sql; with $43 false, and no counters given, the caller
// tallies both for a group instead, see tally.go). Held deliveries of
// connections the store has as not paused are not held: those connection
// rows are locked FOR SHARE, so a resume (Update, which locks the row and
// then releases held deliveries) runs wholly before or after.
const insertEventSQL = `
WITH dd AS (
	INSERT INTO {s}.dedup_keys AS k (source_id, key, expires_at)
	SELECT $4, $16, $17 WHERE $16 <> ''
	ON CONFLICT (source_id, key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE k.expires_at <= $18
	RETURNING 1
), flag AS MATERIALIZED (
	SELECT $16 <> '' AND NOT EXISTS (SELECT FROM dd) AS dup
), ev AS (
	INSERT INTO {s}.events (id, org_id, env_id, source_id, topic, method, headers, query_params,
		content_type, source_ip, body, verification_status, verification_error, dedup_status,
		dedup_hash, dedup_key, dedup_until, status, received_at, source_name, source_slug, pending, dead, traceparent)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
		CASE WHEN f.dup THEN 'duplicate' WHEN $16 <> '' THEN 'unique' ELSE $14 END,
		$15, $16, $17,
		CASE WHEN f.dup OR $21 = 0 THEN 'received' ELSE 'processing' END,
		$18, $19, $20, CASE WHEN f.dup THEN 0 ELSE $21 END, 0, $41
	FROM flag f
), conns AS MATERIALIZED (
	SELECT c.id, c.org_id, c.env_id, c.paused FROM {s}.connections c WHERE c.id = ANY($35::text[]) FOR SHARE
), dl AS (
	INSERT INTO {s}.deliveries (id, org_id, env_id, event_id, connection_id, subscription_id,
		destination_id, state, held, next_at, attempts, trigger, no_retry, created_at, updated_at)
	SELECT x.id, x.org_id, x.env_id, x.event_id, x.connection_id, x.subscription_id, x.destination_id, 'pending',
		x.held AND NOT EXISTS (SELECT FROM conns c
			WHERE c.id = x.connection_id AND c.org_id = x.org_id AND c.env_id = x.env_id AND NOT c.paused),
		x.next_at, x.attempts, x.trigger, x.no_retry, x.created_at, x.updated_at
	FROM unnest($22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[],
		$29::boolean[], $30::timestamptz[], $31::integer[], $32::text[], $33::boolean[], $34::timestamptz[], $36::timestamptz[])
		WITH ORDINALITY AS x(id, org_id, env_id, event_id, connection_id, subscription_id, destination_id,
			held, next_at, attempts, trigger, no_retry, created_at, updated_at, ord)
	WHERE NOT (SELECT dup FROM flag)
	ORDER BY x.ord
	RETURNING id, seq, held
), cn AS (
	INSERT INTO {s}.counters AS c (id, shard, count, last)
	SELECT x.id, $39::smallint, x.always + CASE WHEN (SELECT dup FROM flag) THEN 0 ELSE x.stored END, $18
	FROM unnest($37::text[], $38::integer[], $40::integer[]) AS x(id, always, stored)
	WHERE x.always + CASE WHEN (SELECT dup FROM flag) THEN 0 ELSE x.stored END > 0
	ORDER BY x.id
	ON CONFLICT (id, shard) DO UPDATE SET count = c.count + excluded.count, last = greatest(c.last, excluded.last)
), er AS (
	INSERT INTO {s}.event_rollups AS r (org_id, env_id, hour, source_id, shard, count)
	SELECT $2, $3, $42, $4, pg_backend_pid(), 1 WHERE $43::boolean
	ON CONFLICT (org_id, env_id, hour, source_id, shard) DO UPDATE SET count = r.count + 1
)
SELECT f.dup, dl.id, dl.seq, dl.held FROM flag f LEFT JOIN dl ON true`

// querier runs statements: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

var _ querier = (*pgxpool.Pool)(nil)

// InsertEvent implements store.EventStore in one statement (see
// insertEventSQL), committed together with the inserts of other calls
// made at the same time (see insertgroup.go); it notifies listeners when
// it stored due deliveries.
func (s *Store) InsertEvent(ctx context.Context, e *store.Event, ds []*store.Delivery) error {
	if err := s.begin(ctx, "insert event"); err != nil {
		return err
	}
	due, err := s.insertGrouped(ctx, e, ds)
	if err != nil {
		return s.wrap("insert event", err)
	}
	if due {
		s.notify()
	}
	return nil
}

// InsertEventTx implements store.TxEventInserter: tx is a pgx.Tx of this
// store's database (begun on Pool() or on a connection of the caller's),
// and the event is stored if and only if the caller commits it. The
// notification to other processes is sent in tx too, so it goes out on
// commit.
func (s *Store) InsertEventTx(ctx context.Context, ptx pgx.Tx, e *store.Event, ds []*store.Delivery) error {
	const op = "insert event"
	if ptx == nil {
		return fmt.Errorf("postgres: %s: no transaction", op)
	}
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	due, err := s.insertEvent(ctx, ptx, e, ds, s.shard())
	if err == nil && due {
		_, err = ptx.Exec(ctx, "SELECT pg_notify($1, '')", s.channel)
	}
	return s.wrap(op, err)
}

// insertEvent runs insertEventSQL on q, advancing counters in shard and
// the event's rollup, and reports whether it stored a due (not held)
// delivery.
func (s *Store) insertEvent(ctx context.Context, q querier, e *store.Event, ds []*store.Delivery, shard int16) (due bool, err error) {
	in, err := newEventInsert(e, ds, shard, false)
	if err != nil {
		return false, err
	}
	rows, err := q.Query(ctx, s.sql(insertEventSQL), in.args...)
	if err != nil {
		return false, insertErr(err)
	}
	if err := in.read(rows); err != nil {
		return false, insertErr(err)
	}
	in.finish()
	return in.due, nil
}

// An eventInsert is one run of insertEventSQL: its arguments, then what
// its rows tell (read), then the event and deliveries updated to match
// (finish). A group of them can be sent in one pgx batch, its counters
// and rollups summed in a tally (count).
type eventInsert struct {
	e    *store.Event
	ds   []*store.Delivery
	args []any
	// Counters the event advances: each always by always[i], and by
	// stored[i] more unless the event is a duplicate.
	counterIDs     []string
	always, stored []int32
	dup, due       bool
}

// newEventInsert prepares the insert of e and ds, advancing counters in
// shard; with tallied, the statement leaves counters and rollup to the
// caller's tally (see count).
func newEventInsert(e *store.Event, ds []*store.Delivery, shard int16, tallied bool) (*eventInsert, error) {
	headers, err := marshalMap(e.Headers)
	if err != nil {
		return nil, err
	}
	query, err := marshalMap(e.QueryParams)
	if err != nil {
		return nil, err
	}
	in := &eventInsert{e: e, ds: ds}
	n := len(ds)
	var (
		ids, orgs, envs, events, conns, subs, dests, triggers = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		held, noRetry        = make([]bool, n), make([]bool, n)
		nextAt, created, upd = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		attempts             = make([]int32, n)
		heldConns            = []string{}
		counterAt            = map[string]int{}
		addCounter           = func(id string, a, s int32) {
			if id == "" {
				return
			}
			i, ok := counterAt[id]
			if !ok {
				i = len(in.counterIDs)
				counterAt[id] = i
				in.counterIDs, in.always, in.stored = append(in.counterIDs, id), append(in.always, 0), append(in.stored, 0)
			}
			in.always[i] += a
			in.stored[i] += s
		}
	)
	addCounter(text(e.SourceID), 1, 0)
	for i, d := range ds {
		ids[i], orgs[i], envs[i], events[i] = text(d.ID), text(d.OrgID), text(d.EnvID), text(d.EventID)
		conns[i], subs[i], dests[i], triggers[i] = text(d.ConnectionID), text(d.SubscriptionID), text(d.DestinationID), text(string(d.Trigger))
		held[i], noRetry[i], attempts[i] = d.Held, d.NoRetry, int32(d.Attempts)
		nextAt[i], created[i], upd[i] = d.NextAt, d.CreatedAt, d.UpdatedAt
		if d.Held && !slices.Contains(heldConns, conns[i]) {
			heldConns = append(heldConns, conns[i])
		}
		addCounter(conns[i], 0, 1)
	}
	// Counter rows are written in ID order (the statement sorts them), so
	// two inserts never wait for each other's rows in opposite orders.
	countIDs, countAlways, countStored := in.counterIDs, in.always, in.stored
	if tallied {
		countIDs, countAlways, countStored = []string{}, []int32{}, []int32{}
	}
	in.args = []any{
		text(e.ID), text(e.OrgID), text(e.EnvID), text(e.SourceID), text(e.Topic), text(e.Method), headers, query,
		text(e.ContentType), text(e.SourceIP), e.Body, text(e.VerificationStatus), text(e.VerificationError), text(e.DedupStatus),
		text(e.DedupHash), text(e.DedupKey), e.DedupUntil, e.ReceivedAt, text(e.SourceName), text(e.SourceSlug), n,
		ids, orgs, envs, events, conns, subs, dests, held, nextAt, attempts, triggers, noRetry, created,
		heldConns, upd, countIDs, countAlways, shard, countStored, text(e.Traceparent), rollupHour(e.ReceivedAt), !tallied,
	}
	return in, nil
}

// read reads the statement's rows: whether the event is a duplicate, and
// each stored delivery's sequence number and held flag.
func (in *eventInsert) read(rows pgx.Rows) error {
	defer rows.Close()
	byID := make(map[string]*store.Delivery, len(in.ds))
	for _, d := range in.ds {
		byID[text(d.ID)] = d
	}
	for rows.Next() {
		var (
			id   *string
			seq  *int64
			held *bool
		)
		if err := rows.Scan(&in.dup, &id, &seq, &held); err != nil {
			return err
		}
		if id == nil {
			continue
		}
		d := byID[*id]
		if d == nil {
			return fmt.Errorf("stored delivery %q that was not given", *id)
		}
		d.Seq, d.Held = uint64(*seq), *held
		if !d.Held {
			in.due = true
		}
	}
	return rows.Err()
}

// count adds the event's counters and rollup to t.
func (in *eventInsert) count(t *tally) {
	e := in.e
	for i, id := range in.counterIDs {
		n := in.always[i]
		if !in.dup {
			n += in.stored[i]
		}
		t.count(id, int64(n), e.ReceivedAt)
	}
	t.roll(text(e.OrgID), text(e.EnvID), text(e.SourceID), rollupHour(e.ReceivedAt))
}

// finish sets the fields the store decided of the event and deliveries.
func (in *eventInsert) finish() {
	e := in.e
	for _, d := range in.ds {
		d.State, d.LeaseToken = store.DeliveryPending, ""
	}
	switch {
	case in.dup:
		e.DedupStatus = store.DedupDuplicate
	case e.DedupKey != "":
		e.DedupStatus = store.DedupUnique
	}
	e.Pending, e.Dead, e.Status = len(in.ds), 0, store.EventProcessing
	if in.dup || len(in.ds) == 0 {
		e.Pending, e.Status = 0, store.EventReceived
	}
}

// insertErr maps a taken event or delivery ID to store.ErrConflict.
func insertErr(err error) error {
	if pgCode(err) == codeUniqueViolation {
		return store.ErrConflict
	}
	return err
}

// GetEvent implements store.EventStore.
func (s *Store) GetEvent(ctx context.Context, t store.Tenant, id string) (*store.Event, error) {
	if err := s.begin(ctx, "get event"); err != nil {
		return nil, err
	}
	var es eventScan
	err := s.pool.QueryRow(ctx, s.sql("SELECT "+eventCols+" FROM {s}.events e WHERE e.id = $1 AND e.org_id = $2 AND e.env_id = $3"),
		id, t.OrgID, t.EnvID).Scan(es.targets()...)
	if err != nil {
		return nil, s.wrap("get event", notFound(err))
	}
	e, err := es.event()
	return e, s.wrap("get event", err)
}

// ListEvents implements store.EventStore: a keyset scan of events_list (or
// events_source, with SourceID) backwards, and a count of the same
// conditions for Total, sent together in one round trip. The count reads
// every matching index entry: see the package doc.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	const op = "list events"
	if err := s.begin(ctx, op); err != nil {
		return store.EventPage{}, err
	}
	limit := q.Limit
	if limit < 1 {
		limit = 50
	}
	after, err := decodeEventCursor(q.Cursor)
	if err != nil {
		return store.EventPage{}, s.wrap(op, err)
	}
	conds, args := []string{"e.org_id = $1", "e.env_id = $2"}, []any{q.Tenant.OrgID, q.Tenant.EnvID}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	for _, f := range []struct{ col, v string }{
		{"source_id", q.SourceID}, {"status", q.Status}, {"dedup_status", q.DedupStatus},
		{"verification_status", q.VerificationStatus}, {"method", q.Method}, {"topic", q.Topic},
	} {
		if f.v != "" {
			add("e."+f.col+" = ?", f.v)
		}
	}
	if q.Search != "" {
		add("position(?::bytea in e.body) > 0", []byte(q.Search))
	}
	if !q.After.IsZero() {
		add("e.received_at > ?", q.After)
	}
	if !q.Before.IsZero() {
		add("e.received_at < ?", q.Before)
	}
	countSQL, countArgs := "SELECT count(*) FROM {s}.events e WHERE "+strings.Join(conds, " AND "), slices.Clone(args)
	if after != nil {
		args = append(args, after.at, after.seq)
		conds = append(conds, fmt.Sprintf("(e.received_at, e.seq) < ($%d, $%d)", len(args)-1, len(args)))
	}
	listSQL := "SELECT " + eventCols + ", e.seq FROM {s}.events e WHERE " + strings.Join(conds, " AND ") +
		" ORDER BY e.received_at DESC, e.seq DESC LIMIT " + strconv.Itoa(limit+1)

	var page store.EventPage
	b := &pgx.Batch{}
	b.Queue(s.sql(countSQL), countArgs...).QueryRow(func(row pgx.Row) error { return row.Scan(&page.Total) })
	var last listPos
	b.Queue(s.sql(listSQL), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				es  eventScan
				seq int64
			)
			if err := rows.Scan(append(es.targets(), &seq)...); err != nil {
				return err
			}
			if len(page.Events) == limit {
				page.NextCursor = last.eventCursor()
				return nil
			}
			e, err := es.event()
			if err != nil {
				return err
			}
			page.Events = append(page.Events, e)
			last = listPos{at: e.ReceivedAt, seq: seq}
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return store.EventPage{}, s.wrap(op, err)
	}
	return page, nil
}

// eventCursor encodes the position after which the next page of events
// starts.
func (p *listPos) eventCursor() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "e1:%d:%d", p.at.UnixMicro(), p.seq))
}

func decodeEventCursor(c string) (*listPos, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, store.ErrInvalidCursor
	}
	rest, ok := strings.CutPrefix(string(b), "e1:")
	at, seq, ok2 := strings.Cut(rest, ":")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil {
		return nil, store.ErrInvalidCursor
	}
	return &listPos{at: time.UnixMicro(us).UTC(), seq: n}, nil
}

// Counters implements store.EventStore: the sum of each counter's shards.
func (s *Store) Counters(ctx context.Context, ids []string) ([]store.Counter, error) {
	const op = "counters"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	cs := make([]store.Counter, len(ids))
	rows, err := s.pool.Query(ctx, s.sql("SELECT id, sum(count)::bigint, max(last) FROM {s}.counters WHERE id = ANY($1) GROUP BY id"), ids)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	found := map[string]store.Counter{}
	for rows.Next() {
		var (
			id string
			c  store.Counter
		)
		if err := rows.Scan(&id, &c.Count, &c.Last); err != nil {
			rows.Close()
			return nil, s.wrap(op, err)
		}
		c.Last = utc(c.Last)
		found[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	for i, id := range ids {
		cs[i] = found[id]
	}
	return cs, nil
}

// pruneBatch is how many events one statement of PruneEvents deletes at
// most, so that pruning never holds many locks for long.
const pruneBatch = 500

// PruneEvents implements store.EventStore, in statements of pruneBatch
// events (with their deliveries and attempts, by ON DELETE CASCADE): each
// is atomic, the whole is not, which is harmless since pruning only
// removes records that nothing waits for. Events locked meanwhile (being
// completed) are skipped, not waited for.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "prune events"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	pruned := 0
	for {
		tag, err := s.pool.Exec(ctx, s.sql(`
			DELETE FROM {s}.events e USING (
				SELECT id FROM {s}.events WHERE received_at < $1 AND pending = 0
				ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
			) old WHERE e.id = old.id AND e.pending = 0`), cutoff, pruneBatch)
		if err != nil {
			return pruned, s.wrap(op, err)
		}
		pruned += int(tag.RowsAffected())
		if tag.RowsAffected() < pruneBatch {
			break
		}
	}
	for {
		tag, err := s.pool.Exec(ctx, s.sql(`
			DELETE FROM {s}.dedup_keys k USING (
				SELECT source_id, key FROM {s}.dedup_keys WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
			) old WHERE k.source_id = old.source_id AND k.key = old.key`), cutoff, 10*pruneBatch)
		if err != nil {
			return pruned, s.wrap("prune dedup keys", err)
		}
		if tag.RowsAffected() < 10*pruneBatch {
			break
		}
	}
	return pruned, nil
}
