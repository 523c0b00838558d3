package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// Statements of Complete, run in this order in one implicit transaction.
// The first two lock the outcomes' pending deliveries and then their
// events, each in ID order: two processes completing deliveries of the
// same events never lock them in opposite orders (no deadlock), and the
// third statement, whose snapshot is taken after the locks, sees the rows
// as they are.
const (
	lockDeliveriesSQL = `SELECT FROM {s}.deliveries WHERE id = ANY($1) AND state = 'pending' ORDER BY id FOR UPDATE`
	lockEventsSQL     = `SELECT FROM {s}.events WHERE id IN (
		SELECT event_id FROM {s}.deliveries WHERE id = ANY($1) AND state = 'pending') ORDER BY id FOR UPDATE`
	// completeSQL applies the outcomes ($1-$6, one element each) whose
	// token is current and whose attempt ($7-$34, $36-$37) is new: it
	// finishes or reschedules the deliveries, derives their events' status,
	// stores the attempts, advances the destinations' counters (shard $35)
	// and counts the attempts in their hourly rollups (hour $36, latency
	// bin $37; in this connection's backend's rows, see 0003_rollups.sql). It
	// returns each outcome's code: 0 applied, 1 no such delivery, 2 lease
	// lost, 3 attempt ID taken.
	completeSQL = `
WITH o AS MATERIALIZED (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::boolean[])
		WITH ORDINALITY AS o(delivery_id, token, result, retry_at, now, has_attempt, ord)
), a AS MATERIALIZED (
	SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
		$14::text[], $15::text[], $16::text[], $17::text[], $18::integer[], $19::integer[], $20::text[], $21::bytea[],
		$22::boolean[], $23::bigint[], $24::text[], $25::text[], $26::timestamptz[], $27::integer[], $28::timestamptz[],
		$29::boolean[], $30::timestamptz[], $31::text[], $32::text[], $33::text[], $34::timestamptz[],
		$36::timestamptz[], $37::smallint[])
		WITH ORDINALITY AS a(id, org_id, env_id, event_id, delivery_id, connection_id, subscription_id, destination_id,
			request_url, request_method, request_headers, request_body_size, response_status, response_headers,
			response_body, response_body_truncated, duration_ms, status, error, created_at, attempt_number,
			next_retry_at, is_dlq, dlq_at, trigger, connection_name, destination_name, counted_at, hour, bin, ord)
), ok AS (
	SELECT o.* FROM o JOIN {s}.deliveries d ON d.id = o.delivery_id
	WHERE d.state = 'pending' AND d.lease_token = o.token
		AND NOT (o.has_attempt AND EXISTS (SELECT FROM {s}.attempts x JOIN a ON a.ord = o.ord WHERE x.id = a.id))
), u AS (
	UPDATE {s}.deliveries d SET
		state = CASE ok.result WHEN 'success' THEN 'succeeded' WHEN 'dead' THEN 'dead' ELSE 'pending' END,
		next_at = CASE WHEN ok.result IN ('retry', 'release') THEN ok.retry_at ELSE d.next_at END,
		trigger = CASE WHEN ok.result = 'retry' THEN 'retry' ELSE d.trigger END,
		attempts = d.attempts + CASE WHEN ok.result = 'retry' OR ok.has_attempt THEN 1 ELSE 0 END,
		lease_token = NULL,
		updated_at = ok.now
	FROM ok
	WHERE d.id = ok.delivery_id AND d.state = 'pending' AND d.lease_token = ok.token
	RETURNING d.id, d.org_id, d.env_id, d.event_id, d.connection_id, d.subscription_id, d.destination_id,
		ok.ord, ok.result, ok.has_attempt
), ev AS (
	UPDATE {s}.events e SET
		pending = e.pending - x.done,
		dead = e.dead + x.dead,
		status = CASE WHEN e.pending - x.done > 0 THEN 'processing' WHEN e.dead + x.dead > 0 THEN 'failed' ELSE 'delivered' END
	FROM (SELECT event_id,
			(count(*) FILTER (WHERE result IN ('success', 'dead')))::integer AS done,
			(count(*) FILTER (WHERE result = 'dead'))::integer AS dead
		FROM u GROUP BY event_id) x
	WHERE e.id = x.event_id
), att AS (
	INSERT INTO {s}.attempts (id, org_id, env_id, event_id, delivery_id, connection_id, subscription_id,
		destination_id, request_url, request_method, request_headers, request_body_size, response_status,
		response_headers, response_body, response_body_truncated, duration_ms, status, error, created_at,
		attempt_number, next_retry_at, is_dlq, dlq_at, trigger, connection_name, destination_name)
	SELECT a.id, coalesce(nullif(a.org_id, ''), u.org_id), coalesce(nullif(a.env_id, ''), u.env_id),
		coalesce(nullif(a.event_id, ''), u.event_id), coalesce(nullif(a.delivery_id, ''), u.id),
		coalesce(nullif(a.connection_id, ''), u.connection_id), coalesce(nullif(a.subscription_id, ''), u.subscription_id),
		coalesce(nullif(a.destination_id, ''), u.destination_id), a.request_url, a.request_method,
		a.request_headers::json, a.request_body_size, a.response_status, a.response_headers::json, a.response_body,
		a.response_body_truncated, a.duration_ms, a.status, a.error, a.created_at, a.attempt_number, a.next_retry_at,
		a.is_dlq, a.dlq_at, a.trigger, a.connection_name, a.destination_name
	FROM u JOIN a ON a.ord = u.ord WHERE u.has_attempt
	ORDER BY u.ord
	RETURNING id, org_id, env_id, destination_id, status, is_dlq
), rolled AS MATERIALIZED (
	SELECT att.org_id, att.env_id, a.hour, att.destination_id, att.status, att.is_dlq,
		array_fill(0::bigint, ARRAY[a.bin]) || 1::bigint AS latency
	FROM att JOIN a ON a.id = att.id
), dr AS (
	INSERT INTO {s}.delivery_rollups AS r (org_id, env_id, hour, destination_id, shard,
		attempts, successes, failures, dead_letters, latency)
	SELECT org_id, env_id, hour, destination_id, pg_backend_pid(), count(*),
		count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE is_dlq),
		{s}.histogram_sum(latency)
	FROM rolled GROUP BY org_id, env_id, hour, destination_id
	ON CONFLICT (org_id, env_id, hour, destination_id, shard) DO UPDATE SET
		attempts = r.attempts + excluded.attempts, successes = r.successes + excluded.successes,
		failures = r.failures + excluded.failures, dead_letters = r.dead_letters + excluded.dead_letters,
		latency = {s}.histogram_add(r.latency, excluded.latency)
), cn AS (
	INSERT INTO {s}.counters AS c (id, shard, count, last)
	SELECT u.destination_id, $35::smallint, count(*), max(a.counted_at)
	FROM u JOIN a ON a.ord = u.ord WHERE u.has_attempt AND u.destination_id <> ''
	GROUP BY u.destination_id ORDER BY u.destination_id
	ON CONFLICT (id, shard) DO UPDATE SET count = c.count + excluded.count, last = greatest(c.last, excluded.last)
)
SELECT o.ord, CASE
	WHEN u.ord IS NOT NULL THEN 0
	WHEN d.id IS NULL THEN 1
	WHEN d.state = 'pending' AND d.lease_token = o.token THEN 3
	ELSE 2 END,
	u.result
FROM o LEFT JOIN u ON u.ord = o.ord LEFT JOIN {s}.deliveries d ON d.id = o.delivery_id`
)

// completion is a Complete queued in a batch: the outcomes' errors once it
// ran.
type completion struct {
	outcomes []store.Outcome
	refused  []error // per outcome, refused before the statement
	sent     []int   // the outcome of each statement element
	codes    []int   // per outcome: the statement's code, or -1
	notify   bool    // a delivery was made due again (retry or release)
}

// errs returns one error per outcome.
func (c *completion) errs(s *Store, op string) []error {
	errs := make([]error, len(c.outcomes))
	for i := range c.outcomes {
		err := c.refused[i]
		switch c.codes[i] {
		case 1:
			err = store.ErrNotFound
		case 2:
			err = store.ErrLeaseLost
		case 3:
			err = store.ErrConflict
		}
		if err != nil {
			errs[i] = s.wrap(op+" "+c.outcomes[i].DeliveryID, err)
		}
	}
	return errs
}

// Complete implements store.Queue in one round trip (see completeSQL). An
// outcome with an unknown Result, for a delivery or with an attempt ID
// that an earlier outcome of the same call has, is refused on its own
// (store.ErrLeaseLost for a delivery, store.ErrConflict for an attempt)
// like a stale one.
func (s *Store) Complete(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	const op = "complete"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	c := s.queueComplete(b, outcomes)
	if b.Len() > 0 {
		if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
			return nil, s.wrap(op, err)
		}
	}
	if c.notify {
		s.notify()
	}
	return c.errs(s, op), nil
}

// queueComplete queues the statements of Complete in b.
func (s *Store) queueComplete(b *pgx.Batch, outcomes []store.Outcome) *completion {
	c := &completion{outcomes: outcomes, refused: make([]error, len(outcomes)), codes: make([]int, len(outcomes))}
	seenDelivery, seenAttempt := map[string]bool{}, map[string]bool{}
	var (
		ids, tokens, results []string
		retryAt, now         []time.Time
		hasAttempt           []bool
		att                  attemptArrays
	)
	for i, o := range outcomes {
		c.codes[i] = -1
		switch o.Result {
		case store.ResultSuccess, store.ResultRetry, store.ResultDead, store.ResultRelease:
		default:
			c.refused[i] = fmt.Errorf("unknown result %q", o.Result)
			continue
		}
		a := o.Attempt
		if o.Result == store.ResultRelease {
			a = nil
		}
		switch {
		case seenDelivery[o.DeliveryID]:
			c.refused[i] = store.ErrLeaseLost
			continue
		case a != nil && seenAttempt[a.ID]:
			c.refused[i] = store.ErrConflict
			continue
		}
		seenDelivery[o.DeliveryID] = true
		if a != nil {
			seenAttempt[a.ID] = true
		}
		c.sent = append(c.sent, i)
		ids, tokens, results = append(ids, o.DeliveryID), append(tokens, o.LeaseToken), append(results, string(o.Result))
		retryAt, now, hasAttempt = append(retryAt, o.RetryAt), append(now, o.Now), append(hasAttempt, a != nil)
		if err := att.add(a, &o); err != nil {
			c.refused[i] = err
			c.sent = c.sent[:len(c.sent)-1]
			ids, tokens, results = ids[:len(ids)-1], tokens[:len(tokens)-1], results[:len(results)-1]
			retryAt, now, hasAttempt = retryAt[:len(retryAt)-1], now[:len(now)-1], hasAttempt[:len(hasAttempt)-1]
			continue
		}
	}
	if len(c.sent) == 0 {
		return c
	}
	b.Queue(s.sql(lockDeliveriesSQL), ids)
	b.Queue(s.sql(lockEventsSQL), ids)
	args := append([]any{ids, tokens, results, retryAt, now, hasAttempt}, att.args()...)
	args = append(args, s.shard(), att.hour, att.bin)
	b.Queue(s.sql(completeSQL), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				ord    int64
				code   int
				result *string
			)
			if err := rows.Scan(&ord, &code, &result); err != nil {
				return err
			}
			if ord < 1 || int(ord) > len(c.sent) {
				return fmt.Errorf("complete returned outcome %d of %d", ord, len(c.sent))
			}
			c.codes[c.sent[ord-1]] = code
			if code == 0 && result != nil && (*result == string(store.ResultRetry) || *result == string(store.ResultRelease)) {
				c.notify = true
			}
		}
		return rows.Err()
	})
	return c
}

// attemptArrays are the attempt columns of completeSQL, one element per
// outcome sent (blank for one without an attempt).
type attemptArrays struct {
	id, org, env, event, delivery, conn, sub, dest, url, method, reqHeaders []string
	bodySize, status                                                        []int32
	respHeaders                                                             []string
	respBody                                                                [][]byte
	truncated                                                               []bool
	duration                                                                []int64
	state, errText                                                          []string
	created                                                                 []time.Time
	number                                                                  []int32
	nextRetry                                                               []time.Time
	dlq                                                                     []bool
	dlqAt                                                                   []time.Time
	trigger, connName, destName                                             []string
	countedAt                                                               []time.Time
	hour                                                                    []time.Time
	bin                                                                     []int16
}

// add appends attempt a of outcome o (nil for none), with the fields
// Complete decides: IsDLQ and DLQAt (Outcome.Now by default) of a dead
// letter, the counter's time (CreatedAt, or Outcome.Now), and the hour
// and latency bin of its rollup.
func (x *attemptArrays) add(a *store.Attempt, o *store.Outcome) error {
	var v store.Attempt
	if a != nil {
		v = *a
	}
	if a != nil && o.Result == store.ResultDead {
		v.IsDLQ = true
		if v.DLQAt.IsZero() {
			v.DLQAt = o.Now
		}
	}
	counted := v.CreatedAt
	if counted.IsZero() {
		counted = o.Now
	}
	reqHeaders, err := marshalMapText(v.RequestHeaders)
	if err != nil {
		return err
	}
	respHeaders, err := marshalMapText(v.ResponseHeaders)
	if err != nil {
		return err
	}
	body := []byte(v.ResponseBody)
	if body == nil {
		body = []byte{}
	}
	x.id, x.org, x.env, x.event = append(x.id, text(v.ID)), append(x.org, text(v.OrgID)), append(x.env, text(v.EnvID)), append(x.event, text(v.EventID))
	x.delivery, x.conn, x.sub, x.dest = append(x.delivery, text(v.DeliveryID)), append(x.conn, text(v.ConnectionID)), append(x.sub, text(v.SubscriptionID)), append(x.dest, text(v.DestinationID))
	x.url, x.method, x.reqHeaders = append(x.url, text(v.RequestURL)), append(x.method, text(v.RequestMethod)), append(x.reqHeaders, reqHeaders)
	x.bodySize, x.status = append(x.bodySize, int32(v.RequestBodySize)), append(x.status, int32(v.ResponseStatus))
	x.respHeaders, x.respBody, x.truncated = append(x.respHeaders, respHeaders), append(x.respBody, body), append(x.truncated, v.ResponseBodyTruncated)
	x.duration, x.state, x.errText = append(x.duration, v.DurationMS), append(x.state, text(v.Status)), append(x.errText, text(v.Error))
	x.created, x.number, x.nextRetry = append(x.created, v.CreatedAt), append(x.number, int32(v.AttemptNumber)), append(x.nextRetry, v.NextRetryAt)
	x.dlq, x.dlqAt, x.trigger = append(x.dlq, v.IsDLQ), append(x.dlqAt, v.DLQAt), append(x.trigger, text(string(v.Trigger)))
	x.connName, x.destName, x.countedAt = append(x.connName, text(v.ConnectionName)), append(x.destName, text(v.DestinationName)), append(x.countedAt, counted)
	x.hour, x.bin = append(x.hour, rollupHour(counted)), append(x.bin, int16(store.HistogramBin(v.DurationMS)))
	return nil
}

// args returns the arrays in the order of completeSQL's $7-$34.
func (x *attemptArrays) args() []any {
	return []any{x.id, x.org, x.env, x.event, x.delivery, x.conn, x.sub, x.dest, x.url, x.method, x.reqHeaders,
		x.bodySize, x.status, x.respHeaders, x.respBody, x.truncated, x.duration, x.state, x.errText, x.created,
		x.number, x.nextRetry, x.dlq, x.dlqAt, x.trigger, x.connName, x.destName, x.countedAt}
}

// marshalMapText encodes m as JSON text ("null" for a nil map).
func marshalMapText(m map[string]string) (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}
