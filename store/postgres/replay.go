package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// replayJobsTable maps replay jobs onto replay_jobs (migration 0002): the
// status and the claim are columns, so that ClaimReplays finds the
// running jobs through the partial index replay_jobs_running.
var replayJobsTable = &table{
	name: "replay_jobs",
	cols: []string{"status", "lease_owner", "lease_until"},
	values: func(r store.Resource) []any {
		j := r.(*store.ReplayJob)
		return []any{text(j.Status), text(j.LeaseOwner), j.LeaseUntil}
	},
	keys: func(r store.Resource) []string { return r.UniqueKeys() },
	refs: func(store.Resource) []store.Ref { return nil },
	lookup: func(k string) (string, []any, bool) {
		id, ok := strings.CutPrefix(k, store.ReplayRunningKey(""))
		return "status = 'running' AND id = $1", []any{id}, ok
	},
}

// replayConds are the conditions selecting the events of a replay, on
// events e, with their arguments ($1 on).
func replayConds(q *store.ReplayQuery) ([]string, []any) {
	conds := []string{"e.org_id = $1", "e.env_id = $2", "e.received_at >= $3", "e.received_at < $4", "e.dedup_status <> 'duplicate'"}
	args := []any{q.Tenant.OrgID, q.Tenant.EnvID, q.From, q.To}
	if q.SourceID != "" {
		args = append(args, q.SourceID)
		conds = append(conds, "e.source_id = $"+strconv.Itoa(len(args)))
	}
	if q.ConnectionID != "" {
		args = append(args, q.ConnectionID)
		conds = append(conds, "EXISTS (SELECT FROM {s}.deliveries d WHERE d.event_id = e.id AND d.connection_id = $"+strconv.Itoa(len(args))+")")
	}
	return conds, args
}

// ReplayEvents implements store.ReplayStore: a keyset scan of events_list
// (org_id, env_id, received_at, seq) forwards; with ConnectionID, each
// event's deliveries are probed through deliveries_event.
func (s *Store) ReplayEvents(ctx context.Context, q store.ReplayQuery) (store.ReplayPage, error) {
	const op = "replay events"
	if err := s.begin(ctx, op); err != nil {
		return store.ReplayPage{}, err
	}
	limit := max(q.Limit, 1)
	after, err := decodeEventCursor(q.Cursor)
	if err != nil {
		return store.ReplayPage{}, s.wrap(op, err)
	}
	conds, args := replayConds(&q)
	if after != nil {
		args = append(args, after.at, after.seq)
		conds = append(conds, "(e.received_at, e.seq) > ($"+strconv.Itoa(len(args)-1)+", $"+strconv.Itoa(len(args))+")")
	}
	rows, err := s.pool.Query(ctx, s.sql("SELECT "+eventCols+", e.seq FROM {s}.events e WHERE "+strings.Join(conds, " AND ")+
		" ORDER BY e.received_at, e.seq LIMIT "+strconv.Itoa(limit+1)), args...)
	if err != nil {
		return store.ReplayPage{}, s.wrap(op, err)
	}
	defer rows.Close()
	var (
		page store.ReplayPage
		last listPos
	)
	for rows.Next() {
		var (
			es  eventScan
			seq int64
		)
		if err := rows.Scan(append(es.targets(), &seq)...); err != nil {
			return store.ReplayPage{}, s.wrap(op, err)
		}
		if len(page.Events) == limit {
			page.NextCursor = last.eventCursor()
			break
		}
		e, err := es.event()
		if err != nil {
			return store.ReplayPage{}, s.wrap(op, err)
		}
		page.Events = append(page.Events, e)
		last = listPos{at: e.ReceivedAt, seq: seq}
	}
	if err := rows.Err(); err != nil {
		return store.ReplayPage{}, s.wrap(op, err)
	}
	return page, nil
}

// CountReplayEvents implements store.ReplayStore with the conditions of
// ReplayEvents, stopping at max rows.
func (s *Store) CountReplayEvents(ctx context.Context, q store.ReplayQuery, max int) (int, error) {
	const op = "count replay events"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	conds, args := replayConds(&q)
	args = append(args, max)
	var n int
	err := s.pool.QueryRow(ctx, s.sql("SELECT count(*) FROM (SELECT FROM {s}.events e WHERE "+strings.Join(conds, " AND ")+
		" LIMIT $"+strconv.Itoa(len(args))+") x"), args...).Scan(&n)
	return n, s.wrap(op, err)
}

// addDeliverySQL counts a new pending delivery in its event, which must
// exist in the delivery's tenant, and inserts it: no event, no row; a
// taken ID, a unique violation (which undoes the count).
const addDeliverySQL = `
WITH ev AS (
	UPDATE {s}.events SET pending = pending + 1, status = 'processing'
	WHERE id = $4 AND org_id = $2 AND env_id = $3 RETURNING id
)
INSERT INTO {s}.deliveries (id, org_id, env_id, event_id, connection_id, subscription_id, destination_id,
	state, held, next_at, lease_token, attempts, trigger, no_retry, created_at, updated_at)
SELECT $1, $2, $3, ev.id, $5, $6, $7, 'pending', false, $8, $9, $10, $11, $12, $13, $14 FROM ev
RETURNING seq`

// AddDelivery implements store.ReplayStore in one statement; a delivery
// due at once (no lease) notifies listeners.
func (s *Store) AddDelivery(ctx context.Context, d *store.Delivery, now time.Time, lease time.Duration) (*store.Delivery, error) {
	const op = "add delivery"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	add := *d
	add.State, add.Held, add.NextAt, add.LeaseToken = store.DeliveryPending, false, now, ""
	var token *string
	if lease > 0 {
		add.NextAt, add.LeaseToken = now.Add(lease), rand.Text()
		token = &add.LeaseToken
	}
	var seq int64
	err := s.pool.QueryRow(ctx, s.sql(addDeliverySQL),
		text(add.ID), text(add.OrgID), text(add.EnvID), text(add.EventID), text(add.ConnectionID), text(add.SubscriptionID),
		text(add.DestinationID), add.NextAt, token, add.Attempts, text(string(add.Trigger)), add.NoRetry, add.CreatedAt, add.UpdatedAt).
		Scan(&seq)
	if err != nil {
		return nil, s.wrap(op, insertErr(notFound(err)))
	}
	add.Seq = uint64(seq)
	if lease <= 0 {
		s.notify()
	}
	return &add, nil
}

// ClaimReplays implements store.ReplayStore in one transaction: the jobs
// are locked FOR UPDATE SKIP LOCKED (index replay_jobs_running), so
// processes claiming at once claim different jobs.
func (s *Store) ClaimReplays(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*store.ReplayJob, error) {
	const op = "claim replays"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var claimed []*store.ReplayJob
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		claimed = nil
		rows, err := tx.Query(ctx, s.sql(`SELECT data FROM {s}.replay_jobs
			WHERE status = 'running' AND (lease_until <= $1 OR lease_owner = $2)
			ORDER BY created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED`), now, owner, max(limit, 0))
		if err != nil {
			return err
		}
		jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.ReplayJob, error) {
			var data []byte
			if err := row.Scan(&data); err != nil {
				return nil, err
			}
			job := new(store.ReplayJob)
			return job, decodeResource(data, job)
		})
		if err != nil {
			return err
		}
		for _, job := range jobs {
			if job.LeaseOwner == owner && !job.LeaseUntil.Before(now.Add(ttl)) {
				continue // held already, for longer
			}
			job.LeaseOwner, job.LeaseUntil = owner, now.Add(ttl)
			if err := s.putReplay(ctx, tx, job); err != nil {
				return err
			}
		}
		claimed = jobs
		return nil
	})
	return claimed, s.wrap(op, err)
}

// SaveReplay implements store.ReplayStore: the stored job is locked, its
// owner compared, and the job written, in one transaction.
func (s *Store) SaveReplay(ctx context.Context, job *store.ReplayJob, owner string) (*store.ReplayJob, error) {
	const op = "save replay"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var saved *store.ReplayJob
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		stored, err := s.lockReplay(ctx, tx, job.Tenant(), job.ID)
		if err != nil {
			return err
		}
		next, err := job.SaveOver(stored, owner)
		if err != nil {
			return err
		}
		saved = next
		return s.putReplay(ctx, tx, next)
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return saved, nil
}

// CancelReplay implements store.ReplayStore in one transaction.
func (s *Store) CancelReplay(ctx context.Context, t store.Tenant, id string, now time.Time) (*store.ReplayJob, error) {
	const op = "cancel replay"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var job *store.ReplayJob
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		stored, err := s.lockReplay(ctx, tx, t, id)
		if err != nil {
			return err
		}
		job = stored
		if stored.Status != store.ReplayRunning {
			return nil
		}
		job.Status, job.CompletedAt, job.UpdatedAt = store.ReplayCancelled, now, now
		return s.putReplay(ctx, tx, job)
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return job, nil
}

// lockReplay reads a job of tenant t FOR UPDATE, or store.ErrNotFound.
func (s *Store) lockReplay(ctx context.Context, tx pgx.Tx, t store.Tenant, id string) (*store.ReplayJob, error) {
	var data []byte
	err := tx.QueryRow(ctx, s.sql("SELECT data FROM {s}.replay_jobs WHERE id = $1 AND org_id = $2 AND env_id = $3 FOR UPDATE"),
		id, t.OrgID, t.EnvID).Scan(&data)
	if err != nil {
		return nil, notFound(err)
	}
	job := new(store.ReplayJob)
	return job, decodeResource(data, job)
}

// putReplay writes a job over its row, data and columns.
func (s *Store) putReplay(ctx context.Context, tx pgx.Tx, job *store.ReplayJob) error {
	data, err := json.Marshal(job)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, s.sql("UPDATE {s}.replay_jobs SET data = $2, status = $3, lease_owner = $4, lease_until = $5 WHERE id = $1"),
		job.ID, data, text(job.Status), text(job.LeaseOwner), job.LeaseUntil)
	return err
}

// PruneReplays implements store.ReplayStore, in statements of pruneBatch
// jobs (a scan of the jobs that are not running: they are few next to
// events).
func (s *Store) PruneReplays(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "prune replays"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	pruned := 0
	for {
		tag, err := s.pool.Exec(ctx, s.sql(`
			DELETE FROM {s}.replay_jobs WHERE id IN (
				SELECT id FROM {s}.replay_jobs WHERE status <> 'running' AND (data->>'completed_at')::timestamptz < $1
				LIMIT $2 FOR UPDATE SKIP LOCKED)`), cutoff, pruneBatch)
		if err != nil {
			return pruned, s.wrap(op, err)
		}
		pruned += int(tag.RowsAffected())
		if tag.RowsAffected() < pruneBatch {
			return pruned, nil
		}
	}
}
