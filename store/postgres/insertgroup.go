package postgres

import (
	"context"
	"math/rand/v2"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// Group commit of InsertEvent. Concurrent inserts share transactions: a
// few committers (insertCommitters) each take the inserts waiting when
// they are free, up to maxInsertGroup, send their statements in one pgx
// batch (one round trip) inside one transaction and commit once (see
// sendGroup). Fewer commits mean fewer WAL flushes and, above all,
// counter rows held for less: a counter shard row stays locked
// from an insert's update to its commit, and 64 concurrent ingests, each
// its own commit, queued on those rows (BENCHMARKS.md). A group tallies
// its counter and rollup increments and writes each row once, in key
// order, as its transaction's last statement (tally.go): rows locked for
// the least time, and in one order by every group, so that groups of
// several processes (or of one process with fewer shards than
// committers), which may share a shard, never deadlock on them. Each
// committer updates counters in a shard of its own, so two groups of one
// process never wait for each other's rows.
const (
	maxInsertGroup   = 64
	insertCommitters = 4
)

// insertRequest is one InsertEvent waiting for its group's commit.
type insertRequest struct {
	ctx  context.Context
	e    *store.Event
	ds   []*store.Delivery
	due  bool
	err  error
	done chan struct{}
}

// startInsertCommitters starts the committers, each with its counter
// shard, until the store closes.
func (s *Store) startInsertCommitters() {
	s.inserts = make(chan *insertRequest)
	base := rand.IntN(s.shards)
	for i := range insertCommitters {
		shard := int16((base + i) % s.shards)
		s.wg.Go(func() { s.commitInserts(shard) })
	}
}

// insertGrouped hands an insert to a committer and waits for its commit.
func (s *Store) insertGrouped(ctx context.Context, e *store.Event, ds []*store.Delivery) (bool, error) {
	r := &insertRequest{ctx: ctx, e: e, ds: ds, done: make(chan struct{})}
	select {
	case s.inserts <- r:
	case <-ctx.Done():
		return false, ctx.Err()
	case <-s.ctx.Done():
		return false, store.ErrClosed
	}
	<-r.done // a committer answers every request it took
	return r.due, r.err
}

// commitInserts is a committer: it takes a waiting insert, and every
// other one waiting then (up to maxInsertGroup), and commits them
// together, until the store closes.
func (s *Store) commitInserts(shard int16) {
	group := make([]*insertRequest, 0, maxInsertGroup)
	for {
		select {
		case <-s.ctx.Done():
			return
		case r := <-s.inserts:
			group = append(group[:0], r)
		}
	take:
		for len(group) < maxInsertGroup {
			select {
			case r := <-s.inserts:
				group = append(group, r)
			default:
				break take
			}
		}
		s.commitGroup(group, shard)
		for _, r := range group {
			close(r.done)
		}
	}
}

// commitGroup stores the inserts of group in one transaction. When that
// fails (one insert's ID is taken, say, which aborts the transaction),
// each is made again on its own, so each gets its own outcome. Inserts
// whose context ended before the transaction began are answered with its
// error.
func (s *Store) commitGroup(group []*insertRequest, shard int16) {
	live := group[:0:0]
	for _, r := range group {
		if r.err = r.ctx.Err(); r.err == nil {
			live = append(live, r)
		}
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].due, live[0].err = s.insertEvent(live[0].ctx, s.pool, live[0].e, live[0].ds, shard)
		return
	}
	// Each statement sets its deliveries' Held from the store; should the
	// group fail, each insert starts again from the caller's.
	var held []bool
	for _, r := range live {
		for _, d := range r.ds {
			held = append(held, d.Held)
		}
	}
	err := s.sendGroup(live, shard)
	if err == nil {
		return
	}
	for _, r := range live {
		for _, d := range r.ds {
			d.Held, held = held[0], held[1:]
		}
		r.due, r.err = s.insertEvent(r.ctx, s.pool, r.e, r.ds, shard)
	}
}

// sendGroup stores the inserts of live in one transaction, counters in
// shard. Without dedup keys no event can be a duplicate, so the group's
// tally is known before its statements run, and the group is one pgx
// batch: one round trip, one implicit transaction that its Sync commits
// (a failing statement rolls back the whole batch). With dedup keys the
// tally waits for the inserts' results, in an explicit transaction.
func (s *Store) sendGroup(live []*insertRequest, shard int16) error {
	b := &pgx.Batch{}
	inserts := make([]*eventInsert, len(live))
	dedup := false
	for i, r := range live {
		in, err := newEventInsert(r.e, r.ds, shard, true)
		if err != nil {
			return err
		}
		inserts[i] = in
		dedup = dedup || r.e.DedupKey != ""
		b.Queue(s.sql(insertEventSQL), in.args...).Query(in.read)
	}
	tally := func() *tally {
		t := newTally()
		for _, in := range inserts {
			in.count(t)
		}
		return t
	}
	var err error
	if dedup {
		err = pgx.BeginFunc(s.ctx, s.pool, func(tx pgx.Tx) error {
			if err := tx.SendBatch(s.ctx, b).Close(); err != nil {
				return err
			}
			tb := &pgx.Batch{}
			s.queueTally(tb, tally(), shard)
			return tx.SendBatch(s.ctx, tb).Close()
		})
	} else {
		s.queueTally(b, tally(), shard)
		err = s.pool.SendBatch(s.ctx, b).Close()
	}
	if err != nil {
		return err
	}
	for i, in := range inserts {
		in.finish()
		live[i].due = in.due
	}
	return nil
}
