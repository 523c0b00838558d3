package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// attemptCols are the columns of an attempt, as attemptScan reads them.
const attemptCols = `a.id, a.org_id, a.env_id, a.event_id, a.delivery_id, a.connection_id, a.subscription_id,
	a.destination_id, a.request_url, a.request_method, a.request_headers, a.request_body_size, a.response_status,
	a.response_headers, a.response_body, a.response_body_truncated, a.duration_ms, a.status, a.error, a.created_at,
	a.attempt_number, a.next_retry_at, a.is_dlq, a.dlq_at, a.trigger, a.connection_name, a.destination_name`

// attemptScan holds the scan targets of an attempt's columns.
type attemptScan struct {
	a                     store.Attempt
	reqHeaders, respHeads []byte
	body                  []byte
	trigger               string
}

func (as *attemptScan) targets() []any {
	a := &as.a
	return []any{&a.ID, &a.OrgID, &a.EnvID, &a.EventID, &a.DeliveryID, &a.ConnectionID, &a.SubscriptionID,
		&a.DestinationID, &a.RequestURL, &a.RequestMethod, &as.reqHeaders, &a.RequestBodySize, &a.ResponseStatus,
		&as.respHeads, &as.body, &a.ResponseBodyTruncated, &a.DurationMS, &a.Status, &a.Error, &a.CreatedAt,
		&a.AttemptNumber, &a.NextRetryAt, &a.IsDLQ, &a.DLQAt, &as.trigger, &a.ConnectionName, &a.DestinationName}
}

// attempt returns the scanned attempt.
func (as *attemptScan) attempt() (*store.Attempt, error) {
	a := as.a
	if err := unmarshalMap(as.reqHeaders, &a.RequestHeaders); err != nil {
		return nil, err
	}
	if err := unmarshalMap(as.respHeads, &a.ResponseHeaders); err != nil {
		return nil, err
	}
	a.ResponseBody, a.Trigger = string(as.body), store.Trigger(as.trigger)
	a.CreatedAt, a.NextRetryAt, a.DLQAt = utc(a.CreatedAt), utc(a.NextRetryAt), utc(a.DLQAt)
	return &a, nil
}

// GetAttempt implements store.EventStore.
func (s *Store) GetAttempt(ctx context.Context, t store.Tenant, id string) (*store.Attempt, error) {
	const op = "get attempt"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var as attemptScan
	err := s.pool.QueryRow(ctx, s.sql("SELECT "+attemptCols+" FROM {s}.attempts a WHERE a.id = $1 AND a.org_id = $2 AND a.env_id = $3"),
		id, t.OrgID, t.EnvID).Scan(as.targets()...)
	if err != nil {
		return nil, s.wrap(op, notFound(err))
	}
	a, err := as.attempt()
	return a, s.wrap(op, err)
}

// ListAttempts implements store.EventStore: the page and the count of the
// same conditions in one round trip, newest first from attempts_event,
// attempts_destination, attempts_dlq or attempts_list, whichever the
// filters suit.
func (s *Store) ListAttempts(ctx context.Context, q store.AttemptQuery) ([]*store.Attempt, int, error) {
	const op = "list attempts"
	if err := s.begin(ctx, op); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit < 1 {
		limit = 50
	}
	conds, args := []string{"a.org_id = $1", "a.env_id = $2"}, []any{q.Tenant.OrgID, q.Tenant.EnvID}
	for _, f := range []struct{ col, v string }{
		{"event_id", q.EventID}, {"connection_id", q.ConnectionID}, {"destination_id", q.DestinationID}, {"status", q.Status},
	} {
		if f.v != "" {
			args = append(args, f.v)
			conds = append(conds, "a."+f.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	if q.DLQOnly {
		conds = append(conds, "a.is_dlq")
	}
	where := strings.Join(conds, " AND ")
	var (
		total    int
		attempts []*store.Attempt
	)
	b := &pgx.Batch{}
	b.Queue(s.sql("SELECT count(*) FROM {s}.attempts a WHERE "+where), args...).QueryRow(func(row pgx.Row) error { return row.Scan(&total) })
	b.Queue(s.sql("SELECT "+attemptCols+" FROM {s}.attempts a WHERE "+where+" ORDER BY a.created_at DESC, a.seq DESC LIMIT "+
		strconv.Itoa(limit)+" OFFSET "+strconv.Itoa(max(q.Offset, 0))), args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var as attemptScan
			if err := rows.Scan(as.targets()...); err != nil {
				return err
			}
			a, err := as.attempt()
			if err != nil {
				return err
			}
			attempts = append(attempts, a)
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, 0, s.wrap(op, err)
	}
	return attempts, total, nil
}
