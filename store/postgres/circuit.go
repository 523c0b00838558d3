package postgres

import (
	"context"
	"errors"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// GetCircuit implements store.Queue.
func (s *Store) GetCircuit(ctx context.Context, destinationID string) (store.Circuit, error) {
	const op = "get circuit"
	if err := s.begin(ctx, op); err != nil {
		return store.Circuit{}, err
	}
	c := store.Circuit{State: store.CircuitClosed}
	var version, epoch int64
	err := s.pool.QueryRow(ctx, s.sql(`SELECT state, failure_count, opened_at, next_probe_at, last_transition_at, version, epoch
		FROM {s}.circuits WHERE destination_id = $1`), destinationID).
		Scan(&c.State, &c.FailureCount, &c.OpenedAt, &c.NextProbeAt, &c.LastTransitionAt, &version, &epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return store.Circuit{}, s.wrap(op, err)
	}
	c.OpenedAt, c.NextProbeAt, c.LastTransitionAt = utc(c.OpenedAt), utc(c.NextProbeAt), utc(c.LastTransitionAt)
	c.Version, c.Epoch = uint64(version), uint64(epoch)
	return c, nil
}

// PutCircuit implements store.Queue in one upsert.
func (s *Store) PutCircuit(ctx context.Context, destinationID string, c store.Circuit) error {
	const op = "put circuit"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.sql(`
		INSERT INTO {s}.circuits AS c (destination_id, state, failure_count, opened_at, next_probe_at, last_transition_at, version, epoch)
		VALUES ($1, $2, $3, $4, $5, $6, 1, 1)
		ON CONFLICT (destination_id) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
			opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at,
			last_transition_at = excluded.last_transition_at, version = c.version + 1, epoch = c.epoch + 1`),
		destinationID, text(c.State), c.FailureCount, c.OpenedAt, c.NextProbeAt, c.LastTransitionAt)
	return s.wrap(op, err)
}

// SwapCircuit implements store.Queue: an update conditioned on the stored
// version (the row lock makes it atomic), or an insert that does nothing
// when a row exists, for a swap from the default state (version 0).
func (s *Store) SwapCircuit(ctx context.Context, destinationID string, old, next store.Circuit) (bool, error) {
	const op = "swap circuit"
	if err := s.begin(ctx, op); err != nil {
		return false, err
	}
	q := `UPDATE {s}.circuits SET state = $2, failure_count = $3, opened_at = $4, next_probe_at = $5,
		last_transition_at = $6, version = version + 1
		WHERE destination_id = $1 AND version = $7`
	if old.Version == 0 {
		q = `INSERT INTO {s}.circuits (destination_id, state, failure_count, opened_at, next_probe_at, last_transition_at, version, epoch)
		SELECT $1, $2, $3, $4, $5, $6, 1, 0 WHERE $7::bigint = 0
		ON CONFLICT (destination_id) DO NOTHING`
	}
	tag, err := s.pool.Exec(ctx, s.sql(q), destinationID, text(next.State), next.FailureCount, next.OpenedAt, next.NextProbeAt,
		next.LastTransitionAt, int64(old.Version))
	if err != nil {
		return false, s.wrap(op, err)
	}
	return tag.RowsAffected() == 1, nil
}
